import { execFile } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { rewriteParquet } from '#adapters/duckdb/duckdb-rewriter';
import { isProcessAlive, ownerPid } from '#adapters/local/local-process';
import { quoteIdent } from '#core/sql/ident';
import type {
  EncodeColumn,
  EncodedBatch,
  EncodedFile,
  EncodeOptions,
  ChecksumOptions,
  ParquetEncoder,
  RowChecksum,
} from '#ports/parquet-encoder';
import type { ParquetRewriter } from '#ports/parquet-rewriter';

/** Options of {@link createDuckDbEncoder}. */
export interface DuckDbEncoderOptions {
  /** DuckDB's memory limit (its buffers; the process adds Node's own). @default '256MB' */
  readonly memoryLimit?: string;
  /** Worker threads. @default 2 */
  readonly threads?: number;
  /** Longest CSV line (one row) accepted. @default 16 MiB */
  readonly maxLineBytes?: number;
}

const run = promisify(execFile);

/** Scratch folders are `<os tmpdir>/thermocline-encode-<pid>-<random>/`: the pid names the owner. */
const SCRATCH = 'thermocline-encode-';

/**
 * Removes the scratch folders of encoders whose process no longer runs (a killed export leaves its
 * Parquet output there); a live process's folder, and one named without a pid (written before
 * names carried one), are left alone. Resolves to how many went.
 * @example
 * await removeDeadScratch(); // 2 after two killed runs
 */
export async function removeDeadScratch(root: string = tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = ownerPid(name, SCRATCH);
    if (pid === undefined || isProcessAlive(pid)) continue;
    // Another user's folder may not be ours to remove: left alone.
    const gone = await rm(join(root, name), { recursive: true, force: true }).then(
      () => true,
      () => false,
    );
    if (gone) removed += 1;
  }
  return removed;
}

/** SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The Parquet encoder on DuckDB. The CSV reaches DuckDB through a named pipe (FIFO), so
 * PostgreSQL's COPY, the transfer and DuckDB's parse/encode run at the same time on different
 * cores and nothing is staged on disk but the Parquet output.
 *
 * Concurrent calls are safe at any concurrency: each call runs on its own DuckDB connection, and
 * the pipe is written through a non-blocking socket on the event loop, never through libuv's
 * thread pool. (A DuckDB statement holds one of that pool's threads — four by default — for as
 * long as it runs; a COPY waiting for pipe data that itself needed a pool thread deadlocked as
 * soon as four exports ran at once.)
 *
 * Each call works in a scratch folder of its own under the OS temporary directory, removed when
 * its batch is disposed; creating an encoder removes those that killed processes left.
 * @example
 * const encoder = await createDuckDbEncoder();
 * const files = await encoder.encodeCsv(csvStream, [{ name: 'id', load: (v) => `CAST(${v} AS BIGINT)` }], {
 *   outputDir: '/tmp/out', targetFileBytes: 128 * 2 ** 20, rowGroupRows: 122_880,
 * });
 * await encoder.close();
 */
export async function createDuckDbEncoder(
  options: DuckDbEncoderOptions = {},
): Promise<ParquetEncoder & ParquetRewriter> {
  await removeDeadScratch();
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit ?? '256MB',
    threads: String(options.threads ?? 2),
    preserve_insertion_order: 'false',
  });
  const maxLine = options.maxLineBytes ?? 16 * 2 ** 20;
  const fifos = new FifoPool();
  /** Runs `work` on a connection of its own (statements of one connection would queue). */
  const withConnection = async <T>(work: (connection: DuckDBConnection) => Promise<T>) => {
    const connection = await instance.connect();
    try {
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  };
  return {
    encodeCsv: (source, columns, encodeOptions) =>
      withConnection((c) => encodeCsv(c, fifos, source, columns, encodeOptions, maxLine)),
    checksum: (files, rowCanonical, checksumOptions) =>
      withConnection((c) => checksum(c, files, rowCanonical, checksumOptions ?? {})),
    // The reference-table sync's merges, on their own connections of the same instance.
    rewrite: (request) => rewriteParquet(instance, request),
    close: async () => {
      instance.closeSync();
      await fifos.close();
    },
  };
}

