import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  figures,
  openWorkbench,
  publishedDay,
  since,
  type Engine,
  type PublishedDay,
  type Workbench,
} from '#test/support/workbench';

const DAY = '2025-02-14';

/** One table per kill point, so the four crashes run at once (one CLI start-up's time). */
const CASES = [
  { point: 'copy', table: 'agent_tasks', column: 'created_at' },
  { point: 'encode', table: 'agent_metrics', column: 'recorded_at' },
  { point: 'upload', table: 'agent_interactions', column: 'created_at' },
  { point: 'commit', table: 'user_sessions', column: 'started_at' },
] as const;

/**
 * On PGlite the killed process is the one that opened the data directory, so each kill leaves
 * it unclosed. One at a time (four at once would share one process's PGlite and die with it),
 * and two points: mid-COPY (inside a read transaction, the lease held) and after the catalog
 * switch (the lease held, no transaction); at `encode` and `upload` the database is as at
 * `commit`, and the lake side is the server run's.
 */
const CASES_BY_ENGINE: Record<Engine, readonly (typeof CASES)[number][]> = {
  server: CASES,
  pglite: CASES.filter((c) => c.point === 'copy' || c.point === 'commit'),
};

/** The hot rows of the day in each case's table, in one query (one opening of PGlite). */
async function hotRows(bench: Workbench): Promise<Map<string, number>> {
  const rows = await bench.db.query<{ t: string; n: string }>(
    CASES.map(
      ({ table, column }) =>
        `SELECT '${table}' AS t, count(*) AS n FROM ${table} WHERE ${column} >= $1::date AND ${column} < $1::date + 1`,
    ).join(' UNION ALL '),
    [DAY],
  );
  return new Map(rows.map((r) => [r.t, Number(r.n)]));
}

/**
 * `kill -9` of `etl run` at each point of an export (test/support/kill-point.cjs: during the
 * COPY, after the encode, mid-upload, between the catalog switch and the day manifest), then a
 * rerun: the day is published once and whole, no key twice, and the dead runs' version folders,
 * scratch folders, leases and catalog leftovers are gone. On PGlite, also: the data directory
 * the killed process held open reopens with every hot row.
 */
