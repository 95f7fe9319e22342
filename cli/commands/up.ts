import { relative } from 'node:path';
import type { Command } from 'commander';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import {
  describeLoad,
  sampleOptions,
  seedWithProgress,
  withSampleFlags,
  type SampleFlags,
} from '#cli/commands/seed';
import { reportRun } from '#cli/commands/etl';
import { exportWithProgress } from '#runtime/local/etl-runtime';
import { runSyncStateMachine, type SyncExecution } from '#runtime/local/sync-runtime';
import { DEFAULT_S3_SOURCES } from '#core/config/defaults';
import { writeSampleExternalSource } from '#core/sample/external-source';
import { describeApi, parsePort, untilStopped } from '#cli/commands/serve';
import { startLocalApi, type RunningApi } from '#runtime/local/api-runtime';
import { summarizeTables, type TableSummary } from '#core/hot/summary';
import { daysBefore, daysBetween } from '#core/days';
import { lastClosedDay, unpublished, type RunSummary } from '#etl/run';
import { existingSampleTables, type LoadReport } from '#core/sample/load';
import type { SampleOptions } from '#core/sample/generator';
import type { SqlDatabase } from '#ports/sql';

interface UpFlags extends SampleFlags {
  readonly once?: boolean;
  readonly port?: string;
  readonly json?: boolean;
}

/** `thermocline up` (what `npm start` runs): the local platform, ready to use. */
export function registerUp(program: Command): void {
  withSampleFlags(
    program
      .command('up')
      .description(
        'start the local platform: Postgres (embedded unless DATABASE_URL/PG* is set), the sample data set if the database is empty, the closed days exported to the lake, the query API on http://127.0.0.1:3000, a summary and what to do next',
      ),
  )
    .option(
      '--once',
      'print the summary and exit instead of serving the query API (and the embedded database)',
    )
    .option('--port <n>', 'port of the query API on 127.0.0.1; 0 picks a free one (default 3000)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ npm start                                   # same as: thermocline up
  $ thermocline up --once --json                # summary as JSON, then exit
  $ thermocline up --port 3001                  # the query API on another port
  $ DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres thermocline up
  $ thermocline up --days 30 --scale 0.2        # a smaller sample when the database is empty`,
    )
    .action(runUp);
}

/** What `up` brought to the lake before serving: each part null when it had nothing to do. */
interface UpData {
  readonly seeded: LoadReport | undefined;
  readonly tables: readonly TableSummary[];
  readonly exported: RunSummary | null;
  readonly synced: SyncExecution['summary'] | null;
  readonly external: { bucket: string; files: number; bytes: number } | null;
}

/** Brings the platform up, prints the summary and serves until Ctrl-C (unless `--once`). */
async function runUp(flags: UpFlags, command: Command): Promise<void> {
  const context = createContext(command.optsWithGlobals<GlobalOptions>());
  const options = sampleOptions(flags, context.clock);
  const port = parsePort(flags.port);
  const json = !!flags.json;
  const db = await context.openDatabase();
  try {
    if (!json) print(`Postgres: ${db.target.description}`, `Config:   ${context.config.source}`);
    const data = await prepareData(context, db, options, json);
    const serving = db.target.embeddedRole === 'owner' && !flags.once;
    // After the export, so the API's examples name days the lake has.
    const api = flags.once ? undefined : await startLocalApi(context, db, port, { quiet: json });
    try {
      const next = nextSteps(db, serving, context.home, context.clock.now());
      if (json) {
        printJson(summaryJson(context, db, options, data, serving, api, next));
      } else {
        const steps = next.map((n) => `  ${n}`);
        print('', describeTables(data.tables), '', 'What you can do next:', ...steps);
        if (api) print('', ...describeApi(api));
      }
      if (api) await serveUntilStopped(db, serving, json);
    } finally {
      await api?.close();
    }
  } finally {
    await db.close();
  }
}

/**
 * The sample (when the config wants it and the database has none of its tables), the closed days
 * exported, the reference tables synced and the sample external source written.
 */
async function prepareData(
  context: CliContext,
  db: SqlDatabase,
  options: SampleOptions,
  json: boolean,
): Promise<UpData> {
  const wantsSample = context.config.use_sample_defaults;
  const seeded =
    wantsSample && (await existingSampleTables(db)).length === 0
      ? await seedWithProgress(db, options, json)
      : undefined;
  if (seeded && !json) print('', ...describeLoad(seeded, options));
  const tables = await summarizeTables(db, context.config);
  const exported = await exportClosedDays(context, db, tables, json);
  const synced = await syncReferenceTables(context, db, json);
  const external = await writeExternalSamples(context, db, json);
  return { seeded, tables, exported, synced, external };
}

