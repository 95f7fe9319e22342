/**
 * Which failures are worth trying again — the one rule behind every state machine's Retry on
 * `TransientError` (ETL, sync, retention, query plans).
 */

/** Error codes (Node's, AWS SDK exception names) of failures that another attempt may get past. */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'SlowDown',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'InternalError',
  'InternalServerErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'StatementTimeoutException',
]);

/**
 * Whether `failure` is transient by its code or message: a dropped or refused connection,
 * PostgreSQL connection, serialization and resource errors (SQLSTATE classes 08, 40, 53, 57P),
 * AWS throttling or unavailability.
 * @example
 * isTransientFailure(Object.assign(new Error('x'), { code: '40001' })); // true
 * isTransientFailure(new Error('column "x" does not exist')); // false
 */
export function isTransientFailure(failure: Error): boolean {
  const code = String(
    (failure as { code?: unknown }).code ?? (failure as { name?: unknown }).name ?? '',
  );
  return (
    TRANSIENT_ERROR_CODES.has(code) ||
    /^(08|40|53|57P)/.test(code) ||
    CONNECTION_LOST.test(failure.message)
  );
}

/** Messages of a lost PostgreSQL connection, as `pg` words them. */
const CONNECTION_LOST =
  /Connection terminated|connection error and is not queryable|terminating connection due to administrator command|connect ECONNREFUSED|ECONNRESET/i;

/**
 * Whether a failure's message says the database connection was lost or refused — what the CLI
 * reports with exit code 3 (the database is unreachable) once the retries are spent. It reads only
 * the message because that is what a state machine's Catch keeps of an error.
 * @example
 * isConnectionLoss('Connection terminated unexpectedly'); // true
 * isConnectionLoss('column "x" does not exist'); // false
 */
export function isConnectionLoss(message: string): boolean {
  return CONNECTION_LOST.test(message);
}
