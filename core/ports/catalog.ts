/**
 * The catalog port: what the lake holds, as Glue describes it on AWS and a local JSON file does
 * locally — tables (schema, partition keys), and partitions (where the current version of each
 * is, how many rows and bytes). Putting a partition is the commit point of a publish: readers
 * switch from the old version to the new one at once.
 */

/** A column as the lake stores it. */
export interface CatalogColumn {
  readonly name: string;
  /** Athena (Hive DDL) type, e.g. `bigint`, `decimal(12,6)`, `array<string>`. */
  readonly type: string;
  /** The PostgreSQL type it came from, e.g. `numeric(12,6)`. */
  readonly sourceType: string;
}

/** A lake table. */
export interface CatalogTable {
  readonly name: string;
  readonly columns: readonly CatalogColumn[];
  /** Partition keys in path order, e.g. year, month, day — all `string` in the catalog. */
  readonly partitionKeys: readonly string[];
  /** Key prefix of the table in the object store, e.g. `agent_tasks/`. */
  readonly location: string;
  /** Hash of the column names and types: a change means a schema change. */
  readonly schemaHash: string;
}

/** One partition's current version. */
export interface CatalogPartition {
  /** Partition values in key order, e.g. ['2025', '02', '15'] or ['Login', '2025-02-15']. */
  readonly values: readonly string[];
  /** Key prefix of the current version's files (ends with `/`). */
  readonly location: string;
  readonly rows: number;
  readonly bytes: number;
  readonly files: number;
  /**
   * Compressed bytes of each column's chunks summed over the partition's files (from the Parquet
   * footers), for scan estimates. Absent for partitions published before it was recorded: the
   * estimate then falls back to `bytes` (every column).
   */
  readonly columnBytes?: Readonly<Record<string, number>>;
  /**
   * The columns the partition's files hold, in file order, with the types they were written with
   * — which may differ from the table's after a schema change (docs/type-contract.md "Schema changes"):
   * readers cast a widened column and read NULL for a column the files do not have. Absent for
   * partitions published before partitions recorded their columns (they hold the table's columns
   * as they were then: a catalog stamps them before it changes the table's), and where a catalog
   * listing leaves the columns out (Glue's GetPartitions with ExcludeColumnSchema).
   */
  readonly columns?: readonly CatalogColumn[];
  readonly runId: string;
  /** ISO instant of the publish. */
  readonly publishedAt: string;
}

/** The catalog. */
export interface Catalog {
  /** Where it is, for messages: `glue:database` or a file path. */
  readonly description: string;
  /**
   * Creates the table, or updates its schema when the hash differs. Existing partitions keep the
   * columns their files hold (see {@link CatalogPartition.columns}).
   */
  ensureTable(table: CatalogTable): Promise<void>;
  getTable(name: string): Promise<CatalogTable | undefined>;
  listTables(): Promise<CatalogTable[]>;
  /** Creates or replaces partitions (the publish's commit point). */
  putPartitions(table: string, partitions: readonly CatalogPartition[]): Promise<void>;
  /** Removes partitions (a re-published day that no longer has them). */
  deletePartitions(table: string, values: readonly (readonly string[])[]): Promise<void>;
  getPartition(table: string, values: readonly string[]): Promise<CatalogPartition | undefined>;
  listPartitions(table: string): Promise<CatalogPartition[]>;
}
