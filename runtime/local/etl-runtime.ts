/**
 * The ETL on the local runtime: `etl run` and `backfill` run the ETL state machine (the definition
 * CDK deploys) with its tasks bound in `state-machines.ts`; `npm start` exports the closed days
 * directly ({@link exportWithProgress}). Progress goes to the runtime's progress display.
 */
import { ConfigError } from '#core/config/resolve';
import { checkTablesInSource, type TableDayResult } from '#etl/export';
import type { FindChangedDaysOutput } from '#etl/changed-days';
import { runExports, type RunSummary, type TableDay, type TableDayFailure } from '#etl/run';
import { planRun, type PlanInput } from '#etl/tasks';
import type { SqlDatabase } from '#ports/sql';
import type { LocalRuntime } from '#runtime/local/local-runtime';
import { executionOutcome, recordRun, type RunOutcome } from '#runtime/local/run-record';
import {
  etlTasks,
  executionReport,
  localAlerts,
  runMachine,
  type LocalExecution,
  type StateEvent,
} from '#runtime/local/state-machines';

/** Exports table-days with progress, prints the outcome; exit code 1 when any failed. */
export async function exportWithProgress(
  context: LocalRuntime,
  db: SqlDatabase,
  work: readonly TableDay[],
  json: boolean,
): Promise<RunSummary> {
  await preflightTables(
    context,
    db,
    work.map((item) => ({ table: item.table.name })),
  );
  const deps = await context.exportDeps(db);
  const progress = context.progress({ total: work.length, unit: 'table-days', quiet: json });
  const startedAt = new Date();
  try {
    const summary = await runExports(deps, work, {
      onDone: (done, last) => progress.update(done, `${last.table} ${last.day}`),
    });
    await recordRun(context.home, { kind: 'catch-up', startedAt, ...runOutcome(summary) });
    return summary;
  } finally {
    progress.stop();
    await deps.encoder.close();
  }
}

/**
 * Before anything runs: the tables to export exist in PostgreSQL with the columns their config
 * names, and their columns match the lake tables' as each table's `on_schema_change` requires.
 * A mismatch is a configuration error — exit 2 naming the config key, nothing exported, no
 * alert — not a failed table-day.
 */
async function preflightTables(
  context: LocalRuntime,
  db: SqlDatabase,
  work: readonly { readonly table: string }[],
): Promise<void> {
  const names = new Set(work.map((item) => item.table));
  const tables = context.config.tables.filter((t) => names.has(t.name));
  const problems = await checkTablesInSource(db, tables, context.lake.catalog);
  if (problems.length === 0) return;
  const source = context.config.source;
  throw new ConfigError(
    source,
    problems.map((p) => ({
      path: `tables[name=${p.table}]${p.key ? `.${p.key}` : ''}`,
      message: p.message,
    })),
    `Fix ${source === 'defaults' ? 'the config' : source} or the database (schema '${db.schema}' of ${db.target.description}); on an empty database, 'thermocline seed' creates the sample tables.`,
  );
}

/** What `etl run` and `backfill` print: the execution, its states, and the run summary. */
export interface EtlExecution {
  readonly execution: {
    readonly status: LocalExecution['status'];
    readonly error?: LocalExecution['error'];
  };
  readonly states: StateEvent[];
  readonly summary: RunSummary;
}

/**
 * Runs the ETL state machine definition (the one CDK deploys) on the local runtime: PlanRun,
 * the Map over table-days with its Retry and Catch, and the alert on failure — each Task bound to
 * the same function the Lambda runs, with the local adapters.
 */
