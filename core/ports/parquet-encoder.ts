/**
 * The Parquet encoder port: turns the CSV that PostgreSQL's COPY streams into snappy Parquet
 * files with exact types, and computes checksums over Parquet files. The adapter is DuckDB (the
 * same engine that stands in for Athena locally); memory stays bounded by its row groups.
 */

/** One output column: its name and the encoder-side expression that types the CSV text. */
export interface EncodeColumn {
  readonly name: string;
  /** Builds the typing expression from the quoted CSV column (a VARCHAR). */
  readonly load: (csvColumn: string) => string;
}

/** Options of {@link ParquetEncoder.encodeCsv}. */
export interface EncodeOptions {
  /** Column written as a Hive partition directory (`col=value/`) instead of into the files. */
  readonly partitionBy?: string;
  /** A file is closed and a new one started past this many bytes. */
  readonly targetFileBytes: number;
  /** Rows per row group. */
  readonly rowGroupRows: number;
}

/** One written file. */
export interface EncodedFile {
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
  /** The partition value of its directory (undefined without partitionBy; null for NULL). */
  readonly partitionValue?: string | null;
  /**
   * Compressed bytes of each column's chunks over the file's row groups (`total_compressed_size`
   * in the Parquet footer), by top-level column name: what a scan of that column reads.
   */
  readonly columnBytes?: Readonly<Record<string, number>>;
}

/** Files written to the encoder's scratch space; `dispose` deletes them. */
export interface EncodedBatch {
  readonly files: readonly EncodedFile[];
  dispose(): Promise<void>;
}

/** Rows and the order-independent checksum of a set of rows. */
export interface RowChecksum {
  readonly rows: number;
  /** Decimal sum of the 60-bit row hashes. */
  readonly sum: string;
}

/** Options of {@link ParquetEncoder.checksum}. */
export interface ChecksumOptions {
  /** A Hive partition column of the files' folders (`col=value/`): one checksum per value. */
  readonly groupBy?: string;
  /**
   * Columns the files do not hold, as a VARCHAR constant of every row (null: SQL NULL) — the
   * partition column of files read from a lake partition, whose value is in the manifest.
   */
  readonly columns?: Readonly<Record<string, string | null>>;
}

/** The encoder. */
export interface ParquetEncoder {
  /**
   * Reads CSV (PostgreSQL `FORMAT csv`: empty unquoted = NULL, `""` = empty string) from
   * `source` while it streams, and writes Parquet files.
   */
  encodeCsv(
    source: NodeJS.ReadableStream,
    columns: readonly EncodeColumn[],
    options: EncodeOptions,
  ): Promise<EncodedBatch>;
  /**
   * Checksum of the rows in `files`: `rowCanonical` is the encoder-side SQL expression of a row's
   * canonical text. With `groupBy` (a Hive partition column of the files' folders) one checksum
   * per value; without it one, keyed null.
   * @example
   * await encoder.checksum(paths, duckRowCanonical(plans)); // Map { null => { rows: 50, sum: '6918…' } }
   */
  checksum(
    files: readonly string[],
    rowCanonical: string,
    options?: ChecksumOptions,
  ): Promise<Map<string | null, RowChecksum>>;
  close(): Promise<void>;
}
