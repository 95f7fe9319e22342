import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCatalog } from '#adapters/local/file-catalog';
import { defaultConfig } from '#core/config/resolve';
import { PlanValidationError } from '#core/query/errors';
import type { TableRangeStep } from '#core/query/query-plan';
import { buildHotQuery, buildLakeQuery } from '#core/query/range-sql';
import { canonicalRow } from '#core/query/canonical-values';
import { routeTableRange, splitDays, type RangeColumn } from '#core/query/range-route';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import { fixedClock } from '#ports/clock';

describe('splitting a range of days at the hot window', () => {
  const today = '2025-02-16';

  it('reads days from today − hot_window_days on from PostgreSQL, older days from the lake', () => {
    expect(splitDays('2025-01-01', '2025-02-15', today, 30)).toEqual({
      hotStart: '2025-01-17',
      lake: { from: '2025-01-01', to: '2025-01-16' },
      hot: { from: '2025-01-17', to: '2025-02-15' },
    });
  });

  it('sends a range entirely inside the hot window to PostgreSQL only', () => {
    expect(splitDays('2025-02-01', '2025-02-15', today, 30)).toEqual({
      hotStart: '2025-01-17',
      hot: { from: '2025-02-01', to: '2025-02-15' },
    });
  });

  it('sends a range entirely before the hot window to the lake only', () => {
    expect(splitDays('2024-11-01', '2024-11-30', today, 30)).toEqual({
      hotStart: '2025-01-17',
      lake: { from: '2024-11-01', to: '2024-11-30' },
    });
  });

  it('counts the first hot day as hot and the day before it as cold', () => {
    expect(splitDays('2025-01-16', '2025-01-17', today, 30)).toEqual({
      hotStart: '2025-01-17',
      lake: { from: '2025-01-16', to: '2025-01-16' },
      hot: { from: '2025-01-17', to: '2025-01-17' },
    });
  });
});

const EVENTS: CatalogTable = {
  name: 'events',
  columns: [
    { name: 'id', type: 'bigint', sourceType: 'bigint' },
    { name: 'membercode', type: 'string', sourceType: 'text' },
    { name: 'amount', type: 'decimal(14,2)', sourceType: 'numeric(14,2)' },
    { name: 'occurred_at', type: 'timestamp', sourceType: 'timestamp with time zone' },
    { name: 'payload', type: 'string', sourceType: 'jsonb' },
  ],
  partitionKeys: ['event_type', 'dt'],
  location: 'events/',
  schemaHash: 'h',
};

function partition(eventType: string, day: string): CatalogPartition {
  return {
    values: [eventType, day],
    location: `events/event_type=${eventType}/dt=${day}/v=r1/`,
    rows: 10,
    bytes: 1000,
    files: 1,
    columnBytes: { id: 100, membercode: 200, amount: 50, occurred_at: 150, payload: 500 },
    runId: 'r1',
    publishedAt: '2025-02-16T02:00:00.000Z',
  };
}

function rangeStep(overrides: Partial<TableRangeStep> = {}): TableRangeStep {
  return {
    id: 'current',
    type: 'TableRange',
    table: 'events',
    from: '2025-01-14',
    to: '2025-01-20',
    limit: 500,
    ...overrides,
  };
}

describe('routing a TableRange step', () => {
  let dir: string;
  let catalog: FileCatalog;
  const config = defaultConfig(); // events: hot_window_days 30
  const clock = fixedClock('2025-02-16T06:00:00Z'); // hot from 2025-01-17

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thermocline-router-test-'));
    catalog = new FileCatalog(join(dir, 'catalog.json'));
    await catalog.ensureTable(EVENTS);
    await catalog.putPartitions('events', [
      partition('Login', '2025-01-13'),
      partition('Login', '2025-01-14'),
      partition('GameOpened', '2025-01-14'),
      partition('Login', '2025-01-16'),
      partition('Login', '2025-01-17'),
    ]);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads only the lake days' partitions and the filtered event types", async () => {
    const routed = await routeTableRange(
      { config, catalog, clock },
      rangeStep({ filters: { event_type: 'Login' } }),
      'steps[0]',
    );

    expect(routed.split.lake).toEqual({ from: '2025-01-14', to: '2025-01-16' });
    expect(routed.scan.partitions.map((p) => p.values)).toEqual([
      ['Login', '2025-01-14'],
      ['Login', '2025-01-16'],
    ]);
  });

  it('estimates the lake side from the bytes of the columns it reads', async () => {
    const routed = await routeTableRange(
      { config, catalog, clock },
      rangeStep({ columns: ['membercode'], filters: { event_type: 'Login' } }),
      'steps[0]',
    );

    // membercode (projection) + occurred_at, id (ordering), over two partitions.
    expect(routed.estimate.bytes).toBe(2 * (200 + 150 + 100));
    expect(routed.estimate.tables[0]).toMatchObject({ partitions: 2, partitionsTotal: 5 });
  });

  it('warns about lake days that have no partition', async () => {
    const routed = await routeTableRange({ config, catalog, clock }, rangeStep(), 'steps[0]');

    expect(routed.warnings).toEqual([expect.stringMatching(/1 day\(s\) of events .*2025-01-15/)]);
  });

  it('refuses a column the table does not have, with the path and the known columns', async () => {
    const routing = routeTableRange(
      { config, catalog, clock },
      rangeStep({ columns: ['membercode', 'nope'] }),
      'steps[1]',
    );

    await expect(routing).rejects.toThrow(PlanValidationError);
    await expect(routing).rejects.toThrow(
      /steps\[1\]\.columns\[1\]: 'nope' is not a column of table 'events'; use some of id, membercode, amount, occurred_at, payload, event_type/,
    );
  });

  it('builds the hot query from the structure, every value a parameter', async () => {
    const routed = await routeTableRange(
      { config, catalog, clock },
      rangeStep({
        columns: ['membercode', 'occurred_at'],
        filters: { event_type: ['Login', "x'; DROP TABLE events; --"] },
      }),
      'steps[0]',
    );

    const query = buildHotQuery(routed, { from: '2025-01-17', to: '2025-01-20' });

    expect(query.sql).toBe(
      'SELECT "events"."membercode" AS "membercode", ' +
        `to_char("events"."occurred_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurred_at" ` +
        'FROM "events" WHERE "events"."occurred_at" >= CAST($1 AS timestamptz) ' +
        'AND "events"."occurred_at" < CAST($2 AS timestamptz) AND "events"."event_type" = ANY($3) ' +
        'ORDER BY "events"."occurred_at", "events"."id" LIMIT 500',
    );
    expect(query.params).toEqual([
      '2025-01-17T00:00:00Z',
      '2025-01-21T00:00:00Z',
      ['Login', "x'; DROP TABLE events; --"],
    ]);
  });

  it('builds the lake query with partition predicates naming exactly its days', async () => {
    const routed = await routeTableRange(
      { config, catalog, clock },
      rangeStep({ columns: ['membercode'], filters: { event_type: ['Login', 'GameOpened'] } }),
      'steps[0]',
    );

    const query = buildLakeQuery(routed, { from: '2025-01-14', to: '2025-01-16' });

    expect(query.sql).toBe(
      'SELECT "events"."membercode" AS "membercode" FROM "events" ' +
        'WHERE "events"."dt" BETWEEN $1 AND $2 AND "events"."event_type" IN ($3, $4) ' +
        'ORDER BY "events"."occurred_at", "events"."id" LIMIT 500',
    );
    expect(query.params).toEqual(['2025-01-14', '2025-01-16', 'Login', 'GameOpened']);
  });
});

