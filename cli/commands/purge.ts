import { join } from 'node:path';
import type { Command } from 'commander';
import { parseWhole } from '#cli/args';
import { createContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import { purgeProblems } from '#etl/retention/purge';
import { planPurge, type RetentionInput } from '#etl/retention/tasks';
import { runRetentionStateMachine, type PurgeExecution } from '#runtime/local/retention-runtime';

interface PurgeFlags {
  readonly dryRun?: boolean;
  readonly table: string[];
  readonly batchRows?: string;
  readonly json?: boolean;
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
