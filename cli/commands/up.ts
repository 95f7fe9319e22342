import { relative } from 'node:path';
import type { Command } from 'commander';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import {
  describeLoad,
  sampleOptions,
  seedWithProgress,
  withSampleFlags,
  type SampleFlags,
} from '#cli/commands/seed';
import { exportWithProgress, reportRun } from '#cli/commands/etl';
import { summarizeTables, type TableSummary } from '#core/hot/summary';
import { daysBetween, lastClosedDay, unpublished, type RunSummary } from '#etl/run';
import { existingSampleTables } from '#core/sample/load';
import { utcDay } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';

interface UpFlags extends SampleFlags {
  readonly once?: boolean;
  readonly json?: boolean;
}

/** `thermocline up` (what `npm start` runs): the local platform, ready to use. */
export function registerUp(program: Command): void {
  withSampleFlags(
    program
      .command('up')
      .description(
        'start the local platform: Postgres (embedded unless DATABASE_URL/PG* is set), the sample data set if the database is empty, a summary and what to do next',
      ),
  )
    .option('--once', 'print the summary and exit instead of serving the embedded database')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ npm start                                   # same as: thermocline up
  $ thermocline up --once --json                # summary as JSON, then exit
  $ DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres thermocline up
  $ thermocline up --days 30 --scale 0.2        # a smaller sample when the database is empty`,
    )
    .action(async (flags: UpFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const options = sampleOptions(flags, context.clock);
      const json = !!flags.json;
      const db = await context.openDatabase();
      try {
        if (!json)
          print(`Postgres: ${db.target.description}`, `Config:   ${context.config.source}`);
        const wantsSample = context.config.use_sample_defaults;
        const seeded =
          wantsSample && (await existingSampleTables(db)).length === 0
            ? await seedWithProgress(db, options, json)
            : undefined;
        if (seeded && !json) print('', ...describeLoad(seeded, options));
        const tables = await summarizeTables(db, context.config);
        const exported = await exportClosedDays(context, db, tables, json);
        const serving = db.target.embeddedRole === 'owner' && !flags.once;
        const next = nextSteps(db, serving, context.home, context.clock.now());
        if (json) {
          printJson({
            database: db.target,
            schema: db.schema,
            config: context.config.source,
            seeded: seeded ? { sample: options, ...seeded } : null,
            tables,
            exported,
            serving,
            next,
          });
        } else {
          print(
            '',
            describeTables(tables),
            '',
            'What you can do next:',
            ...next.map((n) => `  ${n}`),
          );
        }
        if (serving) await serveUntilStopped(db, json);
      } finally {
        await db.close();
      }
    });
}

/**
 * Exports every closed day of the tiered tables that the lake does not have yet (so the first
 * `npm start` fills the lake and later ones only add the new days).
 */
async function exportClosedDays(
  context: CliContext,
  db: SqlDatabase,
  tables: readonly TableSummary[],
  json: boolean,
): Promise<RunSummary | null> {
  const now = context.clock.now();
  const candidates = context.config.tables.flatMap((table) => {
    const summary = tables.find((t) => t.table === table.name);
    if (!summary?.firstDay || !summary.lastDay) return [];
    const last = lastClosedDay(table, now);
    const to = summary.lastDay < last ? summary.lastDay : last;
    return daysBetween(summary.firstDay, to).map((day) => ({ table, day }));
  });
  const work = await unpublished(context.lake, candidates);
  if (work.length === 0) return null;
  if (!json)
    print('', `Exporting ${work.length} closed table-days to the lake (${context.home}/lake):`);
  const summary = await exportWithProgress(context, db, work, json);
  if (json) {
    if (summary.failed.length > 0) process.exitCode = 1; // the summary goes into up's JSON
  } else {
    reportRun(summary, { json: false, perTableDay: false });
  }
  return summary;
}

function describeTables(tables: readonly TableSummary[]): string {
  return formatTable(
    ['table', 'kind', 'rows', 'first day', 'last day'],
    tables.map((t) => [t.table, t.kind, t.exists ? t.rows : 'missing', t.firstDay, t.lastDay]),
  );
}

function nextSteps(db: SqlDatabase, serving: boolean, home: string, now: Date): string[] {
  const lake = relative(process.cwd(), home) || home;
  const day = (daysAgo: number): string => utcDay(new Date(now.getTime() - daysAgo * 86_400_000));
  const steps = [
    `psql ${db.target.url}${serving ? '   # while this runs' : ''}`,
    `ls ${lake}/lake ${lake}/catalog.json   # the Parquet lake and its catalog`,
    'npx thermocline etl run --json                       # export yesterday again (replaces it whole)',
    `npx thermocline backfill --from ${day(7)} --to ${day(1)}   # re-export a week`,
    'npx thermocline seed --reset --days 30 --scale 0.5   # reload a different sample',
    'npx thermocline --help                                # every command, with examples',
    'npm test                                              # the whole test suite',
  ];
  return db.target.kind === 'embedded' && !serving ? steps.slice(1) : steps;
}

async function serveUntilStopped(db: SqlDatabase, json: boolean): Promise<void> {
  if (!json) {
    print(
      '',
      `Serving the embedded database on ${db.target.url} for psql and other thermocline commands.`,
      'Press Ctrl-C to stop.',
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (!json) print('Stopping.');
}
