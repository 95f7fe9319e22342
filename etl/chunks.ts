/**
 * A table-day larger than one task: exported in chunks run in parallel, published as one.
 *
 * A busy table can have a day one export Lambda cannot finish in 15 minutes. The ETL state machine's
 * ExportTableDay task ({@link exportOrSplit}) takes the table-day's lease and asks the planner's
 * statistics how many rows the day has; a day within the table's `max_rows_per_task` is exported
 * at once, as always (`etl/export.ts`). A larger one is split into time ranges of about that many
 * rows each (percentiles of the timestamp column, so the ranges hold equal rows however the day's
 * traffic is shaped), and the task hands the lease on:
 * 1. {@link exportChunk}, one task per range (the machine's Map, in parallel): in its own REPEATABLE
 *    READ snapshot, the range's rows to Parquet, validated by count and checksum against the
 *    source, uploaded into the run's version folders `v=<run>/` (files `part-c<chunk>-…`) —
 *    invisible to readers — with a chunk manifest `table/_chunks/<day>/<run>/chunk-<n>.json`. A
 *    chunk that fails is retried alone; its files are overwritten, never added to.
 * 2. {@link publishChunks}: reads every chunk manifest, deletes any file in the version folders no
 *    manifest names (a dead attempt's), writes each partition's `_manifest.json` from the chunks'
 *    files and checksums, then commits the day exactly as a one-task export does — one catalog
 *    switch, the day manifest — so readers see the previous version or the whole new one, never a
 *    part. The day's rows and checksum are the sums of the chunks': the same as one task's.
 * 3. {@link abandonChunks}, when a chunk fails for good: deletes the run's chunk manifests and
 *    version folders and frees the table-day; the previous version stays current.
 * The lease passes from task to task ({@link joinLease}): a purge or another export of the day
 * waits for the whole chunked run. Each range's snapshot is its own, so a row that moves from one
 * range to another while the chunks run (its timestamp updated on a closed day) could be read twice
 * or not at all; the nightly changed-days check re-exports such a day.
 */
import type { TableConfig } from '#core/config/schema';
import { UsageError } from '#core/errors';
import { qualify, quoteIdent } from '#core/sql/ident';
import {
  catalogTableOf,
  cleanOldVersions,
  commitDay,
  EXPORT_SETTINGS,
  exportLeased,
  extractAndEncode,
  groupFiles,
  planTable,
  stopwatch,
  startExport,
  sumChecksums,
  sumColumnBytes,
  uploadFiles,
  validate,
  writePartitionManifest,
  type ExportDeps,
  type ExportOptions,
  type PublishedFile,
  type Run,
  type TableDayResult,
  type Upload,
} from '#etl/export';
import { partitionPrefix, partitionValues, versionPrefix } from '#etl/layout';
import { describeChange, evolveTable } from '#etl/schema-change';
import { joinLease, type Lease } from '#etl/lease';
import { dayCondition, sourceSelect, type DayRange } from '#etl/sql';
import type { ColumnPlan } from '#etl/types';
import type { SqlDatabase } from '#ports/sql';

/**
 * What one task exports when a table names no `max_rows_per_task`: this many bytes of the table
 * (its average row size from the planner's statistics). A 2-vCPU task exports about 160,000 rows
 * (50 MB) a second (docs/benchmarks.md), so 4 GiB takes a minute or two: far inside Lambda's 15
 * minutes for slower databases and wider rows, and its Parquet (≈ a fifth) fits Lambda's scratch.
 */
export const AUTO_TASK_BYTES = 4 * 2 ** 30;

/** Rows per task when the table has no statistics yet (never analyzed) and names no maximum. */
export const FALLBACK_ROWS_PER_TASK = 10_000_000;

/** One range of a chunked table-day: `[from, to)` of the timestamp column (null: the day's bound). */
export interface ChunkBounds extends DayRange {
  readonly index: number;
}

/** A table-day split into chunks: what ExportTableDay hands on to the chunk tasks and the publish. */
export interface ChunkedRun {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  /** The schema hash of the columns the split planned: each later task checks the table still has them. */
  readonly schemaHash: string;
  /** ISO instant the split started (the run's duration counts from it). */
  readonly startedAt: string;
  readonly chunks: readonly ChunkBounds[];
  /** Chunks exported at once (the Map's `MaxConcurrencyPath`). */
  readonly concurrency: number;
}

/** Input of the chunk task: the run and one chunk. */
export interface ChunkInput {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  readonly schemaHash: string;
  readonly chunk: ChunkBounds;
}

