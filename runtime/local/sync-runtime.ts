/**
 * The sync on the local runtime: `thermocline sync` (and `npm start`) run the sync state machine
 * (the definition CDK deploys) with its tasks bound in `state-machines.ts`.
 */
import { ConfigError } from '#core/config/resolve';
import { UsageError } from '#core/errors';
import { planMapping } from '#etl/sync/mapping';
import { planSync, type SkippedMapping, type SyncPlan, type SyncPlanInput } from '#etl/sync/plan';
import type { MappingSyncResult, SyncDeps } from '#etl/sync/run';
import type { SqlDatabase } from '#ports/sql';
import type { LocalRuntime } from '#runtime/local/local-runtime';
import { executionOutcome, recordRun } from '#runtime/local/run-record';
import {
  executionReport,
  localAlerts,
  runMachine,
  syncTasks,
  type LocalExecution,
  type StateEvent,
} from '#runtime/local/state-machines';

/** A mapping that failed (after its retries), as the state machine recorded it. */
export interface SyncFailure {
  readonly table: string;
  readonly mode: string;
  readonly error: string;
}

/** What `thermocline sync` prints with `--json`: the execution, its states, and the summary. */
export interface SyncExecution {
  readonly execution: {
    readonly status: LocalExecution['status'];
    readonly error?: LocalExecution['error'];
  };
  readonly states: StateEvent[];
  readonly summary: {
    /** Mappings that ran (a result with `skipped` lost the lease to another run). */
    readonly synced: MappingSyncResult[];
    /** Mappings the plan left out, with the reason. */
    readonly skipped: SkippedMapping[];
    readonly failed: SyncFailure[];
    readonly seconds: number;
  };
}

/**
 * Runs the sync state machine definition (the one CDK deploys) on the local runtime: PlanSync,
 * the Map over mappings with its Retry and Catch, and the alert on failure — each Task bound to
 * the same function the Lambda runs, with the local adapters.
 * @example
 * const result = await runSyncStateMachine(context, db, { mode: 'incremental' }, false);
 * result.summary.synced.map((r) => r.changedRows);
 */
export async function runSyncStateMachine(
  context: LocalRuntime,
  db: SqlDatabase,
  input: SyncPlanInput,
  json: boolean,
): Promise<SyncExecution> {
  const mappings = context.config.mappings;
  const planned = planSync(mappings, input); // bad input: exit 2 now
  await preflightMappings(context, db, planned.items);
  const { afterFileUpload: _unused, ...exportDeps } = await context.exportDeps(db);
  const deps: SyncDeps = { ...exportDeps, mappings };
  const alerts = localAlerts(context.home);
  const progress = context.progress({ total: planned.items.length, unit: 'mappings', quiet: json });
  const started = performance.now();
  const startedAt = new Date();
  let done = 0;
  try {
    const execution = await runMachine('sync', syncTasks(mappings, deps, alerts), input, {
      onEvent: (event) => {
        if (event.event !== 'StateExited') return;
        if (event.state === 'SyncMapping' || event.state === 'RecordFailure') {
          const output = event.output as { result?: { table?: string }; table?: string };
          progress.update(++done, output.result?.table ?? output.table ?? '');
        }
      },
    });
    const summary = summarize(execution.events, (performance.now() - started) / 1000);
    const synced = summary.synced.filter((r) => !(r as { skipped?: unknown }).skipped);
    await recordRun(context.home, {
      kind: 'sync',
      startedAt,
      ...executionOutcome(execution),
      rows: synced.reduce((n, r) => n + r.changedRows, 0),
      bytes: 0,
      done: synced.map((r) => ({ table: r.table, day: '*', rows: r.changedRows })),
      failed: summary.failed.map((f) => ({ table: f.table, day: '*', error: f.error })),
    });
    return { ...executionReport(execution), summary };
  } finally {
    progress.stop();
    await deps.encoder.close();
  }
}

/**
 * Before anything runs: each mapping's table and columns exist in PostgreSQL with usable types. A
 * mismatch is a configuration error — exit 2 naming the mapping, nothing synced, no alert.
 */
async function preflightMappings(
  context: LocalRuntime,
  db: SqlDatabase,
  items: readonly { readonly table: string }[],
): Promise<void> {
  const issues: { path: string; message: string }[] = [];
  for (const item of items) {
    const mapping = context.config.mappings.find((m) => m.table === item.table);
    if (!mapping) continue;
    try {
      await planMapping(db, mapping);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      issues.push({ path: `mappings[table=${mapping.table}]`, message: error.message });
    }
  }
  if (issues.length === 0) return;
  const source = context.config.source;
  throw new ConfigError(
    source,
    issues,
    `Fix ${source === 'defaults' ? 'the config' : source} or the database (schema '${db.schema}' of ${db.target.description}); on an empty database, 'thermocline seed' creates the sample tables.`,
  );
}

/** The run summary from the execution's events. */
function summarize(events: readonly StateEvent[], seconds: number): SyncExecution['summary'] {
  const exits = events.filter((e) => e.event === 'StateExited');
  const plan = exits.find((e) => e.state === 'PlanSync')?.output as { plan?: SyncPlan } | undefined;
  const synced = exits
    .filter((e) => e.state === 'SyncMapping')
    .flatMap((e) => {
      const output = e.output as { result?: MappingSyncResult; failed?: boolean };
      return output.failed === false && output.result ? [output.result] : [];
    });
  const failed = exits
    .filter((e) => e.state === 'RecordFailure')
    .map((e) => {
      const failure = e.output as { table: string; mode: string; error: string; cause: string };
      return {
        table: failure.table,
        mode: failure.mode,
        error: `${failure.error}: ${failure.cause}`,
      };
    });
  return { synced, skipped: plan?.plan?.skipped ?? [], failed, seconds };
}
