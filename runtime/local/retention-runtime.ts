/**
 * Retention on the local runtime: `thermocline purge` runs the retention state machine (the
 * definition CDK deploys) with its tasks bound in `state-machines.ts`; PurgeTable is the Lambda's
 * function over the local adapters, plus DuckDB to read each day back from the lake.
 */
import { assertWritableHome } from '#adapters/local/home';
import { localProcess } from '#adapters/local/local-process';
import type { PurgeBatch, PurgeReport, PurgeTableReport } from '#etl/retention/purge';
import { planPurge, purgeTableTask, type RetentionInput } from '#etl/retention/tasks';
import type { Progress } from '#ports/progress';
import type { SqlDatabase } from '#ports/sql';
import type { LocalRuntime } from '#runtime/local/local-runtime';
import { executionOutcome, recordRun } from '#runtime/local/run-record';
import {
  executionReport,
  localAlerts,
  retentionTasks,
  runMachine,
  type LocalExecution,
} from '#runtime/local/state-machines';

/** What `purge` prints with `--json`: the execution and the whole report. */
export interface PurgeExecution extends PurgeReport {
  readonly execution: {
    readonly status: LocalExecution['status'];
    readonly error?: LocalExecution['error'];
  };
  /** Tables whose purge failed (after retries), with the error: the next run resumes them. */
  readonly failed: { readonly table: string; readonly error: string }[];
}

/**
 * Runs the retention state machine definition (the one CDK deploys) on the local runtime:
 * PlanPurge, the Map over tables with its Retry and Catch, and the SNS alerts — written to
 * `$THERMOCLINE_HOME/alerts.log` — for failed tables and held days (none on a dry run). The
 * PurgeTable task is the Lambda's function over the local adapters, plus DuckDB, which reads each
 * day's rows back from the lake's files before its hot rows go (the Lambda checks the files'
 * SHA-256 only); the full per-day report is collected from it (the state machine carries only
 * summaries).
 * @example
 * const result = await runRetentionStateMachine(context, db, { dryRun: true }, { json: false });
 */
export async function runRetentionStateMachine(
  context: LocalRuntime,
  db: SqlDatabase,
  input: RetentionInput,
  options: { readonly json: boolean; readonly batchRows?: number },
): Promise<PurgeExecution> {
  const planned = planPurge(context.config, input); // bad input: exit 2 now
  await assertWritableHome(context.home); // alerts and the retention evidence go there
  const alerts = localAlerts(context.home);
  const reports = new Map<string, PurgeTableReport>();
  let progress: { table: string; display: Progress } | undefined;
  const stopProgress = (): void => {
    progress?.display.stop();
    progress = undefined;
  };
  const afterBatch = faultHook(context.env.THERMOCLINE_FAULT);
  const encoder = await context.openEncoder();
  const task = purgeTableTask(
    {
      db,
      ...context.lake,
      encoder,
      clock: context.clock,
      config: context.config,
      processInfo: localProcess(),
      ...(afterBatch ? { afterBatch } : {}),
    },
    {
      ...(options.batchRows === undefined ? {} : { batchRows: options.batchRows }),
      onProgress: (p) => {
        if (progress?.table !== p.table) {
          stopProgress();
          progress = {
            table: p.table,
            display: context.progress({ total: p.total, unit: 'rows', quiet: options.json }),
          };
        }
        progress.display.update(p.deleted, `${p.table} ${p.day}`);
      },
      onReport: (report) => {
        stopProgress();
        reports.set(report.table, report);
      },
    },
  );
  const startedAt = new Date();
  try {
    const execution = await runMachine(
      'retention',
      retentionTasks(context.config, task, alerts),
      input,
    );
    const failed = execution.events
      .filter((e) => e.event === 'StateExited' && e.state === 'RecordFailure')
      .map((e) => {
        const failure = e.output as { table: string; error: string; cause: string };
        return { table: failure.table, error: `${failure.error}: ${failure.cause}` };
      });
    if (!planned.dryRun) {
      await recordRetentionRun(context.home, startedAt, execution, reports, failed);
    }
    return {
      execution: executionReport(execution).execution,
      dryRun: planned.dryRun,
      tables: planned.items.flatMap((item) => {
        const report = reports.get(item.table);
        return report ? [report] : [];
      }),
      failed,
    };
  } finally {
    stopProgress();
    await encoder.close();
  }
}

/** Records a purge (not a dry run) in the run history: the hot rows deleted per day, failures. */
async function recordRetentionRun(
  home: string,
  startedAt: Date,
  execution: LocalExecution,
  reports: ReadonlyMap<string, PurgeTableReport>,
  failed: readonly { readonly table: string; readonly error: string }[],
): Promise<void> {
  const deleted = [...reports.values()].flatMap((t) =>
    t.days
      .filter((d) => d.deletedRows > 0)
      .map((d) => ({ table: t.table, day: d.day, rows: d.deletedRows })),
  );
  await recordRun(home, {
    kind: 'retention',
    startedAt,
    ...executionOutcome(execution),
    rows: deleted.reduce((n, d) => n + d.rows, 0),
    bytes: 0,
    done: deleted,
    failed: failed.map((f) => ({ table: f.table, day: '*', error: f.error })),
  });
}

/**
 * Fault injection for the crash test: THERMOCLINE_FAULT=kill-after-purge-batch kills the process
 * (SIGKILL: no cleanup runs) right after the first committed delete batch.
 */
function faultHook(fault: string | undefined): ((batch: PurgeBatch) => void) | undefined {
  if (fault !== 'kill-after-purge-batch') return undefined;
  return () => {
    process.kill(process.pid, 'SIGKILL');
  };
}
