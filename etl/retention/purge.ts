/**
 * Retention: deletes the hot rows of days older than a table's `hot_retention_days` — only when
 * the lake provably holds exactly those rows (etl/retention/decide.ts), in bounded batches, each
 * its own transaction, resumable after a crash (etl/retention/log.ts). Days that cannot be proven
 * are held: nothing of them is deleted, and one alert per table names each held day, why, and the
 * command that resolves it.
 *
 * For each table: the days with hot rows before the cutoff (one GROUP BY over the rows older than
 * it); then day by day, oldest first: read the day manifest, check the catalog and the files
 * (all there, with their sizes; their content: each file's SHA-256 recorded at publish, and —
 * where an encoder can read the lake's files — the rows read back with the export's checksum),
 * checksum the hot rows with the export's SQL, decide; a day that may go is recorded in the log as
 * `deleting` and deleted batch by batch — under the table-day's lease (`etl/lease.ts`), so an
 * export of the day cannot publish in between (a day another run holds is held). Each batch deletes up to `batchRows` rows of the day and
 * adds their count and hash sum to the log in the same statement; when no row is left, the
 * deleted rows must add up to the manifest's rows and checksum (status `deleted`), or the day is
 * alerted (status `mismatch`: rows were written to it during the purge).
 */
import type { TableConfig, ThermoclineConfig } from '#core/config/schema';
import { UsageError } from '#core/errors';
import { qualify, quoteIdent } from '#core/sql/ident';
import { newRunId, planTable } from '#etl/export';
import { acquireLease, LeaseHeldError, type Lease } from '#etl/lease';
import { decideDay, verifyCommand, type DayFacts } from '#etl/retention/decide';
import {
  catalogProblem,
  checkContent,
  checkFiles,
  checksumText,
  dayCondition,
  hotChecksum,
  partitionsByDay,
  readDayManifest,
  rowHashSql,
  withExportSettings,
} from '#etl/retention/evidence';
import {
  beginDayPurge,
  ensureRetentionLog,
  finishDayPurge,
  readRetentionLog,
  retentionLogEntry,
  retentionLogExists,
  retentionLogName,
  type RetentionLogEntry,
} from '#etl/retention/log';
import type { ColumnPlan } from '#etl/types';
import type { Alerts } from '#ports/alerts';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import type { Clock } from '#ports/clock';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import { anonymousProcess, type ProcessInfo } from '#ports/process';
import type { SqlDatabase } from '#ports/sql';
import { daysBefore } from '#core/days';

/** What retention works with. */
export interface PurgeDeps {
  readonly db: SqlDatabase;
  readonly store: ObjectStore;
  readonly catalog: Catalog;
  /**
   * Reads the rows of a day's files back (count and checksum, as the export validated them)
   * before its hot rows go, given the paths `store.locate()` returns: the local runtime's DuckDB.
   * @default - none: only the SHA-256 recorded for each file at publish is checked (the Lambda,
   *   which reads the lake from S3 and has no DuckDB), and days published before hashes were
   *   recorded are held
   */
  readonly encoder?: Pick<ParquetEncoder, 'checksum'>;
  /** Where held days are reported (FileAlerts locally; the state machine's SNS task on AWS). */
  readonly alerts: Alerts;
  readonly clock: Clock;
  /** The configured tables (their retention, layout and timestamp column). */
  readonly config: Pick<ThermoclineConfig, 'tables'>;
  /**
   * This process, recorded with the table-day leases; a lease whose process is known to have
   * ended is taken over at once. @default a process that cannot tell (leases free by expiry)
   */
  readonly processInfo?: ProcessInfo;
  /** Test hook: called after each committed batch (throw to simulate a crash). */
  readonly afterBatch?: (batch: PurgeBatch) => void | Promise<void>;
}

/** One committed delete batch. */
export interface PurgeBatch {
  readonly table: string;
  readonly day: string;
  /** Rows this batch deleted. */
  readonly rows: number;
  /** Rows of the day deleted by this run so far. */
  readonly dayDeleted: number;
}

