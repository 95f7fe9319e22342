import type { Command } from 'commander';
import { join } from 'node:path';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import { createProgress } from '#cli/progress';
import { FileAlerts } from '#adapters/local/file-alerts';
import {
  alertTask,
  executionReport,
  runLocalStateMachine,
  type LocalExecution,
  type StateEvent,
  LOCAL_RETRY_PAUSE_MS,
} from '#adapters/local/local-state-machine';
import { ConfigError } from '#core/config/resolve';
import { recordRun } from '#cli/run-record';
import { UsageError } from '#core/errors';
import { planMapping } from '#etl/sync/mapping';
import { fetchEntities, type EntityRow } from '#etl/sync/fetch';
import { planSync, type SkippedMapping, type SyncPlan, type SyncPlanInput } from '#etl/sync/plan';
import type { MappingSyncResult, SyncDeps } from '#etl/sync/run';
import { planSyncTask, syncTask } from '#etl/sync/tasks';
import { SYNC_DEFINITION, SYNC_PLACEHOLDERS, localDefinition } from '#etl/state-machines/index';
import type { SqlDatabase } from '#ports/sql';

interface SyncFlags {
  readonly mode?: string;
  readonly table: string[];
  readonly keys?: string;
  readonly json?: boolean;
}

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
  context: CliContext,
  db: SqlDatabase,
  input: SyncPlanInput,
  json: boolean,
): Promise<SyncExecution> {
  const mappings = context.config.mappings;
  const planned = planSync(mappings, input); // bad input: exit 2 now
  await preflightMappings(context, db, planned.items);
  const { afterFileUpload: _unused, ...exportDeps } = await context.exportDeps(db);
  const deps: SyncDeps = { ...exportDeps, mappings };
  const alerts = new FileAlerts(join(context.home, 'alerts.log'));
  const progress = createProgress({ total: planned.items.length, unit: 'mappings', quiet: json });
  const started = performance.now();
  const startedAt = new Date();
  let done = 0;
  try {
    const execution = await runLocalStateMachine(
      localDefinition(SYNC_DEFINITION, SYNC_PLACEHOLDERS),
      {
        PlanSync: async (planInput: SyncPlanInput) => planSyncTask(mappings)(planInput),
        SyncMapping: syncTask(deps),
        NotifyFailure: alertTask(alerts),
      },
      input,
      {
        retryPauseMs: LOCAL_RETRY_PAUSE_MS,
        onEvent: (event) => {
          if (event.event !== 'StateExited') return;
          if (event.state === 'SyncMapping' || event.state === 'RecordFailure') {
            const output = event.output as { result?: { table?: string }; table?: string };
            progress.update(++done, output.result?.table ?? output.table ?? '');
          }
        },
      },
    );
    const summary = summarize(execution.events, (performance.now() - started) / 1000);
    const synced = summary.synced.filter((r) => !(r as { skipped?: unknown }).skipped);
    await recordRun(context.home, {
      kind: 'sync',
      startedAt,
      executionFailed: execution.status === 'FAILED',
      ...(execution.error ? { error: `${execution.error.error}: ${execution.error.cause}` } : {}),
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
  context: CliContext,
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

/** Prints a sync run as a table (or JSON); a failed execution sets exit code 1. */
function report(result: SyncExecution, json: boolean, home: string): void {
  if (result.execution.status === 'FAILED') {
    const failures = result.summary.failed.map((f) => f.error);
    failRun(failures.length > 0 ? failures : [result.execution.error?.cause ?? '']);
  }
  if (json) {
    printJson(result);
    return;
  }
  const { synced, skipped, failed, seconds } = result.summary;
  if (synced.length > 0) {
    print(
      formatTable(
        ['table', 'lake table', 'mode', 'read', 'changed', 'deleted', 'rows', 'watermark', 's'],
        synced.map((r) => [
          r.table,
          r.lakeTable,
          r.skipped ? 'skipped' : r.mode,
          r.readRows,
          r.changedRows,
          r.tombstones,
          r.currentRows,
          r.watermark ?? '-',
          Number(r.seconds.toFixed(2)),
        ]),
      ),
    );
  }
  for (const r of synced) {
    if (r.skipped) print(`${r.table}: skipped — ${r.skipped}`);
    else if (r.note) print(`${r.table}: ${r.note}`);
  }
  for (const s of skipped) print(`${s.table}: not synced — ${s.reason}`);
  const changed = synced.reduce((n, r) => n + r.changedRows, 0);
  const deleted = synced.reduce((n, r) => n + r.tombstones, 0);
  print(
    `Synced ${synced.filter((r) => !r.skipped).length} mappings (${changed} rows changed, ${deleted} deleted) in ${seconds.toFixed(1)} s.`,
  );
  for (const failure of failed) {
    process.stderr.write(`thermocline: sync of ${failure.table} failed: ${failure.error}\n`);
  }
  if (result.execution.status === 'FAILED') {
    process.stderr.write(
      `thermocline: the sync execution failed (${result.execution.error?.error}); alert written to ${join(home, 'alerts.log')}\n`,
    );
  }
}

/** Prints fetched entities as a table (or JSON), naming the keys that have no row. */
function reportFetch(
  table: string,
  keys: readonly string[],
  rows: readonly EntityRow[],
  json: boolean,
): void {
  const found = new Set(rows.map((r) => String(r.key)));
  const missing = keys.filter((k) => !found.has(k));
  if (json) {
    printJson({ table, keys, rows, missing });
    return;
  }
  if (rows.length > 0) {
    const headers = Object.keys(rows[0] ?? {});
    print(
      formatTable(
        headers,
        rows.map((row) =>
          headers.map((h) => {
            const value = row[h];
            return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
          }),
        ),
      ),
    );
  }
  if (missing.length > 0) print(`No row in ${table} for: ${missing.join(', ')}`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseMode(value: string | undefined): 'full' | 'incremental' | undefined {
  if (value === undefined) return undefined;
  if (value === 'full' || value === 'incremental') return value;
  throw new UsageError(
    `--mode must be full or incremental; got '${value}' (on_demand mappings: --table T --keys k1,k2)`,
  );
}

/** `thermocline sync`. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description(
      "sync reference tables (the config's mappings) to the lake: ref_<table> holds the current state, ref_<table>_changes every delta",
    )
    .option(
      '--mode <mode>',
      "full (every row, detects deletes) or incremental (changes since the watermark); default: each mapping's sync_mode",
    )
    .option('--table <name>', 'only this mapping (repeat for more)', collect, [])
    .option('--keys <k1,k2>', 'with one --table: fetch these keys now from PostgreSQL (on-demand)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline sync                                   # each mapping in its own sync_mode
  $ thermocline sync --mode full --table members --json
  $ thermocline sync --table members --keys M0000001,M0000002`,
    )
    .action(async (flags: SyncFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const json = !!flags.json;
      const mode = parseMode(flags.mode);
      if (flags.keys !== undefined) {
        if (flags.table.length !== 1) {
          throw new UsageError(
            `--keys needs exactly one --table; got ${flags.table.length} (${flags.table.join(', ') || 'none'})`,
          );
        }
        if (mode) throw new UsageError('--keys fetches on demand; leave out --mode');
      }
      const input: SyncPlanInput = {
        ...(mode ? { mode } : {}),
        ...(flags.table.length > 0 ? { tables: flags.table } : {}),
      };
      if (flags.keys === undefined) planSync(context.config.mappings, input); // bad input: exit 2
      const db = await context.openDatabase();
      try {
        if (flags.keys !== undefined) {
          const table = flags.table[0] ?? '';
          const keys = flags.keys
            .split(',')
            .map((k) => k.trim())
            .filter((k) => k !== '');
          const rows = await fetchEntities({ db, mappings: context.config.mappings }, table, keys);
          reportFetch(table, keys, rows, json);
          return;
        }
        if (!json) {
          print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`);
        }
        report(await runSyncStateMachine(context, db, input, json), json, context.home);
      } finally {
        await db.close();
      }
    });
}
