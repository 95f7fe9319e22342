import { foreignRequest, localHostNames } from '#adapters/local/http-server';
import { createApiHandler, matchRoute, type ApiLogger } from '#core/api/handler';
import { MAX_JSON_DEPTH } from '#core/api/json-body';
import { firstJsonErrorPosition } from '#core/json-syntax';
import type { ApiGatewayProxyEvent } from '#core/api/types';
import { UnknownTableError } from '#etl/insights';
import type { Insights } from '#ports/insights';
import {
  ConflictError,
  DatabaseUnavailableError,
  ThermoclineError,
  UsageError,
} from '#core/errors';
import { LAKE_TIMEOUT_SETTING, StatementTimeoutError } from '#core/query/engine-errors';
import type { ScanEstimate } from '#core/query/estimate';
import { TooManyPlansError } from '#core/query/plan-launcher';
import {
  BindError,
  PlanValidationError,
  ScanLimitExceededError,
  SqlRejectedError,
  SqlTooLongError,
} from '#core/query/errors';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
  QueryService,
} from '#core/query/service-contract';

// A stand-in QueryService: these tests check the HTTP mapping, not the engines (the
// integration tests run the real service behind the local server).
const SUCCEEDED: PlanStatus = {
  id: 'p1',
  status: 'succeeded',
  caller: 'arn:aws:iam::123456789012:user/ana',
  submittedAt: '2025-02-16T10:00:00.000Z',
  finishedAt: '2025-02-16T10:00:01.000Z',
  steps: [{ id: 's1', type: 'AthenaQuery', status: 'succeeded', rows: 1 }],
  bytesScanned: 1000,
  costUsd: 0.000005,
  result: { step: 's1', columns: [{ name: 'n', type: 'bigint' }], rows: [{ n: 1 }], totalRows: 1 },
  warnings: [],
};
const RUNNING: PlanStatus = { ...SUCCEEDED, id: 'p 2', status: 'running', steps: [] };
const ESTIMATE: EstimateResponse = {
  bytes: 20e9,
  gb: 20,
  costUsd: 0.1,
  limitGb: 10,
  withinLimit: false,
  tables: [],
  warnings: [],
};
const CATALOG = { external_sources: { s3_sources: [] } } as unknown as CatalogSummary;
const COSTS: CostReport = {
  month: '2025-02',
  queries: 0,
  bytesScanned: 0,
  costUsd: 0,
  cacheHits: 0,
  byCaller: [],
};
const SCAN: ScanEstimate = {
  bytes: 20e9,
  costUsd: 0.1,
  scans: [],
  tables: [{ table: 'events', partitions: 90, partitionsTotal: 90, bytes: 20e9, columns: ['id'] }],
};

function fakeService(): jest.Mocked<QueryService> {
  return {
    submitPlan: jest.fn<Promise<PlanStatus>, Parameters<QueryService['submitPlan']>>(
      async () => SUCCEEDED,
    ),
    getPlan: jest.fn<Promise<PlanStatus>, Parameters<QueryService['getPlan']>>(
      async () => SUCCEEDED,
    ),
    estimate: jest.fn<Promise<EstimateResponse>, [unknown]>(async () => ESTIMATE),
    catalog: jest.fn(async () => CATALOG),
    costs: jest.fn(async () => COSTS),
    close: jest.fn(async () => undefined),
  };
}

/** The header every POST of these tests sends, as API Gateway passes it (name as written). */
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** An event; a POST says its body is JSON unless `extra.headers` says otherwise. */
function event(
  method: string,
  path: string,
  extra: Partial<ApiGatewayProxyEvent> = {},
): ApiGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    ...(method === 'POST' ? { headers: JSON_TYPE } : {}),
    requestContext: {
      requestId: 'req-1',
      path,
      identity: { userArn: 'arn:aws:iam::123456789012:user/ana' },
    },
    ...extra,
  };
}

function post(path: string, body: unknown): ApiGatewayProxyEvent {
  return event('POST', path, { body: JSON.stringify(body) });
}

const PLAN = { steps: [{ id: 's1', type: 'AthenaQuery', sql: 'SELECT 1' }] };

let service: jest.Mocked<QueryService>;
let logger: jest.Mocked<ApiLogger>;

beforeEach(() => {
  service = fakeService();
  logger = { error: jest.fn() };
});

function handler(options: { waitMs?: number } = {}) {
  return createApiHandler(service, { logger, ...options });
}