/**
 * Named pipes made ahead of use, {@link FIFO_BATCH} per `mkfifo` run, in a scratch folder of the
 * encoder's own (removed by {@link FifoPool.close}, or with a killed process's scratch). Starting
 * a child process costs tens of milliseconds of the event loop's time, which one `mkfifo` per
 * encode paid for every table-day; each pipe is still used by one encode only, then removed.
 */
class FifoPool {
  private folder: Promise<string> | undefined;
  private free: string[] = [];
  private refill: Promise<void> | undefined;
  private made = 0;

  /** A fresh named pipe, `…/<n>/rows.csv`, for one encode: {@link FifoPool.remove} it when done. */
  async take(): Promise<string> {
    for (;;) {
      const fifo = this.free.pop();
      if (fifo) return fifo;
      this.refill ??= this.make().finally(() => (this.refill = undefined));
      await this.refill;
    }
  }

  /** Removes a pipe {@link FifoPool.take} gave, and its folder. */
  async remove(fifo: string): Promise<void> {
    await rm(fifo, { force: true });
    await rm(dirname(fifo), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    const folder = await this.folder?.catch(() => undefined);
    this.free = [];
    if (folder) await rm(folder, { recursive: true, force: true });
  }

  private async make(): Promise<void> {
    this.folder ??= mkdtemp(join(tmpdir(), `${SCRATCH}${process.pid}-`));
    const folder = await this.folder;
    const folders = Array.from({ length: FIFO_BATCH }, (_, i) => join(folder, `${this.made + i}`));
    this.made += FIFO_BATCH;
    await Promise.all(folders.map((f) => mkdir(f)));
    const names = folders.map((f) => join(f, 'rows.csv'));
    await run('mkfifo', names);
    this.free.push(...names.reverse());
  }
}

/** Named pipes one `mkfifo` makes. */
const FIFO_BATCH = 64;

async function encodeCsv(
  connection: DuckDBConnection,
  fifos: FifoPool,
  source: NodeJS.ReadableStream,
  columns: readonly EncodeColumn[],
  options: EncodeOptions,
  maxLine: number,
): Promise<EncodedBatch> {
  const work = await mkdtemp(join(tmpdir(), `${SCRATCH}${process.pid}-`));
  const outputDir = join(work, 'out');
  const dispose = (): Promise<void> => rm(work, { recursive: true, force: true });
  let fifo: string | undefined;
  try {
    fifo = await fifos.take();
    const csvColumns = columns.map((c, i) => `${sqlString(`c${i}`)}: 'VARCHAR'`).join(', ');
    const select = columns
      .map((c, i) => `${c.load(quoteIdent(`c${i}`))} AS ${quoteIdent(c.name)}`)
      .join(', ');
    const copy = [
      `COPY (SELECT ${select} FROM read_csv(${sqlString(fifo)}, columns = {${csvColumns}},`,
      `  header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', new_line = '\\n',`,
      `  nullstr = '', allow_quoted_nulls = false,`,
      // DuckDB wants a buffer larger than the longest line; it reads a whole buffer from the
      // pipe before it parses it, so a smaller one keeps the pipe, COPY and the parse going at
      // once, and fewer bytes in memory (2M rows: 546 -> 470 MB peak RSS, encode 5.7 -> 4.9 s
      // with twice the line size before).
      `  max_line_size = ${maxLine}, buffer_size = ${maxLine + 2 ** 20}))`,
      `TO ${sqlString(outputDir)} (FORMAT parquet, COMPRESSION snappy,`,
      `  ROW_GROUP_SIZE ${options.rowGroupRows}, FILENAME_PATTERN 'part-{i}'`,
      // DuckDB cannot split files by size within PARTITION_BY: there, one file per partition.
      options.partitionBy
        ? `, PARTITION_BY (${quoteIdent(options.partitionBy)})`
        : `, FILE_SIZE_BYTES ${options.targetFileBytes}`,
      `)`,
    ].join('\n');

    let settled = false;
    const encoding = connection.run(copy).finally(() => (settled = true));
    // Until the pipe is open nothing consumes `source`; an error it emits then (or the one a
    // DuckDB failure destroys it with, below) must not be an unhandled 'error' event —
    // pipeline() still reports a stream's stored error once it is attached.
    source.on('error', () => undefined);
    const feeding = openPipeWriter(fifo, () => settled).then((writer) => pipeline(source, writer));
    const failed = encoding.catch((cause: unknown) => {
      // DuckDB's CSV errors carry a long dump of reader options: keep the first line.
      const first = String((cause as Error).message ?? cause).split('\n')[0];
      const error = new Error(`DuckDB could not encode the rows PostgreSQL sent: ${first}`, {
        cause,
      });
      (source as NodeJS.ReadableStream & { destroy?: (e?: Error) => void }).destroy?.(error);
      throw error;
    });
    // Wait for both: DuckDB's error explains more than the broken pipe it causes, and a source
    // that fails midway ends the pipe early, which DuckDB would take for the end of the data.
    const [encoded, fed] = await Promise.allSettled([failed, feeding]);
    // The source's own failure (the connection to PostgreSQL dropped) is the cause of the
    // truncated CSV DuckDB then reports; a broken pipe is the effect of DuckDB's failure.
    if (fed.status === 'rejected' && !isBrokenPipe(fed.reason)) throw fed.reason;
    if (encoded.status === 'rejected') throw encoded.reason;
    if (fed.status === 'rejected') throw fed.reason;
    await fifos.remove(fifo);
    const files = await listOutput(connection, outputDir, options.partitionBy);
    return { files: files.filter((f) => f.rows > 0), dispose };
  } catch (error) {
    if (fifo) await fifos.remove(fifo);
    await dispose();
    throw error;
  }
}

function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED'
  );
}

