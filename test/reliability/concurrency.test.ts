import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliRun } from '#test/support/cli';
import {
  figures,
  openWorkbench,
  publishedDay,
  since,
  type Engine,
  type Workbench,
} from '#test/support/workbench';

const DAY = '2025-02-14';
/** The sample's tables with the year/month/day layout, and their timestamp columns. */
const TABLES = {
  agent_tasks: 'created_at',
  agent_metrics: 'recorded_at',
  agent_interactions: 'created_at',
  user_sessions: 'started_at',
} as const;
type Table = keyof typeof TABLES;

/** The hot rows of the day in each table, in one query (one opening of PGlite). */
async function hotRows(bench: Workbench): Promise<Map<Table, number>> {
  const rows = await bench.db.query<{ t: Table; n: string }>(
    (Object.entries(TABLES) as [Table, string][])
      .map(
        ([table, column]) =>
          `SELECT '${table}' AS t, count(*) AS n FROM ${table} WHERE ${column} >= $1::date AND ${column} < $1::date + 1`,
      )
      .join(' UNION ALL '),
    [DAY],
  );
  return new Map(rows.map((r) => [r.t, Number(r.n)]));
}

/**
 * Two `etl run` of the same day, a `purge` and a `sync`, started at the same moment as four
 * processes on one home and database: the table-day leases and the catalog lock order them; each
 * ends with success or a clear message (no stack trace); no row is lost or published twice, and
 * the catalog stays intact. On PGlite the first process to start opens the data directory and
 * serves it to the other three; it ends while they still work, and the one that finds it gone
 * first takes it over.
 */
describe.each<Engine>(['server', 'pglite'])(
  'etl run twice, purge and sync at once (%s)',
  (engine) => {
    let bench: Workbench | undefined;
    let hot = new Map<Table, number>();

    beforeAll(async () => {
      bench = await openWorkbench('concurrency', { engine, sample: {} });
      if (!bench) return;
      hot = await hotRows(bench);
    }, 120_000);

    afterAll(async () => {
      await bench?.cleanup();
    });

    it('orders them: every row of the day once, in the lake or still hot too, catalog intact', async () => {
      if (!bench) {
        expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
        return;
      }
      const b = bench;
      const tables = Object.keys(TABLES) as Table[];
      const commands: Record<string, string[]> = {
        'etl run #1': ['etl', 'run', '--date', DAY, '--json'],
        'etl run #2': ['etl', 'run', '--date', DAY, '--json'],
        purge: ['purge', ...tables.flatMap((t) => ['--table', t]), '--json'],
        sync: ['sync', '--mode', 'full', '--json'],
      };

      // Act
      const started = performance.now();
      const runs: Record<string, CliRun & { ms: number }> = {};
      await Promise.all(
        Object.entries(commands).map(async ([name, args]) => {
          const at = performance.now();
          const run = await b.run(args, { timeoutMs: 180_000 });
          runs[name] = { ...run, ms: since(at) };
        }),
      );
      const wallMs = since(started);

      // Assess: the sync succeeds; an export succeeds, or — when the purge deleted the day's hot
      // rows after the other export published it — refuses to re-export those days (PurgedDayError,
      // exit 1, alerted: the lake's copy is the one to keep); the purge succeeds or holds days it
      // could not verify yet (exit 1, alerted) — never a crash.
      expect({ code: runs.sync?.code, stderr: runs.sync?.stderr }).toEqual({ code: 0, stderr: '' });
      for (const name of ['etl run #1', 'etl run #2']) {
        const run = runs[name];
        const errors = [...(run?.stderr ?? '').matchAll(/"error":"(\w+)"/g)].map((m) => m[1]);
        if (run?.code === 0) expect({ name, stderr: run.stderr }).toEqual({ name, stderr: '' });
        else
          expect({ name, code: run?.code, errors: [...new Set(errors)] }).toEqual({
            name,
            code: 1,
            errors: ['PurgedDayError'],
          });
      }
      const purge = runs.purge;
      expect([0, 1]).toContain(purge?.code);
      expect(purge?.stderr).not.toMatch(/\n\s+at |Unhandled/);
      JSON.parse(purge?.stdout ?? ''); // a report, not a crash
      // Every row of the day once in the lake; hot either all there or all purged (after the
      // export it waited for).
      const outcome: Record<string, string> = {};
      const hotAfter = await hotRows(b);
      for (const table of tables) {
        const day = await publishedDay(b, table, DAY, 'id');
        const left = hotAfter.get(table) ?? -1;
        expect({ table, rows: day.rows, keys: day.keys }).toEqual({
          table,
          rows: hot.get(table),
          keys: hot.get(table),
        });
        expect({ table, hot: [0, hot.get(table)].includes(left) }).toEqual({ table, hot: true });
        outcome[table] = left === 0 ? 'purged' : 'hot';
        const manifest = JSON.parse(
          await readFile(join(b.home, 'lake', table, '_manifests', `${DAY}.json`), 'utf8'),
        ) as { run_id: string; rows: number };
        expect({ table, ...manifest }).toMatchObject({
          table,
          run_id: day.runId,
          rows: hot.get(table),
        });
      }
      // The catalog parses and names the sync's tables too.
      const catalog = JSON.parse(await readFile(join(b.home, 'catalog.json'), 'utf8')) as {
        tables: Record<string, unknown>;
      };
      expect(Object.keys(catalog.tables)).toEqual(
        expect.arrayContaining([...tables, 'ref_members', 'ref_members_changes']),
      );
      figures(`concurrency ${engine}`, {
        wall_ms: wallMs,
        ms: Object.fromEntries(Object.entries(runs).map(([n, r]) => [n, r.ms])),
        purge_exit: purge?.code,
        outcome,
      });
    }, 240_000);
  },
);
