/**
 * AWS Lambda entry points of the sync state machine (`etl/state-machines/sync.asl.json`):
 * `planHandler` (PlanSync: which mappings to sync for `{mode?, tables?}`) and `handler`
 * (SyncMapping: `{mode?, tables?}` → `runSync`, from Aurora through the RDS Data API to the S3 lake
 * and Glue). One bundle, two functions; the Pipeline stack sets `THERMOCLINE_CONFIG_JSON` (its
 * `mappings`) on both and, on the sync function, the variables read by {@link syncEnvironment}.
 * The sync function needs the DuckDB layer (encode and merge Parquet).
 *
 * Errors leave with the names the tasks give them (`TransientError` is retried, the rest caught
 * and alerted by the state machine), so nothing here wraps them.
 */
import type { SyncPlan, SyncPlanInput } from '#etl/sync/plan';
import type { SyncSummary } from '#etl/sync/run';
import { planSyncTask, syncTask, type SyncRequest } from '#etl/sync/tasks';
import { classify } from '#etl/tasks';
import {
  awsSyncDeps,
  syncClients,
  type SyncClients,
  type SyncEnvironment,
} from '#runtime/aws/sync-runtime';
import {
  configFromEnv,
  duckDbMemoryLimit,
  lakeEnvironment,
  functionVariables,
  type Env,
  perContainer,
} from '#lambdas/env';
import { observed } from '#lambdas/observability';

/**
 * Reads and checks the sync handler's variables.
 * @throws EnvironmentError naming a missing or invalid variable and what sets it.
 * @example
 * syncEnvironment(process.env).glueDatabase; // 'thermocline_prod'
 */
export function syncEnvironment(env: Env): SyncEnvironment {
  const variables = functionVariables('sync', env);
  return {
    databaseResourceArn: variables.DATABASE_RESOURCE_ARN,
    databaseSecretArn: variables.DATABASE_SECRET_ARN,
    databaseName: variables.DATABASE_NAME,
    ...lakeEnvironment(variables),
    duckDbMemoryLimit: duckDbMemoryLimit(env),
  };
}

// Once per container (cold start): configuration and SDK clients. The sync's own variables are
// read on its first invocation, so the plan function needs only THERMOCLINE_CONFIG_JSON.
const config = configFromEnv(process.env);
const clients: SyncClients = syncClients();

/** The dependencies, built on the first sync invocation; a failure is retried next time. */
const containerDeps = perContainer(
  () => awsSyncDeps(syncEnvironment(process.env), clients, config.mappings),
  classify,
);

/**
 * PlanSync: `{mode?, tables?}` → the mappings to sync (a bad mode or table: `UsageError`).
 * @example
 * await planHandler({ mode: 'incremental' }, context); // { items: [{ table: 'members', mode: 'incremental' }, …], skipped: […] }
 */
export const planHandler = observed<SyncPlanInput | null, SyncPlan>(
  async (event: SyncPlanInput | null) => planSyncTask(config.mappings)(event),
);

/**
 * SyncMapping (and a direct invocation): `{mode?, tables?}` → the run's {@link SyncSummary}.
 * @example
 * await handler({ mode: 'incremental', tables: ['members'] }, context); // { mappings: [{ table: 'members', changedRows: …, … }], … }
 */
export const handler = observed<SyncRequest | null, SyncSummary>(
  async (event: SyncRequest | null) => syncTask(await containerDeps())(event ?? {}),
);
