/**
 * A DuckDB database file of views over exactly the lake's current files: how a reader without
 * Thermocline (the `duckdb` CLI, a notebook, a BI tool that speaks DuckDB) reads the lake
 * correctly, without the double counting a glob over a table's folder gets after a re-export
 * (issue #11). `thermocline lake views` writes it.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance, LIST, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { tableSelect, utcWallTime } from '#adapters/duckdb/lake-select';
import { isProcessAlive, ownerPid } from '#adapters/local/local-process';
import { ThermoclineError } from '#core/errors';
import { currentFiles, type CurrentPartition, type LakeReadSide } from '#core/lake/current-files';
import { quoteIdent } from '#core/sql/ident';
import type { CatalogTable } from '#ports/catalog';
import { systemClock, type Clock } from '#ports/clock';

/** Options of {@link writeLakeViews}. */
export interface LakeViewsOptions {
  /** The database file to write (absolute); replaced whole when it is a views file already. */
  readonly file: string;
  /** The catalog tables to write a view of, one view each, named like the table. */
  readonly tables: readonly CatalogTable[];
  /** Called after each view. */
  readonly onProgress?: (done: number, total: number, view: string) => void;
  /** The build's instant, recorded in the file. @default the system clock */
  readonly clock?: Clock;
}

/** One view written. */
export interface LakeView {
  readonly view: string;
  readonly partitions: number;
  readonly files: number;
  /** Rows the view returns: the catalog's rows of the table, checked before the file is kept. */
  readonly rows: number;
}

/** What {@link writeLakeViews} wrote. */
export interface LakeViewsReport {
  readonly file: string;
  /** The lake root the views read from (absolute). */
  readonly lake: string;
  readonly catalog: string;
  /** ISO instant of the build: the views show the lake as it was then. */
  readonly builtAt: string;
  readonly views: readonly LakeView[];
  readonly rows: number;
}

/** The file cannot be written there: the real cause and what to do. Exit code 2. */
export class ViewsFileError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'views_file', 2);
  }
}

/**
 * The table in the file that lists its views, their rows, the lake and the build's instant (and
 * marks the file as a views file).
 */
export const VIEWS_INFO_TABLE = 'thermocline.views';

/**
 * The table in the file that lists each view's files by absolute path, with their partition
 * values: the exact file list for readers that take paths (Polars, Spark, pandas).
 */
export const FILES_INFO_TABLE = 'thermocline.files';

/**
 * Writes a DuckDB database file with one persistent view per catalog table over exactly the
 * current files of each of its partitions (the files its version's manifest lists, by absolute
 * path), the partition keys as VARCHAR constants as the catalog has them, the partitions joined
 * with `UNION ALL BY NAME` and each partition read with `union_by_name` (so days exported before
 * a column was added read it as NULL). Timestamps read as Athena reads them: the UTC wall time,
 * without a zone, whatever the reader's `TimeZone`. A table with no partition is an empty view
 * typed from the catalog. The table `thermocline.views` lists the views, their rows, the lake and
 * the build's instant; `thermocline.files` lists every file a view reads.
 *
 * Before the file is kept, each view's rows per partition are counted and must equal the
 * catalog's (a partition whose files are missing or changed fails, naming it). The file is built
 * under a temporary name next to `file` and renamed over it: readers see the old file or the new
 * one, never half. An existing `file` is replaced only when it is a views file (it has
 * `thermocline.views`): any other file is left alone and refused.
 *
 * The views name the files current at build time: they stay readable until their day is
 * re-exported twice (the clean step keeps one replaced version), so build them again after each
 * ETL run or sync.
 * @example
 * const report = await writeLakeViews(openLocalLake(home), { file: '/data/lake.duckdb', tables });
 * report.views[0]; // { view: 'agent_tasks', partitions: 3, files: 3, rows: 1234 }
 */
