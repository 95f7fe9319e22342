import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { localUser, startLocalApiServer, type LocalApiServer } from '#adapters/local/http-server';
import { openLocalLake } from '#adapters/local/local-lake';
import { openLocalQueryService } from '#runtime/local/query-runtime';
import { seedEventsSql, seedPlan } from '#core/api/examples';
import { createApiHandler } from '#core/api/handler';
import { defaultConfig } from '#core/config/resolve';
import type { ThermoclineConfig } from '#core/config/schema';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
  QueryService,
} from '#core/query/service-contract';
import { loadSample } from '#core/sample/load';
import { qualify } from '#core/sql/ident';
import { exportTableDay } from '#etl/export';
import { systemClock, utcDay } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

const DAY_MS = 86_400_000;
const today = utcDay(new Date());
const daysAgo = (n: number): string =>
  utcDay(new Date(Date.parse(`${today}T00:00:00Z`) - n * DAY_MS));
/** The lake has the two closed days; the hot window (1 day) starts yesterday. */
const OLDEST = daysAgo(2);
const YESTERDAY = daysAgo(1);

interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

interface ErrorBody {
  error: { code: string; message: string; path?: string; estimate?: { bytes: number } };
}

// One small seeded database, the events of its closed days in the lake, the real local query
// service behind the local HTTP server on an ephemeral port.
describe('the query API on the local server', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let service: QueryService;
  let server: LocalApiServer;

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Answer<T>> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            headers: { 'content-type': 'application/json' },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as T,
    };
  }

  /**
   * A request with exactly these headers (fetch sets some of its own and refuses to change
   * `Host`), over node:http; the answer's body as JSON.
   */
  function raw(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: ErrorBody }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        {
          method,
          headers: {
            ...headers,
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ErrorBody,
            });
          });
          response.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function queriesThisMonth(): Promise<number> {
    return (await call<CostReport>('GET', '/costs')).body.queries;
  }

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await db.query<{ n: string }>(sql, params);
    return Number(row?.n);
  }

  beforeAll(async () => {
    test = await openTestDatabase('api');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-api-'));
    await loadSample(db, { seed: 42, days: 3, scale: 0.05, endDate: today });
    const defaults = defaultConfig();
    // A one-day hot window, so a range over the three sample days crosses it.
    const config: ThermoclineConfig = {
      ...defaults,
      tables: defaults.tables.map((t) => ({ ...t, hot_window_days: 1 })),
    };
    const events = config.tables.find((t) => t.name === 'events');
    if (!events) throw new Error('the default config has no events table');
    const encoder = await createDuckDbEncoder();
    try {
      const deps = { db, encoder, clock: systemClock, ...openLocalLake(home) };
      for (const day of [OLDEST, YESTERDAY]) await exportTableDay(deps, events, day);
    } finally {
      await encoder.close();
    }
    service = await openLocalQueryService({ config, home, db });
    server = await startLocalApiServer({ handler: createApiHandler(service), port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await service?.close();
    await test?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("runs the seed's plan: s2 reads the hot members bound to s1's memberCode values", async () => {
    const { status, body } = await call<PlanStatus>('POST', '/plans', seedPlan(OLDEST, YESTERDAY));

    expect(status).toBe(200);
    expect(body.status).toBe('succeeded');
    expect(body.caller).toBe(`local:${localUser()}`);
    expect(body.steps.map((s) => [s.id, s.status])).toEqual([
      ['s1', 'succeeded'],
      ['s2', 'succeeded'],
    ]);
    expect(body.steps[0]?.bytesScanned).toBeGreaterThan(0);
    const rows = body.result?.rows ?? [];
    expect(rows.length).toBeGreaterThan(0);
    // Every member s2 returned opened games in the range (s1's top 10), per the hot database.
    for (const row of rows) {
      expect(
        await count(
          `SELECT count(*) AS n FROM ${qualify(db.schema, 'events')} WHERE event_type = 'GameOpened' AND membercode = $1 AND occurred_at >= $2 AND occurred_at < $3`,
          [row.member_code, `${OLDEST}T00:00:00Z`, `${today}T00:00:00Z`],
        ),
      ).toBeGreaterThan(0);
    }
  });

  it('answers GET /plans/{id} with the status and results of a plan', async () => {
    const submitted = await call<PlanStatus>('POST', '/plans', seedPlan(OLDEST, OLDEST));

    const { status, body } = await call<PlanStatus>('GET', `/plans/${submitted.body.id}`);

    expect(status).toBe(200);
    expect(body.id).toBe(submitted.body.id);
    expect(body.status).toBe('succeeded');
    expect(body.result?.totalRows).toBe(submitted.body.result?.totalRows);
  });

  it('answers 202 with a Location for a plan that is not done in time, then GET shows it done', async () => {
    const { status, headers, body } = await call<{ id: string; location: string }>(
      'POST',
      '/plans?wait_seconds=0',
      seedPlan(OLDEST, YESTERDAY),
    );

    expect(status).toBe(202);
    expect(headers.get('location')).toBe(`/plans/${body.id}`);
    let plan = (await call<PlanStatus>('GET', body.location)).body;
    for (let i = 0; i < 100 && plan.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      plan = (await call<PlanStatus>('GET', body.location)).body;
    }
    expect(plan.status).toBe('succeeded');
  });

  it('answers 404 for a plan it does not know', async () => {
    const { status, body } = await call<ErrorBody>('GET', '/plans/no-such-plan');

    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });

  it('compares the recent days (hot + lake, across the hot window) with a lake baseline', async () => {
    const plan = {
      steps: [
        {
          id: 'baseline',
          type: 'AthenaQuery',
          sql: `SELECT count(*) AS logins FROM events WHERE event_type = 'Login' AND dt = '${OLDEST}'`,
        },
        {
          id: 'recent',
          type: 'TableRange',
          table: 'events',
          from: OLDEST,
          to: today,
          columns: ['id', 'event_type', 'membercode', 'occurred_at'],
          filters: { event_type: 'Login' },
        },
      ],
      output: 'recent',
    };

    const { status, body } = await call<PlanStatus>('POST', '/plans', plan);

    expect(status).toBe(200);
    expect(body.status).toBe('succeeded');
    expect(body.steps.find((s) => s.id === 'recent')?.engine).toBe('hot+lake');
    const events = qualify(db.schema, 'events');
    expect(body.result?.totalRows).toBe(
      await count(
        `SELECT count(*) AS n FROM ${events} WHERE event_type = 'Login' AND occurred_at >= $1`,
        [`${OLDEST}T00:00:00Z`],
      ),
    );
    const baseline = await call<PlanStatus>('GET', `/plans/${body.id}?step=baseline`);
    expect(Number(baseline.body.result?.rows[0]?.logins)).toBe(
      await count(
        `SELECT count(*) AS n FROM ${events} WHERE event_type = 'Login' AND occurred_at >= $1 AND occurred_at < $2`,
        [`${OLDEST}T00:00:00Z`, `${YESTERDAY}T00:00:00Z`],
      ),
    );
  });

  it('answers POST /estimate with the bytes, dollars and partitions of a query', async () => {
    const { status, body } = await call<EstimateResponse>('POST', '/estimate', {
      sql: seedEventsSql(OLDEST, YESTERDAY),
    });

    expect(status).toBe(200);
    expect(body.bytes).toBeGreaterThan(0);
    expect(body.withinLimit).toBe(true);
    expect(body.tables).toEqual([expect.objectContaining({ table: 'events', partitions: 2 })]);
  });

  it('answers GET /catalog with the lake tables', async () => {
    const { status, body } = await call<CatalogSummary>('GET', '/catalog');

    expect(status).toBe(200);
    expect(body.external_sources.athena.tables).toContain('events');
  });

  it('answers GET /costs with the month totals by caller', async () => {
    await call('POST', '/plans', seedPlan(YESTERDAY, YESTERDAY));

    const { status, body } = await call<CostReport>('GET', '/costs');

    expect(status).toBe(200);
    expect(body.month).toBe(today.slice(0, 7));
    expect(body.byCaller.map((c) => c.caller)).toContain(`local:${localUser()}`);
  });

  describe('refuses bad input with a 4xx before anything runs', () => {
    const lakeStep = (sql: string, extra: Record<string, unknown> = {}) => ({
      steps: [{ id: 's1', type: 'AthenaQuery', sql, ...extra }],
    });

    it.each([
      ['DDL on the lake', lakeStep('DROP TABLE events'), 400, 'sql_rejected'],
      [
        'a lake query without a partition filter',
        lakeStep('SELECT count(*) FROM events'),
        400,
        'sql_rejected',
      ],
      [
        'a dependency cycle',
        {
          steps: [
            {
              id: 's1',
              type: 'AuroraQuery',
              sql: 'SELECT 1 AS x WHERE 1 = ANY($1)',
              bind: { $1: { ref: 's2', field: 'x' } },
            },
            {
              id: 's2',
              type: 'AuroraQuery',
              sql: 'SELECT 1 AS x WHERE 1 = ANY($1)',
              bind: { $1: { ref: 's1', field: 'x' } },
            },
          ],
        },
        400,
        'plan_invalid',
      ],
      [
        'a bind to an unknown step',
        {
          steps: [
            {
              id: 's1',
              type: 'AuroraQuery',
              sql: 'SELECT member_code FROM members WHERE member_code = ANY($1)',
              bind: { $1: { ref: 'nope', field: 'x' } },
            },
          ],
        },
        400,
        'plan_invalid',
      ],
      [
        'a scan over max_scan_gb',
        lakeStep(seedEventsSql(OLDEST, YESTERDAY), { max_scan_gb: 1e-9 }),
        413,
        'scan_limit_exceeded',
      ],
    ])('%s', async (_name, plan, status, code) => {
      const before = await queriesThisMonth();

      const answer = await call<ErrorBody>('POST', '/plans', plan);

      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message).not.toMatch(/\n\s+at /);
      expect(await queriesThisMonth()).toBe(before);
    });

    it('sends the estimate with a 413', async () => {
      const answer = await call<ErrorBody>(
        'POST',
        '/plans',
        lakeStep(seedEventsSql(OLDEST, YESTERDAY), { max_scan_gb: 1e-9 }),
      );

      expect(answer.body.error.estimate?.bytes).toBeGreaterThan(1);
    });

    it('runs no DML on the hot database', async () => {
      const members = qualify(db.schema, 'members');
      const before = await count(`SELECT count(*) AS n FROM ${members}`);

      const answer = await call<ErrorBody>('POST', '/plans', {
        steps: [{ id: 's1', type: 'AuroraQuery', sql: 'DELETE FROM members' }],
      });

      expect(answer.status).toBe(400);
      expect(await count(`SELECT count(*) AS n FROM ${members}`)).toBe(before);
    });

    it('answers a body that is not JSON with 400 bad_json', async () => {
      const answer = await call<ErrorBody>('POST', '/plans', '{"steps": [');

      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('bad_json');
    });

    it('answers a body over 1 MiB with 413 body_too_large', async () => {
      const answer = await call<ErrorBody>('POST', '/estimate', { sql: 'x'.repeat(1024 * 1024) });

      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe('body_too_large');
    });

    it('answers a body nested 10,000 levels deep with 400 body_too_deep', async () => {
      const before = await queriesThisMonth();
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      const body = `{"steps": [{"id": "s1", "type": "AthenaQuery", "sql": "SELECT 1", "bind": ${deep}}]}`;

      const answer = await call<ErrorBody>('POST', '/plans', body);

      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('body_too_deep');
      expect(answer.body.error.message).toMatch(/deeper than the limit of 64 levels/);
      expect(await queriesThisMonth()).toBe(before);
    });

    it('answers a 160 KB WHERE clause with 413 sql_too_long', async () => {
      const terms = Array.from({ length: 8_000 }, (_, i) => `membercode = 'M${i}'`);
      const sql = `${seedEventsSql(YESTERDAY, YESTERDAY)} AND (${terms.join(' OR ')})`;
      expect(sql.length).toBeGreaterThan(160_000);

      const answer = await call<ErrorBody>('POST', '/plans', lakeStep(sql));

      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatchObject({ code: 'sql_too_long', path: 'steps[0].sql' });
      expect(answer.body.error.message).toMatch(
        /the SQL has [\d,]+ characters, over the limit of 65,536; split the statement/,
      );
    });

    it('answers 1,001 ORs with 400 sql_rejected', async () => {
      const terms = Array.from({ length: 1_002 }, (_, i) => `member_code = 'M${i}'`);
      const sql = `SELECT member_code FROM members WHERE ${terms.join(' OR ')}`;

      const answer = await call<ErrorBody>('POST', '/plans', {
        steps: [{ id: 's1', type: 'AuroraQuery', sql }],
      });

      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('sql_rejected');
      expect(answer.body.error.message).toMatch(/1,001 AND\/OR operators, more than the 1,000/);
    });

    it('answers /estimate with a 160 KB statement with 413 sql_too_long', async () => {
      const sql = `${seedEventsSql(YESTERDAY, YESTERDAY)} -- ${'x'.repeat(160_000)}`;

      const answer = await call<ErrorBody>('POST', '/estimate', { sql });

      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe('sql_too_long');
    });

    it.each([
      ['text/plain (no CORS preflight)', { 'content-type': 'text/plain;charset=UTF-8' }],
      ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['no content type', {} as Record<string, string>],
    ])('answers a POST with %s with 415 and runs nothing', async (_name, headers) => {
      const before = await queriesThisMonth();

      const answer = await raw(
        'POST',
        '/plans',
        headers,
        JSON.stringify(seedPlan(YESTERDAY, YESTERDAY)),
      );

      expect(answer.status).toBe(415);
      expect(answer.body.error.code).toBe('unsupported_media_type');
      expect(answer.body.error.message).toContain("curl -H 'content-type: application/json'");
      expect(await queriesThisMonth()).toBe(before);
    });

    it.each([
      ['a foreign Origin', { origin: 'https://evil.example' }, 'cross_origin'],
      ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, 'cross_origin'],
      [
        'Sec-Fetch-Site same-site',
        { 'sec-fetch-site': 'same-site', origin: 'http://localhost:8080' },
        'cross_origin',
      ],
      ['a foreign Host (DNS rebinding)', { host: 'evil.example' }, 'foreign_host'],
    ])('refuses a plan with %s with 403 and runs nothing', async (_name, headers, code) => {
      const before = await queriesThisMonth();

      const answer = await raw(
        'POST',
        '/plans',
        { 'content-type': 'application/json', ...headers },
        JSON.stringify(seedPlan(YESTERDAY, YESTERDAY)),
      );

      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message).toContain(`curl ${server.url}/catalog`);
      expect(await queriesThisMonth()).toBe(before);
    });

    it('refuses a foreign Host on GET routes and CORS preflights too', async () => {
      expect((await raw('GET', '/catalog', { host: `evil.example:${server.port}` })).status).toBe(
        403,
      );
      const preflight = await raw('OPTIONS', '/plans', {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
      });
      expect(preflight.body.error.code).toBe('cross_origin');
    });

    it('answers a request from its own origin', async () => {
      const answer = await raw(
        'POST',
        '/estimate',
        {
          'content-type': 'application/json',
          origin: `http://localhost:${server.port}`,
          'sec-fetch-site': 'same-origin',
          host: `localhost:${server.port}`,
        },
        JSON.stringify({ sql: seedEventsSql(YESTERDAY, YESTERDAY) }),
      );

      expect(answer.status).toBe(200);
    });

    it('answers a wrong method with 405 and Allow', async () => {
      const answer = await call<ErrorBody>('DELETE', '/catalog');

      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET');
    });

    it('answers an unknown route with 404 and a request id', async () => {
      const answer = await call<ErrorBody>('GET', '/partitions');

      expect(answer.status).toBe(404);
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
