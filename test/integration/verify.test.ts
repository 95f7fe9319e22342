import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import type { TableConfig } from '#core/config/schema';
import { qualify } from '#core/sql/ident';
import { exportTableDay, type ExportDeps } from '#etl/export';
import { purge } from '#etl/retention/purge';
import { verify, type VerifyDeps, type VerifyReport } from '#etl/retention/verify';
import { fixedClock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

const DAYS = [
  '2025-01-10',
  '2025-01-11',
  '2025-01-12',
  '2025-01-13',
  '2025-01-14',
  '2025-01-15',
] as const;
const [PURGED, CHANGED, OK, EMPTIED, BROKEN, CORRUPTED] = DAYS;

const TABLE: TableConfig = {
  name: 'v_orders',
  primary_key: ['id'],
  timestamp_column: 'placed_at',
  partition_layout: 'ymd',
  partition_column: null,
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};

// Six published days of one table, then: the first purged by retention, one row of the second
// changed, the third untouched, the fourth's hot rows deleted by hand, a file of the fifth lost,
// a file of the sixth overwritten in place (same size).
describe('verify (reconciling published days with the hot rows)', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let encoder: ParquetEncoder;
  let deps: VerifyDeps;
  let report: VerifyReport;

  const statusOf = (day: string) => report.days.find((d) => d.day === day);

  /** The first data file of a day's current version folder. */
  async function firstFileOf(day: string): Promise<string> {
    const [partition] = (await deps.catalog.listPartitions(TABLE.name)).filter(
      (p) => p.values.join('-') === day,
    );
    return `${partition?.location}part-00000.parquet`;
  }

  /** Overwrites 400 bytes in the middle of a lake file: same size, other content. */
  async function corruptInPlace(key: string): Promise<void> {
    const handle = await open(deps.store.locate(key), 'r+');
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.alloc(400, 0xa5), 0, 400, Math.floor(size / 2) - 200);
    } finally {
      await handle.close();
    }
  }

  beforeAll(async () => {
    test = await openTestDatabase('verify');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-verify-'));
    encoder = await createDuckDbEncoder();
    const lake = openLocalLake(home);
    const exportDeps: ExportDeps = {
      db,
      encoder,
      clock: fixedClock('2025-01-20T02:00:00Z'),
      ...lake,
    };
    deps = { db, ...lake, encoder, config: { tables: [TABLE] } };
    const t = qualify(db.schema, TABLE.name);
    await db.query(
      `CREATE TABLE ${t} (id int8 PRIMARY KEY, placed_at timestamptz NOT NULL, total numeric(10,2))`,
    );
    await db.query(
      `INSERT INTO ${t} SELECT g, TIMESTAMPTZ '${PURGED} 00:30:00+00' + g * interval '1 hour', g * 2.5
         FROM generate_series(0, 6 * 24 - 1) g`,
    );
    for (const day of DAYS) await exportTableDay(exportDeps, TABLE, day);

    // Retention at 2025-04-11 (cutoff 2025-01-11): only the first day is old enough.
    await purge(
      {
        db,
        ...lake,
        alerts: { notify: async () => undefined },
        clock: fixedClock('2025-04-11T04:00:00Z'),
        config: { tables: [TABLE] },
      },
      { dryRun: false },
    );
    await db.query(
      `UPDATE ${t} SET total = total + 1 WHERE id = (SELECT min(id) FROM ${t} WHERE placed_at >= '${CHANGED}')`,
    );
    await db.query(
      `DELETE FROM ${t} WHERE placed_at >= '${EMPTIED}' AND placed_at < '${EMPTIED}'::date + 1`,
    );
    const [partition] = (await lake.catalog.listPartitions(TABLE.name)).filter(
      (p) => p.values.join('-') === BROKEN,
    );
    await lake.store.deletePrefix(`${partition?.location}part-00000.parquet`);
    await corruptInPlace(await firstFileOf(CORRUPTED));

    report = await verify(deps);
  });

  afterAll(async () => {
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('reports a day whose hot rows match the manifest as ok', () => {
    expect(statusOf(OK)).toMatchObject({ status: 'ok', lakeRows: 24, hotRows: 24 });
  });

  it('reports a day deleted by retention after verification as purged, not as a mismatch', () => {
    expect(statusOf(PURGED)?.status).toBe('purged');
    expect(statusOf(PURGED)?.hotRows).toBe(0);
    expect(statusOf(PURGED)?.detail).toMatch(/^retention deleted \d+ rows after verifying run /);
  });

  it('reports a day whose hot rows changed after export as a checksum mismatch', () => {
    expect(statusOf(CHANGED)?.status).toBe('mismatch');
    expect(statusOf(CHANGED)?.detail).toMatch(
      /^checksum: lake 24:\d+, hot 24:\d+ — rows changed after export/,
    );
    expect(statusOf(CHANGED)?.recovery).toContain(
      'thermocline backfill --from 2025-01-11 --to 2025-01-11 --table v_orders',
    );
  });

  it('reports hot rows deleted outside retention as hot rows missing', () => {
    expect(statusOf(EMPTIED)).toMatchObject({ status: 'hot rows missing', hotRows: 0 });
  });

  it('reports a lost Parquet file as missing files, naming it', () => {
    expect(statusOf(BROKEN)?.status).toBe('missing files');
    expect(statusOf(BROKEN)?.detail).toMatch(/v=[^/]+\/part-00000\.parquet is missing$/);
  });

  it('reports a Parquet file overwritten in place (same size) as corrupt files, naming it', () => {
    expect(statusOf(CORRUPTED)?.status).toBe('corrupt files');
    expect(statusOf(CORRUPTED)?.detail).toMatch(
      /^v_orders\/year=2025\/month=01\/day=15\/v=[^/]+\/part-00000\.parquet changed after it was published \(sha256 /,
    );
    expect(statusOf(CORRUPTED)?.recovery).toMatch(
      /^thermocline backfill --from 2025-01-15 --to 2025-01-15 --table v_orders while the rows are hot/,
    );
  });

  it('sums up the days: mismatches are everything but ok, purged and purging', () => {
    expect(report.summary).toEqual({
      tables: 1,
      days: 6,
      ok: 1,
      purged: 1,
      purging: 0,
      mismatches: 4,
    });
  });

  it('checks only the days of the range', async () => {
    const ranged = await verify(deps, { from: CHANGED, to: OK });

    expect(ranged.days.map((d) => d.day)).toEqual([CHANGED, OK]);
  });

  it('reports the catalog pointing at another version as catalog mismatch', async () => {
    const [partition] = (await deps.catalog.listPartitions(TABLE.name)).filter(
      (p) => p.values.join('-') === OK,
    );
    await deps.catalog.putPartitions(TABLE.name, [
      { ...partition!, location: 'v_orders/year=2025/month=01/day=12/v=other/' },
    ]);

    const ranged = await verify(deps, { from: OK, to: OK });

    expect(ranged.days[0]?.status).toBe('catalog mismatch');
    expect(ranged.days[0]?.detail).toMatch(
      /is at v_orders\/year=2025\/month=01\/day=12\/v=other\//,
    );
  });

  it('reports a purged day whose file was overwritten afterwards as corrupt files, not purged', async () => {
    await corruptInPlace(await firstFileOf(PURGED));

    const ranged = await verify(deps, { from: PURGED, to: PURGED });

    expect(ranged.days[0]?.status).toBe('corrupt files');
    expect(ranged.days[0]?.recovery).toMatch(
      /^restore the files from S3 object versions .*: retention has deleted 24 of the day's hot rows/,
    );
    expect(ranged.summary.mismatches).toBe(1);
  });
});
