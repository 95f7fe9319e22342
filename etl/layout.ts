/**
 * Where a table-day lives in the lake. Layout `ymd`: `table/year=YYYY/month=MM/day=DD/`; layout
 * `event_type/dt`: `table/<col>=X/dt=YYYY-MM-DD/`. Each publish puts its
 * files in a new version folder `v=<run id>/` inside the partition; the catalog names the current
 * one. Folders starting with `_` (manifests) are invisible to Athena and Hive.
 */
import type { TableConfig } from '#core/config/schema';

/** Hive's name for a NULL partition value. */
export const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Partition keys in path order. */
export function partitionKeys(table: TableConfig): string[] {
  return table.partition_layout === 'ymd'
    ? ['year', 'month', 'day']
    : [table.partition_column ?? 'event_type', 'dt'];
}

/**
 * Partition values of a day (and, for `event_type/dt`, of one value of the partition column).
 * @example
 * partitionValues(agentTasks, '2025-02-15'); // ['2025', '02', '15']
 * partitionValues(events, '2025-02-15', 'Login'); // ['Login', '2025-02-15']
 */
export function partitionValues(table: TableConfig, day: string, value?: string | null): string[] {
  if (table.partition_layout === 'ymd') return [day.slice(0, 4), day.slice(5, 7), day.slice(8, 10)];
  return [value ?? NULL_PARTITION, day];
}

/** The day a partition belongs to. */
export function dayOfPartition(table: TableConfig, values: readonly string[]): string {
  return table.partition_layout === 'ymd' ? values.join('-') : (values[1] ?? '');
}

/** Escapes a partition value for a path segment the way Hive does (`%XX`). */
export function escapePathValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/**
 * The partition's folder, ending with `/`.
 * @example
 * partitionPrefix(agentTasks, ['2025', '02', '15']); // 'agent_tasks/year=2025/month=02/day=15/'
 */
export function partitionPrefix(table: TableConfig, values: readonly string[]): string {
  const keys = partitionKeys(table);
  return `${table.name}/${keys.map((k, i) => `${k}=${escapePathValue(values[i] ?? '')}`).join('/')}/`;
}

/** A publish's version folder inside a partition. */
export function versionPrefix(partition: string, runId: string): string {
  return `${partition}v=${runId}/`;
}

/** The day manifest: the commit record retention and verify read. */
export function dayManifestKey(table: string, day: string): string {
  return `${table}/_manifests/${day}.json`;
}

/**
 * Data file names: part-00000.parquet, part-00001.parquet, …; those of a chunk of a chunked
 * export carry its number: part-c0002-00000.parquet, …
 */
export function partFileName(index: number, chunk?: number): string {
  const prefix = chunk === undefined ? '' : `c${String(chunk).padStart(4, '0')}-`;
  return `part-${prefix}${String(index).padStart(5, '0')}.parquet`;
}
