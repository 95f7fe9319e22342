/**
 * AWS Lambda entry point of the ETL state machine's PlanRun task: the table-days to export.
 * Bundled with esbuild by the Pipeline stack, which sets `THERMOCLINE_CONFIG_JSON` and
 * `THERMOCLINE_ENVIRONMENT` (whose `etl_concurrency` sets the Map's concurrency).
 */
import { planRun, type PlanInput, type PlanOutput } from '#etl/tasks';
import { configFromEnv, deployedEnvironment } from '#lambdas/env';
import { observed } from '#lambdas/observability';

/** Parsed once per container: a bad value fails the cold start with a message naming it. */
const config = configFromEnv(process.env);
const environment = deployedEnvironment(process.env);

/**
 * PlanRun: errors (`UsageError` for a bad day or an unknown table) reach Step Functions with
 * their names unchanged.
 * @example
 * await handler({ date: '2025-02-15', table: 'events' }, context); // { items: [{ table: 'events', day: '2025-02-15' }], concurrency: 4 }
 */
export const handler = observed<PlanInput, PlanOutput>(async (event: PlanInput) =>
  planRun(config, new Date(), event ?? {}, environment),
);
