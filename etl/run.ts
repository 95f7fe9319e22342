/** Runs the export over many table-days: the nightly run, backfills, `npm start`'s catch-up. */
import type { ChangedDay } from '#etl/changed-days';
import type { TableConfig } from '#core/config/schema';
import { dayManifestKey } from '#etl/layout';
import {
  exportTableDay,
  type ExportDeps,
  type ExportOptions,
  type TableDayResult,
} from '#etl/export';
import { daysBefore } from '#core/days';

/** One table-day to export. */
export interface TableDay {
  readonly table: TableConfig;
  readonly day: string;
}

/** A table-day that failed, with why. */
export interface TableDayFailure {
  readonly table: string;
  readonly day: string;
  readonly error: string;
}

/** The outcome of a run: what was published, what failed (the rest went on). */
export interface RunSummary {
  readonly published: TableDayResult[];
  readonly failed: TableDayFailure[];
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  /**
   * The changed-days pass of a nightly run: exported days still hot compared with their hot rows,
   * and the ones that changed (re-exported; they are in `published` or `failed` too).
   */
  readonly rechecked?: { readonly checked: number; readonly changed: readonly ChangedDay[] };
}

/**
 * The last day of a table that is closed: `export_lag_days` before today (UTC).
 * @example
 * lastClosedDay({ export_lag_days: 1, … }, new Date('2025-02-16T02:00:00Z')); // '2025-02-15'
 */
export function lastClosedDay(table: TableConfig, now: Date): string {
  return daysBefore(now, table.export_lag_days);
}

/** The table-days whose day manifest is not in the lake yet. */
export async function unpublished(
  deps: Pick<ExportDeps, 'store'>,
  candidates: readonly TableDay[],
): Promise<TableDay[]> {
  const missing: TableDay[] = [];
  for (const candidate of candidates) {
    const key = dayManifestKey(candidate.table.name, candidate.day);
    if (!(await deps.store.head(key))) missing.push(candidate);
  }
  return missing;
}

/**
 * Exports table-days one after the other (the state machine runs them in parallel on AWS); a
 * failed table-day is recorded and the others go on.
 */
export async function runExports(
  deps: ExportDeps,
  work: readonly TableDay[],
  options: ExportOptions & {
    onDone?: (done: number, last: TableDayResult | TableDayFailure) => void;
  } = {},
): Promise<RunSummary> {
  const started = performance.now();
  const published: TableDayResult[] = [];
  const failed: TableDayFailure[] = [];
  for (const { table, day } of work) {
    try {
      const result = await exportTableDay(deps, table, day, options);
      published.push(result);
      options.onDone?.(published.length + failed.length, result);
    } catch (error) {
      const failure = { table: table.name, day, error: (error as Error).message };
      failed.push(failure);
      options.onDone?.(published.length + failed.length, failure);
    }
  }
  return {
    published,
    failed,
    rows: published.reduce((n, r) => n + r.rows, 0),
    bytes: published.reduce((n, r) => n + r.bytes, 0),
    seconds: (performance.now() - started) / 1000,
  };
}