/** Progress of the deletes of one table. */
export interface PurgeProgress {
  readonly table: string;
  readonly day: string;
  /** Rows of the table deleted by this run so far. */
  readonly deleted: number;
  /** Hot rows of the table's candidate days (the most this run can delete). */
  readonly total: number;
}

/** Options of {@link purge}. */
export interface PurgeOptions {
  /** Decide and report only: nothing is deleted, nothing is written, nothing is alerted. */
  readonly dryRun: boolean;
  /** Only these tables (names from the config). @default every configured table */
  readonly tables?: readonly string[];
  /** "Today" for the cutoff. @default deps.clock.now() */
  readonly now?: Date;
  /** Rows per delete batch (one transaction each). @default 10,000 */
  readonly batchRows?: number;
  readonly onProgress?: (progress: PurgeProgress) => void;
  /**
   * Epoch milliseconds after which no new batch starts (a Lambda's remaining time): the rest is
   * reported `deferred` and the next run resumes it.
   */
  readonly deadline?: number;
}

/**
 * What happened to a day: `delete` (dry run: would be deleted), `deleted`, `hold` (nothing
 * deleted; see reason), `deferred` (the deadline came first; the next run continues).
 */
export type PurgeAction = 'delete' | 'deleted' | 'hold' | 'deferred';

/** One candidate day of a table. */
export interface PurgeDay {
  readonly day: string;
  /** Hot rows of the day before this run deleted any. */
  readonly hotRows: number;
  /** Rows the day manifest says the lake holds. */
  readonly manifestRows?: number;
  /** The manifest's run id (the lake version the day was checked against). */
  readonly runId?: string;
  readonly action: PurgeAction;
  /** Why the day is held, or what went wrong after its deletion: set on every alerted day. */
  readonly reason?: string;
  /** The command (or procedure) that resolves it. */
  readonly recovery?: string;
  /** Rows this run deleted. */
  readonly deletedRows: number;
}

/** One table's purge. */
export interface PurgeTableReport {
  readonly table: string;
  /** The first day kept hot: days before it are candidates (today − hot_retention_days). */
  readonly cutoffDay: string;
  readonly days: PurgeDay[];
}

/** What {@link purge} did (or, dry run, would do). */
export interface PurgeReport {
  readonly dryRun: boolean;
  readonly tables: PurgeTableReport[];
}

/** A day that was held or went wrong, for alerts and exit codes. */
export interface PurgeProblem {
  readonly table: string;
  readonly day: string;
  readonly action: PurgeAction;
  readonly reason: string;
  readonly recovery: string;
}

const DEFAULT_BATCH_ROWS = 10_000;

/**
 * The first day a table keeps hot: today (UTC) minus `hot_retention_days`. Days before it have
 * rows all older than the retention and are candidates for deletion.
 * @example
 * retentionCutoff({ hot_retention_days: 90, … }, new Date('2025-05-16T04:00:00Z')); // '2025-02-15'
 */
export function retentionCutoff(table: Pick<TableConfig, 'hot_retention_days'>, now: Date): string {
  return daysBefore(now, table.hot_retention_days);
}

/**
 * Every day of a report that was held or alerted, in table and day order.
 * @example
 * purgeProblems(report).map((p) => `${p.table} ${p.day}: ${p.reason}`);
 */
export function purgeProblems(report: PurgeReport): PurgeProblem[] {
  return report.tables.flatMap((t) =>
    t.days
      .filter((d) => d.reason !== undefined)
      .map((d) => ({
        table: t.table,
        day: d.day,
        action: d.action,
        reason: d.reason ?? '',
        recovery: d.recovery ?? '',
      })),
  );
}

/**
 * Finds the configured table `name`.
 * @throws UsageError naming it and listing the known tables.
 * @example
 * configuredTable(config, 'events').hot_retention_days; // 90
 */
export function configuredTable(
  config: Pick<ThermoclineConfig, 'tables'>,
  name: string,
): TableConfig {
  const table = config.tables.find((t) => t.name === name);
  if (table) return table;
  const known = config.tables.map((t) => t.name).join(', ') || '(none)';
  throw new UsageError(`table '${name}' is not in the config; known tables: ${known}`);
}

