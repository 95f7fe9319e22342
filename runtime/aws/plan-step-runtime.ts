/**
 * The plan step function's wiring on AWS (the plan state machine's tasks): the reader role, then
 * the query service's AWS ports (`query-runtime.ts`). The handler (`lambdas/plan-step.ts`) reads
 * its variables and asks for its dependencies here.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import { ensureReaderRole } from '#adapters/pg/pg-query-engine';
import type { ThermoclineConfig } from '#core/config/schema';
import type { LedgerEntry } from '#core/query/ledger';
import { hotTableNames, type QueryServiceDeps } from '#core/query/service-deps';
import {
  awsQueryServiceDeps,
  type AwsQueryClients,
  type AwsQuerySettings,
} from '#runtime/aws/query-runtime';

/** The plan step's SDK clients (default configuration); it starts no plans, so no Step Functions. */
export function planStepClients(): AwsQueryClients {
  return {
    s3: new S3Client({}),
    glue: new GlueClient({}),
    athena: new AthenaClient({}),
    rdsData: new RDSDataClient({}),
  };
}

/**
 * The plan step function's ports: first the reader role (`thermocline_reader`, SELECT on the
 * configured tables only) is created or refreshed through the Data API, and hot steps run as it
 * when the connecting user could make it usable; otherwise as that user, still read-only with a
 * statement timeout (`onReaderRoleSkipped` gets the reason).
 * @example
 * const deps = await awsPlanStepDeps(config, settings, clients, { metrics, onReaderRoleSkipped });
 */
export async function awsPlanStepDeps(
  config: ThermoclineConfig,
  settings: AwsQuerySettings,
  clients: AwsQueryClients,
  options: {
    readonly metrics: (entry: LedgerEntry) => void;
    readonly onReaderRoleSkipped: (reason: string | undefined) => void;
  },
): Promise<QueryServiceDeps> {
  const database = new RdsDataDatabase(clients.rdsData, {
    resourceArn: settings.databaseResourceArn,
    secretArn: settings.databaseSecretArn,
    database: settings.databaseName,
    schema: settings.schema,
  });
  const role = await ensureReaderRole(database, database.schema, hotTableNames(config));
  if (!role.usable) options.onReaderRoleSkipped(role.skipped);
  return awsQueryServiceDeps(
    config,
    { ...settings, ...(role.usable ? { readerRole: role.role } : {}) },
    clients,
    { metrics: options.metrics },
  );
}
