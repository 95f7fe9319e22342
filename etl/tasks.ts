/**
 * The ETL state machine's tasks as plain functions: the Lambda handlers (AWS) and the local
 * runtime bind the same code. Errors carry a `name` the definition's Retry and Catch match:
 * `TransientError` is retried with backoff; anything else (validation, config, types) is caught
 * at once and reported.
 */
import { tableConfig } from '#core/config/resolve';
import type { EnvironmentName, TableConfig, ThermoclineConfig } from '#core/config/schema';
import { DatabaseUnavailableError, UsageError } from '#core/errors';
import { isTransientFailure } from '#core/transient';
import {
  findChangedDays,
  recheckWindows,
  type ChangedDaysDeps,
  type FindChangedDaysInput,
  type FindChangedDaysOutput,
  type RecheckWindow,
} from '#etl/changed-days';
import {
  abandonChunks,
  exportChunk,
  exportOrSplit,
  publishChunks,
  type ChunkedRun,
  type ChunkInput,
  type ChunkResult,
  type PublishChunksInput,
} from '#etl/chunks';
import type { ExportDeps, TableDayResult } from '#etl/export';
import { exportFailureMetrics, exportMetrics, partitionLagDays } from '#etl/metrics';
import { daysBetween, isCalendarDay } from '#core/days';
import { lastClosedDay } from '#etl/run';
import type { MetricsSink } from '#ports/metrics';

/** Input of PlanRun: a day (default: each table's last closed day) or a range, all or one table. */
export interface PlanInput {
  readonly date?: string;
  readonly from?: string;
  readonly to?: string;
  readonly table?: string;
  /** Table-days exported at once (1 to 40); default the environment's `etl_concurrency`. */
  readonly concurrency?: number;
}

/** One table-day for the Map state. */
export interface TableDayItem {
  readonly table: string;
  readonly day: string;
  /**
   * Chunks of a split day exported at once (the Map passes the plan's `concurrency`). @default 1
   */
  readonly concurrency?: number;
}

/** Output of PlanRun. */
export interface PlanOutput {
  readonly items: TableDayItem[];
  /** The Map state's MaxConcurrency (`MaxConcurrencyPath: $.plan.concurrency`). */
  readonly concurrency: number;
  /**
   * The days FindChangedDays compares with their hot rows after the export: per table, its
   * `recheck_days` before the day exported — for the nightly run (no date, no range) only.
   */
  readonly recheck: RecheckWindow[];
}

function checkDay(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isCalendarDay(value)) {
    throw new UsageError(`${name} must be a day YYYY-MM-DD; got '${value}'`);
  }
  return value;
}

/**
 * PlanRun: the table-days to export, and how many at once (`input.concurrency`, else
 * `environment`'s `etl_concurrency`). A day that is not closed yet for a table is refused.
 * @example
 * planRun(config, new Date(), { date: '2025-02-15', table: 'events' }, 'prod');
 * // { items: [{ table: 'events', day: '2025-02-15' }], concurrency: 4 }
 */
export function planRun(
  config: ThermoclineConfig,
  now: Date,
  input: PlanInput = {},
  environment: EnvironmentName = 'local',
): PlanOutput {
  const concurrency = input.concurrency ?? config.environments[environment].etl_concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 40) {
    throw new UsageError(
      `concurrency must be a whole number from 1 to 40 (table-days exported at once); got ${JSON.stringify(concurrency)}`,
    );
  }
  const date = checkDay('date', input.date);
  const from = checkDay('from', input.from);
  const to = checkDay('to', input.to);
  if ((from === undefined) !== (to === undefined)) {
    throw new UsageError(
      `give both from and to, or neither; got from '${from ?? ''}' and to '${to ?? ''}'`,
    );
  }
  if (date && from) throw new UsageError('give a date or a range (from, to), not both');
  if (from && to && from > to) throw new UsageError(`from ${from} is after to ${to}`);
  const tables = input.table ? [tableConfig(config, input.table)] : [...config.tables];
  const items: TableDayItem[] = [];
  const lastDays = new Map<string, string>();
  for (const table of tables) {
    const last = lastClosedDay(table, now);
    const days = from && to ? daysBetween(from, to) : [date ?? last];
    const newest = days.at(-1) ?? last;
    if (newest > last) {
      throw new UsageError(
        `${newest} is not closed yet for table '${table.name}' (export_lag_days ${table.export_lag_days}); the last day it can export is ${last}`,
      );
    }
    for (const day of days) items.push({ table: table.name, day });
    lastDays.set(table.name, newest);
  }
  // Day-major order: a range fills day by day across tables.
  items.sort((a, b) => (a.day === b.day ? 0 : a.day < b.day ? -1 : 1));
  const nightly = date === undefined && from === undefined;
  return { items, concurrency, recheck: nightly ? recheckWindows(tables, lastDays, now) : [] };
}

