/**
 * Reading what an export published, with DuckDB as an independent reader: the catalog names each
 * partition's current version folder, the object store lists its files, and DuckDB reads them.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { JS } from '@duckdb/node-api';
import type { Catalog } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';

/** The lake side of the export's dependencies. */
export interface PublishedLake {
  readonly store: ObjectStore;
  readonly catalog: Catalog;
}

/** Options of {@link readPublished}. */
export interface ReadPublishedOptions {
  /** Select list over the files' columns. @default '*' */
  readonly select?: string;
  /** ORDER BY clause (without the keywords). @default none */
  readonly orderBy?: string;
  /** Connection to run on; without one, a private in-memory DuckDB is opened and closed. */
  readonly connection?: DuckDBConnection;
}

/** A DuckDB string literal. */
export function duckString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The local paths of the Parquet files of every current partition of `table`, in key order.
 * @example
 * const files = await publishedFiles({ store, catalog }, 'agent_tasks');
 */
export async function publishedFiles(lake: PublishedLake, table: string): Promise<string[]> {
  const files: string[] = [];
  for (const partition of await lake.catalog.listPartitions(table)) {
    for (const object of await lake.store.list(partition.location)) {
      if (object.key.endsWith('.parquet')) files.push(lake.store.locate(object.key));
    }
  }
  return files;
}

/**
 * The published rows of `table` as DuckDB returns them (JS values: BIGINT as bigint, lists as
 * arrays). Reads the files of the catalog's current partitions only, without Hive partition
 * columns; an empty array when nothing is published.
 * @example
 * const rows = await readPublished({ store, catalog }, 'agent_tasks', { orderBy: 'id' });
 */
export async function readPublished(
  lake: PublishedLake,
  table: string,
  options: ReadPublishedOptions = {},
): Promise<Record<string, JS>[]> {
  const files = await publishedFiles(lake, table);
  if (files.length === 0) return [];
  const sql =
    `SELECT ${options.select ?? '*'} FROM read_parquet([${files.map(duckString).join(', ')}], ` +
    `hive_partitioning = false)${options.orderBy ? ` ORDER BY ${options.orderBy}` : ''}`;
  if (options.connection) {
    return (await options.connection.runAndReadAll(sql)).getRowObjectsJS();
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
