/**
 * The SQL guard: one read-only SELECT over known tables, parsed by node-sql-parser after a lexical
 * check by the engines' rules, with the columns and partition predicates the scan estimate needs.
 * Why it is built so: docs/decisions/0008-sql-guard-parser-and-lexer.md; the parts: guard/.
 */
import { SqlRejectedError, SqlTooLongError } from '#core/query/errors';
import type { GuardOptions, SqlAnalysis } from '#core/query/guard/analysis';
import { Analyzer } from '#core/query/guard/analyzer';
import { isNode, type Node } from '#core/query/guard/ast';
import { lexCheck } from '#core/query/guard/lexical-check';
import { backslashMessage, notSelectMessage } from '#core/query/guard/messages';
import { isStackOverflow, parse } from '#core/query/guard/parser';
import { normalizeGuardSyntax } from '#core/query/guard-syntax';

export type {
  AnalyzedTable,
  GuardEngine,
  GuardOptions,
  PartitionOp,
  PartitionPredicate,
  PartitionValue,
  SqlAnalysis,
  TableOccurrence,
} from '#core/query/guard/analysis';
export { HOT_DENIED_FUNCTIONS, LAKE_DENIED_FUNCTIONS } from '#core/query/guard/function-rules';
export { MAX_SQL_BOOLEAN_OPERATORS } from '#core/query/guard/lexical-check';

/**
 * The longest SQL statement the guard reads, in characters: 64 Ki. Longer text is refused before
 * it is parsed (413 `sql_too_long`); a long list of values belongs in a bound parameter.
 */
export const MAX_SQL_LENGTH = 65_536;

/**
 * Checks one SQL statement for the lake or the hot engine and describes it.
 * @throws SqlRejectedError when it does not parse, is not exactly one read-only SELECT, reads an
 *   unknown table, calls a denied function, or (lake) reads a partitioned table without filtering
 *   its partition keys in WHERE, has more than {@link MAX_SQL_BOOLEAN_OPERATORS} AND/OR
 *   operators, or nests too deeply to parse. The message says what to change.
 * @throws SqlTooLongError (413) when the SQL is longer than {@link MAX_SQL_LENGTH} characters.
 * @example
 * const analysis = guardSql(
 *   "SELECT membercode, count(*) FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2024-11-01' AND '2024-11-30' GROUP BY 1",
 *   { engine: 'lake', lakeTables: await catalog.listTables(), hotTables: [] },
 * );
 * analysis.tables[0]; // { name: 'events', columns: ['dt', 'event_type', 'membercode'], partitionPredicates: [eq event_type, between dt], … }
 */
export function guardSql(sql: string, options: GuardOptions): SqlAnalysis {
  const path = options.path ?? 'sql';
  const reject = (message: string): never => {
    throw new SqlRejectedError(message, path);
  };
  if (sql.length > MAX_SQL_LENGTH) throw new SqlTooLongError(sql.length, MAX_SQL_LENGTH, path);
  if (sql.trim() === '') reject('the SQL is empty; write one SELECT statement');
  lexCheck(sql, options.engine, reject);
  try {
    return analyze(sql, options, reject);
  } catch (error) {
    if (!isStackOverflow(error)) throw error;
    return reject(
      'the SQL nests too deeply for the guard to check (its parser ran out of stack); write ' +
        'fewer nested parentheses, subqueries or CASE expressions, a list of values as IN (…) or ' +
        'a bound parameter, or split the statement into several steps',
    );
  }
}

/** Parses and analyses a statement that passed the lexical check. */
function analyze(
  sql: string,
  options: GuardOptions,
  reject: (message: string) => never,
): SqlAnalysis {
  const text = options.engine === 'lake' ? normalizeGuardSyntax(sql) : undefined;
  if (text?.backslashAt !== undefined) reject(backslashMessage(sql, text.backslashAt, "'"));
  const ast = parse(sql, options.engine, reject, text);
  const statements = (Array.isArray(ast) ? ast : [ast]).filter(isNode);
  if (statements.length !== 1) {
    reject(
      `found ${statements.length} statements; send exactly one SELECT per step (split the others ` +
        `into steps of their own)`,
    );
  }
  const statement = statements[0] as Node;
  if (statement.type !== 'select') reject(notSelectMessage(statement));

  const analyzer = new Analyzer(options, reject);
  analyzer.statement(statement, undefined, new Set());
  return {
    sql,
    engine: options.engine,
    statement: 'select',
    tables: analyzer.tables(),
    warnings: analyzer.warnings(),
    paramCount: analyzer.maxParam,
  };
}
