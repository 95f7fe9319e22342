/**
 * Scan estimates, before anything runs: from the catalog's partitions (their per-column
 * compressed bytes, recorded from the Parquet footers at export) and what the guard learned of
 * the statement (its partition predicates and referenced columns), the bytes a lake query will
 * read and what Athena bills for them. The kept partitions are also what the local DuckDB engine
 * reads, so estimate and scan agree by construction there.
 */
import { SqlRejectedError, ScanLimitExceededError } from '#core/query/errors';
import type { PartitionPredicate, SqlAnalysis, TableOccurrence } from '#core/query/guard';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';
import type { LakeTableScan, QueryParam } from '#ports/query-engine';

/** Bytes in a GB as Athena counts them (`max_scan_gb`, `scan_cutoff_gb` × this). */
export { BYTES_PER_GB } from '#core/units';
/** Bytes in a TB as the price is quoted ($ per TB). */
export const BYTES_PER_TB = 1e12;
/** Athena bills at least 10 MB per query (and rounds up to the MB). */
export const ATHENA_MIN_BILLED_BYTES = 10e6;

/** One table's share of an estimate. */
export interface TableEstimate {
  readonly table: string;
  /** Partitions kept after pruning (over every place the statement reads the table). */
  readonly partitions: number;
  readonly partitionsTotal: number;
  readonly bytes: number;
  /** Columns whose bytes count: the referenced ones without partition keys (in the path). */
  readonly columns: readonly string[];
  /** Kept partitions published before per-column bytes were recorded: counted whole. */
  readonly partitionsWithoutColumnBytes?: number;
}

/** The bytes and dollars a lake query would scan, and the partitions it reads. */
export interface ScanEstimate {
  readonly bytes: number;
  /** Athena's bill for `bytes`: at least 10 MB, rounded up to the MB, at the price per TB. */
  readonly costUsd: number;
  /**
   * Each table with only its kept partitions and the columns counted: the DuckDB engine reads
   * exactly these partitions and reports the bytes of these columns' chunks.
   */
  readonly scans: readonly LakeTableScan[];
  readonly tables: readonly TableEstimate[];
}

/** Options of {@link estimateScan}. */
export interface EstimateOptions {
  /** US$ per TB scanned (config `query.price_per_tb_usd`, $5 on Athena). */
  readonly pricePerTbUsd: number;
  /** Values of `$1…$n`: a predicate on a parameter prunes only when its value is given. */
  readonly params?: readonly QueryParam[];
}

/**
 * What Athena bills for a scan: at least 10 MB, rounded up to the MB, at `pricePerTbUsd` per TB.
 * @example
 * scanCostUsd(2e12, 5); // 10
 * scanCostUsd(0, 5); // 0.00005 (the 10 MB minimum)
 */
export function scanCostUsd(bytes: number, pricePerTbUsd: number): number {
  const billed = Math.max(Math.ceil(bytes / 1e6) * 1e6, ATHENA_MIN_BILLED_BYTES);
  return (billed / BYTES_PER_TB) * pricePerTbUsd;
}

/**
 * Estimates the scan of a guarded lake statement. For each table it reads: the partitions whose
 * values satisfy every partition predicate of an occurrence (string comparison — dt, year,
 * month, day are zero-padded; a `$n` prunes when `params` gives its value), and for each kept
 * partition the compressed bytes of the referenced columns (partition keys cost nothing), or the
 * partition's whole size when it has no per-column bytes. A table read twice (a UNION) counts
 * twice, as Athena scans it twice.
 * @throws SqlRejectedError when a table of the analysis is no longer in the catalog.
 * @example
 * const analysis = guardSql(sql, { engine: 'lake', lakeTables: await catalog.listTables(), hotTables: [] });
 * const estimate = await estimateScan(analysis, catalog, { pricePerTbUsd: 5 });
 * checkScanLimit(estimate, 5 * BYTES_PER_GB); // throws ScanLimitExceededError (413) above 5 GB
 */