function json(body: string): Record<string, unknown> & { error: Record<string, unknown> } {
  return JSON.parse(body) as Record<string, unknown> & { error: Record<string, unknown> };
}

describe('POST /plans', () => {
  it('answers 200 with the plan status when the plan finished in time', async () => {
    const result = await handler({ waitMs: 5000 })(post('/plans', PLAN));

    expect(result.statusCode).toBe(200);
    expect(json(result.body)).toEqual(SUCCEEDED);
    expect(service.submitPlan).toHaveBeenCalledWith(
      PLAN,
      { id: 'arn:aws:iam::123456789012:user/ana' },
      { waitMs: 5000 },
    );
  });

  it('answers 200 for a failed plan too: the status says failed', async () => {
    service.submitPlan.mockResolvedValue({ ...SUCCEEDED, status: 'failed' });

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(200);
    expect(json(result.body).status).toBe('failed');
  });

  it('answers 202 with the id and a Location when the plan is still running', async () => {
    service.submitPlan.mockResolvedValue(RUNNING);

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(202);
    expect(json(result.body)).toEqual({ id: 'p 2', status: 'running', location: '/plans/p%202' });
    expect(result.headers.Location).toBe('/plans/p%202');
  });

  it('puts the stage in front of the Location on API Gateway', async () => {
    service.submitPlan.mockResolvedValue({ ...RUNNING, id: 'p2' });
    const request = post('/plans', PLAN);

    const result = await handler()({
      ...request,
      requestContext: { ...request.requestContext, path: '/prod/plans' },
    });

    expect(result.headers.Location).toBe('/prod/plans/p2');
  });

  it('passes ?wait_seconds to the service in milliseconds', async () => {
    await handler({ waitMs: 5000 })({
      ...post('/plans', PLAN),
      queryStringParameters: { wait_seconds: '0' },
    });

    expect(service.submitPlan).toHaveBeenCalledWith(PLAN, expect.anything(), { waitMs: 0 });
  });

  it('refuses a wait_seconds over the maximum with 400', async () => {
    const result = await handler()({
      ...post('/plans', PLAN),
      queryStringParameters: { wait_seconds: '60' },
    });

    expect(result.statusCode).toBe(400);
    expect(json(result.body).error).toMatchObject({ code: 'bad_request', path: 'wait_seconds' });
  });

  it('calls a request without an IAM principal anonymous', async () => {
    await handler()({
      httpMethod: 'POST',
      path: '/plans',
      headers: JSON_TYPE,
      body: JSON.stringify(PLAN),
    });

    expect(service.submitPlan).toHaveBeenCalledWith(PLAN, { id: 'anonymous' }, {});
  });

  it('reads a base64-encoded body', async () => {
    await handler()({
      ...event('POST', '/plans'),
      body: Buffer.from(JSON.stringify(PLAN)).toString('base64'),
      isBase64Encoded: true,
    });

    expect(service.submitPlan).toHaveBeenCalledWith(PLAN, expect.anything(), {});
  });
});

describe('the other routes', () => {
  it('GET /plans/{id} passes the id, page and step', async () => {
    const result = await handler()({
      ...event('GET', '/plans/p1'),
      queryStringParameters: { page: '2', step: 's1' },
    });

    expect(result.statusCode).toBe(200);
    expect(service.getPlan).toHaveBeenCalledWith('p1', { page: '2', step: 's1' });
  });

  it('GET /plans/{id} answers 404 for a plan the service does not know', async () => {
    service.getPlan.mockRejectedValue(
      Object.assign(new ThermoclineError("plan 'nope' is not known", 'not_found', 2), {
        status: 404,
      }),
    );

    const result = await handler()(event('GET', '/plans/nope'));

    expect(result.statusCode).toBe(404);
    expect(json(result.body).error).toEqual({
      code: 'not_found',
      message: "plan 'nope' is not known",
    });
  });

  it('POST /estimate answers 200 even over the limit: an estimate is information', async () => {
    const result = await handler()(post('/estimate', { sql: 'SELECT 1' }));

    expect(result.statusCode).toBe(200);
    expect(json(result.body)).toEqual(ESTIMATE);
    expect(service.estimate).toHaveBeenCalledWith({ sql: 'SELECT 1' });
  });

  it('GET /catalog answers the catalog summary', async () => {
    const result = await handler()(event('GET', '/catalog'));

    expect(result.statusCode).toBe(200);
    expect(json(result.body)).toEqual(CATALOG);
  });

  it('GET /costs passes the month', async () => {
    const result = await handler()({
      ...event('GET', '/costs'),
      queryStringParameters: { month: '2025-02' },
    });

    expect(result.statusCode).toBe(200);
    expect(service.costs).toHaveBeenCalledWith({ month: '2025-02' });
  });

  it('GET /costs refuses a month that is not YYYY-MM', async () => {
    const result = await handler()({
      ...event('GET', '/costs'),
      queryStringParameters: { month: 'feb' },
    });

    expect(result.statusCode).toBe(400);
    expect(json(result.body).error.message).toMatch(/YYYY-MM.*'feb'/);
    expect(service.costs).not.toHaveBeenCalled();
  });

  it('GET /openapi.json answers the OpenAPI 3.1 document, its server the stage path', async () => {
    const result = await handler()({
      ...event('GET', '/openapi.json'),
      requestContext: { requestId: 'req-1', path: '/v1/openapi.json' },
    });

    expect(result.statusCode).toBe(200);
    const document = json(result.body);
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/v1' }]);
    expect(Object.keys(document.paths as object)).toContain('/plans/{id}');
  });

  it('ignores a trailing slash', async () => {
    const result = await handler()(event('GET', '/catalog/'));

    expect(result.statusCode).toBe(200);
  });
});

