/**
 * `npm run bench -- etl --rows 4000000 --chunks 4 [--concurrency N]`: one table-day of the etl
 * bench's agent_tasks-like table exported in one task and in `chunks` chunks (etl/chunks.ts), in
 * the same run on the same rows. Each task runs in its own process, as each is its own Lambda on
 * AWS, so its peak RSS is its own: the one task; the split; each chunk (`concurrency` at once,
 * default all); the publish. Reports both wall times and their ratio, the peak RSS of the one task
 * and of each chunk (target: each within the single-task bound, 512 MB), and whether both publish
 * the same rows and checksum. The last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import type { TableConfig } from '#core/config/schema';
import { quoteIdent } from '#core/sql/ident';
import {
  exportChunk,
  exportOrSplit,
  publishChunks,
  type ChunkedRun,
  type ChunkInput,
} from '#etl/chunks';
import { exportTableDay, type ExportDeps } from '#etl/export';
import { systemClock } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';
import { benchEnv, build, DAY, open, SCHEMA, TABLE } from './etl';

/** What one task's process reports. */
interface Task {
  readonly seconds: number;
  readonly peak_rss_mb: number;
  readonly out: Record<string, unknown>;
}

async function openBench(): Promise<SqlDatabase> {
  return open(await benchEnv());
}

/** Runs `work` with the export's dependencies over the lake in `home`; closes them after. */
async function withDeps<T>(home: string, work: (deps: ExportDeps) => Promise<T>): Promise<T> {
  const db = await openBench();
  const encoder = await createDuckDbEncoder();
  try {
    return await work({ db, encoder, clock: systemClock, ...openLocalLake(home) });
  } finally {
    await encoder.close();
    await db.close();
  }
}

/**
 * The child-process entry: `bench etl-chunk-task <single|split|chunk|publish> <home> <json>`;
 * prints the task's seconds, peak RSS and output.
 */
export async function benchEtlChunkTask(args: string[]): Promise<Record<string, unknown>> {
  const [kind, home = '', json = '{}'] = args;
  const input = JSON.parse(json) as Record<string, unknown>;
  const table: TableConfig = { ...TABLE, max_rows_per_task: Number(input.maxRows ?? 1) };
  const started = performance.now();
  const out = await withDeps(home, async (deps): Promise<unknown> => {
    if (kind === 'single') return exportTableDay(deps, TABLE, DAY);
    if (kind === 'split') {
      return exportOrSplit(deps, table, DAY, { concurrency: Number(input.concurrency) });
    }
    if (kind === 'chunk') return exportChunk(deps, table, input as unknown as ChunkInput);
    if (kind === 'publish') {
      return publishChunks(deps, table, input as unknown as Parameters<typeof publishChunks>[2]);
    }
    throw new Error(`unknown task kind '${kind ?? ''}'; expected single, split, chunk or publish`);
  });
  return {
    seconds: (performance.now() - started) / 1000,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    out,
  };
}

function runTask(kind: string, home: string, input: Record<string, unknown>): Promise<Task> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(__dirname, '../bin/bench.cjs'), 'etl-chunk-task', kind, home, JSON.stringify(input)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`bench task ${kind} failed with code ${code}: ${last}`));
      else resolve(JSON.parse(last) as Task);
    });
  });
}

/** The chunked run: the split, the chunks `concurrency` at a time, the publish; wall seconds. */
async function chunkedRun(
  home: string,
  maxRows: number,
  concurrency: number,
): Promise<{ seconds: number; split: Task; chunks: Task[]; publish: Task }> {
  const started = performance.now();
  const split = await runTask('split', home, { maxRows, concurrency });
  const run = split.out as unknown as ChunkedRun;
  if (!('chunks' in run)) throw new Error('the day was not split: lower --rows or raise --chunks');
  const queue = [...run.chunks];
  const chunks: Task[] = [];
  const worker = async (): Promise<void> => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
      chunks.push(await runTask('chunk', home, { maxRows, ...run, chunk }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const publish = await runTask('publish', home, { ...run, chunks: run.chunks.length });
  return { seconds: (performance.now() - started) / 1000, split, chunks, publish };
}

/** The benchmark (see the module comment). */
export async function benchEtlChunks(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      rows: { type: 'string', default: '4000000' },
      chunks: { type: 'string', default: '4' },
      concurrency: { type: 'string' },
    },
  });
  const rows = Number(values.rows);
  const parts = Number(values.chunks);
  const concurrency = Number(values.concurrency ?? parts);
  const db = await openBench();
  try {
    process.stderr.write(`bench etl --chunks: ${db.target.description}; building ${rows} rows…\n`);
    await build(db, TABLE.name, rows);
  } finally {
    await db.close();
  }
  const homes = [await mkdtemp(join(tmpdir(), 'tc-one-')), await mkdtemp(join(tmpdir(), 'tc-ch-'))];
  try {
    const single = await runTask('single', homes[0] ?? '', {});
    process.stderr.write(`  one task ${single.seconds.toFixed(1)} s\n`);
    const chunked = await chunkedRun(homes[1] ?? '', Math.ceil(rows / parts), concurrency);
    process.stderr.write(`  ${parts} chunks ${chunked.seconds.toFixed(1)} s\n`);
    return figures(rows, parts, concurrency, single, chunked);
  } finally {
    for (const home of homes) await rm(home, { recursive: true, force: true });
    const cleanup = await openBench();
    await cleanup.query(`DROP SCHEMA IF EXISTS ${quoteIdent(SCHEMA)} CASCADE`);
    await cleanup.close();
  }
}

function figures(
  rows: number,
  parts: number,
  concurrency: number,
  single: Task,
  chunked: Awaited<ReturnType<typeof chunkedRun>>,
): Record<string, unknown> {
  const round = (x: number): number => Number(x.toFixed(2));
  const one = single.out as { rows: number; checksum: string };
  const published = chunked.publish.out as { rows: number; checksum: string };
  const chunkRss = Math.max(...chunked.chunks.map((c) => c.peak_rss_mb));
  return {
    bench: 'etl-chunks',
    rows,
    chunks: parts,
    concurrency,
    one_task_s: round(single.seconds),
    chunked_s: round(chunked.seconds),
    ratio_to_one_task: round(chunked.seconds / single.seconds),
    steps_s: {
      split: round(chunked.split.seconds),
      chunks: chunked.chunks.map((c) => round(c.seconds)),
      publish: round(chunked.publish.seconds),
    },
    peak_rss_mb_one_task: single.peak_rss_mb,
    peak_rss_mb_per_chunk: chunked.chunks.map((c) => c.peak_rss_mb),
    peak_rss_mb_split: chunked.split.peak_rss_mb,
    peak_rss_mb_publish: chunked.publish.peak_rss_mb,
    same_rows_and_checksum: one.rows === published.rows && one.checksum === published.checksum,
    peak_rss_ratio_chunk_to_one_task: round(chunkRss / single.peak_rss_mb),
    load_avg_1m: round(loadavg()[0] ?? 0),
    targets: {
      same_rows_and_checksum: one.rows === published.rows && one.checksum === published.checksum,
      // The single-task bound of #15 item 4: a task's peak RSS ≤ 512 MB (DuckDB's buffers, not
      // the rows, set it, so a chunk's is about a whole day's).
      peak_rss_per_chunk_le_512mb: chunkRss <= 512,
    },
  };
}
