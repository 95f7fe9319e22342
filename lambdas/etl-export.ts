/**
 * AWS Lambda entry point of the ETL state machine's ExportTableDay task (and the chunk tasks of a
 * day split in parts): one table-day from
 * Aurora PostgreSQL to Parquet in the S3 lake, published in Glue. Bundled with esbuild by the
 * Pipeline stack, which sets the variables read by {@link exportEnvironment} (and
 * `NODE_EXTRA_CA_CERTS`, see `core/adapters/aws/database-secret.ts`); its dependencies are wired in
 * `runtime/aws/pipeline-runtime.ts`.
 *
 * Errors leave with the names `exportTask` gives them (`TransientError`, `ValidationError`,
 * `UsageError`, …): Lambda reports `error.name` as the errorType that the state machine's Retry
 * and Catch match, so nothing here wraps them.
 */
import type { ChunkedRun, ChunkInput, ChunkResult, PublishChunksInput } from '#etl/chunks';
import type { TableDayResult } from '#etl/export';
import type { FindChangedDaysInput, FindChangedDaysOutput } from '#etl/changed-days';
import {
  abandonChunksTask,
  chunkTask,
  classify,
  exportTask,
  findChangedDaysTask,
  publishChunksTask,
  type TableDayItem,
} from '#etl/tasks';
import {
  awsExportDeps,
  exportClients,
  type AwsClients,
  type ExportEnvironment,
} from '#runtime/aws/export-runtime';
import {
  configFromEnv,
  duckDbMemoryLimit,
  lakeEnvironment,
  lambdaProcessName,
  functionVariables,
  type Env,
  perContainer,
} from '#lambdas/env';
import { metrics, observed } from '#lambdas/observability';

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

// Once per container (cold start): configuration, environment, SDK clients.
const config = configFromEnv(process.env);
const environment = exportEnvironment(process.env);
const clients: AwsClients = exportClients();

/**
 * The dependencies, built on the first invocation and kept for the container's life; a failure
 * (e.g. Secrets Manager throttled) is classified like the export's own errors and retried next time.
 */
const containerDeps = perContainer(() => awsExportDeps(environment, clients), classify);

/** The events the function takes: a table-day to export, a chunk task, or the changed-days check. */
export type ExportEvent =
  | TableDayItem
  | ({ readonly action: 'findChangedDays' } & FindChangedDaysInput)
  | ({ readonly action: 'exportChunk' } & ChunkInput)
  | ({ readonly action: 'publishChunks' } & PublishChunksInput)
  | ({ readonly action: 'abandonChunks' } & PublishChunksInput);

/** What the function answers, by event. */
export type ExportOutput =
  TableDayResult | ChunkedRun | ChunkResult | FindChangedDaysOutput | { readonly deleted: number };

/** The actions of the function besides ExportTableDay, by name. */
const ACTIONS = ['findChangedDays', 'exportChunk', 'publishChunks', 'abandonChunks'] as const;

/**
 * ExportTableDay (and ReexportTableDay): `{ table, day }` → the {@link TableDayResult} the state
 * machine selects, or the {@link ChunkedRun} of a day split into chunks; rows, duration and
 * partition lag go out as EMF metrics, a final failure as `EtlFailures`. A split day's tasks:
 * `{ action: 'exportChunk' | 'publishChunks' | 'abandonChunks', … }` (`etl/chunks.ts`).
 * FindChangedDays: `{ action: 'findChangedDays', recheck, exported }` → the days to export again
 * (the same function: it has the database and the lake).
 * @example
 * await handler({ table: 'events', day: '2025-02-15' }, context); // { table: 'events', day: '2025-02-15', rows: …, … }
 */
export const handler = observed<ExportEvent, ExportOutput>(async (event: ExportEvent) => {
  if (!('action' in event)) return exportTask(await containerDeps(), config, metrics)(event);
  const deps = await containerDeps();
  switch (event.action) {
    case 'findChangedDays':
      return findChangedDaysTask(deps, config)(event);
    case 'exportChunk':
      return chunkTask(deps, config, metrics)(event);
    case 'publishChunks':
      return publishChunksTask(deps, config, metrics)(event);
    case 'abandonChunks':
      return abandonChunksTask(deps, config)(event);
    default:
      throw new Error(
        `unknown action ${JSON.stringify((event as { action: unknown }).action)}; expected one of ${ACTIONS.join(', ')}`,
      );
  }
});
