import type { Command } from 'commander';
import { parseDay } from '#cli/args';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { createProgress } from '#cli/progress';
import { tableConfig } from '#core/config/resolve';
import type { TableConfig } from '#core/config/schema';
import { UsageError } from '#core/errors';
import { daysBetween, lastClosedDay, runExports, type RunSummary, type TableDay } from '#etl/run';
import type { SqlDatabase } from '#ports/sql';

interface RunFlags {
  readonly date?: string;
  readonly table?: string;
  readonly json?: boolean;
}

interface BackfillFlags {
  readonly from?: string;
  readonly to?: string;
  readonly table?: string;
  readonly json?: boolean;
}

/** The configured tables, or the one named by --table. */
function selectTables(context: CliContext, name: string | undefined): TableConfig[] {
  return name ? [tableConfig(context.config, name)] : [...context.config.tables];
}

/** Refuses a day that is not closed yet for a table. */
function assertClosed(table: TableConfig, day: string, now: Date): void {
  const last = lastClosedDay(table, now);
  if (day > last) {
    throw new UsageError(
      `${day} is not closed yet for table '${table.name}' (export_lag_days ${table.export_lag_days}); the last day it can export is ${last}`,
    );
  }
}

/** Exports table-days with progress, prints the outcome; exit code 1 when any failed. */
export async function exportWithProgress(
  context: CliContext,
  db: SqlDatabase,
  work: readonly TableDay[],
  json: boolean,
): Promise<RunSummary> {
  const deps = await context.exportDeps(db);
  const progress = createProgress({ total: work.length, unit: 'table-days', quiet: json });
  try {
    return await runExports(deps, work, {
      onDone: (done, last) => progress.update(done, `${last.table} ${last.day}`),
    });
  } finally {
    progress.stop();
    await deps.encoder.close();
  }
}

/**
 * Prints a run summary (a row per table-day with `perTableDay`, then totals and failures) as
 * text, or as JSON; a run with failures sets exit code 1 (the other table-days still published).
 */
export function reportRun(
  summary: RunSummary,
  options: { json: boolean; perTableDay: boolean },
): void {
  if (summary.failed.length > 0) process.exitCode = 1;
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
  for (const failure of summary.failed) {
    process.stderr.write(`thermocline: ${failure.table} ${failure.day} failed: ${failure.error}\n`);
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
      const tables = selectTables(context, flags.table);
      const now = context.clock.now();
      const date = flags.date ? parseDay('--date', flags.date) : undefined;
      const work = tables.map((table) => {
        const day = date ?? lastClosedDay(table, now);
        assertClosed(table, day, now);
        return { table, day };
      });
      const db = await context.openDatabase();
      try {
        if (!flags.json)
          print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`);
        reportRun(await exportWithProgress(context, db, work, !!flags.json), {
          json: !!flags.json,
          perTableDay: true,
        });
      } finally {
        await db.close();
      }
    });

  program
    .command('backfill')
    .description(
      'export every day of a range for every configured table (or --table): re-runs replace days whole',
    )
    .requiredOption('--from <YYYY-MM-DD>', 'first day')
    .requiredOption('--to <YYYY-MM-DD>', 'last day (must be closed)')
    .option('--table <name>', 'only this table')
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
      const tables = selectTables(context, flags.table);
      const now = context.clock.now();
      for (const table of tables) assertClosed(table, to, now);
      const days = daysBetween(from, to);
      const work = days.flatMap((day) => tables.map((table) => ({ table, day })));
      const db = await context.openDatabase();
      try {
        if (!flags.json)
          print(`Postgres: ${db.target.description}`, `Backfilling ${work.length} table-days`);
        reportRun(await exportWithProgress(context, db, work, !!flags.json), {
          json: !!flags.json,
          perTableDay: work.length <= 30, // a long backfill prints its totals; --json has all
        });
      } finally {
        await db.close();
      }
    });
}
