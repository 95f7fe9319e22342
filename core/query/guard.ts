/**
 * The SQL guard: every SQL step is parsed with a real parser (node-sql-parser) before it runs.
 * It allows exactly one read-only statement — SELECT, WITH … SELECT, UNION/INTERSECT/EXCEPT of
 * them — over known tables, and learns what the scan estimate needs: which columns of which lake
 * table the statement references and its conjunctive predicates on partition keys.
 *
 * Dialects: the lake's SQL is parsed with node-sql-parser's `trino` grammar (Athena engine v3 is
 * Trino; the grammar knows try_cast, lambdas, FILTER and `$n` parameters); the hot SQL with its
 * `postgresql` grammar. Before parsing, a lexer that follows the engines' own rules (PostgreSQL's,
 * which DuckDB shares) checks for the few places where the parser reads the text differently from
 * the engine — a backslash before a closing quote (the parser takes it as an escape, the engines
 * do not), `//` (a comment to the parser, integer division to DuckDB) and a second statement after
 * a `;` — so the parser never sees less than the engine runs. Lake SQL is then rewritten for the
 * parser (`guard-syntax.ts`): the Athena syntax node-sql-parser does not know — casts to
 * `array(…)`, `IS DISTINCT FROM`, `AT TIME ZONE`, `EXISTS`, `WITH ORDINALITY`, `GROUPING SETS`,
 * `RANGE` frames, `FETCH FIRST`, … — in forms it reads, every table, function and subquery kept
 * (and the backslashes of string literals taken out, so the parser reads strings as the engines
 * do); the engine runs the statement as written.
 *
 * Size bounds, checked before anything recursive runs: a statement is at most
 * {@link MAX_SQL_LENGTH} characters (413 `sql_too_long`) and has at most
 * {@link MAX_SQL_BOOLEAN_OPERATORS} AND/OR operators (counted by the lexer pass; 400
 * `sql_rejected`), as the parser and the analysis recurse once per operator of a chain. A
 * statement that still overflows the stack (e.g. thousands of nested parentheses) is a 400
 * `sql_rejected` saying so, never a 500.
 *
 * The guard is one layer: hot queries also run in a READ ONLY transaction as a read-only role
 * with a statement timeout, lake queries in a workgroup with a scan cutoff.
 */
import { Parser as PostgresParser } from 'node-sql-parser/build/postgresql';
import { Parser as TrinoParser } from 'node-sql-parser/build/trino';
import {
  ATHENA_FUNCTIONS,
  ATHENA_FUNCTIONS_URL,
  athenaAlternative,
} from '#core/query/athena-functions';
import { SqlRejectedError, SqlTooLongError } from '#core/query/errors';
import { normalizeGuardSyntax, type GuardText } from '#core/query/guard-syntax';
import { IDENT_PART, tokenize, type Token } from '#core/query/sql/tokenizer';
import type { CatalogTable } from '#ports/catalog';

/** Which engine the SQL is for: the lake (Athena, DuckDB locally) or the hot database (PostgreSQL). */
export type GuardEngine = 'lake' | 'hot';

/** What the guard checks a statement against. */
export interface GuardOptions {
  readonly engine: GuardEngine;
  /** The lake's tables (the catalog's): names, columns and partition keys. */
  readonly lakeTables: readonly CatalogTable[];
  /** The hot tables a plan may read (names, lowercase). */
  readonly hotTables: readonly string[];
  /** The only schema a hot table may be qualified with. @default 'public' */
  readonly hotSchema?: string;
  /** Where the SQL came from, for messages (`steps[0].sql`). @default 'sql' */
  readonly path?: string;
}

/** The comparison of a partition predicate. */
export type PartitionOp = 'eq' | 'in' | 'between' | 'lt' | 'le' | 'gt' | 'ge';

/** A value of a partition predicate: a string literal, or the `$n` parameter. */
export type PartitionValue = string | { readonly param: number };

/**
 * One conjunctive constraint on a partition key in a WHERE clause (`dt BETWEEN '…' AND '…'`,
 * `event_type IN ('Login', $1)`). `between` has two values (low, high); `in` one or more; the
 * others one.
 */
export interface PartitionPredicate {
  readonly key: string;
  readonly op: PartitionOp;
  readonly values: readonly PartitionValue[];
}

/** One place where the statement reads a table (a UNION of two event types reads it twice). */
export interface TableOccurrence {
  /** Lowercased columns this occurrence references (every column with `*`). */
  readonly columns: readonly string[];
  readonly partitionPredicates: readonly PartitionPredicate[];
}

