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
import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import type { MappingConfig } from '#core/config/schema';
import type { SyncPlan, SyncPlanInput } from '#etl/sync/plan';
import type { SyncDeps, SyncSummary } from '#etl/sync/run';
import { planSyncTask, syncTask, type SyncRequest } from '#etl/sync/tasks';
import { classify } from '#etl/tasks';
import { systemClock } from '#ports/clock';
import { awsLake } from '#lambdas/aws-lake';
import {
  configFromEnv,
  duckDbMemoryLimit,
  lakeEnvironment,
  functionVariables,
  type Env,
  type LakeEnvironment,
  perContainer,
} from '#lambdas/env';
import { observed } from '#lambdas/observability';

/** What the sync handler reads from its environment. */
export interface SyncEnvironment extends LakeEnvironment {
  /** `DATABASE_RESOURCE_ARN`: the Aurora cluster (Data API enabled). */
  readonly databaseResourceArn: string;
  /** `DATABASE_SECRET_ARN`: the cluster's secret, for the Data API. */
  readonly databaseSecretArn: string;
  /** `DATABASE_NAME`. */
  readonly databaseName: string;
  /** DuckDB's memory limit: 60 % of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, e.g. `'1228MB'`. */
  readonly duckDbMemoryLimit: string;
}

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

/** The SDK clients the sync uses, created once per container. */
export interface SyncClients {
  readonly rdsData: RDSDataClient;
  readonly s3: S3Client;
  readonly glue: GlueClient;
}

/**
 * The sync's dependencies on AWS: Aurora through the RDS Data API (no connection to manage, no
 * VPC route to the cluster needed), DuckDB for Parquet, the S3 lake, the Glue catalog.
 * @example
 * const deps = await awsSyncDeps(syncEnvironment(process.env), clients, config.mappings);
 * await syncTask(deps)({ mode: 'incremental', tables: ['members'] });
 */
export async function awsSyncDeps(
  env: SyncEnvironment,
  clients: SyncClients,
  mappings: readonly MappingConfig[],
): Promise<SyncDeps> {
  return {
    db: new RdsDataDatabase(clients.rdsData, {
      resourceArn: env.databaseResourceArn,
      secretArn: env.databaseSecretArn,
      database: env.databaseName,
      schema: env.schema,
    }),
    encoder: await createDuckDbEncoder({ memoryLimit: env.duckDbMemoryLimit }),
    ...awsLake(clients, env),
    clock: systemClock,
    mappings,
  };
}

// Once per container (cold start): configuration and SDK clients. The sync's own variables are
// read on its first invocation, so the plan function needs only THERMOCLINE_CONFIG_JSON.
const config = configFromEnv(process.env);
const clients: SyncClients = {
  rdsData: new RDSDataClient({}),
  s3: new S3Client({}),
  glue: new GlueClient({}),
};

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