describe.each<Engine>(['server', 'pglite'])(
  'etl run killed with SIGKILL at each point, then run again (%s)',
  (engine) => {
    const cases = CASES_BY_ENGINE[engine];
    let bench: Workbench | undefined;
    let hot = new Map<string, number>();
    const before = new Map<string, PublishedDay>();
    let setupMs = 0;

    beforeAll(async () => {
      bench = await openWorkbench('crash', { engine, sample: {} });
      if (!bench) return;
      hot = await hotRows(bench);
      // The day published once already: a crash must leave this version readable.
      const firstAt = performance.now();
      const first = await bench.run(['etl', 'run', '--date', DAY, '--json']);
      setupMs = since(firstAt);
      expect(first.code).toBe(0);
      for (const { table } of cases) before.set(table, await publishedDay(bench, table, DAY, 'id'));
    }, 120_000);

    afterAll(async () => {
      await bench?.cleanup();
    });

    it('leaves each table-day readable and whole, and the rerun publishes it once', async () => {
      if (!bench) {
        expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
        return;
      }
      const b = bench;

      // Act: runs each killed at its point (at once on the server, one by one on PGlite) …
      figures(`crash-recovery setup ${engine}`, { first_run_ms: setupMs });
      const killedAt = performance.now();
      const kill = async ({ point, table }: (typeof CASES)[number]) => {
        const running = b.start(['etl', 'run', '--date', DAY, '--table', table], { killAt: point });
        return { point, table, pid: running.child.pid, run: await running.done };
      };
      const killed: Awaited<ReturnType<typeof kill>>[] = [];
      if (engine === 'server') killed.push(...(await Promise.all(cases.map(kill))));
      else for (const c of cases) killed.push(await kill(c));
      const killMs = since(killedAt);

      // Assess: killed where asked; readers see the previous version whole — or, killed after the
      // switch, the new one whole (its day manifest not written yet).
      const left = new Map<string, PublishedDay>();
      for (const { point, table, run } of killed) {
        expect({
          point,
          signal: run.signal,
          marker: run.stderr.includes(`kill-point ${point}`),
        }).toEqual({ point, signal: 'SIGKILL', marker: true });
        const day = await publishedDay(b, table, DAY, 'id');
        left.set(table, day);
        expect({ table, switched: day.runId !== before.get(table)?.runId }).toEqual({
          table,
          switched: point === 'commit',
        });
        expect({ table, rows: day.rows, keys: day.keys }).toEqual({
          table,
          rows: hot.get(table),
          keys: hot.get(table),
        });
      }
      const deadFolders = cases.map(
        ({ table }) =>
          (left.get(table)?.folders ?? []).filter((f) => !before.get(table)?.folders.includes(f))
            .length,
      );
      // Killed mid-upload, the dead run's folder is there (invisible to readers) until the rerun.
      expect(deadFolders).toEqual(
        cases.map(({ point }) => (point === 'upload' || point === 'commit' ? 1 : 0)),
      );
      expect(
        (await readdir(tmpdir())).filter((f) =>
          killed.some(({ pid }) => f.startsWith(`thermocline-encode-${pid}-`)),
        ).length,
      ).toBeGreaterThan(0); // the scratch folders the kills left

      if (engine === 'pglite') {
        // The last kill left PGlite's lock naming a dead process; the data directory reopens (the
        // workbench's query replaces the lock) with every hot row.
        const lock = JSON.parse(await readFile(join(b.home, 'postgres.json'), 'utf8')) as {
          pid: number;
        };
        expect(lock.pid).toBe(killed[killed.length - 1]?.pid);
        expect(await hotRows(b)).toEqual(hot);
      }

      // Act: … then one rerun of the day.
      const rerunAt = performance.now();
      const rerun = await b.run(['etl', 'run', '--date', DAY, '--json']);
      const rerunMs = since(rerunAt);

      // Assess
      expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
      for (const { table } of cases) {
        const after = await publishedDay(b, table, DAY, 'id');
        expect({ table, rows: after.rows, keys: after.keys }).toEqual({
          table,
          rows: hot.get(table),
          keys: hot.get(table),
        });
        // Kept: the new version and the one it replaced (queries may still read it); no dead one.
        expect({ table, folders: after.folders }).toEqual({
          table,
          folders: [`v=${after.runId}`, `v=${left.get(table)?.runId}`].sort(),
        });
        const manifest = JSON.parse(
          await readFile(join(b.home, 'lake', table, '_manifests', `${DAY}.json`), 'utf8'),
        ) as { run_id: string; rows: number };
        expect({ table, ...manifest }).toMatchObject({
          table,
          run_id: after.runId,
          rows: hot.get(table),
        });
        const files = await readdir(join(b.home, 'lake', table), { recursive: true });
        expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      }
      // No scratch folder, catalog lock or temporary catalog of the dead processes is left.
      expect(
        (await readdir(tmpdir())).filter((f) =>
          killed.some(({ pid }) => f.startsWith(`thermocline-encode-${pid}-`)),
        ),
      ).toEqual([]);
      expect((await readdir(b.home)).filter((f) => f.startsWith('catalog.json.'))).toEqual([]);
      if (engine === 'pglite') {
        await expect(readFile(join(b.home, 'postgres.json'))).rejects.toThrow(/ENOENT/);
      }
      figures(`crash-recovery ${engine}`, {
        points: cases.map((c) => c.point).join(','),
        kills_ms: killMs,
        rerun_ms: rerunMs,
        rows: cases.map((c) => hot.get(c.table)),
        dead_folders_cleaned: deadFolders.reduce((a, b) => a + b, 0),
      });
    }, 120_000);
  },
);
