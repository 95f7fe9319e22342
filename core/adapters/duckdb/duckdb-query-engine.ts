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
import {
  LakeScanStoppedError,
  QueryCancelledError,
  QueryFailedError,
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
import { quoteIdent } from '#core/sql/ident';
import type { CatalogColumn, CatalogPartition, CatalogTable } from '#ports/catalog';
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
  return {
    name: ENGINE,
    run: async (query) => {
      if (closed) throw new Error('the DuckDB query engine is closed; create a new one');
      const connection = await instance.connect();
      try {
        return await runQuery(connection, store, query);
      } finally {
        connection.closeSync();
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      instance.closeSync();
    },
  };
}

async function runQuery(
  connection: DuckDBConnection,
  store: ObjectStore,
  query: LakeQuery,
): Promise<QueryResult> {
  const { signal } = query;
  if (signal?.aborted) throw new QueryCancelledError(ENGINE);
  const interrupt = (): void => connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    for (const scan of query.scans) await connection.run(await tableView(connection, store, scan));
    const bytesScanned = scanBytes(query);
    if (bytesScanned > query.maxScanBytes) {
      throw new LakeScanStoppedError({
        engine: ENGINE,
        bytesScanned,
        limitBytes: query.maxScanBytes,
      });
    }
    const started = performance.now();
    const sql = await toDuckDbSql(connection, query.sql).catch((error: unknown) => {
      throw failure(error, signal);
    });
    const statement: DuckDBPreparedStatement = await connection
      .prepare(sql)
      .catch((error: unknown) => {
        throw failure(error, signal);
      });
    try {
      bindParams(statement, query.params);
    } catch (error) {
      statement.destroySync();
      throw failure(error, signal);
    }
    const reader = await statement
      .runAndReadAll()
      .catch((error: unknown) => {
        throw failure(error, signal);
      })
      .finally(() => statement.destroySync());
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
  } finally {
    signal?.removeEventListener('abort', interrupt);
  }
}