/** What a chunk task did (its manifest holds the files). */
export interface ChunkResult {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  readonly chunk: number;
  readonly rows: number;
  /** `rows:sum`, validated against the source. */
  readonly checksum: string;
  readonly files: number;
  readonly seconds: number;
}

/** Input of the publish (and of the abandon): the run and its number of chunks. */
export interface PublishChunksInput {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  readonly schemaHash: string;
  readonly startedAt: string;
  readonly chunks: number;
}

/** A chunk's manifest (`table/_chunks/<day>/<run>/chunk-<n>.json`). */
export interface ChunkManifest {
  readonly format: 1;
  readonly table: string;
  readonly day: string;
  readonly run_id: string;
  readonly chunk: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly rows: number;
  readonly checksum: string;
  /** Seconds of extract + encode and of both checksums, for the run's step timings. */
  readonly steps: { readonly encode: number; readonly checksums: number };
  readonly partitions: readonly {
    readonly values: string[];
    readonly rows: number;
    readonly sum: string;
    readonly files: readonly PublishedFile[];
    readonly column_bytes?: Readonly<Record<string, number>>;
  }[];
}

/** The folder of a run's chunk manifests. */
export function chunkFolder(table: string, day: string, runId?: string): string {
  return `${table}/_chunks/${day}/${runId === undefined ? '' : `${runId}/`}`;
}

/** A chunk manifest's key. */
export function chunkManifestKey(table: string, day: string, runId: string, chunk: number): string {
  return `${chunkFolder(table, day, runId)}chunk-${String(chunk).padStart(4, '0')}.json`;
}

/** Options of {@link exportOrSplit}. */
export interface SplitOptions extends ExportOptions {
  /** Chunks exported at once. @default 1 */
  readonly concurrency?: number;
}

/**
 * ExportTableDay: exports the table-day in this task when its rows fit the table's
 * `max_rows_per_task` (the same as `exportTableDay`), else splits it into chunks and hands the
 * table-day's lease on to their tasks.
 * @example
 * const out = await exportOrSplit(deps, events, '2025-02-15', { concurrency: 4 });
 * if ('chunks' in out) …; // a ChunkedRun for the Map
 */
export async function exportOrSplit(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  options: SplitOptions = {},
): Promise<TableDayResult | ChunkedRun> {
  const startedAt = deps.clock.now().toISOString();
  const held = await startExport(deps, table, day, options);
  const { plans, runId, lease } = held;
  let handedOff = false;
  try {
    const chunks = await planChunks(deps.db, table, day);
    if (chunks.length === 1) {
      return await exportLeased(deps, table, day, options, held);
    }
    await lease.handOff();
    handedOff = true;
    return {
      table: table.name,
      day,
      runId,
      schemaHash: catalogTableOf(table, plans).schemaHash,
      startedAt,
      chunks,
      concurrency: options.concurrency ?? 1,
    };
  } finally {
    if (!handedOff) await lease.release();
  }
}

/** What the planner's statistics say of a table (`pg_class`). */
export interface TableStatistics {
  /** Whether it was ever analyzed (without statistics the planner's estimates are guesses). */
  readonly analyzed: boolean;
  /** Its average row size: pages × block size / rows (analyzed tables only). */
  readonly rowBytes?: number;
}

/**
 * The table's statistics, in one query of `pg_class`.
 * @example
 * await tableStatistics(db, events); // { analyzed: true, rowBytes: 331.4 }
 */
export async function tableStatistics(
  db: SqlDatabase,
  table: TableConfig,
): Promise<TableStatistics> {
  const [row] = await db.query<{ tuples: number | string | null; bytes: number | string | null }>(
    `SELECT reltuples::float8 AS tuples, relpages::float8 * current_setting('block_size')::float8 AS bytes
       FROM pg_class WHERE oid = to_regclass($1)`,
    [qualify(db.schema, table.name)],
  );
  const tuples = Number(row?.tuples ?? 0);
  return tuples > 0
    ? { analyzed: true, rowBytes: Number(row?.bytes ?? 0) / tuples }
    : { analyzed: false };
}

/**
 * The table's rows per task: its `max_rows_per_task`, else {@link AUTO_TASK_BYTES} over its
 * average row size ({@link FALLBACK_ROWS_PER_TASK} without statistics).
 */
export function maxRowsPerTask(table: TableConfig, statistics: TableStatistics): number {
  if (table.max_rows_per_task !== undefined) return table.max_rows_per_task;
  const rowBytes = statistics.rowBytes ?? 0;
  return rowBytes > 0
    ? Math.max(1, Math.floor(AUTO_TASK_BYTES / rowBytes))
    : FALLBACK_ROWS_PER_TASK;
}

