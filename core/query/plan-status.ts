/**
 * A plan as `GET /plans/{id}` shows it: its persisted state with the statistics of its steps, and
 * a page of results (the output step's archived result once the plan succeeded, or any step's
 * stored output).
 */
import { UsageError } from '#core/errors';
import {
  loadPlanState,
  readArchive,
  readStepOutput,
  type PlanState,
  type StoredOutput,
  type StoredStepStats,
} from '#core/query/plan-store';
import type { PlanStatus, ResultPage, StepStats } from '#core/query/service-contract';
import type { QueryServiceDeps } from '#core/query/service-deps';

/** Rows of a result page (`GET /plans/{id}` inline, then `?page=`). */
export const RESULT_PAGE_ROWS = 1000;

/** A plan state as the API shows it, with a page of results. */
function toStatus(state: PlanState, result?: ResultPage): PlanStatus {
  const steps: StepStats[] = state.steps.map((s: StoredStepStats) => {
    const { startedAt: _startedAt, ...stats } = s;
    return stats;
  });
  return {
    id: state.id,
    status: state.status,
    caller: state.caller,
    submittedAt: state.submittedAt,
    ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
    steps,
    bytesScanned: steps.reduce((sum, s) => sum + (s.bytesScanned ?? 0), 0),
    costUsd: Math.round(steps.reduce((sum, s) => sum + (s.costUsd ?? 0), 0) * 1e9) / 1e9,
    ...(result ? { result } : {}),
    warnings: state.warnings,
    ...(state.error ? { error: state.error } : {}),
  };
}

/** The page offset of a `page` token (a row offset). */
function pageOffset(page: string | undefined): number {
  if (page === undefined || page === '') return 0;
  if (!/^\d{1,9}$/.test(page)) {
    throw new UsageError(
      `page '${page}' is not a page token; pass the nextPage value of the previous answer`,
    );
  }
  return Number(page);
}

/** One page of a stored output. */
function pageOf(output: StoredOutput, offset: number, archivedAt?: string): ResultPage {
  const rows = output.rows.slice(offset, offset + RESULT_PAGE_ROWS);
  const next = offset + RESULT_PAGE_ROWS;
  return {
    step: output.step,
    columns: output.columns,
    rows,
    totalRows: output.rows.length,
    ...(next < output.rows.length ? { nextPage: String(next) } : {}),
    ...(archivedAt ? { archivedAt } : {}),
  };
}

/**
 * The plan `id` as `GET /plans/{id}` shows it, with a page (`options.page`, a row offset token) of
 * the output step's result once it succeeded, or of `options.step`'s stored output.
 * @throws UsageError for a bad page token or a step the plan does not have.
 * @example
 * (await planStatus(deps, id, { page: '1000' })).result?.rows.length; // up to 1000
 */
export async function planStatus(
  deps: Pick<QueryServiceDeps, 'results'>,
  id: string,
  options: { readonly page?: string; readonly step?: string } = {},
): Promise<PlanStatus> {
  const state = await loadPlanState(deps.results, id);
  const offset = pageOffset(options.page);
  if (options.step !== undefined && !state.order.includes(options.step)) {
    throw new UsageError(
      `plan ${id} has no step '${options.step}'; its steps: ${state.order.join(', ')}`,
    );
  }
  const step = options.step ?? (state.status === 'succeeded' ? state.plan.output : undefined);
  if (step === undefined) return toStatus(state);
  const archived = state.result?.step === step ? state.result : undefined;
  const output = archived
    ? await readArchive(deps.results, archived.key)
    : await readStepOutput(deps.results, id, step);
  return toStatus(state, output ? pageOf(output, offset, archived?.archivedAt) : undefined);
}
