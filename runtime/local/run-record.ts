/**
 * Records the local runs (ETL, backfill, the catch-up export of `npm start`, sync, retention) in
 * the run history, `THERMOCLINE_HOME/runs.jsonl`, for `thermocline runs`, `GET /runs` and the
 * console's coverage. A history that cannot be written never fails the run: a warning says so.
 */
import { randomUUID } from 'node:crypto';
import { localRunHistory } from '#runtime/local/insights';
import type { RunFailure, RunItem, RunKind, RunRecord, RunStatus } from '#ports/run-history';
import type { LocalExecution } from '#runtime/local/state-machines';

/** What a finished run reports for its record. */
export interface RunOutcome {
  readonly kind: RunKind;
  readonly startedAt: Date;
  /** The execution itself failed (not only some items). */
  readonly executionFailed?: boolean;
  readonly error?: string;
  readonly rows: number;
  readonly bytes: number;
  readonly done: readonly RunItem[];
  readonly failed: readonly RunFailure[];
}

/**
 * What a state-machine execution adds to its record: whether it failed as a whole, and its error.
 * @example
 * executionOutcome({ status: 'FAILED', error: { error: 'Boom', cause: 'disk' } }); // { executionFailed: true, error: 'Boom: disk' }
 */
export function executionOutcome(
  execution: Pick<LocalExecution, 'status' | 'error'>,
): Pick<RunOutcome, 'executionFailed' | 'error'> {
  return {
    executionFailed: execution.status === 'FAILED',
    ...(execution.error ? { error: `${execution.error.error}: ${execution.error.cause}` } : {}),
  };
}

/**
 * The record of a run ending `now`: status `failed` when the execution failed or nothing
 * succeeded but something failed, `partial` when some items failed, else `succeeded`.
 * @example
 * runRecord({ kind: 'etl', startedAt, rows: 10, bytes: 100, done: [], failed: [] }, new Date()).status; // 'succeeded'
 */
export function runRecord(outcome: RunOutcome, now: Date): RunRecord {
  const status: RunStatus =
    outcome.executionFailed || (outcome.failed.length > 0 && outcome.done.length === 0)
      ? 'failed'
      : outcome.failed.length > 0
        ? 'partial'
        : 'succeeded';
  const started = outcome.startedAt.toISOString();
  return {
    id: `${started.replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`,
    kind: outcome.kind,
    status,
    startedAt: started,
    finishedAt: now.toISOString(),
    durationMs: Math.max(0, now.getTime() - outcome.startedAt.getTime()),
    rows: outcome.rows,
    bytes: outcome.bytes,
    done: outcome.done,
    failed: outcome.failed,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

/** Appends the run to `home`'s history; a write error becomes a warning on stderr. */
export async function recordRun(home: string, outcome: RunOutcome): Promise<void> {
  const history = localRunHistory(home);
  try {
    await history.append(runRecord(outcome, new Date()));
  } catch (error) {
    process.stderr.write(
      `thermocline: warning: the run was not recorded in ${history.description}: ${(error as Error).message}\n`,
    );
  }
}
