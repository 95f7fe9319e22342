import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  arrayFromArrayValue,
  arrayFromListValue,
  BIGINT,
  BOOLEAN,
  booleanFromValue,
  createDuckDBValueConverter,
  DOUBLE,
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  LIST,
  listValue,
  nullConverter,
  numberFromValue,
  objectArrayFromMapValue,
  objectFromStructValue,
  objectFromUnionValue,
  SQLNULL,
  stringFromValue,
  VARCHAR,
  type DuckDBBlobValue,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBValueConverter,
} from '@duckdb/node-api';
import {
  explainDuckDbError,
  installTrinoDialect,
  LocalFunctionError,
  toDuckDbSql,
} from '#adapters/duckdb/trino-dialect';
import { ThermoclineError } from '#core/errors';
import {
  LAKE_TIMEOUT_SETTING,
  LakePartitionDamagedError,
  LakeScanStoppedError,
  QueryCancelledError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';
import {
  base64Of,
  isoDateFromEpochDays,
  isoFromEpochMicros,
  jsonSafeFloat,
  jsonSafeInteger,
  jsonSafeReal,
  trinoInterval,
} from '#core/query/rows';
import { identifierUse } from '#core/query/sql-text';
import { Semaphore } from '#core/semaphore';
import { tableSelect, utcWallTime } from '#adapters/duckdb/lake-select';
import { quoteIdent } from '#core/sql/ident';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';
import type {
  LakeQuery,
  LakeQueryEngine,
  LakeTableScan,
  QueryColumn,
  QueryParam,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';

/** Options of {@link createDuckDbQueryEngine}. */
export interface DuckDbQueryEngineOptions {
  /** DuckDB's memory limit (its buffers; the process adds Node's own). @default '512MB' */
  readonly memoryLimit?: string;
  /** Worker threads. @default 2 */
  readonly threads?: number;
  /**
   * Queries that run at once; the others wait for a slot in arrival order. Each running statement
   * holds a thread of libuv's pool (Node's file system and DNS work share it), so this keeps the
   * pool free for the API's light requests however many plans run.
   * @default 2
   */
  readonly maxConcurrentQueries?: number;
  /**
   * The command (or what to do) that restores a damaged partition of `table`, for the
   * {@link LakePartitionDamagedError} message; undefined: a generic hint.
   * @default the backfill of the partition's day, read from its `dt` or `year/month/day` keys
   */
  readonly repairHint?: (table: string, values: readonly string[]) => string | undefined;
}

const ENGINE = 'duckdb';

/**
 * The local lake engine: DuckDB over the lake's Parquet files, standing in for Athena. Each query
 * runs on its own connection, where every table it reads is a TEMP VIEW over exactly the
 * partitions the caller kept (the scan estimate's pruning): per partition
 * `SELECT *, '<value>' AS <key>, … FROM read_parquet([files], hive_partitioning = false, union_by_name = true)`, the
 * partitions joined with UNION ALL BY NAME. Partition values are VARCHAR columns, as Glue types
 * them for Athena; a table with no partition left is an empty view with the catalog's columns.
 *
 * Bytes scanned are the compressed bytes of the column chunks the query reads, from the
 * partitions' `columnBytes` (Parquet footers, recorded at export) for the columns the caller
 * names in `LakeTableScan.columns`, or else for the table's columns the SQL mentions (all of
 * them for `*`); a partition without `columnBytes` counts whole. A query over `maxScanBytes` is
 * refused before it runs ({@link LakeScanStoppedError}).
 *
 * The statement is Athena's SQL (Trino): the Trino dialect (`trino-dialect.ts`) translates it
 * for DuckDB with Trino's functions and semantics, in UTC, and refuses what it cannot run as
 * Athena would; unnamed result columns are `_col<i>`, and a lake `timestamp` reads as the UTC
 * wall time, without a zone, as on Athena.
 *
 * Defence in depth behind the SQL guard: file access is limited to the lake directory
 * (`enable_external_access = false` with `allowed_directories`), extensions are never
 * auto-installed, and the configuration is locked.
 *
 * Limits: at most `maxConcurrentQueries` (2) queries run at once, the others wait; a query still
 * running after its `timeoutMs` is interrupted ({@link StatementTimeoutError}), as is one whose
 * signal aborts ({@link QueryCancelledError}).
 *
 * Before reading, each kept partition's files are compared with the catalog: a folder that is
 * gone, fewer Parquet files than the catalog lists, or fewer rows in their footers than it
 * records (in a publish's version folder, any other number of files or rows) fail the query with
 * {@link LakePartitionDamagedError} (naming the partition and the command that restores it)
 * instead of answering wrong rows as a success. Error messages name lake files by
 * their lake-relative keys, never by local paths.
 * @example
 * const engine = await createDuckDbQueryEngine(store);
 * const result = await engine.run({
 *   sql: 'SELECT membercode, count(*) AS n FROM events WHERE event_type = $1 GROUP BY 1',
 *   params: ['GameOpened'], maxScanBytes: 10e9, scans: estimate.scans,
 * });
 * await engine.close();
 */
export async function createDuckDbQueryEngine(
  store: ObjectStore,
  options: DuckDbQueryEngineOptions = {},
): Promise<LakeQueryEngine> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit ?? '512MB',
    threads: String(options.threads ?? 2),
    temp_directory: join(tmpdir(), 'thermocline-duckdb'),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const setup = await instance.connect();
  try {
    await installTrinoDialect(setup);
    if (store.root.startsWith('/')) {
      await setup.run(`SET allowed_directories = [${sqlString(`${store.root}/`)}]`);
      await setup.run('SET enable_external_access = false');
    }
    await setup.run('SET lock_configuration = true');
  } finally {
    setup.closeSync();
  }
  let closed = false;
  const slots = new Semaphore(options.maxConcurrentQueries ?? 2);
  const lake: LakeFiles = {
    store,
    ...(options.repairHint ? { repairHint: options.repairHint } : {}),
  };
  return {
    name: ENGINE,
    run: async (query) => {
      if (closed) throw new Error('the DuckDB query engine is closed; create a new one');
      if (query.signal?.aborted) throw new QueryCancelledError(ENGINE);
      const release = await slots.acquire(query.signal).catch(() => {
        throw new QueryCancelledError(ENGINE);
      });
      try {
        if (closed) throw new Error('the DuckDB query engine is closed; create a new one');
        const connection = await instance.connect();
        try {
          return await runQuery(connection, lake, query);
        } finally {
          connection.closeSync();
        }
      } finally {
        release();
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      instance.closeSync();
    },
  };
}

/** The lake's store and how to restore a damaged partition, for reading and messages. */
interface LakeFiles {
  readonly store: ObjectStore;
  readonly repairHint?: (table: string, values: readonly string[]) => string | undefined;
}

/** A kept partition and the keys of the Parquet files in its folder. */
interface PartitionFiles {
  readonly table: CatalogTable;
  readonly partition: CatalogPartition;
  readonly keys: readonly string[];
}

async function runQuery(
  connection: DuckDBConnection,
  lake: LakeFiles,
  query: LakeQuery,
): Promise<QueryResult> {
  const { signal } = query;
  let timedOut = false;
  const interrupt = (): void => connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  const timer =
    query.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          connection.interrupt();
        }, query.timeoutMs);
  // An interrupt between two statements may not reach the next one: check before each.
  const checkpoint = (): void => {
    if (timedOut || signal?.aborted) throw new Error('Interrupted');
  };
  let files: PartitionFiles[] = [];
  try {
    files = await partitionFiles(lake, query.scans);
    checkpoint();
    await checkRows(connection, lake, files);
    for (const scan of query.scans) {
      checkpoint();
      await connection.run(await tableView(connection, lake.store, scan, files));
    }
    const bytesScanned = scanBytes(query);
    if (bytesScanned > query.maxScanBytes) {
      throw new LakeScanStoppedError({
        engine: ENGINE,
        bytesScanned,
        limitBytes: query.maxScanBytes,
      });
    }
    const started = performance.now();
    checkpoint();
    const sql = await toDuckDbSql(connection, query.sql);
    checkpoint();
    const statement: DuckDBPreparedStatement = await connection.prepare(sql);
    try {
      bindParams(statement, query.params);
    } catch (error) {
      statement.destroySync();
      throw error;
    }
    checkpoint();
    const reader = await statement.runAndReadAll().finally(() => statement.destroySync());
    const engineMs = Math.round(performance.now() - started);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns: QueryColumn[] = names.map((name, i) => ({
      name,
      type: types[i]?.toString() ?? 'UNKNOWN',
    }));
    const rows = reader.getRows().map((values) => {
      const row: QueryRow = {};
      values.forEach((value, i) => {
        const type = types[i];
        row[names[i] ?? `column${i}`] = type ? toJson(value, type, toJson) : null;
      });
      return row;
    });
    return { columns, rows, bytesScanned, engineMs, reused: false };
  } catch (error) {
    if (timedOut) {
      throw new StatementTimeoutError(ENGINE, query.timeoutMs ?? 0, LAKE_TIMEOUT_SETTING);
    }
    throw failure(error, signal, lake, files);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', interrupt);
  }
}

