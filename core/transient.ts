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
    /Connection terminated/i.test(failure.message)
  );
}