/** A DuckDB error as a query failure (400: the SQL or its parameters), or the cancellation. */
function failure(error: unknown, signal: AbortSignal | undefined): Error {
  if (signal?.aborted) return new QueryCancelledError(ENGINE);
  if (error instanceof LocalFunctionError) return new QueryFailedError(ENGINE, error.message, 400);
  const message = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
  return new QueryFailedError(ENGINE, explainDuckDbError(message.split('\n')[0] ?? message), 400);
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
): Promise<string> {
  const view = await viewSql(store, scan);
  const zonedSource = scan.table.columns.some((c) =>
    /with time zone|timestamptz/.test(c.sourceType),
  );
  if (!zonedSource) return view;
  const body = view.slice(view.indexOf(' AS\n') + 4);
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM (${body})`);
  const casts = described
    .getRowObjectsJS()
    .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }))
    .filter((column) => column.type.startsWith('TIMESTAMP WITH TIME ZONE'))
    .map((column) => {
      const naive = column.type.replace('TIMESTAMP WITH TIME ZONE', 'TIMESTAMP');
      return `CAST(${quoteIdent(column.name)} AS ${naive}) AS ${quoteIdent(column.name)}`;
    });
  if (casts.length === 0) return view;
  return `CREATE OR REPLACE TEMP VIEW ${quoteIdent(scan.table.name)} AS\nSELECT * REPLACE (${casts.join(', ')}) FROM (${body})`;
}

/**
 * The TEMP VIEW of one table over exactly the scan's partitions. Where every partition's files
 * hold the table's columns as the table types them, each partition is `SELECT *` of its files.
 * Otherwise — after a schema change, or with uuids held as 16-byte binary — each partition
 * selects the table's columns in the table's order, as Athena reads a partition whose own
 * columns differ from its table's: a column its files hold with another (narrower) type is cast
 * to the table's type, a column they do not hold is NULL, a column they hold that the table no
 * longer has is left out; a binary uuid is read as its 16 bytes (BLOB), as Athena returns it.
 */
export async function viewSql(store: ObjectStore, scan: LakeTableScan): Promise<string> {
  const { table } = scan;
  const adapted = needsAdapting(table, scan.partitions);
  const parts: string[] = [];
  for (const partition of scan.partitions) {
    const files = (await store.list(partition.location))
      .filter((o) => o.key.endsWith('.parquet'))
      .map((o) => sqlString(store.locate(o.key)));
    if (files.length === 0) continue;
    const keys = table.partitionKeys.map(
      (key, i) => `${sqlString(partition.values[i] ?? '')}::VARCHAR AS ${quoteIdent(key)}`,
    );
    const columns = adapted ? partitionColumns(table, partition) : '*';
    parts.push(
      `SELECT ${columns}${keys.length > 0 ? `, ${keys.join(', ')}` : ''} FROM read_parquet([${files.join(', ')}], hive_partitioning = false, union_by_name = true)`,
    );
  }
  const body = parts.length > 0 ? parts.join('\nUNION ALL BY NAME\n') : emptySelect(table);
  return `CREATE OR REPLACE TEMP VIEW ${quoteIdent(table.name)} AS\n${body}`;
}

/** A uuid the lake holds as 16 bytes (`uuid_as: 'binary'`; DuckDB reads it as UUID). */
function isBinaryUuid(column: Pick<CatalogColumn, 'type' | 'sourceType'>): boolean {
  return /binary/.test(column.type) && column.sourceType.toLowerCase().startsWith('uuid');
}

/** Whether any partition's files differ from the table's columns, or a uuid is binary. */
function needsAdapting(table: CatalogTable, partitions: readonly CatalogPartition[]): boolean {
  if (table.columns.some(isBinaryUuid)) return true;
  const same = (columns: readonly CatalogColumn[]): boolean =>
    columns.length === table.columns.length &&
    columns.every((c, i) => c.name === table.columns[i]?.name && c.type === table.columns[i]?.type);
  return partitions.some((p) => p.columns !== undefined && !same(p.columns));
}

/**
 * The type a column has in the other partitions' files, for a NULL standing in for it: as the
 * view exposes it, but a zoned timestamp stays TIMESTAMPTZ (the view reads those as UTC wall
 * times afterwards, see `tableView`).
 */
function fileDuckDbType(column: CatalogColumn): string {
  const zoned = /with time zone|timestamptz/.test(column.sourceType);
  return zoned ? duckDbType(column).replace(/^TIMESTAMP\b/, 'TIMESTAMPTZ') : duckDbType(column);
}

/** One partition's select list of the table's columns (see {@link viewSql}). */
function partitionColumns(table: CatalogTable, partition: CatalogPartition): string {
  const held = new Map((partition.columns ?? table.columns).map((c) => [c.name, c]));
  return table.columns
    .map((column) => {
      const name = quoteIdent(column.name);
      const own = held.get(column.name);
      if (!own) return `CAST(NULL AS ${fileDuckDbType(column)}) AS ${name}`;
      if (own.type !== column.type || isBinaryUuid(column)) {
        return `CAST(${name} AS ${duckDbType(column)}) AS ${name}`;
      }
      return name;
    })
    .join(', ');
}

/** No rows, the catalog's columns and partition keys. */
function emptySelect(table: CatalogTable): string {
  const columns = [
    ...table.columns.map((c) => `CAST(NULL AS ${duckDbType(c)}) AS ${quoteIdent(c.name)}`),
    ...table.partitionKeys.map((key) => `CAST(NULL AS VARCHAR) AS ${quoteIdent(key)}`),
  ];
  return `SELECT ${columns.join(', ')} WHERE false`;
}

/**
 * The DuckDB type of a catalog column as the view exposes it: its Athena (Hive DDL) type mapped
 * back — `timestamp` is a timestamp without time zone, as Athena reads it, whatever the source;
 * `binary` is BLOB, a uuid held as 16 bytes included (Athena returns its bytes). Unknown types
 * read as VARCHAR.
 * @example
 * duckDbType({ name: 'at', type: 'timestamp', sourceType: 'timestamp with time zone' }); // 'TIMESTAMP'
 */
export function duckDbType(column: Pick<CatalogColumn, 'type' | 'sourceType'>): string {
  return athenaToDuckDb(column.type.trim().toLowerCase());
}

const SIMPLE_TYPES: Readonly<Record<string, string>> = {
  tinyint: 'TINYINT',
  smallint: 'SMALLINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  float: 'FLOAT',
  real: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
  date: 'DATE',
};

function athenaToDuckDb(type: string): string {
  const simple = SIMPLE_TYPES[type];
  if (simple) return simple;
  if (/^(var)?char\(\d+\)$/.test(type) || type === 'varchar') return 'VARCHAR';
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return `DECIMAL(${decimal[1]},${decimal[2]})`;
  if (type === 'timestamp') return 'TIMESTAMP';
  if (type === 'binary') return 'BLOB';
  const array = /^array<(.+)>$/.exec(type);
  if (array?.[1]) return `${athenaToDuckDb(array[1])}[]`;
  return 'VARCHAR';
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
