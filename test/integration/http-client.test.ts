import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { startLocalApiServer, type LocalApiServer } from '#adapters/local/http-server';
import { openLocalLake } from '#adapters/local/local-lake';
import { openLocalQueryService } from '#runtime/local/query-runtime';
import { seedEventsSql, seedPlan } from '#core/api/examples';
import { createApiHandler } from '#core/api/handler';
import { ApiHttpError, ThermoclineHttpClient } from '#core/client/http-client';
import { defaultConfig } from '#core/config/resolve';
import type { QueryService } from '#core/query/service-contract';
import { loadSample } from '#core/sample/load';
import { exportTableDay } from '#etl/export';
import { systemClock, utcDay } from '#ports/clock';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

const DAY_MS = 86_400_000;
const today = utcDay(new Date());
const YESTERDAY = utcDay(new Date(Date.parse(`${today}T00:00:00Z`) - DAY_MS));

/**
 * Validates an OpenAPI document with @seriousme/openapi-schema-validator (ESM-only: run in a
 * child node process) and resolves to its verdict.
 */
async function validateOpenApi(
  document: unknown,
): Promise<{ valid: boolean; version: string; errors?: unknown }> {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ ...result, version: validator.version }));
  `;
  const run = promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '../..'),
  });
  run.child.stdin?.end(JSON.stringify(document));
  const { stdout } = await run;
  return JSON.parse(stdout) as { valid: boolean; version: string; errors?: unknown };
}

// The real local query service behind the local HTTP server; the client calls it over HTTP.
describe('ThermoclineHttpClient against the local API server', () => {
  let test: TestDatabase;
  let home: string;
  let service: QueryService;
  let server: LocalApiServer;
  let client: ThermoclineHttpClient;

  beforeAll(async () => {
    test = await openTestDatabase('openapi');
    home = await mkdtemp(join(tmpdir(), 'thermocline-openapi-'));
    await loadSample(test.db, { seed: 7, days: 2, scale: 0.02, endDate: today });
    const config = defaultConfig();
    const events = config.tables.find((t) => t.name === 'events');
    if (!events) throw new Error('the default config has no events table');
    const encoder = await createDuckDbEncoder();
    try {
      const deps = { db: test.db, encoder, clock: systemClock, ...openLocalLake(home) };
      await exportTableDay(deps, events, YESTERDAY);
    } finally {
      await encoder.close();
    }
    service = await openLocalQueryService({ config, home, db: test.db });
    server = await startLocalApiServer({ handler: createApiHandler(service), port: 0 });
    client = new ThermoclineHttpClient({ baseUrl: server.url });
  });

  afterAll(async () => {
    await server?.close();
    await service?.close();
    await test?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('GET /openapi.json validates as OpenAPI 3.1', async () => {
    const document = await client.openApi();

    const verdict = await validateOpenApi(document);

    expect(verdict).toMatchObject({ valid: true, version: '3.1' });
  });

  it('the validator refuses a broken document (the check can fail)', async () => {
    const document = { ...(await client.openApi()), paths: { '/plans': { post: 'nope' } } };

    expect((await validateOpenApi(document)).valid).toBe(false);
  });

  it("runs the seed's plan and reads it back by id", async () => {
    const status = await client.runPlan(seedPlan(YESTERDAY, YESTERDAY));

    expect(status.status).toBe('succeeded');
    expect(status.steps.map((s) => s.id)).toEqual(['s1', 's2']);
    expect((await client.getPlan(status.id)).id).toBe(status.id);
  });

  it('polls a plan that answered 202', async () => {
    const accepted = await client.submitPlan(seedPlan(YESTERDAY, YESTERDAY), { waitSeconds: 0 });
    expect(accepted.status).toBe('running');

    let status = await client.getPlan(accepted.id);
    for (let i = 0; i < 100 && status.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await client.getPlan(accepted.id);
    }
    expect(status.status).toBe('succeeded');
  });

  it('estimates, reads the catalog and the costs', async () => {
    const estimate = await client.estimate({ sql: seedEventsSql(YESTERDAY, YESTERDAY) });
    expect(estimate.tables.map((t) => t.table)).toEqual(['events']);
    expect(estimate.bytes).toBeGreaterThan(0);
    expect((await client.catalog()).external_sources.athena.tables).toContain('events');
    expect((await client.costs()).queries).toBeGreaterThan(0);
  });

  it("answers a bad plan with the API's error", async () => {
    const error = await client
      .runPlan({ steps: [{ id: 's1', type: 'Nope' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiHttpError);
    expect(error).toMatchObject({ status: 400, exitCode: 2, code: 'plan_invalid' });
  });
});
