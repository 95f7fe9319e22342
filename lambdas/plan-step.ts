/**
 * AWS Lambda entry point of the plan state machine's tasks (`etl/state-machines/plan.asl.json`):
 * LoadPlan, RunStep, FinishPlan and FailPlan are one function, told what to do by the `action`
 * parameter of each Task, around `planTask` — the function the local runtime binds to the same
 * states. Errors keep their names (`TransientError` is retried by the definition; the rest are
 * recorded on the plan and caught). Each query's cost goes out as EMF metrics (`QueryCostUsd`, …,
 * see `ledgerMetrics`). Variables: `THERMOCLINE_CONFIG_JSON` and those of
 * {@link querySettingsFromEnv}.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { awsQueryServiceDeps } from '#adapters/aws/aws-query-runtime';
import { ledgerMetrics } from '#core/query/ledger';
import { planTask, transient, type PlanTaskInput } from '#core/query/runner';
import { configFromEnv } from '#lambdas/env';
import { metrics, observed } from '#lambdas/observability';
import { querySettingsFromEnv } from '#lambdas/query-env';

// Once per container (cold start): configuration, variables, SDK clients, ports.
const config = configFromEnv(process.env);
const deps = awsQueryServiceDeps(
  config,
  querySettingsFromEnv(process.env),
  {
    s3: new S3Client({}),
    glue: new GlueClient({}),
    athena: new AthenaClient({}),
    rdsData: new RDSDataClient({}),
  },
  { metrics: (entry) => metrics.publish(ledgerMetrics(entry)) },
);

/**
 * One task of the plan state machine: `{action: 'load'|'run'|'finish'|'fail', planId, …}`.
 * @example
 * await handler({ action: 'run', planId: '20250215T020000123Z-1a2b3c4d5e', stepId: 's1' }, context);
 * // { id: 's1', status: 'succeeded', rows: 42 }
 */
export const handler = observed<PlanTaskInput, unknown>(async (event: PlanTaskInput) => {
  try {
    return await planTask(deps, event);
  } catch (error) {
    throw transient(error);
  }
});