/**
 * A DuckDB error as a query failure: the cancellation; a file of a kept partition that cannot be
 * read as a damaged partition; else the query's fault (400). Local paths become lake keys.
 */
function failure(
  error: unknown,
  signal: AbortSignal | undefined,
  lake: LakeFiles,
  files: readonly PartitionFiles[],
): Error {
  if (signal?.aborted) return new QueryCancelledError(ENGINE);
  if (error instanceof ThermoclineError) return error;
  if (error instanceof LocalFunctionError) {
    return new QueryFailedError(ENGINE, lakeRelative(error.message, lake.store), 400);
  }
  const raw = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
  const line = raw.split('\n')[0] ?? raw;
  const unreadable = files.find((f) => f.keys.some((key) => line.includes(lake.store.locate(key))));
  if (unreadable) {
    return damaged(lake, unreadable, `a file cannot be read (${lakeRelative(line, lake.store)})`);
  }
  return new QueryFailedError(ENGINE, lakeRelative(explainDuckDbError(line), lake.store), 400);
}

/** A message with the lake directory's paths as lake-relative keys. */
function lakeRelative(message: string, store: ObjectStore): string {
  return message.replaceAll(`${store.root}/`, '').replaceAll(store.root, '.');
}

/**
 * The Parquet files of every kept partition, checked against the catalog: a partition whose
 * folder holds fewer Parquet files than the catalog lists (none at all when the folder is gone)
 * is damaged.
 */
