/**
 * `npm run bench -- etl [--rows 2000000]`: one table-day of an agent_tasks-like table (uuid, text,
 * int, jsonb ~150 B, numeric(12,6), four timestamptz) exported three ways, measured in the same
 * run on the same rows, each in its own process so peak RSS is its own:
 * (a) floor: `COPY (SELECT …) TO STDOUT` into a null sink through node, measured before (c) and
 *     again right after it — `floor_s` is their mean, as the load of a shared machine moves — and,
 *     for the choice of extraction method, the same rows through a server-side cursor decoded by pg;
 * (b) reference: DuckDB reading PostgreSQL's CSV COPY through a pipe (types sniffed, as a
 *     hand-rolled script would) and writing snappy Parquet;
 * (c) Thermocline's export: exportTableDay — typed Parquet, validated by checksum, published
 *     (uuids as their text, the default) — and again with `uuid_as: 'binary'` (16-byte uuids),
 *     for what text uuids cost in Parquet bytes.
 * Then (c) again on a tenth of the rows, for memory growth. The last line is one JSON object.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parseArgs, promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { TableConfig } from '#core/config/schema';
import { qualify, quoteIdent } from '#core/sql/ident';
import { exportTableDay } from '#etl/export';
import { systemClock } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';
import { findServer } from '#adapters/scratch-database';

/** The day the bench tables' rows are on, their schema, and the table's config. */
export const DAY = '2025-02-15';
export const SCHEMA = 'thermocline_bench';

export const TABLE: TableConfig = {
  name: 'bench_tasks',
  primary_key: ['id'],
  timestamp_column: 'created_at',
  partition_layout: 'ymd',
  partition_column: null,
  export_lag_days: 1,
  hot_window_days: 30,
  hot_retention_days: 90,
};

interface Phase {
  seconds: number;
  peak_rss_mb: number;
  parquet_bytes?: number;
  /** Compressed bytes of the uuid column `id` (the Parquet footers, as the catalog records). */
  id_bytes?: number;
  rows?: number;
  steps?: Record<string, number>;
}

/** The PostgreSQL server's variables when there is one (else the embedded database). */
export async function benchEnv(): Promise<NodeJS.ProcessEnv> {
  const server = await findServer();
  return server?.env ?? {};
}

/** The bench's database in its own schema. */
export async function open(env: NodeJS.ProcessEnv): Promise<SqlDatabase> {
  return openDatabase({ env, home: join(tmpdir(), 'thermocline-bench-home'), schema: SCHEMA });
}

