/**
 * Starting the plan state machine for a persisted plan: the {@link PlanLauncher} port (Step
 * Functions on AWS, the same ASL in-process locally), the errors of a launch, and
 * {@link launchPlan}, which starts a persisted plan and undoes or fails it when it cannot start.
 */
import { ThermoclineError } from '#core/errors';
import { planStateKey, readPlanState } from '#core/query/plan-store';
import { failPlan } from '#core/query/plan-tasks';
import type { QueryServiceDeps } from '#core/query/service-deps';

// The launcher port lives in core/ports with the others; re-exported for the query side.
export type { PlanLauncher } from '#ports/plan-launcher';

/** A plan could not be started (the state machine or its runner is unavailable). Exit 3 (503). */
export class PlanLaunchError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 503;
  constructor(message: string) {
    super(message, 'unavailable', 3);
  }
}

/**
 * As many plans run and wait for a run slot as the service takes (`query.max_concurrent_plans`
 * and `query.max_queued_plans`): nothing was started. HTTP 429 with `Retry-After`, exit 1.
 * @example
 * throw new TooManyPlansError(4, 16);
 */
export class TooManyPlansError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 429;
  constructor(
    readonly running: number,
    readonly queued: number,
    /** When to try again (the `Retry-After` header). */
    readonly retryAfterSeconds = 5,
  ) {
    super(
      `${running} plans are running and ${queued} are waiting, as many as this service takes ` +
        `(query.max_concurrent_plans, query.max_queued_plans); nothing was started. Submit the ` +
        `plan again in ${retryAfterSeconds} s, or raise those settings`,
      'too_many_plans',
      1,
    );
  }
}

/**
 * Starts the persisted plan `id`. A refusal ({@link TooManyPlansError}) deletes its state (the plan
 * never existed for the caller) and is rethrown; any other failure marks the plan failed and
 * throws {@link PlanLaunchError}.
 * @example
 * await launchPlan(deps, id);
 */
export async function launchPlan(deps: QueryServiceDeps, id: string): Promise<void> {
  try {
    await deps.launcher.start(id);
  } catch (error) {
    if (error instanceof TooManyPlansError) {
      // Refused, not failed: the plan never existed for the caller.
      await deps.results.deletePrefix(planStateKey(id)).catch(() => undefined);
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    await failPlan(deps, id, { Error: 'LaunchFailed', Cause: message }).catch(() => undefined);
    throw new PlanLaunchError(`plan ${id} could not be started (${message}); try again later`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits up to `waitMs` for the plan `id` to leave `running` (polling its state, 50 ms doubling to
 * 500 ms).
 * @example
 * await waitForPlan(deps, id, 10_000);
 */
export async function waitForPlan(
  deps: Pick<QueryServiceDeps, 'results'>,
  id: string,
  waitMs: number,
): Promise<void> {
  const deadline = performance.now() + waitMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    const current = await readPlanState(deps.results, id);
    const remaining = deadline - performance.now();
    if (!current || current.status !== 'running' || remaining <= 0) break;
    await sleep(Math.min(pause, remaining));
  }
}
