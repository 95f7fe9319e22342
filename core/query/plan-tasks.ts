/**
 * The four tasks of the plan state machine (`etl/state-machines/plan.asl.json`) as plain functions
 * over the query service's ports, so the Lambda handler (`lambdas/plan-step.ts`) and the local
 * runtime (the same ASL run in-process) bind the same code:
 * - {@link loadPlan}: the step ids in run order (the Map's items);
 * - `runStep` (`#core/query/run-step`): one step run and its output stored;
 * - {@link finishPlan}: the output step's result archived, the plan marked succeeded;
 * - {@link failPlan}: the plan marked failed with a code and a message (never a stack trace).
 *
 * Errors leave with a `name` the definition's Retry matches: `TransientError` (connections,
 * throttling, PostgreSQL classes 08/40/53/57P) is retried; anything else is recorded on the step
 * and caught at once (`#core/query/task-errors`).
 */
import { PlanValidationError } from '#core/query/errors';
import {
  archiveKey,
  loadPlanState,
  readStepOutput,
  updatePlanState,
  writePlanState,
  type PlanState,
} from '#core/query/plan-store';
import type { QueryServiceDeps } from '#core/query/service-deps';
import { runStep } from '#core/query/run-step';
import { errorOfCatch, type CaughtError } from '#core/query/task-errors';

/** Output of the LoadPlan task: the step ids, in run order. */
export interface LoadedPlan {
  readonly planId: string;
  readonly steps: readonly string[];
}

/**
 * LoadPlan: the step ids in the order they run (none when the plan is no longer running, so a
 * re-delivered execution does nothing).
 * @example
 * await loadPlan(deps, '20250215T020000123Z-1a2b3c4d5e'); // { planId: '…', steps: ['s1', 's2'] }
 */
export async function loadPlan(
  deps: Pick<QueryServiceDeps, 'results'>,
  planId: string,
): Promise<LoadedPlan> {
  const state = await loadPlanState(deps.results, planId);
  return { planId, steps: state.status === 'running' ? state.order : [] };
}

/**
 * FinishPlan: archives the output step's result to `_results/<id>/<step>.json` and marks the plan
 * succeeded.
 * @example
 * (await finishPlan(deps, planId)).status; // 'succeeded'
 */
export async function finishPlan(
  deps: Pick<QueryServiceDeps, 'results' | 'clock'>,
  planId: string,
): Promise<PlanState> {
  const state = await loadPlanState(deps.results, planId);
  if (state.status !== 'running') return state;
  const output = await readStepOutput(deps.results, planId, state.plan.output);
  if (!output) {
    throw new Error(
      `plan ${planId}: the output step '${state.plan.output}' has no stored result; it did not run`,
    );
  }
  const key = archiveKey(planId, output.step);
  await deps.results.putText(key, JSON.stringify(output), 'application/json');
  const finished: PlanState = {
    ...state,
    status: 'succeeded',
    finishedAt: deps.clock.now().toISOString(),
    result: { step: output.step, key, archivedAt: deps.results.locate(key) },
  };
  await writePlanState(deps.results, finished);
  return finished;
}

/**
 * FailPlan: marks the plan failed. The error a step recorded is kept; otherwise it is taken from
 * the Catch output (`Cause` is the Lambda's JSON `{errorType, errorMessage, trace}` on AWS — only
 * the message is kept). The running step becomes failed, the steps that did not run skipped.
 * @example
 * (await failPlan(deps, planId, { Error: 'TransientError', Cause: 'connection refused' })).error;
 * // { code: 'unavailable', message: 'connection refused' }
 */
export async function failPlan(
  deps: Pick<QueryServiceDeps, 'results' | 'clock' | 'redact'>,
  planId: string,
  caught?: CaughtError,
): Promise<PlanState> {
  return updatePlanState(deps.results, planId, (state) => {
    if (state.status !== 'running') return state;
    const error = state.error ?? errorOfCatch(caught, deps.redact);
    return {
      ...state,
      status: 'failed',
      finishedAt: deps.clock.now().toISOString(),
      error,
      steps: state.steps.map((s) =>
        s.status === 'running'
          ? { ...s, status: 'failed', error: s.error ?? error }
          : s.status === 'pending'
            ? { ...s, status: 'skipped' }
            : s,
      ),
    };
  });
}

/** The input of a plan state machine task (one Lambda handles all four, by `action`). */
export type PlanTaskInput =
  | { readonly action: 'load'; readonly planId: string }
  | { readonly action: 'run'; readonly planId: string; readonly stepId: string }
  | { readonly action: 'finish'; readonly planId: string }
  | { readonly action: 'fail'; readonly planId: string; readonly error?: CaughtError };

/**
 * One task of the plan state machine, by `action` — what `lambdas/plan-step.ts` and the local
 * runtime's task handlers call. Outputs stay small (Step Functions passes them on).
 * @example
 * await planTask(deps, { action: 'run', planId, stepId: 's1' });
 */
export async function planTask(deps: QueryServiceDeps, input: PlanTaskInput): Promise<unknown> {
  switch (input.action) {
    case 'load':
      return loadPlan(deps, input.planId);
    case 'run': {
      const stats = await runStep(deps, input.planId, input.stepId);
      return { id: stats.id, status: stats.status, rows: stats.rows ?? 0 };
    }
    case 'finish':
      return { status: (await finishPlan(deps, input.planId)).status };
    case 'fail':
      return { status: (await failPlan(deps, input.planId, input.error)).status };
    default: {
      const action = (input as { action?: unknown }).action;
      throw new PlanValidationError(
        `plan task action ${JSON.stringify(action)} is not known; use load, run, finish or fail`,
        'action',
      );
    }
  }
}
