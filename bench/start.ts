/**
 * `npm run bench -- start`: the first `npm start` on a fresh checkout — `thermocline up` in a
 * child process with a fresh THERMOCLINE_HOME and no DATABASE_URL/PG* (the embedded PGlite
 * default): the sample's seed, the export of every closed table-day, the reference-table sync,
 * the sample external source, and the query API serving. `up --json` prints its summary once the
 * API serves; the bench then stops it (SIGINT, as Ctrl-C) and reports the seconds to that point,
 * per phase, and the export's cost per table-day.
 *
 * Baseline, measured in the same run on the same database: the extraction floor of every
 * exported table-day — the export's own `COPY (SELECT …) TO STDOUT (FORMAT csv)` into a null
 * sink, one after the other — what a table-day costs before it is encoded, validated and
 * published. The per-table-day overhead is the export's time per table-day above that floor.
 * Target: the whole first start ≤ 30 s. The last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { openDatabase } from '#adapters/open-database';
import { defaultConfig, tableConfig } from '#core/config/resolve';
import { planTable } from '#etl/export';
import { copyCsv, sourceSelect } from '#etl/sql';

/** The first `npm start` must be ready within this many seconds. */
const TARGET_S = 30;

/** What `up --json` prints, as far as the bench reads it. */
interface UpSummary {
  readonly seeded: { readonly rows: number; readonly seconds: number } | null;
  readonly exported: {
    readonly seconds: number;
    readonly rows: number;
    readonly published: readonly {
      readonly table: string;
      readonly day: string;
      readonly seconds: number;
      readonly steps: {
        readonly encode: number;
        readonly checksums: number;
        readonly publish: number;
      };
    }[];
    readonly failed: readonly unknown[];
  } | null;
  readonly synced: { readonly seconds: number } | null;
  readonly api: { readonly url: string } | null;
}

/** Environment of a fresh checkout's `npm start`: no PostgreSQL server configured. */
function freshEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, THERMOCLINE_HOME: home };
  for (const name of Object.keys(env)) {
    if (name === 'DATABASE_URL' || name.startsWith('PG')) delete env[name];
  }
  return env;
}

/**
 * Runs `thermocline up --json --port 0` until it prints its summary (it serves then), stops it
 * with SIGINT and resolves to the summary and the seconds from spawn to serving.
 */
function runUp(home: string): Promise<{ summary: UpSummary; seconds: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(__dirname, '../bin/thermocline-cli.cjs'), 'up', '--json', '--port', '0'],
    { env: freshEnv(home), cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let result: { summary: UpSummary; seconds: number } | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (result) return;
      try {
        const summary = JSON.parse(out) as UpSummary; // complete once it parses
        result = { summary, seconds: (performance.now() - started) / 1000 };
        child.kill('SIGINT');
      } catch {
        // not all of it yet
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (result) resolve(result);
      else reject(new Error(`thermocline up exited with code ${code} before serving: ${out}`));
    });
  });
}

/** The extraction floor: each table-day's export COPY into a null sink, one after the other. */
async function extractionFloor(
  home: string,
  days: readonly { readonly table: string; readonly day: string }[],
): Promise<number> {
  const db = await openDatabase({ env: freshEnv(home), home });
  try {
    const config = defaultConfig();
    const plans = new Map<string, Awaited<ReturnType<typeof planTable>>>();
    const started = performance.now();
    for (const { table: name, day } of days) {
      const table = tableConfig(config, name);
      const planned = plans.get(name) ?? (await planTable(db, table));
      plans.set(name, planned);
      await db.transaction(async (session) => {
        await pipeline(
          session.copyTo(copyCsv(sourceSelect(db.schema, table, planned, day))),
          new Writable({ write: (_chunk, _encoding, done) => done() }),
        );
      });
    }
    return (performance.now() - started) / 1000;
  } finally {
    await db.close();
  }
}

/** The benchmark (see the module comment). `--keep` leaves the temporary home for inspection. */
export async function benchStart(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args, options: { keep: { type: 'boolean', default: false } } });
  const home = await mkdtemp(join(tmpdir(), 'thermocline-bench-start-'));
  try {
    process.stderr.write(`bench start: thermocline up in ${home} (embedded PGlite)…\n`);
    const { summary, seconds } = await runUp(home);
    const exported = summary.exported;
    const published = exported?.published ?? [];
    process.stderr.write(`  serving after ${seconds.toFixed(1)} s; measuring the floor…\n`);
    const floorS = await extractionFloor(home, published);
    const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
    const tableDays = published.length;
    const exportS = exported?.seconds ?? 0;
    const sum = (pick: (r: (typeof published)[number]) => number): number =>
      published.reduce((n, r) => n + pick(r), 0);
    const perDayMs = (s: number): number => round((1000 * s) / Math.max(tableDays, 1), 1);
    const phases = {
      seed: round(summary.seeded?.seconds ?? 0),
      export: round(exportS),
      sync: round(summary.synced?.seconds ?? 0),
      other: round(
        seconds - (summary.seeded?.seconds ?? 0) - exportS - (summary.synced?.seconds ?? 0),
      ),
    };
    return {
      bench: 'start',
      database: 'embedded',
      seconds: round(seconds),
      phases_s: phases,
      rows_seeded: summary.seeded?.rows ?? 0,
      table_days: tableDays,
      table_days_failed: exported?.failed.length ?? 0,
      rows_exported: exported?.rows ?? 0,
      export_ms_per_table_day: perDayMs(exportS),
      export_steps_ms_per_table_day: {
        encode: perDayMs(sum((r) => r.steps.encode)),
        checksums: perDayMs(sum((r) => r.steps.checksums)),
        publish: perDayMs(sum((r) => r.steps.publish)),
        // describe, catalog read, lease, between the steps
        rest: perDayMs(
          sum((r) => r.seconds - r.steps.encode - r.steps.checksums - r.steps.publish),
        ),
      },
      floor_s: round(floorS),
      floor_ms_per_table_day: perDayMs(floorS),
      overhead_ms_per_table_day: perDayMs(exportS - floorS),
      export_ratio_to_floor: round(exportS / Math.max(floorS, 1e-9)),
      target_s: TARGET_S,
      ratio_to_target: round(seconds / TARGET_S),
      targets: { start_le_30s: seconds <= TARGET_S },
      // The machine may be shared: its 1-minute load average at the end of the run.
      load_avg_1m: Number(loadavg()[0]?.toFixed(2)),
    };
  } finally {
    if (!values.keep) await rm(home, { recursive: true, force: true });
  }
}
