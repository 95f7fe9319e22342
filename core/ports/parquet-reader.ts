/**
 * Reading one Parquet object for an `S3ParquetRead` step: the footer first, then only the column
 * chunks of the wanted columns and of the row groups up to the limit. The adapter
 * (`#adapters/hyparquet/parquet-read`) works over any {@link ObjectStore}, S3 or the local lake.
 */
import type { ObjectStore } from '#ports/object-store';
import type { QueryResult } from '#ports/query-engine';

/** Options of a {@link ParquetObjectReader}. */
export interface ParquetReadOptions {
  /** Top-level columns to read, in this order. @default every column */
  readonly columns?: readonly string[];
  /** Rows to read at most (row groups past it are not fetched). @default every row */
  readonly limit?: number;
}

/**
 * Reads `key` of `store`: JSON-safe rows, the columns typed in Athena's words, `bytesScanned` what
 * was fetched.
 * @throws ObjectNotFoundError when the key is not there; QueryFailedError for a file that is not
 * Parquet or a column it does not have.
 */
export type ParquetObjectReader = (
  store: ObjectStore,
  key: string,
  options?: ParquetReadOptions,
) => Promise<QueryResult>;