/**
 * The writing end of the pipe as a socket on the event loop. A non-blocking open fails (ENXIO)
 * until DuckDB has opened the reading end, so it is retried every millisecond or so on a timer
 * (a blocking open would hold a thread-pool thread); it stops when DuckDB's statement ended
 * before opening it (an error in the statement), so the writer never waits for a reader that
 * will not come.
 */
async function openPipeWriter(fifo: string, readerGone: () => boolean): Promise<Socket> {
  // Every millisecond at first (DuckDB opens the pipe within a few: a doubling pause made a small
  // table-day wait twice that), then every 20 ms.
  for (let attempt = 0; ; attempt += 1) {
    const pause = attempt < 50 ? 1 : 20;
    try {
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      return new Socket({ fd, readable: false, writable: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      // No reader will come: a broken pipe, DuckDB's own error says why.
      if (readerGone()) {
        throw Object.assign(new Error('DuckDB ended before it read the rows', { cause: error }), {
          code: 'EPIPE',
        });
      }
    }
    await sleep(pause);
  }
}

async function listOutput(
  connection: DuckDBConnection,
  outputDir: string,
  partitionBy: string | undefined,
): Promise<EncodedFile[]> {
  const paths = await parquetFiles(outputDir);
  if (paths.length === 0) return [];
  const list = `[${paths.map(sqlString).join(', ')}]`;
  const { rowsOf, columnBytes } = await footers(connection, list);
  const values = partitionBy ? await partitionValues(connection, list, partitionBy) : undefined;
  const files: EncodedFile[] = [];
  for (const path of paths) {
    files.push({
      path,
      bytes: (await stat(path)).size,
      rows: rowsOf.get(path) ?? 0,
      ...(values ? { partitionValue: values.get(path) ?? null } : {}),
      columnBytes: columnBytes.get(path) ?? {},
    });
  }
  return files;
}

/**
 * From the files' footers, in one statement: rows per file (over its row groups), and per file the
 * compressed bytes of each top-level column's chunks over its row groups (`total_compressed_size`;
 * a nested column's leaves, `tags, list, element`, add up to it).
 */
async function footers(
  connection: DuckDBConnection,
  list: string,
): Promise<{ rowsOf: Map<string, number>; columnBytes: Map<string, Record<string, number>> }> {
  const rows = (
    await connection.runAndReadAll(
      `WITH chunks AS MATERIALIZED (
         SELECT file_name, row_group_id, row_group_num_rows,
                split_part(path_in_schema, ', ', 1) AS name, total_compressed_size
           FROM parquet_metadata(${list}))
       SELECT file_name, NULL AS name, sum(row_group_num_rows)::BIGINT AS n
         FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows FROM chunks) GROUP BY 1
       UNION ALL
       SELECT file_name, name, sum(total_compressed_size)::BIGINT FROM chunks GROUP BY 1, 2`,
    )
  ).getRowObjects() as { file_name: string; name: string | null; n: bigint }[];
  const rowsOf = new Map<string, number>();
  const columnBytes = new Map<string, Record<string, number>>();
  for (const row of rows) {
    if (row.name === null) {
      rowsOf.set(row.file_name, Number(row.n));
      continue;
    }
    const columns = columnBytes.get(row.file_name) ?? {};
    columns[row.name] = Number(row.n);
    columnBytes.set(row.file_name, columns);
  }
  return { rowsOf, columnBytes };
}

/** The decoded Hive partition value of each file, as DuckDB itself reads its directories. */
async function partitionValues(
  connection: DuckDBConnection,
  list: string,
  column: string,
): Promise<Map<string, string | null>> {
  const rows = (
    await connection.runAndReadAll(
      `SELECT DISTINCT filename, ${quoteIdent(column)}::VARCHAR AS value FROM read_parquet(${list}, hive_partitioning = true, hive_types_autocast = false, filename = true)`,
    )
  ).getRowObjects() as { filename: string; value: string | null }[];
  return new Map(rows.map((r) => [r.filename, r.value]));
}

async function parquetFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => relative(dir, a).localeCompare(relative(dir, b)));
}