/** Creates the table with `rows` rows on DAY (plus a few on the days around it). */
export async function build(db: SqlDatabase, table: string, rows: number): Promise<number> {
  const name = qualify(SCHEMA, table);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(SCHEMA)}`);
  await db.query(`DROP TABLE IF EXISTS ${name}`);
  await db.query(`CREATE TABLE ${name} (
    id uuid PRIMARY KEY, task_type text NOT NULL, attempt int4 NOT NULL, input jsonb,
    cost_usd numeric(12,6), created_at timestamptz NOT NULL, started_at timestamptz,
    completed_at timestamptz, updated_at timestamptz NOT NULL)`);
  await db.query(`INSERT INTO ${name}
    SELECT md5(g::text || 'bench')::uuid,
           (ARRAY['plan','code','review','test','research'])[1 + g % 5],
           1 + g % 4,
           jsonb_build_object('prompt', 'summarize document ' || g, 'model', 'model-' || (g % 7),
                              'temperature', (g % 10) / 10.0, 'tags', jsonb_build_array('a', 'b', g % 13),
                              'source', 'https://example.com/doc/' || g),
           (g % 100000) / 1000.0 + 0.000123,
           TIMESTAMPTZ '${DAY} 00:00:00+00' + (g::float8 / ${rows} * 86399.999) * interval '1 second',
           TIMESTAMPTZ '${DAY} 00:00:00+00' + (g::float8 / ${rows} * 86399.999 + 1.5) * interval '1 second',
           CASE WHEN g % 10 = 0 THEN NULL ELSE TIMESTAMPTZ '${DAY} 00:00:00+00' + (g::float8 / ${rows} * 86399.999 + 9.25) * interval '1 second' END,
           TIMESTAMPTZ '${DAY} 00:00:00+00' + (g::float8 / ${rows} * 86399.999 + 10) * interval '1 second'
      FROM generate_series(1, ${rows}) g`);
  await db.query(`ANALYZE ${name}`);
  const [size] = await db.query<{ bytes: string }>(
    `SELECT pg_total_relation_size('${name}') AS bytes`,
  );
  return Number(size?.bytes ?? 0);
}

function select(table: string): string {
  return `SELECT * FROM ${qualify(SCHEMA, table)} WHERE created_at >= TIMESTAMPTZ '${DAY} 00:00:00+00' AND created_at < TIMESTAMPTZ '${DAY} 00:00:00+00' + interval '1 day'`;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet'))
      total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** What a phase measures from its start, with the database and a scratch folder to work in. */
interface PhaseRun {
  readonly db: SqlDatabase;
  readonly work: string;
  readonly table: string;
  readonly started: number;
}

function measured(run: PhaseRun, figures: Omit<Phase, 'seconds' | 'peak_rss_mb'> = {}): Phase {
  return {
    seconds: (performance.now() - run.started) / 1000,
    peak_rss_mb: peakRssMb(),
    ...figures,
  };
}

/** (a) the floor: `COPY (SELECT …) TO STDOUT` into a null sink; `rows` holds the CSV bytes. */
async function floorPhase(run: PhaseRun): Promise<Phase> {
  let bytes = 0;
  await run.db.transaction(async (session) => {
    await pipeline(
      session.copyTo(`COPY (${select(run.table)}) TO STDOUT (FORMAT csv)`),
      new Writable({
        write(chunk: Buffer, _e, done) {
          bytes += chunk.length;
          done();
        },
      }),
    );
  });
  return measured(run, { rows: bytes });
}

/** The other extraction method the issue names: a server-side cursor, rows decoded by pg. */
async function cursorPhase(run: PhaseRun): Promise<Phase> {
  let rows = 0;
  await run.db.transaction(async (session) => {
    await session.query(`DECLARE rows_cursor NO SCROLL CURSOR FOR ${select(run.table)}`);
    for (;;) {
      const batch = await session.query('FETCH 20000 FROM rows_cursor');
      if (batch.length === 0) break;
      rows += batch.length;
    }
  });
  return measured(run, { rows });
}

/** (b) the reference: DuckDB reading the COPY's CSV through a pipe, types sniffed. */
async function duckdbPhase(run: PhaseRun): Promise<Phase> {
  const fifo = join(run.work, 'rows.csv');
  await promisify(execFile)('mkfifo', [fifo]);
  const duck = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
  const out = join(run.work, 'ref.parquet');
  const encoding = duck.run(
    `COPY (SELECT * FROM read_csv('${fifo}', header = true)) TO '${out}' (FORMAT parquet, COMPRESSION snappy)`,
  );
  await run.db.transaction(async (session) => {
    await pipeline(
      session.copyTo(`COPY (${select(run.table)}) TO STDOUT (FORMAT csv, HEADER)`),
      createWriteStream(fifo),
    );
  });
  await encoding;
  duck.closeSync();
  return measured(run, { parquet_bytes: (await stat(out)).size });
}

/** (c) Thermocline's export of the table-day, uuids as text or (`binary`) as 16 bytes. */
async function thermoclinePhase(run: PhaseRun, uuidAs: 'string' | 'binary'): Promise<Phase> {
  const encoder = await createDuckDbEncoder();
  const lake = openLocalLake(run.work);
  const result = await exportTableDay(
    { db: run.db, encoder, clock: systemClock, ...lake },
    { ...TABLE, name: run.table, uuid_as: uuidAs },
    DAY,
  );
  await encoder.close();
  const partitions = await lake.catalog.listPartitions(run.table);
  return measured(run, {
    parquet_bytes: await dirBytes(join(run.work, 'lake')),
    id_bytes: partitions.reduce((n, p) => n + (p.columnBytes?.id ?? 0), 0),
    rows: result.rows,
    steps: result.steps,
  });
}

const PHASES: Readonly<Record<string, (run: PhaseRun) => Promise<Phase>>> = {
  floor: floorPhase,
  cursor: cursorPhase,
  duckdb: duckdbPhase,
  thermocline: (run) => thermoclinePhase(run, 'string'),
  'thermocline-uuid-binary': (run) => thermoclinePhase(run, 'binary'),
};

/** One measured phase, run inside a child process. */
async function phase(name: string, table: string): Promise<Phase> {
  const measure = PHASES[name];
  if (!measure)
    throw new Error(`unknown bench etl phase '${name}'; known: ${Object.keys(PHASES).join(', ')}`);
  const env = await benchEnv();
  const db = await open(env);
  const work = await mkdtemp(join(tmpdir(), `thermocline-bench-${name}-`));
  try {
    return await measure({ db, work, table, started: performance.now() });
  } finally {
    await db.close();
    await rm(work, { recursive: true, force: true });
  }
}

function runPhase(name: string, table: string): Promise<Phase> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(__dirname, '../bin/bench.cjs'), 'etl-phase', name, table],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`bench phase ${name} failed with code ${code}: ${last}`));
      else resolve(JSON.parse(last) as Phase);
    });
  });
}

/** The child-process entry: `bench etl-phase <floor|cursor|duckdb|thermocline|thermocline-uuid-binary> <table>`. */
export async function benchEtlPhase(args: string[]): Promise<Record<string, unknown>> {
  const [name, table] = args;
  return { ...(await phase(name ?? '', table ?? '')) };
}

/** Runs a phase in its own process and says how long it took. */
async function timed(label: string, name: string, table = 'bench_tasks'): Promise<Phase> {
  const result = await runPhase(name, table);
  process.stderr.write(`  ${label} ${result.seconds.toFixed(1)} s\n`);
  return result;
}

/** The benchmark (see the module comment). */
export async function benchEtl(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args, options: { rows: { type: 'string', default: '2000000' } } });
  const rows = Number(values.rows);
  const small = Math.max(1, Math.round(rows / 10));
  const env = await benchEnv();
  const db = await open(env);
  let tableBytes: number;
  try {
    process.stderr.write(
      `bench etl: ${db.target.description}; building ${rows} + ${small} rows…\n`,
    );
    tableBytes = await build(db, 'bench_tasks', rows);
    await build(db, 'bench_tasks_small', small);
  } finally {
    await db.close();
  }
  const phases: EtlPhases = {
    floor: await timed('floor', 'floor'),
    cursor: await timed('cursor', 'cursor'),
    duckdb: await timed('duckdb', 'duckdb'),
    thermocline: await timed('thermocline', 'thermocline'),
    // The floor again, right after: on a shared machine the load moves within a run.
    floorAfter: await timed('floor again', 'floor'),
    uuidBinary: await timed('thermocline, uuid_as binary', 'thermocline-uuid-binary'),
    thermoclineSmall: await timed('thermocline, a tenth', 'thermocline', 'bench_tasks_small'),
  };
  const cleanup = await open(env);
  await cleanup.query(`DROP SCHEMA IF EXISTS ${quoteIdent(SCHEMA)} CASCADE`);
  await cleanup.close();
  return {
    bench: 'etl',
    database: db.target.kind,
    rows,
    ...etlFigures(rows, tableBytes, phases),
    // The machine may be shared: its 1-minute load average at the end of the run.
    load_avg_1m: Number(loadavg()[0]?.toFixed(2)),
  };
}

interface EtlPhases {
  readonly floor: Phase;
  readonly floorAfter: Phase;
  readonly cursor: Phase;
  readonly duckdb: Phase;
  readonly thermocline: Phase;
  readonly uuidBinary: Phase;
  readonly thermoclineSmall: Phase;
}

/** The figures of one run, its ratios to the floor and the reference, and the targets. */
function etlFigures(rows: number, tableBytes: number, phases: EtlPhases): Record<string, unknown> {
  const { floor, floorAfter, cursor, duckdb, thermocline, uuidBinary, thermoclineSmall } = phases;
  const floorS = (floor.seconds + floorAfter.seconds) / 2;
  const round = (x: number): number => Number(x.toFixed(2));
  return {
    csv_bytes: floor.rows,
    floor_s: round(floorS),
    floor_runs_s: [round(floor.seconds), round(floorAfter.seconds)],
    cursor_s: round(cursor.seconds),
    duckdb_s: round(duckdb.seconds),
    thermocline_s: round(thermocline.seconds),
    rows_per_s: {
      floor: Math.round(rows / floorS),
      duckdb: Math.round(rows / duckdb.seconds),
      thermocline: Math.round(rows / thermocline.seconds),
    },
    thermocline_steps_s: Object.fromEntries(
      Object.entries(thermocline.steps ?? {}).map(([k, v]) => [k, round(v)]),
    ),
    peak_rss_mb: thermocline.peak_rss_mb,
    peak_rss_mb_small: thermoclineSmall.peak_rss_mb,
    peak_rss_mb_floor: floor.peak_rss_mb,
    peak_rss_mb_duckdb: duckdb.peak_rss_mb,
    parquet_bytes: thermocline.parquet_bytes,
    duckdb_parquet_bytes: duckdb.parquet_bytes,
    // uuid as text (the default) against uuid_as: 'binary' (16 bytes, the contract before).
    uuid_binary_s: round(uuidBinary.seconds),
    parquet_bytes_uuid_binary: uuidBinary.parquet_bytes,
    uuid_column_bytes: { string: thermocline.id_bytes, binary: uuidBinary.id_bytes },
    uuid_string_parquet_ratio: round(
      (thermocline.parquet_bytes ?? 0) / (uuidBinary.parquet_bytes ?? 1),
    ),
    table_bytes: tableBytes,
    ratio_to_floor: round(thermocline.seconds / floorS),
    encode_ratio_to_floor: round((thermocline.steps?.encode ?? 0) / floorS),
    encode_ratio_to_duckdb: round((thermocline.steps?.encode ?? 0) / duckdb.seconds),
    ratio_to_duckdb: round(thermocline.seconds / duckdb.seconds),
    rss_growth: round(thermocline.peak_rss_mb / thermoclineSmall.peak_rss_mb),
    parquet_ratio_to_duckdb: round((thermocline.parquet_bytes ?? 0) / (duckdb.parquet_bytes ?? 1)),
    targets: {
      time_le_2x_floor: thermocline.seconds <= 2 * floorS,
      time_le_duckdb: thermocline.seconds <= duckdb.seconds,
      peak_rss_le_512mb: thermocline.peak_rss_mb <= 512,
      rss_growth_le_1_3: thermocline.peak_rss_mb <= 1.3 * thermoclineSmall.peak_rss_mb,
      parquet_le_1_05x_duckdb:
        (thermocline.parquet_bytes ?? 0) <= 1.05 * (duckdb.parquet_bytes ?? 0),
    },
  };
}
