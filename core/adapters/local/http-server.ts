/**
 * The local query API: a `node:http` server on 127.0.0.1 that turns each request into the API
 * Gateway REST (v1) proxy event the Lambda would get — path parameters, query string, headers,
 * body, and `requestContext.identity.userArn` = `local:<os user>` — calls the same handler, and
 * writes its result back. So `curl http://127.0.0.1:3000/...` exercises the code API Gateway runs.
 *
 * Unlike API Gateway, whose AWS_IAM authorization no web page can satisfy, the local server would
 * answer any page the user's browser opens: so it refuses (403) requests a browser sends for
 * another origin (`Origin` not this server's, `Sec-Fetch-Site: cross-site` or `same-site`) and
 * requests for another host name (`Host` not 127.0.0.1, localhost or [::1] with this port: DNS
 * rebinding). curl and programs send no `Origin` and name the server as they called it, so they
 * pass. The JSON content type every POST needs is checked by the shared handler, on both runtimes.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { errorResult, matchRoute, type ApiHandler } from '#core/api/handler';
import { BodyTooLargeError, MAX_BODY_BYTES } from '#core/api/json-body';
import type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from '#core/api/types';
import { ThermoclineError } from '#core/errors';

/** The port `thermocline serve` and `npm start` listen on unless told otherwise. */
export const DEFAULT_API_PORT = 3000;

/** The port is taken by another process. Code `port_in_use`, exit code 2. */
export class PortInUseError extends ThermoclineError {
  constructor(host: string, port: number) {
    super(
      `port ${port} on ${host} is in use (another 'thermocline serve' or 'npm start'?); stop ` +
        `what uses it, or choose another port with --port, e.g. --port ${port + 1}`,
      'port_in_use',
      2,
    );
  }
}

/**
 * A request the local server refuses because a browser sent it from a web page of another origin
 * (code `cross_origin`), or for a host name that is not this server's (code `foreign_host`, DNS
 * rebinding). HTTP 403, exit code 2.
 * @example
 * throw new ForeignRequestError("… Origin 'https://example.com' …", 'cross_origin');
 */
export class ForeignRequestError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 403;
  constructor(message: string, code: 'cross_origin' | 'foreign_host') {
    super(message, code, 2);
  }
}

/**
 * The names a request may call this server by in `Host` and `Origin`: the loopback names, plus the
 * host it listens on when that is another (and not a wildcard address).
 * @example
 * localHostNames('127.0.0.1'); // ['127.0.0.1', 'localhost', '[::1]']
 */
export function localHostNames(host: string): string[] {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const own = (host.includes(':') ? `[${host}]` : host).toLowerCase();
  if (!['0.0.0.0', '[::]'].includes(own) && !names.includes(own)) names.push(own);
  return names;
}

/**
 * Why the local server refuses a request, or undefined when it may answer it: a `Host` that names
 * another server than `names` on `port` (DNS rebinding), a `Sec-Fetch-Site` of `cross-site` or
 * `same-site`, or an `Origin` that is not `http://<name>:<port>` — the headers browsers send.
 * Requests without these headers (curl, the CLI, programs) pass.
 * @example
 * foreignRequest({ host: '127.0.0.1:3000', origin: 'https://example.com' }, ['127.0.0.1'], 3000)?.code; // 'cross_origin'
 */
export function foreignRequest(
  headers: IncomingHttpHeaders,
  names: readonly string[],
  port: number,
): ForeignRequestError | undefined {
  const base = `http://127.0.0.1:${port}`;
  const own = names.map((name) => `${name}:${port}`).join(', ');
  const host = headers.host;
  if (host !== undefined && !isOwnAuthority(host, names, port)) {
    return new ForeignRequestError(
      `the Host header '${host}' does not name this server: the local API answers only ${own} ` +
        `(a guard against DNS rebinding, where a web page reaches it under a name of its own); ` +
        `call it as ${base}, e.g. curl ${base}/catalog`,
      'foreign_host',
    );
  }
  const site = headers['sec-fetch-site'];
  const origin = headers.origin;
  const foreignSite = site === 'cross-site' || site === 'same-site';
  if (foreignSite || (origin !== undefined && !isOwnOrigin(origin, names, port))) {
    const from = [
      origin === undefined ? undefined : `Origin '${origin}'`,
      site === undefined ? undefined : `Sec-Fetch-Site '${site}'`,
    ]
      .filter((part) => part !== undefined)
      .join(', ');
    return new ForeignRequestError(
      `the local API does not answer web pages of other origins (this request came with ` +
        `${from}), so no page the browser opens can run plans on this machine; call it from a ` +
        `shell or a program instead, e.g. curl ${base}/catalog, or use the thermocline CLI`,
      'cross_origin',
    );
  }
  return undefined;
}

/** `name[:port]` is one of `names` with `port` (80 when the header names none). */
function isOwnAuthority(authority: string, names: readonly string[], port: number): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority.trim().toLowerCase());
  if (!match) return false;
  const [, name = '', given] = match;
  return names.includes(name) && Number(given ?? 80) === port;
}

/** `http://name[:port]` with one of `names` and `port` (a serialized origin has no path). */
function isOwnOrigin(origin: string, names: readonly string[], port: number): boolean {
  const match = /^http:\/\/([^/]+)$/i.exec(origin.trim());
  return match?.[1] !== undefined && isOwnAuthority(match[1], names, port);
}

/** One answered request, for an access log. */
export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly requestId: string;
}

