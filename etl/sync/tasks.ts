/**
 * The sync state machine's tasks as plain functions: the Lambda handlers (AWS) and the local
 * runtime bind the same code. Errors carry a `name` the definition's Retry and Catch match:
 * `TransientError` is retried with backoff; anything else is caught at once and alerted.
 */
import type { MappingConfig } from '#core/config/schema';
import { classify } from '#etl/tasks';
import { planSync, type SyncPlan, type SyncPlanInput } from '#etl/sync/plan';
import { runSync, type SyncDeps, type SyncSummary } from '#etl/sync/run';

/** Input of the SyncMapping task (and of a direct sync Lambda invocation). */
export interface SyncRequest {
  readonly mode?: 'full' | 'incremental';
  readonly tables?: readonly string[];
}

/**
 * PlanSync: the mappings to sync for the run's input (bad input: a `UsageError`).
 * @example
 * planSyncTask(config.mappings)({ mode: 'incremental' }); // { items: [{ table: 'members', mode: 'incremental' }, …], skipped: […] }
 */
export function planSyncTask(
  mappings: readonly MappingConfig[],
): (input: SyncPlanInput | null | undefined) => SyncPlan {
  return (input) => planSync(mappings, input ?? {});
}

/**
 * SyncMapping: {@link runSync} for the request (the Map sends one table); transient failures are
 * renamed `TransientError` for the Retry.
 * @example
 * await syncTask(deps)({ mode: 'incremental', tables: ['members'] }); // { mappings: [{ table: 'members', … }], … }
 */
export function syncTask(deps: SyncDeps): (request: SyncRequest) => Promise<SyncSummary> {
  return async (request) => {
    try {
      return await runSync(deps, {
        ...(request.mode ? { mode: request.mode } : {}),
        ...(request.tables ? { tables: request.tables } : {}),
      });
    } catch (error) {
      throw classify(error);
    }
  };
}
