/**
 * Athena (Trino) syntax the guard's parser does not read, rewritten into forms it does, for the
 * guard's analysis only (the engine runs the statement as written). The rewrites and why they
 * keep every table, function and subquery in sight: docs/decisions/0008-sql-guard-parser-and-lexer.md.
 */

import { Rewriter } from '#core/query/guard/syntax/rewriter';
import { tokenize } from '#core/query/sql/tokenizer';

/** The rewritten text, and where each of its offsets comes from in the statement. */
export interface GuardText {
  /** The statement as the guard's parser reads it. */
  readonly text: string;
  /** The statement offset a rewritten-text offset comes from (for parse error positions). */
  sourceOffset(offset: number): number;
  /**
   * Where a string literal that still holds a backslash starts in the statement (an unterminated
   * one): the parser would read it differently from the engines, so the guard refuses it.
   */
  readonly backslashAt: number | undefined;
}

/**
 * The statement as the guard's parser reads it (see the module's documentation), with the map
 * from its offsets back to the statement's.
 * @example
 * normalizeGuardSyntax("SELECT CAST(x AS array(integer)), a IS DISTINCT FROM b FROM t").text;
 * // "SELECT CAST(x AS VARCHAR), a <> b FROM t"
 */
export function normalizeGuardSyntax(sql: string): GuardText {
  const rewriter = new Rewriter(tokenize(sql));
  rewriter.range(0, rewriter.tokens.length, { groupBy: false });
  const result = rewriter.result(sql.length);
  const left = tokenize(result.text).find(
    (t) => t.kind === 'string' && t.prefix === '' && t.text.includes('\\'),
  );
  return {
    ...result,
    backslashAt: left === undefined ? undefined : result.sourceOffset(left.start),
  };
}
