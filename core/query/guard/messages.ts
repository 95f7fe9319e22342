/** Messages the guard's checks share: an excerpt of the statement, and two refusals. */
import { isNode, type Node } from '#core/query/guard/ast';

/** Up to 30 characters of `sql` from `offset`, quoted, for a message. */
export function excerpt(sql: string, offset: number): string {
  const text = sql.slice(offset, offset + 30).replace(/\s+/gu, ' ');
  return `'${text}${offset + 30 < sql.length ? '…' : ''}'`;
}

/** A string or quoted name ending with a backslash, which the parser would read as an escape. */
export function backslashMessage(sql: string, start: number, quote: string): string {
  return (
    `the ${quote === "'" ? 'string' : 'quoted name'} ${excerpt(sql, start)} ends with a backslash, ` +
    `which the engines take literally but the parser as an escape; write a quote inside a ` +
    `string as '' (two quotes), build the backslash with chr(92), or pick another LIKE escape ` +
    `character (ESCAPE '!')`
  );
}

/** A statement that is not a SELECT (INSERT, CTAS, …). */
export function notSelectMessage(statement: Node): string {
  const type = String(statement.type ?? 'unknown');
  const keyword = typeof statement.keyword === 'string' ? ` ${statement.keyword}` : '';
  const ctas = type === 'create' && isNode(statement.query_expr) ? ' … AS SELECT (CTAS)' : '';
  return (
    `only read-only SELECT statements may run; found ${type.toUpperCase()}${keyword.toUpperCase()}` +
    `${ctas}. Write a SELECT (results come back with the plan; nothing is written)`
  );
}