/**
 * ExportTableDay: one table-day through the export engine — or, for a day larger than its
 * table's `max_rows_per_task`, its split into chunks (`etl/chunks.ts`) for the Map that follows;
 * transient failures are renamed `TransientError` for the Retry. With `metrics` (EMF on AWS) it
 * reports rows, duration and the table's partition lag, and a final (non-transient) failure as
 * `EtlFailures`; without (the local CLI) it reads nothing more than the export does.
 */
export function exportTask(
  deps: ExportDeps,
  config: ThermoclineConfig,
  metrics?: MetricsSink,
): (item: TableDayItem) => Promise<TableDayResult | ChunkedRun> {
  return async (item) => {
    const table = tableConfig(config, item.table);
    const out = await failing(table.name, metrics, () =>
      exportOrSplit(deps, table, item.day, { concurrency: item.concurrency ?? 1 }),
    );
    if (!('chunks' in out)) await publishExportMetrics(deps, table, out, metrics);
    return out;
  };
}

/** ExportChunk: one chunk of a split table-day (the Map's task); failures as {@link exportTask}'s. */
export function chunkTask(
  deps: ExportDeps,
  config: ThermoclineConfig,
  metrics?: MetricsSink,
): (input: ChunkInput) => Promise<ChunkResult> {
  return (input) => {
    const table = tableConfig(config, input.table);
    return failing(table.name, metrics, () => exportChunk(deps, table, input));
  };
}

/** PublishChunks: a split table-day's chunks published as one version, with its metrics. */
export function publishChunksTask(
  deps: ExportDeps,
  config: ThermoclineConfig,
  metrics?: MetricsSink,
): (input: PublishChunksInput) => Promise<TableDayResult> {
  return async (input) => {
    const table = tableConfig(config, input.table);
    const result = await failing(table.name, metrics, () => publishChunks(deps, table, input));
    await publishExportMetrics(deps, table, result, metrics);
    return result;
  };
}

/** AbandonChunks: after a chunk failed for good, deletes the run's files and frees the day. */
export function abandonChunksTask(
  deps: ExportDeps,
  config: ThermoclineConfig,
): (input: PublishChunksInput) => Promise<{ readonly deleted: number }> {
  return async (input) => {
    try {
      return await abandonChunks(deps, tableConfig(config, input.table), input);
    } catch (error) {
      throw classify(error);
    }
  };
}

/** Runs an export step; a final (non-transient) failure is counted in `EtlFailures`. */
async function failing<T>(
  table: string,
  metrics: MetricsSink | undefined,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const failure = classify(error);
    // A transient failure is retried by the state machine; only a final one is counted.
    if (failure.name !== 'TransientError') metrics?.publish(exportFailureMetrics(table));
    throw failure;
  }
}

async function publishExportMetrics(
  deps: ExportDeps,
  table: TableConfig,
  result: TableDayResult,
  metrics: MetricsSink | undefined,
): Promise<void> {
  if (!metrics) return;
  // The day is published: a catalog listing that fails now costs the lag value, not a retry.
  const partitions = await deps.catalog.listPartitions(table.name).catch(() => undefined);
  const lag = partitions && partitionLagDays(table, partitions, deps.clock.now());
  metrics.publish(exportMetrics(result, lag));
}

/**
 * Names an error `TransientError` when trying again may help: connections dropped or refused,
 * PostgreSQL connection/serialization/resource errors (SQLSTATE classes 08, 40, 53, 57P), S3/Glue
 * throttling. Others keep their name (ValidationError, UnsupportedTypeError, UsageError, Error).
 */
export function classify(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (failure instanceof DatabaseUnavailableError || isTransientFailure(failure)) {
    failure.name = 'TransientError';
  }
  return failure;
}

/**
 * FindChangedDays: the recent exported days whose hot rows changed since their export (the
 * nightly changed-days pass, `etl/changed-days.ts`); transient failures are renamed for the Retry.
 * @example
 * await findChangedDaysTask(deps, config)({ recheck: plan.recheck, exported: plan.items });
 */
export function findChangedDaysTask(
  deps: ChangedDaysDeps,
  config: ThermoclineConfig,
): (input: FindChangedDaysInput) => Promise<FindChangedDaysOutput> {
  return async (input) => {
    try {
      return await findChangedDays(deps, config, input);
    } catch (error) {
      throw classify(error);
    }
  };
}
