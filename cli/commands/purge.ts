import { join } from 'node:path';
import type { Command } from 'commander';
import { parseWhole } from '#cli/args';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import { recordRun } from '#cli/run-record';
import { createProgress, type Progress } from '#cli/progress';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { FileAlerts } from '#adapters/local/file-alerts';
import { assertWritableHome } from '#adapters/local/home';
import { localProcess } from '#adapters/local/local-process';
import {
  alertTask,
  executionReport,
  LOCAL_RETRY_PAUSE_MS,
  runLocalStateMachine,
  type LocalExecution,
} from '#adapters/local/local-state-machine';
import {
  purgeProblems,
  type PurgeBatch,
  type PurgeReport,
  type PurgeTableReport,
} from '#etl/retention/purge';
import { planPurge, purgeTableTask, type RetentionInput } from '#etl/retention/tasks';
import {
  RETENTION_DEFINITION,
  RETENTION_PLACEHOLDERS,
  localDefinition,
} from '#etl/state-machines/index';
import type { SqlDatabase } from '#ports/sql';

interface PurgeFlags {
  readonly dryRun?: boolean;
  readonly table: string[];
  readonly batchRows?: string;
  readonly json?: boolean;
}

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
  context: CliContext,
  db: SqlDatabase,
  input: RetentionInput,
  options: { readonly json: boolean; readonly batchRows?: number },
): Promise<PurgeExecution> {
  const planned = planPurge(context.config, input); // bad input: exit 2 now
  await assertWritableHome(context.home); // alerts and the retention evidence go there
  const alerts = new FileAlerts(join(context.home, 'alerts.log'));
  const reports = new Map<string, PurgeTableReport>();
  let progress: { table: string; display: Progress } | undefined;
  const stopProgress = (): void => {
    progress?.display.stop();
    progress = undefined;
  };
  const afterBatch = faultHook(context.env.THERMOCLINE_FAULT);
  const encoder = await createDuckDbEncoder();
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
            display: createProgress({ total: p.total, unit: 'rows', quiet: options.json }),
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
  const notify = alertTask(alerts);
  const startedAt = new Date();
  try {
    const execution = await runLocalStateMachine(
      localDefinition(RETENTION_DEFINITION, RETENTION_PLACEHOLDERS),
      {
        PlanPurge: async (planInput: RetentionInput) => planPurge(context.config, planInput),
        PurgeTable: task,
        NotifyFailure: notify,
        NotifyHeld: notify,
      },
      input,
      { retryPauseMs: LOCAL_RETRY_PAUSE_MS },
    );
    const deleted = [...reports.values()].flatMap((t) =>
      t.days
        .filter((d) => d.deletedRows > 0)
        .map((d) => ({ table: t.table, day: d.day, rows: d.deletedRows })),
    );
    const failures = execution.events
      .filter((e) => e.event === 'StateExited' && e.state === 'RecordFailure')
      .map((e) => {
        const failure = e.output as { table: string; error: string; cause: string };
        return { table: failure.table, day: '*', error: `${failure.error}: ${failure.cause}` };
      });
    if (!planned.dryRun) {
      await recordRun(context.home, {
        kind: 'retention',
        startedAt,
        executionFailed: execution.status === 'FAILED',
        ...(execution.error ? { error: `${execution.error.error}: ${execution.error.cause}` } : {}),
        rows: deleted.reduce((n, d) => n + d.rows, 0),
        bytes: 0,
        done: deleted,
        failed: failures,
      });
    }
    return {
      execution: executionReport(execution).execution,
      dryRun: planned.dryRun,
      tables: planned.items.flatMap((item) => {
        const report = reports.get(item.table);
        return report ? [report] : [];
      }),
      failed: execution.events
        .filter((e) => e.event === 'StateExited' && e.state === 'RecordFailure')
        .map((e) => {
          const failure = e.output as { table: string; error: string; cause: string };
          return { table: failure.table, error: `${failure.error}: ${failure.cause}` };
        }),
    };
  } finally {
    stopProgress();
    await encoder.close();
  }
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

/** Prints the report: a row per candidate day, then the held days with their recovery. */
function printReport(result: PurgeExecution, alertsLog: string): void {
  const rows = result.tables.flatMap((t) =>
    t.days.map((d) => [
      t.table,
      d.day,
      d.hotRows,
      d.manifestRows ?? null,
      d.action === 'delete' ? 'would delete' : d.action,
      d.deletedRows,
      d.reason ?? '',
    ]),
  );
  if (rows.length > 0) {
    print(
      formatTable(['table', 'day', 'hot rows', 'lake rows', 'action', 'deleted', 'reason'], rows),
    );
  }
  const idle = result.tables.filter((t) => t.days.length === 0);
  if (idle.length > 0) {
    print(
      `Nothing older than the cutoff: ${idle.map((t) => `${t.table} (kept from ${t.cutoffDay})`).join(', ')}.`,
    );
  }
  const days = result.tables.flatMap((t) => t.days);
  const gone = days.filter((d) => d.action === 'deleted' || d.action === 'delete');
  const rowsGone = result.dryRun
    ? gone.reduce((n, d) => n + d.hotRows, 0)
    : days.reduce((n, d) => n + d.deletedRows, 0);
  const problems = purgeProblems(result);
  const deferred = days.filter((d) => d.action === 'deferred').length;
  print(
    `${result.dryRun ? 'Dry run: would delete' : 'Deleted'} ${rowsGone} hot rows of ${gone.length} day(s); ` +
      `${problems.length} day(s) held${problems.length > 0 && !result.dryRun ? ` (alerted: ${alertsLog})` : ''}` +
      `${deferred > 0 ? `; ${deferred} day(s) left for the next run` : ''}.`,
  );
  if (problems.length > 0) {
    print('', 'To resolve the held days:');
    for (const p of problems) print(`  ${p.table} ${p.day}: ${p.recovery}`);
  }
}

/** `thermocline purge`. */
export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description(
      "delete hot rows of days older than each table's hot_retention_days — only days whose lake manifest, catalog and files (each file's SHA-256 and the rows read back) match the hot rows (count and checksum); other days are held and alerted",
    )
    .option('--dry-run', 'report what would be deleted and why days are held; change nothing')
    .option(
      '--table <name>',
      'only this table (repeat for more)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--batch-rows <n>', 'rows per delete batch, one transaction each (default 10000)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Runs the retention state machine locally (the definition CDK deploys). Each day is deleted in
batches under the retention log (thermocline_retention_log), so an interrupted purge resumes.

Exit codes: 0 every old day was deleted (or would be); 1 a day was held (alerted, except on a dry
run) or a table failed; 2 bad input; 3 database unreachable.

Examples:
  $ thermocline purge --dry-run
  $ thermocline purge --table events --table agent_tasks --json`,
    )
    .action(async (flags: PurgeFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const batchRows = flags.batchRows
        ? parseWhole('--batch-rows', flags.batchRows, 1, 1_000_000)
        : undefined;
      const input: RetentionInput = {
        dryRun: !!flags.dryRun,
        ...(flags.table.length > 0 ? { tables: flags.table } : {}),
      };
      planPurge(context.config, input); // an unknown table: exit 2 before opening the database
      const json = !!flags.json;
      const db = await context.openDatabase();
      try {
        if (!json)
          print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`, '');
        const result = await runRetentionStateMachine(context, db, input, {
          json,
          ...(batchRows === undefined ? {} : { batchRows }),
        });
        const alertsLog = join(context.home, 'alerts.log');
        if (json) printJson(result);
        else printReport(result, alertsLog);
        if (result.execution.status === 'FAILED' || purgeProblems(result).length > 0) {
          failRun(result.failed.map((f) => f.error));
        }
        if (json) return;
        for (const failure of result.failed) {
          process.stderr.write(
            `thermocline: purge of ${failure.table} failed: ${failure.error}; alert written to ${alertsLog}\n`,
          );
        }
      } finally {
        await db.close();
      }
    });
}