export async function estimateScan(
  analysis: SqlAnalysis,
  catalog: Catalog,
  options: EstimateOptions,
): Promise<ScanEstimate> {
  if (analysis.engine !== 'lake') {
    return { bytes: 0, costUsd: 0, scans: [], tables: [] };
  }
  const scans: LakeTableScan[] = [];
  const tables: TableEstimate[] = [];
  for (const analyzed of analysis.tables) {
    const table = await catalog.getTable(analyzed.name);
    if (!table) {
      throw new SqlRejectedError(
        `table '${analyzed.name}' is not in the lake catalog (${catalog.description}); ` +
          `list the tables with GET /catalog`,
      );
    }
    const partitions = await catalog.listPartitions(table.name);
    const occurrences: readonly TableOccurrence[] =
      analyzed.occurrences.length > 0
        ? analyzed.occurrences
        : [{ columns: analyzed.columns, partitionPredicates: analyzed.partitionPredicates }];
    const keys = table.partitionKeys.map((k) => k.toLowerCase());
    const kept = new Set<CatalogPartition>();
    let bytes = 0;
    const withoutColumnBytes = new Set<CatalogPartition>();
    const counted = new Set<string>();
    for (const occurrence of occurrences) {
      const columns = dataColumns(table, occurrence.columns);
      for (const column of columns) counted.add(column);
      for (const partition of partitions) {
        const keep = occurrence.partitionPredicates.every((p) =>
          satisfies(partition, keys, p, options.params),
        );
        if (!keep) continue;
        kept.add(partition);
        if (partition.columnBytes) {
          bytes += columns.reduce((n, c) => n + (columnBytesOf(partition, c) ?? 0), 0);
        } else {
          bytes += partition.bytes;
          withoutColumnBytes.add(partition);
        }
      }
    }
    const keptPartitions = partitions.filter((p) => kept.has(p));
    scans.push({ table, partitions: keptPartitions, columns: [...counted].sort() });
    tables.push({
      table: table.name,
      partitions: keptPartitions.length,
      partitionsTotal: partitions.length,
      bytes,
      columns: [...counted].sort(),
      partitionsWithoutColumnBytes: withoutColumnBytes.size,
    });
  }
  const bytes = tables.reduce((n, t) => n + t.bytes, 0);
  return { bytes, costUsd: scanCostUsd(bytes, options.pricePerTbUsd), scans, tables };
}

/**
 * Refuses an estimate over the limit.
 * @throws ScanLimitExceededError (HTTP 413) with the estimate, when `estimate.bytes > limitBytes`.
 * @example
 * checkScanLimit(estimate, step.max_scan_gb * BYTES_PER_GB, 'steps[0]');
 */
export function checkScanLimit(estimate: ScanEstimate, limitBytes: number, path = ''): void {
  if (estimate.bytes > limitBytes) throw new ScanLimitExceededError(estimate, limitBytes, path);
}

/** The referenced columns stored in the files (not partition keys), as the catalog names them. */
function dataColumns(table: CatalogTable, columns: readonly string[]): string[] {
  const inFiles = new Map(table.columns.map((c) => [c.name.toLowerCase(), c.name]));
  const out: string[] = [];
  for (const column of columns) {
    const name = inFiles.get(column.toLowerCase());
    if (name !== undefined && !out.includes(name)) out.push(name);
  }
  return out;
}

function columnBytesOf(partition: CatalogPartition, column: string): number | undefined {
  const bytes = partition.columnBytes;
  if (!bytes) return undefined;
  if (column in bytes) return bytes[column];
  const lower = column.toLowerCase();
  const key = Object.keys(bytes).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : bytes[key];
}

/**
 * Whether a partition can hold rows matching the predicate. A predicate whose values are not all
 * known (a `$n` without its value, a list parameter in a range) does not prune.
 */
function satisfies(
  partition: CatalogPartition,
  keys: readonly string[],
  predicate: PartitionPredicate,
  params: readonly QueryParam[] | undefined,
): boolean {
  const index = keys.indexOf(predicate.key.toLowerCase());
  const value = partition.values[index];
  if (index < 0 || value === undefined) return true;
  const resolved: (string | string[])[] = [];
  for (const v of predicate.values) {
    if (typeof v === 'string') {
      resolved.push(v);
      continue;
    }
    const param = params?.[v.param - 1];
    if (param === undefined || param === null) return true;
    resolved.push(Array.isArray(param) ? param.map(String) : String(param));
  }
  const [a, b] = resolved;
  const scalar = (x: string | string[] | undefined): x is string => typeof x === 'string';
  switch (predicate.op) {
    case 'eq':
    case 'in':
      return resolved.some((x) => (Array.isArray(x) ? x.includes(value) : x === value));
    case 'between':
      return scalar(a) && scalar(b) ? a <= value && value <= b : true;
    case 'lt':
      return scalar(a) ? value < a : true;
    case 'le':
      return scalar(a) ? value <= a : true;
    case 'gt':
      return scalar(a) ? value > a : true;
    case 'ge':
      return scalar(a) ? value >= a : true;
  }
}
