/**
 * The retention state machine's tasks as plain functions: the Lambda handlers (AWS) and the local
 * runtime (`thermocline purge`) bind the same code. PlanPurge validates the input and lists the
 * tables for the Map; PurgeTable purges one table and returns a compact summary (Step Functions
 * payloads are limited to 256 KB), with its held days for the state machine's alert. Errors carry
 * the names the definition matches: `TransientError` is retried (a purge resumes where it
 * stopped), anything else is caught and alerted.
 */
import type { ThermoclineConfig } from '#core/config/schema';
import { UsageError } from '#core/errors';
import {
  configuredTable,
  purgeProblems,
  purgeTable,
  type PurgeDeps,
  type PurgeOptions,
  type PurgeProblem,
  type PurgeTableReport,
} from '#etl/retention/purge';
import { classify } from '#etl/tasks';
import type { Alerts } from '#ports/alerts';

/** Input of the retention state machine (the schedule sends `{}`). */
export interface RetentionInput {
  /** Report only; delete, log and alert nothing. @default false */
  readonly dryRun?: boolean;
  /** Only these tables. @default every configured table */
  readonly tables?: readonly string[];
}

/** One table for the Map state. */
export interface PurgeTableItem {
  readonly table: string;
  readonly dryRun: boolean;
}

/** Output of PlanPurge. */
export interface RetentionPlan {
  readonly dryRun: boolean;
  readonly items: PurgeTableItem[];
}

/** What PurgeTable returns to the state machine. */
export interface PurgeTableSummary {
  readonly table: string;
  readonly cutoffDay: string;
  readonly dryRun: boolean;
  /** Days deleted (dry run: that would be deleted). */
  readonly deletedDays: number;
  readonly deletedRows: number;
  /** Days held or alerted. */
  readonly heldDays: number;
  /** Days left for the next run (the time budget ran out). */
  readonly deferredDays: number;
  /** Whether any day was held: the state machine alerts when true (and not a dry run). */
  readonly anyHeld: boolean;
  /** The held days, at most {@link MAX_HELD_IN_SUMMARY} (all are in the report and the log). */
  readonly held: PurgeProblem[];
}

/** Held days a summary carries at most, to stay far below Step Functions' payload limit. */
export const MAX_HELD_IN_SUMMARY = 20;

/**
 * PlanPurge: checks the input and lists the tables to purge.
 * @throws UsageError for an unknown table or a bad `dryRun`.
 * @example
 * planPurge(config, { tables: ['events'] }); // { dryRun: false, items: [{ table: 'events', dryRun: false }] }
 */
export function planPurge(
  config: Pick<ThermoclineConfig, 'tables'>,
  input: RetentionInput = {},
): RetentionPlan {
  const dryRun = input.dryRun ?? false;
  if (typeof dryRun !== 'boolean') {
    throw new UsageError(`dryRun must be true or false; got ${JSON.stringify(input.dryRun)}`);
  }
  if (input.tables !== undefined && !Array.isArray(input.tables)) {
    throw new UsageError(
      `tables must be a list of table names; got ${JSON.stringify(input.tables)}`,
    );
  }
  const tables = input.tables
    ? input.tables.map((name) => configuredTable(config, name))
    : config.tables;
  return { dryRun, items: tables.map((t) => ({ table: t.name, dryRun })) };
}

/**
 * The summary of a table's report for the state machine.
 * @example
 * summarizeTable(report, false).anyHeld; // true when a day was held
 */
export function summarizeTable(report: PurgeTableReport, dryRun: boolean): PurgeTableSummary {
  const held = purgeProblems({ dryRun, tables: [report] });
  const gone = report.days.filter((d) => d.action === 'deleted' || d.action === 'delete');
  return {
    table: report.table,
    cutoffDay: report.cutoffDay,
    dryRun,
    deletedDays: gone.length,
    deletedRows: report.days.reduce((n, d) => n + d.deletedRows, 0),
    heldDays: held.length,
    deferredDays: report.days.filter((d) => d.action === 'deferred').length,
    anyHeld: held.length > 0,
    held: held.slice(0, MAX_HELD_IN_SUMMARY),
  };
}

/** An alert port that drops alerts: the task's, whose state machine sends the alert itself. */
const silentAlerts: Alerts = { notify: async () => undefined };

/** Options of {@link purgeTableTask}. */
export interface PurgeTaskOptions extends Pick<PurgeOptions, 'batchRows' | 'onProgress'> {
  /** Epoch ms after which no new batch starts (the Lambda's remaining time, less a margin). */
  readonly deadline?: number;
  /** Receives each table's full report (the CLI prints it; the summary is what flows on). */
  readonly onReport?: (report: PurgeTableReport) => void;
}

/**
 * PurgeTable: one table through {@link purgeTable}. The state machine raises the alert for held
 * days (its SNS task, from the summary's `held`), so the task itself alerts nothing. Transient
 * failures are renamed `TransientError` for the Retry.
 * @example
 * const task = purgeTableTask({ db, store, catalog, clock, config });
 * await task({ table: 'events', dryRun: false }); // { table: 'events', deletedRows: 3012, … }
 */
export function purgeTableTask(
  deps: Omit<PurgeDeps, 'alerts'>,
  options: PurgeTaskOptions = {},
): (item: PurgeTableItem) => Promise<PurgeTableSummary> {
  return async (item) => {
    try {
      const dryRun = item.dryRun === true;
      const report = await purgeTable(
        { ...deps, alerts: silentAlerts },
        configuredTable(deps.config, item.table),
        {
          dryRun,
          ...(options.batchRows === undefined ? {} : { batchRows: options.batchRows }),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        },
      );
      options.onReport?.(report);
      return summarizeTable(report, dryRun);
    } catch (error) {
      throw classify(error);
    }
  };
}
