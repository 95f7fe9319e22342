/**
 * The retention purge function's wiring on AWS (PurgeTable): PostgreSQL from the cluster's
 * secret, the S3 lake and the Glue catalog — no DuckDB (the function bundles without its layer).
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ThermoclineConfig } from '#core/config/schema';
import type { PurgeDeps } from '#etl/retention/purge';
import { systemClock } from '#ports/clock';
import { anonymousProcess } from '#ports/process';
import { awsLake, awsPostgres, type LakeEnvironment } from '#runtime/aws/pipeline-runtime';

/** What the purge handler reads from its environment. */
export interface RetentionEnvironment extends LakeEnvironment {
  /** `DATABASE_SECRET_ARN`: the Aurora cluster's secret. */
  readonly databaseSecretArn: string;
  /** This function instance as its table-day leases name it (`lambdaProcessName`). */
  readonly processName: string;
}

/** The SDK clients the purge uses, created once per container. */
export interface RetentionClients {
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly secrets: SecretsManagerClient;
}

/** The purge's SDK clients (default configuration). */
export function retentionClients(): RetentionClients {
  return { s3: new S3Client({}), glue: new GlueClient({}), secrets: new SecretsManagerClient({}) };
}

/**
 * Retention's dependencies on AWS (alerts aside: the state machine sends them): PostgreSQL from
 * the database secret (TLS verified, one connection — batches run one after the other), the S3
 * lake, the Glue catalog, the system clock.
 * @example
 * const deps = await awsRetentionDeps(retentionEnvironment(process.env), clients, config);
 * await purgeTableTask(deps)({ table: 'events', dryRun: false });
 */
export async function awsRetentionDeps(
  env: RetentionEnvironment,
  clients: RetentionClients,
  config: Pick<ThermoclineConfig, 'tables'>,
): Promise<Omit<PurgeDeps, 'alerts'>> {
  return {
    db: await awsPostgres(clients.secrets, env.databaseSecretArn, env.schema, 1),
    ...awsLake(clients, env),
    clock: systemClock,
    processInfo: anonymousProcess(env.processName),
    config,
  };
}
