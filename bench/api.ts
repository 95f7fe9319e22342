/**
 * `npm run bench -- api [--days 7] [--scale 0.5] [--requests 200] [--heavy 20]`: bounded load on
 * the local query API (`thermocline serve`, a child process) over the sample's events in the lake
 * (a private schema of the PostgreSQL server, else the embedded PGlite; a temporary home):
 * 1. `GET /catalog`, `POST /estimate` and small plans (one day, one event type, each plan's SQL
 *    its own so the result cache does not answer) — `--requests` each, at concurrency 10, then 50;
 * 2. `--heavy` heavy plans at once (every day and event type, grouped by member; polled to the
 *    end when answered 202).
 * Per phase: p50/p95/p99 latency (ms), answers by status (errors: anything but 200/202, and
 * plans that failed), and the server's RSS (`/proc/<pid>/status`: VmRSS after the phase, VmHWM
 * peak); `rss_growth_mb` compares the RSS after a repeat of the first phase with after its first
 * run (a leak shows there). The last line is one JSON object.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { openTestDatabase } from '#adapters/scratch-database';
import { defaultConfig } from '#core/config/resolve';
import { loadSample } from '#core/sample/load';
import { exportTableDay } from '#etl/export';
import { systemClock, utcDay } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';

const CLI = resolve(__dirname, '../bin/thermocline-cli.cjs');
const DAY_MS = 86_400_000;

interface Answer {
  status: number;
  ms: number;
  failed: boolean;
}

async function memory(pid: number): Promise<{ rss_mb: number; peak_rss_mb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss_mb: Math.round(kb('VmRSS') / 1024), peak_rss_mb: Math.round(kb('VmHWM') / 1024) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  let json = (await response.json()) as { id?: string; status?: string };
  let status = response.status;
  // A plan answered 202 (or still running) is polled to its end: its latency is its whole run.
  const location = json.id ? `/plans/${json.id}` : undefined;
  while (location && (status === 202 || (status === 200 && json.status === 'running'))) {
    await new Promise((r) => setTimeout(r, 200));
    const polled = await fetch(`${url}${location}`);
    status = polled.status;
    json = (await polled.json()) as typeof json;
  }
  return { status, ms: performance.now() - started, failed: json.status === 'failed' };
}

/** Runs `count` requests made by `make(i)`, `concurrency` at a time. */
async function phase(
  url: string,
  pid: number,
  count: number,
  concurrency: number,
  make: (i: number) => [string, string, unknown?],
): Promise<Record<string, unknown>> {
  const answers: Answer[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const [method, path, body] = make(next++);
        answers.push(
          await call(url, method, path, body).catch(() => ({ status: 0, ms: 0, failed: true })),
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  return {
    requests: count,
    concurrency,
    per_s: Math.round(count / seconds),
    p50_ms: Math.round(percentile(ms, 50)),
    p95_ms: Math.round(percentile(ms, 95)),
    p99_ms: Math.round(percentile(ms, 99)),
    statuses,
    errors: answers.filter((a) => (a.status !== 200 && a.status !== 202) || a.failed).length,
    ...(await memory(pid)),
  };
}

export async function benchApi(args: string[]): Promise<Record<string, unknown>> {
  const options = parseOptions(args);
  const { db, cleanup } = await openTestDatabase('bench-api');
  const home = await mkdtemp(join(tmpdir(), 'thermocline-bench-api-'));
  try {
    await prepareLake(db, home, options);
    const server = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      cwd: home,
      env: serverEnv(db, home),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await serverUrl(server);
      const figures = await loadServer(url, server.pid ?? 0, options, {
        bench: 'api',
        database: db.target.kind,
        days: options.days,
        scale: options.scale,
      });
      figures.server_alive = server.exitCode === null;
      return figures;
    } finally {
      server.kill('SIGINT');
      await new Promise((done) =>
        server.exitCode === null ? server.once('exit', done) : done(null),
      );
    }
  } finally {
    await cleanup();
    await rm(home, { recursive: true, force: true });
  }
}

/** The bench's flags, and the day `n` days before today. */
interface ApiBenchOptions {
  readonly days: number;
  readonly scale: number;
  /** `--scale` as given, for the progress line. */
  readonly scaleFlag: string;
  readonly requests: number;
  readonly heavy: number;
  readonly today: string;
  readonly day: (n: number) => string;
}

function parseOptions(args: string[]): ApiBenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      days: { type: 'string', default: '7' },
      scale: { type: 'string', default: '0.5' },
      requests: { type: 'string', default: '200' },
      heavy: { type: 'string', default: '20' },
    },
  });
  const today = utcDay(new Date());
  return {
    days: Number(values.days),
    scale: Number(values.scale),
    scaleFlag: values.scale,
    requests: Number(values.requests),
    heavy: Number(values.heavy),
    today,
    day: (n) => utcDay(new Date(Date.parse(`${today}T00:00:00Z`) - n * DAY_MS)),
  };
}

