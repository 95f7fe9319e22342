/**
 * The query errors: each carries its stable code, the CLI's exit code and the HTTP status the API
 * answers with, so the surfaces map any of them generically (`error.status`, `error.code`).
 */
import { ThermoclineError } from '#core/errors';
import type { ScanEstimate } from '#core/query/estimate';

const GB = 1e9;

/**
 * A plan does not validate: wrong shape, unknown step type, duplicate id, a bind to an unknown
 * step or a dependency cycle. HTTP 400, exit 2; `path` points at the field (`steps[1].bind.$1.ref`).
 * @example
 * throw new PlanValidationError("'Athena' is not a step type; use one of …", 'steps[0].type');
 */
export class PlanValidationError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 400;
  constructor(
    message: string,
    /** Where in the plan: `steps[2].max_scan_gb`, `output`, `steps` for the whole list. */
    readonly path = '',
  ) {
    super(path ? `${path}: ${message}` : message, 'plan_invalid', 2);
  }
}

/**
 * The SQL guard refused a statement: it does not parse, is not one read-only SELECT, reads an
 * unknown table, calls a function with side effects, or misses a partition filter. HTTP 400, exit 2.
 * @example
 * throw new SqlRejectedError('only SELECT statements may run; found DELETE', 'steps[0].sql');
 */
export class SqlRejectedError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 400;
  constructor(
    message: string,
    /** Where the SQL came from: `steps[0].sql`, or `sql` for a single statement. */
    readonly path = '',
  ) {
    super(path ? `${path}: ${message}` : message, 'sql_rejected', 2);
  }
}

/**
 * An SQL statement is longer than the guard reads (`MAX_SQL_LENGTH` in `core/query/guard.ts`):
 * refused before it is parsed. HTTP 413, exit 2, code `sql_too_long`.
 * @example
 * throw new SqlTooLongError(163_840, 65_536, 'steps[0].sql');
 */
export class SqlTooLongError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 413;
  constructor(
    /** The statement's length, in characters. */
    readonly length: number,
    /** The longest statement the guard reads, in characters. */
    readonly limit: number,
    /** Where the SQL came from: `steps[0].sql`, or `sql` for a single statement. */
    readonly path = '',
  ) {
    super(
      `${path ? `${path}: ` : ''}the SQL has ${length.toLocaleString('en-US')} characters, over ` +
        `the limit of ${limit.toLocaleString('en-US')}; split the statement into several steps, ` +
        `or pass long lists of values as a parameter ($1 bound to a field of an earlier step) ` +
        `instead of writing them into the SQL`,
      'sql_too_long',
      2,
    );
  }
}

/**
 * A lake query's scan estimate exceeds its limit (the step's `max_scan_gb`, or the environment's
 * scan cutoff): refused before it runs, with the estimate. HTTP 413, exit 2.
 * @example
 * checkScanLimit(estimate, 10e9); // throws ScanLimitExceededError when estimate.bytes > 10 GB
 */
export class ScanLimitExceededError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 413;
  constructor(
    /** The estimate that was refused. */
    readonly estimate: ScanEstimate,
    /** The limit it was checked against, in bytes. */
    readonly limitBytes: number,
    /** Where the query came from (`steps[0]`), for the message. */
    readonly path = '',
  ) {
    const tables = estimate.tables
      .map(
        (t) =>
          `${t.table}: ${t.partitions} of ${t.partitionsTotal} partitions, ${formatGb(t.bytes)} GB`,
      )
      .join('; ');
    super(
      `${path ? `${path}: ` : ''}the query would scan about ${formatGb(estimate.bytes)} GB ` +
        `($${estimate.costUsd.toFixed(4)}), over the limit of ${formatGb(limitBytes)} GB` +
        `${tables ? ` (${tables})` : ''}. Narrow it: filter on the partition keys (e.g. a shorter ` +
        `dt range or fewer event types), select fewer columns instead of *, or raise max_scan_gb ` +
        `up to the environment's scan cutoff.`,
      'scan_limit_exceeded',
      2,
    );
  }
}

/**
 * A bind could not be resolved at run time: the referenced step has no such field, or its values
 * cannot be passed as a parameter. HTTP 422, exit 1.
 * @example
 * throw new BindError("step 's1' has no column 'memberCode'; its columns: …", 'steps[1].bind.$1.field');
 */
export class BindError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 422;
  constructor(
    message: string,
    /** Where in the plan: `steps[1].bind.$1.field`. */
    readonly path = '',
  ) {
    super(path ? `${path}: ${message}` : message, 'bind_failed', 1);
  }
}

/**
 * Gigabytes (10^9 bytes, as Athena bills) with enough digits to be useful for small scans.
 * @example
 * formatGb(12e9); // '12.00'
 * formatGb(3_400_000); // '0.0034'
 */
export function formatGb(bytes: number): string {
  const gb = bytes / GB;
  if (gb === 0) return '0';
  if (gb >= 100) return gb.toFixed(0);
  if (gb >= 1) return gb.toFixed(2);
  return gb.toPrecision(2);
}
