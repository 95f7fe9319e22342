/**
 * What the ETL reports to the metrics port after each table-day: rows, duration and the table's
 * partition lag (names from the monitoring contract, `lib/constructs/thermocline-metrics.ts`).
 */
import type { TableConfig } from '#core/config/schema';
import type { CatalogPartition } from '#ports/catalog';
import type { MetricDatum } from '#ports/metrics';
import type { TableDayResult } from '#etl/export';
import { dayOfPartition } from '#etl/layout';
import { lastClosedDay } from '#etl/run';
import { dayDifference } from '#core/days';

/**
 * Days between the newest day due in the lake (the table's last closed day) and the newest day
 * it holds; 0 when up to date, undefined when nothing is published (no lag to measure yet).
 * @example
 * partitionLagDays(agentTasks, partitions, new Date('2025-02-17T03:00:00Z')); // 1 when 2025-02-15 is the newest
 */
export function partitionLagDays(
  table: TableConfig,
  partitions: readonly CatalogPartition[],
  now: Date,
): number | undefined {
  const due = lastClosedDay(table, now);
  let newest: string | undefined;
  for (const partition of partitions) {
    const day = dayOfPartition(table, partition.values);
    if (newest === undefined || day > newest) newest = day;
  }
  if (newest === undefined) return undefined;
  const lag = dayDifference(newest, due);
  return Math.max(0, Math.round(lag));
}

/**
 * The metrics of one published table-day.
 * @example
 * exportMetrics(result, 0); // [EtlRowsExported, EtlDurationSeconds, PartitionLagDays] for result.table
 */
export function exportMetrics(result: TableDayResult, lagDays: number | undefined): MetricDatum[] {
  const data: MetricDatum[] = [
    { name: 'EtlRowsExported', value: result.rows, unit: 'Count', table: result.table },
    { name: 'EtlDurationSeconds', value: result.seconds, unit: 'Seconds', table: result.table },
  ];
  if (lagDays !== undefined) {
    data.push({ name: 'PartitionLagDays', value: lagDays, unit: 'Count', table: result.table });
  }
  return data;
}

/** The metric of a table-day that failed for good (not retried). */
export function exportFailureMetrics(table: string): MetricDatum[] {
  return [{ name: 'EtlFailures', value: 1, unit: 'Count', table }];
}
