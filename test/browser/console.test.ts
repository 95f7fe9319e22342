import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openDatabase } from '#adapters/open-database';
import { quoteIdent } from '#core/sql/ident';
import { utcDay } from '#ports/clock';
import { findServer } from '#test/support/database';

const CLI = resolve(__dirname, '../../bin/thermocline-cli.cjs');
/** Screenshots of each view (gitignored). */
export const SCREENSHOTS = resolve(__dirname, 'screenshots');
const DAY_MS = 86_400_000;
const day = (daysAgo: number): string => utcDay(new Date(Date.now() - daysAgo * DAY_MS));

/**
 * Debian's chromium (`apt-get install chromium`; .ci/run installs it), or CHROMIUM_PATH. Missing,
 * the suite fails saying how to get it: it is part of `npm test`, never skipped quietly.
 */
function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: install Debian's (sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary`,
    );
  }
  return path;
}

// The console in headless Chromium against `thermocline up` (seeded sample, the closed days
// exported, the reference tables synced, the API and the console on an ephemeral port).
describe('the console', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let schema: string;
  let up: ChildProcess;
  let url: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-console-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    const server = await findServer();
    schema = server ? `tc_console_${process.pid}` : 'public';
    env = server ? { ...server.env, THERMOCLINE_SCHEMA: schema } : {};
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-gpu'],
    });
    up = spawn(process.execPath, [CLI, 'up', '--port', '0', '--days', '12', '--scale', '0.05'], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    url = await new Promise<string>((ready, fail) => {
      up.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /Console on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (match?.[1] && out.includes('Ctrl-C')) ready(match[1]);
      });
      up.stderr?.resume();
      up.once('exit', (code) => fail(new Error(`thermocline up exited (${code}):\n${out}`)));
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (up && up.exitCode === null) {
      const stopped = new Promise((done) => up.once('exit', done));
      up.kill('SIGINT');
      await stopped;
    }
    if (schema !== 'public') {
      const db = await openDatabase({ env, home: work });
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    }
    await rm(work, { recursive: true, force: true });
  });

  async function open(view: string): Promise<void> {
    await page.goto(`${url}/#${view}`);
    await page.waitForSelector(`[data-testid=view-${view}]`);
  }

  it('Coverage draws a cell per table-day and the lag of each table', async () => {
    await open('coverage');
    const heatmap = page.locator('canvas[data-testid=heatmap][data-drawn]');
    await heatmap.waitFor();

    const coverage = (await (await fetch(`${url}/coverage`)).json()) as {
      tables: { table: string; lagDays: number }[];
      days: string[];
    };
    expect(Number(await heatmap.getAttribute('data-drawn'))).toBe(
      coverage.tables.length * coverage.days.length,
    );
    const lag = page.locator('[data-testid=lag-table] tbody tr');
    expect(await lag.count()).toBe(coverage.tables.length);
    await expect(lag.filter({ hasText: 'events' }).innerText()).resolves.toContain(day(1));
    await page.screenshot({ path: join(SCREENSHOTS, 'coverage.png'), fullPage: true });
  });

  it('Runs lists the catch-up export and the sync that up ran', async () => {
    await open('runs');
    const table = page.locator('[data-testid=runs-table]');
    await table.waitFor();

    const text = await table.innerText();
    expect(text).toContain('catch-up');
    expect(text).toContain('sync');
    expect(text).toContain('succeeded');
    await page.screenshot({ path: join(SCREENSHOTS, 'runs.png'), fullPage: true });
  });

  it('Query shows the estimate, then runs the plan and shows its rows', async () => {
    await open('query');
    const sql =
      `SELECT event_type, count(*) AS n FROM events WHERE event_type IN ('GameOpened', 'Login') ` +
      `AND dt BETWEEN '${day(10)}' AND '${day(1)}' GROUP BY 1 ORDER BY 1`;
    await page.fill('[data-testid=query-text]', sql);

    await page.click('[data-testid=estimate]');
    await expect(page.locator('[data-testid=estimate-result]').innerText()).resolves.toMatch(
      /Estimate: ~[\d.]+ [kM]?B.*events: \d+ of \d+ partitions/,
    );
    await page.click('[data-testid=run]');
    const rows = page.locator('[data-testid=result-table] tbody tr');
    await rows.first().waitFor();

    expect(await rows.count()).toBe(2);
    await expect(rows.first().innerText()).resolves.toMatch(/^GameOpened\s+\d+$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'query.png'), fullPage: true });
  });

  it('Query shows the API message for a rejected SQL', async () => {
    await open('query');
    const sql = 'DELETE FROM events';
    const answer = await fetch(`${url}/plans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps: [{ id: 'q', type: 'AthenaQuery', sql }] }),
    });
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(answer.status).toBe(400);

    await page.fill('[data-testid=query-text]', sql);
    await page.click('[data-testid=run]');
    const shown = page.locator('[data-testid=api-error]');
    await shown.waitFor();

    const text = await shown.innerText();
    expect(text).toContain(error.code);
    expect(text).toContain(error.message);
    await page.screenshot({ path: join(SCREENSHOTS, 'query-rejected.png'), fullPage: true });
  });

  it('Cost shows the ledger by day and caller, with the query just run', async () => {
    await open('cost');
    const rows = page.locator('[data-testid=cost-table] tbody tr');
    await rows.first().waitFor();

    const text = await rows.first().innerText();
    expect(text).toContain(day(0));
    expect(text).toMatch(/local:\S+/);
    await page.locator('[data-testid=cost-chart] canvas').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'cost.png'), fullPage: true });
  });

  it('Catalog lists the tables, and a table shows both types of each column and its partitions', async () => {
    await open('catalog');
    await page.click('[data-testid=table-events]');
    const columns = page.locator('[data-testid=columns-table]');
    await columns.waitFor();

    await expect(columns.locator('tr', { hasText: 'amount' }).innerText()).resolves.toMatch(
      /amount\s+numeric\(14,2\)\s+decimal\(14,2\)/,
    );
    const partitions = page.locator('[data-testid=partitions-table] tbody tr');
    expect(await partitions.count()).toBeGreaterThan(0);
    await expect(partitions.first().innerText()).resolves.toMatch(/\d{4}-\d\d-\d\d/);
    await page.screenshot({ path: join(SCREENSHOTS, 'catalog.png'), fullPage: true });
  });
});
