/**
 * The guard's lexical check: reads the statement by the engines' rules (the query layer's
 * tokenizer) before the parser does, and refuses what the parser would read differently.
 */
import type { GuardEngine } from '#core/query/guard/analysis';
import { backslashMessage, excerpt } from '#core/query/guard/messages';
import { IDENT_PART, tokenize, type Token } from '#core/query/sql/tokenizer';

/**
 * The most AND/OR operators a statement may have (the AND of `BETWEEN … AND …` not counted):
 * 1,000. The parser and the analysis recurse once per operator of a chain; more is refused by the
 * lexer pass before parsing (400 `sql_rejected`): write a list as `IN (…)` or a bound parameter.
 */
export const MAX_SQL_BOOLEAN_OPERATORS = 1_000;

/**
 * Reads the SQL with the engines' lexical rules (the query layer's tokenizer) and rejects the
 * constructs the parser would read differently from the engine, and statements with more than
 * {@link MAX_SQL_BOOLEAN_OPERATORS} AND/OR operators.
 */
export function lexCheck(
  sql: string,
  engine: GuardEngine,
  reject: (message: string) => never,
): void {
  let statementEnded = -1;
  // AND/OR keywords, and BETWEEN (whose AND is not a boolean operator), outside strings/comments.
  let booleanOperators = 0;
  let betweens = 0;
  let previous: Token | undefined;
  for (const token of tokenize(sql)) {
    if (token.kind === 'space' || token.kind === 'comment') continue;
    if (statementEnded >= 0 && token.text !== ';') {
      reject(
        `found more after the ';' at offset ${statementEnded}: ${excerpt(sql, token.start)}; ` +
          `send exactly one SELECT per step`,
      );
    }
    if (token.text === ';') statementEnded = token.start;
    backslashCheck(sql, token, engine, reject);
    if (engine === 'lake' && token.text === '/' && sql.charAt(token.start + 1) === '/') {
      reject(
        `'//' at ${excerpt(sql, token.start)} is integer division to DuckDB but a comment to ` +
          `the parser; write floor(a / b) for division and -- for comments`,
      );
    }
    if (isWord(sql, token, previous)) {
      if (token.value === 'and' || token.value === 'or') booleanOperators++;
      else if (token.value === 'between') betweens++;
    }
    previous = token;
  }
  const operators = booleanOperators - betweens;
  if (operators > MAX_SQL_BOOLEAN_OPERATORS) {
    reject(
      `the SQL has ${operators.toLocaleString('en-US')} AND/OR operators, more than the ` +
        `${MAX_SQL_BOOLEAN_OPERATORS.toLocaleString('en-US')} the guard accepts (a chain that long ` +
        `overflows the parser); write a list of values as col IN ('a', 'b', …), bind it as a ` +
        `parameter to a field of an earlier step (lake: contains($1, col); hot: col = ANY($1)), ` +
        `or split the statement into several steps`,
    );
  }
}

/**
 * A string or quoted name that ends with a backslash, which the parser reads as an escape but the
 * engines do not (E'…' strings aside; lake strings reach the parser without their backslashes,
 * see guard-syntax.ts).
 */
function backslashCheck(
  sql: string,
  token: Token,
  engine: GuardEngine,
  reject: (message: string) => never,
): void {
  const quoted = token.kind === 'quoted';
  const string =
    token.kind === 'string' &&
    (token.prefix === '' || token.prefix === 'X' || token.prefix === 'U&');
  if (!token.closed || !(quoted || string) || (string && engine === 'lake')) return;
  const end = token.start + token.text.length;
  if (sql.charAt(end - 2) !== '\\') return;
  const open = token.start + (token.prefix?.length ?? 0);
  reject(backslashMessage(sql, open, quoted ? '"' : "'"));
}

/**
 * Whether an identifier is a word of its own as the engines read it: not glued to a number, a
 * parameter or a `$` before it (`1and`, `$1and`); a `$tag$` string before it ends a word.
 */
function isWord(sql: string, token: Token, previous: Token | undefined): boolean {
  if (token.kind !== 'ident') return false;
  if (token.start === 0 || !IDENT_PART.test(sql.charAt(token.start - 1))) return true;
  return previous?.kind === 'string' && previous.prefix === '$';
}