/**
 * The day's chunks of about {@link maxRowsPerTask} rows: one (the whole day) when the planner's
 * statistics put the day at a quarter of that or less (an analyzed table only: without statistics
 * the estimate is a guess) or the exact count is at most that; else `ceil(count / max)` ranges
 * between percentiles of the timestamp column (equal values never straddle two ranges, so a range
 * may hold more rows when many share a timestamp).
 * @example
 * await planChunks(db, { ...events, max_rows_per_task: 1_000_000 }, '2025-02-15');
 * // [{ index: 0, from: null, to: '2025-02-15 08:01:12.5+00' }, { index: 1, from: '2025-02-15 08:01:12.5+00', to: null }]
 */
export async function planChunks(
  db: SqlDatabase,
  table: TableConfig,
  day: string,
): Promise<ChunkBounds[]> {
  const statistics = await tableStatistics(db, table);
  const maxRows = maxRowsPerTask(table, statistics);
  const whole = [{ index: 0, from: null, to: null }];
  const where = dayCondition(table, day);
  const from = qualify(db.schema, table.name);
  if (
    statistics.analyzed &&
    (await estimateRows(db, `SELECT 1 FROM ${from} WHERE ${where}`)) * 4 <= maxRows
  ) {
    return whole;
  }
  const [counted] = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${from} WHERE ${where}`,
  );
  const rows = Number(counted?.n ?? 0);
  if (rows <= maxRows) return whole;
  const parts = Math.ceil(rows / maxRows);
  const fractions = Array.from({ length: parts - 1 }, (_, i) => (i + 1) / parts);
  const bounds = await db.transaction(async (session) => {
    for (const setting of EXPORT_SETTINGS) await session.query(setting);
    return session.query<{ b: string }>(
      `SELECT unnest(percentile_disc(ARRAY[${fractions.join(', ')}]::float8[])
                WITHIN GROUP (ORDER BY ${quoteIdent(table.timestamp_column)}))::text AS b
         FROM ${from} WHERE ${where}`,
    );
  });
  const cuts = [...new Set(bounds.map((row) => row.b))];
  return [null, ...cuts].map((lower, index) => ({
    index,
    from: lower,
    to: cuts[index] ?? null,
  }));
}

/** The planner's estimate of a query's rows (EXPLAIN, nothing runs). */
async function estimateRows(db: SqlDatabase, select: string): Promise<number> {
  const [row] = await db.query<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${select}`);
  const value = row ? Object.values(row)[0] : undefined;
  const plan: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  const rows = (plan as [{ Plan?: { 'Plan Rows'?: number } }] | undefined)?.[0]?.Plan?.[
    'Plan Rows'
  ];
  return typeof rows === 'number' ? rows : Number.POSITIVE_INFINITY;
}

/**
 * One chunk task: the chunk's rows in its own snapshot to Parquet, validated against the source,
 * uploaded into the run's version folders, and its manifest. Holds the table-day's lease while it
 * works and hands it on after.
 * @example
 * await exportChunk(deps, events, { table: 'events', day, runId, schemaHash, chunk: { index: 1, from, to } });
 */
