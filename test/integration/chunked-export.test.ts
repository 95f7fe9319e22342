import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { defaultConfig } from '#core/config/resolve';
import type { TableConfig, ThermoclineConfig } from '#core/config/schema';
import { qualify } from '#core/sql/ident';
import {
  chunkFolder,
  exportDay,
  maxRowsPerTask,
  planChunks,
  tableStatistics,
  FALLBACK_ROWS_PER_TASK,
  type ChunkInput,
} from '#etl/chunks';
import { exportTableDay, type DayManifest, type ExportDeps } from '#etl/export';
import { dayManifestKey } from '#etl/layout';
import { leaseHolder } from '#etl/lease';
import { ValidationError } from '#etl/export';
import { systemClock } from '#ports/clock';
import type { Alerts } from '#ports/alerts';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { etlTasks, runMachine, type LocalTaskHandler } from '#runtime/local/state-machines';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { duckString, publishedFiles } from '#test/support/lake';

const DAY = '2025-02-15';

const base = {
  primary_key: ['id'],
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};
/** 1,200 rows on the day, most of them in its evening (a skewed day), some sharing a timestamp. */
const events: TableConfig = {
  ...base,
  name: 'chunk_events',
  timestamp_column: 'at',
  partition_layout: 'event_type/dt',
  partition_column: 'kind',
};
const orders: TableConfig = {
  ...base,
  name: 'chunk_orders',
  timestamp_column: 'placed_at',
  partition_layout: 'ymd',
  partition_column: null,
};

