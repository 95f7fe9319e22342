/**
 * The reliability suite's workbench: one temporary working folder per test file, with its own
 * THERMOCLINE_HOME and either its own schema on the PostgreSQL server or the embedded PGlite under
 * that home (what `npm start` uses on a machine without a server), and the CLI run as a child process the way a user runs it — to completion, or started and then
 * signalled, killed at a named point (`test/support/kill-point.cjs`) or left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { SampleOptions } from '#core/sample/generator';
import { loadSample } from '#core/sample/load';
import { quoteIdent } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';
import type { CliRun } from '#test/support/cli';
import { findServer } from '#test/support/database';
import { duckString } from '#test/support/lake';

const CLI = resolve(__dirname, '../../bin/thermocline-cli.cjs');
const KILL_POINT = resolve(__dirname, 'kill-point.cjs');

/**
 * The hot database a workbench runs on: `server`, the PostgreSQL server (DATABASE_URL, else
 * 127.0.0.1:5432); `pglite`, the embedded PGlite under THERMOCLINE_HOME, opened and served by the
 * CLI processes themselves (no DATABASE_URL, no PG* in their environment).
 */
export type Engine = 'server' | 'pglite';

/** Options of {@link openWorkbench}. */
export interface WorkbenchOptions {
  /** @default 'server' */
  readonly engine?: Engine;
  /** `thermocline.config.json` to write into the working folder. @default none: the sample's */
  readonly config?: unknown;
  /**
   * Load the sample data set (in this process, as `thermocline seed` does: no CLI start-up).
   * @default no sample
   */
  readonly sample?: Partial<SampleOptions>;
}

/** Options of one CLI run. */
export interface RunOptions {
  /** Extra environment variables (on top of the workbench's). */
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILL the process when it reaches this point (see kill-point.cjs). */
  readonly killAt?: 'copy' | 'encode' | 'upload' | 'commit';
  /** Kill a hung run after this long. @default 90 s */
  readonly timeoutMs?: number;
}

/** A CLI process still running. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Output so far. */
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves when stdout or stderr has printed text matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has ended. */
  readonly done: Promise<CliRun>;
}

/** A working folder, a THERMOCLINE_HOME and a schema of one reliability test file. */
export interface Workbench {
  readonly work: string;
  readonly home: string;
  readonly engine: Engine;
  /** The workbench's schema on the server; `public` on PGlite. */
  readonly schema: string;
  /** The variables every run gets: database, schema, home. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * The hot database: a connection to the server with `search_path` at the workbench's schema;
   * on PGlite, each call opens the embedded database and closes it again, so that the CLI
   * processes, not this one, own PGlite between calls (as on a user's machine).
   */
  readonly db: SqlDatabase;
  /** The local lake (catalog and object store) under the home. */
  readonly lake: ReturnType<typeof openLocalLake>;
  run(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  start(args: readonly string[], options?: RunOptions): RunningCli;
  /** Drops the schema, closes the connection, deletes the folder. */
  cleanup(): Promise<void>;
}

/**
 * Opens a workbench on the PostgreSQL server — or returns undefined when none answers (the
 * reliability suite needs one; CI sets THERMOCLINE_REQUIRE_SERVER=1 so it cannot pass without) —
 * or, with `engine: 'pglite'`, on the embedded PGlite under its home.
 * @example
 * const bench = await openWorkbench('crash', { engine: 'pglite', sample: {} });
 */
export async function openWorkbench(
  name: string,
  options: WorkbenchOptions = {},
): Promise<Workbench | undefined> {
  const engine = options.engine ?? 'server';
  const server = engine === 'server' ? await findServer() : undefined;
  if (engine === 'server' && !server) {
    if (process.env.THERMOCLINE_REQUIRE_SERVER === '1') {
      throw new Error('the reliability suite needs the PostgreSQL server and none answers');
    }
    return undefined;
  }
  const work = await mkdtemp(join(tmpdir(), `thermocline-reliability-${name}-${engine}-`));
  const home = join(work, '.thermocline');
  const schema = server ? `reliability_${name.replaceAll('-', '_')}_${process.pid}` : 'public';
  const env: NodeJS.ProcessEnv = server
    ? { ...server.env, THERMOCLINE_SCHEMA: schema, THERMOCLINE_HOME: home }
    : { THERMOCLINE_HOME: home };
  let db: SqlDatabase;
  if (server) {
    const admin = await openDatabase({ env: server.env, home: work });
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await admin.close();
    db = await openDatabase({ env: server.env, home: work, schema });
  } else {
    db = openedPerCall(home);
  }
  if (options.config !== undefined) {
    await writeFile(join(work, 'thermocline.config.json'), JSON.stringify(options.config));
  }

  const start = (args: readonly string[], runOptions: RunOptions = {}): RunningCli => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: work,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...env,
        ...runOptions.env,
        ...(runOptions.killAt
          ? { THERMOCLINE_KILL_AT: runOptions.killAt, NODE_OPTIONS: `--require ${KILL_POINT}` }
          : {}),
      },
      timeout: runOptions.timeoutMs ?? 90_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    const waiters: { pattern: RegExp; ready: () => void }[] = [];
    const wake = (): void => {
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(stdout) || waiter.pattern.test(stderr)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.ready();
        }
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), wake()));
    child.stderr?.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), wake()));
    const done = new Promise<CliRun>((end) =>
      child.on('close', (code, signal) => end({ code, signal, stdout, stderr })),
    );
    return {
      child,
      done,
      output: () => ({ stdout, stderr }),
      waitFor: (pattern, timeoutMs = 60_000) =>
        new Promise<void>((ready, fail) => {
          const timer = setTimeout(
            () => fail(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
            timeoutMs,
          );
          waiters.push({ pattern, ready: () => (clearTimeout(timer), ready()) });
          void done.then(() => fail(new Error(`ended before ${pattern}:\n${stdout}\n${stderr}`)));
          wake();
        }),
    };
  };

  const bench: Workbench = {
    work,
    home,
    engine,
    schema,
    env,
    db,
    lake: openLocalLake(home),
    start,
    run: (args, runOptions) => start(args, runOptions).done,
    cleanup: async () => {
      if (server) {
        await db
          .query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
          .catch(() => undefined);
      }
      await db.close();
      await rm(work, { recursive: true, force: true });
    },
  };
  if (options.sample) {
    const sample = { seed: 42, days: 3, scale: 0.05, endDate: '2025-02-15', ...options.sample };
    if (server) await loadSample(db, sample);
    else {
      // One opening of PGlite for the whole load.
      const embedded = await openDatabase({ env: {}, home });
      await loadSample(embedded, sample).finally(() => embedded.close());
    }
  }
  return bench;
}