describe('the union of both tiers', () => {
  const columns: RangeColumn[] = [
    { name: 'id', type: 'bigint', sourceType: 'bigint' },
    { name: 'amount', type: 'decimal(14,2)', sourceType: 'numeric(14,2)' },
    { name: 'occurred_at', type: 'timestamp', sourceType: 'timestamp with time zone' },
    { name: 'payload', type: 'string', sourceType: 'jsonb' },
    { name: 'tags', type: 'array<bigint>', sourceType: 'bigint[]' },
  ];

  it('gives a row from PostgreSQL and the same row from the lake the same values and types', () => {
    const fromPostgres = {
      id: '9007199254740993',
      amount: '12.50',
      occurred_at: '2025-02-15T01:02:03.000450Z',
      payload: '{"a": 1}',
      tags: ['1', '2'],
    };
    const fromLake = {
      id: '9007199254740993',
      amount: '12.5',
      occurred_at: '2025-02-15 01:02:03.00045+00',
      payload: '{"a": 1}',
      tags: [1, 2],
    };

    expect(canonicalRow(fromLake, columns)).toEqual(canonicalRow(fromPostgres, columns));
    expect(canonicalRow(fromPostgres, columns)).toEqual({
      id: '9007199254740993',
      amount: '12.50',
      occurred_at: '2025-02-15T01:02:03.000450Z',
      payload: '{"a": 1}',
      tags: [1, 2],
    });
  });

  it('gives a uuid the lake holds as 16 bytes the same base64 from PostgreSQL (its text) and from the lake', () => {
    const binaryUuid: RangeColumn[] = [
      { name: 'id', type: 'binary', sourceType: 'uuid' },
      { name: 'refs', type: 'array<binary>', sourceType: 'uuid[]' },
    ];
    const bytes = Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex').toString('base64');
    const fromPostgres = {
      id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      refs: ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', null],
    };
    const fromLake = { id: bytes, refs: [bytes, null] };

    expect(canonicalRow(fromPostgres, binaryUuid)).toEqual({ id: bytes, refs: [bytes, null] });
    expect(canonicalRow(fromLake, binaryUuid)).toEqual({ id: bytes, refs: [bytes, null] });
  });

  it('keeps a uuid the lake holds as text as its canonical text from both tiers', () => {
    const textUuid: RangeColumn[] = [{ name: 'id', type: 'string', sourceType: 'uuid' }];
    const row = { id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' };

    expect(canonicalRow(row, textUuid)).toEqual(row);
  });

  it('gives bytea bytes from PostgreSQL as base64', () => {
    const bytea: RangeColumn[] = [{ name: 'raw', type: 'binary', sourceType: 'bytea' }];

    expect(canonicalRow({ raw: Buffer.from([1, 2, 3]) }, bytea)).toEqual({ raw: 'AQID' });
    expect(canonicalRow({ raw: 'AQID' }, bytea)).toEqual({ raw: 'AQID' });
  });

  it('turns safe integers into numbers and timestamps with offsets into UTC', () => {
    expect(
      canonicalRow(
        { ID: 42, amount: 3, occurred_at: '2025-02-15 09:02:03+08', payload: null, tags: null },
        columns,
      ),
    ).toEqual({
      id: 42,
      amount: '3.00',
      occurred_at: '2025-02-15T01:02:03.000Z',
      payload: null,
      tags: null,
    });
  });
});
