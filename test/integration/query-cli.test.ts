import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { seedEventsSql, seedPlan } from '#core/api/examples';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
} from '#core/query/service-contract';
import { thermocline } from '#test/support/cli';

const SAMPLE = ['--days', '3', '--scale', '0.02', '--end', '2025-02-15'];
const FROM = '2025-02-13';
const TO = '2025-02-14';
const LOGINS = `SELECT event_type, count(*) AS n FROM events WHERE event_type = 'Login' AND dt = '${TO}' GROUP BY 1`;
const MEMBERS = seedEventsSql(FROM, TO);
const CLI = resolve(__dirname, '../../bin/thermocline-cli.cjs');

/** A long-running CLI process (`serve`, `up`) and its output so far. */
interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function start(args: readonly string[], cwd: string): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((done) => child.on('close', (code) => done(code))),
  };
  child.stdout.on('data', (chunk: Buffer) => (running.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (running.stderr += chunk.toString()));
  return running;
}

async function waitFor(running: Running, text: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!running.stdout.includes(text)) {
    if (Date.now() > until || running.child.exitCode !== null) {
      throw new Error(`no '${text}' in the output:\n${running.stdout}\n${running.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// One embedded database and lake for the whole file: `up --once` seeds three days and exports them.
describe('thermocline query / estimate / catalog / serve', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-query-cli-'));
    const up = await thermocline(['up', '--once', '--json', ...SAMPLE], { cwd: work });
    expect(up.code).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('runs one lake SQL statement and prints the plan status as JSON', async () => {
    const run = await thermocline(['query', '--sql', LOGINS, '--json'], { cwd: work });

    // toMatchObject: a failure shows stdout and stderr too.
    expect(run).toMatchObject({ code: 0 });
    const status = JSON.parse(run.stdout) as PlanStatus;
    expect(status.status).toBe('succeeded');
    expect(status.result?.rows).toEqual([{ event_type: 'Login', n: expect.anything() }]);
    expect(Number(status.result?.rows[0]?.n)).toBeGreaterThan(0);
  });

  it('prints step stats and the rows as tables for people', async () => {
    const run = await thermocline(['query', '--sql', LOGINS], { cwd: work });

    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^Plan \S+ succeeded/);
    expect(run.stdout).toMatch(/step\s+type\s+engine\s+status\s+rows\s+scanned/);
    expect(run.stdout).toMatch(/event_type\s+n\n[- ]+\nLogin\s+\d+/);
  });

  it("runs the seed's two-step plan from a file", async () => {
    const file = join(work, 'plan.json');
    await writeFile(file, JSON.stringify(seedPlan(FROM, TO)));

    const run = await thermocline(['query', '--plan', file, '--json'], { cwd: work });

    expect(run).toMatchObject({ code: 0 });
    const status = JSON.parse(run.stdout) as PlanStatus;
    expect(status.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(status.result?.columns.map((c) => c.name)).toEqual(['member_code', 'total_deposit']);
  });

  it('exits 2 with the estimate when a query is over --max-scan-gb', async () => {
    const run = await thermocline(
      ['query', '--sql', MEMBERS, '--max-scan-gb', '0.000000001', '--json'],
      { cwd: work },
    );

    expect(run).toMatchObject({ code: 2 });
    const { error } = JSON.parse(run.stdout) as {
      error: { code: string; estimate: { bytes: number } };
    };
    expect(error.code).toBe('scan_limit_exceeded');
    expect(error.estimate.bytes).toBeGreaterThan(1);
  });

  it('exits 2 for SQL that is not one SELECT', async () => {
    const run = await thermocline(['query', '--sql', 'DROP TABLE events'], { cwd: work });

    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toMatch(/^thermocline: .*DROP/i);
  });

  it('estimates a query as JSON without running it', async () => {
    const run = await thermocline(['estimate', '--sql', seedEventsSql(FROM, TO), '--json'], {
      cwd: work,
    });

    expect(run).toMatchObject({ code: 0 });
    const estimate = JSON.parse(run.stdout) as EstimateResponse;
    expect(estimate.bytes).toBeGreaterThan(0);
    expect(estimate.tables[0]).toMatchObject({ table: 'events', partitions: 2 });
  });

  it('prints an estimate line per table for people', async () => {
    const run = await thermocline(['estimate', '--sql', seedEventsSql(FROM, TO)], { cwd: work });

    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^events: ~[\d.]+ [kMG]?B, \$[\d.]+, 2 of \d+ partitions/m);
  });

  it('prints the catalog as JSON', async () => {
    const run = await thermocline(['catalog', '--json'], { cwd: work });

    expect(run).toMatchObject({ code: 0 });
    const summary = JSON.parse(run.stdout) as CatalogSummary;
    expect(summary.external_sources.athena.tables).toEqual(
      expect.arrayContaining(['events', 'agent_tasks']),
    );
  });

  it("prints the month's cost ledger totals as JSON", async () => {
    const run = await thermocline(['costs', '--json'], { cwd: work });

    expect(run).toMatchObject({ code: 0 });
    const report = JSON.parse(run.stdout) as CostReport;
    expect(report.month).toBe(new Date().toISOString().slice(0, 7));
    expect(report.queries).toEqual(expect.any(Number));
  });

  // Three CLI processes and a server: on a loaded machine each start takes seconds.
  it('query and costs --api URL call a served API over HTTP', async () => {
    const serve = start(['serve', '--port', '0'], work);
    try {
      await waitFor(serve, 'Press Ctrl-C to stop.');
      const url = /Query API on (http:\/\/127\.0\.0\.1:\d+)/.exec(serve.stdout)?.[1] ?? '';
      const api = async (args: string[]) => {
        const run = await thermocline([...args, '--api', url, '--json'], { cwd: work });
        return { ...run, body: JSON.parse(run.stdout) as Record<string, unknown> };
      };

      const query = await api(['query', '--sql', LOGINS]);
      expect(query).toMatchObject({ code: 0, body: { status: 'succeeded' } });
      expect((query.body as unknown as PlanStatus).result?.rows[0]?.event_type).toBe('Login');
      const costs = await api(['costs']);
      expect(costs).toMatchObject({ code: 0, body: { queries: expect.any(Number) } });
      const refused = await api(['query', '--sql', 'DELETE FROM events']);
      expect(refused).toMatchObject({ code: 2, body: { error: { code: expect.any(String) } } });
      // The server saw the requests: the CLI did not run them in-process.
      expect(serve.stderr).toMatch(/POST \/plans\S* → 200/);
      expect(serve.stderr).toMatch(/GET \/costs → 200/);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
  }, 400_000);

  it('npm start (up) serves the API after the ETL until Ctrl-C', async () => {
    const up = start(['up', '--port', '0'], work);
    try {
      await waitFor(up, 'Press Ctrl-C to stop.');
      const url = /Query API on (http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1];
      expect(url).toBeDefined();
      const response = await fetch(`${url}/catalog`);
      expect(response.status).toBe(200);
    } finally {
      up.child.kill('SIGINT');
    }
    expect(await up.exited).toBe(0);
  });

  it('serves the API until SIGTERM and prints curl lines that work', async () => {
    const serve = start(['serve', '--port', '0'], work);
    try {
      await waitFor(serve, 'Press Ctrl-C to stop.');
      const curls = serve.stdout.split('\n').filter((line) => line.trim().startsWith('curl '));
      expect(curls).toHaveLength(2);
      for (const line of curls) {
        const { stdout } = await promisify(execFile)('bash', [
          '-c',
          `${line.trim()} -w '\\n%{http_code}'`,
        ]);
        const status = stdout.trim().split('\n').at(-1);
        expect(status).toBe('200');
      }
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
    expect(serve.stdout).toMatch(/Stopping\.\n$/);
  });
});
