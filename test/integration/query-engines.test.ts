import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { openLocalBucket, openLocalLake } from '#adapters/local/local-lake';
import { createPgHotEngine, ensureReaderRole, READER_ROLE } from '#adapters/pg/pg-query-engine';
import type { TableConfig } from '#core/config/schema';
import {
  LakeScanStoppedError,
  ObjectNotFoundError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';
import { listExternalSource } from '#core/query/external-sources';
import { readParquetObject } from '#adapters/hyparquet/parquet-read';
import { writeSampleExternalSource } from '#core/sample/external-source';
import { qualify } from '#core/sql/ident';
import { exportTableDay, type ExportDeps } from '#etl/export';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import { systemClock } from '#ports/clock';
import type { HotQueryEngine, LakeQueryEngine, LakeTableScan } from '#ports/query-engine';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { duckString } from '#test/support/lake';

const DAYS = ['2025-02-14', '2025-02-15'];

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

describe('query engines on real engines', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let deps: ExportDeps;
  let encoder: ParquetEncoder;
  let lake: LakeQueryEngine;
  let hot: HotQueryEngine;
  let duck: DuckDBConnection;
  let table: CatalogTable;
  let partitions: CatalogPartition[];

  /** The scan of `clicks` over the partitions whose values satisfy `keep`. */
  function scanOf(
    keep: (values: readonly string[]) => boolean,
    extra: Partial<LakeTableScan> = {},
  ): LakeTableScan {
    return { table, partitions: partitions.filter((p) => keep(p.values)), ...extra };
  }

  beforeAll(async () => {
    test = await openTestDatabase('query_engines');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-query-engines-'));
    encoder = await createDuckDbEncoder();
    deps = { db, encoder, clock: systemClock, ...openLocalLake(home) };
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'clicks')} (id int8 PRIMARY KEY, at timestamptz NOT NULL,
         kind text NOT NULL, member text NOT NULL, amount numeric(12,4), page text)`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'clicks')}
       SELECT g, TIMESTAMPTZ '2025-02-14 00:00:00+00' + (g * interval '1 minute'),
              (ARRAY['Login', 'GameOpened', 'apiError'])[1 + g % 3], 'M' || (g % 10), g * 0.5, '/p/' || g
         FROM generate_series(0, 2 * 1440 - 1) g`,
    );
    for (const day of DAYS) await exportTableDay(deps, clicks, day);
    table = (await deps.catalog.getTable('clicks')) as CatalogTable;
    partitions = await deps.catalog.listPartitions('clicks');
    lake = await createDuckDbQueryEngine(deps.store);
    hot = createPgHotEngine(db);
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });

  afterAll(async () => {
    duck.closeSync();
    await lake.close();
    await hot.close();
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  describe('the DuckDB lake engine', () => {
    it('reads exactly the partitions of the scan, with the partition values as columns', async () => {
      const result = await lake.run({
        sql: 'SELECT kind, dt, count(*) AS n FROM clicks GROUP BY ALL ORDER BY ALL',
        params: [],
        maxScanBytes: 1e12,
        scans: [scanOf(([kind, dt]) => kind === 'Login' && dt === '2025-02-15')],
      });

      expect(result.rows).toEqual([{ kind: 'Login', dt: '2025-02-15', n: 480 }]);
      expect(result.columns.map((c) => c.type)).toEqual(['VARCHAR', 'VARCHAR', 'BIGINT']);
    });

    it('binds scalar and list parameters', async () => {
      const result = await lake.run({
        sql: 'SELECT member, count(*) AS n FROM clicks WHERE member = ANY($1) AND dt = $2 AND id < $3 GROUP BY 1 ORDER BY 1',
        params: [['M1', 'M2'], '2025-02-14', 100],
        maxScanBytes: 1e12,
        scans: [scanOf(() => true)],
      });

      expect(result.rows).toEqual([
        { member: 'M1', n: 10 },
        { member: 'M2', n: 10 },
      ]);
    });

    it('returns JSON-safe values: decimals as strings, instants as ISO 8601 with Z', async () => {
      const result = await lake.run({
        sql: 'SELECT id, "at", amount FROM clicks WHERE id = $1',
        params: [3],
        maxScanBytes: 1e12,
        scans: [scanOf(([kind]) => kind === 'Login')],
      });

      expect(result.rows).toEqual([{ id: 3, at: '2025-02-14T00:03:00.000Z', amount: '1.5000' }]);
      // a timestamp column is a timestamp without time zone, as Glue types it for Athena
      expect(result.columns.map((c) => c.type)).toEqual(['BIGINT', 'TIMESTAMP', 'DECIMAL(12,4)']);
    });

    it('answers no rows, typed from the catalog, for a table with no partition left', async () => {
      const result = await lake.run({
        sql: 'SELECT id, "at", kind FROM clicks',
        params: [],
        maxScanBytes: 1e12,
        scans: [scanOf(() => false)],
      });

      expect(result.rows).toEqual([]);
      expect(result.columns).toEqual([
        { name: 'id', type: 'BIGINT' },
        { name: 'at', type: 'TIMESTAMP' },
        { name: 'kind', type: 'VARCHAR' },
      ]);
    });

    it('reports the compressed bytes of the column chunks it reads, from the Parquet footers', async () => {
      const kept = partitions.filter((p) => p.values[0] === 'GameOpened');
      const files = (await Promise.all(kept.map((p) => deps.store.list(p.location)))).flatMap(
        (objects) =>
          objects.filter((o) => o.key.endsWith('.parquet')).map((o) => deps.store.locate(o.key)),
      );
      const truth = await duck.runAndReadAll(
        `SELECT path_in_schema AS c, sum(total_compressed_size)::BIGINT AS b
           FROM parquet_metadata([${files.map(duckString).join(', ')}]) GROUP BY 1`,
      );
      const bytesOf = Object.fromEntries(
        (truth.getRowObjectsJson() as { c: string; b: string }[]).map((r) => [r.c, Number(r.b)]),
      );
      // Per-partition column bytes as the export records them (same footers, per partition).
      const withBytes = await Promise.all(
        kept.map(async (p) => {
          const paths = (await deps.store.list(p.location))
            .filter((o) => o.key.endsWith('.parquet'))
            .map((o) => duckString(deps.store.locate(o.key)));
          const rows = (
            await duck.runAndReadAll(
              `SELECT path_in_schema AS c, sum(total_compressed_size)::BIGINT AS b
                 FROM parquet_metadata([${paths.join(', ')}]) GROUP BY 1`,
            )
          ).getRowObjectsJson() as { c: string; b: string }[];
          return { ...p, columnBytes: Object.fromEntries(rows.map((r) => [r.c, Number(r.b)])) };
        }),
      );

      const result = await lake.run({
        sql: 'SELECT member, sum(amount) AS total FROM clicks WHERE kind = $1 GROUP BY 1',
        params: ['GameOpened'],
        maxScanBytes: 1e12,
        scans: [{ table, partitions: withBytes }],
      });

      expect(result.bytesScanned).toBe((bytesOf.member ?? 0) + (bytesOf.amount ?? 0));
      expect(result.bytesScanned).toBeGreaterThan(0);
    });

    it('refuses a query whose column chunks exceed maxScanBytes before running it', async () => {
      const run = lake.run({
        sql: 'SELECT * FROM clicks',
        params: [],
        maxScanBytes: 10,
        scans: [scanOf(() => true)],
      });

      await expect(run).rejects.toThrow(LakeScanStoppedError);
      await expect(run).rejects.toMatchObject({ code: 'scan_limit_exceeded', status: 413 });
    });

    it('cannot read files outside the lake', async () => {
      const run = (sql: string) => lake.run({ sql, params: [], maxScanBytes: 1e12, scans: [] });

      // DuckDB's file functions are not Trino's: the Trino dialect refuses them, qualified or not
      await expect(run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(QueryFailedError);
      await expect(run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(
        /read_csv\(\) does not exist on Athena/,
      );
      await expect(run("SELECT main.read_text('/etc/passwd')")).rejects.toThrow(
        /read_text\(\) does not exist on Athena/,
      );
      // and behind it the sandbox: no replacement scan of a path
      await expect(run("SELECT * FROM '/etc/passwd'")).rejects.toThrow(
        /Table with name \/etc\/passwd does not exist/,
      );
    });
  });

  describe('the PostgreSQL hot engine', () => {
    it('returns typed columns and JSON-safe values, with a list parameter as an array', async () => {
      const result = await hot.run({
        sql: `SELECT id, at, amount, member FROM ${qualify(db.schema, 'clicks')} WHERE member = ANY($1) AND id < $2 ORDER BY id`,
        params: [['M1'], 20],
        timeoutMs: 5000,
      });

      expect(result.rows).toEqual([
        { id: 1, at: '2025-02-14T00:01:00.000Z', amount: '0.5000', member: 'M1' },
        { id: 11, at: '2025-02-14T00:11:00.000Z', amount: '5.5000', member: 'M1' },
      ]);
      expect(result.columns).toEqual([
        { name: 'id', type: 'int8' },
        { name: 'at', type: 'timestamptz' },
        { name: 'amount', type: 'numeric' },
        { name: 'member', type: 'text' },
      ]);
    });

    it('runs read-only: a write through the engine fails and changes nothing', async () => {
      const run = hot.run({
        sql: `INSERT INTO ${qualify(db.schema, 'clicks')} (id, at, kind, member) VALUES (-1, now(), 'x', 'x')`,
        params: [],
        timeoutMs: 5000,
      });

      await expect(run).rejects.toThrow(/read-only transaction/);
      await expect(run).rejects.toMatchObject({ code: 'query_failed', status: 400 });
      const [row] = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${qualify(db.schema, 'clicks')} WHERE id = -1`,
      );
      expect(row?.n).toBe('0');
    });

    it('cancels a statement past its timeout with a clear error', async () => {
      const run = hot.run({ sql: 'SELECT pg_sleep(1)', params: [], timeoutMs: 100 });

      await expect(run).rejects.toThrow(StatementTimeoutError);
      await expect(run).rejects.toThrow(/query\.statement_timeout_seconds/);
    });

    it('runs as the reader role, which reads only the tables it was granted', async () => {
      await db.query(`CREATE TABLE ${qualify(db.schema, 'secrets')} (id int PRIMARY KEY)`);
      const role = await ensureReaderRole(db, db.schema, ['clicks', 'not_there']);
      expect(role).toMatchObject({ role: READER_ROLE, usable: true, missing: ['not_there'] });

      const allowed = await hot.run({
        sql: `SELECT current_user AS who, count(*) AS n FROM ${qualify(db.schema, 'clicks')}`,
        params: [],
        timeoutMs: 5000,
      });
      const denied = hot.run({
        sql: `SELECT * FROM ${qualify(db.schema, 'secrets')}`,
        params: [],
        timeoutMs: 5000,
      });

      expect(allowed.rows).toEqual([{ who: READER_ROLE, n: 2880 }]);
      await expect(denied).rejects.toThrow(/permission denied/);
    });
  });

  describe('reading one Parquet object', () => {
    let key: string;
    let size: number;

    beforeAll(async () => {
      const bucket = openLocalBucket(home, 'analytics-exports');
      const path = join(home, 'wide.parquet');
      await duck.run(
        `COPY (SELECT i::BIGINT AS id, 'M' || (i % 10) AS member, repeat(md5(i::VARCHAR), 8) AS payload,
                      (i * 0.25)::DECIMAL(20,2) AS amount, TIMESTAMPTZ '2025-02-15 00:00:00+00' + i * INTERVAL 1 second AS at
                 FROM range(20000) t(i))
         TO ${duckString(path)} (FORMAT parquet, ROW_GROUP_SIZE 5000)`,
      );
      key = 'events/Login/2025-02-15.parquet';
      await bucket.putFile(key, path);
      await bucket.putText('events/GameOpened/2025-02-15.parquet', 'not parquet');
      await bucket.putText('events/readme.txt', 'hello');
      size = (await stat(path)).size;
    });

    it('reads the chosen columns up to the limit, fetching less than the file', async () => {
      const bucket = openLocalBucket(home, 'analytics-exports');

      const result = await readParquetObject(bucket, key, {
        columns: ['id', 'amount', 'at'],
        limit: 2,
      });

      expect(result.rows).toEqual([
        { id: 0, amount: '0.00', at: '2025-02-15T00:00:00.000Z' },
        { id: 1, amount: '0.25', at: '2025-02-15T00:00:01.000Z' },
      ]);
      expect(result.columns).toEqual([
        { name: 'id', type: 'bigint' },
        { name: 'amount', type: 'decimal(20,2)' },
        { name: 'at', type: 'timestamp' },
      ]);
      expect(result.bytesScanned).toBeGreaterThan(0);
      expect(result.bytesScanned).toBeLessThan(size / 4);
    });

    it('answers not_found for a key that is not there', async () => {
      const bucket = openLocalBucket(home, 'analytics-exports');

      const read = readParquetObject(bucket, 'events/Nope/2025-02-15.parquet');

      await expect(read).rejects.toThrow(ObjectNotFoundError);
      await expect(read).rejects.toMatchObject({ code: 'not_found', status: 404 });
    });

    it('writes the sample external source as one file per event type and closed day', async () => {
      await db.query(
        `CREATE TABLE ${qualify(db.schema, 'events')} (id uuid PRIMARY KEY, event_type text NOT NULL,
           membercode text NOT NULL, game_code text, amount numeric(14,2), session_id uuid,
           payload jsonb NOT NULL, occurred_at timestamptz NOT NULL)`,
      );
      await db.query(
        `INSERT INTO ${qualify(db.schema, 'events')}
         SELECT gen_random_uuid(), (ARRAY['Login', 'GameOpened'])[1 + g % 2], 'M' || g, NULL, g * 1.25,
                NULL, '{"k": 1}', TIMESTAMPTZ '2025-02-13 00:00:00+00' + g * interval '1 hour'
           FROM generate_series(0, 71) g`,
      );
      const bucket = openLocalBucket(home, 'thermocline-sample-exports');

      const report = await writeSampleExternalSource(db, bucket, { days: 2, encoder });
      const login = await readParquetObject(bucket, 'events/Login/2025-02-14.parquet', {
        columns: ['membercode', 'amount', 'occurred_at'],
        limit: 1,
      });

      expect(report.days).toEqual(['2025-02-13', '2025-02-14']);
      expect(report.keys).toHaveLength(4);
      expect(report.rows).toBe(48);
      expect(login.rows).toEqual([
        { membercode: 'M24', amount: '30.00', occurred_at: '2025-02-14T00:00:00.000Z' },
      ]);
    });

    it('lists an external source by pattern, with the event types of its paths', async () => {
      const bucket = openLocalBucket(home, 'analytics-exports');

      const listing = await listExternalSource(bucket, {
        bucket: 'analytics-exports',
        prefix: 'events/',
        pattern: '**/*.parquet',
        event_type_from_path: true,
      });

      expect(listing).toEqual({
        bucket: 'analytics-exports',
        prefix: 'events/',
        files: 2,
        bytes: size + 'not parquet'.length,
        eventTypes: ['GameOpened', 'Login'],
      });
    });
  });
});
