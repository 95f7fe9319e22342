/**
 * The hot + cold router of `TableRange` steps (the seed's "compare current trends to 6 months
 * ago" in one request). A range of days of a configured time-series table is split at the table's
 * hot window: days from `today − hot_window_days` on are read from PostgreSQL, older days from the
 * lake (Athena, DuckDB locally). Both queries are built from the validated step — identifiers
 * quoted, every value a `$n` parameter, never text spliced into SQL — with the same projection,
 * and their rows are unioned with the same column names and types: the catalog's column types are
 * the target, and each value from either side is converted to one canonical JSON form (integers
 * as numbers, or strings past 2^53; decimals as strings with the column's scale; timestamps as
 * ISO 8601 in UTC as the lake engines give them; JSON columns as their text), so a row from
 * PostgreSQL is indistinguishable from the same row read from the lake.
 *
 * The lake side reads exactly the partitions of its days (and, for layout `event_type/dt`, of the
 * filtered partition values): those partitions are the query's `scans` (DuckDB exposes only them)
 * and its WHERE clause names the same days and values, so Athena prunes to them too. The day split
 * relies on the export's rule that a row's partition is the UTC day of its timestamp column, so the
 * lake needs no timestamp filter; the hot side filters on the timestamp column.
 */
import type { TableConfig, ThermoclineConfig } from '#core/config/schema';
import { quoteIdent } from '#core/sql/ident';
import { PlanValidationError } from '#core/query/errors';
import { base64Of } from '#core/query/rows';
import type { ScanEstimate } from '#core/query/estimate';
import { queryCostUsd } from '#core/query/ledger';
import type { TableRangeStep } from '#core/query/plan';
import type { Catalog, CatalogColumn, CatalogPartition, CatalogTable } from '#ports/catalog';
import { utcDay, type Clock } from '#ports/clock';
import type {
  HotQueryEngine,
  LakeQueryEngine,
  LakeTableScan,
  QueryColumn,
  QueryParam,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';

const DAY_MS = 86_400_000;
const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** An inclusive range of UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  readonly from: string;
  readonly to: string;
}

/** Where the days of a range are read. */
export interface DaySplit {
  /** The first hot day: `today − hot_window_days`. */
  readonly hotStart: string;
  /** Days read from PostgreSQL (absent when none). */
  readonly hot?: DayRange;
  /** Days read from the lake (absent when none). */
  readonly lake?: DayRange;
}

