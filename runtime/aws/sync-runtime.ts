/**
 * The sync function's wiring on AWS (SyncMapping): Aurora through the RDS Data API, DuckDB for
 * Parquet, the S3 lake and the Glue catalog.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import type { MappingConfig } from '#core/config/schema';
import type { SyncDeps } from '#etl/sync/run';
import { systemClock } from '#ports/clock';
import { awsLake, type LakeEnvironment } from '#runtime/aws/pipeline-runtime';

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

/** The SDK clients the sync uses, created once per container. */
export interface SyncClients {
  readonly rdsData: RDSDataClient;
  readonly s3: S3Client;
  readonly glue: GlueClient;
}

/** The sync's SDK clients (default configuration). */
export function syncClients(): SyncClients {
  return { rdsData: new RDSDataClient({}), s3: new S3Client({}), glue: new GlueClient({}) };
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
