/**
 * The SELECT DuckDB reads a lake table with, over exactly the files given per partition — one
 * definition for the local query engine's TEMP views and the `lake views` file: each partition's
 * files with its partition values as constants, joined `UNION ALL BY NAME`; after a schema change
 * (or with uuids held as 16 bytes) each partition reads the table's columns as Athena does; zoned
 * timestamps read as UTC wall times, as Athena reads the lake's `timestamp` columns.
 */
import { quoteIdent } from '#core/sql/ident';
import type { CatalogColumn, CatalogPartition, CatalogTable } from '#ports/catalog';

/** One partition and the absolute paths (or URLs) of its current files. */
export interface PartitionPaths {
  readonly partition: Pick<CatalogPartition, 'values' | 'columns'>;
  readonly paths: readonly string[];
}

/**
 * The SELECT of `table` over the partitions' files. Where every partition's files hold the
 * table's columns as the table types them, each partition is `SELECT *` of its files. Otherwise
 * — after a schema change, or with uuids held as 16-byte binary — each partition selects the
 * table's columns in the table's order, as Athena reads a partition whose own columns differ from
 * its table's: a column its files hold with another (narrower) type is cast to the table's type,
 * a column they do not hold is NULL, a column they hold that the table no longer has is left out;
 * a binary uuid is read as its 16 bytes (BLOB). Partitions without files are left out; with none
 * left it is an empty SELECT typed from the catalog.
 * @example
 * tableSelect(agentTasks, [{ partition, paths: ['/lake/agent_tasks/year=2025/month=02/day=15/v=r1/part-00000.parquet'] }]);
 * // SELECT *, '2025'::VARCHAR AS "year", … FROM read_parquet([…], hive_partitioning = false, union_by_name = true)
 */
export function tableSelect(
  table: Pick<CatalogTable, 'columns' | 'partitionKeys'>,
  partitions: readonly PartitionPaths[],
): string {
  const adapted = needsAdapting(
    table,
    partitions.map((p) => p.partition),
  );
  const parts = partitions
    .filter((p) => p.paths.length > 0)
    .map(({ partition, paths }) => {
      const keys = table.partitionKeys.map(
        (key, i) => `${sqlString(partition.values[i] ?? '')}::VARCHAR AS ${quoteIdent(key)}`,
      );
      const columns = adapted ? partitionColumns(table, partition) : '*';
      return (
        `SELECT ${columns}${keys.length > 0 ? `, ${keys.join(', ')}` : ''} ` +
        `FROM read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`
      );
    });
  return parts.length > 0 ? parts.join('\nUNION ALL BY NAME\n') : emptySelect(table);
}

/** A uuid the lake holds as 16 bytes (`uuid_as: 'binary'`; DuckDB reads it as UUID). */
function isBinaryUuid(column: Pick<CatalogColumn, 'type' | 'sourceType'>): boolean {
  return /binary/.test(column.type) && column.sourceType.toLowerCase().startsWith('uuid');
}

/** Whether any partition's files differ from the table's columns, or a uuid is binary. */
function needsAdapting(
  table: Pick<CatalogTable, 'columns'>,
  partitions: readonly Pick<CatalogPartition, 'columns'>[],
): boolean {
  if (table.columns.some(isBinaryUuid)) return true;
  const same = (columns: readonly CatalogColumn[]): boolean =>
    columns.length === table.columns.length &&
    columns.every((c, i) => c.name === table.columns[i]?.name && c.type === table.columns[i]?.type);
  return partitions.some((p) => p.columns !== undefined && !same(p.columns));
}

/**
 * The type a column has in the other partitions' files, for a NULL standing in for it: as the
 * view exposes it, but a zoned timestamp stays TIMESTAMPTZ (the view reads those as UTC wall
 * times afterwards, see {@link utcWallTime}).
 */
function fileDuckDbType(column: CatalogColumn): string {
  const zoned = /with time zone|timestamptz/.test(column.sourceType);
  return zoned ? duckDbType(column).replace(/^TIMESTAMP\b/, 'TIMESTAMPTZ') : duckDbType(column);
}

/** One partition's select list of the table's columns (see {@link tableSelect}). */
function partitionColumns(
  table: Pick<CatalogTable, 'columns'>,
  partition: Pick<CatalogPartition, 'columns'>,
): string {
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
function emptySelect(table: Pick<CatalogTable, 'columns' | 'partitionKeys'>): string {
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

/**
 * Wraps a SELECT so its `TIMESTAMP WITH TIME ZONE` columns (and lists of them) read as the UTC
 * wall time without a zone, as Athena reads the lake's `timestamp` columns. The conversion goes
 * through epoch microseconds, so it does not depend on the reading session's `TimeZone` (a CAST
 * would give the reader's local time).
 * @example
 * utcWallTime('SELECT …', [{ name: 'at', type: 'TIMESTAMP WITH TIME ZONE' }]);
 * // SELECT * REPLACE (make_timestamp(epoch_us("at")) AS "at") FROM (SELECT …)
 */
export function utcWallTime(
  body: string,
  columns: readonly { readonly name: string; readonly type: string }[],
): string {
  const replaced = columns.flatMap((column) => {
    const name = quoteIdent(column.name);
    if (column.type === 'TIMESTAMP WITH TIME ZONE') {
      return [`make_timestamp(epoch_us(${name})) AS ${name}`];
    }
    if (column.type === 'TIMESTAMP WITH TIME ZONE[]') {
      return [`list_transform(${name}, lambda x: make_timestamp(epoch_us(x))) AS ${name}`];
    }
    return [];
  });
  if (replaced.length === 0) return body;
  return `SELECT * REPLACE (${replaced.join(', ')}) FROM (\n${body}\n)`;
}

/** A DuckDB string literal. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
