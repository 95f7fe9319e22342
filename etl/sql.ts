/** SQL the export runs on PostgreSQL, and the matching checksum expressions for the encoder. */
import type { TableConfig } from '#core/config/schema';
import { qualify, quoteIdent } from '#core/sql/ident';
import type { ColumnPlan } from '#etl/types';
import { addDays } from '#core/days';

/** The UTC bounds of a day: [start, end). */
export function dayBounds(day: string): { start: string; end: string } {
  return { start: `${day} 00:00:00+00`, end: `${addDays(day, 1)} 00:00:00+00` };
}

/**
 * A part of a table-day by its timestamp column: `[from, to)`, each bound a value of the column as
 * PostgreSQL prints it (e.g. `'2025-02-15 06:00:00.25+00'`), or null for the day's own bound.
 * A chunked export (`etl/chunks.ts`) exports a day as such ranges.
 */
export interface DayRange {
  readonly from: string | null;
  readonly to: string | null;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The WHERE condition of a table-day (or of a range of it).
 * @example
 * dayCondition(agentTasks, '2025-02-15');
 * // "created_at" >= TIMESTAMPTZ '2025-02-15 00:00:00+00' AND "created_at" < TIMESTAMPTZ '2025-02-16 00:00:00+00'
 */
export function dayCondition(table: TableConfig, day: string, range?: DayRange): string {
  const { start, end } = dayBounds(day);
  const ts = quoteIdent(table.timestamp_column);
  const filter = `${ts} >= TIMESTAMPTZ '${start}' AND ${ts} < TIMESTAMPTZ '${end}'`;
  // A bound is compared as a literal of the column's own type, so it is the exact value printed.
  const from = range?.from != null ? ` AND ${ts} >= ${literal(range.from)}` : '';
  const to = range?.to != null ? ` AND ${ts} < ${literal(range.to)}` : '';
  return filter + from + to;
}

/**
 * The SELECT of one table-day, as COPY streams it (also recorded in the manifest).
 * @example
 * sourceSelect('public', agentTasks, plans, '2025-02-15');
 * // SELECT "id", … FROM "public"."agent_tasks" WHERE "created_at" >= TIMESTAMPTZ '2025-02-15 00:00:00+00' AND …
 */
export function sourceSelect(
  schema: string,
  table: TableConfig,
  plans: readonly ColumnPlan[],
  day: string,
  range?: DayRange,
): string {
  const columns = plans
    .map((p) =>
      p.pgExtract === quoteIdent(p.name) ? p.pgExtract : `${p.pgExtract} AS ${quoteIdent(p.name)}`,
    )
    .join(', ');
  return `SELECT ${columns} FROM ${qualify(schema, table.name)} WHERE ${dayCondition(table, day, range)}`;
}

/** COPY of a SELECT as PostgreSQL CSV. */
export function copyCsv(select: string): string {
  return `COPY (${select}) TO STDOUT (FORMAT csv)`;
}

const SEPARATOR = 'chr(31)';

/** A row's canonical text from per-column canonical expressions (NULL as `\N`). */
function rowCanonical(expressions: readonly string[]): string {
  return expressions.map((e) => `coalesce(${e}, '\\N')`).join(` || ${SEPARATOR} || `);
}

/** PostgreSQL expression of a row's canonical text. */
export function pgRowCanonical(plans: readonly ColumnPlan[]): string {
  return rowCanonical(plans.map((p) => p.pgCanonical));
}

/**
 * Encoder (DuckDB) expression of a row's canonical text: the same text as {@link rowCanonical}'s,
 * built by one `concat()` of its parts (none is NULL) — DuckDB then copies each row's text once,
 * where a chain of `||` copied it again at every step (a third of the files' checksum time).
 */
export function duckRowCanonical(plans: readonly ColumnPlan[]): string {
  const parts = plans.map((p) => `coalesce(${p.duckdbCanonical}, '\\N')`);
  return `concat(${parts.join(`, ${SEPARATOR}, `)})`;
}

/**
 * Rows and the sum of 60-bit row hashes (md5 of the canonical text) of a table-day, optionally
 * per value of a column. The sum does not depend on row order.
 */
export function sourceChecksumSql(
  schema: string,
  table: TableConfig,
  plans: readonly ColumnPlan[],
  day: string,
  groupBy?: string,
  range?: DayRange,
): string {
  const key = groupBy ? `${quoteIdent(groupBy)}::text` : 'NULL::text';
  return `SELECT ${key} AS k, count(*)::bigint AS n,
       coalesce(sum(('x' || substr(md5(${pgRowCanonical(plans)}), 1, 15))::bit(60)::bigint), 0)::text AS s
  FROM ${qualify(schema, table.name)} WHERE ${dayCondition(table, day, range)} GROUP BY 1`;
}
