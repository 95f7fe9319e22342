/**
 * The query functions' environment (the plan-step function and the query API): where the lake,
 * the catalog, the workgroup, the database and the plan state machine are. Side-effect free, so
 * handlers read it once at cold start and tests call it with a plain object.
 */
import type { AwsQuerySettings } from '#adapters/aws/aws-query-runtime';
import { deployedEnvironment, EnvironmentError, requiredEnv, type Env } from '#lambdas/env';

/** Who sets the query functions' variables. */
const QUERY_STACK = 'the Thermocline query stack (CDK) on the query functions';

/**
 * Reads and checks the query functions' variables: `THERMOCLINE_ENVIRONMENT`, `LAKE_BUCKET`,
 * optional `LAKE_PREFIX`, optional `RESULTS_PREFIX` (default `_query/`), `GLUE_DATABASE`,
 * `ATHENA_WORKGROUP`, `DATABASE_RESOURCE_ARN`, `DATABASE_SECRET_ARN`, `DATABASE_NAME`, optional
 * `THERMOCLINE_SCHEMA` (default `public`), and — only where plans are started —
 * `PLAN_STATE_MACHINE_ARN`.
 * @throws EnvironmentError naming a missing or invalid variable and what sets it.
 * @example
 * querySettingsFromEnv(process.env, { startsPlans: true }).workGroup; // 'thermocline-dev'
 */
export function querySettingsFromEnv(
  env: Env,
  options: { readonly startsPlans?: boolean } = {},
): AwsQuerySettings {
  const environment = deployedEnvironment(env, QUERY_STACK);
  const lakePrefix = env['LAKE_PREFIX'] ?? '';
  const resultsPrefix = env['RESULTS_PREFIX'] || '_query/';
  for (const [name, value] of [
    ['LAKE_PREFIX', lakePrefix],
    ['RESULTS_PREFIX', resultsPrefix],
  ] as const) {
    if (value !== '' && (!value.endsWith('/') || value.startsWith('/'))) {
      throw new EnvironmentError(
        `environment variable ${name} is '${value}'; it must be empty or a key prefix ending with '/', e.g. '_query/'`,
      );
    }
  }
  return {
    environment,
    lakeBucket: requiredEnv(env, 'LAKE_BUCKET', QUERY_STACK),
    lakePrefix,
    resultsPrefix,
    glueDatabase: requiredEnv(env, 'GLUE_DATABASE', QUERY_STACK),
    workGroup: requiredEnv(env, 'ATHENA_WORKGROUP', QUERY_STACK),
    databaseResourceArn: requiredEnv(env, 'DATABASE_RESOURCE_ARN', QUERY_STACK),
    databaseSecretArn: requiredEnv(env, 'DATABASE_SECRET_ARN', QUERY_STACK),
    databaseName: requiredEnv(env, 'DATABASE_NAME', QUERY_STACK),
    schema: env['THERMOCLINE_SCHEMA'] || 'public',
    ...(options.startsPlans
      ? { planStateMachineArn: requiredEnv(env, 'PLAN_STATE_MACHINE_ARN', QUERY_STACK) }
      : {}),
  };
}
