/**
 * AWS Lambda entry point of the ETL state machine's ExportTableDay task: one table-day from
 * Aurora PostgreSQL to Parquet in the S3 lake, published in Glue. Bundled with esbuild by the
 * Pipeline stack, which sets the variables read by {@link exportEnvironment} (and
 * `NODE_EXTRA_CA_CERTS`, see `core/adapters/aws/database-secret.ts`).
 *
 * Errors leave with the names `exportTask` gives them (`TransientError`, `ValidationError`,
 * `UsageError`, …): Lambda reports `error.name` as the errorType that the state machine's Retry
 * and Catch match, so nothing here wraps them.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import type { ExportDeps, TableDayResult } from '#etl/export';
import type { FindChangedDaysInput, FindChangedDaysOutput } from '#etl/changed-days';
import { classify, exportTask, findChangedDaysTask, type TableDayItem } from '#etl/tasks';
import { systemClock } from '#ports/clock';
import { anonymousProcess } from '#ports/process';
import { awsLake, awsPostgres } from '#lambdas/aws-lake';
import {
  configFromEnv,
  duckDbMemoryLimit,
  lakeEnvironment,
  lambdaProcessName,
  functionVariables,
  type Env,
  type LakeEnvironment,
  perContainer,
} from '#lambdas/env';
import { metrics, observed } from '#lambdas/observability';

/** What the export handler reads from its environment. */
export interface ExportEnvironment extends LakeEnvironment {
  /** `DATABASE_SECRET_ARN`: the Aurora cluster's secret (host, port, dbname, username, password). */
  readonly databaseSecretArn: string;
  /** DuckDB's memory limit: 60 % of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (set by Lambda), e.g. `'1228MB'`. */
  readonly duckDbMemoryLimit: string;
  /** This function instance as its table-day leases name it ({@link lambdaProcessName}). */
  readonly processName: string;
}

/**
 * Reads and checks the export handler's variables.
 * @throws EnvironmentError naming a missing or invalid variable and what sets it.
 * @example
 * exportEnvironment(process.env).bucket; // 'thermocline-lake-123456789012'
 */
export function exportEnvironment(env: Env): ExportEnvironment {
  const variables = functionVariables('etl-export', env);
  return {
    databaseSecretArn: variables.DATABASE_SECRET_ARN,
    ...lakeEnvironment(variables),
    duckDbMemoryLimit: duckDbMemoryLimit(env),
    processName: lambdaProcessName(env),
  };
}

/** The SDK clients the export uses, created once per container. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly secrets: SecretsManagerClient;
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

// Once per container (cold start): configuration, environment, SDK clients.
const config = configFromEnv(process.env);
const environment = exportEnvironment(process.env);
const clients: AwsClients = {
  s3: new S3Client({}),
  glue: new GlueClient({}),
  secrets: new SecretsManagerClient({}),
};

/**
 * The dependencies, built on the first invocation and kept for the container's life; a failure
 * (e.g. Secrets Manager throttled) is classified like the export's own errors and retried next time.
 */
const containerDeps = perContainer(() => awsExportDeps(environment, clients), classify);

/** The events the function takes: a table-day to export, or the changed-days check. */
export type ExportEvent =
  TableDayItem | ({ readonly action: 'findChangedDays' } & FindChangedDaysInput);

/**
 * ExportTableDay (and ReexportTableDay): `{ table, day }` → the {@link TableDayResult} the state
 * machine selects; rows, duration and partition lag go out as EMF metrics, a final failure as
 * `EtlFailures`. FindChangedDays: `{ action: 'findChangedDays', recheck, exported }` → the days
 * to export again (the same function: it has the database and the lake).
 * @example
 * await handler({ table: 'events', day: '2025-02-15' }, context); // { table: 'events', day: '2025-02-15', rows: …, … }
 */
export const handler = observed<ExportEvent, TableDayResult | FindChangedDaysOutput>(
  async (event: ExportEvent) => {
    if ('action' in event) {
      if (event.action !== 'findChangedDays') {
        throw new Error(`unknown action ${JSON.stringify(event.action)}; expected findChangedDays`);
      }
      return findChangedDaysTask(await containerDeps(), config)(event);
    }
    return exportTask(await containerDeps(), config, metrics)(event);
  },
);
