/**
 * The ETL export function's wiring on AWS (ExportTableDay, ReexportTableDay, FindChangedDays):
 * PostgreSQL from the cluster's secret, DuckDB for Parquet, the S3 lake and the Glue catalog.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import type { ExportDeps } from '#etl/export';
import { systemClock } from '#ports/clock';
import { anonymousProcess } from '#ports/process';
import { awsLake, awsPostgres, type LakeEnvironment } from '#runtime/aws/pipeline-runtime';

/** What the export handler reads from its environment. */
export interface ExportEnvironment extends LakeEnvironment {
  /** `DATABASE_SECRET_ARN`: the Aurora cluster's secret (host, port, dbname, username, password). */
  readonly databaseSecretArn: string;
  /** DuckDB's memory limit: 60 % of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (set by Lambda), e.g. `'1228MB'`. */
  readonly duckDbMemoryLimit: string;
  /** This function instance as its table-day leases name it (`lambdaProcessName`). */
  readonly processName: string;
}

/** The SDK clients the export uses, created once per container. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly secrets: SecretsManagerClient;
}

/** The export's SDK clients (default configuration: the standard credential chain and region). */
export function exportClients(): AwsClients {
  return { s3: new S3Client({}), glue: new GlueClient({}), secrets: new SecretsManagerClient({}) };
}

/**
 * The export engine's dependencies on AWS: PostgreSQL from the database secret (TLS verified, 2
 * connections; nothing connects until the first query), DuckDB for Parquet, the S3 lake, the Glue
 * catalog, the system clock. The password follows the secret's rotation (awsPostgres).
 * @example
 * const deps = await awsExportDeps(exportEnvironment(process.env), { s3, glue, secrets });
 * await exportTask(deps, config)({ table: 'events', day: '2025-02-15' });
 */
export async function awsExportDeps(
  env: ExportEnvironment,
  clients: AwsClients,
): Promise<ExportDeps> {
  const db = await awsPostgres(clients.secrets, env.databaseSecretArn, env.schema, 2);
  const encoder = await createDuckDbEncoder({ memoryLimit: env.duckDbMemoryLimit });
  return {
    db,
    encoder,
    ...awsLake(clients, env),
    clock: systemClock,
    processInfo: anonymousProcess(env.processName),
  };
}
