/**
 * The guard's rules on functions and Athena-only syntax: the deny lists of each engine, Athena's
 * function list and EXTRACT fields for lake SQL, and Athena's OFFSET-before-LIMIT order.
 */
import {
  ATHENA_FUNCTIONS,
  ATHENA_FUNCTIONS_URL,
  athenaAlternative,
} from '#core/query/athena-functions';
import type { GuardEngine } from '#core/query/guard/analysis';
import { isNode, type Node } from '#core/query/guard/ast';

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
export const LAKE_FROM_FUNCTIONS = new Set(['unnest']);

/** Whether `name` matches a pattern of the list (`x*` a prefix). */
function matches(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** A call of a function the engine's deny list names, or (lake) one Athena does not have. */
export function checkFunction(
  name: string,
  qualifier: string | undefined,
  engine: GuardEngine,
  reject: (message: string) => never,
): void {
  const denied =
    engine === 'hot' ? matches(HOT_DENIED_FUNCTIONS, name) : matches(LAKE_DENIED_FUNCTIONS, name);
  if (denied) {
    reject(
      engine === 'hot'
        ? `the function ${name}() is not allowed in plan queries (it has side effects, reads ` +
            `files or runs SQL given as text); remove it`
        : `the function ${name}() is not allowed in lake queries (it reads files or settings ` +
            `outside the catalog's tables); query the tables instead`,
    );
  }
  if (engine === 'lake') checkAthenaFunction(name, qualifier, reject);
}

/**
 * A lake statement calls only functions Athena has (engine version 3, Trino's list), written
 * without a catalog or schema: locally DuckDB runs the statement, and a DuckDB-only function
 * would pass here and fail on Athena.
 */
function checkAthenaFunction(
  name: string,
  qualifier: string | undefined,
  reject: (message: string) => never,
): void {
  if (qualifier !== undefined) {
    reject(
      `write functions without a catalog or schema in lake queries: ${name}() instead of ` +
        `${qualifier}.${name}()`,
    );
  }
  if (ATHENA_FUNCTIONS.has(name)) return;
  const alternative = athenaAlternative(name);
  reject(
    `the function ${name}() does not exist on Athena (engine version 3, Trino's functions)` +
      (alternative
        ? `; use ${alternative} instead`
        : `; see the functions Athena has: ${ATHENA_FUNCTIONS_URL}`),
  );
}

export function checkExtractField(node: Node, reject: (message: string) => never): void {
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
  reject(
    `EXTRACT(${field.toUpperCase()} FROM …) does not exist on Athena (engine version 3); use ` +
      instead,
  );
}

/**
 * `LIMIT n OFFSET m` is MySQL's and PostgreSQL's order (DuckDB runs it); Athena (Trino) takes
 * OFFSET before LIMIT and rejects it. (`OFFSET m LIMIT n` parses with the offset in `limit` and
 * the count in `_limit`; `LIMIT n OFFSET m` with both in `limit`.)
 */
export function checkLimitOrder(node: Node, reject: (message: string) => never): void {
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
  reject(
    `LIMIT ${count} OFFSET ${offset} is not Athena SQL: Athena (Trino) reads OFFSET before ` +
      `LIMIT; write OFFSET ${offset} LIMIT ${count}`,
  );
}
