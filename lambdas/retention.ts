/**
 * AWS Lambda entry points of the retention state machine (`etl/state-machines/retention.asl.json`):
 * `planHandler` (PlanPurge: the tables to purge) and `purgeHandler` (PurgeTable: one table's hot
 * rows of days older than `hot_retention_days`, deleted from Aurora only when verified against
 * the S3 lake and the Glue catalog). One bundle, two functions; the Pipeline stack sets
 * `THERMOCLINE_CONFIG_JSON` on both and, on the purge function, the variables read by
 * {@link retentionEnvironment}. The purge needs no DuckDB, so it bundles without the layer and
 * runs on arm64: PostgreSQL computes the hot rows' checksums, and each published file is checked
 * by streaming it from S3 and comparing its SHA-256 with the one the export recorded in the
 * partition's `_manifest.json` (the hash of the very bytes the export validated row by row).
 * Reading rows back from the Parquet files is the local runtime's extra check; days published
 * before hashes were recorded are held here until a backfill publishes them again.
 *
 * Errors leave with the names the tasks give them (`TransientError` is retried, the rest caught
 * and alerted by the state machine); held days are alerted by the state machine's SNS task from
 * the task's summary, so the handler itself publishes nothing.
 */
import {
  planPurge,
  purgeTableTask,
  type PurgeTableItem,
  type PurgeTableSummary,
  type RetentionInput,
  type RetentionPlan,
} from '#etl/retention/tasks';
import { classify } from '#etl/tasks';
import {
  awsRetentionDeps,
  retentionClients,
  type RetentionClients,
  type RetentionEnvironment,
} from '#runtime/aws/retention-runtime';
import {
  configFromEnv,
  lakeEnvironment,
  lambdaProcessName,
  functionVariables,
  type Env,
  perContainer,
} from '#lambdas/env';
import { observed, type InvocationContext } from '#lambdas/observability';

/**
 * Reads and checks the purge handler's variables.
 * @throws EnvironmentError naming a missing variable and what sets it.
 * @example
 * retentionEnvironment(process.env).glueDatabase; // 'thermocline_prod'
 */
export function retentionEnvironment(env: Env): RetentionEnvironment {
  const variables = functionVariables('retention-purge', env);
  return {
    databaseSecretArn: variables.DATABASE_SECRET_ARN,
    ...lakeEnvironment(variables),
    processName: lambdaProcessName(env),
  };
}

/** Time kept back from the Lambda timeout: no batch starts in the last minute. */
const DEADLINE_MARGIN_MS = 60_000;

/**
 * The epoch ms after which the purge starts no new batch: the invocation's remaining time less a
 * margin (at least a fifth of it), so a big backlog ends `deferred`, not killed by the timeout.
 * @example
 * purgeDeadline(900_000, 0); // 720000 (3 minutes kept back)
 */
export function purgeDeadline(remainingMs: number, now: number = Date.now()): number {
  return now + Math.max(0, remainingMs - Math.max(DEADLINE_MARGIN_MS, remainingMs / 5));
}

// Once per container (cold start): configuration and SDK clients. The purge's own variables are
// read on its first invocation, so the plan function needs only THERMOCLINE_CONFIG_JSON.
const config = configFromEnv(process.env);
const clients: RetentionClients = retentionClients();

/** The dependencies, built on the first purge invocation; a failure is retried next time. */
const containerDeps = perContainer(
  () => awsRetentionDeps(retentionEnvironment(process.env), clients, config),
  classify,
);

/** The part of the Lambda context the purge reads. */
/**
 * PlanPurge: `{ dryRun?, tables? }` → `{ dryRun, items: [{ table, dryRun }] }`; an unknown table is
 * a `UsageError`.
 * @example
 * await planHandler({ tables: ['events'] }, context); // { dryRun: false, items: [{ table: 'events', dryRun: false }] }
 */
export const planHandler = observed<RetentionInput, RetentionPlan>(async (event: RetentionInput) =>
  planPurge(config, event ?? {}),
);

/**
 * PurgeTable: `{ table, dryRun }` → the table's {@link PurgeTableSummary}. Stops starting batches
 * a minute before the timeout; the next run resumes the rest.
 * @example
 * await purgeHandler({ table: 'events', dryRun: false }, context); // { table: 'events', deletedRows: 3012, anyHeld: false, … }
 */
export const purgeHandler = observed<PurgeTableItem, PurgeTableSummary>(
  async (event: PurgeTableItem, context: InvocationContext) =>
    purgeTableTask(await containerDeps(), {
      deadline: purgeDeadline(context.getRemainingTimeInMillis()),
    })(event),
);
