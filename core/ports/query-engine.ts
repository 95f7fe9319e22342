/**
 * The query engine ports: what runs the SQL of a plan step. The lake engine is Athena on AWS and
 * DuckDB over the lake's Parquet files locally; the hot engine is the RDS Data API on AWS and `pg`
 * locally. Both take positional parameters (`$1`, `$2`, …) and never splice values into SQL text.
 */
import type { CatalogPartition, CatalogTable } from '#ports/catalog';

/** A value a parameter may carry: a scalar, or a list (a bind of a field over all rows). */
export type QueryParam = string | number | boolean | null | readonly (string | number | boolean)[];

/** A result column: its name and the engine's type name (`bigint`, `varchar`, `timestamp`, …). */
export interface QueryColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * Rows with JSON-safe values: integers beyond 2^53 and decimals as strings, timestamps as ISO
 * 8601 strings, binary as base64, lists as arrays, NULL as null.
 */
export type QueryRow = Record<string, unknown>;

/** What one query returned, with what it cost. */
export interface QueryResult {
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  /** Bytes the engine read (Athena's DataScannedInBytes; locally the column chunks read). */
  readonly bytesScanned: number;
  /** Milliseconds the engine spent (Athena's EngineExecutionTimeInMillis; locally wall time). */
  readonly engineMs: number;
  /** The engine answered from its own result reuse (Athena ResultReuseInformation). */
  readonly reused: boolean;
  /** The engine's id of the query (Athena QueryExecutionId), when it has one. */
  readonly queryId?: string;
}

/** A lake table as one query reads it: the table and only the partitions left after pruning. */
export interface LakeTableScan {
  readonly table: CatalogTable;
  readonly partitions: readonly CatalogPartition[];
  /**
   * The table's columns the statement reads, when the caller knows them (the scan estimate does):
   * the DuckDB engine then reports the bytes of exactly these column chunks. Absent: the DuckDB
   * engine asks its own query plan which columns each scan projects.
   */
  readonly columns?: readonly string[];
}

/** One query for the lake engine. */
export interface LakeQuery {
  /** One read-only statement, already checked by the guard. */
  readonly sql: string;
  readonly params: readonly QueryParam[];
  /** Stop the query once it has scanned more than this (Athena: StopQueryExecution). */
  readonly maxScanBytes: number;
  /**
   * The tables the statement reads and their pruned partitions: DuckDB exposes exactly these
   * partitions' files under the table names; Athena reads the Glue tables and prunes itself.
   */
  readonly scans: readonly LakeTableScan[];
  /**
   * Statement timeout (`query.lake_statement_timeout_seconds`): a query still running after it is
   * interrupted (DuckDB) or stopped (Athena) and fails with `StatementTimeoutError`. Absent: none.
   */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Athena, or DuckDB locally. */
export interface LakeQueryEngine {
  /** `athena` or `duckdb`, for stats and messages. */
  readonly name: string;
  run(query: LakeQuery): Promise<QueryResult>;
  close(): Promise<void>;
}

/** One query for the hot engine. */
export interface HotQuery {
  readonly sql: string;
  readonly params: readonly QueryParam[];
  /** Statement timeout. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * PostgreSQL for plan steps: every query runs in a READ ONLY transaction with a statement
 * timeout, as a role that can only read (defence in depth behind the SQL guard).
 */
export interface HotQueryEngine {
  /** `postgres` or `rds-data`, for stats and messages. */
  readonly name: string;
  run(query: HotQuery): Promise<QueryResult>;
  close(): Promise<void>;
}
