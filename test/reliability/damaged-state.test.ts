import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { figures, openWorkbench, since, type Workbench } from '#test/support/workbench';

const DAY = '2025-02-13';
const [YEAR, MONTH, DD] = DAY.split('-') as [string, string, string];

/** Each table-day of DAY gets one kind of damage after the export; events stays sound. */
const DAMAGE = {
  agent_tasks: { column: 'created_at', damage: 'a published Parquet file deleted' },
  agent_metrics: { column: 'recorded_at', damage: 'a published Parquet file truncated' },
  agent_interactions: { column: 'created_at', damage: 'a hot row changed after the export' },
  user_sessions: { column: 'started_at', damage: 'the catalog points at a missing folder' },
} as const;
type Damaged = keyof typeof DAMAGE;
const TABLES = Object.keys(DAMAGE) as Damaged[];

interface VerifyJson {
  days: { table: string; day: string; status: string }[];
}

/**
 * Damaged local state and tampered retention evidence: the lake's files deleted or truncated, the
 * catalog pointing at a folder that is not there, a hot row changed after its day was exported,
 * catalog.json empty or invalid. `verify` reports each, `purge` deletes no hot row of those days
 * and alerts, and a damaged catalog stops every command with a message that says what to do.
 */
describe('damaged local state and tampered evidence', () => {
  let bench: Workbench | undefined;
  const hot = new Map<string, number>();

  const hotRows = async (b: Workbench, table: string, column: string): Promise<number> => {
    const [row] = await b.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${table} WHERE ${column} >= $1::date AND ${column} < $1::date + 1`,
      [DAY],
    );
    return Number(row?.n);
  };

  beforeAll(async () => {
    bench = await openWorkbench('damaged', { sample: {} });
    if (!bench) return;
    const exported = await bench.run(['etl', 'run', '--date', DAY, '--json']);
    expect(exported.code).toBe(0);
    const b = bench;
    const filesOf = async (table: string): Promise<string[]> => {
      const partition = await b.lake.catalog.getPartition(table, [YEAR, MONTH, DD]);
      return (await b.lake.store.list(partition?.location ?? '-'))
        .filter((o) => o.key.endsWith('.parquet'))
        .map((o) => b.lake.store.locate(o.key));
    };
    const [deleted] = await filesOf('agent_tasks');
    await rm(deleted ?? '-');
    const [truncated] = await filesOf('agent_metrics');
    await truncate(truncated ?? '-', 100);
    await b.db.query(
      `UPDATE agent_interactions SET message = message || ' (edited)' WHERE id = (SELECT id FROM agent_interactions WHERE created_at >= $1::date AND created_at < $1::date + 1 ORDER BY id LIMIT 1)`,
      [DAY],
    );
    const catalogPath = join(b.home, 'catalog.json');
    const catalog = await readFile(catalogPath, 'utf8');
    const sessions = await b.lake.catalog.getPartition('user_sessions', [YEAR, MONTH, DD]);
    expect(sessions).toBeDefined();
    await writeFile(
      catalogPath,
      catalog.replaceAll(
        `"${sessions?.location}"`,
        `"user_sessions/year=${YEAR}/month=${MONTH}/day=${DD}/v=gone/"`,
      ),
    );
    for (const table of TABLES) hot.set(table, await hotRows(b, table, DAMAGE[table].column));
    hot.set('events', await hotRows(b, 'events', 'occurred_at'));
  }, 120_000);

  afterAll(async () => {
    await bench?.cleanup();
  });

  const skip = (): boolean => {
    if (bench) return false;
    expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
    return true;
  };

  it('verify reports each damaged day', async () => {
    if (skip() || !bench) return;
    const started = performance.now();
    const run = await bench.run(['verify', '--from', DAY, '--to', DAY, '--json']);
    const ms = since(started);

    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as VerifyJson;
    const status = Object.fromEntries(report.days.map((d) => [d.table, d.status]));
    expect(status).toMatchObject({
      agent_tasks: 'missing files',
      agent_metrics: 'missing files',
      agent_interactions: 'mismatch',
      user_sessions: expect.stringMatching(/missing files|catalog mismatch/),
      events: 'ok',
    });
    figures('damaged-state verify', { ms, status });
  }, 120_000);

  it('purge deletes no hot row of a damaged day, alerts each, and purges the sound one', async () => {
    if (skip() || !bench) return;
    const started = performance.now();
    const run = await bench.run([
      'purge',
      '--table',
      'events',
      ...TABLES.flatMap((t) => ['--table', t]),
      '--json',
    ]);
    const ms = since(started);

    expect(run.code).toBe(1);
    for (const table of TABLES) {
      expect({ table, hot: await hotRows(bench, table, DAMAGE[table].column) }).toEqual({
        table,
        hot: hot.get(table),
      });
    }
    expect(await hotRows(bench, 'events', 'occurred_at')).toBe(0); // the sound day went
    const alerts = await readFile(join(bench.home, 'alerts.log'), 'utf8');
    for (const table of TABLES) expect(alerts).toContain(table);
    figures('damaged-state purge', {
      ms,
      held_days: TABLES.length,
      hot_rows_kept: TABLES.reduce((n, t) => n + (hot.get(t) ?? 0), 0),
      sound_rows_purged: hot.get('events'),
    });
  }, 120_000);

  it.each([
    ['empty', '', 'purge', /is damaged: it is empty/],
    ['invalid', '{"format": 1, "tables": {"agent_tas', 'verify', /is damaged: .*JSON/],
  ])(
    'a catalog.json that is %s stops the next command with what to do, and changes nothing',
    async (_kind, text, command, why) => {
      if (skip() || !bench) return;
      const catalogPath = join(bench.home, 'catalog.json');
      const saved = await readFile(catalogPath, 'utf8');
      await writeFile(catalogPath, text);
      const lakeBefore = (await readdir(join(bench.home, 'lake'), { recursive: true })).sort();
      const hotBefore = await Promise.all(TABLES.map((t) => hotRows(bench!, t, DAMAGE[t].column)));
      try {
        const run = await bench.run([command, '--json']);

        expect(run.code).toBe(1);
        expect(run.stdout + run.stderr).toMatch(why);
        expect(run.stdout + run.stderr).toMatch(/thermocline backfill --from D --to D/);
        expect(run.stderr).not.toMatch(/\n\s+at /);
        expect(await readFile(catalogPath, 'utf8')).toBe(text);
        expect((await readdir(join(bench.home, 'lake'), { recursive: true })).sort()).toEqual(
          lakeBefore,
        );
        expect(await Promise.all(TABLES.map((t) => hotRows(bench!, t, DAMAGE[t].column)))).toEqual(
          hotBefore,
        );
      } finally {
        await writeFile(catalogPath, saved);
      }
    },
    120_000,
  );
});