async function partitionFiles(
  lake: LakeFiles,
  scans: readonly LakeTableScan[],
): Promise<PartitionFiles[]> {
  const found: PartitionFiles[] = [];
  for (const scan of scans) {
    for (const partition of scan.partitions) {
      const objects = await lake.store.list(partition.location);
      const keys = objects.filter((o) => o.key.endsWith('.parquet')).map((o) => o.key);
      const located: PartitionFiles = { table: scan.table, partition, keys };
      if (keys.length < partition.files || (keys.length === 0 && partition.rows > 0)) {
        throw damaged(lake, located, await missingFiles(lake.store, located, objects.length));
      }
      if (keys.length > partition.files && isVersionFolder(partition)) {
        throw damaged(
          lake,
          located,
          `${plural(keys.length, 'Parquet file')} are in ${partition.location}, the catalog ` +
            `lists ${partition.files}: a file was added after the publish`,
        );
      }
      found.push(located);
    }
  }
  return found;
}

/**
 * Whether the partition's files are a publish's version folder (`…/v=<run>/`), written whole before
 * the catalog named it and never changed: its files and rows must match the catalog exactly. Other
 * folders (a reference table's changes partition) grow before the catalog catches up, so only
 * fewer files or rows than it records are damage there.
 */
function isVersionFolder(partition: CatalogPartition): boolean {
  return /(^|\/)v=[^/]+\/$/.test(partition.location);
}

