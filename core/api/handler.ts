/**
 * The query API: one pure function from an API Gateway REST (v1) proxy event to a proxy result,
 * over a {@link QueryService}. The Lambda behind API Gateway and the local HTTP server call the
 * same function, so both answer the same routes, statuses and error bodies.
 *
 * Routes: `POST /plans`, `GET /plans/{id}`, `POST /estimate`, `GET /catalog`, `GET /costs`,
 * `GET /openapi.json`, the API's OpenAPI 3.1 document (`#core/api/openapi`), and the console's
 * `GET /coverage`, `/runs`, `/costs/daily`, `/tables`, `/tables/{name}` (answered from
 * {@link ApiHandlerOptions.insights}; 501 `not_implemented` without it).
 * A POST must say its body is JSON (`Content-Type: application/json`, else 415): checked here so
 * both runtimes agree — API Gateway validates a body against its model only when the content type
 * has one, and passes any other to the Lambda. This also keeps browsers' "simple" cross-origin
 * requests (`text/plain`, form posts, which need no CORS preflight) from running plans; the local
 * server refuses other origins and foreign `Host` names itself (API Gateway's AWS_IAM already does).
 * Every answer is JSON with an `x-request-id` header; every error is
 * `{"error": {"code", "message", …}}` with a message that says what to change; a 5xx never
 * carries a stack trace (it is logged with the request id instead); a 429 carries `Retry-After`.
 */
import { BodyTooLargeError, MAX_BODY_BYTES, parseJsonBody } from '#core/api/json-body';
import { openApiDocument } from '#core/api/openapi';
import type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from '#core/api/types';
import { ThermoclineError } from '#core/errors';
import type { Caller, PlanStatus, QueryService } from '#core/query/service-contract';
import type { Insights } from '#ports/insights';

/** One route of the API. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** The API Gateway resource template, e.g. `/plans/{id}`. */
  readonly resource: string;
  readonly description: string;
}

/** The API's routes, in the order the 404 answer lists them. */
export const API_ROUTES: readonly ApiRoute[] = Object.freeze([
  {
    method: 'POST',
    resource: '/plans',
    description: 'validate, estimate and run a plan (?wait_seconds=N)',
  },
  {
    method: 'GET',
    resource: '/plans/{id}',
    description: "a plan's status, step stats and results (?page=…&step=…)",
  },
  { method: 'POST', resource: '/estimate', description: 'scan estimate of {"sql"} or {"plan"}' },
  { method: 'GET', resource: '/catalog', description: 'tables, partitions, sync and S3 sources' },
  { method: 'GET', resource: '/costs', description: 'cost ledger totals (?month=YYYY-MM)' },
  { method: 'GET', resource: '/openapi.json', description: "the API's OpenAPI 3.1 document" },
  {
    method: 'GET',
    resource: '/coverage',
    description: 'tables × days: exported, hot only, purged, failed, late; lag per table (?days=N)',
  },
  { method: 'GET', resource: '/runs', description: 'ETL, sync and retention runs (?limit=N)' },
  {
    method: 'GET',
    resource: '/costs/daily',
    description: 'the cost ledger by day and caller, cache hits (?days=N)',
  },
  { method: 'GET', resource: '/tables', description: 'the catalog: tables, partitions, sizes' },
  {
    method: 'GET',
    resource: '/tables/{name}',
    description: 'a table: columns with Postgres and lake types, partitions with sizes',
  },
] satisfies ApiRoute[]);

/** The routes answered from {@link ApiHandlerOptions.insights}. */
const INSIGHT_ROUTES: ReadonlySet<string> = new Set([
  'GET /coverage',
  'GET /runs',
  'GET /costs/daily',
  'GET /tables',
  'GET /tables/{name}',
]);

/** A route this deployment does not implement (the console's routes on AWS, for now): 501. */
export class NotImplementedError extends ThermoclineError {
  readonly status = 501;
  constructor(message: string) {
    super(message, 'not_implemented', 1);
  }
}

/** A path matched to a resource template. */
export interface RouteMatch {
  /** The resource template, e.g. `/plans/{id}`. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The methods the resource answers (for 405 and `Allow`). */
  readonly methods: readonly string[];
}

