/**
 * A lake table's totals over its published partitions: what the catalog summary (`GET /catalog`)
 * and the console's table listing (`GET /tables`) both show.
 */
import type { CatalogPartition } from '#ports/catalog';

/** Rows, bytes and the newest publication of a table's partitions. */
export interface PartitionTotals {
  readonly rows: number;
  readonly bytes: number;
  /** ISO instant of the newest partition, or null for a table with none. */
  readonly lastPublishedAt: string | null;
}

/**
 * Sums a table's partitions.
 * @example
 * partitionTotals([{ rows: 2, bytes: 10, publishedAt: '2025-02-16T02:00:00Z', … }]);
 * // { rows: 2, bytes: 10, lastPublishedAt: '2025-02-16T02:00:00Z' }
 */
export function partitionTotals(partitions: readonly CatalogPartition[]): PartitionTotals {
  let rows = 0;
  let bytes = 0;
  let lastPublishedAt: string | null = null;
  for (const p of partitions) {
    rows += p.rows;
    bytes += p.bytes;
    if (lastPublishedAt === null || p.publishedAt > lastPublishedAt)
      lastPublishedAt = p.publishedAt;
  }
  return { rows, bytes, lastPublishedAt };
}