describe('errors of the service', () => {
  it.each([
    [
      'PlanValidationError',
      new PlanValidationError('a cycle: s1 → s2 → s1', 'steps[0].bind'),
      400,
      'plan_invalid',
    ],
    [
      'SqlRejectedError',
      new SqlRejectedError('only SELECT may run; found DROP', 'steps[0].sql'),
      400,
      'sql_rejected',
    ],
    [
      'BindError',
      new BindError("step 's1' has no column 'x'", 'steps[1].bind.$1.field'),
      422,
      'bind_failed',
    ],
  ])('%s answers its status with the code and the path', async (_name, error, status, code) => {
    service.submitPlan.mockRejectedValue(error);

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(status);
    expect(json(result.body).error).toEqual({
      code,
      message: error.message,
      path: error.path,
    });
  });

  it('SqlTooLongError answers 413 sql_too_long with the length and the limit', async () => {
    service.submitPlan.mockRejectedValue(new SqlTooLongError(163_840, 65_536, 'steps[0].sql'));

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(413);
    const { error } = json(result.body);
    expect(error).toMatchObject({
      code: 'sql_too_long',
      path: 'steps[0].sql',
      length: 163_840,
      limit: 65_536,
    });
    expect(error.message).toMatch(/163,840 characters, over the limit of 65,536; split/);
  });

  it('ScanLimitExceededError answers 413 with the estimate, without the partition list', async () => {
    service.submitPlan.mockRejectedValue(new ScanLimitExceededError(SCAN, 10e9, 'steps[0]'));

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(413);
    const { error } = json(result.body);
    expect(error).toMatchObject({
      code: 'scan_limit_exceeded',
      limitBytes: 10e9,
      path: 'steps[0]',
    });
    expect(error.estimate).toEqual({ bytes: 20e9, costUsd: 0.1, tables: SCAN.tables });
  });

  it('TooManyPlansError answers 429 too_many_plans with Retry-After', async () => {
    service.submitPlan.mockRejectedValue(new TooManyPlansError(4, 16, 5));

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(429);
    expect(result.headers?.['Retry-After']).toBe('5');
    expect(json(result.body).error).toMatchObject({
      code: 'too_many_plans',
      retryAfterSeconds: 5,
      message: expect.stringMatching(/4 plans are running and 16 are waiting/),
    });
  });

  it('any 429 carries Retry-After, 1 s when the error names no wait', async () => {
    const throttled = Object.assign(new ThermoclineError('slow down', 'throttled', 1), {
      status: 429,
    });
    service.catalog.mockRejectedValue(throttled);

    const result = await handler()(event('GET', '/catalog'));

    expect(result.statusCode).toBe(429);
    expect(result.headers?.['Retry-After']).toBe('1');
  });

  it("a lake query's StatementTimeoutError answers 408 statement_timeout", async () => {
    service.submitPlan.mockRejectedValue(
      new StatementTimeoutError('duckdb', 300_000, LAKE_TIMEOUT_SETTING),
    );

    const result = await handler()(post('/plans', PLAN));

    expect(result.statusCode).toBe(408);
    expect(json(result.body).error).toMatchObject({
      code: 'statement_timeout',
      message: expect.stringMatching(/query\.lake_statement_timeout_seconds/),
    });
    expect(result.headers?.['Retry-After']).toBeUndefined();
  });

  it.each([
    ['bad input (exit code 2)', 400, new UsageError('bad')],
    ['an unreachable database (exit code 3)', 503, new DatabaseUnavailableError('down')],
    ['any other failure (exit code 1)', 500, new ConflictError('conflict')],
  ])('a ThermoclineError without a status: %s answers %i', async (_name, status, error) => {
    service.catalog.mockRejectedValue(error);

    const result = await handler()(event('GET', '/catalog'));

    expect(result.statusCode).toBe(status);
    expect(json(result.body).error).toEqual({ code: error.code, message: error.message });
  });

  it('answers 500 when the service returns what JSON cannot write', async () => {
    service.costs.mockResolvedValue({ ...COSTS, queries: 1n as unknown as number });

    const result = await handler()(event('GET', '/costs'));

    expect(result.statusCode).toBe(500);
    expect(json(result.body).error.code).toBe('internal');
  });

  it('answers an unexpected error with 500 and the request id, never the stack', async () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'rows')");
    service.catalog.mockRejectedValue(error);

    const result = await handler()(event('GET', '/catalog'));

    expect(result.statusCode).toBe(500);
    expect(json(result.body)).toEqual({
      error: { code: 'internal', message: 'internal error; request id req-1' },
    });
    expect(result.body).not.toMatch(/rows|TypeError|at /);
  });

  it('logs the stack of an unexpected error with the request id', async () => {
    const error = new TypeError('boom');
    service.catalog.mockRejectedValue(error);

    await handler()(event('GET', '/catalog'));

    expect(logger.error).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({
        requestId: 'req-1',
        error: expect.objectContaining({ stack: error.stack }),
      }),
    );
  });
});