export async function runEtlStateMachine(
  context: LocalRuntime,
  db: SqlDatabase,
  input: PlanInput,
  json: boolean,
): Promise<EtlExecution> {
  const planned = planRun(context.config, context.clock.now(), input); // bad input: exit 2 now
  await preflightTables(context, db, planned.items);
  const deps = await context.exportDeps(db);
  const alerts = localAlerts(context.home);
  const progress = context.progress({
    total: planned.items.length,
    unit: 'table-days',
    quiet: json,
  });
  const started = performance.now();
  const startedAt = new Date();
  let done = 0;
  try {
    const execution = await runMachine('etl', etlTasks(context, deps, alerts), input, {
      onEvent: (event) => {
        if (event.event !== 'StateExited') return;
        if (event.state === 'FindChangedDays') {
          const changed = (event.output as { changed?: { items?: unknown[] } }).changed;
          progress.setTotal(planned.items.length + (changed?.items?.length ?? 0));
          return;
        }
        const item = event.output as { table?: string; day?: string; failed?: boolean };
        const finished =
          FAILURE_STATES.has(event.state ?? '') ||
          (EXPORT_STATES.has(event.state ?? '') && item.failed === false);
        if (finished) progress.update(++done, `${item.table ?? ''} ${item.day ?? ''}`);
      },
    });
    const summary = summarize(execution.events, (performance.now() - started) / 1000);
    await recordRun(context.home, {
      kind: input.from !== undefined ? 'backfill' : 'etl',
      startedAt,
      ...executionOutcome(execution),
      ...runOutcome(summary),
    });
    return { ...executionReport(execution), summary };
  } finally {
    progress.stop();
    await deps.encoder.close();
  }
}

/** A run summary as the run history records it. */
function runOutcome(summary: RunSummary): Pick<RunOutcome, 'rows' | 'bytes' | 'done' | 'failed'> {
  return {
    rows: summary.rows,
    bytes: summary.bytes,
    done: summary.published.map((r) => ({ table: r.table, day: r.day, rows: r.rows })),
    failed: summary.failed,
  };
}

/**
 * The states that end a table-day's export with its result, in the nightly Map and the
 * changed-days Map: a day exported in one task, or the publish of a day split into chunks.
 */
const EXPORT_STATES: ReadonlySet<string> = new Set([
  'TableDayExported',
  'PublishChunks',
  'TableDayReexported',
  'PublishReexportChunks',
]);
/** The states that record a caught table-day failure, in those two Maps. */
const FAILURE_STATES: ReadonlySet<string> = new Set(['RecordFailure', 'RecordReexportFailure']);

/** The run summary from the execution's events: exported table-days and caught failures. */
function summarize(events: readonly StateEvent[], seconds: number): RunSummary {
  const exits = events.filter((e) => e.event === 'StateExited');
  // A caught Task also exits (with the error merged into its input): only a success carries the
  // `failed: false` its ResultSelector (or Pass) adds.
  const published = exits
    .filter(
      (e) =>
        EXPORT_STATES.has(e.state ?? '') && (e.output as { failed?: boolean }).failed === false,
    )
    .map((e) => {
      const { failed: _failed, ...result } = e.output as TableDayResult & { failed: boolean };
      return result;
    });
  const failed = exits
    .filter((e) => FAILURE_STATES.has(e.state ?? ''))
    .map((e) => {
      const failure = e.output as { table: string; day: string; error: string; cause: string };
      return {
        table: failure.table,
        day: failure.day,
        error: `${failure.error}: ${failure.cause}`,
      };
    }) satisfies TableDayFailure[];
  const recheck = exits.find((e) => e.state === 'FindChangedDays' || e.state === 'RecheckFailed');
  const changed = (recheck?.output as { changed?: FindChangedDaysOutput & { failed?: boolean } })
    ?.changed;
  if (changed?.failed) {
    const { error, cause } = changed as unknown as { error: string; cause: string };
    failed.push({ table: '*', day: '*', error: `changed-days check: ${error}: ${cause}` });
  }
  return {
    published,
    failed,
    rows: published.reduce((n, r) => n + r.rows, 0),
    bytes: published.reduce((n, r) => n + r.bytes, 0),
    seconds,
    ...(changed && !changed.failed
      ? { rechecked: { checked: changed.checked, changed: changed.changed } }
      : {}),
  };
}
