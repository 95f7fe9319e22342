/**
 * AWS Lambda entry point of the plan state machine's tasks (`etl/state-machines/plan.asl.json`):
 * LoadPlan, RunStep, FinishPlan and FailPlan are one function, told what to do by the `action`
 * parameter of each Task, around `planTask` — the function the local runtime binds to the same
 * states. Errors keep their names (`TransientError` is retried by the definition; the rest are
 * recorded on the plan and caught). Each query's cost goes out as EMF metrics (`QueryCostUsd`, …,
 * see `ledgerMetrics`). Variables: `THERMOCLINE_CONFIG_JSON` and those of
 * {@link querySettingsFromEnv}.
 */
import { awsPlanStepDeps, planStepClients } from '#runtime/aws/plan-step-runtime';
import { ledgerMetrics } from '#core/query/ledger';
import { planTask, type PlanTaskInput } from '#core/query/plan-tasks';
import { transient } from '#core/query/task-errors';
import { configFromEnv, perContainer } from '#lambdas/env';
import { logger, metrics, observed } from '#lambdas/observability';
import { querySettingsFromEnv } from '#lambdas/query-env';

// Once per container (cold start): configuration, variables, SDK clients.
const config = configFromEnv(process.env);
const settings = querySettingsFromEnv(process.env);
const clients = planStepClients();

/**
 * The ports, built on the first invocation: first the reader role (`thermocline_reader`, SELECT on
 * the configured tables only) is created or refreshed through the Data API, and hot steps run as
 * it when the connecting user could make it usable; otherwise as that user, still read-only with a
 * statement timeout (the reason is logged). A failure is not kept: the next invocation retries.
 */
const containerDeps = perContainer(
  () =>
    awsPlanStepDeps(config, settings, clients, {
      metrics: (entry) => metrics.publish(ledgerMetrics(entry)),
      onReaderRoleSkipped: (reason) =>
        logger.warn('hot steps run without the reader role', { reason }),
    }),
  transient,
);

/**
 * One task of the plan state machine: `{action: 'load'|'run'|'finish'|'fail', planId, …}`.
 * @example
 * await handler({ action: 'run', planId: '20250215T020000123Z-1a2b3c4d5e', stepId: 's1' }, context);
 * // { id: 's1', status: 'succeeded', rows: 42 }
 */
export const handler = observed<PlanTaskInput, unknown>(async (event: PlanTaskInput) => {
  try {
    return await planTask(await containerDeps(), event);
  } catch (error) {
    throw transient(error);
  }
});