/** What is missing from a partition's folder, named from its `_manifest.json` when there is one. */
async function missingFiles(
  store: ObjectStore,
  located: PartitionFiles,
  objects: number,
): Promise<string> {
  const { partition, keys } = located;
  const listed = `the catalog lists ${plural(partition.files, 'file')}, ${plural(partition.rows, 'row')}`;
  if (objects === 0) {
    return `its folder ${partition.location} is missing or empty (${listed} there)`;
  }
  const present = new Set(keys);
  const manifest = await store
    .getText(`${partition.location}_manifest.json`)
    .then((text) => (text === undefined ? undefined : (JSON.parse(text) as { files?: unknown })))
    .catch(() => undefined);
  const named = Array.isArray(manifest?.files)
    ? manifest.files
        .map((f) => (f as { key?: unknown }).key)
        .filter((key): key is string => typeof key === 'string' && !present.has(key))
    : [];
  const what =
    named.length > 0
      ? `${named.map((key) => key.slice(key.lastIndexOf('/') + 1)).join(', ')} ${named.length === 1 ? 'is' : 'are'} missing`
      : `${partition.files - keys.length} of its ${plural(partition.files, 'file')} ${partition.files - keys.length === 1 ? 'is' : 'are'} missing`;
  return `${what} from ${partition.location} (${listed})`;
}

/**
 * Compares the rows in the kept partitions' Parquet footers (one `parquet_file_metadata` over all
 * their files) with the catalog's: fewer rows than recorded (other rows, in a version folder) is a
 * damaged partition.
 */
async function checkRows(
  connection: DuckDBConnection,
  lake: LakeFiles,
  files: readonly PartitionFiles[],
): Promise<void> {
  const paths = files.flatMap((f) => f.keys.map((key) => lake.store.locate(key)));
  if (paths.length === 0) return;
  const footers = await connection.runAndReadAll(
    `SELECT file_name, num_rows FROM parquet_file_metadata([${paths.map(sqlString).join(', ')}])`,
  );
  const rowsOf = new Map<string, number>();
  for (const [name, rows] of footers.getRows()) rowsOf.set(String(name), Number(rows));
  for (const located of files) {
    const rows = located.keys.reduce((n, key) => n + (rowsOf.get(lake.store.locate(key)) ?? 0), 0);
    const expected = located.partition.rows;
    if (rows < expected || (rows > expected && isVersionFolder(located.partition))) {
      throw damaged(
        lake,
        located,
        `its ${plural(located.keys.length, 'file')} in ${located.partition.location} ` +
          `${located.keys.length === 1 ? 'holds' : 'hold'} ` +
          `${plural(rows, 'row')}, the catalog records ${expected}`,
      );
    }
  }
}

/** The damaged-partition error of a kept partition, with the command that restores it. */
function damaged(
  lake: LakeFiles,
  located: PartitionFiles,
  problem: string,
): LakePartitionDamagedError {
  const { table, partition } = located;
  return new LakePartitionDamagedError({
    table: table.name,
    partition: partition.location.replace(/v=[^/]+\/$/, ''),
    problem,
    fix:
      lake.repairHint?.(table.name, partition.values) ??
      defaultRepairHint(table.name, partition.values, table.partitionKeys) ??
      `publish it again (thermocline backfill for a configured table, thermocline sync --mode full for a reference table)`,
  });
}

/**
 * The backfill of a partition's day, when its keys name the day (`dt`, or `year`/`month`/`day`).
 * @example
 * defaultRepairHint('agent_tasks', ['2025', '02', '15'], ['year', 'month', 'day']);
 * // 'thermocline backfill --table agent_tasks --from 2025-02-15 --to 2025-02-15'
 */
function defaultRepairHint(
  table: string,
  values: readonly string[],
  keys: readonly string[] = [],
): string | undefined {
  const at = (key: string): string | undefined => values[keys.indexOf(key)];
  const day =
    keys.includes('dt') && at('dt')
      ? at('dt')
      : keys.includes('year')
        ? `${at('year')}-${at('month')}-${at('day')}`
        : undefined;
  if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  return `thermocline backfill --table ${table} --from ${day} --to ${day}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The TEMP VIEW of one table over exactly the scan's partitions, its timestamps without time
 * zone: Glue types every timestamp column `timestamp` and Athena reads it as the UTC wall time,
 * so `hour(at)`, `CAST(at AS varchar)` and comparisons with TIMESTAMP literals give Athena's
 * answers (the Parquet files hold UTC instants, which DuckDB reads as TIMESTAMPTZ).
 */
async function tableView(
  connection: DuckDBConnection,
  store: ObjectStore,
  scan: LakeTableScan,
  files: readonly PartitionFiles[],
): Promise<string> {
  const view = viewSql(store, scan, files);
  const zonedSource = scan.table.columns.some((c) =>
    /with time zone|timestamptz/.test(c.sourceType),
  );
  if (!zonedSource) return view;
  const body = view.slice(view.indexOf(' AS\n') + 4);
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM (${body})`);
  const columns = described
    .getRowObjectsJS()
    .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  return `CREATE OR REPLACE TEMP VIEW ${quoteIdent(scan.table.name)} AS\n${utcWallTime(body, columns)}`;
}

