/**
 * The query service end to end on the local runtime: a small seeded database, its events
 * exported to a temporary lake by the real ETL, DuckDB over the lake, PostgreSQL for the hot
 * tier, the plan state machine run in-process — the seed's example plans through the service.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { LOCAL_LAKE_BUCKET, localQueryServiceDeps } from '#runtime/local/query-runtime';
import { resolveConfig, tableConfig } from '#core/config/resolve';
import type { ThermoclineConfig } from '#core/config/schema';
import { ThermoclineClient } from '#core/query/client';
import { PlanValidationError, ScanLimitExceededError, SqlRejectedError } from '#core/query/errors';
import { LEDGER_PREFIX } from '#core/query/ledger';
import { PLANS_PREFIX } from '#core/query/plan-store';
import { createQueryService } from '#core/query/query-service';
import type { QueryServiceDeps } from '#core/query/service-deps';
import type { PlanStatus, QueryService } from '#core/query/service-contract';
import { loadSample } from '#core/sample/load';
import { qualify } from '#core/sql/ident';
import { exportTableDay, type ExportDeps } from '#etl/export';
import { fixedClock, type Clock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

/** Today for the service: the sample ends on 2025-02-15; events are hot from 2025-02-13. */
const TODAY = fixedClock('2025-02-16T06:00:00Z');
const EXPORTED_DAYS = [
  '2025-02-08',
  '2025-02-09',
  '2025-02-10',
  '2025-02-11',
  '2025-02-12',
  '2025-02-13',
  '2025-02-14',
];
const ANN = { id: 'local:ann' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/;

describe('the query service on the local runtime', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let config: ThermoclineConfig;
  let encoder: ParquetEncoder;
  let exportDeps: ExportDeps;
  const opened: QueryService[] = [];

  /** A service over the shared lake and database, with its own clock. */
  async function open(
    clock: Clock = TODAY,
  ): Promise<{ service: QueryService; deps: QueryServiceDeps }> {
    const deps = await localQueryServiceDeps({ config, home, db, clock, retryPauseMs: 0 });
    const service = createQueryService(deps);
    opened.push(service);
    return { service, deps };
  }

  async function waitUntilDone(service: QueryService, id: string): Promise<PlanStatus> {
    for (let i = 0; i < 600; i++) {
      const status = await service.getPlan(id);
      if (status.status !== 'running') return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`plan ${id} did not finish`);
  }

  let service: QueryService;
  let deps: QueryServiceDeps;

  beforeAll(async () => {
    test = await openTestDatabase('query_service');
    db = test.db;
    await loadSample(db, { seed: 42, days: 8, scale: 0.05, endDate: '2025-02-15' });
    config = resolveConfig(
      {
        tables: [
          {
            name: 'events',
            primary_key: ['id'],
            timestamp_column: 'occurred_at',
            partition_layout: 'event_type/dt',
            hot_window_days: 3,
          },
        ],
      },
      'query-service test',
    );
    home = await mkdtemp(join(tmpdir(), 'thermocline-query-service-'));
    encoder = await createDuckDbEncoder();
    exportDeps = { db, encoder, clock: TODAY, ...openLocalLake(home) };
    for (const day of EXPORTED_DAYS) {
      await exportTableDay(exportDeps, tableConfig(config, 'events'), day);
    }
    ({ service, deps } = await open());
  });

  afterAll(async () => {
    for (const s of opened) await s.close();
    await encoder?.close();
    await test?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("runs the seed's plan: an AuroraQuery bound to the memberCode of an AthenaQuery", async () => {
    const status = await service.submitPlan(
      {
        steps: [
          {
            id: 's1',
            type: 'AthenaQuery',
            sql: "SELECT memberCode, count(*) FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2025-02-08' AND '2025-02-12' GROUP BY 1",
            max_scan_gb: 5.0,
          },
          {
            id: 's2',
            type: 'AuroraQuery',
            sql: 'SELECT member_code, total_deposit FROM members WHERE member_code = ANY($1)',
            bind: { $1: { ref: 's1', field: 'memberCode' } },
            database: 'crm',
          },
        ],
      },
      ANN,
      { waitMs: 60_000 },
    );

    const expected = await db.query<{ member_code: string }>(
      `SELECT member_code FROM ${qualify(db.schema, 'members')} WHERE member_code IN (
         SELECT membercode FROM ${qualify(db.schema, 'events')}
          WHERE event_type = 'GameOpened' AND occurred_at >= '2025-02-08' AND occurred_at < '2025-02-13')
       ORDER BY 1`,
    );
    expect(status.status).toBe('succeeded');
    expect(status.result?.step).toBe('s2');
    expect(status.result?.rows.map((r) => r['member_code']).sort()).toEqual(
      expected.map((r) => r.member_code),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(status.steps.map((s) => [s.id, s.status, s.engine])).toEqual([
      ['s1', 'succeeded', 'duckdb'],
      ['s2', 'succeeded', 'postgres'],
    ]);
    expect(status.steps[0]?.bytesScanned).toBeGreaterThan(0);
    expect(status.steps[0]?.costUsd).toBeGreaterThan(0);
    expect(status.result?.archivedAt).toContain(join('lake', '_query', '_results', status.id));
  });

  it('compares current activity with a baseline: a TableRange across the hot window and an AthenaQuery', async () => {
    const status = await service.submitPlan(
      {
        steps: [
          {
            id: 'baseline',
            type: 'AthenaQuery',
            sql: "SELECT membercode, count(*) AS plays FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2025-02-08' AND '2025-02-10' GROUP BY 1",
          },
          {
            id: 'current',
            type: 'TableRange',
            table: 'events',
            from: '2025-02-11',
            to: '2025-02-15',
            columns: ['id', 'membercode', 'amount', 'occurred_at'],
            filters: { event_type: 'GameOpened' },
          },
        ],
        output: 'current',
      },
      ANN,
      { waitMs: 60_000 },
    );

    const expected = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM ${qualify(db.schema, 'events')}
        WHERE event_type = 'GameOpened' AND occurred_at >= '2025-02-11' AND occurred_at < '2025-02-16'
        ORDER BY occurred_at, id`,
    );
    const current = status.steps.find((s) => s.id === 'current');
    expect(status.status).toBe('succeeded');
    expect(current?.engine).toBe('hot+lake');
    expect(current?.parts?.map((p) => [p.tier, p.from, p.to])).toEqual([
      ['lake', '2025-02-11', '2025-02-12'],
      ['hot', '2025-02-13', '2025-02-15'],
    ]);
    expect(status.result?.rows.map((r) => r['id'])).toEqual(expected.map((r) => r.id));
    expect(status.result?.columns).toEqual([
      { name: 'id', type: 'string' },
      { name: 'membercode', type: 'string' },
      { name: 'amount', type: 'decimal(14,2)' },
      { name: 'occurred_at', type: 'timestamp' },
    ]);
    for (const row of status.result?.rows ?? []) {
      expect(row['occurred_at']).toMatch(ISO_UTC);
      if (row['amount'] !== null) expect(row['amount']).toMatch(/^-?\d+\.\d{2}$/);
    }
  });

  it('returns the same rows for days read from the lake as for the same days read hot', async () => {
    const step = {
      id: 'days',
      type: 'TableRange',
      table: 'events',
      from: '2025-02-11',
      to: '2025-02-12',
      filters: { event_type: ['Login', 'GameOpened'] },
    };
    // Two days later, 2025-02-11 and 2025-02-12 were still inside the hot window.
    const { service: earlier } = await open(fixedClock('2025-02-13T06:00:00Z'));

    const fromLake = await service.submitPlan({ steps: [step] }, ANN, { waitMs: 60_000 });
    const fromHot = await earlier.submitPlan({ steps: [step] }, ANN, { waitMs: 60_000 });

    expect(fromLake.steps[0]?.engine).toBe('lake');
    expect(fromHot.steps[0]?.engine).toBe('hot');
    expect(fromLake.result?.totalRows).toBeGreaterThan(0);
    expect(fromLake.result?.rows).toEqual(fromHot.result?.rows);
  });

  it('refuses a plan whose estimate is over its max_scan_gb with 413, before anything runs', async () => {
    const plansBefore = (await deps.results.list(PLANS_PREFIX)).length;
    const ledgerBefore = (await deps.results.list(LEDGER_PREFIX)).length;

    const submitting = service.submitPlan(
      {
        steps: [
          {
            id: 's1',
            type: 'AthenaQuery',
            sql: "SELECT * FROM events WHERE event_type = 'Login' AND dt BETWEEN '2025-02-08' AND '2025-02-14'",
            max_scan_gb: 0.000001,
          },
        ],
      },
      ANN,
    );

    await expect(submitting).rejects.toThrow(ScanLimitExceededError);
    await expect(submitting).rejects.toMatchObject({ status: 413, code: 'scan_limit_exceeded' });
    expect((await deps.results.list(PLANS_PREFIX)).length).toBe(plansBefore);
    expect((await deps.results.list(LEDGER_PREFIX)).length).toBe(ledgerBefore);
  });

  // Issue 16: a bounded filter on the time key is enough; event_type only prunes.
  it('counts one day of events filtered on dt alone', async () => {
    const status = await service.submitPlan(
      {
        steps: [
          {
            id: 'day',
            type: 'AthenaQuery',
            sql: "SELECT count(*) AS n FROM events WHERE dt = '2025-02-10'",
          },
        ],
      },
      ANN,
      { waitMs: 60_000 },
    );

    const [expected] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${qualify(db.schema, 'events')}
        WHERE occurred_at >= '2025-02-10' AND occurred_at < '2025-02-11'`,
    );
    expect(status.status).toBe('succeeded');
    expect(Number(status.result?.rows[0]?.['n'])).toBe(Number(expected?.n));
    expect(status.warnings).toEqual([]);
  });

  it('runs a one-sided time filter within the limit, with a warning', async () => {
    const status = await service.submitPlan(
      {
        steps: [
          {
            id: 'since',
            type: 'AthenaQuery',
            sql: "SELECT count(*) AS n FROM events WHERE dt >= '2025-02-13'",
          },
        ],
      },
      ANN,
      { waitMs: 60_000 },
    );

    // The lake holds 2025-02-13 and 2025-02-14 of those days.
    const [expected] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${qualify(db.schema, 'events')}
        WHERE occurred_at >= '2025-02-13' AND occurred_at < '2025-02-15'`,
    );
    expect(status.status).toBe('succeeded');
    expect(Number(status.result?.rows[0]?.['n'])).toBe(Number(expected?.n));
    expect(status.warnings).toEqual([
      expect.stringMatching(/the filter on dt of events has no upper bound/),
    ]);
  });

  it('refuses a one-sided time filter whose estimate is over the limit with 413', async () => {
    const submitting = service.submitPlan(
      {
        steps: [
          {
            id: 'since',
            type: 'AthenaQuery',
            sql: "SELECT * FROM events WHERE dt >= '2025-01-01'",
            max_scan_gb: 0.000001,
          },
        ],
      },
      ANN,
    );

    await expect(submitting).rejects.toMatchObject({ status: 413, code: 'scan_limit_exceeded' });
  });

  it('refuses a lake statement with no filter on the time key with 400', async () => {
    const submitting = service.submitPlan(
      {
        steps: [
          {
            id: 's',
            type: 'AthenaQuery',
            sql: "SELECT count(*) FROM events WHERE event_type = 'Login'",
          },
        ],
      },
      ANN,
    );

    await expect(submitting).rejects.toMatchObject({
      status: 400,
      code: 'sql_rejected',
      message: expect.stringMatching(/must filter on its partition key dt/),
    });
  });

  it('reads a TableRange of events with no filter on event_type', async () => {
    const status = await service.submitPlan(
      {
        steps: [
          {
            id: 'r',
            type: 'TableRange',
            table: 'events',
            from: '2025-02-09',
            to: '2025-02-10',
            columns: ['id'],
          },
        ],
      },
      ANN,
      { waitMs: 60_000 },
    );

    const [expected] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${qualify(db.schema, 'events')}
        WHERE occurred_at >= '2025-02-09' AND occurred_at < '2025-02-11'`,
    );
    expect(status.status).toBe('succeeded');
    expect(status.steps[0]?.engine).toBe('lake');
    expect(status.result?.totalRows).toBe(Number(expected?.n));
  });

  it('refuses a plan with a write statement with 400, before anything runs', async () => {
    const plansBefore = (await deps.results.list(PLANS_PREFIX)).length;

    const submitting = service.submitPlan(
      { steps: [{ id: 's1', type: 'AuroraQuery', sql: 'DELETE FROM members' }] },
      ANN,
    );

    await expect(submitting).rejects.toThrow(SqlRejectedError);
    expect((await deps.results.list(PLANS_PREFIX)).length).toBe(plansBefore);
  });

  it('refuses an S3ParquetRead of a bucket that is neither the lake nor a source, listing them', async () => {
    const submitting = service.submitPlan(
      { steps: [{ id: 'r', type: 'S3ParquetRead', bucket: 'someone-else', key: 'x.parquet' }] },
      ANN,
    );

    await expect(submitting).rejects.toThrow(PlanValidationError);
    await expect(submitting).rejects.toThrow(
      new RegExp(
        `steps\\[0\\]\\.bucket: .*read one of ${LOCAL_LAKE_BUCKET}, thermocline-sample-exports`,
      ),
    );
  });

  it('reads one Parquet object of the lake with S3ParquetRead', async () => {
    const [partition] = await exportDeps.catalog.listPartitions('events');
    const [file] = (await exportDeps.store.list(partition?.location ?? '')).filter((o) =>
      o.key.endsWith('.parquet'),
    );

    const status = await service.submitPlan(
      {
        steps: [
          {
            id: 'r',
            type: 'S3ParquetRead',
            bucket: LOCAL_LAKE_BUCKET,
            key: file?.key,
            columns: ['membercode'],
            limit: 5,
          },
        ],
      },
      ANN,
      { waitMs: 60_000 },
    );

    expect(status.status).toBe('succeeded');
    expect(status.result?.columns.map((c) => c.name)).toEqual(['membercode']);
    expect(status.result?.rows.length).toBe(Math.min(5, partition?.rows ?? 0));
    expect(status.steps[0]?.engine).toBe('parquet');
  });

  it('answers a plan that outlasts waitMs with running, and GET shows it succeeded later', async () => {
    const submitted = await service.submitPlan(
      {
        steps: [
          {
            id: 's1',
            type: 'AthenaQuery',
            sql: "SELECT dt, count(*) AS n FROM events WHERE event_type = 'Login' AND dt BETWEEN '2025-02-08' AND '2025-02-14' GROUP BY 1 ORDER BY 1",
          },
        ],
      },
      ANN,
      { waitMs: 0 },
    );

    const finished = await waitUntilDone(service, submitted.id);

    expect(submitted.status).toBe('running');
    expect(submitted.result).toBeUndefined();
    expect(finished.status).toBe('succeeded');
    expect(finished.result?.rows).toHaveLength(7);
  });

  it('marks a plan failed with the code and message of the failing step', async () => {
    const status = await service.submitPlan(
      {
        steps: [
          { id: 's1', type: 'AuroraQuery', sql: 'SELECT member_code FROM members LIMIT 3' },
          {
            id: 's2',
            type: 'AuroraQuery',
            sql: 'SELECT member_code FROM members WHERE member_code = ANY($1)',
            bind: { $1: { ref: 's1', field: 'no_such_field' } },
          },
        ],
      },
      ANN,
      { waitMs: 60_000 },
    );

    expect(status.status).toBe('failed');
    expect(status.error?.code).toBe('bind_failed');
    expect(status.error?.message).toMatch(/no column 'no_such_field'.*member_code/);
    expect(status.error?.message).not.toMatch(/\n\s+at /);
    expect(status.steps.map((s) => [s.id, s.status])).toEqual([
      ['s1', 'succeeded'],
      ['s2', 'failed'],
    ]);
    expect(status.steps[1]?.error?.code).toBe('bind_failed');
  });

  it('answers the second identical lake query from the result cache', async () => {
    const plan = {
      steps: [
        {
          id: 'q',
          type: 'AthenaQuery',
          sql: "SELECT membercode, count(*) AS n FROM events WHERE event_type = 'apiError' AND dt BETWEEN '2025-02-12' AND '2025-02-15' GROUP BY 1 ORDER BY 1",
        },
      ],
    };

    const first = await service.submitPlan(plan, ANN, { waitMs: 60_000 });
    const second = await service.submitPlan(plan, ANN, { waitMs: 60_000 });

    expect(first.steps[0]?.cacheHit).toBe(false);
    expect(second.steps[0]?.cacheHit).toBe(true);
    expect(second.steps[0]?.bytesScanned).toBe(0);
    expect(second.costUsd).toBe(0);
    expect(second.result?.rows).toEqual(first.result?.rows);
  });

  it('misses the cache once a partition the query reads is published', async () => {
    const plan = {
      steps: [
        {
          id: 'q',
          type: 'AthenaQuery',
          sql: "SELECT membercode, count(*) AS n FROM events WHERE event_type = 'apiError' AND dt BETWEEN '2025-02-12' AND '2025-02-15' GROUP BY 1 ORDER BY 1",
        },
      ],
    };
    const before = await service.submitPlan(plan, ANN, { waitMs: 60_000 });

    await exportTableDay(exportDeps, tableConfig(config, 'events'), '2025-02-15');
    const after = await service.submitPlan(plan, ANN, { waitMs: 60_000 });

    expect(before.steps[0]?.cacheHit).toBe(true);
    expect(after.steps[0]?.cacheHit).toBe(false);
    expect(after.steps[0]?.bytesScanned).toBeGreaterThan(0);
  });

  it('totals the month of the cost ledger by caller', async () => {
    // March: a month no other test writes to.
    const { service: march } = await open(fixedClock('2025-03-02T06:00:00Z'));
    const sql = (type: string): string =>
      `SELECT count(*) AS n FROM events WHERE event_type = '${type}' AND dt BETWEEN '2025-02-08' AND '2025-02-14'`;
    const one = (type: string) => ({ steps: [{ id: 'q', type: 'AthenaQuery', sql: sql(type) }] });

    const ann1 = await march.submitPlan(one('Deposit'), ANN, { waitMs: 60_000 });
    const ann2 = await march.submitPlan(one('Deposit'), ANN, { waitMs: 60_000 });
    const bob = await march.submitPlan(one('Login'), { id: 'local:bob' }, { waitMs: 60_000 });
    const report = await march.costs({ month: '2025-03' });

    expect([ann1.status, ann2.status, bob.status]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(report.queries).toBe(3);
    expect(report.cacheHits).toBe(1);
    expect(report.costUsd).toBeCloseTo(ann1.costUsd + bob.costUsd, 12);
    expect(report.byCaller).toEqual(
      expect.arrayContaining([
        {
          caller: 'local:ann',
          queries: 2,
          bytesScanned: ann1.bytesScanned,
          costUsd: expect.closeTo(ann1.costUsd, 12),
        },
        {
          caller: 'local:bob',
          queries: 1,
          bytesScanned: bob.bytesScanned,
          costUsd: expect.closeTo(bob.costUsd, 12),
        },
      ]),
    );
  });

  it('estimates a lake statement without running it', async () => {
    const ledgerBefore = (await deps.results.list(LEDGER_PREFIX)).length;

    const estimate = await service.estimate({
      sql: "SELECT memberCode FROM events WHERE event_type = 'GameOpened' AND dt = '2025-02-10'",
    });

    expect(estimate.bytes).toBeGreaterThan(0);
    expect(estimate.withinLimit).toBe(true);
    expect(estimate.limitGb).toBe(10);
    expect(estimate.tables[0]).toMatchObject({ table: 'events', partitions: 1 });
    expect((await deps.results.list(LEDGER_PREFIX)).length).toBe(ledgerBefore);
  });

  it('summarizes the catalog: lake tables, synced hot tables, S3 sources', async () => {
    const summary = await service.catalog();

    const events = summary.external_sources.athena.details.find((d) => d.table === 'events');
    expect(summary.external_sources.athena.tables).toContain('events');
    expect(events?.partition_keys).toEqual(['event_type', 'dt']);
    expect(events?.partitions).toBeGreaterThan(EXPORTED_DAYS.length);
    expect(summary.external_sources.athena.retention_days).toBe(730);
    expect(summary.external_sources.aurora.tables).toEqual([
      'agents',
      'members',
      'games',
      'affiliates',
    ]);
    expect(summary.external_sources.s3_sources.map((s) => s.bucket)).toEqual([
      'thermocline-sample-exports',
    ]);
  });

  it('serves the programmatic client: executeQueryWithLimit returns rows and cost metadata', async () => {
    const client = new ThermoclineClient(service, { id: 'local:script' });

    const result = await client.executeQueryWithLimit(
      "SELECT dt, count(*) AS error_count, count(DISTINCT membercode) AS members FROM events WHERE event_type = 'apiError' AND dt BETWEEN '2025-02-08' AND '2025-02-11' GROUP BY 1 ORDER BY 1",
      10 * 1024 * 1024 * 1024, // the seed's 10 GiB, capped at the 10 GB cutoff
    );

    expect(result.rows.map((r) => r['dt'])).toEqual([
      '2025-02-08',
      '2025-02-09',
      '2025-02-10',
      '2025-02-11',
    ]);
    expect(result.metadata.bytesScanned).toBeGreaterThan(0);
    expect(result.metadata.estimatedBytes).toBeGreaterThan(0);
    expect(result.metadata.costUsd).toBeGreaterThan(0);
  });
});
