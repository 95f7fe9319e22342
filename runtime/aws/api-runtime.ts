/**
 * The query API function's wiring on AWS: the API handler the local server also runs, over the
 * query service's AWS ports (`query-runtime.ts`), with the sync state read through the Data API for
 * `GET /catalog`. The handler (`lambdas/query-api.ts`) reads its variables and asks for it here.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import { createApiHandler, type ApiHandler } from '#core/api/handler';
import type { ThermoclineConfig } from '#core/config/schema';
import { createQueryService } from '#core/query/query-service';
import { lastSyncTimes } from '#etl/sync/run';
import {
  awsQueryServiceDeps,
  type AwsQueryClients,
  type AwsQuerySettings,
} from '#runtime/aws/query-runtime';

/** The query API function's settings: where the query side's resources are. */
export interface QueryApiSettings extends AwsQuerySettings {
  /** `PLAN_STATE_MACHINE_ARN`: the API starts plans. */
  readonly planStateMachineArn: string;
}

/** The SDK clients the API uses, created once per container. */
export interface QueryApiClients extends AwsQueryClients {
  readonly sfn: SFNClient;
}

/** The API's SDK clients (default configuration: the standard credential chain and region). */
export function queryApiClients(): QueryApiClients {
  return {
    s3: new S3Client({}),
    glue: new GlueClient({}),
    athena: new AthenaClient({}),
    rdsData: new RDSDataClient({}),
    sfn: new SFNClient({}),
  };
}

/**
 * The API handler on AWS: the query service's AWS ports (with the sync state read through the
 * Data API for `GET /catalog`) behind the same handler the local server runs; errors of 5xx
 * answers go to `logger`.
 * @example
 * const api = awsApiHandler(config, queryApiSettings(process.env), clients, logger);
 * await api({ httpMethod: 'GET', path: '/catalog' }); // { statusCode: 200, … }
 */
export function awsApiHandler(
  config: ThermoclineConfig,
  settings: QueryApiSettings,
  clients: QueryApiClients,
  logger: { error(message: string, attributes: Record<string, unknown>): void },
): ApiHandler {
  const hotDatabase = new RdsDataDatabase(clients.rdsData, {
    resourceArn: settings.databaseResourceArn,
    secretArn: settings.databaseSecretArn,
    database: settings.databaseName,
    ...(settings.schema ? { schema: settings.schema } : {}),
  });
  const service = createQueryService(
    awsQueryServiceDeps(config, settings, clients, {
      lastSyncTimes: () => lastSyncTimes(hotDatabase),
    }),
  );
  return createApiHandler(service, {
    waitMs: config.query.wait_seconds * 1000,
    logger: { error: (message, attributes) => logger.error(message, attributes) },
  });
}
