/**
 * Routing of `TableRange` steps, the hot + cold read of one table over a range of days (the seed's
 * "compare current trends to 6 months ago" in one request). The range is split at the table's hot
 * window: days from `today − hot_window_days` on are read from PostgreSQL, older days from the
 * lake (Athena, DuckDB locally). Routing validates the step against the config and the catalog,
 * picks the lake side's partitions and estimates its scan; `#core/query/range-sql` builds the two
 * queries and `#core/query/range-run` runs and unions them.
 *
 * The lake side reads exactly the partitions of its days (and, for layout `event_type/dt`, of the
 * filtered partition values): those partitions are the query's `scans` (DuckDB exposes only them)
 * and its WHERE clause names the same days and values, so Athena prunes to them too. The day split
 * relies on the export's rule that a row's partition is the UTC day of its timestamp column, so the
 * lake needs no timestamp filter; the hot side filters on the timestamp column.
 */
import type { TableConfig, ThermoclineConfig } from '#core/config/schema';
import { PlanValidationError } from '#core/query/errors';
import type { ScanEstimate } from '#core/query/estimate';
import { queryCostUsd } from '#core/query/ledger';
import type { TableRangeStep } from '#core/query/query-plan';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';
import { utcDay, type Clock } from '#ports/clock';
import type { LakeTableScan } from '#ports/query-engine';
import { addDays, daysBetween } from '#core/days';

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

/** Every day of a range, inclusive. */
export function daysOf(range: DayRange): string[] {
  return daysBetween(range.from, range.to);
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
  const table = configuredTable(context.config, step, path);
  const catalogTable = await context.catalog.getTable(table.name);
  if (!catalogTable) {
    throw new PlanValidationError(
      `table '${table.name}' is not in the lake catalog yet (no day of it was exported), so its ` +
        `columns are unknown; export a day first (thermocline etl run --table ${table.name})`,
      `${path}.table`,
    );
  }
  const columns = stepColumns(table, catalogTable, step, path);
  const today = utcDay(context.clock.now());
  const split = splitDays(step.from, step.to, today, table.hot_window_days);
  const warnings: string[] = [];
  const all = split.lake ? await context.catalog.listPartitions(table.name) : [];
  const partitions = split.lake
    ? lakePartitions(table, step, split.hotStart, split.lake, all, warnings)
    : [];
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

/** The configured time-series table the step names. */
function configuredTable(
  config: ThermoclineConfig,
  step: TableRangeStep,
  path: string,
): TableConfig {
  const table = config.tables.find((t) => t.name === step.table);
  if (!table) {
    throw new PlanValidationError(
      `'${step.table}' is not a configured time-series table; use one of ${config.tables
        .map((t) => t.name)
        .sort()
        .join(', ')}`,
      `${path}.table`,
    );
  }
  return table;
}

/** The step's projection (all columns when it names none); its filters must name columns too. */
function stepColumns(
  table: TableConfig,
  catalogTable: CatalogTable,
  step: TableRangeStep,
  path: string,
): RangeColumn[] {
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
  return columns;
}

/**
 * The partitions of the lake days `lake` (of `all`, the table's partitions) that the step's filter on the
 * partition column keeps; a warning in `warnings` for lake days without a partition.
 */
function lakePartitions(
  table: TableConfig,
  step: TableRangeStep,
  hotStart: string,
  lake: DayRange,
  all: readonly CatalogPartition[],
  warnings: string[],
): CatalogPartition[] {
  const inRange = all.filter((p) => {
    const day = partitionDay(table, p.values);
    return day >= lake.from && day <= lake.to;
  });
  const present = new Set(inRange.map((p) => partitionDay(table, p.values)));
  const missing = daysOf(lake).filter((day) => !present.has(day));
  if (missing.length > 0) {
    warnings.push(
      `${missing.length} day(s) of ${table.name} before the hot window (${hotStart}) have no ` +
        `partition in the lake (not exported yet, or no rows): ${summarizeDays(missing)}`,
    );
  }
  const wanted = partitionFilter(table, step);
  return wanted
    ? inRange.filter((p) => wanted.has(p.values[0] === HIVE_NULL ? '' : (p.values[0] ?? '')))
    : inRange;
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
export function orderColumns(table: TableConfig, catalogTable: CatalogTable): string[] {
  const names = new Set([
    ...catalogTable.columns.map((c) => c.name),
    ...(table.partition_column ? [table.partition_column] : []),
  ]);
  return [table.timestamp_column, ...table.primary_key].filter(
    (c, i, all) => names.has(c) && all.indexOf(c) === i,
  );
}
