import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import type { LakeViewsReport } from '#adapters/duckdb/lake-views';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { PlanStatus } from '#core/query/service-contract';
import { isoFromEpochMicros } from '#core/query/rows';
import { quoteIdent } from '#core/sql/ident';
import { thermocline } from '#test/support/cli';
import { findServer } from '#test/support/database';
import { duckString } from '#test/support/lake';

const DAY = '2025-02-14';
const [YEAR, MONTH, DD] = DAY.split('-') as [string, string, string];

/** Runs `fn` on a connection to `file` opened read-only, as a reader of the views file would. */
async function withViews<T>(file: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function rowsOf(connection: DuckDBConnection, sql: string): Promise<Record<string, JS>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

/** Σ of the catalog's rows of a table: what a correct reader counts. */
async function catalogRows(home: string, table: string): Promise<number> {
  const partitions = await openLocalLake(home).catalog.listPartitions(table);
  return partitions.reduce((n, p) => n + p.rows, 0);
}

// Issue 11: readers without the catalog. One day is exported, then re-exported twice (backfill):
// the table's folder then holds the current version and the one it replaced.
describe('thermocline lake views', () => {
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let schema: string;
  let views: string;
  let lakeTables: string[];

  const run = (args: readonly string[], cwd = work): ReturnType<typeof thermocline> =>
    thermocline(args, { cwd, env });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-lake-views-'));
    home = join(work, '.thermocline');
    views = join(work, 'lake.duckdb');
    const server = await findServer();
    schema = server ? `tc_lake_views_${process.pid}` : 'public';
    env = server ? { ...server.env, THERMOCLINE_SCHEMA: schema } : {};
    const steps: string[][] = [
      ['seed', '--days', '3', '--scale', '0.02', '--end', '2025-02-15', '--json'],
      ['etl', 'run', '--date', DAY, '--json'],
      ['backfill', '--from', DAY, '--to', DAY, '--table', 'agent_tasks', '--json'],
      ['backfill', '--from', DAY, '--to', DAY, '--table', 'agent_tasks', '--json'],
      ['sync', '--mode', 'full', '--json'],
    ];
    for (const step of steps) {
      const result = await run(step);
      expect({ step: step.join(' '), code: result.code, stderr: result.stderr }).toEqual({
        step: step.join(' '),
        code: 0,
        stderr: '',
      });
    }
    lakeTables = (await openLocalLake(home).catalog.listTables()).map((t) => t.name).sort();
  }, 300_000);

  afterAll(async () => {
    if (schema !== 'public') {
      const db = await openDatabase({ env, home: work });
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    }
    await rm(work, { recursive: true, force: true });
  });

  it('a DuckDB glob over the table folder double counts a re-exported day (the problem)', async () => {
    const glob = join(home, 'lake', 'agent_tasks', '**', '*.parquet');
    const published = await catalogRows(home, 'agent_tasks');

    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    let counted: Record<string, JS> | undefined;
    try {
      [counted] = await rowsOf(
        connection,
        `SELECT count(*)::INTEGER AS n, count(DISTINCT v)::INTEGER AS versions FROM read_parquet(${duckString(glob)}, hive_partitioning = true)`,
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }

    expect(published).toBeGreaterThan(0);
    // The version folder reads as a column `v`, and the replaced version is read too.
    expect(counted).toEqual({ n: 2 * published, versions: 2 });
  });

  it('writes a view per lake table, sync ref_* tables included, each counting the catalog’s rows', async () => {
    const result = await run(['lake', 'views', '--duckdb', views, '--json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(result.stdout) as LakeViewsReport;
    expect(report.file).toBe(views);
    expect(report.views.map((v) => v.view)).toEqual(lakeTables);
    expect(lakeTables).toEqual(expect.arrayContaining(['agent_tasks', 'events', 'ref_members']));
    await withViews(views, async (connection) => {
      for (const table of lakeTables) {
        const [row] = await rowsOf(
          connection,
          `SELECT count(*)::INTEGER AS n FROM ${quoteIdent(table)}`,
        );
        expect({ table, rows: row?.n }).toEqual({ table, rows: await catalogRows(home, table) });
        expect(report.views.find((v) => v.view === table)?.rows).toBe(row?.n);
      }
      // Partition keys are constants as the catalog has them: per partition, the catalog's rows.
      const events = await rowsOf(
        connection,
        'SELECT event_type, dt, count(*)::INTEGER AS n FROM events GROUP BY ALL ORDER BY ALL',
      );
      const partitions = await openLocalLake(home).catalog.listPartitions('events');
      expect(events).toEqual(
        partitions.map((p) => ({ event_type: p.values[0], dt: p.values[1], n: p.rows })),
      );
      // The exact file list for readers that take paths (Polars, Spark): read as a path list,
      // even with Hive partitioning on, it counts the catalog's rows.
      const paths = await rowsOf(
        connection,
        "SELECT path FROM thermocline.files WHERE view = 'agent_tasks'",
      );
      const [listed] = await rowsOf(
        connection,
        `SELECT count(*)::INTEGER AS n FROM read_parquet([${paths.map((p) => duckString(String(p.path))).join(', ')}], hive_partitioning = true)`,
      );
      expect(listed?.n).toBe(await catalogRows(home, 'agent_tasks'));
      // What built the file, for its readers.
      const info = await rowsOf(connection, 'SELECT view, lake FROM thermocline.views ORDER BY 1');
      expect(info).toEqual(lakeTables.map((view) => ({ view, lake: join(home, 'lake') })));
    });
    expect(await catalogRows(home, 'agent_tasks')).toBeGreaterThan(0);
  });

  it('returns the same rows as the query API, timestamps as UTC wall time whatever the reader’s zone', async () => {
    const columns = 'id, status, tokens, cost_usd, input, error, year, month, day';
    const where = `year = '${YEAR}' AND month = '${MONTH}' AND day = '${DD}'`;
    const api = await run([
      'query',
      '--sql',
      `SELECT ${columns}, created_at, hour(created_at) AS h FROM agent_tasks WHERE ${where} ORDER BY id`,
      '--json',
    ]);
    expect(api).toMatchObject({ code: 0 });
    const status = JSON.parse(api.stdout) as PlanStatus;

    const fromViews = await withViews(views, async (connection) => {
      await connection.run("SET TimeZone = 'America/New_York'");
      return rowsOf(
        connection,
        `SELECT ${columns.replace('cost_usd', 'CAST(cost_usd AS VARCHAR) AS cost_usd')},
                epoch_us(created_at) AS created_at, hour(created_at)::INTEGER AS h
           FROM agent_tasks ORDER BY id`,
      );
    });

    const rows = status.result?.rows ?? [];
    expect(rows).toHaveLength(await catalogRows(home, 'agent_tasks'));
    expect(
      fromViews.map((row) => ({
        ...row,
        tokens: Number(row.tokens),
        created_at: isoFromEpochMicros(row.created_at as bigint),
      })),
    ).toEqual(rows);
  });

  it('replaces the file on a re-run: the views follow the catalog to a new version', async () => {
    const before = await openLocalLake(home).catalog.listPartitions('agent_tasks');
    const backfill = await run(['backfill', '--from', DAY, '--to', DAY, '--table', 'agent_tasks']);
    expect(backfill.code).toBe(0);
    const after = await openLocalLake(home).catalog.listPartitions('agent_tasks');
    expect(after[0]?.location).not.toBe(before[0]?.location);

    const result = await run(['lake', 'views', '--duckdb', views]);

    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/^agent_tasks\s+1\s+1\s+\d+$/m);
    expect(result.stdout).toContain(`to ${views}.`);
    const sql = await withViews(views, async (connection) =>
      rowsOf(connection, "SELECT sql FROM duckdb_views() WHERE view_name = 'agent_tasks'"),
    );
    expect(String(sql[0]?.sql)).toContain(after[0]?.location);
    expect(String(sql[0]?.sql)).not.toContain(before[0]?.location);
    // Built under a temporary name and renamed: nothing else is left next to it.
    expect((await readdir(work)).filter((name) => name.startsWith('lake.duckdb'))).toEqual([
      'lake.duckdb',
    ]);
  });

  it('writes only the tables named with --table', async () => {
    const file = join(work, 'two.duckdb');

    const result = await run([
      'lake',
      'views',
      '--duckdb',
      file,
      '--table',
      'events',
      '--table',
      'ref_members',
    ]);

    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`Wrote 2 view(s)`);
    const names = await withViews(file, async (connection) =>
      rowsOf(connection, 'SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1'),
    );
    expect(names).toEqual([{ view_name: 'events' }, { view_name: 'ref_members' }]);
  });

  it('names the known tables when --table is not one of them', async () => {
    const result = await run(['lake', 'views', '--duckdb', views, '--table', 'agent_taks']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /table 'agent_taks' is not in the catalog .*catalog\.json; known tables: .*agent_tasks, /,
    );
  });

  it('says to run etl run first when the lake has no catalog yet', async () => {
    const empty = join(work, 'empty-home');
    const file = join(work, 'none.duckdb');

    const result = await run(['--home', empty, 'lake', 'views', '--duckdb', file, '--json']);

    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('no_catalog');
    expect(error.message).toMatch(/no catalog yet .*run 'thermocline etl run' first/);
    expect(await readdir(work)).not.toContain('none.duckdb');
  });

  it.each([
    [
      'a folder that does not exist',
      'missing/lake.duckdb',
      /its folder does not exist \(ENOENT\); create .*missing/,
    ],
    [
      'a path through a file',
      'a-file/lake.duckdb',
      /a part of its path is a file, not a folder \(ENOTDIR\)/,
    ],
    [
      'a folder',
      'a-folder',
      /a-folder is a folder; give the path of a file, e\.g\. .*a-folder\/lake\.duckdb/,
    ],
  ])('refuses %s as the views file, with the cause', async (_what, path, message) => {
    await writeFile(join(work, 'a-file'), 'not a folder');
    await mkdir(join(work, 'a-folder'), { recursive: true });

    const result = await run(['lake', 'views', '--duckdb', join(work, path)]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('never replaces a file it did not write', async () => {
    const text = join(work, 'notes.txt');
    await writeFile(text, 'my notes');
    const mine = join(work, 'mine.duckdb');
    const instance = await DuckDBInstance.create(mine);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE important AS SELECT 42 AS answer');
    connection.closeSync();
    instance.closeSync();

    const onText = await run(['lake', 'views', '--duckdb', text]);
    const onDatabase = await run(['lake', 'views', '--duckdb', mine]);

    expect(onText.code).toBe(2);
    expect(onText.stderr).toMatch(
      /notes\.txt exists and is not a DuckDB database; .*give another path/,
    );
    expect(await readFile(text, 'utf8')).toBe('my notes');
    expect(onDatabase.code).toBe(2);
    expect(onDatabase.stderr).toMatch(
      /mine\.duckdb is a DuckDB database that 'lake views' did not write/,
    );
    const kept = await withViews(mine, (c) => rowsOf(c, 'SELECT answer FROM important'));
    expect(kept).toEqual([{ answer: 42 }]);
  });

  it('fails naming the table when a current file is missing, and keeps the previous views file', async () => {
    const [partition] = await openLocalLake(home).catalog.listPartitions('agent_tasks');
    const folder = join(home, 'lake', ...(partition?.location ?? '').split('/'));
    const current = (await readdir(folder)).filter((name) => name.endsWith('.parquet'));
    await rm(join(folder, current[0] ?? 'none'));
    const before = await readFile(views);

    const result = await run(['lake', 'views', '--duckdb', views]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot read the current files of table 'agent_tasks': .*Run 'thermocline verify --table agent_tasks'/,
    );
    expect((await readFile(views)).equals(before)).toBe(true);
    expect((await readdir(work)).filter((name) => name.startsWith('lake.duckdb.'))).toEqual([]);
  });
});
