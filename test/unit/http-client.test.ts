import { createHash, createHmac } from 'node:crypto';
import { regionOfApiUrl, sigV4Signer } from '#adapters/aws/sigv4-signer';
import { ApiHttpError, ThermoclineHttpClient } from '#core/client/http-client';

// Fixed, obviously fake credentials: the signature is checked, never sent anywhere.
const CREDENTIALS = { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-secret-not-a-key' };
const SIGNING_DATE = new Date('2025-02-15T12:00:00Z');
const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/';

function signer(credentials: typeof CREDENTIALS & { sessionToken?: string } = CREDENTIALS) {
  return sigV4Signer({ region: 'eu-west-1', credentials, clock: () => SIGNING_DATE });
}

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data).digest();

/** SigV4 by the book (AWS's "Create a signed AWS API request"), independent of the signer. */
function expectedSignature(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
) {
  const names = Object.keys(headers).sort();
  const query = [...url.searchParams]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const canonical = [
    method,
    url.pathname,
    query,
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    sha256(body),
  ].join('\n');
  const scope = '20250215/eu-west-1/execute-api/aws4_request';
  const toSign = ['AWS4-HMAC-SHA256', '20250215T120000Z', scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, '20250215');
  for (const part of ['eu-west-1', 'execute-api', 'aws4_request']) key = hmac(key, part);
  return { signature: hmac(key, toSign).toString('hex'), signedHeaders: names.join(';') };
}

describe('sigV4Signer', () => {
  test('signs for execute-api in the region with an Authorization header of the SigV4 shape', async () => {
    const headers = await signer().sign({
      method: 'GET',
      url: new URL(`${API}catalog`),
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', accept: 'application/json' },
    });

    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTESTONLY\/20250215\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toBe('20250215T120000Z');
  });

  test('computes the signature SigV4 defines over method, path, query, headers and body', async () => {
    const url = new URL(`${API}plans?wait_seconds=5`);
    const body = '{"steps":[]}';
    const headers = await signer().sign({
      method: 'POST',
      url,
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });

    const signed = Object.fromEntries(
      ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']
        .filter((name) => headers[name] !== undefined)
        .map((name) => [name, headers[name] as string]),
    );
    const { signature, signedHeaders } = expectedSignature('POST', url, signed, body);
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDTESTONLY/20250215/eu-west-1/execute-api/aws4_request, ` +
        `SignedHeaders=${signedHeaders}, Signature=${signature}`,
    );
  });

  test('a different body gives a different signature', async () => {
    const sign = (body: string) =>
      signer().sign({ method: 'POST', url: new URL(`${API}estimate`), headers: {}, body });

    const [a, b] = await Promise.all([sign('{"sql":"SELECT 1"}'), sign('{"sql":"SELECT 2"}')]);

    expect(a.authorization).not.toBe(b.authorization);
  });

  test('sends the session token of temporary credentials', async () => {
    const headers = await signer({ ...CREDENTIALS, sessionToken: 'test-session-token' }).sign({
      method: 'GET',
      url: new URL(`${API}costs`),
      headers: {},
    });

    expect(headers['x-amz-security-token']).toBe('test-session-token');
  });
});

describe('regionOfApiUrl', () => {
  test('reads the region of an execute-api URL', () => {
    expect(regionOfApiUrl(API)).toBe('eu-west-1');
  });

  test('is undefined for other hosts', () => {
    expect(regionOfApiUrl('http://127.0.0.1:3000')).toBeUndefined();
    expect(regionOfApiUrl('not a url')).toBeUndefined();
  });
});

describe('ThermoclineHttpClient', () => {
  function answering(status: number, body: unknown) {
    return jest.fn<Promise<Response>, Parameters<typeof fetch>>(
      async () =>
        new Response(typeof body === 'string' ? body : JSON.stringify(body), {
          status,
          headers: { 'content-type': 'application/json' },
        }),
    );
  }

  test('sends the signed headers to the route under the stage path', async () => {
    const fetch = answering(200, {
      month: '2025-02',
      queries: 0,
      bytesScanned: 0,
      costUsd: 0,
      cacheHits: 0,
      byCaller: [],
    });
    const client = new ThermoclineHttpClient({
      baseUrl: API.slice(0, -1),
      signer: signer(),
      fetch,
    });

    await client.costs({ month: '2025-02' });

    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(String(url)).toBe(`${API}costs?month=2025-02`);
    const headers = init?.headers as Record<string, string>;
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(headers).not.toHaveProperty('host');
  });

  test("answers an API error as ApiHttpError with the API's code, message and details", async () => {
    const client = new ThermoclineHttpClient({
      baseUrl: API,
      fetch: answering(400, { error: { code: 'plan_invalid', message: 'bad', path: 'steps[0]' } }),
    });

    const error = await client.estimate({ sql: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiHttpError);
    expect(error).toMatchObject({
      code: 'plan_invalid',
      status: 400,
      exitCode: 2,
      details: { path: 'steps[0]' },
    });
  });

  test('explains a 403 without an error body as a missing or refused signature', async () => {
    const client = new ThermoclineHttpClient({
      baseUrl: API,
      fetch: answering(403, { message: 'Missing Authentication Token' }),
    });

    await expect(client.catalog()).rejects.toThrow(/Missing Authentication Token.*SigV4-signed/);
  });

  test('refuses an answer that does not match the contract', async () => {
    const client = new ThermoclineHttpClient({
      baseUrl: API,
      fetch: answering(200, { bytes: 'x' }),
    });

    await expect(client.estimate({ sql: 'SELECT 1' })).rejects.toMatchObject({
      code: 'bad_answer',
    });
  });

  test('an unreachable API is exit code 3', async () => {
    const client = new ThermoclineHttpClient({
      baseUrl: API,
      fetch: jest.fn(async () => {
        throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
      }),
    });

    await expect(client.catalog()).rejects.toMatchObject({
      code: 'api_unreachable',
      exitCode: 3,
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  test('refuses a base URL that is not http(s)', () => {
    expect(() => new ThermoclineHttpClient({ baseUrl: 'ftp://x/' })).toThrow(
      /not an http\(s\) URL/,
    );
  });
});