/** `up --json`'s summary. */
function summaryJson(
  context: CliContext,
  db: SqlDatabase,
  options: SampleOptions,
  data: UpData,
  serving: boolean,
  api: RunningApi | undefined,
  next: readonly string[],
): Record<string, unknown> {
  return {
    database: db.target,
    schema: db.schema,
    config: context.config.source,
    seeded: data.seeded ? { sample: options, ...data.seeded } : null,
    tables: data.tables,
    exported: data.exported,
    synced: data.synced,
    external: data.external,
    serving,
    api: api
      ? { url: api.server.url, console: `${api.server.url}/`, examples: api.examples }
      : null,
    next,
  };
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
    print('', `Exporting ${work.length} closed table-days to the lake (${context.lake.where}):`);
  const summary = await exportWithProgress(context, db, work, json);
  if (json) {
    // The summary goes into up's JSON.
    if (summary.failed.length > 0) failRun(summary.failed.map((f) => f.error));
  } else {
    reportRun(summary, { json: false, perTableDay: false });
  }
  return summary;
}

/**
 * Syncs the reference tables to the lake (`ref_<table>`) through the sync state machine, in each
 * mapping's own mode: the first `npm start` writes them whole, later ones only the changes.
 */
async function syncReferenceTables(
  context: CliContext,
  db: SqlDatabase,
  json: boolean,
): Promise<SyncExecution['summary'] | null> {
  if (context.config.mappings.length === 0) return null;
  if (!json) print('', `Syncing ${context.config.mappings.length} reference tables to the lake:`);
  const { summary } = await runSyncStateMachine(context, db, {}, json);
  if (summary.failed.length > 0) failRun(summary.failed.map((f) => f.error));
  if (!json) {
    const changed = summary.synced.reduce((n, r) => n + r.changedRows, 0);
    print(
      `Synced ${summary.synced.length} mappings (${changed} changed rows) in ${summary.seconds.toFixed(1)} s` +
        (summary.failed.length > 0
          ? `; failed: ${summary.failed.map((f) => `${f.table} (${f.error})`).join(', ')}`
          : '.'),
    );
  }
  return summary;
}

/**
 * Writes the sample's external S3 source (`events/<EventType>/<day>.parquet`, the seed's "S3
 * Direct Integration" layout) under `THERMOCLINE_HOME/s3/<bucket>/` once, when the config keeps
 * the sample source and its folder is empty, so `S3ParquetRead` and `GET /catalog` have files.
 */
async function writeExternalSamples(
  context: CliContext,
  db: SqlDatabase,
  json: boolean,
): Promise<{ bucket: string; files: number; bytes: number } | null> {
  const sample = DEFAULT_S3_SOURCES[0];
  const source = context.config.s3_sources.find(
    (s) => s.bucket === sample?.bucket && s.prefix === sample.prefix,
  );
  if (!source) return null;
  const bucket = context.openBucket(source.bucket);
  if ((await bucket.list(source.prefix)).length > 0) return null;
  const encoder = await context.openEncoder();
  try {
    const written = await writeSampleExternalSource(db, bucket, {
      days: EXTERNAL_SAMPLE_DAYS,
      encoder,
      prefix: source.prefix,
    });
    if (!json) {
      print(
        '',
        `Wrote the sample external source s3://${source.bucket}/${source.prefix} ` +
          `(${written.keys.length} files, ${written.days.length} days) under ${bucket.root}.`,
      );
    }
    return { bucket: source.bucket, files: written.keys.length, bytes: written.bytes };
  } finally {
    await encoder.close();
  }
}

/** Days of events the sample external source holds. */
const EXTERNAL_SAMPLE_DAYS = 3;

function describeTables(tables: readonly TableSummary[]): string {
  return formatTable(
    ['table', 'kind', 'rows', 'first day', 'last day'],
    tables.map((t) => [t.table, t.kind, t.exists ? t.rows : 'missing', t.firstDay, t.lastDay]),
  );
}

function nextSteps(db: SqlDatabase, serving: boolean, home: string, now: Date): string[] {
  const lake = relative(process.cwd(), home) || home;
  const day = (daysAgo: number): string => daysBefore(now, daysAgo);
  const steps = [
    `psql ${db.target.url}${serving ? '   # while this runs' : ''}`,
    `ls ${lake}/lake ${lake}/catalog.json   # the Parquet lake and its catalog`,
    'npx thermocline etl run --json                       # export yesterday again (replaces it whole)',
    'npx thermocline catalog                               # what the query API can read',
    'npx thermocline sync --mode incremental               # push reference-table changes to the lake',
    'npx thermocline purge --dry-run                       # what retention would delete, and why not',
    `npx thermocline backfill --from ${day(7)} --to ${day(1)}   # re-export a week`,
    'npx thermocline seed --reset --days 30 --scale 0.5   # reload a different sample',
    'npx thermocline --help                                # every command, with examples',
    'npm test                                              # the whole test suite',
  ];
  return db.target.kind === 'embedded' && !serving ? steps.slice(1) : steps;
}

/** Waits for Ctrl-C while the query API (and the embedded database, when this owns it) serve. */
async function serveUntilStopped(
  db: SqlDatabase,
  servingDatabase: boolean,
  json: boolean,
): Promise<void> {
  if (!json) {
    print(
      '',
      ...(servingDatabase
        ? [
            `Serving the embedded database on ${db.target.url} for psql and other thermocline commands.`,
          ]
        : []),
      'Press Ctrl-C to stop.',
    );
  }
  await untilStopped();
  if (!json) print('Stopping.');
}
