import type { Command } from 'commander';
import { parseDay, parseWhole } from '#cli/args';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import { createProgress } from '#cli/progress';
import { recordRun, type RunOutcome } from '#cli/run-record';
import { join } from 'node:path';
import { FileAlerts } from '#adapters/local/file-alerts';
import {
  alertTask,
  executionReport,
  runLocalStateMachine,
  type LocalExecution,
  type StateEvent,
  LOCAL_RETRY_PAUSE_MS,
} from '#adapters/local/local-state-machine';
import { UsageError } from '#core/errors';
import { checkTablesInSource, type TableDayResult } from '#etl/export';
import { ConfigError } from '#core/config/resolve';
import { runExports, type RunSummary, type TableDay, type TableDayFailure } from '#etl/run';
import { ETL_DEFINITION, ETL_PLACEHOLDERS, localDefinition } from '#etl/state-machines/index';
import type { FindChangedDaysOutput } from '#etl/changed-days';
import { exportTask, findChangedDaysTask, planRun, type PlanInput } from '#etl/tasks';
import type { SqlDatabase } from '#ports/sql';

interface RunFlags {
  readonly date?: string;
  readonly table?: string;
  readonly concurrency?: string;
  readonly json?: boolean;
}

interface BackfillFlags {
  readonly from?: string;
  readonly to?: string;
  readonly table?: string;
  readonly concurrency?: string;
  readonly json?: boolean;
}