/** A table the statement reads. */
export interface AnalyzedTable {
  readonly name: string;
  /**
   * Lowercased columns of the table the statement references, partition keys included (all of
   * them when `*` is used). For hot tables, whose columns the guard does not know, best effort.
   */
  readonly columns: readonly string[];
  /**
   * Partition predicates that hold for every occurrence of the table (each occurrence's own are
   * in `occurrences`). Only literal strings and `$n` parameters; an OR does not count.
   */
  readonly partitionPredicates: readonly PartitionPredicate[];
  /** Each place the statement reads the table, in statement order. */
  readonly occurrences: readonly TableOccurrence[];
}

/** What the guard learned about an accepted statement. */
export interface SqlAnalysis {
  readonly sql: string;
  readonly engine: GuardEngine;
  readonly statement: 'select';
  /** The tables read, in order of first appearance (CTE names are not tables). */
  readonly tables: readonly AnalyzedTable[];
  /** E.g. `SELECT *` — returned with the result, not errors. */
  readonly warnings: readonly string[];
  /** The highest `$n` the statement uses (0 without parameters). */
  readonly paramCount: number;
}

/**
 * Functions a hot query may not call: side effects (sleep, signalling backends, settings, large
 * objects, advisory locks, sequences, notifications), file and network access, and functions that
 * run SQL given as text (which would bypass the table check). Matched on the lowercased name
 * without schema; entries ending with `*` are prefixes.
 */
export const HOT_DENIED_FUNCTIONS: readonly string[] = [
  'pg_sleep*',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_read_*',
  'pg_ls_*',
  'pg_stat_file',
  'pg_file_*',
  'pg_advisory*',
  'pg_try_advisory*',
  'pg_notify',
  'pg_switch_wal',
  'pg_create_*',
  'pg_drop_*',
  'pg_replication_*',
  'pg_logical_*',
  'pg_promote',
  'pg_backup_*',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_import_system_collations',
  'pg_export_snapshot',
  'pg_log_backend_memory_contexts',
  'set_config',
  'lo_*',
  'dblink*',
  'nextval',
  'setval',
  'query_to_xml*',
  'table_to_xml*',
  'cursor_to_xml*',
  'schema_to_xml*',
  'database_to_xml*',
];

/**
 * Functions a lake query may not call: DuckDB's file, settings and secrets readers (locally the
 * lake engine is DuckDB, which could otherwise read any file); they do not exist on Athena.
 */
export const LAKE_DENIED_FUNCTIONS: readonly string[] = [
  'read_*',
  'parquet_*',
  'glob',
  'sniff_csv',
  'query',
  'query_table',
  'getenv',
  'duckdb_*',
  'current_setting',
  'iceberg_*',
  'delta_scan',
];

/** The fields of Trino's EXTRACT (Athena engine version 3). */
const TRINO_EXTRACT_FIELDS: readonly string[] = [
  'year',
  'quarter',
  'month',
  'week',
  'day',
  'day_of_month',
  'day_of_week',
  'dow',
  'day_of_year',
  'doy',
  'year_of_week',
  'yow',
  'hour',
  'minute',
  'second',
  'timezone_hour',
  'timezone_minute',
];

/** Set-returning functions a lake query may use in FROM. */
const LAKE_FROM_FUNCTIONS = new Set(['unnest']);

/** AST node types that are statements other than SELECT. */
const STATEMENT_TYPES = new Set([
  'insert',
  'replace',
  'update',
  'delete',
  'merge',
  'create',
  'drop',
  'alter',
  'truncate',
  'rename',
  'grant',
  'revoke',
  'call',
  'set',
  'use',
  'show',
  'desc',
  'explain',
  'lock',
  'unlock',
  'transaction',
  'load_data',
  'exec',
  'declare',
  'deallocate',
  'prepare',
  'execute',
  'copy',
  'unload',
  'analyze',
  'vacuum',
  'attach',
  'detach',
]);

/**
 * The longest SQL statement the guard reads, in characters: 64 Ki. Longer text is refused before
 * it is parsed (413 `sql_too_long`); a long list of values belongs in a bound parameter.
 */
export const MAX_SQL_LENGTH = 65_536;

/**
 * The most AND/OR operators a statement may have (the AND of `BETWEEN … AND …` not counted):
 * 1,000. The parser and the analysis recurse once per operator of a chain; more is refused by the
 * lexer pass before parsing (400 `sql_rejected`): write a list as `IN (…)` or a bound parameter.
 */
export const MAX_SQL_BOOLEAN_OPERATORS = 1_000;

type Node = { readonly [key: string]: unknown };

const trino = new TrinoParser();
const postgres = new PostgresParser();

