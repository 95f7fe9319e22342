/**
 * `npm run bench -- sync [--members 10000] [--purge-rows 100000]`: the two timings of issue 6, on
 * a fresh private schema of the PostgreSQL server (DATABASE_URL/PG*, else 127.0.0.1:5432, else
 * the embedded PGlite) and a lake in a temporary directory.
 * 1. Incremental sync: the sample loaded with at least `--members` members (one day of the
 *    time-series tables), one full sync of `members`, then `UPDATE` of `--members` member rows
 *    (`updated_at = now()`), then `runSync(…, { mode: 'incremental', tables: ['members'] })` timed
 *    end to end (read, encode, merge, publish, watermark) → `changed_rows`, `sync_s`, against the
 *    target of 1 s (the seed asks < 5 s).
 * 2. Purge: one day of `--purge-rows` rows of a time-series table (plus rows on the days around
 *    it), exported and published by the real ETL (`exportTableDay`), then its purge timed: the
 *    verification (manifest, catalog, files, count and checksum of the hot rows) and the deletes
 *    in batches of 10,000 → `purge_rows`, `purge_rows_per_s`; the dry run (verification only) is
 *    timed first, as `purge_verify_s`.
 * The last line is one JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import type { TableConfig } from '#core/config/schema';
import { loadSample } from '#core/sample/load';
import { qualify } from '#core/sql/ident';
import { exportTableDay } from '#etl/export';
import { purge } from '#etl/retention/purge';
import { runSync } from '#etl/sync/run';
import { fixedClock, systemClock, utcDay } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase } from '#adapters/scratch-database';

const PURGE_DAY = '2025-02-15';
/** "Today" of the purge: 2025-06-01, so PURGE_DAY is past hot_retention_days (90). */
const PURGE_NOW = '2025-06-01T04:00:00Z';
const RECENT_FROM = '2025-05-22';
const PURGE_TABLE: TableConfig = {
  name: 'bench_purge',
  primary_key: ['id'],
  timestamp_column: 'created_at',
  partition_layout: 'ymd',
  partition_column: null,
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};

const round = (x: number): number => Number(x.toFixed(3));

/** Part 1: full sync, UPDATE `members` rows, timed incremental sync. */
async function benchIncrementalSync(
  db: SqlDatabase,
  home: string,
  members: number,
): Promise<Record<string, unknown>> {
  const scale = Math.max(1, members / 5000);
  process.stderr.write(`  loading the sample (scale ${scale}, 1 day)…\n`);
  await loadSample(db, { seed: 42, days: 1, scale, endDate: utcDay(new Date()) });
  const encoder = await createDuckDbEncoder();
  try {
    const deps = { db, encoder, clock: systemClock, ...openLocalLake(home) };
    const fullStarted = performance.now();
    const full = await runSync(deps, { mode: 'full', tables: ['members'] });
    const fullSeconds = (performance.now() - fullStarted) / 1000;
    process.stderr.write(`  full sync: ${full.changedRows} rows in ${fullSeconds.toFixed(2)} s\n`);

    const memberTable = qualify(db.schema, 'members');
    await db.query(
      `UPDATE ${memberTable} SET updated_at = now()
        WHERE member_code IN (SELECT member_code FROM ${memberTable} ORDER BY member_code LIMIT ${members})`,
    );
    const started = performance.now();
    const incremental = await runSync(deps, { mode: 'incremental', tables: ['members'] });
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(
      `  incremental sync: ${incremental.changedRows} changed rows in ${seconds.toFixed(2)} s\n`,
    );
    return {
      members: full.mappings[0]?.currentRows ?? null,
      sync_full_s: round(fullSeconds),
      changed_rows: incremental.changedRows,
      sync_read_rows: incremental.mappings[0]?.readRows ?? null,
      sync_s: round(seconds),
      sync_target_s: 1,
      sync_ratio_to_target: round(seconds / 1),
      sync_target_met: seconds <= 1,
    };
  } finally {
    await encoder.close();
  }
}