/**
 * Purges every configured table (or `options.tables`); see the module comment.
 * @example
 * const report = await purge({ db, store, catalog, alerts, clock, config }, { dryRun: true });
 * for (const t of report.tables) for (const d of t.days) console.log(t.table, d.day, d.action, d.reason ?? '');
 */
export async function purge(deps: PurgeDeps, options: PurgeOptions): Promise<PurgeReport> {
  const tables = options.tables
    ? options.tables.map((name) => configuredTable(deps.config, name))
    : [...deps.config.tables];
  const reports: PurgeTableReport[] = [];
  for (const table of tables) reports.push(await purgeTable(deps, table, options));
  return { dryRun: options.dryRun, tables: reports };
}

/**
 * Purges one table (see the module comment) and alerts its held days.
 * @example
 * const report = await purgeTable(deps, configuredTable(config, 'events'), { dryRun: false });
 */
export async function purgeTable(
  deps: PurgeDeps,
  table: TableConfig,
  options: PurgeOptions,
): Promise<PurgeTableReport> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) {
    throw new UsageError(`batchRows must be a whole number ≥ 1; got ${batchRows}`);
  }
  const cutoffDay = retentionCutoff(table, options.now ?? deps.clock.now());
  // First: a table missing from PostgreSQL, or a column named in the config, fails here by name.
  const plans = await planTable(deps.db, table);
  const candidates = await oldHotDays(deps.db, table, cutoffDay);
  const days: PurgeDay[] = [];
  if (candidates.length === 0) return { table: table.name, cutoffDay, days };

  const run: TableRun = {
    deps,
    table,
    options,
    batchRows,
    plans,
    runId: `purge-${newRunId(deps.clock)}`,
    catalogByDay: await partitionsByDay(deps.catalog, table),
    log: await readRetentionLog(deps.db, table.name),
    total: candidates.reduce((n, c) => n + c.rows, 0),
    deleted: 0,
    logReady: false,
  };
  for (const candidate of candidates) {
    if (pastDeadline(options)) {
      days.push({
        day: candidate.day,
        hotRows: candidate.rows,
        action: 'deferred',
        deletedRows: 0,
      });
      continue;
    }
    days.push(await purgeDay(run, candidate));
  }

  const report = { table: table.name, cutoffDay, days };
  const problems = purgeProblems({ dryRun: options.dryRun, tables: [report] });
  if (problems.length > 0 && !options.dryRun) {
    await deps.alerts.notify(
      `Thermocline retention held ${problems.length} day(s) of ${table.name}`,
      problems.map((p) => `${p.table} ${p.day}: ${p.reason}. Recovery: ${p.recovery}`).join('\n'),
    );
  }
  return report;
}

/** One table's purge state. */
interface TableRun {
  readonly deps: PurgeDeps;
  readonly table: TableConfig;
  readonly options: PurgeOptions;
  readonly batchRows: number;
  readonly plans: readonly ColumnPlan[];
  /** The run id its table-day leases carry. */
  readonly runId: string;
  catalogByDay: Map<string, CatalogPartition[]>;
  readonly log: Map<string, RetentionLogEntry>;
  readonly total: number;
  deleted: number;
  logReady: boolean;
}

function pastDeadline(options: PurgeOptions): boolean {
  return options.deadline !== undefined && Date.now() >= options.deadline;
}

/**
 * The days of a table with hot rows before the cutoff, oldest first, with their row counts: one
 * GROUP BY over the rows older than the cutoff (the timestamp index bounds the scan to them).
 */