/**
 * The embedded database under `home`, opened for each call and closed after it: this process
 * holds PGlite only while it asks something (it joins a CLI process that serves it, or opens it
 * itself when none does).
 */
function openedPerCall(home: string): SqlDatabase {
  const use = async <T>(work: (db: SqlDatabase) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ env: {}, home });
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };
  return {
    target: { kind: 'embedded', url: '', description: `embedded PostgreSQL (PGlite) in ${home}` },
    schema: 'public',
    query: (sql, params) => use((db) => db.query(sql, params)),
    copyFrom: (sql, chunks) => use((db) => db.copyFrom(sql, chunks)),
    copyTo: () => {
      throw new Error('copyTo needs a session: run it inside db.transaction(…)');
    },
    transaction: (work) => use((db) => db.transaction(work)),
    close: async () => undefined,
  };
}

/** Milliseconds since `started`, for the figures the scenarios print. */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}

/** Prints a scenario's figures (one line, greppable: `reliability <scenario>: …`). */
export function figures(scenario: string, values: Record<string, unknown>): void {
  process.stdout.write(
    `reliability ${scenario}: ${Object.entries(values)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')}\n`,
  );
}

/** What the catalog publishes of one table-day, read back by DuckDB. */
export interface PublishedDay {
  /** The current version's run id (undefined: the day is not published). */
  readonly runId: string | undefined;
  readonly rows: number;
  /** Distinct values of the key column. */
  readonly keys: number;
  /** The `v=<run>` folders under the partition's path (current, replaced, dead). */
  readonly folders: string[];
}

/**
 * The current version of one partition of `table` (a `ymd` layout day) as published.
 * @example
 * const day = await publishedDay(bench, 'agent_tasks', '2025-02-14', 'id');
 */
export async function publishedDay(
  bench: Workbench,
  table: string,
  day: string,
  key: string,
): Promise<PublishedDay> {
  const [year, month, dd] = day.split('-') as [string, string, string];
  const prefix = `${table}/year=${year}/month=${month}/day=${dd}/`;
  // From the file system: a folder holding only a dead upload's temporary file counts too.
  const folders = (
    await readdir(join(bench.home, 'lake', prefix)).catch((): string[] => [])
  ).sort();
  const partition = await bench.lake.catalog.getPartition(table, [year, month, dd]);
  if (!partition) return { runId: undefined, rows: 0, keys: 0, folders };
  const files = (await bench.lake.store.list(partition.location))
    .filter((o) => o.key.endsWith('.parquet'))
    .map((o) => bench.lake.store.locate(o.key));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const [row] = (
      await connection.runAndReadAll(
        `SELECT count(*)::INT AS n, count(DISTINCT ${key})::INT AS k FROM read_parquet([${files
          .map(duckString)
          .join(', ')}], hive_partitioning = false)`,
      )
    ).getRowObjectsJS() as { n: number; k: number }[];
    return { runId: partition.runId, rows: row?.n ?? 0, keys: row?.k ?? 0, folders };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
