import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { openLocalLake } from '#adapters/local/local-lake';
import { createPgHotEngine } from '#adapters/pg/pg-query-engine';
import { resolveConfig, tableConfig } from '#core/config/resolve';
import type { ThermoclineConfig, UuidForm } from '#core/config/schema';
import { readParquetObject } from '#adapters/hyparquet/parquet-read';
import { isoInterval } from '#core/query/range-sql';
import { routeTableRange } from '#core/query/range-route';
import { runRoutedRange, type RangeResult } from '#core/query/range-run';
import { qualify } from '#core/sql/ident';
import { exportTableDay, type ExportDeps } from '#etl/export';
import { fixedClock } from '#ports/clock';
import type { HotQueryEngine, LakeQueryEngine, QueryRow } from '#ports/query-engine';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

// One JSON rendering per type whichever tier answers: a TableRange reads the same row from the
// lake (an exported day, DuckDB) and from PostgreSQL (a hot day); an AthenaQuery and an
// S3ParquetRead of the lake's file give the lake's values too.

const CLOCK = fixedClock('2025-02-16T06:00:00Z'); // hot window 30 days: hot from 2025-01-17
const LAKE_DAY = '2025-01-10';
const HOT_DAY = '2025-02-15';
const UUID = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';

const COLUMNS = `u uuid, uarr uuid[], t time, tz timetz, n numeric, big numeric(38,10),
  amounts numeric(38,10)[], grid int4[][], stamps timestamptz[], plain timestamp, days date[],
  flags bool[], codes char(3)[], raw bytea, j jsonb, iv interval, f float8, longs int8[], r float4`;
const VALUES = `'${UUID}', ARRAY['${UUID}'::uuid, NULL], '04:05:06.789', '04:05:06.789+05:30',
  1.50, 12345678901234567890.0123456789,
  ARRAY[12345678901234567890.0123456789, NULL, -0.5]::numeric(38,10)[],
  '{{1,2,3},{4,NULL,6}}', ARRAY[TIMESTAMPTZ '2025-02-15 01:02:03.123456+00', NULL],
  TIMESTAMP '2024-12-31 23:59:59.000450', ARRAY[DATE '2025-02-15', NULL], ARRAY[true, NULL, false],
  ARRAY['ab', 'c  ']::char(3)[], '\\x00ff10'::bytea, '{"b": 1, "a": [1, 2]}',
  '1 day 02:03:04', 0.1, ARRAY[9007199254740993, 1], 0.1`;

