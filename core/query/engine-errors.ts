/**
 * Errors of the query engines and readers (DuckDB, Athena, PostgreSQL, the RDS Data API, the
 * Parquet reader). Like core/query/errors.ts, each carries a stable code, the CLI's exit code and
 * the HTTP status the API answers with, so the surfaces map them generically.
 */
import { ThermoclineError } from '#core/errors';
import { formatGb } from '#core/query/errors';

/**
 * A lake query read, or was about to read, more than its limit: Athena's DataScannedInBytes
 * passed it while running (the query was stopped with StopQueryExecution), or the local engine's
 * count of the column chunks it would read is above it (refused before running). Same code and
 * status as the estimate's `ScanLimitExceededError`: HTTP 413, exit 2.
 * @example
 * throw new LakeScanStoppedError({ engine: 'athena', queryId: 'q-1', bytesScanned: 12e9, limitBytes: 10e9 });
 */
export class LakeScanStoppedError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 413;
  /** `athena` or `duckdb`. */
  readonly engine: string;
  /** Bytes scanned when stopped (Athena), or the bytes the query would read (DuckDB). */
  readonly bytesScanned: number;
  readonly limitBytes: number;
  /** The engine's query id (Athena), when the query had started. */
  readonly queryId?: string;

  constructor(details: {
    readonly engine: string;
    readonly bytesScanned: number;
    readonly limitBytes: number;
    readonly queryId?: string;
  }) {
    const what = details.queryId
      ? `${details.engine} query ${details.queryId} was stopped after scanning ${formatGb(details.bytesScanned)} GB (${details.bytesScanned} bytes)`
      : `the ${details.engine} query would scan ${formatGb(details.bytesScanned)} GB (${details.bytesScanned} bytes) and was not run`;
    super(
      `${what}, over its limit of ${formatGb(details.limitBytes)} GB (${details.limitBytes} bytes). ` +
        'Narrow it: filter on the partition keys, select fewer columns instead of *, or raise ' +
        "max_scan_gb up to the environment's scan cutoff.",
      'scan_limit_exceeded',
      2,
    );
    this.engine = details.engine;
    this.bytesScanned = details.bytesScanned;
    this.limitBytes = details.limitBytes;
    if (details.queryId !== undefined) this.queryId = details.queryId;
  }
}

/**
 * A hot query ran longer than its statement timeout and PostgreSQL cancelled it. HTTP 408, exit 1.
 * @example
 * throw new StatementTimeoutError('postgres', 30000);
 */
export class StatementTimeoutError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 408;
  constructor(
    /** `postgres` or `rds-data`. */
    readonly engine: string,
    /** The timeout that was exceeded, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(
      `the ${engine} query was cancelled after its statement timeout of ${timeoutMs} ms; ` +
        'narrow the query (filter on indexed columns, fewer rows) or raise query.statement_timeout_seconds',
      'statement_timeout',
      1,
    );
  }
}

/**
 * An engine refused or failed a query. `status` 400 when the query itself is at fault (a syntax
 * error, an unknown column, a write in a read-only transaction), 502 when the engine failed.
 * Exit 1.
 * @example
 * throw new QueryFailedError('athena', "line 1:8: Column 'x' cannot be resolved", 400, 'q-1');
 */
export class QueryFailedError extends ThermoclineError {
  constructor(
    /** `athena`, `duckdb`, `postgres` or `rds-data`. */
    readonly engine: string,
    /** The engine's own message. */
    reason: string,
    /** HTTP status of the API answer: 400 the query's fault, 502 the engine's. */
    readonly status: 400 | 502,
    /** The engine's query id, when it has one. */
    readonly queryId?: string,
    /** What to change when the query is at fault. @default 'fix the SQL and run it again' */
    fix = 'fix the SQL and run it again',
  ) {
    super(
      `the ${engine} query${queryId ? ` ${queryId}` : ''} failed: ${reason}` +
        (status === 400
          ? `; ${fix}`
          : '; the engine failed, not the query: run it again, and report it if it keeps failing'),
      'query_failed',
      1,
    );
  }
}

/**
 * The caller aborted the query (its AbortSignal fired); the engine was told to stop. HTTP 499
 * (client closed request), exit 1.
 * @example
 * throw new QueryCancelledError('duckdb');
 */
export class QueryCancelledError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 499;
  constructor(
    readonly engine: string,
    readonly queryId?: string,
  ) {
    super(
      `the ${engine} query${queryId ? ` ${queryId}` : ''} was cancelled by its caller`,
      'query_cancelled',
      1,
    );
  }
}

/**
 * An object to read is not there (S3ParquetRead of a key that does not exist). HTTP 404, exit 2.
 * @example
 * throw new ObjectNotFoundError('s3://analytics-exports/events/Login/2025-02-15.parquet');
 */
export class ObjectNotFoundError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 404;
  constructor(
    /** Where it was looked for: an `s3://` URL or a local path. */
    readonly location: string,
    hint = 'check the bucket and key (thermocline catalog lists the S3 sources)',
  ) {
    super(`${location} does not exist; ${hint}`, 'not_found', 2);
  }
}

/**
 * The operation is not available on this adapter (COPY over the RDS Data API). HTTP 501, exit 1.
 * @example
 * throw new NotSupportedError('COPY … FROM STDIN is not supported over the RDS Data API; …');
 */
export class NotSupportedError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 501;
  constructor(message: string) {
    super(message, 'not_supported', 1);
  }
}
