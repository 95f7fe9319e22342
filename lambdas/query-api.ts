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
import { awsApiHandler, queryApiClients, type QueryApiSettings } from '#runtime/aws/api-runtime';
import type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from '#core/api/types';
import { configFromEnv, type Env } from '#lambdas/env';
import { querySettingsFromEnv } from '#lambdas/query-env';
import { logger, observed } from '#lambdas/observability';

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

// Once per container (cold start): configuration, variables, SDK clients, the service.
const api = awsApiHandler(
  configFromEnv(process.env),
  queryApiSettings(process.env),
  queryApiClients(),
  logger,
);

/**
 * The query API: an API Gateway REST proxy event in, a proxy result out (never a thrown error).
 * @example
 * await handler({ httpMethod: 'POST', path: '/estimate', body: '{"sql": "SELECT …"}', … }, context);
 * // { statusCode: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', … }, body: '{ "bytes": … }' }
 */
export const handler = observed<ApiGatewayProxyEvent, ApiGatewayProxyResult>((event) => api(event));