async function oldHotDays(
  db: SqlDatabase,
  table: TableConfig,
  cutoffDay: string,
): Promise<{ day: string; rows: number }[]> {
  const ts = quoteIdent(table.timestamp_column);
  const rows = await db.query<{ day: string; n: string }>(
    `SELECT to_char(date_trunc('day', ${ts} AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*)::bigint AS n
       FROM ${qualify(db.schema, table.name)}
      WHERE ${ts} < TIMESTAMPTZ '${cutoffDay} 00:00:00+00'
      GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({ day: r.day, rows: Number(r.n) }));
}

/**
 * Purges one day under its table-day lease (a dry run, which changes nothing, takes none): an
 * export of the day cannot publish between the verification and the deletes, nor during them. A
 * day another run holds is held, nothing deleted; the next purge takes it up.
 */
async function purgeDay(
  run: TableRun,
  candidate: { day: string; rows: number },
): Promise<PurgeDay> {
  if (run.options.dryRun) return verifyAndDelete(run, candidate);
  let lease: Lease;
  try {
    lease = await acquireLease(run.deps.db, {
      table: run.table.name,
      day: candidate.day,
      runId: run.runId,
      purpose: 'purge',
      process: run.deps.processInfo ?? anonymousProcess('an unnamed process'),
    });
  } catch (error) {
    if (!(error instanceof LeaseHeldError)) throw error;
    const { holder } = error;
    const other = holder.purpose === 'export' ? 'an export' : 'another purge';
    return {
      day: candidate.day,
      hotRows: candidate.rows,
      action: 'hold',
      reason:
        `${other} of the day is running (run ${holder.runId}, ${holder.owner}, since ` +
        `${holder.since}); nothing was deleted`,
      recovery: `purge again once it has ended (the next scheduled purge does)`,
      deletedRows: 0,
    };
  }
  try {
    return await verifyAndDelete(run, candidate, lease);
  } finally {
    await lease.release();
  }
}

/**
 * Gathers the facts of a day, decides, and deletes when it may. Under a lease the day's log entry
 * and catalog partitions are read again (another run may have changed them since the table's
 * purge began), and the lease is confirmed before the first delete.
 */
async function verifyAndDelete(
  run: TableRun,
  candidate: { day: string; rows: number },
  lease?: Lease,
): Promise<PurgeDay> {
  const { deps, table } = run;
  const { day } = candidate;
  const manifest = await readDayManifest(deps.store, table.name, day);
  const log =
    lease && (await retentionLogExists(deps.db))
      ? await retentionLogEntry(deps.db, table.name, day)
      : run.log.get(day);
  let facts: DayFacts = { table: table.name, day, manifest, ...(log ? { log } : {}) };
  if (manifest.manifest) {
    let catalog = catalogProblem(manifest.manifest, run.catalogByDay.get(day) ?? []);
    if (catalog && lease) {
      // The partitions were listed when the table's purge began: an export may have moved them.
      run.catalogByDay = await partitionsByDay(deps.catalog, table);
      catalog = catalogProblem(manifest.manifest, run.catalogByDay.get(day) ?? []);
    }
    const files = catalog ? undefined : await checkFiles(deps.store, manifest.manifest);
    facts = {
      ...facts,
      ...(catalog ? { catalogProblem: catalog } : {}),
      ...(files?.problem ? { filesProblem: files.problem } : {}),
    };
    if (files && !files.problem) {
      const content = await checkContent(
        deps,
        table,
        run.plans,
        manifest.manifest,
        files.partitions,
        () => pastDeadline(run.options),
      );
      // Reading a big day's files can outlast the time budget: the next run checks it again.
      if (content.status === 'stopped') {
        return { day, hotRows: candidate.rows, action: 'deferred', deletedRows: 0 };
      }
      facts = { ...facts, content, hot: await hotChecksum(deps.db, table, run.plans, day) };
    }
  }
  const decision = decideDay(facts);
  const base = {
    day,
    hotRows: facts.hot?.rows ?? candidate.rows,
    ...(manifest.manifest
      ? { manifestRows: manifest.manifest.rows, runId: manifest.manifest.run_id }
      : {}),
  };
  if (decision.verdict === 'hold') {
    return {
      ...base,
      action: 'hold',
      reason: decision.reason,
      recovery: decision.recovery,
      deletedRows: 0,
    };
  }
  if (!lease || !manifest.manifest) return { ...base, action: 'delete', deletedRows: 0 };
  await lease.confirm();
  return { ...base, ...(await deleteDay(run, day, manifest.manifest, decision.keepDeleted)) };
}

/** Deletes a verified day batch by batch under the log's guard, then reconciles it. */
async function deleteDay(
  run: TableRun,
  day: string,
  manifest: { run_id: string; rows: number; checksum: string },
  keepDeleted: boolean,
): Promise<Pick<PurgeDay, 'action' | 'reason' | 'recovery' | 'deletedRows'>> {
  const { deps, table } = run;
  if (!run.logReady) {
    await ensureRetentionLog(deps.db);
    run.logReady = true;
  }
  await beginDayPurge(deps.db, {
    table: table.name,
    day,
    manifestRunId: manifest.run_id,
    rowsExpected: manifest.rows,
    checksumExpected: manifest.checksum,
    keepDeleted,
  });
  let deleted = 0;
  for (;;) {
    if (pastDeadline(run.options)) return { action: 'deferred', deletedRows: deleted };
    const rows = await deleteBatch(run, day, manifest.run_id);
    if (rows === 0) break;
    deleted += rows;
    run.deleted += rows;
    run.options.onProgress?.({ table: table.name, day, deleted: run.deleted, total: run.total });
    await deps.afterBatch?.({ table: table.name, day, rows, dayDeleted: deleted });
  }

  const entry = await retentionLogEntry(deps.db, table.name, day);
  const gone = entry ? { rows: entry.rowsDeleted, sum: entry.sumDeleted } : undefined;
  const exact =
    !!entry && gone?.rows === entry.rowsExpected && checksumText(gone) === entry.checksumExpected;
  await finishDayPurge(deps.db, table.name, day, exact ? 'deleted' : 'mismatch');
  if (exact) return { action: 'deleted', deletedRows: deleted };
  return {
    action: 'deleted',
    deletedRows: deleted,
    reason:
      `the deleted rows (${gone ? checksumText(gone) : 'unknown'}) do not add up to the manifest ` +
      `(${manifest.checksum}): rows were written to the day while it was purged`,
    recovery:
      `restore ${table.name} rows of ${day} from a PostgreSQL point-in-time backup taken before ` +
      `the purge and compare them with the lake (${verifyCommand(table.name, day)})`,
  };
}

/**
 * One batch: deletes up to `batchRows` rows of the day (by ctid, re-checking the day's range) and,
 * in the same statement, adds their count and hash sum to the day's log entry — which must be
 * the `deleting` entry of this run id, else the whole transaction is rolled back.
 */
async function deleteBatch(run: TableRun, day: string, runId: string): Promise<number> {
  const { deps, table, plans } = run;
  const name = qualify(deps.db.schema, table.name);
  const where = dayCondition(table, day);
  const sql = `WITH gone AS (
      DELETE FROM ${name}
       WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${name} WHERE ${where} LIMIT $4)) AND ${where}
      RETURNING ${rowHashSql(plans)} AS h
    ), total AS (SELECT count(*)::bigint AS n, coalesce(sum(h), 0) AS s FROM gone)
    UPDATE ${retentionLogName(deps.db)} AS log
       SET rows_deleted = log.rows_deleted + total.n, sum_deleted = log.sum_deleted + total.s,
           updated_at = now()
      FROM total
     WHERE log.table_name = $1 AND log.day = $2 AND log.manifest_run_id = $3 AND log.status = 'deleting'
    RETURNING total.n::text AS n`;
  return withExportSettings(deps.db, async (session) => {
    const [row] = await session.query<{ n: string }>(sql, [table.name, day, runId, run.batchRows]);
    if (!row) {
      // Rolls the batch back: its rows would be deleted without being counted.
      throw new Error(
        `retention log entry of ${table.name} ${day} is not 'deleting' under run ${runId} any more ` +
          `(another purge changed it); nothing of this batch was deleted — run the purge again`,
      );
    }
    return Number(row.n);
  });
}
