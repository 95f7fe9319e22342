/**
 * The two SQL queries of a routed `TableRange` step (`#core/query/range-route`): PostgreSQL for the
 * hot days, the lake engine for the cold days. Both are built from the validated step —
 * identifiers quoted, every value a `$n` parameter, never text spliced into SQL — with the same
 * projection and order, the hot side rendering its values as the lake holds them.
 */
import { quoteIdent } from '#core/sql/ident';
import type { CatalogTable } from '#ports/catalog';
import type { QueryParam } from '#ports/query-engine';
import {
  orderColumns,
  type DayRange,
  type RangeColumn,
  type RoutedRange,
} from '#core/query/range-route';
import { addDays } from '#core/days';

/** One side's SQL and parameters. */
export interface SideQuery {
  readonly sql: string;
  readonly params: QueryParam[];
}

/** Appends a parameter and returns its placeholder. */
function placeholder(params: QueryParam[], value: QueryParam): string {
  params.push(value);
  return `$${params.length}`;
}

/**
 * The PostgreSQL query of the hot days: the projection (timestamps and JSON rendered as the lake
 * holds them), the timestamp range `[from 00:00, to + 1 00:00)` UTC, the filters (`= $n`, lists
 * `= ANY($n)`), ordered by timestamp and key, at most the step's limit rows.
 * @example
 * buildHotQuery(routed, { from: '2025-02-01', to: '2025-02-15' }).sql;
 * // 'SELECT "id", … FROM "events" WHERE "events"."occurred_at" >= CAST($1 AS timestamptz) AND … LIMIT 10000'
 */
export function buildHotQuery(routed: RoutedRange, days: DayRange): SideQuery {
  const { table, catalogTable, step } = routed;
  const params: QueryParam[] = [];
  const name = quoteIdent(table.name);
  const ts = `${name}.${quoteIdent(table.timestamp_column)}`;
  const tsType = timestampCast(catalogTable, table.timestamp_column);
  const bound = (day: string): string =>
    tsType === 'date' ? day : tsType === 'timestamp' ? `${day} 00:00:00` : `${day}T00:00:00Z`;
  const where = [
    `${ts} >= CAST(${placeholder(params, bound(days.from))} AS ${tsType})`,
    `${ts} < CAST(${placeholder(params, bound(addDays(days.to, 1)))} AS ${tsType})`,
  ];
  for (const [column, value] of Object.entries(step.filters ?? {})) {
    const ref = `${name}.${quoteIdent(column)}`;
    where.push(
      Array.isArray(value)
        ? `${ref} = ANY(${placeholder(params, value)})`
        : `${ref} = ${placeholder(params, value)}`,
    );
  }
  const select = routed.columns.map((c) => hotProjection(name, c)).join(', ');
  const order = orderColumns(table, catalogTable)
    .map((c) => `${name}.${quoteIdent(c)}`)
    .join(', ');
  return {
    sql:
      `SELECT ${select} FROM ${name} WHERE ${where.join(' AND ')}` +
      `${order ? ` ORDER BY ${order}` : ''} LIMIT ${step.limit}`,
    params,
  };
}

/** The cast type of the timestamp column's bounds. */
function timestampCast(catalogTable: CatalogTable, column: string): string {
  const source = catalogTable.columns.find((c) => c.name === column)?.sourceType ?? '';
  if (source === 'date') return 'date';
  if (/^timestamp(\(\d\))? without time zone$|^timestamp$/.test(source)) return 'timestamp';
  return 'timestamptz';
}

/**
 * A hot column rendered as the lake holds it. Arrays travel as text arrays (exact elements:
 * `pg` would read numeric[] as floats and timestamp arrays as millisecond Dates), nested per
 * dimension, and are converted like the lake's by {@link canonicalValue}.
 */