/**
 * The TEMP VIEW of one table over exactly the scan's partitions, their files as
 * {@link partitionFiles} found them. Where every partition's files hold the table's columns as the
 * table types them, each partition is `SELECT *` of its files. Otherwise — after a schema change,
 * or with uuids held as 16-byte binary — each partition selects the table's columns in the table's
 * order, as Athena reads a partition whose own columns differ from its table's: a column its files
 * hold with another (narrower) type is cast to the table's type, a column they do not hold is
 * NULL, a column they hold that the table no longer has is left out; a binary uuid is read as its
 * 16 bytes (BLOB), as Athena returns it.
 */
function viewSql(
  store: ObjectStore,
  scan: LakeTableScan,
  located: readonly PartitionFiles[],
): string {
  const partitions = scan.partitions.map((partition) => ({
    partition,
    paths: (located.find((f) => f.partition === partition)?.keys ?? []).map((key) =>
      store.locate(key),
    ),
  }));
  return `CREATE OR REPLACE TEMP VIEW ${quoteIdent(scan.table.name)} AS\n${tableSelect(scan.table, partitions)}`;
}

/** Σ over the scans' partitions of the compressed bytes of the columns the query reads. */
function scanBytes(query: LakeQuery): number {
  const use = identifierUse(query.sql);
  let total = 0;
  for (const scan of query.scans) {
    const keys = new Set(scan.table.partitionKeys);
    const read = (
      scan.columns ??
      scan.table.columns
        .map((c) => c.name)
        .filter((name) => use.selectAll || use.names.has(name) || use.names.has(name.toLowerCase()))
    ).filter((name) => !keys.has(name));
    for (const partition of scan.partitions) {
      const bytes = partition.columnBytes;
      total += bytes ? read.reduce((sum, name) => sum + (bytes[name] ?? 0), 0) : partition.bytes;
    }
  }
  return total;
}

/** Binds `$1..$n`: scalars by their JS type, lists as DuckDB LISTs (`= ANY($1)`, `list_contains`). */
function bindParams(statement: DuckDBPreparedStatement, params: readonly QueryParam[]): void {
  if (params.length !== statement.parameterCount) {
    throw new Error(
      `the statement has ${statement.parameterCount} parameter(s) but ${params.length} value(s) were bound; bind one value per $n`,
    );
  }
  params.forEach((value, i) => {
    const index = i + 1;
    if (value === null) statement.bindNull(index);
    else if (typeof value === 'string') statement.bindVarchar(index, value);
    else if (typeof value === 'boolean') statement.bindBoolean(index, value);
    else if (typeof value === 'number') bindNumber(statement, index, value);
    else bindListParam(statement, index, value);
  });
}

function bindNumber(statement: DuckDBPreparedStatement, index: number, value: number): void {
  if (Number.isSafeInteger(value)) statement.bindBigInt(index, BigInt(value));
  else statement.bindDouble(index, value);
}

function bindListParam(
  statement: DuckDBPreparedStatement,
  index: number,
  items: readonly (string | number | boolean)[],
): void {
  if (items.length === 0) {
    statement.bindList(index, listValue([]), LIST(SQLNULL));
  } else if (items.every((v) => typeof v === 'boolean')) {
    statement.bindList(index, listValue(items), LIST(BOOLEAN));
  } else if (items.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
    statement.bindList(index, listValue(items.map((v) => BigInt(v))), LIST(BIGINT));
  } else if (items.every((v) => typeof v === 'number')) {
    statement.bindList(index, listValue(items), LIST(DOUBLE));
  } else {
    statement.bindList(index, listValue(items.map(String)), LIST(VARCHAR));
  }
}