describe('the same JSON from every tier and step', () => {
  let test: TestDatabase;
  let home: string;
  let deps: ExportDeps;
  let lakeEngine: LakeQueryEngine;
  let hotEngine: HotQueryEngine;

  beforeAll(async () => {
    test = await openTestDatabase('range_types');
    home = await mkdtemp(join(tmpdir(), 'thermocline-range-types-'));
    deps = {
      db: test.db,
      encoder: await createDuckDbEncoder(),
      ...openLocalLake(home),
      clock: CLOCK,
    };
    lakeEngine = await createDuckDbQueryEngine(deps.store);
    hotEngine = createPgHotEngine(test.db);
  });

  afterAll(async () => {
    await lakeEngine.close();
    await hotEngine.close();
    await deps.encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  /** A table of every column kind with the same row on a lake day (id 1) and a hot day (id 2). */
  async function prepare(name: string, uuidAs: UuidForm): Promise<ThermoclineConfig> {
    const table = qualify(test.db.schema, name);
    await test.db.query(
      `CREATE TABLE ${table} (id int8 PRIMARY KEY, ts timestamptz NOT NULL, ${COLUMNS})`,
    );
    await test.db.query(
      `INSERT INTO ${table} VALUES (1, TIMESTAMPTZ '${LAKE_DAY} 10:00:00+00', ${VALUES}),
                                   (2, TIMESTAMPTZ '${HOT_DAY} 10:00:00+00', ${VALUES})`,
    );
    const config = resolveConfig(
      {
        use_sample_defaults: false,
        tables: [
          {
            name,
            primary_key: ['id'],
            timestamp_column: 'ts',
            partition_layout: 'ymd',
            uuid_as: uuidAs,
          },
        ],
      },
      'test',
    );
    await exportTableDay(deps, tableConfig(config, name), LAKE_DAY);
    return config;
  }

  async function tableRange(config: ThermoclineConfig, name: string): Promise<RangeResult> {
    const routed = await routeTableRange(
      { config, catalog: deps.catalog, clock: CLOCK },
      { id: 'r', type: 'TableRange', table: name, from: LAKE_DAY, to: HOT_DAY, limit: 100 },
      'steps[0]',
    );
    return runRoutedRange(routed, {
      lakeEngine,
      hotEngine,
      pricePerTbUsd: 5,
      maxScanBytes: 1e12,
      timeoutMs: 30_000,
    });
  }

  function withoutKey(row: QueryRow | undefined): QueryRow {
    const { id: _id, ts: _ts, ...rest } = row ?? {};
    return rest;
  }

  /** The lake file of LAKE_DAY, read by the S3ParquetRead step's reader. */
  async function parquetRead(name: string): Promise<QueryRow | undefined> {
    const [partition] = await deps.catalog.listPartitions(name);
    const [file] = (await deps.store.list(partition?.location ?? '')).filter((o) =>
      o.key.endsWith('.parquet'),
    );
    const result = await readParquetObject(deps.store, file?.key ?? '');
    return result.rows[0];
  }

  const expected = {
    t: '04:05:06.789',
    tz: '04:05:06.789+05:30',
    n: '1.50',
    big: '12345678901234567890.0123456789',
    amounts: ['12345678901234567890.0123456789', null, '-0.5000000000'],
    grid: [
      [1, 2, 3],
      [4, null, 6],
    ],
    stamps: ['2025-02-15T01:02:03.123456Z', null],
    plain: '2024-12-31T23:59:59.000450Z',
    days: ['2025-02-15', null],
    flags: [true, null, false],
    codes: ['ab', 'c'],
    raw: Buffer.from('00ff10', 'hex').toString('base64'),
    j: '{"a": [1, 2], "b": 1}',
    f: 0.1,
    longs: ['9007199254740993', 1],
    r: 0.1,
  };

  it('a TableRange row reads the same from the lake and from PostgreSQL, uuids as their text by default', async () => {
    const config = await prepare('t_types_text', 'string');

    const result = await tableRange(config, 't_types_text');

    expect(result.parts.map((p) => p.tier)).toEqual(['lake', 'hot']);
    expect(result.rows.map((r) => r.id)).toEqual([1, 2]);
    expect(withoutKey(result.rows[1])).toEqual(withoutKey(result.rows[0]));
    expect(withoutKey(result.rows[0])).toEqual({
      u: UUID,
      uarr: [UUID, null],
      iv: 'P1DT2H3M4S',
      ...expected,
    });
    expect(result.columns.find((c) => c.name === 'u')).toEqual({ name: 'u', type: 'string' });
  });

  it("with uuid_as: 'binary' both tiers give the uuid's 16 bytes as base64", async () => {
    const config = await prepare('t_types_binary', 'binary');
    const bytes = Buffer.from(UUID.replaceAll('-', ''), 'hex').toString('base64');

    const result = await tableRange(config, 't_types_binary');

    expect(withoutKey(result.rows[1])).toEqual(withoutKey(result.rows[0]));
    expect(result.rows[0]?.u).toBe(bytes);
    expect(result.rows[0]?.uarr).toEqual([bytes, null]);
    expect(result.columns.find((c) => c.name === 'u')).toEqual({ name: 'u', type: 'binary' });
  });

  it('an AthenaQuery of the lake gives the TableRange lake values', async () => {
    const config = await prepare('t_types_query', 'binary');
    const range = await tableRange(config, 't_types_query');
    const catalogTable = await deps.catalog.getTable('t_types_query');

    const result = await lakeEngine.run({
      sql: 'SELECT u, t, tz, n, big, grid, raw, f FROM t_types_query',
      params: [],
      maxScanBytes: 1e12,
      scans: [
        {
          table: catalogTable ?? (undefined as never),
          partitions: await deps.catalog.listPartitions('t_types_query'),
        },
      ],
    });

    const lakeRow = range.rows[0] ?? {};
    expect(result.rows[0]).toEqual({
      u: lakeRow.u,
      t: lakeRow.t,
      tz: lakeRow.tz,
      n: lakeRow.n,
      big: lakeRow.big,
      grid: lakeRow.grid,
      raw: lakeRow.raw,
      f: lakeRow.f,
    });
  });

  it("renders a hot interval as the lake's ISO 8601 text, whatever the session's IntervalStyle", async () => {
    const intervals = [
      '1 year 2 months 3 days 04:05:06.789012',
      '-1 day +02:00',
      '0',
      '1 microsecond',
      '-00:00:00.000001',
      '178000000 years',
      '1000000 hours',
      '-1 year -2 months',
      '10 seconds',
      '1 minute 30.5 seconds',
      '-3 days -04:00:10',
    ];
    const list = intervals.map((i) => `('${i}'::interval)`).join(', ');

    const [ours, postgres] = await test.db.transaction(async (session) => {
      await session.query("SET LOCAL IntervalStyle = 'postgres'");
      const rendered = await session.query<{ v: string }>(
        `SELECT ${isoInterval('x')} AS v FROM (VALUES ${list}) AS t(x)`,
      );
      await session.query("SET LOCAL IntervalStyle = 'iso_8601'");
      const reference = await session.query<{ v: string }>(
        `SELECT x::text AS v FROM (VALUES ${list}) AS t(x)`,
      );
      return [rendered.map((r) => r.v), reference.map((r) => r.v)];
    });

    expect(ours).toEqual(postgres);
  });

  it.each([['string'], ['binary']] as const)(
    'an S3ParquetRead of the lake file gives the same uuid, time, decimal and binary values (uuid_as %s)',
    async (uuidAs) => {
      const name = `t_types_read_${uuidAs}`;
      const config = await prepare(name, uuidAs);
      const range = await tableRange(config, name);

      const read = await parquetRead(name);

      const lakeRow = range.rows[0] ?? {};
      for (const column of ['u', 't', 'tz', 'n', 'big', 'raw', 'f', 'r', 'plain']) {
        expect({ column, value: read?.[column] }).toEqual({ column, value: lakeRow[column] });
      }
    },
  );
});