async function checksum(
  connection: DuckDBConnection,
  files: readonly string[],
  rowCanonical: string,
  { groupBy, columns = {} }: ChecksumOptions,
): Promise<Map<string | null, RowChecksum>> {
  const result = new Map<string | null, RowChecksum>();
  if (files.length === 0) return result;
  const list = `[${files.map(sqlString).join(', ')}]`;
  const key = groupBy ? `${quoteIdent(groupBy)}::VARCHAR` : 'NULL::VARCHAR';
  const read = `read_parquet(${list}, hive_partitioning = ${groupBy ? 'true, hive_types_autocast = false' : 'false'})`;
  const constants = Object.entries(columns).map(
    ([name, value]) =>
      `, ${value === null ? 'NULL' : sqlString(value)}::VARCHAR AS ${quoteIdent(name)}`,
  );
  const rows = (
    await connection.runAndReadAll(
      `SELECT ${key} AS k, count(*)::BIGINT AS n,
              coalesce(sum(CAST(('0x' || substr(md5(${rowCanonical}), 1, 15)) AS BIGINT)::HUGEINT), 0)::VARCHAR AS s
         FROM ${constants.length > 0 ? `(SELECT *${constants.join('')} FROM ${read})` : read}
        GROUP BY 1`,
    )
  ).getRowObjects() as { k: string | null; n: bigint; s: string }[];
  for (const row of rows) result.set(row.k, { rows: Number(row.n), sum: row.s });
  return result;
}