export async function writeLakeViews(
  lake: LakeReadSide,
  options: LakeViewsOptions,
): Promise<LakeViewsReport> {
  const { file } = options;
  await checkTarget(file);
  await sweepTemporaries(file);
  const temporary = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  await probeWrite(file, temporary);
  const builtAt = (options.clock ?? systemClock).now().toISOString();
  let kept = false;
  try {
    const instance = await DuckDBInstance.create(temporary, {
      threads: '2',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    }).catch((error: unknown) => {
      throw new ViewsFileError(`cannot create ${temporary}: ${duckMessage(error)}`);
    });
    const views: LakeView[] = [];
    try {
      const connection = await instance.connect();
      try {
        await createInfoTables(connection);
        for (const [index, table] of options.tables.entries()) {
          const partitions = await currentFiles(lake, table.name);
          const view = await writeView(connection, lake, table, partitions);
          await recordView(connection, lake, view, partitions, builtAt);
          views.push(view);
          options.onProgress?.(index + 1, options.tables.length, table.name);
        }
        await connection.run('CHECKPOINT').catch((error: unknown) => {
          throw new ViewsFileError(`cannot write ${temporary}: ${duckMessage(error)}`);
        });
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    // A WAL left by a session of the file being replaced belongs to the old file: DuckDB would
    // replay it onto the new one.
    await rm(`${file}.wal`, { force: true });
    await rename(temporary, file).catch((error: unknown) => {
      throw writeError(file, error);
    });
    kept = true;
    return {
      file,
      lake: lake.store.root,
      catalog: lake.catalog.description,
      builtAt,
      views,
      rows: views.reduce((n, v) => n + v.rows, 0),
    };
  } finally {
    if (!kept) {
      await rm(temporary, { force: true });
      await rm(`${temporary}.wal`, { force: true });
    }
  }
}

/** Writes one view, then checks its rows per partition against the catalog. */
async function writeView(
  connection: DuckDBConnection,
  lake: LakeReadSide,
  table: CatalogTable,
  partitions: readonly CurrentPartition[],
): Promise<LakeView> {
  const located = partitions.map((p) => ({
    partition: p.partition,
    paths: p.keys.map((key) => lake.store.locate(key)),
  }));
  const body = tableSelect(table, located);
  const failed = (error: unknown): ThermoclineError =>
    new ThermoclineError(
      `cannot read the current files of table '${table.name}': ${duckMessage(error)}. ` +
        `Run 'thermocline verify --table ${table.name}' to see what is missing, then build the views again`,
      'lake_files',
      1,
    );
  const described = await connection
    .runAndReadAll(`DESCRIBE SELECT * FROM (${body})`)
    .catch((error: unknown) => {
      throw failed(error);
    });
  const columns = described
    .getRowObjectsJS()
    .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  await connection
    .run(`CREATE VIEW ${quoteIdent(table.name)} AS\n${utcWallTime(body, columns)}`)
    .catch((error: unknown) => {
      throw failed(error);
    });
  await checkRows(connection, table, partitions).catch((error: unknown) => {
    throw error instanceof ThermoclineError ? error : failed(error);
  });
  return {
    view: table.name,
    partitions: partitions.length,
    files: partitions.reduce((n, p) => n + p.keys.length, 0),
    rows: partitions.reduce((n, p) => n + p.partition.rows, 0),
  };
}

/** Counts the view's rows per partition; each must be the catalog's. */
async function checkRows(
  connection: DuckDBConnection,
  table: CatalogTable,
  partitions: readonly CurrentPartition[],
): Promise<void> {
  const keys = table.partitionKeys.map(quoteIdent);
  const reader = await connection.runAndReadAll(
    keys.length > 0
      ? `SELECT ${keys.join(', ')}, count(*)::BIGINT AS n FROM ${quoteIdent(table.name)} GROUP BY ALL`
      : `SELECT count(*)::BIGINT AS n FROM ${quoteIdent(table.name)}`,
  );
  const counted = new Map<string, number>();
  for (const row of reader.getRowObjectsJS()) {
    const values = table.partitionKeys.map((key) => String(row[key]));
    counted.set(JSON.stringify(values), Number(row.n));
  }
  for (const { partition } of partitions) {
    const got = counted.get(JSON.stringify(partition.values)) ?? 0;
    if (got === partition.rows) continue;
    const where =
      table.partitionKeys.length > 0
        ? ` partition ${table.partitionKeys.map((key, i) => `${key}=${partition.values[i] ?? ''}`).join('/')}`
        : '';
    throw new ThermoclineError(
      `the view of '${table.name}'${where} would return ${got} rows, but the catalog publishes ` +
        `${partition.rows} (version ${partition.location}): its files are missing or changed, or ` +
        `an export replaced it meanwhile. Run 'thermocline verify --table ${table.name}', then ` +
        `build the views again; nothing was written`,
      'lake_rows',
      1,
    );
  }
}

/** The tables that say what the file holds: `thermocline.views` and `thermocline.files`. */
async function createInfoTables(connection: DuckDBConnection): Promise<void> {
  await connection.run('CREATE SCHEMA thermocline');
  await connection.run(
    `CREATE TABLE ${VIEWS_INFO_TABLE} (view VARCHAR, partitions INTEGER, files INTEGER, ` +
      `"rows" BIGINT, built_at TIMESTAMP, lake VARCHAR, catalog VARCHAR)`,
  );
  await connection.run(
    `CREATE TABLE ${FILES_INFO_TABLE} (view VARCHAR, partition_values VARCHAR[], path VARCHAR)`,
  );
}

/** A view's line in `thermocline.views`, and its files (absolute paths) in `thermocline.files`. */
async function recordView(
  connection: DuckDBConnection,
  lake: LakeReadSide,
  view: LakeView,
  partitions: readonly CurrentPartition[],
  builtAt: string,
): Promise<void> {
  await connection.run(
    `INSERT INTO ${VIEWS_INFO_TABLE} VALUES (${sqlString(view.view)}, ${view.partitions}, ` +
      `${view.files}, ${view.rows}, make_timestamp(${Date.parse(builtAt) * 1000}), ` +
      `${sqlString(lake.store.root)}, ${sqlString(lake.catalog.description)})`,
  );
  const appender = await connection.createAppender('files', 'thermocline');
  try {
    for (const { partition, keys } of partitions) {
      for (const key of keys) {
        appender.appendVarchar(view.view);
        appender.appendList(partition.values, LIST(VARCHAR));
        appender.appendVarchar(lake.store.locate(key));
        appender.endRow();
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * The target must be a file path whose existing file, if any, is a views file (or empty): the
 * command replaces it whole, so a user's own database or file is refused, never overwritten.
 */
async function checkTarget(file: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // its folder is checked by the write probe
    throw writeError(file, error);
  }
  if (info.isDirectory()) {
    throw new ViewsFileError(
      `--duckdb ${file} is a folder; give the path of a file, e.g. ${join(file, 'lake.duckdb')}`,
    );
  }
  if (info.size === 0) return;
  const notOurs = (what: string): ViewsFileError =>
    new ViewsFileError(
      `${file} ${what}; 'lake views' replaces the whole file, so it only overwrites a file it ` +
        `wrote: give another path, or delete that file first`,
    );
  const duckDbFile = await isDuckDbFile(file).catch((error: unknown) => {
    throw writeError(file, error);
  });
  if (!duckDbFile) throw notOurs('exists and is not a DuckDB database');
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      const found = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE schema_name = 'thermocline' AND table_name = 'views'`,
      );
      if (Number(found.getRowObjectsJS()[0]?.n) === 0) {
        throw notOurs(
          `is a DuckDB database that 'lake views' did not write (no ${VIEWS_INFO_TABLE})`,
        );
      }
    } finally {
      connection.closeSync();
    }
  } catch (error) {
    if (error instanceof ViewsFileError) throw error;
    throw new ViewsFileError(
      `cannot open ${file} to check it is a views file before replacing it: ${duckMessage(error)}. ` +
        `If a DuckDB session has it open for writing, close it (a read-only one, 'duckdb -readonly', does not block) and run again`,
    );
  } finally {
    instance?.closeSync();
  }
}

/** A DuckDB database file starts with a checksum, then `DUCK`. */
async function isDuckDbFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(12);
    const { bytesRead } = await handle.read(header, 0, 12, 0);
    return bytesRead === 12 && header.subarray(8, 12).toString('latin1') === 'DUCK';
  } finally {
    await handle.close();
  }
}

/** Creates and removes the temporary file first: a folder that cannot take it fails with its cause. */
async function probeWrite(file: string, temporary: string): Promise<void> {
  try {
    await writeFile(temporary, '', { flag: 'wx' });
  } catch (error) {
    throw writeError(file, error);
  } finally {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

const CAUSES: Readonly<Record<string, string>> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EISDIR: 'it is a folder',
};

/** A file-system error writing the views file, in words, with what to do. */
function writeError(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const cause = CAUSES[code];
  if (!cause) return error instanceof Error ? error : new Error(String(error));
  const fix =
    code === 'ENOENT'
      ? `create ${dirname(file)} or give a path in an existing folder`
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? 'free some space there or give a path on another disk'
        : 'give a path in a folder you can write';
  return new ViewsFileError(`cannot write the views file ${file}: ${cause} (${code}); ${fix}`);
}

/** Removes `<file>.<pid>-<random>.tmp` files (and their WALs) of builds whose process ended. */
async function sweepTemporaries(file: string): Promise<void> {
  const prefix = `${basename(file)}.`;
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !/\.tmp(\.wal)?$/.test(name)) continue;
    const pid = ownerPid(name, prefix);
    if (pid !== undefined && !isProcessAlive(pid)) {
      await rm(join(dirname(file), name), { force: true });
    }
  }
}

function duckMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Error: /, '').split('\n')[0] ?? message;
}

/** A DuckDB string literal. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