export async function exportChunk(
  deps: ExportDeps,
  table: TableConfig,
  input: ChunkInput,
  options: ExportOptions = {},
): Promise<ChunkResult> {
  const started = performance.now();
  const lease = await joinLease(deps.db, { ...input, purpose: 'export' });
  try {
    const plans = await sameColumns(deps, table, input);
    const { day, chunk } = input;
    const lap = stopwatch();
    const { batch, source, lake, encodeSeconds, checksumSeconds } = await extractAndEncode(
      deps,
      table,
      day,
      plans,
      sourceSelect(deps.db.schema, table, plans, day, chunk),
      options,
      lap,
      chunk,
    );
    try {
      validate(table.name, `${day} (chunk ${chunk.index})`, source, lake);
      const run = runOf(deps, table, input.day, input.runId, plans);
      const partitions = [];
      for (const [key, files] of groupFiles(table, batch.files)) {
        const values = partitionValues(table, day, key);
        const location = versionPrefix(partitionPrefix(table, values), input.runId);
        const checksum = lake.get(key ?? null) ?? { rows: 0, sum: '0' };
        const columnBytes = sumColumnBytes(files);
        partitions.push({
          values,
          rows: checksum.rows,
          sum: checksum.sum,
          files: await uploadFiles(run, location, files, chunk.index),
          ...(columnBytes ? { column_bytes: columnBytes } : {}),
        });
      }
      const manifest: ChunkManifest = {
        format: 1,
        table: table.name,
        day,
        run_id: input.runId,
        chunk: chunk.index,
        from: chunk.from,
        to: chunk.to,
        rows: partitions.reduce((n, p) => n + p.rows, 0),
        checksum: sumChecksums([...lake.values()]),
        steps: { encode: encodeSeconds, checksums: checksumSeconds },
        partitions,
      };
      await deps.store.putText(
        chunkManifestKey(table.name, day, input.runId, chunk.index),
        JSON.stringify(manifest, null, 2),
        'application/json',
      );
      return {
        table: table.name,
        day,
        runId: input.runId,
        chunk: chunk.index,
        rows: manifest.rows,
        checksum: manifest.checksum,
        files: partitions.reduce((n, p) => n + p.files.length, 0),
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      await batch.dispose();
    }
  } finally {
    await handOn(lease);
  }
}

/**
 * The publish of a chunked run: every chunk's files as one version of the day, committed with one
 * catalog switch (see the module comment). Frees the table-day.
 * @example
 * const result = await publishChunks(deps, events, { table: 'events', day, runId, schemaHash, startedAt, chunks: 4 });
 */
export async function publishChunks(
  deps: ExportDeps,
  table: TableConfig,
  input: PublishChunksInput,
): Promise<TableDayResult> {
  const lap = stopwatch();
  const lease = await joinLease(deps.db, { ...input, purpose: 'export' });
  let released = false;
  try {
    const plans = await sameColumns(deps, table, input);
    const run = runOf(deps, table, input.day, input.runId, plans);
    const manifests = await readChunkManifests(deps, input);
    // What the commit changes in the lake table's columns (the split checked the policy allows it).
    const lakeTable = await deps.catalog.getTable(table.name);
    const schemaChanges = evolveTable(table, lakeTable, run.catalogTable).changes.map(
      describeChange,
    );
    const uploads = await writePartitions(run, manifests);
    // The day's checksum is the sum of the chunks' (the row hashes add up).
    const { partitions, before, vanished, manifest } = await commitDay(
      run,
      lease,
      uploads,
      manifests.flatMap((m) => m.partitions),
    );
    await cleanOldVersions(deps, table, partitions, before, vanished);
    await deps.store.deletePrefix(chunkFolder(table.name, input.day));
    await lease.release();
    released = true;
    return {
      table: table.name,
      day: input.day,
      runId: input.runId,
      rows: manifest.rows,
      files: manifest.files,
      bytes: manifest.bytes,
      partitions: partitions.length,
      checksum: manifest.checksum,
      schemaChanges,
      seconds: (Date.now() - Date.parse(input.startedAt)) / 1000,
      steps: {
        encode: manifests.reduce((n, m) => n + m.steps.encode, 0),
        checksums: manifests.reduce((n, m) => n + m.steps.checksums, 0),
        publish: lap(),
      },
    };
  } finally {
    if (!released) await handOn(lease);
  }
}

/**
 * After a chunk (or the publish) failed for good: deletes what the run wrote (its chunk manifests
 * and the version folders they name — never one the catalog names, as after a publish that failed
 * once committed) and frees the table-day. The previous version stays current. A run that no
 * longer holds the table-day deletes nothing (the run that took over owns the folders' fate).
 */
export async function abandonChunks(
  deps: ExportDeps,
  table: TableConfig,
  input: Pick<PublishChunksInput, 'table' | 'day' | 'runId' | 'chunks'>,
): Promise<{ readonly deleted: number }> {
  const lease = await joinLease(deps.db, { ...input, purpose: 'export' });
  try {
    let deleted = 0;
    for (let chunk = 0; chunk < input.chunks; chunk++) {
      const written = await readChunkManifest(deps, input, chunk);
      for (const partition of written?.partitions ?? []) {
        const version = versionPrefix(partitionPrefix(table, partition.values), input.runId);
        // A publish that failed after its commit (while cleaning) left this run current: keep it.
        const current = await deps.catalog.getPartition(table.name, partition.values);
        if (current?.location !== version) deleted += await deps.store.deletePrefix(version);
      }
    }
    deleted += await deps.store.deletePrefix(chunkFolder(table.name, input.day, input.runId));
    return { deleted };
  } finally {
    await lease.release();
  }
}

/**
 * A table-day in this process the way the state machine runs it: in one task, or split and its
 * chunks run `concurrency` at a time, then published (or abandoned when one fails).
 * @example
 * const result = await exportDay(deps, events, '2025-02-15', { concurrency: 4 });
 */
export async function exportDay(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  options: SplitOptions = {},
): Promise<TableDayResult> {
  const out = await exportOrSplit(deps, table, day, options);
  if (!('chunks' in out)) return out;
  const queue = [...out.chunks];
  const worker = async (): Promise<void> => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
      await exportChunk(deps, table, { ...out, chunk }, options);
    }
  };
  const publish = { ...out, chunks: out.chunks.length };
  try {
    await Promise.all(Array.from({ length: Math.max(1, out.concurrency) }, worker));
  } catch (error) {
    queue.length = 0;
    await abandonChunks(deps, table, publish).catch(() => undefined);
    throw error;
  }
  return publishChunks(deps, table, publish);
}

