import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  figures,
  openWorkbench,
  since,
  type Engine,
  type RunningCli,
  type Workbench,
} from '#test/support/workbench';

const DAY = '2025-02-14';
const LAKE = 'thermocline-lake';
const LAKE_SQL = `FROM events WHERE event_type = 'GameOpened' AND dt = '${DAY}'`;

interface Hostile {
  readonly name: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  /** A value is sent as JSON; a string or Buffer as it is. */
  readonly body?: unknown;
}

const plan = (step: Record<string, unknown>): { steps: Record<string, unknown>[] } => ({
  steps: [{ id: 's1', ...step }],
});
const athena = (sql: string): Hostile['body'] => plan({ type: 'AthenaQuery', sql, max_scan_gb: 1 });
const aurora = (sql: string): Hostile['body'] => plan({ type: 'AuroraQuery', sql });
const parquet = (key: string, bucket = LAKE): Hostile['body'] =>
  plan({ type: 'S3ParquetRead', bucket, key });
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** The hostile requests; `outside` is a folder next to THERMOCLINE_HOME the API must not touch. */
function hostileRequests(outside: string): Hostile[] {
  const lakeSql: [string, string][] = [
    ['stacked statements', `SELECT 1 ${LAKE_SQL}; DROP TABLE events`],
    ['stacked DELETE', `SELECT count(*) ${LAKE_SQL}; DELETE FROM events`],
    ['comment hiding a second statement', `SELECT 1 ${LAKE_SQL} /* x */; DROP TABLE events`],
    ['line comment then a statement', `SELECT 1 ${LAKE_SQL} --\n; DROP TABLE events`],
    [
      'a file function after a line comment',
      `SELECT 1 ${LAKE_SQL} --\nUNION ALL SELECT 1 FROM read_text('/etc/passwd')`,
    ],
    ['unterminated comment', `SELECT 1 ${LAKE_SQL} /* DROP TABLE events`],
    ['read_csv of /etc/passwd', `SELECT * FROM read_csv('/etc/passwd')`],
    ['read_text', `SELECT * FROM read_text('/etc/passwd')`],
    ['read_blob', `SELECT * FROM read_blob('${outside}/secret.txt')`],
    ['read_parquet outside the lake', `SELECT * FROM read_parquet('${outside}/secret.parquet')`],
    ['read_json_auto', `SELECT * FROM read_json_auto('/etc/hostname')`],
    ['glob', `SELECT * FROM glob('/*')`],
    ['a file path as a table (replacement scan)', `SELECT * FROM '${outside}/secret.parquet'`],
    ['parquet_metadata', `SELECT * FROM parquet_metadata('${outside}/secret.parquet')`],
    [
      'a file function in a subquery',
      `SELECT (SELECT count(*) FROM read_text('/etc/passwd')) ${LAKE_SQL}`,
    ],
    ['ATTACH', `ATTACH '${outside}/x.duckdb' AS x`],
    ['INSTALL', 'INSTALL httpfs'],
    ['LOAD', 'LOAD httpfs'],
    ['PRAGMA', 'PRAGMA database_list'],
    ['SET', 'SET enable_external_access = true'],
    ['RESET', 'RESET ALL'],
    ['COPY TO a file', `COPY (SELECT 1) TO '${outside}/copied.csv'`],
    ['COPY a table out', `COPY events TO '${outside}/events.csv'`],
    ['EXPORT DATABASE', `EXPORT DATABASE '${outside}/export'`],
    ['CREATE TABLE AS', `CREATE TABLE x AS SELECT 1 ${LAKE_SQL}`],
    ['INSERT', `INSERT INTO events SELECT * ${LAKE_SQL}`],
    ['CALL', 'CALL pragma_version()'],
    ['CREATE MACRO', 'CREATE MACRO m() AS 1'],
    ['getenv', `SELECT getenv('HOME') ${LAKE_SQL}`],
    ['writable CTE', `WITH d AS (DELETE FROM events RETURNING *) SELECT * FROM d`],
  ];
  const hotSql: [string, string][] = [
    ['stacked statements (Aurora)', 'SELECT 1; DROP TABLE members'],
    ['writable CTE DELETE (Aurora)', 'WITH d AS (DELETE FROM members RETURNING *) SELECT * FROM d'],
    [
      'writable CTE UPDATE (Aurora)',
      "WITH u AS (UPDATE members SET member_code = 'x' RETURNING 1) SELECT 1",
    ],
    [
      'writable CTE INSERT (Aurora)',
      'WITH i AS (INSERT INTO members DEFAULT VALUES RETURNING 1) SELECT 1',
    ],
    ['pg_read_file (Aurora)', "SELECT pg_read_file('/etc/passwd')"],
    ['pg_ls_dir (Aurora)', "SELECT pg_ls_dir('/')"],
    ['lo_import (Aurora)', "SELECT lo_import('/etc/passwd')"],
    ['COPY TO PROGRAM (Aurora)', "COPY members TO PROGRAM 'touch /tmp/pwned'"],
    ['SET ROLE (Aurora)', 'SET ROLE postgres'],
    ['set_config (Aurora)', "SELECT set_config('default_transaction_read_only', 'off', false)"],
    ['DO block (Aurora)', "DO $$ BEGIN EXECUTE 'DROP TABLE members'; END $$"],
    ['SELECT … FOR UPDATE (Aurora)', 'SELECT * FROM members FOR UPDATE'],
    ['comment hiding a statement (Aurora)', 'SELECT 1 /* */; DELETE FROM members --'],
  ];
  const keys: [string, string][] = [
    ['relative traversal', '../../outside/secret.parquet'],
    ['traversal from a table folder', 'events/../../outside/secret.parquet'],
    ['URL-encoded traversal', '%2e%2e%2f%2e%2e%2foutside%2fsecret.parquet'],
    ['mixed-encoded traversal', '..%2F..%2Foutside%2Fsecret.parquet'],
    ['absolute key', `${outside}/secret.parquet`],
    ['absolute system file', '/etc/passwd.parquet'],
    ['backslash traversal', '..\\..\\outside\\secret.parquet'],
    ['NUL byte in the key', 'events/a\u0000.parquet'],
    ['doubled dots', '....//....//outside/secret.parquet'],
  ];
  const json = { 'content-type': 'application/json' };
  return [
    ...lakeSql.map(([name, sql]) => ({ name: `AthenaQuery: ${name}`, body: athena(sql) })),
    ...lakeSql.slice(0, 14).map(([name, sql]) => ({
      name: `POST /estimate: ${name}`,
      path: '/estimate',
      body: { sql },
    })),
    ...hotSql.map(([name, sql]) => ({ name, body: aurora(sql) })),
    ...keys.map(([name, key]) => ({ name: `S3ParquetRead: ${name}`, body: parquet(key) })),
    {
      name: 'S3ParquetRead: traversal in the bucket',
      body: parquet('secret.parquet', '../outside'),
    },
    { name: 'S3ParquetRead: absolute bucket', body: parquet('secret.parquet', outside) },
    { name: 'huge body (2 MiB)', body: JSON.stringify({ steps: [], pad: 'x'.repeat(2 << 20) }) },
    { name: 'deeply nested body', body: `{"steps": ${nested(100_000)}}` },
    {
      name: 'nested plan value',
      body: { steps: [{ id: 's1', type: 'AthenaQuery', sql: JSON.parse(nested(200)) as unknown }] },
    },
    {
      name: 'SQL over the length limit',
      body: athena(`SELECT 1 ${LAKE_SQL} AND ${'1=1 OR '.repeat(20_000)}1=1`),
    },
    {
      name: 'invalid UTF-8',
      body: Buffer.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0xff, 0xfe, 0xc3, 0x28, 0x7d]),
    },
    {
      name: 'invalid UTF-8 inside the SQL',
      body: Buffer.concat([
        Buffer.from('{"steps":[{"id":"s1","type":"AthenaQuery","sql":"SELECT '),
        Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
        Buffer.from('"}]}'),
      ]),
    },
    { name: '__proto__ key', body: '{"__proto__": {"polluted": true}, "steps": []}' },
    {
      name: '__proto__ in a step',
      body: `{"steps": [{"id": "s1", "__proto__": {"type": "AthenaQuery", "sql": "SELECT 1"}}]}`,
    },
    {
      name: 'constructor.prototype',
      body: '{"constructor": {"prototype": {"polluted": true}}, "steps": [{"id": "constructor"}]}',
    },
    {
      name: '__proto__ as a bind name',
      body: aurora('SELECT $1') && {
        steps: [
          {
            id: 's1',
            type: 'AuroraQuery',
            sql: 'SELECT 1',
            bind: JSON.parse('{"__proto__": {"ref": "s1", "field": "x"}}') as unknown,
          },
        ],
      },
    },
    {
      name: 'text/plain',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(athena(`SELECT 1 ${LAKE_SQL}`)),
    },
    {
      name: 'form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'steps=1',
    },
    {
      name: 'multipart',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--',
    },
    { name: 'XML', headers: { 'content-type': 'application/xml' }, body: '<plan/>' },
    { name: 'no content type', headers: {}, body: '{"steps": []}' },
    { name: 'empty body', headers: json, body: '' },
    { name: 'JSON null', body: 'null' },
    { name: 'JSON array', body: '[]' },
    { name: 'JSON string', body: '"SELECT 1"' },
    { name: 'no steps', body: { steps: [] } },
    { name: 'unknown step type', body: plan({ type: 'ShellCommand', command: 'id' }) },
    {
      name: 'path traversal in the route',
      method: 'GET',
      path: '/plans/..%2F..%2F..%2Fetc%2Fpasswd',
    },
    { name: 'plan id with dots', method: 'GET', path: '/plans/../../catalog.json' },
    { name: 'negative wait', path: '/plans?wait_seconds=-1', body: athena(`SELECT 1 ${LAKE_SQL}`) },
    {
      name: 'wait overflow',
      path: '/plans?wait_seconds=1e309',
      body: athena(`SELECT 1 ${LAKE_SQL}`),
    },
    { name: 'costs month traversal', method: 'GET', path: '/costs?month=../../x' },
    { name: 'wrong method', method: 'DELETE', path: '/catalog' },
    { name: 'unknown route', method: 'GET', path: '/admin' },
    {
      name: 'cross-site origin',
      headers: { ...json, origin: 'https://evil.example' },
      body: athena(`SELECT 1 ${LAKE_SQL}`),
    },
    {
      name: 'foreign host (DNS rebinding)',
      method: 'GET',
      path: '/catalog',
      headers: { host: 'evil.example:80' },
    },
  ];
}

