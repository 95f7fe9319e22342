import { access, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent } from '#core/sql/ident';
import type { ObjectStore } from '#ports/object-store';
import type {
  RewriteInput,
  RewriteRequest,
  RewriteResult,
  RewriteValue,
  RewrittenFile,
} from '#ports/parquet-rewriter';

/** Bytes per ranged read when an input object has to be fetched (S3). */
const FETCH_CHUNK_BYTES = 8 * 2 ** 20;

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * {@link ParquetRewriter.rewrite} on DuckDB: a private connection of `instance` per call (temp
 * views and tables never collide between concurrent rewrites), scratch space in the OS temp
 * directory, deleted by `dispose` (or at once when the rewrite fails).
 * @example
 * const result = await rewriteParquet(instance, { inputs, outputs: { all: 'SELECT * FROM prev' }, rowGroupRows: 122_880, targetFileBytes: 2 ** 27 });
 */
export async function rewriteParquet(
  instance: DuckDBInstance,
  request: RewriteRequest,
): Promise<RewriteResult> {
  const work = await mkdtemp(join(tmpdir(), 'thermocline-rewrite-'));
  const dispose = (): Promise<void> => rm(work, { recursive: true, force: true });
  const connection = await instance.connect();
  try {
    for (const [index, input] of request.inputs.entries()) {
      const files = [
        ...(input.files ?? []),
        ...(await localFiles(input.objects, join(work, `in-${index}`))),
      ];
      await connection.run(await viewSql(connection, input, files));
    }
    for (const statement of request.statements ?? []) await connection.run(statement);
    const summary: Record<string, RewriteValue> = {};
    if (request.summary) {
      const [row] = (await connection.runAndReadAll(request.summary)).getRowObjects();
      for (const [name, value] of Object.entries(row ?? {})) summary[name] = jsonSafe(value);
    }
    const outputs: Record<string, RewrittenFile[]> = {};
    const write = request.writeIf ? request.writeIf(summary) : true;
    for (const [index, [name, select]] of Object.entries(request.outputs).entries()) {
      outputs[name] = [];
      if (!write) continue;
      const dir = join(work, `out-${index}`);
      await connection.run(
        `COPY (${select}) TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION snappy, ` +
          `ROW_GROUP_SIZE ${request.rowGroupRows}, FILE_SIZE_BYTES ${request.targetFileBytes}, ` +
          `FILENAME_PATTERN 'part-{i}')`,
      );
      outputs[name] = await describeFiles(connection, dir);
    }
    return { summary, outputs, dispose };
  } catch (error) {
    await dispose();
    throw error;
  } finally {
    connection.closeSync();
  }
}

type Connection = Awaited<ReturnType<DuckDBInstance['connect']>>;

/** The view of one input: exactly its columns, cast; NULL for a column the files lack. */
async function viewSql(
  connection: Connection,
  input: RewriteInput,
  files: readonly string[],
): Promise<string> {
  const name = quoteIdent(input.name);
  if (files.length === 0) {
    const columns = input.columns
      .map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`)
      .join(', ');
    return `CREATE TEMP VIEW ${name} AS SELECT ${columns} WHERE false`;
  }
  const source = `read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
  const present = new Set(
    (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`))
      .getRowObjects()
      .map((row) => String(row.column_name)),
  );
  const columns = input.columns
    .map((c) =>
      present.has(c.name)
        ? `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`
        : `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`,
    )
    .join(', ');
  return `CREATE TEMP VIEW ${name} AS SELECT ${columns} FROM ${source}`;
}

/** Local paths of lake objects: in place when on this file system, else fetched into `dir`. */
async function localFiles(objects: RewriteInput['objects'], dir: string): Promise<string[]> {
  if (!objects || objects.keys.length === 0) return [];
  const paths: string[] = [];
  for (const [index, key] of objects.keys.entries()) {
    const located = objects.store.locate(key);
    if (isAbsolute(located) && (await exists(located))) {
      paths.push(located);
      continue;
    }
    await mkdir(dir, { recursive: true });
    const path = join(dir, `object-${index}.parquet`);
    await fetchObject(objects.store, key, path);
    paths.push(path);
  }
  return paths;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Copies an object to a local file with ranged reads (memory: one chunk). */
async function fetchObject(store: ObjectStore, key: string, path: string): Promise<void> {
  const info = await store.head(key);
  if (!info) {
    throw new Error(
      `lake object '${key}' is gone from ${store.root}; the catalog points at a deleted version — run a full sync to rebuild the table`,
    );
  }
  const file = await open(path, 'w');
  try {
    for (let offset = 0; offset < info.bytes; offset += FETCH_CHUNK_BYTES) {
      const length = Math.min(FETCH_CHUNK_BYTES, info.bytes - offset);
      const chunk = await store.getRange(key, offset, length);
      await file.write(chunk, 0, chunk.length, offset);
    }
  } finally {
    await file.close();
  }
}

/** The Parquet files of an output directory with rows and per-column compressed bytes. */
async function describeFiles(connection: Connection, dir: string): Promise<RewrittenFile[]> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const paths = entries
    .filter((name) => name.endsWith('.parquet'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((name) => join(dir, name));
  if (paths.length === 0) return [];
  const list = `[${paths.map(sqlString).join(', ')}]`;
  const rows = new Map<string, number>();
  for (const row of (
    await connection.runAndReadAll(
      `SELECT file_name, sum(num_rows)::BIGINT AS n FROM parquet_file_metadata(${list}) GROUP BY 1`,
    )
  ).getRowObjects()) {
    rows.set(String(row.file_name), Number(row.n));
  }
  const columnBytes = new Map<string, Record<string, number>>();
  for (const row of (
    await connection.runAndReadAll(
      `SELECT file_name, path_in_schema, sum(total_compressed_size)::BIGINT AS b
         FROM parquet_metadata(${list}) GROUP BY 1, 2`,
    )
  ).getRowObjects()) {
    const file = String(row.file_name);
    // Nested columns are listed per leaf ('tags, list, element'): count them under the top level.
    const column = String(row.path_in_schema).split(',')[0]?.trim() ?? '';
    const perColumn = columnBytes.get(file) ?? {};
    perColumn[column] = (perColumn[column] ?? 0) + Number(row.b);
    columnBytes.set(file, perColumn);
  }
  const files: RewrittenFile[] = [];
  for (const path of paths) {
    const count = rows.get(path) ?? 0;
    if (count === 0) continue;
    files.push({
      path,
      bytes: (await stat(path)).size,
      rows: count,
      columnBytes: columnBytes.get(path) ?? {},
    });
  }
  return files;
}

/** A DuckDB value as JSON: BIGINT and HUGEINT as numbers when they fit, other objects as text. */
function jsonSafe(value: unknown): RewriteValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    return value;
  }
  return String(value);
}