/** Loads the sample and exports its events' closed days to the lake in `home`. */
async function prepareLake(db: SqlDatabase, home: string, options: ApiBenchOptions): Promise<void> {
  const { days, scale, scaleFlag, today, day } = options;
  process.stderr.write(
    `  loading the sample (${days} days, scale ${scaleFlag}) and exporting events…\n`,
  );
  await loadSample(db, { seed: 42, days, scale, endDate: today });
  const events = defaultConfig().tables.find((t) => t.name === 'events');
  if (!events) throw new Error('the default config has no events table');
  const encoder = await createDuckDbEncoder();
  try {
    const deps = { db, encoder, clock: systemClock, ...openLocalLake(home) };
    for (let n = days - 1; n >= 1; n--) await exportTableDay(deps, events, day(n));
  } finally {
    await encoder.close();
  }
}

/** The environment of `thermocline serve`: the temporary home, and the database's schema. */
function serverEnv(db: SqlDatabase, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    THERMOCLINE_HOME: home,
    ...(db.target.kind === 'server'
      ? {
          DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
          THERMOCLINE_SCHEMA: db.schema,
        }
      : {}),
  };
}

/** The query API's URL once `serve` says it is ready. */
function serverUrl(server: ChildProcessByStdio<null, Readable, null>): Promise<string> {
  return new Promise<string>((ready, fail) => {
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /Query API on (http:\/\/\S+)/.exec(out);
      if (found && out.includes('Ctrl-C')) ready(found[1] ?? '');
    });
    server.once('exit', () => fail(new Error(`serve ended: ${out}`)));
  });
}

/** The phases against the server at `url` (process `pid`), their figures added to `figures`. */
async function loadServer(
  url: string,
  pid: number,
  options: ApiBenchOptions,
  figures: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { requests, heavy } = options;
  const idle = await memory(pid);
  const small = (i: number) => smallPlan(options, i);
  const estimate = (i: number) => estimateRequest(options, i);
  const catalog = (): [string, string] => ['GET', '/catalog'];
  for (const concurrency of [10, 50]) {
    process.stderr.write(`  concurrency ${concurrency}: catalog, estimate, small plans…\n`);
    figures[`catalog_c${concurrency}`] = await phase(url, pid, requests, concurrency, catalog);
    figures[`estimate_c${concurrency}`] = await phase(url, pid, requests, concurrency, estimate);
    figures[`small_plans_c${concurrency}`] = await phase(url, pid, requests, concurrency, (i) =>
      small(i + concurrency * 100_000),
    );
  }
  process.stderr.write(`  ${heavy} heavy plans at once…\n`);
  figures.heavy_plans = await phase(url, pid, heavy, heavy, (i) => heavyPlan(options, i));
  // The first phase again: RSS after it against after its first run.
  const again = await phase(url, pid, requests, 10, (i) => small(i + 9_000_000));
  figures.small_plans_c10_repeat = again;
  figures.idle_rss_mb = idle.rss_mb;
  figures.rss_growth_mb =
    (again.rss_mb as number) - ((figures.small_plans_c10 as { rss_mb: number }).rss_mb ?? 0);
  return figures;
}

/** A plan of one AthenaQuery step, as `POST /plans` takes it. */
function planRequest(sql: string): [string, string, unknown] {
  return ['POST', '/plans', { steps: [{ id: 's1', type: 'AthenaQuery', sql }] }];
}

/** A small plan: one day, one event type; `i` in the SQL so the result cache does not answer. */
function smallPlan({ days, day }: ApiBenchOptions, i: number): [string, string, unknown] {
  return planRequest(
    `SELECT membercode, count(*) + ${i} AS n FROM events WHERE event_type = 'GameOpened' AND dt = '${day(1 + (i % (days - 1)))}' GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
  );
}

/** An estimate of every exported day of one event type. */
function estimateRequest({ days, day }: ApiBenchOptions, i: number): [string, string, unknown] {
  return [
    'POST',
    '/estimate',
    {
      sql: `SELECT count(*) + ${i} FROM events WHERE event_type = 'Login' AND dt BETWEEN '${day(days - 1)}' AND '${day(1)}'`,
    },
  ];
}

/** A heavy plan: every exported day and event type, grouped by member. */
function heavyPlan({ days, day }: ApiBenchOptions, i: number): [string, string, unknown] {
  return planRequest(
    `SELECT membercode, event_type, count(*) + ${i} AS n, min(occurred_at), max(occurred_at) FROM events WHERE event_type IN ('GameOpened', 'Login', 'Deposit', 'Logout', 'GameClosed') AND dt BETWEEN '${day(days - 1)}' AND '${day(1)}' GROUP BY 1, 2 ORDER BY 3 DESC`,
  );
}
