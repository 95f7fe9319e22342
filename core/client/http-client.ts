/**
 * A typed HTTP client of the query API (`GET /openapi.json` describes it): the deployed API behind
 * API Gateway with SigV4-signed requests ({@link RequestSigner}, `sigV4Signer` in
 * `#adapters/aws/sigv4-signer`), or the local server (`thermocline serve`) unsigned. Every answer
 * is checked against the response schemas of `#core/api/schemas`, so a client and a server that
 * disagree on the contract fail with a message instead of returning half a result.
 */
import type { z } from 'zod';
import {
  CatalogSummarySchema,
  CostReportSchema,
  EstimateResponseSchema,
  PlanAcceptedSchema,
  PlanStatusSchema,
} from '#core/api/schemas';
import { ThermoclineError } from '#core/errors';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
} from '#core/query/service-contract';

/** A request as the signer sees it: absolute URL, method, headers (lowercase names), body. */
export interface HttpRequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Adds authentication headers to a request (SigV4 for API Gateway's AWS_IAM). */
export interface RequestSigner {
  /** The headers to send: the request's own plus the signature's. */
  sign(request: HttpRequestToSign): Promise<Record<string, string>>;
}

/** Options of a {@link ThermoclineHttpClient}. */
export interface ThermoclineHttpClientOptions {
  /**
   * The API's base URL: the stack output `ApiUrl` (`https://<id>.execute-api.<region>.amazonaws.com/v1/`)
   * or the local server (`http://127.0.0.1:3000`).
   */
  readonly baseUrl: string;
  /** @default unsigned requests (the local server) */
  readonly signer?: RequestSigner;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * How long one request may take before it is abandoned.
   * @default 60000 - milliseconds
   */
  readonly timeoutMs?: number;
}

/** `POST /plans` answered before the plan ended: poll {@link ThermoclineHttpClient.getPlan}. */
export type PlanAccepted = z.output<typeof PlanAcceptedSchema>;

/** An `{sql}` or `{plan}` estimate request. */
export type EstimateRequest =
  { readonly sql: string; readonly max_scan_gb?: number } | { readonly plan: unknown };

/**
 * The API answered with an error (`{error: {code, message, …}}`), or could not be reached
 * (`api_unreachable`, status 0). `exitCode` follows the CLI's: 2 for a 4xx (bad input), 3 when
 * unreachable or 503, else 1.
 */
export class ApiHttpError extends ThermoclineError {
  constructor(
    message: string,
    code: string,
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    /** The error body's other fields (`path`, `estimate`, …). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(
      message,
      code,
      status >= 400 && status < 500 ? 2 : status === 0 || status === 503 ? 3 : 1,
    );
  }
}

/**
 * The query API over HTTP.
 * @example
 * import { sigV4Signer, ThermoclineHttpClient } from 'thermocline';
 * const client = new ThermoclineHttpClient({
 *   baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/',
 *   signer: sigV4Signer({ region: 'eu-west-1' }),
 * });
 * const plan = await client.runPlan({ steps: [{ id: 's1', type: 'AuroraQuery', sql: 'SELECT 1 AS one' }] });
 */
export class ThermoclineHttpClient {
  private readonly base: URL;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: ThermoclineHttpClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new ApiHttpError(
        `'${options.baseUrl}' is not a URL; give the API's base URL, e.g. the stack output ApiUrl ` +
          `(https://<id>.execute-api.<region>.amazonaws.com/v1/) or http://127.0.0.1:3000`,
        'bad_api_url',
        400,
      );
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new ApiHttpError(
        `'${options.baseUrl}' is not an http(s) URL; give e.g. https://<id>.execute-api.<region>.amazonaws.com/v1/`,
        'bad_api_url',
        400,
      );
    }
    // Resolve routes under the base path (the stage): the path must end with '/'.
    if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
    base.search = '';
    base.hash = '';
    this.base = base;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /**
   * `POST /plans`: the plan's status when it ended within `waitSeconds` (the server's default
   * when absent), else `{id, status: 'running', location}`.
   */
  async submitPlan(
    plan: unknown,
    options: { readonly waitSeconds?: number } = {},
  ): Promise<PlanStatus | PlanAccepted> {
    const query: Record<string, string> =
      options.waitSeconds === undefined ? {} : { wait_seconds: String(options.waitSeconds) };
    const { status, body } = await this.request('POST', 'plans', query, plan);
    return status === 202
      ? check(PlanAcceptedSchema, body, 'POST /plans (202)')
      : (check(PlanStatusSchema, body, 'POST /plans') as PlanStatus);
  }

  /** `GET /plans/{id}`: a plan's status, with a page of its result (`page`, `step`). */
  async getPlan(
    id: string,
    options: { readonly page?: string; readonly step?: string } = {},
  ): Promise<PlanStatus> {
    const { body } = await this.request('GET', `plans/${encodeURIComponent(id)}`, {
      ...(options.page ? { page: options.page } : {}),
      ...(options.step ? { step: options.step } : {}),
    });
    return check(PlanStatusSchema, body, 'GET /plans/{id}') as PlanStatus;
  }

  /**
   * Submits a plan and polls until it ended (succeeded or failed), backing off from 100 ms to
   * 2 s between polls; `timeoutMs` bounds the whole wait.
   */
  async runPlan(
    plan: unknown,
    options: { readonly waitSeconds?: number; readonly timeoutMs?: number } = {},
  ): Promise<PlanStatus> {
    const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
    const first = await this.submitPlan(plan, { waitSeconds: options.waitSeconds ?? 20 });
    let status: PlanStatus | PlanAccepted = first;
    let pauseMs = 100;
    while (status.status === 'running') {
      if (Date.now() > deadline) {
        throw new ApiHttpError(
          `plan ${status.id} still runs after ${Math.round((options.timeoutMs ?? 900_000) / 1000)} s; ` +
            `ask for it later with GET /plans/${status.id}`,
          'plan_timeout',
          0,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      pauseMs = Math.min(pauseMs * 2, 2000);
      status = await this.getPlan(status.id);
    }
    return status;
  }

  /** `POST /estimate`: the scan estimate of `{sql}` or `{plan}`, nothing run. */
  async estimate(request: EstimateRequest): Promise<EstimateResponse> {
    const { body } = await this.request('POST', 'estimate', {}, request);
    return check(EstimateResponseSchema, body, 'POST /estimate');
  }

  /** `GET /catalog`: lake tables, hot reference tables, S3 sources. */
  async catalog(): Promise<CatalogSummary> {
    const { body } = await this.request('GET', 'catalog', {});
    return check(CatalogSummarySchema, body, 'GET /catalog');
  }

  /** `GET /costs`: the cost ledger's totals of `month` (YYYY-MM; default the current one). */
  async costs(options: { readonly month?: string } = {}): Promise<CostReport> {
    const { body } = await this.request(
      'GET',
      'costs',
      options.month ? { month: options.month } : {},
    );
    return check(CostReportSchema, body, 'GET /costs');
  }

  /** `GET /openapi.json`: the API's OpenAPI 3.1 document. */
  async openApi(): Promise<Record<string, unknown>> {
    const { body } = await this.request('GET', 'openapi.json', {});
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiHttpError('GET /openapi.json did not answer a JSON object', 'bad_answer', 502);
    }
    return body as Record<string, unknown>;
  }

  /** One request: signed when there is a signer, JSON in and out, errors as {@link ApiHttpError}. */
  private async request(
    method: 'GET' | 'POST',
    path: string,
    query: Readonly<Record<string, string>>,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const unsigned: Record<string, string> = {
      host: url.host,
      accept: 'application/json',
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const headers = this.options.signer
      ? await this.options.signer.sign({
          method,
          url,
          headers: unsigned,
          ...(text === undefined ? {} : { body: text }),
        })
      : unsigned;
    // fetch sets Host itself (and refuses it as a header); the signature covers the same value.
    const { host: _host, ...sent } = headers;
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers: sent,
        ...(text === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause ?? error) : error;
      throw new ApiHttpError(
        `${method} ${url.href} got no answer (${cause instanceof Error ? cause.message : String(cause)}); ` +
          'check the URL (the stack output ApiUrl) and the network',
        'api_unreachable',
        0,
      );
    }
    const raw = await response.text();
    let parsed: unknown;
    try {
      parsed = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw errorOf(method, url, response.status, parsed, raw);
    return { status: response.status, body: parsed };
  }
}

/** An error answer as an {@link ApiHttpError}: the API's own code and message when it sent one. */
function errorOf(
  method: string,
  url: URL,
  status: number,
  body: unknown,
  raw: string,
): ApiHttpError {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (error && typeof error === 'object') {
    const { code, message, ...details } = error as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string') {
      return new ApiHttpError(message, code, status, details);
    }
  }
  // API Gateway's own answers without the gateway responses (e.g. a missing signature).
  const message = (body as { message?: unknown } | undefined)?.message;
  const hint =
    status === 403
      ? '; the deployed API needs SigV4-signed requests by a principal allowed to call it'
      : '';
  return new ApiHttpError(
    `${method} ${url.pathname} answered ${status}: ${typeof message === 'string' ? message : raw.slice(0, 200)}${hint}`,
    status === 403 ? 'forbidden' : 'http_error',
    status,
  );
}

/** `body` checked against the response schema of `route`; the body itself is returned. */
function check<T extends z.ZodType>(schema: T, body: unknown, route: string): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ApiHttpError(
      `${route} answered a body this client does not understand (${issue?.path.join('.') || 'body'}: ` +
        `${issue?.message}); client and server versions differ?`,
      'bad_answer',
      502,
    );
  }
  return body as z.output<T>;
}
