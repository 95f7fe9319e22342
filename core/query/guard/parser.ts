/**
 * The guard's parser driver: node-sql-parser with the engine's grammar, and its errors as
 * messages at their place in the statement as written.
 */
import { Parser as PostgresParser } from 'node-sql-parser/build/postgresql';
import { Parser as TrinoParser } from 'node-sql-parser/build/trino';
import type { GuardEngine } from '#core/query/guard/analysis';
import { excerpt } from '#core/query/guard/messages';
import type { GuardText } from '#core/query/guard-syntax';

const trino = new TrinoParser();
const postgres = new PostgresParser();

/**
 * Parses with the engine's dialect: PostgreSQL for hot SQL; Trino for lake SQL (as rewritten for
 * the parser, `text`), falling back to PostgreSQL for the few constructs node-sql-parser's Trino
 * grammar lacks (a scalar subquery in the select list) — both grammars give the same AST shapes.
 * Reports the first grammar's error, at its place in the statement as written.
 */
export function parse(
  sql: string,
  engine: GuardEngine,
  reject: (message: string) => never,
  text?: GuardText,
): unknown {
  if (engine === 'hot' || text === undefined) {
    try {
      return postgres.astify(sql, { database: 'postgresql' });
    } catch (error) {
      if (isStackOverflow(error)) throw error;
      return reject(parseErrorMessage(sql, error));
    }
  }
  try {
    return trino.astify(text.text, { database: 'trino' });
  } catch (error) {
    if (isStackOverflow(error)) throw error;
    try {
      return postgres.astify(text.text, { database: 'postgresql' });
    } catch (fallback) {
      if (isStackOverflow(fallback)) throw fallback;
      return reject(parseErrorMessage(sql, error, (offset) => text.sourceOffset(offset)));
    }
  }
}

/** A JavaScript stack overflow ("Maximum call stack size exceeded"). */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/**
 * The parser's error, at its place in `sql`; `source` maps an offset of the text the parser read
 * (the lake's rewritten text) back to `sql`.
 */
function parseErrorMessage(
  sql: string,
  error: unknown,
  source: (offset: number) => number = (offset) => offset,
): string {
  const e = error as {
    message?: string;
    found?: string | null;
    location?: { start?: { offset?: number; line?: number; column?: number } };
  };
  const start = e.location?.start;
  if (start?.offset === undefined) {
    return `the SQL does not parse (${String(e.message ?? error).slice(0, 200)}); write one SELECT statement`;
  }
  const offset = Math.min(source(start.offset), sql.length);
  const before = sql.slice(0, offset);
  const lines = before.split('\n');
  const where = `line ${lines.length}, column ${(lines[lines.length - 1] ?? '').length + 1}`;
  const hint =
    /\$\d+\s*$/u.test(before) && sql.slice(offset).startsWith('::')
      ? '; cast a parameter with CAST($1 AS type) instead of $1::type'
      : '';
  const near =
    e.found === null || offset >= sql.length ? 'the end of the SQL' : excerpt(sql, offset);
  return (
    `the SQL does not parse at ${where}, near ${near}${hint}. Only one read-only SELECT ` +
    `(or WITH … SELECT) may run: no DDL, DML, CTAS, UNLOAD, COPY, EXPLAIN, locking clauses or ` +
    `several statements`
  );
}
