/**
 * The Parquet rewriter port: SQL over Parquet files that writes Parquet files — what the
 * reference-table sync needs to merge a delta into the current state of a lake table
 * (`etl/sync/merge.ts` composes the SQL). The adapter is DuckDB, the same instance as the
 * {@link ParquetEncoder} (`createDuckDbEncoder` returns both); the SQL is DuckDB's dialect, as the
 * encoder's load and checksum expressions are.
 */
import type { ObjectStore } from '#ports/object-store';
import type { ParquetEncoder } from '#ports/parquet-encoder';

/** A column of a rewrite input: its name and DuckDB type. */
export interface RewriteColumn {
  readonly name: string;
  /** DuckDB type, e.g. `DECIMAL(14,2)`, `VARCHAR[]`, `TIMESTAMPTZ`. */
  readonly type: string;
}

/**
 * One input of a rewrite: Parquet files exposed to the SQL as a view named `name` with exactly
 * `columns` (each cast to its type; a column the files lack reads as NULL). With no files at all
 * the view is empty, with the same columns.
 */
export interface RewriteInput {
  readonly name: string;
  readonly columns: readonly RewriteColumn[];
  /** Local Parquet files (e.g. the paths an encoder batch wrote). */
  readonly files?: readonly string[];
  /**
   * Lake objects: read in place when the store locates them on the local file system, otherwise
   * fetched through the store into scratch space first (S3 on Lambda: no DuckDB extension needed).
   */
  readonly objects?: { readonly store: ObjectStore; readonly keys: readonly string[] };
}

/** One Parquet file a rewrite wrote. */
export interface RewrittenFile {
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
  /** Compressed bytes of each top-level column's chunks (from the file's footer). */
  readonly columnBytes: Readonly<Record<string, number>>;
}

/** A value of the summary row: numbers for whole numbers that fit, strings otherwise. */
export type RewriteValue = string | number | boolean | null;

/** What {@link ParquetRewriter.rewrite} runs. */
export interface RewriteRequest {
  readonly inputs: readonly RewriteInput[];
  /** Statements run in order once the views exist, e.g. `CREATE TEMP TABLE delta AS …`. */
  readonly statements?: readonly string[];
  /** A SELECT of one row (counts) run after the statements; its values are returned. */
  readonly summary?: string;
  /** Whether to write the outputs, decided from the summary. @default always */
  readonly writeIf?: (summary: Readonly<Record<string, RewriteValue>>) => boolean;
  /** Output name → SELECT whose rows become snappy Parquet files (none for no rows). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Rows per row group. */
  readonly rowGroupRows: number;
  /** A file is closed and a new one started past this many bytes. */
  readonly targetFileBytes: number;
}

/** Files in the rewriter's scratch space; `dispose` deletes them (and any fetched inputs). */
export interface RewriteResult {
  readonly summary: Readonly<Record<string, RewriteValue>>;
  /** Files per output name; every output is present (empty when nothing was written). */
  readonly outputs: Readonly<Record<string, readonly RewrittenFile[]>>;
  dispose(): Promise<void>;
}

/** Runs SQL over Parquet inputs and writes Parquet outputs. */
export interface ParquetRewriter {
  /**
   * Runs one rewrite in a private session: views over the inputs, the statements, the summary,
   * then (when `writeIf` allows) each output.
   * @example
   * const result = await rewriter.rewrite({
   *   inputs: [{ name: 'prev', columns: [{ name: 'key', type: 'VARCHAR' }], files: ['/tmp/a.parquet'] }],
   *   summary: 'SELECT count(*)::INTEGER AS n FROM prev',
   *   outputs: { sorted: 'SELECT * FROM prev ORDER BY key' },
   *   rowGroupRows: 122_880,
   *   targetFileBytes: 128 * 2 ** 20,
   * });
   * result.outputs.sorted; // [{ path, bytes, rows, columnBytes }]
   * await result.dispose();
   */
  rewrite(request: RewriteRequest): Promise<RewriteResult>;
}

/** An encoder that may also rewrite (the DuckDB adapter does both). */
export type EncoderWithRewriter = ParquetEncoder & Partial<ParquetRewriter>;