/** Sends one request as bytes (node:http, so any header and body go as they are). */
function send(
  url: string,
  hostile: Hostile,
): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  const body =
    hostile.body === undefined
      ? undefined
      : typeof hostile.body === 'string' || Buffer.isBuffer(hostile.body)
        ? hostile.body
        : JSON.stringify(hostile.body);
  const headers =
    hostile.headers ?? (body === undefined ? {} : { 'content-type': 'application/json' });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${hostile.path ?? '/plans'}`,
      {
        method: hostile.method ?? 'POST',
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ms: since(started),
          }),
        );
        response.on('error', reject);
      },
    );
    // A server that answers before reading a huge body may reset the upload: the answer counts.
    req.on('error', reject);
    req.end(body);
  });
}

/** The error code, or a failed plan's step errors, or the start of the text. */
function summary(text: string): string {
  try {
    const body = JSON.parse(text) as {
      error?: { code: string; message: string };
      status?: string;
      steps?: { error?: { code?: string; message?: string } }[];
    };
    if (body.error) return `${body.error.code}: ${body.error.message.slice(0, 160)}`;
    return `${body.status}: ${JSON.stringify(body.steps?.map((s) => s.error)).slice(0, 200)}`;
  } catch {
    return text.slice(0, 200);
  }
}

/** name → size and mtime of every file under `root`, to compare before and after. */
async function snapshot(
  root: string,
  skip: (path: string) => boolean,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(root, { recursive: true })) {
    if (skip(name)) continue;
    const info = await stat(join(root, name));
    if (info.isFile()) out[name] = `${info.size}:${info.mtimeMs}`;
  }
  return out;
}

/**
 * Hostile input against the query API of `thermocline serve`: every request gets a 4xx JSON
 * error without a stack trace, the server stays up and answers, and neither the hot data, the
 * lake nor the files outside THERMOCLINE_HOME change. On PGlite the `serve` owns the embedded
 * database, which runs as its superuser with its files under the home: the hot SQL meets a
 * different engine.
 */
describe.each<Engine>(['server', 'pglite'])('the query API under hostile input (%s)', (engine) => {
  let bench: Workbench | undefined;
  let server: RunningCli | undefined;
  let url = '';
  let outside = '';

  beforeAll(async () => {
    bench = await openWorkbench('hostile', { engine, sample: {} });
    if (!bench) return;
    const exported = await bench.run(['etl', 'run', '--date', DAY, '--table', 'events']);
    expect(exported.code).toBe(0);
    outside = join(bench.work, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'not for the API\n');
    const [partition] = await bench.lake.catalog.listPartitions('events');
    const [file] = (await bench.lake.store.list(partition?.location ?? '')).filter((o) =>
      o.key.endsWith('.parquet'),
    );
    // A real Parquet file outside the lake: a traversal that worked would read it.
    await copyFile(bench.lake.store.locate(file?.key ?? ''), join(outside, 'secret.parquet'));
    server = bench.start(['serve', '--port', '0']);
    await server.waitFor(/Press Ctrl-C/, 90_000);
    url = /Query API on (http:\/\/\S+)/.exec(server.output().stdout)?.[1] ?? '';
  }, 180_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGINT');
      await server.done;
    }
    await bench?.cleanup();
  });

  it('answers each request 4xx with a JSON error and no stack trace; nothing changes', async () => {
    if (!bench || !server) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
      return;
    }
    const b = bench;
    const hot = async (): Promise<unknown> =>
      b.db.query(
        `SELECT table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT md5(string_agg(t::text, '','' ORDER BY t::text)) AS c FROM %I.%I t', table_schema, table_name), false, true, '')))[1]::text AS digest
         FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [b.schema],
      );
    const hotBefore = await hot();
    expect(hotBefore).toEqual(
      expect.arrayContaining([expect.objectContaining({ table_name: 'members' })]),
    );
    const outsideBefore = await snapshot(b.work, (p) => p.startsWith('.thermocline'));
    const lakeBefore = await snapshot(join(b.home, 'lake'), (p) => p.startsWith('_query'));
    const requests = hostileRequests(outside);
    expect(requests.length).toBeGreaterThanOrEqual(60);

    // Act
    const answers: { name: string; status: number; text: string; ms: number }[] = [];
    for (const hostile of requests)
      answers.push({ name: hostile.name, ...(await send(url, hostile)) });

    // Assess: each a 4xx with a JSON error, no stack trace, no file path of the code.
    const wrong = answers.filter((a) => {
      let body: { error?: { code?: unknown } } | undefined;
      try {
        body = JSON.parse(a.text) as typeof body;
      } catch {
        return true;
      }
      return (
        a.status < 400 ||
        a.status > 499 ||
        typeof body?.error?.code !== 'string' ||
        /\n\s+at |\.ts:\d+|node_modules/.test(a.text)
      );
    });
    expect(wrong.map((a) => `${a.name}: ${a.status} ${summary(a.text)}`)).toEqual([]);
    // The server is still up and serving; nothing changed.
    expect(server.child.exitCode).toBeNull();
    expect((await send(url, { name: 'catalog', method: 'GET', path: '/catalog' })).status).toBe(
      200,
    );
    expect(await hot()).toEqual(hotBefore);
    expect(await snapshot(b.work, (p) => p.startsWith('.thermocline'))).toEqual(outsideBefore);
    expect(await snapshot(join(b.home, 'lake'), (p) => p.startsWith('_query'))).toEqual(lakeBefore);
    const statuses: Record<number, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    const times = answers.map((a) => a.ms).sort((x, y) => x - y);
    figures(`hostile-api ${engine}`, {
      requests: answers.length,
      statuses,
      p50_ms: times[Math.floor(times.length / 2)],
      max_ms: times[times.length - 1],
    });
  }, 180_000);
});
