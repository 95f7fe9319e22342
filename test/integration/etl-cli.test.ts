import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { EtlExecution } from '#runtime/local/etl-runtime';
import type { RunSummary } from '#etl/run';
import type { RunsReport } from '#ports/insights';
import { thermocline } from '#test/support/cli';

const SAMPLE = ['--days', '3', '--scale', '0.02', '--end', '2025-02-15'];

/** Rows readers see for a table-day: the catalog's current files, read by DuckDB. */
async function publishedRows(home: string, table: string, values: string[]): Promise<number> {
  const { store, catalog } = openLocalLake(home);
  const partition = await catalog.getPartition(table, values);
  if (!partition) return 0;
  const files = (await store.list(partition.location))
    .filter((o) => o.key.endsWith('.parquet'))
    .map((o) => `'${store.locate(o.key)}'`);
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    const reader = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet([${files.join(', ')}], hive_partitioning = false)`,
    );
    return Number(reader.getRowObjects()[0]?.n);
  } finally {
    duck.closeSync();
  }
}

// One embedded database and lake for the whole file: `up` seeds three days and exports them.
describe('thermocline etl run / backfill', () => {
  let work: string;
  let home: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-etl-cli-'));
    home = join(work, '.thermocline');
    const up = await thermocline(['up', '--once', '--json', ...SAMPLE], { cwd: work });
    expect(up.code).toBe(0);
    const out = JSON.parse(up.stdout) as { exported: RunSummary };
    // npm start exports every closed day: 3 days x 6 tables.
    expect(out.exported.published).toHaveLength(18);
    expect(out.exported.failed).toEqual([]);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('exports one day of one table and prints the summary as JSON', async () => {
    const run = await thermocline(
      ['etl', 'run', '--date', '2025-02-14', '--table', 'events', '--json'],
      {
        cwd: work,
      },
    );

    expect(run.code).toBe(0);
    const { execution, states, summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(execution.status).toBe('SUCCEEDED');
    expect(summary.published.map((r) => [r.table, r.day])).toEqual([['events', '2025-02-14']]);
    expect(summary.published[0]?.partitions).toBeGreaterThan(1);
    // It ran the state machine definition: PlanRun, the Map, the changed-days check (nothing to
    // compare for a given day), the failure check; the day fits one task, so it is not split.
    expect(states.filter((s) => s.event === 'StateEntered').map((s) => s.state)).toEqual([
      'PlanRun',
      'AnyWork',
      'ExportTableDays',
      'ExportTableDay',
      'InChunks',
      'TableDayExported',
      'CheckExportFailures',
      'AnyExportFailed',
      'NoExportFailures',
      'FindChangedDays',
      'AnyChanged',
      'NoReexportFailures',
      'CountFailures',
      'AnyFailed',
      'Succeeded',
    ]);
  });

  it('backfills a range for every table', async () => {
    const run = await thermocline(
      ['backfill', '--from', '2025-02-13', '--to', '2025-02-14', '--json'],
      {
        cwd: work,
      },
    );

    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(summary.published).toHaveLength(12);
    expect(summary.failed).toEqual([]);
  });

  it('records each run in the history `thermocline runs` prints, newest first', async () => {
    const runs = await thermocline(['runs', '--json'], { cwd: work });

    expect(runs.code).toBe(0);
    const { runs: records, damaged } = JSON.parse(runs.stdout) as RunsReport;
    expect(damaged).toBe(0);
    // The two tests above (etl run, then backfill), after up's catch-up export and sync.
    expect(records.map((r) => r.kind)).toEqual(['backfill', 'etl', 'sync', 'catch-up']);
    expect(records.map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(records.map((r) => r.done.length)).toEqual([12, 1, expect.any(Number), 18]);
    expect(records[1]?.done[0]).toMatchObject({ table: 'events', day: '2025-02-14' });
    expect(records[1]?.rows).toBeGreaterThan(0);
  });

  it('refuses a day that is not closed yet, naming the last one it can export', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const run = await thermocline(['etl', 'run', '--date', today, '--table', 'workflows'], {
      cwd: work,
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `${today} is not closed yet for table 'workflows' \\(export_lag_days 1\\); the last day it can export is \\d{4}-\\d{2}-\\d{2}`,
      ),
    );
  });

  it('names the known tables when --table is not one of them', async () => {
    const run = await thermocline(['etl', 'run', '--table', 'agent_taks'], { cwd: work });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'agent_taks'.*agent_tasks/);
  });

  it("exports a user's own table named in the config file", async () => {
    const db = await openDatabase({ env: {}, home });
    try {
      await db.query(
        `CREATE TABLE public.orders (order_id int8 PRIMARY KEY, placed_at timestamptz NOT NULL, total numeric(10,2))`,
      );
      await db.query(
        `INSERT INTO public.orders SELECT g, TIMESTAMPTZ '2025-02-14 00:00:00+00' + g * interval '1 hour', g * 9.99 FROM generate_series(1, 30) g`,
      );
    } finally {
      await db.close();
    }
    const config = join(work, 'my-tables.json');
    await writeFile(
      config,
      JSON.stringify({
        tables: [
          {
            name: 'orders',
            primary_key: ['order_id'],
            timestamp_column: 'placed_at',
            partition_layout: 'ymd',
          },
        ],
      }),
    );

    const run = await thermocline(
      ['--config', config, 'etl', 'run', '--date', '2025-02-14', '--table', 'orders', '--json'],
      { cwd: work },
    );

    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(summary.published.map((r) => [r.table, r.rows])).toEqual([['orders', 23]]);
    expect(await publishedRows(home, 'orders', ['2025', '02', '14'])).toBe(23);
  });

  it('exits 2 naming the config key, with no alert, when the config names a column PostgreSQL lacks', async () => {
    const config = join(work, 'wrong-column.json');
    await writeFile(
      config,
      JSON.stringify({
        tables: [
          {
            name: 'orders',
            primary_key: ['order_id'],
            timestamp_column: 'placed',
            partition_layout: 'ymd',
          },
        ],
      }),
    );
    const alertsBefore = await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '');

    const run = await thermocline(
      ['--config', config, 'etl', 'run', '--date', '2025-02-14', '--table', 'orders'],
      { cwd: work },
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "wrong-column.json: tables[name=orders].timestamp_column: table 'orders' has no column 'placed' named in its config (timestamp_column); its columns: order_id, placed_at, total",
    );
    expect(await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '')).toBe(alertsBefore);
  });

  it('exits 2 naming on_schema_change when a column was added, then adds it once the config allows', async () => {
    const db = await openDatabase({ env: {}, home });
    try {
      await db.query(`ALTER TABLE public.orders ADD COLUMN note text`);
      await db.query(`UPDATE public.orders SET note = 'n' || order_id`);
    } finally {
      await db.close();
    }
    const table = {
      name: 'orders',
      primary_key: ['order_id'],
      timestamp_column: 'placed_at',
      partition_layout: 'ymd',
    };
    const strict = join(work, 'orders-strict.json');
    const append = join(work, 'orders-append.json');
    await writeFile(strict, JSON.stringify({ tables: [table] }));
    await writeFile(
      append,
      JSON.stringify({ tables: [{ ...table, on_schema_change: 'append_new_columns' }] }),
    );
    const alertsBefore = await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '');
    const args = ['etl', 'run', '--date', '2025-02-15', '--table', 'orders'];

    const refused = await thermocline(['--config', strict, ...args], { cwd: work });
    const added = await thermocline(['--config', append, ...args], { cwd: work });

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "orders-strict.json: tables[name=orders].on_schema_change: cannot export orders: its columns in PostgreSQL differ from the lake table's and on_schema_change is 'fail': new column 'note' string (PostgreSQL text) is not in the lake table.",
    );
    expect(await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '')).toBe(alertsBefore);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(
      "Lake table orders changed with 2025-02-15: added column 'note' string.",
    );
  });

  it('publishes the other tables, alerts and exits 1 when one table-day fails', async () => {
    const db = await openDatabase({ env: {}, home });
    try {
      await db.query(
        `CREATE TABLE public.places (id int8 PRIMARY KEY, at timestamptz NOT NULL, spot point)`,
      );
    } finally {
      await db.close();
    }
    const config = join(work, 'with-places.json');
    await writeFile(
      config,
      JSON.stringify({
        tables: [
          { name: 'places', primary_key: ['id'], timestamp_column: 'at', partition_layout: 'ymd' },
        ],
      }),
    );

    const run = await thermocline(
      ['--config', config, 'etl', 'run', '--date', '2025-02-14', '--json'],
      {
        cwd: work,
      },
    );

    expect(run.code).toBe(1);
    const { execution, summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(execution.error?.error).toBe('EtlFailed');
    expect(summary.failed).toEqual([
      {
        table: 'places',
        day: '2025-02-14',
        error: expect.stringMatching(
          /UnsupportedTypeError: cannot export places.spot: PostgreSQL type 'point'/,
        ),
      },
    ]);
    expect(summary.published).toHaveLength(6); // the sample's tables still published
    const alerts = await readFile(join(home, 'alerts.log'), 'utf8');
    expect(alerts).toMatch(/Thermocline ETL failed.*places/);
  });

  it('leaves the previous version readable and nothing partial visible when killed mid-write', async () => {
    const values = ['2025', '02', '15'];
    const { catalog, store } = openLocalLake(home);
    const before = await catalog.getPartition('agent_tasks', values);
    const rowsBefore = await publishedRows(home, 'agent_tasks', values);

    const killed = await thermocline(
      ['etl', 'run', '--date', '2025-02-15', '--table', 'agent_tasks'],
      {
        cwd: work,
        env: { THERMOCLINE_FAULT: 'kill-after-upload' },
      },
    );

    expect(killed.signal).toBe('SIGKILL');
    expect(await catalog.getPartition('agent_tasks', values)).toEqual(before);
    expect(await publishedRows(home, 'agent_tasks', values)).toBe(rowsBefore);
    const folders = new Set(
      (await store.list('agent_tasks/year=2025/month=02/day=15/')).map((o) => o.key.split('/')[4]),
    );
    expect(folders.size).toBe(2); // the current version and the dead run's, which no reader sees

    const rerun = await thermocline(
      ['etl', 'run', '--date', '2025-02-15', '--table', 'agent_tasks', '--json'],
      {
        cwd: work,
      },
    );
    expect(rerun.code).toBe(0);
    const after = await catalog.getPartition('agent_tasks', values);
    expect(after?.runId).not.toBe(before?.runId);
    expect(await publishedRows(home, 'agent_tasks', values)).toBe(rowsBefore);
    const remaining = new Set(
      (await store.list('agent_tasks/year=2025/month=02/day=15/')).map((o) => o.key.split('/')[4]),
    );
    expect([...remaining].sort()).toEqual([`v=${before?.runId}`, `v=${after?.runId}`].sort());
    const manifest = JSON.parse(
      await readFile(join(home, 'lake/agent_tasks/_manifests/2025-02-15.json'), 'utf8'),
    ) as { run_id: string };
    expect(manifest.run_id).toBe(after?.runId);
  });
});
