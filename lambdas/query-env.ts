/**
 * The query functions' environment (the plan-step function and the query API): where the lake,
 * the catalog, the workgroup, the database and the plan state machine are. Side-effect free, so
 * handlers read it once at cold start and tests call it with a plain object.
 */
import type { FunctionVariables } from '#core/contracts/function-environment';
import type { AwsQuerySettings } from '#runtime/aws/query-runtime';
import { deployedEnvironment, functionVariables, type Env } from '#lambdas/env';

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
  // The query API's variables are the plan step's and the plan state machine: read once.
  const variables: FunctionVariables<'plan-step'> & { readonly PLAN_STATE_MACHINE_ARN?: string } =
    options.startsPlans
      ? functionVariables('query-api', env, QUERY_STACK)
      : functionVariables('plan-step', env, QUERY_STACK);
  return {
    environment,
    lakeBucket: variables.LAKE_BUCKET,
    lakePrefix: variables.LAKE_PREFIX ?? '',
    resultsPrefix: variables.RESULTS_PREFIX || '_query/',
    glueDatabase: variables.GLUE_DATABASE,
    workGroup: variables.ATHENA_WORKGROUP,
    databaseResourceArn: variables.DATABASE_RESOURCE_ARN,
    databaseSecretArn: variables.DATABASE_SECRET_ARN,
    databaseName: variables.DATABASE_NAME,
    schema: variables.THERMOCLINE_SCHEMA || 'public',
    ...(variables.PLAN_STATE_MACHINE_ARN === undefined
      ? {}
      : { planStateMachineArn: variables.PLAN_STATE_MACHINE_ARN }),
  };
}
