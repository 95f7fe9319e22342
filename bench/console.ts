/**
 * `npm run bench -- console [--runs N]`: the console's Coverage view at 120 days × 10 tables and
 * 2 years × 50 tables, in headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) against
 * the local API server with the real handler and the real bundle. Coverage is synthetic (random
 * states, a gap of late days and a few failures): the view's cost does not depend on where the
 * states come from. Figures: coverage computed in process, the `/coverage` JSON, the bundle built
 * (first request), and page load to drawn heatmap (navigation to the canvas carrying
 * `data-drawn`), median of N warm loads; the hover read-out after a mouse move.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildConsole, consolePages } from '#adapters/local/console-bundle';
import { startLocalApiServer } from '#adapters/local/http-server';
import { createApiHandler } from '#core/api/handler';
import type { QueryService } from '#core/query/service-contract';
import { computeCoverage, windowDays, type TableDays } from '#etl/insights';
import type { CoverageReport, Insights } from '#ports/insights';

const SIZES = [
  { days: 120, tables: 10 },
  { days: 730, tables: 50 },
];

/** Synthetic table-days: exported, purged before the hot window, a late tail, some failures. */
function synthetic(days: readonly string[], tables: number): TableDays[] {
  let seed = 42;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: tables }, (_, t) => {
    const hot = new Map<string, number>();
    const lake = new Map<string, string>();
    const failed = new Map<string, string>();
    days.forEach((day, i) => {
      const age = days.length - 1 - i;
      if (age < 90) hot.set(day, 1000);
      if (age >= 1 && !(t % 7 === 3 && age < 4) && random() > 0.01) {
        lake.set(day, `${day}T02:00:00.000Z`);
      } else if (age >= 1 && random() > 0.5) {
        failed.set(day, `${day}T02:00:00.000Z`);
      }
    });
    return {
      table: { name: `table_${String(t).padStart(2, '0')}`, export_lag_days: 1 },
      hot,
      lake,
      failed,
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The bench (see the module comment). */
export async function benchConsole(args: string[]): Promise<Record<string, unknown>> {
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  const buildStarted = performance.now();
  const bundle = await buildConsole();
  const buildMs = performance.now() - buildStarted;
  const bundleBytes = [...bundle.values()].reduce((n, f) => n + Buffer.byteLength(f.body), 0);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const results = [];
  try {
    for (const size of SIZES) results.push(await benchSize(browser, size, runs));
  } finally {
    await browser.close();
  }
  return { bundleBuildMs: Math.round(buildMs), bundleBytes, sizes: results };
}

/** One size: the coverage computed, served by the real handler and drawn `runs` times. */
async function benchSize(
  browser: Browser,
  size: (typeof SIZES)[number],
  runs: number,
): Promise<Record<string, unknown>> {
  const now = new Date();
  const days = windowDays(now, size.days);
  const tables = synthetic(days, size.tables);
  const computeStarted = performance.now();
  const report: CoverageReport = computeCoverage(tables, days, now);
  const computeMs = performance.now() - computeStarted;
  const server = await startLocalApiServer({
    handler: createApiHandler({} as QueryService, { insights: coverageOnly(report, days) }),
    pages: consolePages(),
    port: 0,
  });
  try {
    const json = await (await fetch(`${server.url}/coverage?days=${size.days}`)).text();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    // The first load builds the bundle in the server (cold); the timed loads are warm.
    await page.goto(`${server.url}/#coverage`);
    await page.waitForSelector('canvas[data-drawn]');
    const { loads, inPage } = await timeLoads(page, server.url, size, runs);
    const hoverMs = await timeHover(page);
    await page.close();
    return {
      days: size.days,
      tables: size.tables,
      cells: size.days * size.tables,
      coverageComputedMs: Math.round(computeMs * 10) / 10,
      coverageJsonBytes: Buffer.byteLength(json),
      pageLoadToHeatmapMs: median(loads),
      pageLoadsMs: loads,
      navigationToDrawnMs: median(inPage),
      hoverMs,
    };
  } finally {
    await server.close();
  }
}

/** Insights that answer `report` for the coverage and nothing for the other views. */
function coverageOnly(report: CoverageReport, days: readonly string[]): Insights {
  return {
    coverage: async () => report,
    runs: async () => ({ runs: [], damaged: 0 }),
    dailyCosts: async () => ({
      from: days[0] ?? '',
      to: days.at(-1) ?? '',
      rows: [],
      totals: { queries: 0, bytesScanned: 0, costUsd: 0, cacheHits: 0 },
    }),
    tables: async () => [],
    table: async () => {
      throw new Error('not in the bench');
    },
  };
}

/** `runs` warm loads of the Coverage view to its drawn heatmap: as timed here and by the page. */
async function timeLoads(
  page: Page,
  url: string,
  size: (typeof SIZES)[number],
  runs: number,
): Promise<{ loads: number[]; inPage: number[] }> {
  const loads: number[] = [];
  const inPage: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    await page.goto(`${url}/?r=${i}#coverage?days=${size.days}`);
    await page.waitForSelector(`canvas[data-drawn="${size.days * size.tables}"]`);
    loads.push(Date.now() - started);
    // The page's own clock: navigation start to the heatmap drawn (no CDP round trips).
    inPage.push(Number(await page.locator('canvas[data-drawn]').getAttribute('data-drawn-ms')));
  }
  return { loads, inPage };
}

/** Milliseconds from a mouse move over the heatmap to its hover read-out. */
async function timeHover(page: Page): Promise<number> {
  const canvas = await page.locator('canvas[data-drawn]').boundingBox();
  const hoverStarted = Date.now();
  await page.mouse.move((canvas?.x ?? 0) + 200, (canvas?.y ?? 0) + 30);
  await page.locator('[data-testid=heatmap-hover]', { hasText: /\d{4}-\d\d-\d\d/ }).waitFor();
  return Date.now() - hoverStarted;
}
