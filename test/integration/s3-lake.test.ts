/**
 * The local runtime's lake on an S3-compatible server (s3rver on 127.0.0.1), chosen by the
 * standard `AWS_ENDPOINT_URL_S3` with `THERMOCLINE_LAKE_BUCKET` and `THERMOCLINE_LAKE_PREFIX`:
 * the export publishes into the bucket, an `S3ParquetRead` step reads a published file with
 * ranged GETs, and an `AthenaQuery` step (DuckDB) reads the local copies, fetched again when gone.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { CachedS3ObjectStore, lakeObjectStore } from '#adapters/local/lake-store';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { openLocalLake } from '#adapters/local/local-lake';
import { resolveConfig, tableConfig } from '#core/config/resolve';
import type { ThermoclineConfig } from '#core/config/schema';
import { UsageError } from '#core/errors';
import { createQueryService } from '#core/query/query-service';
import type { QueryService } from '#core/query/service-contract';
import { qualify } from '#core/sql/ident';
import { exportTableDay, type ExportDeps } from '#etl/export';
import { fixedClock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { localQueryServiceDeps } from '#runtime/local/query-runtime';
import { thermocline } from '#test/support/cli';
import { findServer, openTestDatabase, type TestDatabase } from '#test/support/database';
import { startS3Server, type S3Server } from '#test/support/s3-server';

const BUCKET = 'thermocline-lake-s3test';
const PREFIX = 'lake/';
const DAY = '2025-02-15';
const TODAY = fixedClock('2025-02-20T06:00:00Z');
const ANN = { id: 'local:ann' };

describe('lakeObjectStore', () => {
  it('is the directory home/lake when neither AWS_ENDPOINT_URL_S3 nor THERMOCLINE_LAKE_BUCKET is set', () => {
    const { store, bucket } = lakeObjectStore('/data/home', {});

    expect(store).toBeInstanceOf(FsObjectStore);
    expect(store.root).toBe('/data/home/lake');
    expect(bucket).toBe('thermocline-lake');
  });

  it('is the bucket under the prefix, cached under home/s3-cache, when AWS_ENDPOINT_URL_S3 is set', () => {
    const { store, bucket } = lakeObjectStore('/data/home', {
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
      THERMOCLINE_LAKE_BUCKET: 'my-lake',
      THERMOCLINE_LAKE_PREFIX: 'team/lake/',
    });

    expect(store).toBeInstanceOf(CachedS3ObjectStore);
    expect((store as CachedS3ObjectStore).remoteRoot).toBe('s3://my-lake/team/lake/');
    expect(store.locate('t/x.parquet')).toBe('/data/home/s3-cache/my-lake/team/lake/t/x.parquet');
    expect(bucket).toBe('my-lake');
  });

  it('refuses an endpoint that is not a URL, and a prefix without its trailing slash', () => {
    expect(() => lakeObjectStore('/h', { AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' })).toThrow(
      /AWS_ENDPOINT_URL_S3 '127\.0\.0\.1:9000' is not a URL; .* e\.g\. http:\/\/127\.0\.0\.1:9000/,
    );
    expect(() =>
      lakeObjectStore('/h', {
        AWS_ENDPOINT_URL_S3: 'http://s3:9000',
        THERMOCLINE_LAKE_PREFIX: 'lake',
      }),
    ).toThrow(UsageError);
  });
});

describe('CachedS3ObjectStore on a real S3 server', () => {
  let s3: S3Server;
  let cacheDir: string;

  beforeAll(async () => {
    s3 = await startS3Server(['cache-test']);
    cacheDir = await mkdtemp(join(tmpdir(), 'thermocline-s3-cache-'));
  });

  afterAll(async () => {
    await s3?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('keeps a local copy of an uploaded Parquet file, refreshes a stale one on list, and deletes both', async () => {
    const store = new CachedS3ObjectStore(s3.client(), { bucket: 'cache-test', cacheDir });
    const source = join(cacheDir, '..', `thermocline-s3-cache-src-${process.pid}.parquet`);
    await writeFile(source, 'PAR1 twelve bytes');
    await store.putFile('t/part-00000.parquet', source);
    expect(await readFile(store.locate('t/part-00000.parquet'), 'utf8')).toBe('PAR1 twelve bytes');
    await writeFile(store.locate('t/part-00000.parquet'), 'stale');

    expect(await store.list('t/')).toEqual([{ key: 't/part-00000.parquet', bytes: 17 }]);
    expect(await readFile(store.locate('t/part-00000.parquet'), 'utf8')).toBe('PAR1 twelve bytes');

    expect(await store.deletePrefix('t/')).toBe(1);
    expect(await new S3ObjectStore(s3.client(), { bucket: 'cache-test' }).list('')).toEqual([]);
    await expect(readFile(store.locate('t/part-00000.parquet'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await rm(source, { force: true });
  });
});

describe('the local runtime with its lake on an S3-compatible server', () => {
  let s3: S3Server;
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let config: ThermoclineConfig;
  let encoder: ParquetEncoder;
  let exportDeps: ExportDeps;
  let service: QueryService | undefined;
  let sourceRows: number;

  beforeAll(async () => {
    s3 = await startS3Server([BUCKET, 'thermocline-lake']);
    env = { ...s3.env, THERMOCLINE_LAKE_BUCKET: BUCKET, THERMOCLINE_LAKE_PREFIX: PREFIX };
    test = await openTestDatabase('s3_lake');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-s3-lake-'));
    encoder = await createDuckDbEncoder();
    config = resolveConfig(
      {
        tables: [
          {
            name: 'orders',
            primary_key: ['id'],
            timestamp_column: 'placed_at',
            partition_layout: 'ymd',
          },
        ],
      },
      's3-lake test',
    );
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'orders')} (id int8 PRIMARY KEY, placed_at timestamptz NOT NULL, amount numeric(10,2))`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'orders')}
       SELECT g, TIMESTAMPTZ '2025-02-14 00:00:00+00' + (g * interval '7 minutes'), g * 1.25
         FROM generate_series(1, 600) g`,
    );
    sourceRows = Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${qualify(db.schema, 'orders')} WHERE placed_at >= '${DAY}' AND placed_at < '2025-02-16'`,
        )
      )[0]?.n,
    );
    exportDeps = { db, encoder, clock: TODAY, ...openLocalLake(home, env) };
    await exportTableDay(exportDeps, tableConfig(config, 'orders'), DAY);
  });

  afterAll(async () => {
    await service?.close();
    await encoder?.close();
    await test?.cleanup();
    await s3?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('the CLI export (what `npm start` runs) with only AWS_ENDPOINT_URL_S3 set writes the bucket thermocline-lake', async () => {
    const server = await findServer();
    if (!server) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1'); // CI always has one
      return;
    }
    const work = await mkdtemp(join(tmpdir(), 'thermocline-s3-cli-'));
    try {
      await writeFile(
        join(work, 'thermocline.config.json'),
        JSON.stringify({ tables: [tableConfig(config, 'orders')] }),
      );

      const run = await thermocline(
        ['etl', 'run', '--table', 'orders', '--date', '2025-02-14', '--json'],
        { cwd: work, env: { ...server.env, THERMOCLINE_SCHEMA: db.schema, ...s3.env } },
      );

      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
        code: 0,
        stderr: '',
      });
      const keys = (
        await new S3ObjectStore(s3.client(), { bucket: 'thermocline-lake' }).list('')
      ).map((o) => o.key);
      expect(keys).toContainEqual(
        expect.stringMatching(
          /^orders\/year=2025\/month=02\/day=14\/v=[^/]+\/part-00000\.parquet$/,
        ),
      );
      const local = await readdir(join(work, '.thermocline'), { recursive: true });
      expect(local.filter((name) => String(name).startsWith('lake/orders'))).toEqual([]);
      expect(
        local.filter((name) =>
          /^s3-cache\/thermocline-lake\/orders\/.*\.parquet$/.test(String(name)),
        ),
      ).toHaveLength(1);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('publishes the day into the bucket under the prefix: the Parquet file and the manifests', async () => {
    const keys = (await new S3ObjectStore(s3.client(), { bucket: BUCKET }).list('')).map(
      (o) => o.key,
    );

    const [partition] = await exportDeps.catalog.listPartitions('orders');
    expect(partition?.rows).toBe(sourceRows);
    expect(keys).toContain(`${PREFIX}${partition?.location}part-00000.parquet`);
    expect(keys.some((k) => k.startsWith(`${PREFIX}orders/_manifests/`))).toBe(true);
    expect(keys.every((k) => k.startsWith(PREFIX))).toBe(true);
    expect(await readdir(join(home))).not.toContain('lake');
  });

  it("reads a published file with an S3ParquetRead step: the bucket's ranged GETs", async () => {
    const deps = await localQueryServiceDeps({
      config,
      home,
      db,
      env,
      clock: TODAY,
      retryPauseMs: 0,
    });
    service = createQueryService(deps);
    const [partition] = await exportDeps.catalog.listPartitions('orders');
    const key = `${PREFIX}${partition?.location}part-00000.parquet`;
    const start = s3.requests.length;

    const status = await service.submitPlan(
      { steps: [{ id: 'r', type: 'S3ParquetRead', bucket: BUCKET, key, columns: ['id'] }] },
      ANN,
      { waitMs: 60_000 },
    );

    expect(status.status).toBe('succeeded');
    expect(status.result?.rows).toHaveLength(sourceRows);
    const ranged = s3.requests
      .slice(start)
      .filter((r) => r.method === 'GET' && decodeURIComponent(r.path) === `/${BUCKET}/${key}`);
    expect(ranged.length).toBeGreaterThan(0);
    expect(ranged.every((r) => r.range?.startsWith('bytes='))).toBe(true);
  });

  it('answers an AthenaQuery step from the local copies, fetching them again from the bucket when gone', async () => {
    await rm(join(home, 's3-cache'), { recursive: true, force: true });
    const plan = {
      steps: [
        {
          id: 'q',
          type: 'AthenaQuery' as const,
          sql: "SELECT count(*) AS n, sum(amount) AS total FROM orders WHERE year = '2025' AND month = '02' AND day = '15'",
        },
      ],
    };

    const status = await service!.submitPlan(plan, ANN, { waitMs: 60_000 });

    expect(status.status).toBe('succeeded');
    expect(status.result?.rows).toEqual([{ n: sourceRows, total: expect.any(String) }]);
    expect(await readdir(join(home, 's3-cache', BUCKET, 'lake', 'orders'))).toEqual(['year=2025']);
  });
});
