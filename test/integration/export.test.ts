import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import type { TableConfig } from '#core/config/schema';
import { qualify } from '#core/sql/ident';
import {
  exportTableDay,
  planTable,
  ValidationError,
  type DayManifest,
  type ExportDeps,
  type PartitionManifest,
} from '#etl/export';
import { dayManifestKey } from '#etl/layout';
import { sourceChecksumSql } from '#etl/sql';
import { systemClock } from '#ports/clock';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { duckString, publishedFiles } from '#test/support/lake';

const DAY = '2025-02-15';

const base = {
  primary_key: ['id'],
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};
const orders: TableConfig = {
  ...base,
  name: 'orders',
  timestamp_column: 'placed_at',
  partition_layout: 'ymd',
  partition_column: null,
};
const clicks: TableConfig = {
  ...base,
  name: 'clicks',
  timestamp_column: 'at',
  partition_layout: 'event_type/dt',
  partition_column: 'kind',
};

describe('exporting a table-day', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let deps: ExportDeps;
  let encoder: ParquetEncoder;
  let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

  /** The rows readers see now: the catalog's current files, read by DuckDB. */
  async function published(table: string, order = 'id'): Promise<Record<string, unknown>[]> {
    const files = await publishedFiles(deps, table);
    if (files.length === 0) return [];
    const list = files.map(duckString).join(', ');
    const reader = await duck.runAndReadAll(
      `SELECT * FROM read_parquet([${list}], hive_partitioning = false) ORDER BY ${order}`,
    );
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  }

  /** Version folders present under a partition prefix. */
  async function versions(prefix: string): Promise<string[]> {
    const found = new Set<string>();
    for (const object of await deps.store.list(prefix)) {
      const match = /\/(v=[^/]+)\//.exec(object.key.slice(prefix.length - 1));
      if (match?.[1]) found.add(match[1]);
    }
    return [...found].sort();
  }

  beforeAll(async () => {
    test = await openTestDatabase('export');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-export-'));
    encoder = await createDuckDbEncoder();
    deps = { db, encoder, clock: systemClock, ...openLocalLake(home) };
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'orders')} (id int8 PRIMARY KEY, placed_at timestamptz NOT NULL, amount numeric(10,2), note text)`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'orders')}
       SELECT g, TIMESTAMPTZ '2025-02-14 00:00:00+00' + (g * interval '37 minutes'), g * 1.25, 'order ' || g
         FROM generate_series(1, 200) g`,
    );
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'clicks')} (id int8 PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL, page text)`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'clicks')}
       SELECT g, TIMESTAMPTZ '2025-02-15 00:00:00+00' + (g * interval '1 minute'),
              (ARRAY['Login', 'GameOpened', 'apiError'])[1 + g % 3], '/p/' || g
         FROM generate_series(1, 90) g`,
    );
  });

  afterAll(async () => {
    duck.closeSync();
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('publishes the rows of exactly that UTC day into a version folder the catalog points at', async () => {
    const result = await exportTableDay(deps, orders, DAY);

    const [partition] = await deps.catalog.listPartitions('orders');
    expect(partition?.values).toEqual(['2025', '02', '15']);
    expect(partition?.location).toBe(`orders/year=2025/month=02/day=15/v=${result.runId}/`);
    const expected = await db.query<{ id: string }>(
      `SELECT id FROM ${qualify(db.schema, 'orders')} WHERE placed_at >= '2025-02-15' AND placed_at < '2025-02-16' ORDER BY id`,
    );
    const rows = await published('orders');
    expect(rows.map((r) => String(r.id))).toEqual(expected.map((r) => r.id));
    expect(result.rows).toBe(expected.length);
    expect(
      (await deps.store.list(partition?.location ?? '')).map((o) => o.key.split('/').pop()),
    ).toEqual(['_manifest.json', 'part-00000.parquet']);
  });

  it('writes a day manifest whose rows and checksum match the source', async () => {
    const manifest = JSON.parse(
      (await deps.store.getText(dayManifestKey('orders', DAY))) ?? '{}',
    ) as DayManifest;
    const plans = await planTable(db, orders);
    const [source] = await db.query<{ n: string; s: string }>(
      sourceChecksumSql(db.schema, orders, plans, DAY),
    );

    expect(manifest.checksum).toBe(`${source?.n}:${source?.s}`);
    expect(manifest.rows).toBe(Number(source?.n));
    expect(manifest.source_query).toContain(`"placed_at" >= TIMESTAMPTZ '2025-02-15 00:00:00+00'`);
    expect(manifest.partitions[0]?.location).toMatch(/^orders\/year=2025\/month=02\/day=15\/v=/);
  });

  it("lists each file in its partition's _manifest.json with its size, rows and SHA-256", async () => {
    const [partition] = await deps.catalog.listPartitions('orders');
    const location = partition?.location ?? '';

    const text = await deps.store.getText(`${location}_manifest.json`);

    const { files } = JSON.parse(text ?? '{}') as PartitionManifest;
    const stored = await deps.store.sha256(`${location}part-00000.parquet`);
    expect(files).toEqual([
      {
        key: `${location}part-00000.parquet`,
        bytes: stored?.bytes,
        rows: partition?.rows,
        sha256: stored?.sha256,
      },
    ]);
    expect(stored?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lays out event_type/dt with one partition per value, the value only in the path', async () => {
    await exportTableDay(deps, clicks, DAY);

    const partitions = await deps.catalog.listPartitions('clicks');
    expect(partitions.map((p) => p.values)).toEqual([
      ['GameOpened', DAY],
      ['Login', DAY],
      ['apiError', DAY],
    ]);
    expect(partitions.map((p) => p.rows)).toEqual([30, 30, 30]);
    expect(partitions[0]?.location).toMatch(/^clicks\/kind=GameOpened\/dt=2025-02-15\/v=/);
    const table = await deps.catalog.getTable('clicks');
    expect(table?.partitionKeys).toEqual(['kind', 'dt']);
    expect(table?.columns.map((c) => c.name)).toEqual(['id', 'at', 'page']);
    expect(Object.keys((await published('clicks'))[0] ?? {})).toEqual(['id', 'at', 'page']);
  });

  it('replaces a day whole on a re-run and keeps only the version it replaced', async () => {
    const before = await published('orders');
    const second = await exportTableDay(deps, orders, DAY);
    const third = await exportTableDay(deps, orders, DAY);

    expect(await published('orders')).toEqual(before);
    expect(await versions('orders/year=2025/month=02/day=15/')).toEqual(
      [`v=${second.runId}`, `v=${third.runId}`].sort(),
    );
    expect((await deps.catalog.getPartition('orders', ['2025', '02', '15']))?.runId).toBe(
      third.runId,
    );
  });

  it('drops the partitions a re-run no longer has', async () => {
    await db.query(`DELETE FROM ${qualify(db.schema, 'clicks')} WHERE kind = 'apiError'`);

    await exportTableDay(deps, clicks, DAY);

    expect((await deps.catalog.listPartitions('clicks')).map((p) => p.values[0])).toEqual([
      'GameOpened',
      'Login',
    ]);
    expect(await deps.store.list('clicks/kind=apiError/')).toEqual([]);
  });

  it('publishes nothing and keeps the previous version when the files do not match the source', async () => {
    const current = await deps.catalog.getPartition('orders', ['2025', '02', '15']);
    const versionsBefore = await versions('orders/year=2025/month=02/day=15/');
    const tampering: ParquetEncoder = {
      ...encoder,
      checksum: async (...args) => {
        const sums = await encoder.checksum(...args);
        return new Map([...sums].map(([k, v]) => [k, { ...v, sum: `${BigInt(v.sum) + 1n}` }]));
      },
    };

    await expect(exportTableDay({ ...deps, encoder: tampering }, orders, DAY)).rejects.toThrow(
      ValidationError,
    );
    expect(await deps.catalog.getPartition('orders', ['2025', '02', '15'])).toEqual(current);
    expect(await versions('orders/year=2025/month=02/day=15/')).toEqual(versionsBefore);
  });

  it('keeps the previous version when an upload fails midway, and the next run cleans the dead folder', async () => {
    const current = await deps.catalog.getPartition('orders', ['2025', '02', '15']);
    const failing: ObjectStore = Object.assign(Object.create(deps.store) as ObjectStore, {
      putText: async () => {
        throw new Error('network down (simulated)');
      },
    });

    await expect(exportTableDay({ ...deps, store: failing }, orders, DAY)).rejects.toThrow(
      'network down (simulated)',
    );
    expect(await deps.catalog.getPartition('orders', ['2025', '02', '15'])).toEqual(current);
    expect(await versions('orders/year=2025/month=02/day=15/')).toHaveLength(3); // + the dead one

    const next = await exportTableDay(deps, orders, DAY);
    expect(await versions('orders/year=2025/month=02/day=15/')).toEqual(
      [`v=${current?.runId}`, `v=${next.runId}`].sort(),
    );
  });

  it('publishes an empty day as a manifest with no partitions', async () => {
    const result = await exportTableDay(deps, orders, '2025-03-01');

    expect(result.rows).toBe(0);
    expect(await deps.catalog.getPartition('orders', ['2025', '03', '01'])).toBeUndefined();
    const manifest = JSON.parse(
      (await deps.store.getText(dayManifestKey('orders', '2025-03-01'))) ?? '{}',
    ) as DayManifest;
    expect(manifest).toMatchObject({ rows: 0, checksum: '0:0', partitions: [] });
  });

  it('fails before writing anything when the config names a column the table lacks', async () => {
    const wrong: TableConfig = { ...orders, timestamp_column: 'created_at' };

    await expect(exportTableDay(deps, wrong, '2025-02-14')).rejects.toThrow(
      "table 'orders' has no column 'created_at' named in its config (timestamp_column); its columns: id, placed_at, amount, note",
    );
    expect(await deps.store.list('orders/year=2025/month=02/day=14/')).toEqual([]);
  });
});