/** Options of {@link startLocalApiServer}. */
export interface LocalApiServerOptions {
  /** The API handler (the one the Lambda exports wraps). */
  readonly handler: ApiHandler;
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' - never reachable from other machines */
  readonly host?: string;
  /** The caller id is `local:<user>`. @default the operating system user */
  readonly user?: string;
  /**
   * Pages served besides the API (the console): asked first for every GET; undefined passes the
   * request on to the API handler. @default none
   */
  readonly pages?: (path: string) => Promise<StaticPage | undefined>;
  /** Called after every response. @default nothing */
  readonly onRequest?: (entry: AccessLogEntry) => void;
}

/** A static answer of {@link LocalApiServerOptions.pages}. */
export interface StaticPage {
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

/** A running local API server. */
export interface LocalApiServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting requests, ends idle keep-alive connections and resolves when closed; with
   * `graceMs`, connections still open after that long are ended too (a server stopping).
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/**
 * Starts the local API server and resolves once it listens.
 * @throws PortInUseError when the port is taken.
 * @example
 * const server = await startLocalApiServer({ handler: createApiHandler(service), port: 3000 });
 * server.url; // 'http://127.0.0.1:3000'
 * await server.close();
 */
export async function startLocalApiServer(options: LocalApiServerOptions): Promise<LocalApiServer> {
  const host = options.host ?? '127.0.0.1';
  const user = options.user ?? localUser();
  const names = localHostNames(host);
  const server = createServer((request, response) => {
    void answer(request, response, options, { user, names });
  });
  const wanted = options.port ?? DEFAULT_API_PORT;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, wanted) : error);
    };
    server.once('error', onError);
    server.listen(wanted, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : wanted;
  return {
    url: `http://${host}:${port}`,
    port,
    close: (closeOptions = {}) =>
      new Promise<void>((resolve, reject) => {
        const grace =
          closeOptions.graceMs === undefined
            ? undefined
            : setTimeout(() => server.closeAllConnections(), closeOptions.graceMs);
        server.close((error) => {
          clearTimeout(grace);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * Refuses a foreign request (403, its body left unread), else reads the request, calls the
 * handler and writes the result; answers 500 if anything breaks.
 */
async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  options: LocalApiServerOptions,
  context: { readonly user: string; readonly names: readonly string[] },
): Promise<void> {
  const started = performance.now();
  const requestId = randomUUID();
  let result: ApiGatewayProxyResult;
  let page: StaticPage | undefined;
  try {
    const refused = foreignRequest(request.headers, context.names, request.socket.localPort ?? 0);
    if (refused) {
      request.resume();
      result = errorResult(refused, requestId);
    } else if (
      options.pages &&
      request.method === 'GET' &&
      (page = await options.pages(new URL(request.url ?? '/', 'http://127.0.0.1').pathname))
    ) {
      request.resume();
      result = {
        statusCode: 200,
        headers: {
          'Content-Type': page.contentType,
          'Cache-Control': 'no-cache',
          'x-request-id': requestId,
          'X-Content-Type-Options': 'nosniff',
          'Content-Security-Policy':
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        },
        body: Buffer.from(page.body).toString('base64'),
        isBase64Encoded: true,
      };
    } else {
      const body = await readBody(request);
      result =
        typeof body === 'number'
          ? errorResult(new BodyTooLargeError(body), requestId)
          : await options.handler(proxyEvent(request, body, { user: context.user, requestId }));
    }
  } catch {
    // The handler never throws; a broken connection can.
    result = {
      statusCode: 500,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'x-request-id': requestId },
      body: JSON.stringify({
        error: { code: 'internal', message: `internal error; request id ${requestId}` },
      }),
    };
  }
  if (!response.destroyed) {
    response.writeHead(result.statusCode, result.headers);
    response.end(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
  }
  options.onRequest?.({
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    status: result.statusCode,
    ms: Math.round(performance.now() - started),
    requestId,
  });
}

/**
 * The body as UTF-8 text (null when empty), or its size in bytes when it is over
 * {@link MAX_BODY_BYTES}: then the rest is read and dropped, so the client gets the 413.
 */
async function readBody(request: IncomingMessage): Promise<string | null | number> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    if (bytes <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (bytes > MAX_BODY_BYTES) return bytes;
  return bytes === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

/**
 * The API Gateway REST (v1) proxy event for a request, as API Gateway builds it: the resource
 * template and path parameters of the matched route, single- and multi-value headers and query
 * parameters (the last value wins in the single-value maps), the body as text.
 * @example
 * proxyEvent(request, '{"sql":"SELECT 1"}', { user: 'ana', requestId: 'r1' }).requestContext.identity.userArn; // 'local:ana'
 */
export function proxyEvent(
  request: Pick<IncomingMessage, 'method' | 'url' | 'headersDistinct'> & {
    readonly socket?: { readonly remoteAddress?: string };
  },
  body: string | null,
  context: { readonly user: string; readonly requestId: string },
): ApiGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  const method = (request.method ?? 'GET').toUpperCase();
  const match = matchRoute(path);
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (!values || values.length === 0) continue;
    headers[name] = values.at(-1) ?? '';
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiValueQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    httpMethod: method,
    path,
    resource: match?.resource ?? path,
    pathParameters:
      match && Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    headers,
    multiValueHeaders,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: context.requestId,
      resourcePath: match?.resource ?? path,
      httpMethod: method,
      path,
      stage: 'local',
      requestTimeEpoch: Date.now(),
      identity: {
        userArn: `local:${context.user}`,
        sourceIp: request.socket?.remoteAddress ?? '127.0.0.1',
      },
    },
  };
}

/**
 * The operating system user (callers are `local:<user>` locally), or `unknown` where the platform
 * has none.
 * @example
 * localUser(); // 'ana'
 */
export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
