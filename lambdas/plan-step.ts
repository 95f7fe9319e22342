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
import { awsQueryServiceDeps } from '#runtime/aws/query-runtime';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import { ensureReaderRole } from '#adapters/pg/pg-query-engine';
import { hotTableNames, type QueryServiceDeps } from '#core/query/service-deps';
import { ledgerMetrics } from '#core/query/ledger';
import { planTask, type PlanTaskInput } from '#core/query/plan-tasks';
import { transient } from '#core/query/task-errors';
import { configFromEnv, perContainer } from '#lambdas/env';
import { logger, metrics, observed } from '#lambdas/observability';
import { querySettingsFromEnv } from '#lambdas/query-env';

// Once per container (cold start): configuration, variables, SDK clients.
const config = configFromEnv(process.env);
const settings = querySettingsFromEnv(process.env);
const clients = {
  s3: new S3Client({}),
  glue: new GlueClient({}),
  athena: new AthenaClient({}),
  rdsData: new RDSDataClient({}),
};

/**
 * The ports, built on the first invocation: first the reader role (`thermocline_reader`, SELECT on
 * the configured tables only) is created or refreshed through the Data API, and hot steps run as
 * it when the connecting user could make it usable; otherwise as that user, still read-only with a
 * statement timeout (the reason is logged). A failure is not kept: the next invocation retries.
 */
const containerDeps = perContainer(async (): Promise<QueryServiceDeps> => {
  const database = new RdsDataDatabase(clients.rdsData, {
    resourceArn: settings.databaseResourceArn,
    secretArn: settings.databaseSecretArn,
    database: settings.databaseName,
    schema: settings.schema,
  });
  const role = await ensureReaderRole(database, database.schema, hotTableNames(config));
  if (!role.usable) logger.warn('hot steps run without the reader role', { reason: role.skipped });
  return awsQueryServiceDeps(
    config,
    { ...settings, ...(role.usable ? { readerRole: role.role } : {}) },
    clients,
    { metrics: (entry) => metrics.publish(ledgerMetrics(entry)) },
  );
}, transient);

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
