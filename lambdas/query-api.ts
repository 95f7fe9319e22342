/**
 * AWS Lambda entry point of the query API: API Gateway (REST API, IAM auth, Lambda proxy
 * integration) → {@link createApiHandler} over the query service on AWS — the Glue catalog and
 * the S3 lake, Athena in the workgroup, Aurora through the RDS Data API, plan state and results
 * under the lake's results prefix, long plans started on the plan state machine. The local HTTP
 * server (`thermocline serve`) runs the same handler.
 *
 * Variables (read once at cold start): `THERMOCLINE_CONFIG_JSON`, `THERMOCLINE_ENVIRONMENT`,
 * `LAKE_BUCKET`, optional `LAKE_PREFIX`, optional `RESULTS_PREFIX` (default `_query/`),
 * `GLUE_DATABASE`, `ATHENA_WORKGROUP`, `DATABASE_RESOURCE_ARN`, `DATABASE_SECRET_ARN`,
 * `DATABASE_NAME`, optional `THERMOCLINE_SCHEMA`, `PLAN_STATE_MACHINE_ARN`.
 *
 * The handler never throws: every error is a JSON answer; a 5xx is logged (Powertools logger,
 * with the Lambda context and the request id) and answered without its details.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsQueryServiceDeps, type AwsQuerySettings } from '#runtime/aws/query-runtime';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import { createApiHandler, type ApiHandler } from '#core/api/handler';
import type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from '#core/api/types';
import { createQueryService } from '#core/query/query-service';
import { lastSyncTimes } from '#etl/sync/run';
import { configFromEnv, type Env } from '#lambdas/env';
import { querySettingsFromEnv } from '#lambdas/query-env';
import { logger, observed } from '#lambdas/observability';

/** The query API function's settings: where the query side's resources are. */
export interface QueryApiSettings extends AwsQuerySettings {
  /** `PLAN_STATE_MACHINE_ARN`: the API starts plans. */
  readonly planStateMachineArn: string;
}

/**
 * Reads and checks the query API function's variables: those of the plan-step function plus
 * `PLAN_STATE_MACHINE_ARN` (one reader for both, {@link querySettingsFromEnv}).
 * @throws EnvironmentError naming a missing or invalid variable and what sets it.
 * @example
 * queryApiSettings(process.env).planStateMachineArn; // 'arn:aws:states:eu-west-1:123456789012:stateMachine:thermocline-dev-plan'
 */
export function queryApiSettings(env: Env): QueryApiSettings {
  return querySettingsFromEnv(env, { startsPlans: true }) as QueryApiSettings;
}

/** The SDK clients the API uses, created once per container. */
export interface QueryApiClients {
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly athena: AthenaClient;
  readonly rdsData: RDSDataClient;
  readonly sfn: SFNClient;
}

/**
 * The API handler on AWS: the query service's AWS ports (with the sync state read through the
 * Data API for `GET /catalog`) behind the same handler the local server runs; errors of 5xx
 * answers go to the Powertools logger.
 * @example
 * const api = awsApiHandler(config, queryApiSettings(process.env), clients);
 * await api({ httpMethod: 'GET', path: '/catalog' }); // { statusCode: 200, … }
 */
export function awsApiHandler(
  config: ReturnType<typeof configFromEnv>,
  settings: QueryApiSettings,
  clients: QueryApiClients,
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

// Once per container (cold start): configuration, variables, SDK clients, the service.
const api = awsApiHandler(configFromEnv(process.env), queryApiSettings(process.env), {
  s3: new S3Client({}),
  glue: new GlueClient({}),
  athena: new AthenaClient({}),
  rdsData: new RDSDataClient({}),
  sfn: new SFNClient({}),
});

/**
 * The query API: an API Gateway REST proxy event in, a proxy result out (never a thrown error).
 * @example
 * await handler({ httpMethod: 'POST', path: '/estimate', body: '{"sql": "SELECT …"}', … }, context);
 * // { statusCode: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', … }, body: '{ "bytes": … }' }
 */
export const handler = observed<ApiGatewayProxyEvent, ApiGatewayProxyResult>((event) => api(event));