/** Exports table-days with progress, prints the outcome; exit code 1 when any failed. */
export async function exportWithProgress(
  context: CliContext,
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
  const progress = createProgress({ total: work.length, unit: 'table-days', quiet: json });
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
  context: CliContext,
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
  context: CliContext,
  db: SqlDatabase,
  input: PlanInput,
  json: boolean,
): Promise<EtlExecution> {
  const planned = planRun(context.config, context.clock.now(), input); // bad input: exit 2 now
  await preflightTables(context, db, planned.items);
  const deps = await context.exportDeps(db);
  const alerts = new FileAlerts(join(context.home, 'alerts.log'));
  const progress = createProgress({ total: planned.items.length, unit: 'table-days', quiet: json });
  const started = performance.now();
  const startedAt = new Date();
  let done = 0;
  try {
    const execution = await runLocalStateMachine(
      localDefinition(ETL_DEFINITION, ETL_PLACEHOLDERS),
      {
        PlanRun: async (planInput: PlanInput) =>
          planRun(context.config, context.clock.now(), planInput),
        ExportTableDay: exportTask(deps, context.config),
        FindChangedDays: findChangedDaysTask(deps, context.config),
        ReexportTableDay: exportTask(deps, context.config),
        NotifyFailure: alertTask(alerts),
      },
      input,
      {
        retryPauseMs: LOCAL_RETRY_PAUSE_MS,
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
      },
    );
    const summary = summarize(execution.events, (performance.now() - started) / 1000);
    await recordRun(context.home, {
      kind: input.from !== undefined ? 'backfill' : 'etl',
      startedAt,
      executionFailed: execution.status === 'FAILED',
      ...(execution.error ? { error: `${execution.error.error}: ${execution.error.cause}` } : {}),
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

/** The Task states that export a table-day: the nightly Map's, and the changed-days Map's. */
const EXPORT_STATES: ReadonlySet<string> = new Set(['ExportTableDay', 'ReexportTableDay']);
/** The states that record a caught table-day failure, in those two Maps. */
const FAILURE_STATES: ReadonlySet<string> = new Set(['RecordFailure', 'RecordReexportFailure']);

/** The run summary from the execution's events: exported table-days and caught failures. */
function summarize(events: readonly StateEvent[], seconds: number): RunSummary {
  const exits = events.filter((e) => e.event === 'StateExited');
  // A caught Task also exits (with the error merged into its input): only a success carries the
  // `failed: false` its ResultSelector adds.
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

/**
 * Prints a run summary (a row per table-day with `perTableDay`, then totals and failures) as
 * text, or as JSON; a run with failures sets exit code 1 (the other table-days still published).
 */
export function reportRun(
  summary: RunSummary,
  options: { json: boolean; perTableDay: boolean },
): void {
  if (summary.failed.length > 0) failRun(summary.failed.map((f) => f.error));
  if (options.json) {
    printJson(summary);
    return;
  }
  if (options.perTableDay && summary.published.length > 0) {
    print(
      formatTable(
        ['table', 'day', 'rows', 'files', 'MB', 'seconds'],
        summary.published.map((r) => [
          r.table,
          r.day,
          r.rows,
          r.files,
          Number((r.bytes / 2 ** 20).toFixed(2)),
          Number(r.seconds.toFixed(2)),
        ]),
      ),
    );
  }
  print(
    `Published ${summary.published.length} table-days (${summary.rows} rows, ${(summary.bytes / 2 ** 20).toFixed(1)} MB) in ${summary.seconds.toFixed(1)} s.`,
  );
  for (const r of summary.published) {
    if (r.schemaChanges && r.schemaChanges.length > 0) {
      print(`Lake table ${r.table} changed with ${r.day}: ${r.schemaChanges.join('; ')}.`);
    }
  }
  if (summary.rechecked) {
    const { checked, changed } = summary.rechecked;
    print(
      `Re-checked ${checked} exported table-days still hot: ${changed.length} changed since their export` +
        (changed.length > 0
          ? ` and were exported again: ${changed.map((c) => `${c.table} ${c.day} (lake ${c.lake}, hot ${c.hot})`).join(', ')}.`
          : '.'),
    );
  }
  for (const failure of summary.failed) {
    process.stderr.write(`thermocline: ${failure.table} ${failure.day} failed: ${failure.error}\n`);
  }
}

/** Opens the database, runs the ETL state machine, prints the outcome; exit 1 when it failed. */
async function runAndReport(
  context: CliContext,
  input: PlanInput,
  options: { json: boolean; perTableDay: boolean },
): Promise<void> {
  const db = await context.openDatabase();
  try {
    if (!options.json) {
      print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`);
    }
    const result = await runEtlStateMachine(context, db, input, options.json);
    if (options.json) {
      printJson(result);
    } else {
      reportRun(result.summary, options);
      if (result.execution.status === 'FAILED') {
        process.stderr.write(
          `thermocline: the ETL execution failed (${result.execution.error?.error}); alert written to ${join(context.home, 'alerts.log')}\n`,
        );
      }
    }
    if (result.execution.status === 'FAILED') {
      const failures = result.summary.failed.map((f) => f.error);
      const code = failRun(failures.length > 0 ? failures : [result.execution.error?.cause ?? '']);
      if (code === 3 && !options.json) {
        process.stderr.write(
          `thermocline: PostgreSQL (${db.target.description}) was lost during the run and did not come back within the retries; the failed table-days published nothing. Run the same command again once it answers.
`,
        );
      }
    }
  } finally {
    await db.close();
  }
}

/** `thermocline etl run` and `thermocline backfill`. */
export function registerEtl(program: Command): void {
  const etl = program
    .command('etl')
    .description('export closed days from PostgreSQL to Parquet in the lake');
  etl
    .command('run')
    .description(
      'export one closed day of every configured table (or --table), validate it against the source and publish it atomically',
    )
    .option('--date <YYYY-MM-DD>', "the day (default: each table's last closed day)")
    .option('--table <name>', 'only this table')
    .option(
      '--concurrency <n>',
      "table-days at once, 1-40 (default: the local environment's etl_concurrency)",
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline etl run                          # yesterday (export_lag_days 1) for every table
  $ thermocline etl run --date 2025-02-15 --table events --json`,
    )
    .action(async (flags: RunFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const input: PlanInput = {
        ...(flags.date ? { date: parseDay('--date', flags.date) } : {}),
        ...(flags.table ? { table: flags.table } : {}),
        ...concurrencyOf(flags),
      };
      await runAndReport(context, input, { json: !!flags.json, perTableDay: true });
    });

  program
    .command('backfill')
    .description(
      'export every day of a range for every configured table (or --table): re-runs replace days whole',
    )
    .requiredOption('--from <YYYY-MM-DD>', 'first day')
    .requiredOption('--to <YYYY-MM-DD>', 'last day (must be closed)')
    .option('--table <name>', 'only this table')
    .option(
      '--concurrency <n>',
      "table-days at once, 1-40 (default: the local environment's etl_concurrency)",
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline backfill --from 2025-02-01 --to 2025-02-15
  $ thermocline backfill --from 2025-02-10 --to 2025-02-12 --table agent_tasks --json`,
    )
    .action(async (flags: BackfillFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const from = parseDay('--from', flags.from ?? '');
      const to = parseDay('--to', flags.to ?? '');
      if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
      const input: PlanInput = {
        from,
        to,
        ...(flags.table ? { table: flags.table } : {}),
        ...concurrencyOf(flags),
      };
      // A long backfill prints its totals; --json has every table-day.
      await runAndReport(context, input, { json: !!flags.json, perTableDay: false });
    });
}

/** `--concurrency` as the plan's input, when given. */
function concurrencyOf(flags: { readonly concurrency?: string }): { concurrency?: number } {
  return flags.concurrency === undefined
    ? {}
    : { concurrency: parseWhole('--concurrency', flags.concurrency, 1, 40) };
}