/**
 * Matches a request path (without the stage) to one of {@link API_ROUTES}; a trailing `/` is
 * ignored, path parameters are URL-decoded. Undefined when no resource matches.
 * @example
 * matchRoute('/plans/01JX'); // { resource: '/plans/{id}', pathParameters: { id: '01JX' }, methods: ['GET'] }
 */
export function matchRoute(path: string): RouteMatch | undefined {
  const segments = path.replace(/\/+$/, '').split('/').slice(1);
  for (const resource of new Set(API_ROUTES.map((r) => r.resource))) {
    const template = resource.split('/').slice(1);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = template.every((part, i) => {
      const segment = segments[i] ?? '';
      const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
      if (!parameter) return part === segment;
      const decoded = safeDecode(segment);
      if (decoded === undefined || decoded === '') return false;
      pathParameters[parameter] = decoded;
      return true;
    });
    if (matches) {
      const methods = API_ROUTES.filter((r) => r.resource === resource).map((r) => r.method);
      return { resource, pathParameters, methods };
    }
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Where the handler logs what a response must not show (stack traces of 5xx answers). */
export interface ApiLogger {
  error(message: string, attributes: Record<string, unknown>): void;
  /** Answers that are expected in some deployments (a 501). @default `error` */
  warn?(message: string, attributes: Record<string, unknown>): void;
}

/** Options of {@link createApiHandler}. */
export interface ApiHandlerOptions {
  /**
   * How long `POST /plans` waits for a plan before answering 202; a request may ask for less or
   * more with `?wait_seconds=N`, up to {@link ApiHandlerOptions.maxWaitSeconds}.
   * @default the service's own default (config `query.wait_seconds`)
   */
  readonly waitMs?: number;
  /**
   * The most a request may ask to wait: API Gateway ends a proxy integration after 29 s.
   * @default 25
   */
  readonly maxWaitSeconds?: number;
  /** @default errors as one JSON line on stderr */
  readonly logger?: ApiLogger;
  /**
   * The console's data (`GET /coverage`, `/runs`, `/costs/daily`, `/tables`, `/tables/{name}`).
   * @default none - those routes answer 501 `not_implemented`
   */
  readonly insights?: Insights;
  /** Request ids when the event has none (`requestContext.requestId`). @default crypto.randomUUID */
  readonly newRequestId?: () => string;
}

/** The handler: an API Gateway proxy event in, a proxy result out; it never throws. */
export type ApiHandler = (event: ApiGatewayProxyEvent) => Promise<ApiGatewayProxyResult>;

/**
 * A request the API refuses before the service sees it. Codes: `bad_request` (400),
 * `not_found` (404), `method_not_allowed` (405), `unsupported_media_type` (415).
 */
export class ApiRequestError extends ThermoclineError {
  constructor(
    message: string,
    code: 'bad_request' | 'not_found' | 'method_not_allowed' | 'unsupported_media_type',
    /** HTTP status of the API answer. */
    readonly status: number,
    /** Extra fields of the error body, e.g. `routes`. */
    readonly details: Readonly<Record<string, unknown>> = {},
    /** Extra response headers, e.g. `Allow`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message, code, 2);
  }
}

/** The caller of a request: the IAM principal API Gateway authenticated, else `anonymous`. */
export function callerOf(event: ApiGatewayProxyEvent): Caller {
  const arn = event.requestContext?.identity?.userArn;
  return { id: typeof arn === 'string' && arn !== '' ? arn : 'anonymous' };
}

/**
 * The HTTP status of an error: its own `status` when it has one (the query errors do), else 400
 * for bad input (exit code 2), 503 for an unreachable dependency (exit code 3), else 500.
 * @example
 * statusOf(new UsageError('…')); // 400
 */
export function statusOf(error: unknown): number {
  if (!(error instanceof ThermoclineError)) return 500;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 600) {
    return status;
  }
  return error.exitCode === 2 ? 400 : error.exitCode === 3 ? 503 : 500;
}

/**
 * The JSON error body of a {@link ThermoclineError}: `{error: {code, message}}` plus what the
 * error carries for the caller — `path` (where in the plan), `estimate` and `limitBytes` (a
 * refused scan), `position` (bad JSON), `limit` and `length` (a body or SQL over a bound),
 * `retryAfterSeconds` (a 429), and an
 * {@link ApiRequestError}'s details. The estimate's
 * partition list (`scans`: lake locations) stays out.
 * @example
 * errorBody(new PlanValidationError('…', 'steps[1].bind')); // { error: { code: 'plan_invalid', message: …, path: 'steps[1].bind' } }
 */
export function errorBody(error: ThermoclineError): { error: Record<string, unknown> } {
  const fields = error as unknown as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  if (typeof fields.path === 'string' && fields.path !== '') extra.path = fields.path;
  if (typeof fields.position === 'number') extra.position = fields.position;
  if (fields.estimate && typeof fields.estimate === 'object') {
    const { scans: _scans, ...estimate } = fields.estimate as Record<string, unknown>;
    extra.estimate = estimate;
  }
  if (typeof fields.limitBytes === 'number') extra.limitBytes = fields.limitBytes;
  if (typeof fields.limit === 'number') extra.limit = fields.limit;
  if (typeof fields.length === 'number') extra.length = fields.length;
  if (typeof fields.retryAfterSeconds === 'number') {
    extra.retryAfterSeconds = fields.retryAfterSeconds;
  }
  if (error instanceof ApiRequestError) Object.assign(extra, error.details);
  return { error: { code: error.code, message: error.message, ...extra } };
}

/**
 * The API handler over `service`: routes the event, maps the service's answers and errors to
 * statuses and JSON bodies. It never throws and never answers with a stack trace.
 * @example
 * const handler = createApiHandler(service, { waitMs: 5000 });
 * const result = await handler({ httpMethod: 'GET', path: '/catalog' });
 * result.statusCode; // 200
 */
export function createApiHandler(
  service: QueryService,
  options: ApiHandlerOptions = {},
): ApiHandler {
  const logger = options.logger ?? stderrLogger;
  const newRequestId = options.newRequestId ?? (() => globalThis.crypto.randomUUID());
  const waits = { waitMs: options.waitMs, maxWaitSeconds: options.maxWaitSeconds ?? 25 };

  const route = async (event: ApiGatewayProxyEvent): Promise<Answer> => {
    const { method, match } = resolveRoute(event);
    const key = `${method} ${match.resource}`;
    if (BODY_METHODS.has(method)) requireJson(event, key);
    const request: RouteRequest = { event, match, query: event.queryStringParameters ?? {} };
    if (!INSIGHT_ROUTES.has(key)) return answerQuery(key, request, service, waits);
    if (!options.insights) {
      throw new NotImplementedError(
        `${key} is not implemented by this deployment (it needs the run history and the ` +
          `console's data, which the local API has); run thermocline serve or npm start locally`,
      );
    }
    return answerInsight(key, request, options.insights);
  };

  return async (event) => {
    const requestId = event.requestContext?.requestId || newRequestId();
    let answer: Answer;
    try {
      answer = await route(event);
    } catch (error) {
      answer = errorAnswer(error, requestId, event, logger);
    }
    try {
      return proxyResult(answer, requestId);
    } catch (error) {
      // A body JSON cannot write (e.g. a BigInt that slipped through): still an answer.
      return proxyResult(errorAnswer(error, requestId, event, logger), requestId);
    }
  };
}

/** A routed request: the event, the resource it matched and its query parameters. */
interface RouteRequest {
  readonly event: ApiGatewayProxyEvent;
  readonly match: RouteMatch;
  readonly query: Readonly<Record<string, string | undefined>>;
}

/** How long `POST /plans` waits: the handler's default and the most a request may ask for. */
interface PlanWaits {
  readonly waitMs: number | undefined;
  readonly maxWaitSeconds: number;
}

/** The event's method and resource; 404 when no resource matches, 405 when it has no such method. */
function resolveRoute(event: ApiGatewayProxyEvent): { method: string; match: RouteMatch } {
  const method = event.httpMethod.toUpperCase();
  const match = matchRoute(event.path);
  if (!match) {
    throw new ApiRequestError(
      `no route ${method} ${event.path}; the API answers ${API_ROUTES.map((r) => `${r.method} ${r.resource}`).join(', ')}`,
      'not_found',
      404,
      { routes: API_ROUTES.map((r) => `${r.method} ${r.resource}`) },
    );
  }
  if (!match.methods.includes(method)) {
    const allow = match.methods.join(', ');
    throw new ApiRequestError(
      `${match.resource} answers ${allow}, not ${method}`,
      'method_not_allowed',
      405,
      { allow: match.methods },
      { Allow: allow },
    );
  }
  return { method, match };
}

/** The answer of a route the query service serves (`key` is `METHOD /resource`). */
async function answerQuery(
  key: string,
  { event, match, query }: RouteRequest,
  service: QueryService,
  waits: PlanWaits,
): Promise<Answer> {
  switch (key) {
    case 'POST /plans': {
      const plan = readBody(
        event,
        '{"steps": [{"id": "s1", "type": "AthenaQuery", "sql": "SELECT …"}]}',
      );
      const waitMs = waitOf(query.wait_seconds, waits.maxWaitSeconds) ?? waits.waitMs;
      const status = await service.submitPlan(
        plan,
        callerOf(event),
        waitMs === undefined ? {} : { waitMs },
      );
      return planAnswer(status, stagePrefix(event));
    }
    case 'GET /plans/{id}': {
      const id = match.pathParameters.id ?? '';
      const page = query.page;
      const step = query.step;
      return {
        status: 200,
        body: await service.getPlan(id, {
          ...(page ? { page } : {}),
          ...(step ? { step } : {}),
        }),
      };
    }
    case 'POST /estimate':
      return {
        status: 200,
        body: await service.estimate(readBody(event, '{"sql": "SELECT …"}')),
      };
    case 'GET /catalog':
      return { status: 200, body: await service.catalog() };
    case 'GET /costs':
      return { status: 200, body: await service.costs(monthOf(query.month)) };
    case 'GET /openapi.json':
      return { status: 200, body: openApiDocument(stagePrefix(event) || '/') };
    default:
      // Unreachable: every route of API_ROUTES has a case here or in answerInsight.
      throw new Error(`route ${key} has no implementation`);
  }
}

/** `?month=YYYY-MM` as the cost report's options; 400 when malformed. */
function monthOf(month: string | undefined): { month?: string } {
  if (month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    throw new ApiRequestError(
      `month must be YYYY-MM, e.g. 2025-02; got '${month}'`,
      'bad_request',
      400,
      { path: 'month' },
    );
  }
  return month ? { month } : {};
}

/** The answer of a console route, from the deployment's insights (`key` is `METHOD /resource`). */
async function answerInsight(
  key: string,
  { match, query }: RouteRequest,
  insights: Insights,
): Promise<Answer> {
  switch (key) {
    case 'GET /coverage':
      return {
        status: 200,
        body: await insights.coverage({ days: countOf(query.days, 'days', 120, 731) }),
      };
    case 'GET /runs':
      return {
        status: 200,
        body: await insights.runs({ limit: countOf(query.limit, 'limit', 100, 10_000) }),
      };
    case 'GET /costs/daily':
      return {
        status: 200,
        body: await insights.dailyCosts({ days: countOf(query.days, 'days', 30, 731) }),
      };
    case 'GET /tables':
      return { status: 200, body: { tables: await insights.tables() } };
    case 'GET /tables/{name}':
      return { status: 200, body: await insights.table(match.pathParameters.name ?? '') };
    default:
      // Unreachable: every route of INSIGHT_ROUTES has a case.
      throw new Error(`route ${key} has no implementation`);
  }
}

/**
 * The proxy result of a domain error, as the handler answers it: for a front end (the local HTTP
 * server) that refuses a request before it becomes an event, e.g. a body over 1 MiB.
 * @example
 * errorResult(new BodyTooLargeError(2_000_000), 'req-1').statusCode; // 413
 */
export function errorResult(error: ThermoclineError, requestId: string): ApiGatewayProxyResult {
  return proxyResult({ status: statusOf(error), body: errorBody(error) }, requestId);
}

/** An answer as a proxy result: JSON, not cached, with the request id. */
function proxyResult(answer: Answer, requestId: string): ApiGatewayProxyResult {
  return {
    statusCode: answer.status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'x-request-id': requestId,
      ...answer.headers,
    },
    body: `${JSON.stringify(answer.body, null, 2)}\n`,
    isBase64Encoded: false,
  };
}

/** A status, a JSON body and extra headers, before they become a proxy result. */
interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** 200 with the status when the plan ended, else 202 with where to ask. */
function planAnswer(status: PlanStatus, prefix: string): Answer {
  if (status.status !== 'running') return { status: 200, body: status };
  const location = `${prefix}/plans/${encodeURIComponent(status.id)}`;
  return {
    status: 202,
    body: { id: status.id, status: 'running', location },
    headers: { Location: location },
  };
}

/**
 * What API Gateway put in front of the resource path (the stage, or a custom domain's base path):
 * `requestContext.path` minus `path`. `''` locally.
 */
function stagePrefix(event: ApiGatewayProxyEvent): string {
  const full = event.requestContext?.path;
  if (typeof full !== 'string' || !full.endsWith(event.path)) return '';
  return full.slice(0, full.length - event.path.length).replace(/\/+$/, '');
}

/** The JSON body of a POST, checked for size; an empty or broken body is a 400 `bad_json`. */
function readBody(event: ApiGatewayProxyEvent, example: string): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new BodyTooLargeError(bytes);
  return parseJsonBody(text, example);
}

/** Methods whose body the API reads: their requests must say it is JSON. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Refuses a body that is not declared `application/json` (parameters such as `charset=utf-8`
 * allowed) with 415 `unsupported_media_type`.
 */
function requireJson(event: ApiGatewayProxyEvent, route: string): void {
  const type = headerOf(event, 'content-type');
  if (type?.split(';')[0]?.trim().toLowerCase() === 'application/json') return;
  throw new ApiRequestError(
    `${route} reads a JSON body and needs the header Content-Type: application/json; ` +
      `${type === undefined ? 'the request has none' : `got '${type}'`}. Send it with the ` +
      `request, e.g. curl -H 'content-type: application/json' -d @plan.json …`,
    'unsupported_media_type',
    415,
    { accept: 'application/json' },
  );
}

/**
 * A request header's value, its name matched case-insensitively (API Gateway passes header names
 * as the client wrote them); the last one when it was sent several times.
 */
function headerOf(event: ApiGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values && values.length > 0) return values.at(-1);
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** A whole-number query parameter from 1 to `max`, `fallback` when absent. */
function countOf(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new ApiRequestError(
      `${name} must be a whole number from 1 to ${max}; got '${value}'`,
      'bad_request',
      400,
      { path: name },
    );
  }
  return n;
}