/** `day` plus `n` days. */
export function addDays(day: string, n: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/** Every day from `from` to `to`, inclusive. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
  return days;
}

/**
 * Splits `[from, to]` at the hot window: days ≥ `today − hotWindowDays` are hot, older ones cold.
 * @example
 * splitDays('2025-01-01', '2025-02-15', '2025-02-16', 30);
 * // { hotStart: '2025-01-17', lake: { from: '2025-01-01', to: '2025-01-16' }, hot: { from: '2025-01-17', to: '2025-02-15' } }
 */
export function splitDays(
  from: string,
  to: string,
  today: string,
  hotWindowDays: number,
): DaySplit {
  const hotStart = addDays(today, -hotWindowDays);
  const lakeTo = to < hotStart ? to : addDays(hotStart, -1);
  const hotFrom = from > hotStart ? from : hotStart;
  return {
    hotStart,
    ...(from <= lakeTo ? { lake: { from, to: lakeTo } } : {}),
    ...(hotFrom <= to ? { hot: { from: hotFrom, to } } : {}),
  };
}

/** A column of a routed result: its name, catalog (Athena) type and PostgreSQL type. */
export interface RangeColumn {
  readonly name: string;
  readonly type: string;
  readonly sourceType: string;
}

/** A validated `TableRange` step: what each side reads, and the lake side's estimate. */
export interface RoutedRange {
  readonly step: TableRangeStep;
  readonly table: TableConfig;
  readonly catalogTable: CatalogTable;
  readonly split: DaySplit;
  /** The projection, in output order. */
  readonly columns: readonly RangeColumn[];
  /** The lake side's table and pruned partitions (empty partitions when no lake days). */
  readonly scan: LakeTableScan;
  /** The lake side's estimate (zero when no lake days). */
  readonly estimate: ScanEstimate;
  readonly warnings: readonly string[];
}

/** What routing needs: the config, the catalog and "today". */
export interface RouterContext {
  readonly config: ThermoclineConfig;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly pricePerTbUsd?: number;
}

/**
 * Validates a `TableRange` step against the config and the catalog, splits its days and
 * estimates its lake side.
 * @param path - the step's place in the plan (`steps[2]`), for messages.
 * @throws PlanValidationError for an unknown table, column or filter column.
 * @example
 * const routed = await routeTableRange({ config, catalog, clock }, step, 'steps[1]');
 * routed.split; // { hotStart: '2025-01-17', lake: {…}, hot: {…} }
 */
export async function routeTableRange(
  context: RouterContext,
  step: TableRangeStep,
  path: string,
): Promise<RoutedRange> {
  const table = context.config.tables.find((t) => t.name === step.table);
  if (!table) {
    throw new PlanValidationError(
      `'${step.table}' is not a configured time-series table; use one of ${context.config.tables
        .map((t) => t.name)
        .sort()
        .join(', ')}`,
      `${path}.table`,
    );
  }
  const catalogTable = await context.catalog.getTable(table.name);
  if (!catalogTable) {
    throw new PlanValidationError(
      `table '${table.name}' is not in the lake catalog yet (no day of it was exported), so its ` +
        `columns are unknown; export a day first (thermocline etl run --table ${table.name})`,
      `${path}.table`,
    );
  }
  const available = availableColumns(table, catalogTable);
  const byName = new Map(available.map((c) => [c.name, c]));
  const known = available.map((c) => c.name).join(', ');
  const columns = (step.columns ?? available.map((c) => c.name)).map((name, i) => {
    const column = byName.get(name);
    if (!column) {
      throw new PlanValidationError(
        `'${name}' is not a column of table '${table.name}'; use some of ${known}`,
        `${path}.columns[${i}]`,
      );
    }
    return column;
  });
  for (const name of Object.keys(step.filters ?? {})) {
    if (!byName.has(name)) {
      throw new PlanValidationError(
        `'${name}' is not a column of table '${table.name}'; filter on one of ${known}`,
        `${path}.filters.${name}`,
      );
    }
  }
  const today = utcDay(context.clock.now());
  const split = splitDays(step.from, step.to, today, table.hot_window_days);
  const warnings: string[] = [];
  let partitions: CatalogPartition[] = [];
  const all = split.lake ? await context.catalog.listPartitions(table.name) : [];
  if (split.lake) {
    const lake = split.lake;
    const inRange = all.filter((p) => {
      const day = partitionDay(table, p.values);
      return day >= lake.from && day <= lake.to;
    });
    const present = new Set(inRange.map((p) => partitionDay(table, p.values)));
    const missing = daysOf(lake).filter((day) => !present.has(day));
    if (missing.length > 0) {
      warnings.push(
        `${missing.length} day(s) of ${table.name} before the hot window (${split.hotStart}) have no ` +
          `partition in the lake (not exported yet, or no rows): ${summarizeDays(missing)}`,
      );
    }
    const wanted = partitionFilter(table, step);
    partitions = wanted
      ? inRange.filter((p) => wanted.has(p.values[0] === HIVE_NULL ? '' : (p.values[0] ?? '')))
      : inRange;
  }
  const readColumns = lakeReadColumns(table, catalogTable, columns, step);
  const scan: LakeTableScan = { table: catalogTable, partitions, columns: readColumns };
  const bytes = partitions.reduce((sum, p) => sum + partitionBytes(p, readColumns), 0);
  const estimate: ScanEstimate = {
    bytes,
    costUsd: queryCostUsd(bytes, context.pricePerTbUsd ?? context.config.query.price_per_tb_usd),
    scans: split.lake ? [scan] : [],
    tables: split.lake
      ? [
          {
            table: table.name,
            partitions: partitions.length,
            partitionsTotal: all.length,
            bytes,
            columns: readColumns,
          },
        ]
      : [],
  };
  return { step, table, catalogTable, split, columns, scan, estimate, warnings };
}

/** The catalog's columns plus, for layout `event_type/dt`, the partition column (a string). */
function availableColumns(table: TableConfig, catalogTable: CatalogTable): RangeColumn[] {
  const columns: RangeColumn[] = catalogTable.columns.map((c) => ({
    name: c.name,
    type: c.type,
    sourceType: c.sourceType,
  }));
  if (table.partition_layout === 'event_type/dt' && table.partition_column) {
    columns.push({ name: table.partition_column, type: 'string', sourceType: 'text' });
  }
  return columns;
}

/** The day a partition holds (ymd: the three values; event_type/dt: the second). */
function partitionDay(table: TableConfig, values: readonly string[]): string {
  return table.partition_layout === 'ymd' ? values.join('-') : (values[1] ?? '');
}

/** The partition values a filter on the partition column keeps, or undefined (no such filter). */
function partitionFilter(table: TableConfig, step: TableRangeStep): Set<string> | undefined {
  if (table.partition_layout !== 'event_type/dt' || !table.partition_column) return undefined;
  const filter = step.filters?.[table.partition_column];
  if (filter === undefined) return undefined;
  return new Set((Array.isArray(filter) ? filter : [filter]).map((v) => String(v)));
}

/** Columns the lake side reads from the files: projection, filters, ordering; no path columns. */
function lakeReadColumns(
  table: TableConfig,
  catalogTable: CatalogTable,
  columns: readonly RangeColumn[],
  step: TableRangeStep,
): string[] {
  const inFiles = new Set(catalogTable.columns.map((c) => c.name));
  const wanted = new Set([
    ...columns.map((c) => c.name),
    ...Object.keys(step.filters ?? {}),
    ...orderColumns(table, catalogTable),
  ]);
  return [...wanted].filter((c) => inFiles.has(c));
}

/** Σ of the columns' compressed bytes, or the whole partition when they were not recorded. */
function partitionBytes(partition: CatalogPartition, columns: readonly string[]): number {
  const perColumn = partition.columnBytes;
  if (!perColumn) return partition.bytes;
  return columns.reduce((sum, c) => sum + (perColumn[c] ?? 0), 0);
}

/** `2025-01-01 … 2025-01-05 (5 days)` or the list when short. */
function summarizeDays(days: readonly string[]): string {
  if (days.length <= 3) return days.join(', ');
  return `${days[0]} … ${days[days.length - 1]} (${days.length} days)`;
}

/** Order of both sides: the timestamp column, then the primary key (when stored). */
function orderColumns(table: TableConfig, catalogTable: CatalogTable): string[] {
  const names = new Set([
    ...catalogTable.columns.map((c) => c.name),
    ...(table.partition_column ? [table.partition_column] : []),
  ]);
  return [table.timestamp_column, ...table.primary_key].filter(
    (c, i, all) => names.has(c) && all.indexOf(c) === i,
  );
}

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

/** One side of a routed run, for the step's statistics. */
export interface RangePart {
  readonly tier: 'hot' | 'lake';
  readonly engine: string;
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  readonly bytesScanned: number;
  readonly estimatedBytes?: number;
  readonly costUsd: number;
  readonly engineMs: number;
  readonly reused?: boolean;
  readonly queryId?: string;
}

/** The union of both sides. */
export interface RangeResult {
  readonly columns: readonly QueryColumn[];
  /** Lake rows (older days) first, then hot rows; each side ordered by timestamp and key. */
  readonly rows: readonly QueryRow[];
  /** Rows both sides returned (each side is capped at the step's limit). */
  readonly totalRows: number;
  readonly truncated: boolean;
  readonly parts: readonly RangePart[];
  readonly warnings: readonly string[];
}

/** What running a routed step needs. */
export interface RangeEngines {
  readonly lakeEngine: LakeQueryEngine;
  readonly hotEngine: HotQueryEngine;
  readonly pricePerTbUsd: number;
  /** The lake side's scan limit, in bytes. */
  readonly maxScanBytes: number;
  /** The hot side's statement timeout. */
  readonly timeoutMs: number;
  /** The lake side's statement timeout. @default none */
  readonly lakeTimeoutMs?: number;
  /** Stops both sides (the service is stopping). */
  readonly signal?: AbortSignal;
}

/**
 * Runs both sides of a routed step at once and unions them: same column names, the catalog's
 * types, canonical values; at most the step's limit rows.
 * @example
 * const result = await runRoutedRange(routed, { lakeEngine, hotEngine, pricePerTbUsd: 5, maxScanBytes: 10e9, timeoutMs: 30_000 });
 */
export async function runRoutedRange(
  routed: RoutedRange,
  engines: RangeEngines,
): Promise<RangeResult> {
  const { split } = routed;
  const lakeRun = async (): Promise<{ part: RangePart; rows: QueryRow[] } | undefined> => {
    if (!split.lake) return undefined;
    if (routed.scan.partitions.length === 0) {
      return { part: emptyPart('lake', engines.lakeEngine.name, split.lake), rows: [] };
    }
    const query = buildLakeQuery(routed, split.lake);
    const result = await engines.lakeEngine.run({
      sql: query.sql,
      params: query.params,
      maxScanBytes: engines.maxScanBytes,
      scans: [routed.scan],
      ...(engines.lakeTimeoutMs === undefined ? {} : { timeoutMs: engines.lakeTimeoutMs }),
      ...(engines.signal ? { signal: engines.signal } : {}),
    });
    return {
      part: {
        ...partOf('lake', engines.lakeEngine.name, split.lake, result),
        estimatedBytes: routed.estimate.bytes,
        costUsd: result.reused ? 0 : queryCostUsd(result.bytesScanned, engines.pricePerTbUsd),
      },
      rows: result.rows.map((row) => canonicalRow(row, routed.columns)),
    };
  };
  const hotRun = async (): Promise<{ part: RangePart; rows: QueryRow[] } | undefined> => {
    if (!split.hot) return undefined;
    const query = buildHotQuery(routed, split.hot);
    const result = await engines.hotEngine.run({
      sql: query.sql,
      params: query.params,
      timeoutMs: engines.timeoutMs,
      ...(engines.signal ? { signal: engines.signal } : {}),
    });
    return {
      part: partOf('hot', engines.hotEngine.name, split.hot, result),
      rows: result.rows.map((row) => canonicalRow(row, routed.columns)),
    };
  };
  const sides = (await Promise.all([lakeRun(), hotRun()])).filter((s) => s !== undefined);
  const all = sides.flatMap((s) => s.rows);
  const limit = routed.step.limit;
  return {
    columns: routed.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: all.slice(0, limit),
    totalRows: all.length,
    truncated: all.length > limit || sides.some((s) => s.rows.length >= limit),
    parts: sides.map((s) => s.part),
    warnings: routed.warnings,
  };
}

function emptyPart(tier: 'hot' | 'lake', engine: string, days: DayRange): RangePart {
  return {
    tier,
    engine,
    from: days.from,
    to: days.to,
    rows: 0,
    bytesScanned: 0,
    costUsd: 0,
    engineMs: 0,
  };
}

function partOf(
  tier: 'hot' | 'lake',
  engine: string,
  days: DayRange,
  result: QueryResult,
): RangePart {
  return {
    tier,
    engine,
    from: days.from,
    to: days.to,
    rows: result.rows.length,
    bytesScanned: result.bytesScanned,
    costUsd: 0,
    engineMs: result.engineMs,
    reused: result.reused,
    ...(result.queryId === undefined ? {} : { queryId: result.queryId }),
  };
}

/**
 * A row in the canonical form of the columns' catalog types (see the module comment); columns
 * come in projection order, keyed by name (engines may return other name cases).
 * @example
 * canonicalRow({ id: '12', amount: '5.5', occurred_at: '2025-02-15 01:02:03.5+00' }, columns);
 * // { id: 12, amount: '5.50', occurred_at: '2025-02-15T01:02:03.500Z' }
 */
export function canonicalRow(row: QueryRow, columns: readonly RangeColumn[]): QueryRow {
  const lower = new Map(Object.keys(row).map((k) => [k.toLowerCase(), k]));
  const out: QueryRow = {};
  for (const column of columns) {
    const key = column.name in row ? column.name : lower.get(column.name.toLowerCase());
    out[column.name] = canonicalValue(key === undefined ? null : row[key], column);
  }
  return out;
}

/**
 * One value in the canonical JSON form of its catalog column type.
 * @example
 * canonicalValue('123', { name: 'id', type: 'bigint', sourceType: 'bigint' }); // 123
 */
export function canonicalValue(
  value: unknown,
  column: Pick<CatalogColumn, 'type' | 'sourceType'>,
): unknown {
  if (value === null || value === undefined) return null;
  const type = column.type.toLowerCase();
  const array = /^array<(.+)>$/.exec(type);
  if (array) {
    const element = {
      type: array[1] ?? 'string',
      sourceType: column.sourceType.replace(/\[\]$/, ''),
    };
    const items = typeof value === 'string' ? parseJsonArray(value) : value;
    return Array.isArray(items) ? items.map((v) => canonicalValue(v, element)) : items;
  }
  if (
    type === 'bigint' ||
    type === 'int' ||
    type === 'integer' ||
    type === 'smallint' ||
    type === 'tinyint'
  ) {
    return canonicalInteger(value);
  }
  const decimal = /^decimal\(\d+,\s*(\d+)\)$/.exec(type);
  if (decimal) return canonicalDecimal(value, Number(decimal[1]));
  if (type === 'double' || type === 'float' || type === 'real') return canonicalFloat(value);
  if (type === 'boolean')
    return typeof value === 'string' ? value === 't' || value === 'true' : Boolean(value);
  if (type === 'timestamp') {
    return canonicalTimestamp(value, /with time zone/.test(column.sourceType));
  }
  if (type === 'date') return value instanceof Date ? utcDay(value) : String(value).slice(0, 10);
  if (type === 'binary') return canonicalBinary(value);
  if (type === 'string' && typeof value === 'object') return JSON.stringify(value);
  return typeof value === 'bigint' ? value.toString() : value;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Binary as base64, as every engine's rows carry it: a uuid the lake holds as 16 bytes
 * (`uuid_as: 'binary'`) comes from PostgreSQL as its text and from the lake as base64 of its
 * bytes; bytes (a Buffer) become base64. A base64 string is never a uuid's text (24 characters).
 */
function canonicalBinary(value: unknown): unknown {
  if (typeof value === 'string' && UUID_TEXT.test(value)) {
    return Buffer.from(value.replaceAll('-', ''), 'hex').toString('base64');
  }
  if (value instanceof Uint8Array) return base64Of(value);
  return value;
}

function parseJsonArray(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function canonicalInteger(value: unknown): unknown {
  if (typeof value === 'number') return value;
  const big =
    typeof value === 'bigint'
      ? value
      : /^-?\d+$/.test(String(value))
        ? BigInt(String(value))
        : undefined;
  if (big === undefined) return value;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

/** A decimal as a string with exactly `scale` fraction digits (no float rounding). */
function canonicalDecimal(value: unknown, scale: number): unknown {
  const text = typeof value === 'number' ? value.toFixed(scale) : String(value);
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = ''] = match;
  const digits = (fraction + '0'.repeat(scale)).slice(0, scale);
  return `${sign}${whole || '0'}${scale > 0 ? `.${digits}` : ''}`;
}

function canonicalFloat(value: unknown): unknown {
  const number = typeof value === 'number' ? value : Number(value);
  if (Number.isNaN(number)) return 'NaN';
  if (!Number.isFinite(number)) return number > 0 ? 'Infinity' : '-Infinity';
  return number;
}

const TIMESTAMP_TEXT =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A timestamp as ISO 8601 the way the lake engines' rows carry it (`#core/query/rows`):
 * milliseconds always, microseconds only when there are any, and `Z` — an instant in UTC, or the
 * wall time of a `timestamp` without time zone read as UTC, as Athena and the local engine give a
 * lake `timestamp` — `2025-02-15T01:02:03.000Z`, `2025-02-15T01:02:03.000450Z`. Accepts JS Dates
 * and the text forms of PostgreSQL, DuckDB and ISO; for a zoned value an offset other than UTC is
 * converted, a wall time keeps its digits.
 * @example
 * canonicalTimestamp('2025-02-15 09:02:03.5+08', true); // '2025-02-15T01:02:03.500Z'
 * canonicalTimestamp('2025-02-15 09:02:03.5', false); // '2025-02-15T09:02:03.500Z'
 */
export function canonicalTimestamp(value: unknown, zoned: boolean): unknown {
  if (value instanceof Date) return value.toISOString();
  const match = TIMESTAMP_TEXT.exec(String(value));
  if (!match) return value;
  const [, day = '', time = '', fraction = '', offset] = match;
  const micros = (fraction + '000000').slice(0, 6);
  const digits = micros.endsWith('000') ? micros.slice(0, 3) : micros;
  if (!zoned) return `${day}T${time}.${digits}Z`;
  if (!offset || /^(Z|[+-]00(:?00)?)$/.test(offset)) return `${day}T${time}.${digits}Z`;
  const normalized = /^[+-]\d{2}$/.test(offset)
    ? `${offset}:00`
    : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const utc = new Date(`${day}T${time}${normalized}`).toISOString();
  return `${utc.slice(0, 19)}.${digits}Z`;
}
