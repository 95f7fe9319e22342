/**
 * Athena (Trino) syntax the guard's parser (node-sql-parser) does not read, rewritten into forms
 * it does — for the guard's analysis only: the statement the engine runs is the user's, unchanged.
 *
 * Every rewrite keeps what the guard checks in plain sight: each table reference, function call,
 * subquery, column and `$n` parameter of the statement stays in the rewritten text, where the
 * parser and the guard's rules (one read-only SELECT, deny lists, known tables, the
 * partition-filter rule, Athena's function list) see it. Rewrites only replace keywords, types and
 * literals, move a window frame's offset or a FILTER's condition into the window's ORDER BY, and
 * wrap a VALUES list in a SELECT. Functions they add — `from_hex`, `json_parse`, `chr` — are Athena's own.
 * Anything the rewriter does not recognise is left as written, for the parser to accept or refuse.
 *
 * The lexer follows the rules the guard's lexical check already uses (PostgreSQL's, which DuckDB
 * shares, and Trino's for `'…'` strings, `"…"` names and comments), so a string, name or comment
 * is where the engine sees it. Plain string literals that contain a backslash are rewritten
 * without it (`'a\b'` → `('a' || chr(92) || 'b')`): the parser reads a backslash as an escape,
 * the engines do not, so the parser must never see one.
 *
 * Rewrites, Trino → what the parser reads:
 * - `X'00ff'` → `from_hex('00ff')`; `U&'\2603'` [`UESCAPE '!'`] → the decoded string; `JSON '[1]'`
 *   → `json_parse('[1]')`; `BIGINT '1'`, `REAL '1.5'`, `VARBINARY 'x'` … → `CAST('…' AS type)`;
 *   `INTERVAL '1 02:00:00' DAY TO SECOND` → `INTERVAL '1 02:00:00' DAY`;
 * - types in `CAST`/`TRY_CAST` the parser does not know (`array(…)`, `map(…)`, `row(…)`,
 *   `varbinary`, `double precision`, `interval … to …`, `ipaddress`, …) → `VARCHAR`;
 * - `a IS [NOT] DISTINCT FROM b` → `a <> b` (`a = b`); `x AT TIME ZONE 'z'` → `x * 'z'`;
 * - `EXISTS (subquery)` → `NOT NOT EXISTS (subquery)`; `a = ANY|SOME|ALL (subquery)` → `a = (…)`;
 * - `UNNEST(…) WITH ORDINALITY [AS] t(…)` → `UNNEST(…) AS t(…)`;
 * - `listagg(x, ',') WITHIN GROUP (ORDER BY y) [FILTER (WHERE c)]` → `listagg(x, ',') OVER
 *   (ORDER BY y[, (c)])`;
 * - `GROUPING SETS (…)` → `ROLLUP (…)`, an empty grouping set `()` → `(NULL)`;
 * - window frames: `RANGE`/`GROUPS` → `ROWS`, an offset that is not an integer
 *   (`INTERVAL '1' DAY PRECEDING`) → `1 PRECEDING` with the expression added to the window's
 *   ORDER BY; `FILTER (WHERE c) OVER (…)` → `OVER (… ORDER BY …, (c))`; `OVER (w ORDER BY …)`,
 *   refining the named window w → `OVER (ORDER BY …)`;
 * - `EXTRACT(DAY_OF_WEEK FROM x)` and the other Trino fields the parser does not know →
 *   `EXTRACT(DAY FROM x)`;
 * - `OFFSET n ROWS` → `OFFSET n`; `FETCH FIRST|NEXT [n] ROW|ROWS ONLY|WITH TIES` → `LIMIT n`;
 * - `VALUES 1, 2` → `VALUES (1), (2)`, and VALUES as a query (`WITH t AS (VALUES …)`,
 *   `= ANY (VALUES …)`, `… UNION VALUES …`) → `SELECT * FROM (VALUES …) AS _values`;
 * - row field access `(expr).field`, `CAST(… AS ROW(…)).field` → `(expr)`.
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
