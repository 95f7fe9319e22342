import type { Command } from 'commander';
import { join } from 'node:path';
import { parseDay, parseWhole } from '#cli/args';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import { UsageError } from '#core/errors';
import type { RunSummary } from '#etl/run';
import type { PlanInput } from '#etl/tasks';
import { runEtlStateMachine } from '#runtime/local/etl-runtime';

interface RunFlags {
  readonly date?: string;
  readonly table?: string;
  readonly concurrency?: string;
  readonly json?: boolean;
}

interface BackfillFlags {
  readonly from?: string;
  readonly to?: string;
  readonly table?: string;
  readonly concurrency?: string;
  readonly json?: boolean;
}

/**
 * Prints a run summary (a row per table-day with `perTableDay`, then totals and failures) as
 * text, or as JSON; a run with failures sets exit code 1 (the other table-days still published).
 */
export function reportRun(
  summary: RunSummary,
  options: { json: boolean; perTableDay: boolean },
): void {
  if (summary.failed.length > 0) failRun(summary.failed.map((f) => f.error));
  if (options.json) {
    printJson(summary);
    return;
  }
  if (options.perTableDay && summary.published.length > 0) {
    print(
      formatTable(
        ['table', 'day', 'rows', 'files', 'MB', 'seconds'],
        summary.published.map((r) => [
          r.table,
          r.day,
          r.rows,
          r.files,
          Number((r.bytes / 2 ** 20).toFixed(2)),
          Number(r.seconds.toFixed(2)),
        ]),
      ),
    );
  }
  print(
    `Published ${summary.published.length} table-days (${summary.rows} rows, ${(summary.bytes / 2 ** 20).toFixed(1)} MB) in ${summary.seconds.toFixed(1)} s.`,
  );
  for (const r of summary.published) {
    if (r.schemaChanges && r.schemaChanges.length > 0) {
      print(`Lake table ${r.table} changed with ${r.day}: ${r.schemaChanges.join('; ')}.`);
    }
  }
  if (summary.rechecked) {
    const { checked, changed } = summary.rechecked;
    print(
      `Re-checked ${checked} exported table-days still hot: ${changed.length} changed since their export` +
        (changed.length > 0
          ? ` and were exported again: ${changed.map((c) => `${c.table} ${c.day} (lake ${c.lake}, hot ${c.hot})`).join(', ')}.`
          : '.'),
    );
  }
  for (const failure of summary.failed) {
    process.stderr.write(`thermocline: ${failure.table} ${failure.day} failed: ${failure.error}\n`);
  }
}

/** Opens the database, runs the ETL state machine, prints the outcome; exit 1 when it failed. */
async function runAndReport(
  context: CliContext,
  input: PlanInput,
  options: { json: boolean; perTableDay: boolean },
): Promise<void> {
  const db = await context.openDatabase();
  try {
    if (!options.json) {
      print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`);
    }
    const result = await runEtlStateMachine(context, db, input, options.json);
    if (options.json) {
      printJson(result);
    } else {
      reportRun(result.summary, options);
      if (result.execution.status === 'FAILED') {
        process.stderr.write(
          `thermocline: the ETL execution failed (${result.execution.error?.error}); alert written to ${join(context.home, 'alerts.log')}\n`,
        );
      }
    }
    if (result.execution.status === 'FAILED') {
      const failures = result.summary.failed.map((f) => f.error);
      const code = failRun(failures.length > 0 ? failures : [result.execution.error?.cause ?? '']);
      if (code === 3 && !options.json) {
        process.stderr.write(
          `thermocline: PostgreSQL (${db.target.description}) was lost during the run and did not come back within the retries; the failed table-days published nothing. Run the same command again once it answers.
`,
        );
      }
    }
  } finally {
    await db.close();
  }
}

/** `thermocline etl run` and `thermocline backfill`. */
export function registerEtl(program: Command): void {
  const etl = program
    .command('etl')
    .description('export closed days from PostgreSQL to Parquet in the lake');
  etl
    .command('run')
    .description(
      'export one closed day of every configured table (or --table), validate it against the source and publish it atomically',
    )
    .option('--date <YYYY-MM-DD>', "the day (default: each table's last closed day)")
    .option('--table <name>', 'only this table')
    .option(
      '--concurrency <n>',
      "table-days at once, 1-40 (default: the local environment's etl_concurrency)",
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline etl run                          # yesterday (export_lag_days 1) for every table
  $ thermocline etl run --date 2025-02-15 --table events --json`,
    )
    .action(async (flags: RunFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const input: PlanInput = {
        ...(flags.date ? { date: parseDay('--date', flags.date) } : {}),
        ...(flags.table ? { table: flags.table } : {}),
        ...concurrencyOf(flags),
      };
      await runAndReport(context, input, { json: !!flags.json, perTableDay: true });
    });

  program
    .command('backfill')
    .description(
      'export every day of a range for every configured table (or --table): re-runs replace days whole',
    )
    .requiredOption('--from <YYYY-MM-DD>', 'first day')
    .requiredOption('--to <YYYY-MM-DD>', 'last day (must be closed)')
    .option('--table <name>', 'only this table')
    .option(
      '--concurrency <n>',
      "table-days at once, 1-40 (default: the local environment's etl_concurrency)",
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline backfill --from 2025-02-01 --to 2025-02-15
  $ thermocline backfill --from 2025-02-10 --to 2025-02-12 --table agent_tasks --json`,
    )
    .action(async (flags: BackfillFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const from = parseDay('--from', flags.from ?? '');
      const to = parseDay('--to', flags.to ?? '');
      if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
      const input: PlanInput = {
        from,
        to,
        ...(flags.table ? { table: flags.table } : {}),
        ...concurrencyOf(flags),
      };
      // A long backfill prints its totals; --json has every table-day.
      await runAndReport(context, input, { json: !!flags.json, perTableDay: false });
    });
}

/** `--concurrency` as the plan's input, when given. */
function concurrencyOf(flags: { readonly concurrency?: string }): { concurrency?: number } {
  return flags.concurrency === undefined
    ? {}
    : { concurrency: parseWhole('--concurrency', flags.concurrency, 1, 40) };
}