/** Part 2: one exported day of `rows` rows, then its purge timed. */
async function benchPurge(
  db: SqlDatabase,
  home: string,
  rows: number,
): Promise<Record<string, unknown>> {
  const name = qualify(db.schema, PURGE_TABLE.name);
  await db.query(`CREATE TABLE ${name} (
    id int8 PRIMARY KEY, created_at timestamptz NOT NULL, kind text NOT NULL,
    amount numeric(12,2), payload jsonb, note text)`);
  // `rows` on the day; 10,000 more on the ten days before "today", younger than the retention
  // (they must stay, and the batches must find the day's rows among them).
  await db.query(`INSERT INTO ${name}
    SELECT g,
           TIMESTAMPTZ '${PURGE_DAY} 00:00:00+00' + ((g - 1)::float8 / ${rows} * 86399.999) * interval '1 second',
           (ARRAY['Login', 'GameOpened', 'Deposit', 'apiError'])[1 + g % 4],
           (g % 100000) / 100.0,
           jsonb_build_object('session', md5(g::text), 'step', g % 17, 'tags', jsonb_build_array('a', g % 5)),
           'row ' || g
      FROM generate_series(1, ${rows}) g`);
  await db.query(`INSERT INTO ${name}
    SELECT ${rows} + g, TIMESTAMPTZ '${RECENT_FROM} 00:00:00+00' + g * interval '86 seconds',
           'Login', 1, '{}'::jsonb, 'recent'
      FROM generate_series(1, 10000) g`);
  await db.query(`CREATE INDEX ON ${name} (created_at)`);
  await db.query(`ANALYZE ${name}`);

  const encoder = await createDuckDbEncoder();
  const lake = openLocalLake(home);
  try {
    const exported = await exportTableDay(
      { db, encoder, clock: systemClock, ...lake },
      PURGE_TABLE,
      PURGE_DAY,
    );
    process.stderr.write(`  exported ${exported.rows} rows in ${exported.seconds.toFixed(2)} s\n`);
  } finally {
    await encoder.close();
  }
  const alerts: string[] = [];
  const deps = {
    db,
    ...lake,
    alerts: { notify: async (subject: string) => void alerts.push(subject) },
    clock: fixedClock(PURGE_NOW),
    config: { tables: [PURGE_TABLE] },
  };
  const dryStarted = performance.now();
  await purge(deps, { dryRun: true });
  const verifySeconds = (performance.now() - dryStarted) / 1000;

  const started = performance.now();
  const report = await purge(deps, { dryRun: false });
  const seconds = (performance.now() - started) / 1000;
  const day = report.tables[0]?.days.find((d) => d.day === PURGE_DAY);
  if (day?.action !== 'deleted' || day.reason !== undefined || alerts.length > 0) {
    throw new Error(`bench purge: the day was not purged cleanly: ${JSON.stringify(day)}`);
  }
  const [left] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
  process.stderr.write(
    `  purged ${day.deletedRows} rows in ${seconds.toFixed(2)} s (${left?.n} younger rows kept)\n`,
  );
  return {
    purge_rows: day.deletedRows,
    purge_s: round(seconds),
    purge_rows_per_s: Math.round(day.deletedRows / seconds),
    purge_verify_s: round(verifySeconds),
    purge_batch_rows: 10_000,
    purge_kept_rows: Number(left?.n),
  };
}

/** The benchmark (see the module comment). */
export async function benchSync(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      members: { type: 'string', default: '10000' },
      'purge-rows': { type: 'string', default: '100000' },
    },
  });
  const members = Number(values.members);
  const purgeRows = Number(values['purge-rows']);
  const home = await mkdtemp(join(tmpdir(), 'thermocline-bench-sync-'));
  const { db, cleanup } = await openTestDatabase('bench_sync');
  try {
    process.stderr.write(`bench sync: ${db.target.description}, schema ${db.schema}\n`);
    const sync = await benchIncrementalSync(db, join(home, 'sync'), members);
    const purged = await benchPurge(db, join(home, 'purge'), purgeRows);
    return { bench: 'sync', database: db.target.kind, ...sync, ...purged };
  } finally {
    await cleanup();
    await rm(home, { recursive: true, force: true });
  }
}
