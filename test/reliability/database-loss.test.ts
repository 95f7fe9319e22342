import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { EtlExecution } from '#runtime/local/etl-runtime';
import { quoteIdent } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';
import { thermocline } from '#test/support/cli';
import { findServer } from '#test/support/database';
import {
  figures,
  openWorkbench,
  publishedDay,
  since,
  type RunningCli,
  type Workbench,
} from '#test/support/workbench';

const DAY = '2025-02-14';
/** One table whose day takes seconds to read (a view with pg_sleep per row). */
const SLOW_CONFIG = {
  use_sample_defaults: false,
  tables: [
    { name: 'slow_readings', primary_key: ['id'], timestamp_column: 'at', partition_layout: 'ymd' },
  ],
  mappings: [],
  s3_sources: [],
};

// Faults of the database under `etl run`, on the PostgreSQL server (the embedded one lives inside
// the CLI process, so it cannot be dropped from outside): unreachable at start, or its
// connections dropped mid-run. Both exit 3 (docs/cli.md) and publish nothing.
describe('etl run when PostgreSQL is unreachable or drops its connections mid-run', () => {
  let work: string;
  let admin: SqlDatabase | undefined;
  let env: NodeJS.ProcessEnv = {};
  const schema = `tc_etl_faults_${process.pid}`;
  const app = `tc-etl-faults-${process.pid}`;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-etl-faults-'));
    const server = await findServer();
    if (!server) return;
    env = { ...server.env, THERMOCLINE_SCHEMA: schema, PGAPPNAME: app };
    admin = await openDatabase({ env: server.env, home: work });
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    // A table whose day takes seconds to read (pg_sleep per row), so the COPY is caught running.
    await admin.query(
      `CREATE TABLE ${quoteIdent(schema)}.readings (id int8 PRIMARY KEY, at timestamptz NOT NULL, value float8)`,
    );
    await admin.query(
      `INSERT INTO ${quoteIdent(schema)}.readings SELECT g, TIMESTAMPTZ '${DAY} 00:00:00+00' + g * interval '1 minute', g FROM generate_series(1, 300) g`,
    );
    await admin.query(
      `CREATE VIEW ${quoteIdent(schema)}.slow_readings AS SELECT * FROM ${quoteIdent(schema)}.readings WHERE pg_sleep(0.02) IS NOT NULL`,
    );
    await writeFile(join(work, 'thermocline.config.json'), JSON.stringify(SLOW_CONFIG));
  });

  afterAll(async () => {
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await admin.close();
    }
    await rm(work, { recursive: true, force: true });
  });

  it('exits 3 at start when the server does not answer, and publishes nothing', async () => {
    const started = performance.now();
    const run = await thermocline(['etl', 'run', '--date', DAY, '--json'], {
      cwd: work,
      env: { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:9/postgres' },
      timeoutMs: 60_000,
    });
    const ms = Math.round(performance.now() - started);

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'database_unavailable', message: expect.stringMatching(/ECONNREFUSED/) },
    });
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const { catalog, store } = openLocalLake(join(work, '.thermocline'));
    expect(await catalog.listPartitions('slow_readings')).toEqual([]);
    expect(await store.list('slow_readings/')).toEqual([]);
    process.stdout.write(`reliability database-loss unreachable: exit=3 fail_ms=${ms}\n`);
  }, 90_000);

  it('fails cleanly when dropped mid-run, alerted, with exit code 3 and nothing published', async () => {
    if (!admin) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1'); // CI always has one
      return;
    }
    const db = admin;
    let running = true;
    // Once the export's COPY runs, terminate every connection of the CLI until it exits.
    const killer = (async () => {
      let copying = false;
      while (running) {
        if (!copying) {
          const rows = await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'COPY%'`,
            [app],
          );
          copying = Number(rows[0]?.n) > 0;
        }
        if (copying) {
          await db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
            [app],
          );
        }
        await new Promise((done) => setTimeout(done, 50));
      }
      return copying;
    })();

    const started = performance.now();
    const run = await thermocline(['etl', 'run', '--date', DAY, '--json'], {
      cwd: work,
      env,
      timeoutMs: 90_000,
    });
    running = false;
    const ms = Math.round(performance.now() - started);

    expect(await killer).toBe(true);
    // No crash: a JSON report on stdout (before the fix: an unhandled 'error' event, a stack
    // trace and empty stdout).
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 3,
      stderr: expect.not.stringMatching(/Unhandled|node:events/),
    });
    const { execution, summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(execution.status).toBe('FAILED');
    expect(summary.failed).toEqual([
      { table: 'slow_readings', day: DAY, error: expect.stringMatching(/^TransientError: /) },
    ]);
    expect(await readFile(join(work, '.thermocline', 'alerts.log'), 'utf8')).toMatch(
      /Thermocline ETL failed.*slow_readings/,
    );
    const { catalog } = openLocalLake(join(work, '.thermocline'));
    expect(await catalog.listPartitions('slow_readings')).toEqual([]);
    process.stdout.write(`reliability database-loss mid-run: exit=3 run_ms=${ms}\n`);
  }, 120_000);
});

/**
 * The PGlite counterpart of a lost server: the embedded database lives inside the process that
 * opened it, so it is lost when that process dies. Here a `serve` opened it and an `etl run`
 * shares it; the `serve` is killed with SIGKILL once the export holds its table-day's lease (its
 * COPY of the slow view follows). The `etl run` must take the data directory over (the lock names
 * a dead process), retry the table-day and publish it once.
 */
describe('etl run when the process serving PGlite is killed mid-run (pglite)', () => {
  let bench: Workbench | undefined;
  let holder: RunningCli | undefined;

  beforeAll(async () => {
    bench = await openWorkbench('database-loss', { engine: 'pglite', config: SLOW_CONFIG });
    await bench?.db.transaction(async (session) => {
      await session.query(
        'CREATE TABLE readings (id int8 PRIMARY KEY, at timestamptz NOT NULL, value float8)',
      );
      await session.query(
        `INSERT INTO readings SELECT g, TIMESTAMPTZ '${DAY} 00:00:00+00' + g * interval '1 minute', g FROM generate_series(1, 300) g`,
      );
      await session.query(
        'CREATE VIEW slow_readings AS SELECT * FROM readings WHERE pg_sleep(0.02) IS NOT NULL',
      );
    });
  }, 120_000);

  afterAll(async () => {
    if (holder && holder.child.exitCode === null && holder.child.signalCode === null) {
      holder.child.kill('SIGKILL');
      await holder.done;
    }
    await bench?.cleanup();
  });

  it('takes the database over, retries the table-day and publishes it once', async () => {
    const b = bench as Workbench;
    holder = b.start(['serve', '--port', '0']);
    await holder.waitFor(/Press Ctrl-C/, 90_000);
    const lock = JSON.parse(await readFile(join(b.home, 'postgres.json'), 'utf8')) as {
      pid: number;
    };
    expect(lock.pid).toBe(holder.child.pid);

    // Act: the export shares the serve's PGlite; the serve dies once the lease is taken.
    const started = performance.now();
    const run = b.start(['etl', 'run', '--date', DAY, '--json'], { timeoutMs: 120_000 });
    let leased = false;
    for (let i = 0; i < 600 && !leased && run.child.exitCode === null; i++) {
      const rows = await b.db
        .query<{ n: string }>(
          "SELECT count(*) AS n FROM thermocline_leases WHERE table_name = 'slow_readings'",
        )
        .catch(() => [{ n: '0' }]); // the lease table is created by the first export
      leased = Number(rows[0]?.n) > 0;
      if (!leased) await new Promise((done) => setTimeout(done, 100));
    }
    holder.child.kill('SIGKILL');
    await holder.done;
    const ended = await run.done;
    const ms = since(started);

    // Assess
    expect(leased).toBe(true);
    expect({ code: ended.code, stderr: ended.stderr }).toEqual({ code: 0, stderr: '' });
    const { summary } = JSON.parse(ended.stdout) as EtlExecution;
    expect(summary.failed).toEqual([]);
    const day = await publishedDay(b, 'slow_readings', DAY, 'id');
    expect({ rows: day.rows, keys: day.keys, folders: day.folders.length }).toEqual({
      rows: 300,
      keys: 300,
      folders: 1,
    });
    expect(await b.db.query('SELECT count(*)::int AS n FROM readings')).toEqual([{ n: 300 }]);
    figures('database-loss pglite', { owner_killed: 'serve', exit: ended.code, run_ms: ms });
  }, 240_000);
});
