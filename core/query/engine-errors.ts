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

/** The setting of the lake engines' statement timeout. */
export const LAKE_TIMEOUT_SETTING = 'query.lake_statement_timeout_seconds';

/**
 * A query ran longer than its statement timeout and was stopped: PostgreSQL cancelled a hot query
 * (`query.statement_timeout_seconds`), or a lake query was interrupted (DuckDB) or stopped
 * (Athena's StopQueryExecution) after `query.lake_statement_timeout_seconds`. HTTP 408, exit 1.
 * @example
 * throw new StatementTimeoutError('postgres', 30000);
 * throw new StatementTimeoutError('duckdb', 300_000, 'query.lake_statement_timeout_seconds', 'q-1');
 */
export class StatementTimeoutError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 408;
  constructor(
    /** `postgres`, `rds-data`, `duckdb` or `athena`. */
    readonly engine: string,
    /** The timeout that was exceeded, in milliseconds. */
    readonly timeoutMs: number,
    /** The setting that holds the timeout. @default 'query.statement_timeout_seconds' */
    readonly setting = 'query.statement_timeout_seconds',
    /** The engine's query id (Athena), when it has one. */
    readonly queryId?: string,
  ) {
    const lake = setting === LAKE_TIMEOUT_SETTING;
    super(
      `the ${engine} query${queryId ? ` ${queryId}` : ''} was ${lake ? 'stopped' : 'cancelled'} ` +
        `after its statement timeout of ${timeoutMs} ms; ` +
        (lake
          ? 'narrow the query (a shorter partition range, fewer joins, selective filters before ' +
            `joins) or raise ${setting} (at most 840 s)`
          : `narrow the query (filter on indexed columns, fewer rows) or raise ${setting}`),
      'statement_timeout',
      1,
    );
  }
}

/**
 * A lake partition the query reads does not hold what the catalog says it holds: its folder is
 * gone, files (rows) the catalog lists are missing, a file cannot be read, or a publish's folder
 * holds other files. Reading it would return wrong rows as a success, so the query does not run. HTTP 500 (the lake, not the query, is at fault), exit 1.
 * @example
 * throw new LakePartitionDamagedError({
 *   table: 'agent_tasks', partition: 'agent_tasks/year=2025/month=02/day=15/',
 *   problem: 'part-00000.parquet is missing from agent_tasks/year=2025/month=02/day=15/v=r1/ (the catalog lists 1 file, 97 rows)',
 *   fix: 'thermocline backfill --table agent_tasks --from 2025-02-15 --to 2025-02-15',
 * });
 */
export class LakePartitionDamagedError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 500;
  readonly table: string;
  /** The partition's folder, lake-relative (`agent_tasks/year=2025/month=02/day=15/`). */
  readonly partition: string;
  /** What restores it: a command, or what to do. */
  readonly fix: string;

  constructor(details: {
    readonly table: string;
    readonly partition: string;
    /** What is wrong, with lake-relative keys. */
    readonly problem: string;
    readonly fix: string;
  }) {
    super(
      `lake partition ${details.partition} of table ${details.table} is damaged: ` +
        `${details.problem}; the query did not run, as its answer would have been wrong. ` +
        `Restore the partition: ${details.fix}`,
      'lake_partition_damaged',
      1,
    );
    this.table = details.table;
    this.partition = details.partition;
    this.fix = details.fix;
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