/** DuckDB values as JSON-safe values (see `QueryRow`). */
const converters: Partial<Record<DuckDBTypeId, DuckDBValueConverter<unknown>>> = {
  [DuckDBTypeId.BOOLEAN]: booleanFromValue,
  [DuckDBTypeId.TINYINT]: numberFromValue,
  [DuckDBTypeId.SMALLINT]: numberFromValue,
  [DuckDBTypeId.INTEGER]: numberFromValue,
  [DuckDBTypeId.UTINYINT]: numberFromValue,
  [DuckDBTypeId.USMALLINT]: numberFromValue,
  [DuckDBTypeId.UINTEGER]: numberFromValue,
  [DuckDBTypeId.BIGINT]: (v) => jsonSafeInteger(v as bigint),
  [DuckDBTypeId.UBIGINT]: (v) => jsonSafeInteger(v as bigint),
  [DuckDBTypeId.HUGEINT]: (v) => jsonSafeInteger(v as bigint),
  [DuckDBTypeId.UHUGEINT]: (v) => jsonSafeInteger(v as bigint),
  [DuckDBTypeId.BIGNUM]: (v) => jsonSafeInteger(v as bigint),
  [DuckDBTypeId.FLOAT]: (v) => jsonSafeReal(v as number),
  [DuckDBTypeId.DOUBLE]: (v) => jsonSafeFloat(v as number),
  [DuckDBTypeId.DECIMAL]: stringFromValue,
  [DuckDBTypeId.VARCHAR]: stringFromValue,
  [DuckDBTypeId.ENUM]: stringFromValue,
  [DuckDBTypeId.UUID]: stringFromValue,
  [DuckDBTypeId.TIME]: stringFromValue,
  [DuckDBTypeId.TIME_TZ]: stringFromValue,
  [DuckDBTypeId.TIME_NS]: stringFromValue,
  [DuckDBTypeId.INTERVAL]: (v) =>
    v instanceof DuckDBIntervalValue ? trinoInterval(v.months, v.days, v.micros) : String(v),
  [DuckDBTypeId.BIT]: stringFromValue,
  [DuckDBTypeId.DATE]: (v) => {
    const days = (v as DuckDBDateValue).days;
    return Number.isFinite(days) ? isoDateFromEpochDays(days) : String(v);
  },
  [DuckDBTypeId.TIMESTAMP]: (v) =>
    v instanceof DuckDBTimestampValue ? isoFromEpochMicros(v.micros) : String(v),
  [DuckDBTypeId.TIMESTAMP_TZ]: (v) =>
    v instanceof DuckDBTimestampTZValue ? isoFromEpochMicros(v.micros) : String(v),
  [DuckDBTypeId.TIMESTAMP_S]: (v) =>
    v instanceof DuckDBTimestampSecondsValue
      ? isoFromEpochMicros(v.seconds * 1_000_000n)
      : String(v),
  [DuckDBTypeId.TIMESTAMP_MS]: (v) =>
    v instanceof DuckDBTimestampMillisecondsValue
      ? isoFromEpochMicros(v.millis * 1000n)
      : String(v),
  [DuckDBTypeId.TIMESTAMP_NS]: (v) =>
    v instanceof DuckDBTimestampNanosecondsValue ? isoFromEpochMicros(v.nanos / 1000n) : String(v),
  [DuckDBTypeId.BLOB]: (v) => base64Of((v as DuckDBBlobValue).bytes),
  [DuckDBTypeId.GEOMETRY]: (v) => base64Of((v as DuckDBBlobValue).bytes),
  [DuckDBTypeId.LIST]: arrayFromListValue,
  [DuckDBTypeId.ARRAY]: arrayFromArrayValue,
  [DuckDBTypeId.STRUCT]: objectFromStructValue,
  [DuckDBTypeId.MAP]: objectArrayFromMapValue,
  [DuckDBTypeId.UNION]: objectFromUnionValue,
  [DuckDBTypeId.SQLNULL]: nullConverter,
  [DuckDBTypeId.VARIANT]: (v) => String(v),
};
const toJson = createDuckDBValueConverter<unknown>(
  converters as Record<DuckDBTypeId, DuckDBValueConverter<unknown> | undefined>,
);

/** A DuckDB string literal. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