describe('requests the handler refuses itself', () => {
  it('answers bad JSON with 400 bad_json naming where it breaks', async () => {
    const result = await handler()({ ...event('POST', '/plans'), body: '{"steps": [}' });

    expect(result.statusCode).toBe(400);
    const { error } = json(result.body);
    expect(error).toMatchObject({ code: 'bad_json', position: 11 });
    expect(error.message).toMatch(/unexpected "}" at line 1, column 12 \(position 11\)/);
    expect(service.submitPlan).not.toHaveBeenCalled();
  });

  it('counts lines and columns in a multi-line body', async () => {
    const result = await handler()({
      ...event('POST', '/estimate'),
      body: '{\n  "sql": "SELECT 1",\n  "plan": tru\n}',
    });

    expect(json(result.body).error.message).toMatch(/line 3, column 11/);
  });

  it.each([
    ['at the top', '{"__proto__": {"polluted": true}, "steps": []}'],
    [
      'as a bind name',
      '{"steps": [{"id": "s1", "type": "AuroraQuery", "sql": "SELECT 1", "bind": {"__proto__": {"ref": "s0", "field": "x"}}}]}',
    ],
  ])('answers a __proto__ key %s with 400 bad_json and runs nothing', async (_where, body) => {
    const result = await handler()({ ...event('POST', '/plans'), body });

    expect(result.statusCode).toBe(400);
    expect(json(result.body).error).toMatchObject({
      code: 'bad_json',
      message: expect.stringMatching(/has the key "__proto__" \(line 1, column \d+\)/),
    });
    expect(service.submitPlan).not.toHaveBeenCalled();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers an empty body with 400 bad_json', async () => {
    const result = await handler()(event('POST', '/estimate'));

    expect(result.statusCode).toBe(400);
    expect(json(result.body).error).toMatchObject({ code: 'bad_json', position: 0 });
  });

  it('answers a body over 1 MiB with 413 body_too_large and runs nothing', async () => {
    const body = JSON.stringify({ sql: `SELECT '${'x'.repeat(1024 * 1024)}'` });

    const result = await handler()({ ...event('POST', '/estimate'), body });

    expect(result.statusCode).toBe(413);
    expect(json(result.body).error.code).toBe('body_too_large');
    expect(service.estimate).not.toHaveBeenCalled();
  });

  it('answers a body nested 10,000 levels deep with 400 body_too_deep and runs nothing', async () => {
    const prefix = '{"steps": [{"id": "s1", "type": "AthenaQuery", "sql": "SELECT 1", "bind": ';
    const body = `${prefix}${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`;
    // Three levels are open before `bind`: level 65 is its 62nd bracket.
    const position = prefix.length + 61;

    const result = await handler()({ ...event('POST', '/plans'), body });

    expect(result.statusCode).toBe(400);
    const { error } = json(result.body);
    expect(error).toMatchObject({ code: 'body_too_deep', limit: 64, position });
    expect(error.message).toContain(
      `deeper than the limit of 64 levels (level 65 opens at line 1, column ${position + 1}, position ${position})`,
    );
    expect(service.submitPlan).not.toHaveBeenCalled();
  });

  it(`reads a body nested ${MAX_JSON_DEPTH} levels deep, brackets inside strings not counted`, async () => {
    const nested = `${'['.repeat(MAX_JSON_DEPTH - 1)}"[[[{{{"${']'.repeat(MAX_JSON_DEPTH - 1)}`;

    const result = await handler()({ ...event('POST', '/estimate'), body: `{"sql": ${nested}}` });

    expect(result.statusCode).toBe(200);
    expect(service.estimate).toHaveBeenCalledTimes(1);
  });

  it.each([
    [
      'text/plain (a form or fetch without preflight)',
      { 'Content-Type': 'text/plain' },
      "got 'text/plain'",
    ],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 'got'],
    ['no Content-Type at all', {}, 'the request has none'],
  ])('answers a POST with %s with 415 and runs nothing', async (_name, headers, got) => {
    const result = await handler()({ ...post('/plans', PLAN), headers });

    expect(result.statusCode).toBe(415);
    const { error } = json(result.body);
    expect(error).toMatchObject({ code: 'unsupported_media_type', accept: 'application/json' });
    expect(error.message).toContain(got);
    expect(error.message).toContain("curl -H 'content-type: application/json'");
    expect(service.submitPlan).not.toHaveBeenCalled();
  });

  it('reads application/json with parameters, the header named in any case', async () => {
    const result = await handler()({
      ...post('/estimate', { sql: 'SELECT 1' }),
      headers: undefined,
      multiValueHeaders: { 'CONTENT-TYPE': ['Application/JSON; charset=UTF-8'] },
    });

    expect(result.statusCode).toBe(200);
  });

  it('answers an unknown route with 404 listing the routes', async () => {
    const result = await handler()(event('GET', '/plan'));

    expect(result.statusCode).toBe(404);
    const { error } = json(result.body);
    expect(error.code).toBe('not_found');
    expect(error.routes).toEqual([
      'POST /plans',
      'GET /plans/{id}',
      'POST /estimate',
      'GET /catalog',
      'GET /costs',
      'GET /openapi.json',
      'GET /coverage',
      'GET /runs',
      'GET /costs/daily',
      'GET /tables',
      'GET /tables/{name}',
    ]);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const result = await handler()(event('DELETE', '/plans/p1'));

    expect(result.statusCode).toBe(405);
    expect(result.headers.Allow).toBe('GET');
    expect(json(result.body).error.code).toBe('method_not_allowed');
  });
});

