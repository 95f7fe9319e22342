/**
 * The query service: binds the {@link QueryService} contract (what the API handler, the local
 * server, the CLI and the programmatic client call) to ports, the same code on AWS and locally.
 *
 * `submitPlan` validates the plan (400), guards every SQL step (400), estimates every lake step and
 * refuses one over its limit (413) — all before anything runs (`#core/query/preflight`) — then
 * persists the plan's state (`_plans/<id>.json` in the results store), starts the plan state
 * machine through the `PlanLauncher` (`#core/query/plan-launcher`: Step Functions on AWS, the same
 * ASL in-process locally) and waits up to `query.wait_seconds` for it to finish: the answer is the
 * finished plan with its first page of results (`#core/query/plan-status`), or the plan still
 * `running` (the API answers 202 then, and `getPlan` polls).
 */
import { catalogSummary } from '#core/query/catalog-summary';
import { checkScanLimit } from '#core/query/estimate';
import { checkMonth, monthlyCosts } from '#core/query/ledger';
import { stepOrder, type Plan } from '#core/query/query-plan';
import { newPlanId, writePlanState, type PlanState } from '#core/query/plan-store';
import type { Caller, PlanStatus, QueryService } from '#core/query/service-contract';
import { launchPlan, waitForPlan } from '#core/query/plan-launcher';
import { planStatus } from '#core/query/plan-status';
import {
  checkPlan,
  estimateRequest,
  parseServicePlan,
  type StepCheck,
} from '#core/query/preflight';
import type { QueryServiceDeps } from '#core/query/service-deps';

/**
 * Binds the {@link QueryService} contract to the given ports.
 * @example
 * const service = createQueryService({ config, environment: 'local', catalog, lakeEngine, hotEngine,
 *   results, lakeBucket: 'thermocline-lake', bucket, hotTables: hotTableNames(config), launcher, clock });
 * const status = await service.submitPlan({ steps: [{ id: 's1', type: 'AthenaQuery', sql: '…' }] }, { id: 'local:ann' });
 */
export function createQueryService(deps: QueryServiceDeps): QueryService {
  const getPlan: QueryService['getPlan'] = (id, options = {}) => planStatus(deps, id, options);
  return {
    submitPlan: (input, caller, options = {}) => submitPlan(deps, input, caller, options),
    getPlan,
    estimate: (body) => estimateRequest(deps, body),
    catalog: () => catalogSummary(deps),
    costs: async (options = {}) =>
      monthlyCosts(
        deps.results,
        checkMonth(options.month ?? deps.clock.now().toISOString().slice(0, 7)),
      ),
    close: async (options = {}) => {
      await deps.launcher.close?.(options);
      await Promise.all([deps.lakeEngine.close(), deps.hotEngine.close()]);
      await deps.onClose?.();
    },
  };
}

/**
 * Validates, checks and estimates the plan (nothing runs before every limit holds), persists its
 * state, starts it and waits up to `waitMs` (default `query.wait_seconds`) for it to finish.
 */
async function submitPlan(
  deps: QueryServiceDeps,
  input: unknown,
  caller: Caller,
  options: { readonly waitMs?: number },
): Promise<PlanStatus> {
  const plan = parseServicePlan(deps, input);
  const checks = await checkPlan(deps, plan);
  for (const check of checks) {
    if (check.estimate && check.limitBytes !== undefined) {
      checkScanLimit(check.estimate, check.limitBytes, check.path);
    }
  }
  const id = newPlanId(deps.clock.now());
  await writePlanState(deps.results, initialPlanState(deps, id, plan, checks, caller));
  await launchPlan(deps, id);
  await waitForPlan(deps, id, options.waitMs ?? deps.config.query.wait_seconds * 1000);
  return planStatus(deps, id);
}

/** A submitted plan's first state: running, its steps pending with their estimates and warnings. */
function initialPlanState(
  deps: Pick<QueryServiceDeps, 'clock'>,
  id: string,
  plan: Plan,
  checks: readonly StepCheck[],
  caller: Caller,
): PlanState {
  const byId = new Map(checks.map((c) => [c.step.id, c]));
  const order = stepOrder(plan).map((s) => s.id);
  return {
    format: 1,
    id,
    status: 'running',
    caller: caller.id,
    submittedAt: deps.clock.now().toISOString(),
    plan,
    order,
    steps: order.map((stepId) => {
      const check = byId.get(stepId);
      return {
        id: stepId,
        type: check?.step.type ?? 'unknown',
        status: 'pending',
        ...(check?.estimate ? { estimatedBytes: check.estimate.bytes } : {}),
        ...(check && check.warnings.length > 0 ? { warnings: check.warnings } : {}),
      };
    }),
    warnings: checks.flatMap((c) => c.warnings.map((w) => `${c.step.id}: ${w}`)),
  };
}