/**
 * Parses with the engine's dialect: PostgreSQL for hot SQL; Trino for lake SQL (as rewritten for
 * the parser, `text`), falling back to PostgreSQL for the few constructs node-sql-parser's Trino
 * grammar lacks (a scalar subquery in the select list) — both grammars give the same AST shapes.
 * Reports the first grammar's error, at its place in the statement as written.
 */
function parse(
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

/** A JavaScript stack overflow ("Maximum call stack size exceeded"). */
function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
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

// ---------------------------------------------------------------------------------------------
// Lexical check, by the engine's rules

/**
 * Reads the SQL with the engines' lexical rules (the query layer's tokenizer) and rejects the
 * constructs the parser would read differently from the engine, and statements with more than
 * {@link MAX_SQL_BOOLEAN_OPERATORS} AND/OR operators.
 */
function lexCheck(sql: string, engine: GuardEngine, reject: (message: string) => never): void {
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

function backslashMessage(sql: string, start: number, quote: string): string {
  return (
    `the ${quote === "'" ? 'string' : 'quoted name'} ${excerpt(sql, start)} ends with a backslash, ` +
    `which the engines take literally but the parser as an escape; write a quote inside a ` +
    `string as '' (two quotes), build the backslash with chr(92), or pick another LIKE escape ` +
    `character (ESCAPE '!')`
  );
}

function excerpt(sql: string, offset: number): string {
  const text = sql.slice(offset, offset + 30).replace(/\s+/gu, ' ');
  return `'${text}${offset + 30 < sql.length ? '…' : ''}'`;
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

function notSelectMessage(statement: Node): string {
  const type = String(statement.type ?? 'unknown');
  const keyword = typeof statement.keyword === 'string' ? ` ${statement.keyword}` : '';
  const ctas = type === 'create' && isNode(statement.query_expr) ? ' … AS SELECT (CTAS)' : '';
  return (
    `only read-only SELECT statements may run; found ${type.toUpperCase()}${keyword.toUpperCase()}` +
    `${ctas}. Write a SELECT (results come back with the plan; nothing is written)`
  );
}

// ---------------------------------------------------------------------------------------------
// AST analysis

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An identifier from the AST's various shapes: 'x', {value: 'x'}, {expr: {value: 'x'}}. */
function identName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isNode(value)) return undefined;
  if (typeof value.value === 'string') return value.value;
  if (value.expr !== undefined) return identName(value.expr);
  return undefined;
}

/** A function's name, lowercased, without schema. */
function functionName(node: Node): string {
  const name = node.name;
  if (typeof name === 'string') return name.toLowerCase();
  if (isNode(name) && Array.isArray(name.name)) {
    const parts = name.name.map((part) => identName(part) ?? '');
    return (parts[parts.length - 1] ?? '').toLowerCase();
  }
  if (isNode(name) && isNode(name.name)) return (identName(name.name) ?? '').toLowerCase();
  return (identName(name) ?? '').toLowerCase();
}

/** The schema (and catalog) a function call names, `a.b` for `a.b.f()`, if any. */
function functionQualifier(node: Node): string | undefined {
  const name = node.name;
  if (!isNode(name)) return undefined;
  if (Array.isArray(name.name) && name.name.length > 1) {
    return name.name
      .slice(0, -1)
      .map((part) => identName(part) ?? '')
      .join('.');
  }
  return identName(name.schema);
}

/** The SELECT of a subquery wrapper ({ast: …}) or the node itself. */
function selectOf(value: unknown): Node | undefined {
  if (!isNode(value)) return undefined;
  if (value.type === 'select') return value;
  if (isNode(value.ast)) return selectOf(value.ast);
  return undefined;
}

/** An alias as the parser gives it (`x`, `x(a, b)` for column aliases), lowercased. */
function aliasName(value: unknown): string | undefined {
  const name = identName(value);
  if (name === undefined) return undefined;
  return (name.split('(')[0] ?? name).trim().toLowerCase();
}

function matches(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

interface TableInfo {
  readonly name: string;
  /** Known columns (lake), or undefined (hot: names only). */
  readonly columns: readonly string[] | undefined;
  readonly partitionKeys: readonly string[];
}

interface Occurrence {
  readonly table: TableInfo;
  readonly columns: Set<string>;
  predicates: PartitionPredicate[];
  /** Per partition key, the comparisons that restrict it (with values or not). */
  restricted: Map<string, Set<PartitionOp>>;
}

interface Source {
  readonly alias: string;
  /** The table's own name (for a qualifier that names the table behind an odd alias). */
  readonly tableName?: string;
  readonly occurrence?: Occurrence;
}

interface Scope {
  readonly sources: Source[];
  readonly parent: Scope | undefined;
}

/** Walks the AST once: tables, columns, functions, parameters, partition predicates. */
class Analyzer {
  maxParam = 0;
  private readonly occurrences: Occurrence[] = [];
  private readonly warned = new Set<string>();
  private readonly lake: Map<string, CatalogTable>;

  constructor(
    private readonly options: GuardOptions,
    private readonly reject: (message: string) => never,
  ) {
    this.lake = new Map(options.lakeTables.map((t) => [t.name.toLowerCase(), t]));
  }

  /** One SELECT (with its CTEs and its UNION/INTERSECT/EXCEPT chain). */
  statement(node: Node, parent: Scope | undefined, ctes: ReadonlySet<string>): void {
    if (node.type !== 'select') this.reject(notSelectMessage(node));
    const into = node.into;
    if (isNode(into) && (into.position != null || into.expr != null)) {
      this.reject(
        'SELECT … INTO creates a table; only read-only SELECT may run — remove INTO (results come back with the plan)',
      );
    }
    for (const key of ['locking_read', 'for_update', 'lock']) {
      if (node[key] != null && node[key] !== false) {
        this.reject('locking clauses (FOR UPDATE, FOR SHARE) are not allowed; remove them');
      }
    }
    if (this.options.engine === 'lake') this.limitOrder(node);
    const visible = new Set(ctes);
    for (const cte of Array.isArray(node.with) ? node.with : []) {
      if (!isNode(cte)) continue;
      const name = (identName(cte.name) ?? '').toLowerCase();
      visible.add(name);
      const body = isNode(cte.stmt) && isNode(cte.stmt.ast) ? cte.stmt.ast : cte.stmt;
      if (!isNode(body)) continue;
      if (body.type !== 'select' && typeof body.type === 'string')
        this.reject(notSelectMessage(body));
      this.statement(selectOf(body) ?? body, parent, visible);
    }

    const scope: Scope = { sources: [], parent };
    const from = Array.isArray(node.from) ? node.from.filter(isNode) : [];
    for (const item of from) this.source(item, scope, visible);
    for (const item of from) {
      if (item.on != null) this.walk(item.on, scope, visible);
      if (Array.isArray(item.using)) {
        for (const column of item.using) this.column(undefined, identName(column), scope);
      }
    }
    for (const [key, value] of Object.entries(node)) {
      if (['with', 'from', '_next', 'into', 'set_op', 'type'].includes(key)) continue;
      this.walk(value, scope, visible);
    }
    this.partitionFilters(node.where, scope);

    if (isNode(node._next)) this.statement(node._next, parent, visible);
  }

  /**
   * `LIMIT n OFFSET m` is MySQL's and PostgreSQL's order (DuckDB runs it); Athena (Trino) takes
   * OFFSET before LIMIT and rejects it. (`OFFSET m LIMIT n` parses with the offset in `limit` and
   * the count in `_limit`; `LIMIT n OFFSET m` with both in `limit`.)
   */
  private limitOrder(node: Node): void {
    const limit = node.limit;
    if (!isNode(limit) || limit.seperator !== 'offset' || !Array.isArray(limit.value)) return;
    if (limit.value.length !== 2) return;
    const [count, offset] = limit.value.map((value: unknown) =>
      isNode(value) && value.type === 'number'
        ? String(value.value)
        : isNode(value) && value.type === 'var' && value.prefix === '$'
          ? `$${String(value.name)}`
          : '…',
    );
    this.reject(
      `LIMIT ${count} OFFSET ${offset} is not Athena SQL: Athena (Trino) reads OFFSET before ` +
        `LIMIT; write OFFSET ${offset} LIMIT ${count}`,
    );
  }

  /** One FROM item: a table, a CTE, a subquery, or a table function. */
  private source(item: Node, scope: Scope, ctes: ReadonlySet<string>): void {
    const sub = selectOf(item.expr);
    if (sub) {
      const lateral = String(item.prefix ?? '').toUpperCase() === 'LATERAL';
      this.statement(sub, lateral ? scope : scope.parent, ctes);
      scope.sources.push({ alias: aliasName(item.as) ?? '' });
      return;
    }
    if (isNode(item.expr) && isNode(item.expr.ast) && typeof item.expr.ast.type === 'string') {
      this.reject(notSelectMessage(item.expr.ast));
    }
    const tableName = identName(item.table);
    if (tableName === undefined || item.expr != null) {
      // A table function (unnest, generate_series, …) or another construct: walk it.
      if (isNode(item.expr) && (item.expr.type === 'function' || item.expr.type === 'aggr_func')) {
        const name = functionName(item.expr);
        if (this.options.engine === 'lake' && !LAKE_FROM_FUNCTIONS.has(name)) {
          this.reject(
            `the table function ${name}() is not allowed in FROM of a lake query; read the lake's ` +
              `tables (${this.lakeNames()}), or UNNEST an array column`,
          );
        }
      }
      this.walk(item.expr, scope, ctes);
      scope.sources.push({ alias: aliasName(item.as) ?? '' });
      return;
    }
    const name = tableName.toLowerCase();
    const schema = identName(item.db) ?? identName(item.schema);
    if (schema === undefined && ctes.has(name)) {
      scope.sources.push({ alias: aliasName(item.as) ?? name });
      return;
    }
    const table = this.table(name, schema);
    const occurrence: Occurrence = {
      table,
      columns: new Set(),
      predicates: [],
      restricted: new Map(),
    };
    this.occurrences.push(occurrence);
    scope.sources.push({ alias: aliasName(item.as) ?? name, tableName: name, occurrence });
  }

  /** A base table, known to the engine's list. */
  private table(name: string, schema: string | undefined): TableInfo {
    if (this.options.engine === 'lake') {
      if (schema !== undefined) {
        this.reject(
          `write lake tables without a database or schema: '${name}' instead of '${schema}.${name}'`,
        );
      }
      const table = this.lake.get(name);
      if (!table) {
        this.reject(
          `table '${name}' is not in the lake catalog; known tables: ${this.lakeNames()}` +
            (this.options.hotTables.includes(name)
              ? ` ('${name}' is a hot table: use an AuroraQuery step)`
              : ''),
        );
      }
      return {
        name,
        columns: table.columns.map((c) => c.name.toLowerCase()),
        partitionKeys: table.partitionKeys.map((k) => k.toLowerCase()),
      };
    }
    const allowedSchema = (this.options.hotSchema ?? 'public').toLowerCase();
    if (schema !== undefined && schema.toLowerCase() !== allowedSchema) {
      this.reject(
        `schema '${schema}' is not readable; plans read only the tables ${this.hotNames()} ` +
          `(unqualified, or qualified with ${allowedSchema})`,
      );
    }
    if (!this.options.hotTables.map((t) => t.toLowerCase()).includes(name)) {
      this.reject(
        `table '${name}' is not a hot table plans may read; known tables: ${this.hotNames()}` +
          (this.lake.has(name) ? ` ('${name}' is in the lake: use an AthenaQuery step)` : ''),
      );
    }
    return { name, columns: undefined, partitionKeys: [] };
  }

  private hotNames(): string {
    return [...this.options.hotTables].sort().join(', ') || '(none)';
  }

  private lakeNames(): string {
    return [...this.lake.keys()].sort().join(', ') || '(none)';
  }

  /** Every node below `value`: column refs, functions, parameters, nested SELECTs. */
  private walk(value: unknown, scope: Scope, ctes: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, scope, ctes);
      return;
    }
    if (!isNode(value)) return;
    if (value.type === 'select') {
      this.statement(value, scope, ctes);
      return;
    }
    if (isNode(value.ast)) {
      const inner = value.ast;
      if (typeof inner.type === 'string' && STATEMENT_TYPES.has(inner.type)) {
        this.reject(notSelectMessage(inner));
      }
      this.walk(inner, scope, ctes);
      return;
    }
    switch (value.type) {
      case 'column_ref':
        this.column(identName(value.table), identName(value.column), scope);
        return;
      case 'function':
      case 'aggr_func':
        this.function(functionName(value), functionQualifier(value));
        break;
      case 'extract':
        if (this.options.engine === 'lake') this.extractField(value);
        break;
      case 'var':
        if (value.prefix === '$' && typeof value.name === 'number') {
          this.maxParam = Math.max(this.maxParam, value.name);
        }
        return;
      default:
        break;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'tableList' || key === 'columnList') continue;
      this.walk(child, scope, ctes);
    }
  }

  private function(name: string, qualifier?: string): void {
    const denied =
      this.options.engine === 'hot'
        ? matches(HOT_DENIED_FUNCTIONS, name)
        : matches(LAKE_DENIED_FUNCTIONS, name);
    if (denied) {
      this.reject(
        this.options.engine === 'hot'
          ? `the function ${name}() is not allowed in plan queries (it has side effects, reads ` +
              `files or runs SQL given as text); remove it`
          : `the function ${name}() is not allowed in lake queries (it reads files or settings ` +
              `outside the catalog's tables); query the tables instead`,
      );
    }
    if (this.options.engine === 'lake') this.athenaFunction(name, qualifier);
  }

  /**
   * A lake statement calls only functions Athena has (engine version 3, Trino's list), written
   * without a catalog or schema: locally DuckDB runs the statement, and a DuckDB-only function
   * would pass here and fail on Athena.
   */
  private athenaFunction(name: string, qualifier: string | undefined): void {
    if (qualifier !== undefined) {
      this.reject(
        `write functions without a catalog or schema in lake queries: ${name}() instead of ` +
          `${qualifier}.${name}()`,
      );
    }
    if (ATHENA_FUNCTIONS.has(name)) return;
    const alternative = athenaAlternative(name);
    this.reject(
      `the function ${name}() does not exist on Athena (engine version 3, Trino's functions)` +
        (alternative
          ? `; use ${alternative} instead`
          : `; see the functions Athena has: ${ATHENA_FUNCTIONS_URL}`),
    );
  }

  /** EXTRACT takes Trino's fields only (DuckDB also runs EPOCH, ISODOW, …). */
  private extractField(node: Node): void {
    const args = isNode(node.args) ? node.args : {};
    const field = String(args.field ?? '').toLowerCase();
    if (TRINO_EXTRACT_FIELDS.includes(field)) return;
    const instead =
      field === 'epoch'
        ? 'to_unixtime(x)'
        : field === 'isodow'
          ? 'day_of_week(x)'
          : field === 'isoyear'
            ? 'year_of_week(x)'
            : `one of ${TRINO_EXTRACT_FIELDS.map((f) => f.toUpperCase()).join(', ')}`;
    this.reject(
      `EXTRACT(${field.toUpperCase()} FROM …) does not exist on Athena (engine version 3); use ` +
        instead,
    );
  }

  /** Attributes a column reference to the table(s) it reads. */
  private column(qualifier: string | undefined, name: string | undefined, scope: Scope): void {
    if (name === undefined) return;
    const column = name.toLowerCase();
    const qual = qualifier?.toLowerCase();
    if (column === '*') {
      const targets = qual
        ? [this.find(qual, scope)].filter((s): s is Source => s !== undefined)
        : scope.sources;
      for (const source of targets) {
        if (!source.occurrence) continue;
        const { table } = source.occurrence;
        for (const c of [...(table.columns ?? []), ...table.partitionKeys]) {
          source.occurrence.columns.add(c);
        }
        if (table.columns === undefined) source.occurrence.columns.add('*');
        this.warnStar(table);
      }
      return;
    }
    if (qual) {
      const source = this.find(qual, scope);
      if (source?.occurrence) {
        const { table } = source.occurrence;
        if (table.columns && !has(table, column) && !column.startsWith('$')) {
          this.reject(
            `column '${column}' is not a column of ${table.name}; its columns: ` +
              `${[...table.partitionKeys, ...table.columns].join(', ')}`,
          );
        }
        source.occurrence.columns.add(column);
        return;
      }
      if (source) return;
      // Not a table: maybe `struct_column.field` — count the struct column.
      this.unqualified(qual, scope);
      return;
    }
    this.unqualified(column, scope);
  }

  /** An unqualified column: the table(s) in the nearest scope that have it. */
  private unqualified(column: string, scope: Scope): void {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const bases = s.sources.filter((src) => src.occurrence);
      const having = bases.filter((src) => has((src.occurrence as Occurrence).table, column));
      if (having.length > 0) {
        for (const src of having) src.occurrence?.columns.add(column);
        return;
      }
      const unknown = bases.filter((src) => src.occurrence?.table.columns === undefined);
      if (unknown.length > 0 && unknown.length === bases.length) {
        for (const src of unknown) src.occurrence?.columns.add(column);
        return;
      }
      // A derived table's column, a select alias or a lambda argument: nothing to count here.
      if (s.sources.length > 0 && bases.length < s.sources.length) return;
    }
  }

  /** The source a qualifier names: an alias in this or an outer scope, else a table's name. */
  private find(qualifier: string, scope: Scope): Source | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const byAlias = s.sources.find((src) => src.alias === qualifier);
      if (byAlias) return byAlias;
    }
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const byTable = s.sources.find((src) => src.tableName === qualifier);
      if (byTable) return byTable;
    }
    return undefined;
  }

  private warnStar(table: TableInfo): void {
    const message =
      this.options.engine === 'lake'
        ? `SELECT * on ${table.name} reads all ${(table.columns?.length ?? 0) + table.partitionKeys.length} ` +
          `columns and is billed for each; name only the columns you need`
        : `SELECT * on ${table.name} returns every column; name only the columns you need`;
    this.warned.add(message);
  }

  /**
   * The conjunctive partition predicates of `where` for each base table of the scope, and the
   * pruning rule (cost control): a partitioned lake table must be filtered on its time key —
   * `dt`, or `year` of a year/month/day table. A bounded filter (=, IN, BETWEEN, or both a lower
   * and an upper bound) passes; a one-sided one passes with a warning (the scan estimate, checked
   * against the limit before anything runs, is what stops a query that reads too much); none is
   * rejected. Filters on the other keys (`event_type`, `month`, `day`) only prune.
   */
  private partitionFilters(where: unknown, scope: Scope): void {
    const conjuncts = splitAnd(where);
    for (const source of scope.sources) {
      const occurrence = source.occurrence;
      if (!occurrence || occurrence.table.partitionKeys.length === 0) continue;
      for (const conjunct of conjuncts) {
        const found = this.predicate(conjunct, source, scope);
        if (!found) continue;
        const ops = occurrence.restricted.get(found.key) ?? new Set<PartitionOp>();
        ops.add(found.op);
        occurrence.restricted.set(found.key, ops);
        if (found.predicate) occurrence.predicates.push(found.predicate);
      }
      if (this.options.engine !== 'lake') continue;
      const table = occurrence.table;
      const timeKey = timeKeyOf(table.partitionKeys);
      if (timeKey === undefined) {
        // Not a layout Thermocline writes: every key must be restricted.
        if (table.partitionKeys.some((k) => !occurrence.restricted.has(k))) {
          this.reject(missingFilterMessage(table, [...table.partitionKeys]));
        }
        continue;
      }
      const ops = occurrence.restricted.get(timeKey);
      if (!ops) this.reject(missingFilterMessage(table, [timeKey]));
      if (!isBounded(ops)) this.warned.add(unboundedWarning(table, timeKey, ops));
    }
  }

  /** A restriction of one partition key of `source` by `conjunct`, if it is one. */
  private predicate(
    conjunct: Node,
    source: Source,
    scope: Scope,
  ): { key: string; op: PartitionOp; predicate?: PartitionPredicate } | undefined {
    if (conjunct.type !== 'binary_expr') return undefined;
    const operator = String(conjunct.operator ?? '').toUpperCase();
    const op = OPERATORS[operator];
    if (!op) return undefined;
    let keySide = this.partitionKeyOf(conjunct.left, source, scope);
    let valueSide = conjunct.right;
    let flipped = false;
    if (!keySide && op !== 'in' && op !== 'between') {
      keySide = this.partitionKeyOf(conjunct.right, source, scope);
      valueSide = conjunct.left;
      flipped = true;
    }
    if (!keySide) return undefined;
    const values =
      op === 'in' || op === 'between'
        ? isNode(valueSide) && Array.isArray(valueSide.value)
          ? valueSide.value.map(constantValue)
          : [undefined]
        : [constantValue(valueSide)];
    if (values.some((v) => v === undefined)) return undefined;
    if (op === 'between' && values.length !== 2) return undefined;
    const usable = values.filter((v): v is PartitionValue => v !== OTHER);
    const direction = flipped ? FLIP[op] : op;
    if (usable.length !== values.length) return { key: keySide, op: direction };
    return {
      key: keySide,
      op: direction,
      predicate: { key: keySide, op: direction, values: usable },
    };
  }

  /** The partition key `node` names, if it is a column of `source`'s table that is a key. */
  private partitionKeyOf(node: unknown, source: Source, scope: Scope): string | undefined {
    if (!isNode(node) || node.type !== 'column_ref' || !source.occurrence) return undefined;
    const column = identName(node.column)?.toLowerCase();
    if (!column || !source.occurrence.table.partitionKeys.includes(column)) return undefined;
    const qualifier = identName(node.table)?.toLowerCase();
    if (qualifier !== undefined) return this.find(qualifier, scope) === source ? column : undefined;
    return column;
  }

  tables(): AnalyzedTable[] {
    const byName = new Map<string, Occurrence[]>();
    for (const occurrence of this.occurrences) {
      const list = byName.get(occurrence.table.name) ?? [];
      list.push(occurrence);
      byName.set(occurrence.table.name, list);
    }
    return [...byName].map(([name, occurrences]) => {
      const columns = new Set(occurrences.flatMap((o) => [...o.columns]));
      const [first, ...rest] = occurrences;
      const common = (first?.predicates ?? []).filter((p) =>
        rest.every((o) => o.predicates.some((q) => samePredicate(p, q))),
      );
      return {
        name,
        columns: [...columns].sort(),
        partitionPredicates: common,
        occurrences: occurrences.map((o) => ({
          columns: [...o.columns].sort(),
          partitionPredicates: o.predicates,
        })),
      };
    });
  }

  warnings(): string[] {
    return [...this.warned];
  }
}