describe('the console routes', () => {
  function fakeInsights(): jest.Mocked<Insights> {
    return {
      coverage: jest.fn(async () => ({ at: 'now', days: [], tables: [], failed: 0, late: 0 })),
      runs: jest.fn(async () => ({ runs: [], damaged: 0 })),
      dailyCosts: jest.fn(async () => ({
        from: '2025-02-01',
        to: '2025-02-02',
        rows: [],
        totals: { queries: 0, bytesScanned: 0, costUsd: 0, cacheHits: 0 },
      })),
      tables: jest.fn(async () => []),
      table: jest.fn(async (name: string) => {
        throw new UnknownTableError(name, ['events']);
      }),
    };
  }

  it('answer 501 not_implemented without insights, logged as a warning', async () => {
    logger.warn = jest.fn();
    const result = await handler()(event('GET', '/coverage'));

    expect(result.statusCode).toBe(501);
    expect(json(result.body).error.code).toBe('not_implemented');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('GET /coverage passes ?days to the insights', async () => {
    const insights = fakeInsights();
    const result = await createApiHandler(service, { logger, insights })(
      event('GET', '/coverage', { queryStringParameters: { days: '730' } }),
    );

    expect(result.statusCode).toBe(200);
    expect(insights.coverage).toHaveBeenCalledWith({ days: 730 });
  });

  it('GET /costs/daily refuses a window over two years with 400', async () => {
    const insights = fakeInsights();
    const result = await createApiHandler(service, { logger, insights })(
      event('GET', '/costs/daily', { queryStringParameters: { days: '5000' } }),
    );

    expect(result.statusCode).toBe(400);
    expect(json(result.body).error.message).toMatch(/days must be a whole number from 1 to 731/);
  });

  it('GET /tables/{name} answers 404 naming the known tables', async () => {
    const result = await createApiHandler(service, { logger, insights: fakeInsights() })(
      event('GET', '/tables/evnts'),
    );

    expect(result.statusCode).toBe(404);
    expect(json(result.body).error.message).toMatch(
      /'evnts' is not in the catalog; known tables: events/,
    );
  });
});

describe('every response', () => {
  it('is JSON with the request id of API Gateway', async () => {
    const result = await handler()(event('GET', '/nowhere'));

    expect(result.headers['Content-Type']).toMatch(/^application\/json/);
    expect(result.headers['x-request-id']).toBe('req-1');
  });

  it('gets a new request id when the event has none', async () => {
    const result = await createApiHandler(service, { newRequestId: () => 'made-up' })({
      httpMethod: 'GET',
      path: '/catalog',
    });

    expect(result.headers['x-request-id']).toBe('made-up');
  });
});

describe('firstJsonErrorPosition', () => {
  it.each([
    ['an unterminated string', '{"sql": "SELECT', 15],
    ['a trailing comma', '[1, 2,]', 6],
    ['text after the document', '{} {}', 3],
    ['a bad escape', '"\\x"', 2],
    ['a leading zero', '01', 1],
    ['a bare word', '{"a": yes}', 6],
  ])('finds %s', (_name, text, position) => {
    expect(firstJsonErrorPosition(text)).toBe(position);
  });

  it('accepts what JSON.parse accepts', () => {
    const text = '{"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n"], "b": {}}';

    expect(firstJsonErrorPosition(text)).toBe(text.length);
  });
});

describe("the local server's guard against web pages (foreignRequest)", () => {
  const names = localHostNames('127.0.0.1');

  it.each([
    ['curl (Host only)', { host: '127.0.0.1:3000' }],
    ['localhost and [::1] by name', { host: 'LOCALHOST:3000' }],
    ['its own origin', { host: '[::1]:3000', origin: 'http://127.0.0.1:3000' }],
    ['a same-origin fetch', { host: 'localhost:3000', 'sec-fetch-site': 'same-origin' }],
    ['a typed URL', { host: 'localhost:3000', 'sec-fetch-site': 'none' }],
  ])('lets %s through', (_name, headers) => {
    expect(foreignRequest(headers, names, 3000)).toBeUndefined();
  });

  it.each([
    ['another origin', { host: '127.0.0.1:3000', origin: 'https://evil.example' }, 'cross_origin'],
    ['the null origin', { host: '127.0.0.1:3000', origin: 'null' }, 'cross_origin'],
    ['another port', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:8080' }, 'cross_origin'],
    [
      'https on the port',
      { host: '127.0.0.1:3000', origin: 'https://127.0.0.1:3000' },
      'cross_origin',
    ],
    [
      'a cross-site fetch',
      { host: '127.0.0.1:3000', 'sec-fetch-site': 'cross-site' },
      'cross_origin',
    ],
    [
      'a same-site fetch',
      { host: '127.0.0.1:3000', 'sec-fetch-site': 'same-site' },
      'cross_origin',
    ],
    ['a rebound name', { host: 'evil.example:3000' }, 'foreign_host'],
    ['another port in Host', { host: '127.0.0.1:80' }, 'foreign_host'],
    ['no port in Host (port 80)', { host: 'localhost' }, 'foreign_host'],
  ])('refuses %s with 403', (_name, headers, code) => {
    const refused = foreignRequest(headers, names, 3000);

    expect(refused?.code).toBe(code);
    expect(refused?.status).toBe(403);
    expect(refused?.message).toContain('curl http://127.0.0.1:3000/catalog');
  });
});

describe('matchRoute', () => {
  it('decodes path parameters', () => {
    expect(matchRoute('/plans/a%20b')).toEqual({
      resource: '/plans/{id}',
      pathParameters: { id: 'a b' },
      methods: ['GET'],
    });
  });

  it('matches nothing for an unknown path', () => {
    expect(matchRoute('/plans/a/b')).toBeUndefined();
  });
});