function hotProjection(table: string, column: RangeColumn): string {
  const ref = `${table}.${quoteIdent(column.name)}`;
  const alias = quoteIdent(column.name);
  const source = column.sourceType;
  if (source.endsWith('[]')) return `${ref}::text[] AS ${alias}`;
  if (/^timestamp(\(\d\))? with time zone$/.test(source)) {
    return `to_char(${ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${alias}`;
  }
  if (/^timestamp(\(\d\))?( without time zone)?$/.test(source)) {
    return `to_char(${ref}, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ${alias}`;
  }
  if (source === 'interval') return `${isoInterval(ref)} AS ${alias}`;
  if (/^(json|jsonb|character\(\d+\)|bpchar)$/.test(source)) {
    return `${ref}::text AS ${alias}`;
  }
  return `${ref} AS ${alias}`;
}

/**
 * PostgreSQL SQL of an interval as the text PostgreSQL writes under `IntervalStyle iso_8601` —
 * the form the export stores in the lake (`P1Y2M3DT4H5M6.789S`, `P-1DT2H`, `PT0S`) — whatever
 * the session's style: each field with its own sign, zero fields left out, seconds without
 * trailing zeros.
 * @example
 * isoInterval('"t"."took"'); // "CASE WHEN \"t\".\"took\" IS NULL THEN NULL …"
 */
export function isoInterval(ref: string): string {
  const field = (unit: string): string => `extract(${unit} FROM ${ref})`;
  const part = (unit: string, letter: string): string =>
    `CASE WHEN ${field(unit)} <> 0 THEN ${field(unit)}::bigint::text || '${letter}' ELSE '' END`;
  const seconds =
    `CASE WHEN ${field('second')} <> 0 THEN ` +
    `trim_scale(${field('second')}::numeric)::text || 'S' ELSE '' END`;
  const time = `${part('hour', 'H')} || ${part('minute', 'M')} || ${seconds}`;
  const date = `${part('year', 'Y')} || ${part('month', 'M')} || ${part('day', 'D')}`;
  return (
    `CASE WHEN ${ref} IS NULL THEN NULL WHEN ${date} || ${time} = '' THEN 'PT0S' ` +
    `ELSE 'P' || ${date} || CASE WHEN ${time} = '' THEN '' ELSE 'T' || ${time} END END`
  );
}

/**
 * The lake query of the cold days: the same projection, partition predicates naming exactly the
 * days (ymd: `year BETWEEN … AND year || '-' || month || '-' || day BETWEEN …`; event_type/dt:
 * `dt BETWEEN …`), the filters (lists as `IN ($n, …)`: Athena has no `= ANY`), the same order
 * and limit.
 * @example
 * buildLakeQuery(routed, { from: '2025-01-01', to: '2025-01-16' }).sql;
 * // 'SELECT "id", … FROM "events" WHERE "events"."dt" BETWEEN $1 AND $2 AND … LIMIT 10000'
 */
export function buildLakeQuery(routed: RoutedRange, days: DayRange): SideQuery {
  const { table, catalogTable, step } = routed;
  const params: QueryParam[] = [];
  const name = quoteIdent(table.name);
  const col = (c: string): string => `${name}.${quoteIdent(c)}`;
  const where: string[] = [];
  if (table.partition_layout === 'ymd') {
    where.push(
      `${col('year')} BETWEEN ${placeholder(params, days.from.slice(0, 4))} AND ${placeholder(params, days.to.slice(0, 4))}`,
      `${col('year')} || '-' || ${col('month')} || '-' || ${col('day')} BETWEEN ` +
        `${placeholder(params, days.from)} AND ${placeholder(params, days.to)}`,
    );
  } else {
    where.push(
      `${col('dt')} BETWEEN ${placeholder(params, days.from)} AND ${placeholder(params, days.to)}`,
    );
  }
  for (const [column, value] of Object.entries(step.filters ?? {})) {
    where.push(
      Array.isArray(value)
        ? `${col(column)} IN (${value.map((v) => placeholder(params, v)).join(', ')})`
        : `${col(column)} = ${placeholder(params, value)}`,
    );
  }
  const select = routed.columns.map((c) => `${col(c.name)} AS ${quoteIdent(c.name)}`).join(', ');
  const order = orderColumns(table, catalogTable).map(col).join(', ');
  return {
    sql:
      `SELECT ${select} FROM ${name} WHERE ${where.join(' AND ')}` +
      `${order ? ` ORDER BY ${order}` : ''} LIMIT ${step.limit}`,
    params,
  };
}
