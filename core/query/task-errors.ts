/**
 * Errors of the plan state machine's tasks: which ones the Retry retries (`TransientError`), and
 * the `{code, message}` a step or plan records — from the error itself or from the Catch output.
 */
import { isTransientFailure } from '#core/transient';
import { ThermoclineError } from '#core/errors';
import type { PlanError } from '#core/query/plan-store';

/**
 * The error a step or plan records: a stable code and a message, never a stack trace; `redact`
 * rewrites the message (the local runtime turns local paths into lake-relative keys).
 */
export function describeError(
  error: unknown,
  redact: (message: string) => string = (message) => message,
): PlanError {
  if (error instanceof ThermoclineError) {
    return { code: error.code, message: redact(error.message) };
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  const message = failure.message.split('\n').slice(0, 5).join('\n').slice(0, 2000);
  return {
    code: failure.name === 'TransientError' ? 'unavailable' : 'query_failed',
    message: redact(message || failure.name),
  };
}

/**
 * Names an error `TransientError` when trying again may help (the state machine retries those):
 * dropped or refused connections, PostgreSQL connection/serialization/resource errors (SQLSTATE
 * classes 08, 40, 53, 57P), AWS throttling and unavailability. Other errors keep their name.
 * @example
 * transient(Object.assign(new Error('x'), { code: '40001' })).name; // 'TransientError'
 */
export function transient(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (failure instanceof ThermoclineError && failure.exitCode !== 3) {
    // The hot engines report PostgreSQL's errors with their SQLSTATE in the message.
    if (failure.code === 'query_failed' && /\(SQLSTATE (08|40|53|57P)/.test(failure.message)) {
      failure.name = 'TransientError';
    }
    return failure;
  }
  const isTransient =
    (failure instanceof ThermoclineError && failure.exitCode === 3) || isTransientFailure(failure);
  if (isTransient) failure.name = 'TransientError';
  return failure;
}

/** The error a state machine's Catch passes on: `{Error, Cause}`. */
export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

/** The error of a failed plan from its Catch output (`{Error, Cause}`), when no step recorded one. */
export function errorOfCatch(
  caught: CaughtError | undefined,
  redact: (message: string) => string = (message) => message,
): PlanError {
  const name = caught?.Error ?? 'Error';
  let message = caught?.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the local runtime passes the message itself.
  }
  const code =
    name === 'TransientError'
      ? 'unavailable'
      : name === 'States.Timeout'
        ? 'timeout'
        : name === 'QueryCancelledError'
          ? 'query_cancelled'
          : name.startsWith('States.') || name.startsWith('Lambda.')
            ? 'internal'
            : 'plan_failed';
  return {
    code,
    message: redact(message.split('\n')[0]?.slice(0, 2000) || `the plan failed (${name})`),
  };
}