/** The table's columns, checked against those the run was split with. */
async function sameColumns(
  deps: ExportDeps,
  table: TableConfig,
  input: { readonly day: string; readonly runId: string; readonly schemaHash: string },
): Promise<ColumnPlan[]> {
  const plans = await planTable(deps.db, table);
  const hash = catalogTableOf(table, plans).schemaHash;
  if (hash !== input.schemaHash) {
    throw new UsageError(
      `the columns of '${table.name}' changed during chunked export run ${input.runId} of ` +
        `${input.day}; nothing of this run was published, the previous version stays current — ` +
        `run the day again`,
    );
  }
  return plans;
}

function runOf(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  runId: string,
  plans: readonly ColumnPlan[],
): Run {
  return {
    deps,
    table,
    day,
    runId,
    publishedAt: deps.clock.now().toISOString(),
    catalogTable: catalogTableOf(table, plans),
    plans,
    select: sourceSelect(deps.db.schema, table, plans, day),
  };
}

/** A chunk's manifest, or undefined when the chunk has not written it. */
async function readChunkManifest(
  deps: ExportDeps,
  input: Pick<PublishChunksInput, 'table' | 'day' | 'runId'>,
  chunk: number,
): Promise<ChunkManifest | undefined> {
  const text = await deps.store.getText(
    chunkManifestKey(input.table, input.day, input.runId, chunk),
  );
  return text === undefined ? undefined : (JSON.parse(text) as ChunkManifest);
}

/** Every chunk's manifest, in order; throws naming the first one missing. */
async function readChunkManifests(
  deps: ExportDeps,
  input: PublishChunksInput,
): Promise<ChunkManifest[]> {
  const manifests: ChunkManifest[] = [];
  for (let chunk = 0; chunk < input.chunks; chunk++) {
    const manifest = await readChunkManifest(deps, input, chunk);
    if (!manifest) {
      const key = chunkManifestKey(input.table, input.day, input.runId, chunk);
      throw new Error(
        `chunk ${chunk} of ${input.chunks} of run ${input.runId} (${input.table} ${input.day}) ` +
          `has no manifest at ${key}; nothing was published — run the day again`,
      );
    }
    manifests.push(manifest);
  }
  return manifests;
}

/**
 * Each partition's files from all chunks: stray files in its version folder (a dead attempt's)
 * deleted, its `_manifest.json` written with the summed checksum.
 */
async function writePartitions(run: Run, manifests: readonly ChunkManifest[]): Promise<Upload[]> {
  const byPartition = new Map<string, ChunkManifest['partitions'][number][]>();
  for (const manifest of manifests) {
    for (const part of manifest.partitions) {
      const key = JSON.stringify(part.values);
      byPartition.set(key, [...(byPartition.get(key) ?? []), part]);
    }
  }
  const uploads: Upload[] = [];
  for (const parts of byPartition.values()) {
    const values = parts[0]?.values ?? [];
    const files = parts.flatMap((p) => p.files);
    await deleteStrays(run, versionPrefix(partitionPrefix(run.table, values), run.runId), files);
    // Undefined unless every chunk recorded its column bytes.
    const columnBytes = sumColumnBytes(parts.map((p) => ({ columnBytes: p.column_bytes })));
    uploads.push(
      await writePartitionManifest(run, values, files, sumChecksums(parts), columnBytes),
    );
  }
  return uploads;
}

/** Deletes objects of a version folder no chunk manifest names (a failed attempt's extra files). */
async function deleteStrays(
  run: Run,
  location: string,
  files: readonly PublishedFile[],
): Promise<void> {
  const named = new Set(files.map((f) => f.key));
  for (const object of await run.deps.store.list(location)) {
    if (!named.has(object.key) && !object.key.endsWith('/_manifest.json')) {
      await run.deps.store.deletePrefix(object.key);
    }
  }
}

/** Hands the lease on to the run's next task; a lease already lost is the next task's to report. */
async function handOn(lease: Lease): Promise<void> {
  await lease.handOff().catch(() => undefined);
}