describe('a table-day exported in chunks', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let deps: ExportDeps;
  let encoder: ParquetEncoder;
  let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

  /** The rows readers see now (the catalog's current files), as text, in id order. */
  async function published(table: string): Promise<string[]> {
    const files = await publishedFiles(deps, table);
    if (files.length === 0) return [];
    const reader = await duck.runAndReadAll(
      `SELECT * FROM read_parquet([${files.map(duckString).join(', ')}], hive_partitioning = false) ORDER BY id`,
    );
    return (reader.getRowObjectsJson() as Record<string, unknown>[]).map((r) => JSON.stringify(r));
  }

  async function manifest(table: string): Promise<DayManifest> {
    return JSON.parse(
      (await deps.store.getText(dayManifestKey(table, DAY))) ?? '{}',
    ) as DayManifest;
  }

  /** The objects under the table's prefix, keys only. */
  async function keys(table: string): Promise<string[]> {
    return (await deps.store.list(`${table}/`)).map((o) => o.key);
  }

  function config(...tables: TableConfig[]): ThermoclineConfig {
    return { ...defaultConfig(), tables };
  }

  const noAlerts: Alerts = { notify: async () => undefined };

  beforeAll(async () => {
    test = await openTestDatabase('chunks');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-chunks-'));
    encoder = await createDuckDbEncoder();
    deps = { db, encoder, clock: systemClock, ...openLocalLake(home) };
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    await db.query(
      `CREATE TABLE ${qualify(db.schema, events.name)} (id int8 PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL, payload jsonb, amount numeric(12,4))`,
    );
    // 200 rows in the morning, 1,000 in the evening, every 5 rows sharing one instant.
    await db.query(
      `INSERT INTO ${qualify(db.schema, events.name)}
       SELECT g,
              CASE WHEN g <= 200 THEN TIMESTAMPTZ '2025-02-15 06:00:00+00' + ((g / 5) * interval '1 minute')
                   ELSE TIMESTAMPTZ '2025-02-15 18:00:00.123456+00' + ((g / 5) * interval '250 milliseconds') END,
              (ARRAY['Login', 'GameOpened', 'apiError'])[1 + g % 3],
              jsonb_build_object('n', g, 'tag', 'x' || g),
              g * 1.0001
         FROM generate_series(1, 1200) g`,
    );
    // Rows of the days around it, which no chunk may take.
    await db.query(
      `INSERT INTO ${qualify(db.schema, events.name)}
       SELECT 10000 + g, TIMESTAMPTZ '2025-02-14 23:59:59.999999+00' + (g - 1) * interval '24 hours 0.000001 seconds', 'Login', NULL, NULL
         FROM generate_series(1, 2) g`,
    );
    await db.query(
      `CREATE TABLE ${qualify(db.schema, orders.name)} (id int8 PRIMARY KEY, placed_at timestamp NOT NULL, note text)`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, orders.name)}
       SELECT g, TIMESTAMP '2025-02-15 00:00:00' + g * interval '41 seconds', 'order ' || g
         FROM generate_series(1, 2000) g`,
    );
  });

  afterAll(async () => {
    duck.closeSync();
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('splits a day into ranges of about max_rows_per_task rows by the timestamp percentiles, covering the day once', async () => {
    const chunks = await planChunks(db, { ...events, max_rows_per_task: 300 }, DAY);

    expect(chunks).toHaveLength(4);
    expect(chunks[0]?.from).toBeNull();
    expect(chunks.at(-1)?.to).toBeNull();
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) expect(chunk.from).toBe(chunks[i - 1]?.to);
    }
    // Each range holds about a quarter of the rows although the day is skewed to its evening.
    const table = qualify(db.schema, events.name);
    for (const chunk of chunks) {
      const [row] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${table} WHERE at >= '2025-02-15' AND at < '2025-02-16'
            AND ($1::timestamptz IS NULL OR at >= $1::timestamptz) AND ($2::timestamptz IS NULL OR at < $2::timestamptz)`,
        [chunk.from, chunk.to],
      );
      expect(Number(row?.n)).toBeGreaterThanOrEqual(295);
      expect(Number(row?.n)).toBeLessThanOrEqual(305);
    }
  });

  it('keeps a day within max_rows_per_task whole, and takes the automatic maximum from the table size', async () => {
    expect(await planChunks(db, { ...events, max_rows_per_task: 1200 }, DAY)).toEqual([
      { index: 0, from: null, to: null },
    ]);
    expect(await planChunks(db, { ...events, max_rows_per_task: 1 }, '2025-03-01')).toEqual([
      { index: 0, from: null, to: null },
    ]);
    expect(
      maxRowsPerTask({ ...events, max_rows_per_task: 500 }, await tableStatistics(db, events)),
    ).toBe(500);
    await db.query(`ANALYZE ${qualify(db.schema, events.name)}`);
    const auto = maxRowsPerTask(events, await tableStatistics(db, events));
    // 4 GiB over rows of some hundred bytes: millions of rows, never the fallback once analyzed.
    expect(auto).toBeGreaterThan(1_000_000);
    expect(auto).not.toBe(FALLBACK_ROWS_PER_TASK);
  });

  it.each([
    ['event_type/dt', events, 300],
    ['ymd, timestamp without time zone', orders, 450],
  ])(
    'publishes the same rows and checksum as one task (%s)',
    async (_layout, table, maxRows) => {
      const single = await exportTableDay(deps, table, DAY);
      const rowsSingle = await published(table.name);
      const manifestSingle = await manifest(table.name);

      const chunked = await exportDay(deps, { ...table, max_rows_per_task: maxRows }, DAY, {
        concurrency: 3,
      });

      expect(chunked.rows).toBe(single.rows);
      expect(chunked.checksum).toBe(single.checksum);
      expect(chunked.partitions).toBe(single.partitions);
      expect(await published(table.name)).toEqual(rowsSingle);
      const manifestChunked = await manifest(table.name);
      expect(manifestChunked.run_id).toBe(chunked.runId);
      expect(manifestChunked.checksum).toBe(manifestSingle.checksum);
      expect(manifestChunked.partitions.map((p) => [p.values, p.rows, p.checksum])).toEqual(
        manifestSingle.partitions.map((p) => [p.values, p.rows, p.checksum]),
      );
      // The chunks' files went into one version folder per partition; nothing staged is left.
      const after = await keys(table.name);
      expect(after.some((k) => k.startsWith(chunkFolder(table.name, DAY)))).toBe(false);
      expect(
        after.filter((k) => k.includes(`v=${chunked.runId}/part-c0001-`)).length,
      ).toBeGreaterThan(0);
      expect(await leaseHolder(db, table.name, DAY)).toBeUndefined();
    },
    120_000,
  );

  it('reports the schema change its publish commits, as one task does', async () => {
    await db.query(
      `ALTER TABLE ${qualify(db.schema, orders.name)} ADD COLUMN discount numeric(10,2)`,
    );

    const result = await exportDay(
      deps,
      { ...orders, max_rows_per_task: 450, on_schema_change: 'append_new_columns' },
      DAY,
      { concurrency: 2 },
    );

    expect(result.schemaChanges).toEqual([expect.stringContaining("added column 'discount'")]);
    expect((await deps.catalog.getTable(orders.name))?.columns.map((c) => c.name)).toContain(
      'discount',
    );
  }, 120_000);

  describe('on the ETL state machine (the definition CDK deploys, run locally)', () => {
    const chunky: TableConfig = { ...events, max_rows_per_task: 300 };

    it('retries a chunk that failed alone, and publishes the day once', async () => {
      const tasks = etlTasks({ config: config(chunky), clock: systemClock }, deps, noAlerts);
      const calls: number[] = [];
      let failedOnce = false;
      const chunk = tasks.ExportChunk as (input: ChunkInput) => Promise<unknown>;
      const execution = await runMachine(
        'etl',
        {
          ...tasks,
          ExportChunk: (async (input: ChunkInput) => {
            calls.push(input.chunk.index);
            if (input.chunk.index === 2 && !failedOnce) {
              failedOnce = true;
              const error = new Error('connection reset');
              error.name = 'TransientError';
              throw error;
            }
            return chunk(input);
          }) as LocalTaskHandler,
        },
        { date: DAY, table: chunky.name, concurrency: 2 },
        { retryPauseMs: 10 },
      );

      expect(execution.status).toBe('SUCCEEDED');
      expect([...calls].sort()).toEqual([0, 1, 2, 2, 3]);
      const exited = execution.events.filter(
        (e) => e.event === 'StateExited' && e.state === 'PublishChunks',
      );
      expect(exited).toHaveLength(1);
      const result = exited[0]?.output as { rows: number; failed: boolean; runId: string };
      expect(result).toMatchObject({ rows: 1200, failed: false });
      expect((await manifest(chunky.name)).run_id).toBe(result.runId);
    }, 120_000);

    it('leaves the previous version visible when a chunk fails for good, deletes what the run wrote and frees the day', async () => {
      const before = await manifest(chunky.name);
      const rowsBefore = await published(chunky.name);
      const partitionsBefore = await deps.catalog.listPartitions(chunky.name);
      const tasks = etlTasks({ config: config(chunky), clock: systemClock }, deps, noAlerts);
      const chunk = tasks.ExportChunk as (input: ChunkInput) => Promise<unknown>;
      let runId = '';
      const execution = await runMachine(
        'etl',
        {
          ...tasks,
          ExportChunk: (async (input: ChunkInput) => {
            runId = input.runId;
            if (input.chunk.index === 3) throw new ValidationError('chunk 3 does not match');
            return chunk(input);
          }) as LocalTaskHandler,
          NotifyFailure: (async () => ({})) as LocalTaskHandler,
        },
        { date: DAY, table: chunky.name, concurrency: 1 },
        { retryPauseMs: 10 },
      );

      expect(execution.status).toBe('FAILED');
      const entered = execution.events
        .filter((e) => e.event === 'StateEntered')
        .map((e) => e.state);
      expect(entered).toContain('AbandonChunks');
      expect(entered).toContain('RecordFailure');
      expect(entered).not.toContain('PublishChunks');
      expect(await manifest(chunky.name)).toEqual(before);
      expect(await deps.catalog.listPartitions(chunky.name)).toEqual(partitionsBefore);
      expect(await published(chunky.name)).toEqual(rowsBefore);
      const left = await keys(chunky.name);
      expect(runId).not.toBe('');
      expect(left.filter((k) => k.includes(`v=${runId}/`))).toEqual([]);
      expect(left.filter((k) => k.startsWith(chunkFolder(chunky.name, DAY)))).toEqual([]);
      expect(await leaseHolder(db, chunky.name, DAY)).toBeUndefined();
    }, 120_000);

    it('keeps the day a publish committed before it failed, when the run is abandoned', async () => {
      // The publish commits, then fails deleting the chunk manifests (once): the abandon that
      // follows finds them, and must not delete the version folders the catalog now names.
      let failedOnce = false;
      const store = Object.create(deps.store) as ExportDeps['store'];
      store.deletePrefix = async (prefix: string) => {
        if (prefix.includes('/_chunks/') && !failedOnce) {
          failedOnce = true;
          throw new Error('the lake refused the delete');
        }
        return deps.store.deletePrefix(prefix);
      };
      const tasks = etlTasks(
        { config: config(chunky), clock: systemClock },
        { ...deps, store },
        noAlerts,
      );
      const execution = await runMachine(
        'etl',
        { ...tasks, NotifyFailure: (async () => ({})) as LocalTaskHandler },
        { date: DAY, table: chunky.name, concurrency: 2 },
        { retryPauseMs: 10 },
      );

      expect(failedOnce).toBe(true);
      const entered = execution.events
        .filter((e) => e.event === 'StateEntered')
        .map((e) => e.state);
      expect(entered).toContain('AbandonChunks');
      const runId = (await manifest(chunky.name)).run_id;
      const partitions = await deps.catalog.listPartitions(chunky.name);
      expect(partitions.every((p) => p.location.endsWith(`v=${runId}/`))).toBe(true);
      expect(await published(chunky.name)).toHaveLength(1200);
      expect(await leaseHolder(db, chunky.name, DAY)).toBeUndefined();
    }, 120_000);

    it('refuses a chunk whose run no longer holds the table-day', async () => {
      const tasks = etlTasks({ config: config(chunky), clock: systemClock }, deps, noAlerts);
      const chunk = tasks.ExportChunk as (input: ChunkInput) => Promise<unknown>;

      await expect(
        chunk({
          table: chunky.name,
          day: DAY,
          runId: 'not-the-holder',
          schemaHash: 'x',
          chunk: { index: 0, from: null, to: null },
        }),
      ).rejects.toMatchObject({ code: 'lease_lost' });
    });
  });
});
