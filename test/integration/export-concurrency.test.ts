import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { localProcess } from '#adapters/local/local-process';
import type { TableConfig } from '#core/config/schema';
import { qualify } from '#core/sql/ident';
import { cleanVersions, exportTableDay, type ExportDeps, type TableDayResult } from '#etl/export';
import { ensureLeases, LEASE_TABLE, LeaseHeldError, leaseHolder, LeaseLostError } from '#etl/lease';
import { systemClock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { readPublished } from '#test/support/lake';

const DAY = '2025-02-15';
const ROUNDS = 4;

const orders: TableConfig = {
  name: 'orders',
  primary_key: ['id'],
  timestamp_column: 'placed_at',
  partition_layout: 'ymd',
  partition_column: null,
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (!child.pid) throw new Error('could not start a short-lived process');
  return child.pid;
}

/** `text` as a literal inside a regular expression. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const clicks: TableConfig = {
  name: 'clicks',
  primary_key: ['id'],
  timestamp_column: 'at',
  partition_layout: 'event_type/dt',
  partition_column: 'kind',
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};

/**
 * Two exports of the same table-day at once, as two `etl run` processes would run them: each with
 * its own catalog and object store objects over the same lake, sharing only PostgreSQL.
 */
describe('two exports of the same table-day at once', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let encoders: ParquetEncoder[];
  let runs: ExportDeps[];

  beforeAll(async () => {
    test = await openTestDatabase('export_concurrency');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-export-concurrency-'));
    encoders = [await createDuckDbEncoder(), await createDuckDbEncoder()];
    runs = encoders.map((encoder) => ({
      db,
      encoder,
      clock: systemClock,
      ...openLocalLake(home),
    }));
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'clicks')} (id int8 PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL, page text)`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'clicks')}
       SELECT g, TIMESTAMPTZ '${DAY} 00:00:00+00' + (g * interval '40 seconds'),
              (ARRAY['Login', 'GameOpened', 'apiError', 'Logout'])[1 + g % 4], '/p/' || g
         FROM generate_series(1, 1800) g`,
    );
  });

  afterAll(async () => {
    for (const encoder of encoders) await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('leaves the catalog on complete folders with every row of the day exactly once, round after round', async () => {
    const [source] = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${qualify(db.schema, 'clicks')} WHERE at >= $1::date AND at < $1::date + 1`,
      [DAY],
    );
    const lake = runs[0] as ExportDeps;

    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await Promise.allSettled(
        runs.map((deps) => exportTableDay(deps, clicks, DAY)),
      );

      // Each run either published the day or lost the table-day to the other one (saying so).
      const published = outcomes.filter(
        (o): o is PromiseFulfilledResult<TableDayResult> => o.status === 'fulfilled',
      );
      expect(published.length).toBeGreaterThanOrEqual(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(String(outcome.reason)).toMatch(/another (export|run) .*clicks 2025-02-15/);
        }
      }
      // Every partition the catalog names holds every file its manifest lists.
      const partitions = await lake.catalog.listPartitions('clicks');
      expect(partitions.map((p) => p.values[0]).sort()).toEqual([
        'GameOpened',
        'Login',
        'Logout',
        'apiError',
      ]);
      for (const partition of partitions) {
        const manifest = JSON.parse(
          (await lake.store.getText(`${partition.location}_manifest.json`)) ?? '{"files":[]}',
        ) as { files: { key: string; bytes: number }[] };
        expect(manifest.files.length).toBe(partition.files);
        for (const file of manifest.files) {
          expect(await lake.store.head(file.key)).toEqual({ key: file.key, bytes: file.bytes });
        }
      }
      const [read] = await readPublished(lake, 'clicks', {
        select: 'count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids',
      });
      expect(read).toEqual({ n: Number(source?.n), ids: Number(source?.n) });
      // The day is small: the second run waited for the first and published it again.
      expect(published).toHaveLength(2);
    }
  });
});

describe("an export's table-day lease", () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let encoder: ParquetEncoder;
  let deps: ExportDeps;
  const me = localProcess();

  /** Records a lease as another run left it: `expiresIn` seconds from now (negative: expired). */
  async function otherLease(runId: string, owner: string, expiresIn: number): Promise<void> {
    await ensureLeases(db);
    await db.query(
      `INSERT INTO ${qualify(db.schema, LEASE_TABLE)} (table_name, day, run_id, purpose, owner, acquired_at, expires_at)
       VALUES ('orders', $1::date, $2, 'export', $3, now(), now() + make_interval(secs => $4))`,
      [DAY, runId, owner, expiresIn],
    );
  }

  beforeAll(async () => {
    test = await openTestDatabase('export_lease');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-export-lease-'));
    encoder = await createDuckDbEncoder();
    deps = { db, encoder, clock: systemClock, processInfo: me, ...openLocalLake(home) };
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'orders')} (id int8 PRIMARY KEY, placed_at timestamptz NOT NULL, amount numeric(10,2))`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'orders')}
       SELECT g, TIMESTAMPTZ '${DAY} 00:00:00+00' + (g * interval '7 minutes'), g * 1.25
         FROM generate_series(1, 150) g`,
    );
  });

  afterEach(async () => {
    await db.query(`DELETE FROM ${qualify(db.schema, LEASE_TABLE)}`).catch(() => undefined);
  });

  afterAll(async () => {
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('takes over at once the lease of a run whose process has ended (a killed run)', async () => {
    await otherLease('20250216T020000Z-dead00', `pid ${deadPid()} on ${hostname()}`, 3600);

    const result = await exportTableDay(deps, orders, DAY, { leaseWaitMs: 0 });

    expect(result.rows).toBe(150);
    expect(await leaseHolder(db, 'orders', DAY)).toBeUndefined(); // released when done
  });

  it('takes over a lease its holder stopped renewing (expired)', async () => {
    await otherLease('20250216T020000Z-hung00', `pid ${process.pid} on ${hostname()}`, -1);

    const result = await exportTableDay(deps, orders, DAY, { leaseWaitMs: 0 });

    expect(result.rows).toBe(150);
  });

  it('fails, naming the other run and its process, when a running one keeps the table-day past the wait', async () => {
    const before = await deps.catalog.listPartitions('orders');
    await otherLease('20250216T020000Z-live00', me.name, 3600);

    const exporting = exportTableDay(deps, orders, DAY, { leaseWaitMs: 1500 });

    await expect(exporting).rejects.toThrow(LeaseHeldError);
    await expect(exporting).rejects.toThrow(
      new RegExp(
        `^another export of orders ${DAY} — run 20250216T020000Z-live00, ${escaped(me.name)}, ` +
          `since \\S+ — holds the table-day until \\S+ \\(this run waited 2 s\\); this export changed nothing\\.`,
      ),
    );
    expect(await deps.catalog.listPartitions('orders')).toEqual(before);
    expect((await leaseHolder(db, 'orders', DAY))?.runId).toBe('20250216T020000Z-live00');
  });

  it('commits nothing when another run took its table-day over while it uploaded', async () => {
    const before = await deps.catalog.listPartitions('orders');
    const manifestBefore = await deps.store.getText(`orders/_manifests/${DAY}.json`);
    const stalled: ExportDeps = {
      ...deps,
      // As if this run stalled past its lease's expiry and another run took the table-day.
      afterFileUpload: async () => {
        await db.query(
          `UPDATE ${qualify(db.schema, LEASE_TABLE)} SET run_id = 'taker', owner = $1 WHERE table_name = 'orders'`,
          [me.name],
        );
      },
    };

    const exporting = exportTableDay(stalled, orders, DAY);

    await expect(exporting).rejects.toThrow(LeaseLostError);
    await expect(exporting).rejects.toThrow(/it committed nothing/);
    expect(await deps.catalog.listPartitions('orders')).toEqual(before);
    expect(await deps.store.getText(`orders/_manifests/${DAY}.json`)).toBe(manifestBefore);
    expect((await leaseHolder(db, 'orders', DAY))?.runId).toBe('taker');
  });

  it('never cleans the version folder the catalog names at that moment, whatever it was told to keep', async () => {
    const current = await deps.catalog.getPartition('orders', ['2025', '02', '15']);
    const prefix = 'orders/year=2025/month=02/day=15/';

    const deleted = await cleanVersions(
      deps,
      { table: 'orders', values: ['2025', '02', '15'], prefix },
      [],
    );

    expect(deleted).toBeGreaterThan(0); // the version it replaced went
    const left = new Set((await deps.store.list(prefix)).map((o) => o.key.split('/')[4]));
    expect([...left]).toEqual([`v=${current?.runId}`]);
  });

  it("removes a killed run's version folders with their half-copied files", async () => {
    const prefix = 'orders/year=2025/month=02/day=15/';
    const current = await deps.catalog.getPartition('orders', ['2025', '02', '15']);
    const dead = deadPid();
    const folder = (version: string): string => join(home, 'lake', ...prefix.split('/'), version);
    // Killed while copying its first file: only the temporary file.
    await mkdir(folder('v=20250216T020000Z-dead01'), { recursive: true });
    await writeFile(join(folder('v=20250216T020000Z-dead01'), `.tmp-${dead}-0a1b2c3d4e5f`), 'half');
    // Killed while copying its second file.
    await deps.store.putText(`${prefix}v=20250216T020000Z-dead02/part-00000.parquet`, 'whole');
    await writeFile(join(folder('v=20250216T020000Z-dead02'), `.tmp-${dead}-6a7b8c9d0e1f`), 'half');

    const result = await exportTableDay(deps, orders, DAY);

    expect((await readdir(join(home, 'lake', ...prefix.split('/')))).sort()).toEqual(
      [`v=${current?.runId}`, `v=${result.runId}`].sort(),
    );
  });
});