/** `?wait_seconds=N` in milliseconds, or undefined when absent. */
function waitOf(value: string | undefined, maxSeconds: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > maxSeconds) {
    throw new ApiRequestError(
      `wait_seconds must be a number from 0 to ${maxSeconds}; got '${value}'`,
      'bad_request',
      400,
      { path: 'wait_seconds' },
    );
  }
  return Math.round(seconds * 1000);
}

/** The answer to an error: the domain error's status and body, or a 500 that hides the details. */
function errorAnswer(
  error: unknown,
  requestId: string,
  event: ApiGatewayProxyEvent,
  logger: ApiLogger,
): Answer {
  const status = statusOf(error);
  const request = { requestId, method: event.httpMethod, path: event.path, status };
  if (error instanceof ThermoclineError) {
    if (status === 501) {
      (logger.warn ?? logger.error)(`${error.name}: ${error.message}`, {
        ...request,
        code: error.code,
      });
    } else if (status >= 500) {
      logger.error(`${error.name}: ${error.message}`, { ...request, code: error.code });
    }
    const headers = {
      ...(error instanceof ApiRequestError ? error.headers : {}),
      ...(status === 429 ? { 'Retry-After': String(retryAfterOf(error)) } : {}),
    };
    return { status, body: errorBody(error), headers };
  }
  logger.error('unexpected error answering a request', {
    ...request,
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return {
    status: 500,
    body: { error: { code: 'internal', message: `internal error; request id ${requestId}` } },
  };
}

/** Seconds a 429 asks the caller to wait: the error's `retryAfterSeconds`, else 1. */
function retryAfterOf(error: ThermoclineError): number {
  const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? Math.ceil(seconds)
    : 1;
}

/** The default logger: one JSON line per error on stderr. */
const stderrLogger: ApiLogger = {
  error: (message, attributes) => {
    process.stderr.write(`${JSON.stringify({ level: 'ERROR', message, ...attributes })}\n`);
  },
  warn: (message, attributes) => {
    process.stderr.write(`${JSON.stringify({ level: 'WARN', message, ...attributes })}\n`);
  },
};