/** A constant the guard cannot compare with partition values. */
const OTHER = Symbol('other constant');

const OPERATORS: Readonly<Record<string, PartitionOp>> = {
  '=': 'eq',
  IN: 'in',
  BETWEEN: 'between',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

const FLIP: Readonly<Record<PartitionOp, PartitionOp>> = {
  eq: 'eq',
  in: 'in',
  between: 'between',
  lt: 'gt',
  le: 'ge',
  gt: 'lt',
  ge: 'le',
};

function has(table: TableInfo, column: string): boolean {
  return table.partitionKeys.includes(column) || (table.columns ?? []).includes(column);
}

/** Top-level AND conjuncts (an OR, or anything else, is one conjunct). */
function splitAnd(where: unknown): Node[] {
  if (!isNode(where)) return [];
  if (where.type === 'binary_expr' && String(where.operator).toUpperCase() === 'AND') {
    return [...splitAnd(where.left), ...splitAnd(where.right)];
  }
  return [where];
}

/**
 * A comparison's constant side: a string literal, `$n`, OTHER for a constant the guard cannot
 * compare (a number, a date literal, a function of constants — still a restriction), or
 * undefined when it reads columns (not a restriction).
 */
function constantValue(node: unknown): PartitionValue | typeof OTHER | undefined {
  if (!isNode(node)) return undefined;
  if (
    (node.type === 'single_quote_string' || node.type === 'string') &&
    typeof node.value === 'string'
  ) {
    return node.value;
  }
  if (node.type === 'var' && node.prefix === '$' && typeof node.name === 'number') {
    return { param: node.name };
  }
  if (node.type === 'null' || node.type === 'bool') return undefined;
  return readsColumns(node) ? undefined : OTHER;
}

function readsColumns(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(readsColumns);
  if (!isNode(value)) return false;
  if (value.type === 'column_ref' || value.type === 'select' || isNode(value.ast)) return true;
  return Object.values(value).some(readsColumns);
}

/**
 * The partition key that bounds a table's scan in time: `dt` (layout `<column>=X/dt=D/`) or
 * `year` (layout `year=/month=/day=`); undefined for other layouts.
 */
function timeKeyOf(keys: readonly string[]): string | undefined {
  if (keys.includes('dt')) return 'dt';
  if (keys.length === 3 && keys[0] === 'year' && keys[1] === 'month' && keys[2] === 'day') {
    return 'year';
  }
  return undefined;
}

/** =, IN, BETWEEN, or both a lower and an upper bound. */
function isBounded(ops: ReadonlySet<PartitionOp>): boolean {
  if (ops.has('eq') || ops.has('in') || ops.has('between')) return true;
  return (ops.has('lt') || ops.has('le')) && (ops.has('gt') || ops.has('ge'));
}

function unboundedWarning(table: TableInfo, key: string, ops: ReadonlySet<PartitionOp>): string {
  const missing = ops.has('gt') || ops.has('ge') ? 'upper' : 'lower';
  const example = key === 'dt' ? `dt BETWEEN '2025-02-01' AND '2025-02-15'` : `year = '2025'`;
  return (
    `the filter on ${key} of ${table.name} has no ${missing} bound, so the query reads every ` +
    `partition on that side; it runs only while its scan estimate is within the limit — add ` +
    `an ${missing} bound (e.g. ${example}) to read fewer days`
  );
}

function missingFilterMessage(table: TableInfo, required: readonly string[]): string {
  const keys = required.join(' and ');
  const example =
    required.length === 1 && required[0] === 'year'
      ? `WHERE year = '2025' (AND month = '02' to read less)`
      : required.length === 1 && required[0] === 'dt'
        ? `WHERE dt BETWEEN '2025-02-01' AND '2025-02-15'`
        : `WHERE ${required.map((k) => `${k} = '<value>'`).join(' AND ')}`;
  return (
    `queries on partitioned table '${table.name}' must filter on its partition ` +
    `key${required.length > 1 ? 's' : ''} ${keys} in WHERE, e.g. … ${example} (with =, IN, ` +
    `BETWEEN, or both a lower and an upper bound with <, <=, >, >=; values or $n parameters, ` +
    `ANDed with the rest of the WHERE) — it bounds the days the query scans`
  );
}

function samePredicate(a: PartitionPredicate, b: PartitionPredicate): boolean {
  return a.key === b.key && a.op === b.op && JSON.stringify(a.values) === JSON.stringify(b.values);
}
