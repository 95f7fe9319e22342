/**
 * `verify`: reconciles every published table-day (every day manifest in a range) with the lake
 * and with the hot rows PostgreSQL still holds — the recovery procedures' check. Per day, in this
 * order (the first problem found is the day's status):
 * - `catalog mismatch`: the catalog does not serve exactly the manifest's partitions;
 * - `missing files`: a published file is gone or has another size;
 * - `corrupt files`: a file's content is not what was published — its SHA-256 differs from the one
 *   recorded at publish, or its rows, read back with the export's checksum, cannot be read or
 *   differ from the manifest;
 * - then the hot rows, counted and checksummed with the export's SQL:
 *   - `ok`: they equal the manifest's rows and checksum;
 *   - `purged`: none are left, and the retention log says the day was deleted after being verified
 *     against this manifest — expected after retention;
 *   - `purging`: a purge of the day is under way (or was interrupted): the rows still hot plus the
 *     rows the log says are deleted equal the manifest;
 *   - `hot rows missing`: none are left and the retention log does not account for it;
 *   - `mismatch`: counts or checksums differ (rows added, changed or deleted after export; or the
 *     day was re-published after its purge).
 */
import type { TableConfig, ThermoclineConfig } from '#core/config/schema';
import { UsageError } from '#core/errors';
import { planTable, type DayManifest } from '#etl/export';
import { backfillCommand } from '#etl/retention/decide';
import {
  addChecksums,
  catalogProblem,
  checkContent,
  checkFiles,
  checksumText,
  hotChecksum,
  partitionsByDay,
  readDayManifest,
  type RowsChecksum,
} from '#etl/retention/evidence';
import { readRetentionLog, type RetentionLogEntry } from '#etl/retention/log';
import { configuredTable } from '#etl/retention/purge';
import type { ColumnPlan } from '#etl/types';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';

/** What verify reads (it writes nothing). */
export interface VerifyDeps {
  readonly db: SqlDatabase;
  readonly store: ObjectStore;
  readonly catalog: Catalog;
  /** Reads the rows of the lake's files back (DuckDB over `store.locate()` paths). */
  readonly encoder: Pick<ParquetEncoder, 'checksum'>;
  readonly config: Pick<ThermoclineConfig, 'tables'>;
}

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** First day (inclusive). @default the first published day */
  readonly from?: string;
  /** Last day (inclusive). @default the last published day */
  readonly to?: string;
  /** Only these tables. @default every configured table */
  readonly tables?: readonly string[];
  /** Called after each day with the days done and the days to do. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/** A published day's reconciliation status (see the module comment). */
export type VerifyStatus =
  | 'ok'
  | 'purged'
  | 'purging'
  | 'hot rows missing'
  | 'mismatch'
  | 'missing files'
  | 'corrupt files'
  | 'catalog mismatch';

/** The statuses that are not mismatches. */
export const VERIFY_OK_STATUSES: readonly VerifyStatus[] = ['ok', 'purged', 'purging'];

/** One published table-day. */
export interface VerifyDay {
  readonly table: string;
  readonly day: string;
  readonly status: VerifyStatus;
  /** The manifest's run id. */
  readonly runId?: string;
  /** Rows and checksum the manifest records (what the lake holds). */
  readonly lakeRows?: number;
  readonly lakeChecksum?: string;
  /** Rows and checksum of the hot rows now (undefined when the lake check failed first). */
  readonly hotRows?: number;
  readonly hotChecksum?: string;
  /** What is wrong, or (purged, purging) what the retention log says. */
  readonly detail?: string;
  /** What to do about it. */
  readonly recovery?: string;
}

/** What {@link verify} found. */
export interface VerifyReport {
  readonly days: VerifyDay[];
  readonly summary: {
    readonly tables: number;
    readonly days: number;
    readonly ok: number;
    readonly purged: number;
    readonly purging: number;
    readonly mismatches: number;
  };
}

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.json$/;

/**
 * Reconciles every published day of the configured tables (or `options.tables`) in the range:
 * finds the days to check ({@link daysToVerify}), checks each one in table and day order
 * ({@link verifyDay}) and counts the statuses.
 * @example
 * const report = await verify({ db, store, catalog, config }, { from: '2025-02-01', to: '2025-02-15' });
 * report.days.filter((d) => !VERIFY_OK_STATUSES.includes(d.status)); // the mismatches
 */
export async function verify(deps: VerifyDeps, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (options.from && options.to && options.from > options.to) {
    throw new UsageError(`from ${options.from} is after to ${options.to}`);
  }
  const work = await daysToVerify(deps, options);
  const total = work.reduce((n, w) => n + w.days.length, 0);
  const days: VerifyDay[] = [];
  for (const { table, days: tableDays } of work) {
    const known: TableEvidence = {
      plans: await planTable(deps.db, table),
      catalogByDay: await partitionsByDay(deps.catalog, table),
      log: await readRetentionLog(deps.db, table.name),
    };
    for (const day of tableDays) {
      days.push(await verifyDay(deps, table, day, known));
      options.onProgress?.(days.length, total, `${table.name} ${day}`);
    }
  }
  return { days, summary: summarize(days, work.length) };
}

/** A table to verify and its published days in the range (tables without any are left out). */
interface TableDays {
  readonly table: TableConfig;
  readonly days: string[];
}

/** The published days in the range of each table to verify. */
async function daysToVerify(deps: VerifyDeps, options: VerifyOptions): Promise<TableDays[]> {
  const tables = options.tables
    ? options.tables.map((name) => configuredTable(deps.config, name))
    : [...deps.config.tables];
  const work: TableDays[] = [];
  for (const table of tables) {
    const days = (await publishedDays(deps.store, table.name)).filter(
      (day) => (!options.from || day >= options.from) && (!options.to || day <= options.to),
    );
    if (days.length > 0) work.push({ table, days });
  }
  return work;
}

/** What is read once per table: its column plans, catalog partitions by day, retention log. */
interface TableEvidence {
  readonly plans: ColumnPlan[];
  readonly catalogByDay: Map<string, CatalogPartition[]>;
  readonly log: Map<string, RetentionLogEntry>;
}

/**
 * One published day: its manifest, then the lake side ({@link lakeProblem}: catalog, files,
 * content), then — when the lake side is sound — the hot rows against the manifest and the log.
 */
async function verifyDay(
  deps: VerifyDeps,
  table: TableConfig,
  day: string,
  known: TableEvidence,
): Promise<VerifyDay> {
  const read = await readDayManifest(deps.store, table.name, day);
  const base = { table: table.name, day };
  if (!read.manifest) {
    return {
      ...base,
      status: 'missing files',
      detail: read.problem,
      recovery: backfillCommand(table.name, day),
    };
  }
  const manifest = read.manifest;
  const lake = {
    ...base,
    runId: manifest.run_id,
    lakeRows: manifest.rows,
    lakeChecksum: manifest.checksum,
  };
  const problem = await lakeProblem(deps, table, day, manifest, known);
  if (problem) return { ...lake, ...problem };
  const hot = await hotChecksum(deps.db, table, known.plans, day);
  return {
    ...lake,
    hotRows: hot.rows,
    hotChecksum: checksumText(hot),
    ...reconcile(table.name, day, manifest, hot, known.log.get(day)),
  };
}

/**
 * The status of a day whose lake side is not sound, in this order: the catalog does not serve
 * the manifest's partitions, a file is missing, a file's content is not what was published;
 * undefined when it is sound.
 */
async function lakeProblem(
  deps: VerifyDeps,
  table: TableConfig,
  day: string,
  manifest: DayManifest,
  known: TableEvidence,
): Promise<Pick<VerifyDay, 'status' | 'detail' | 'recovery'> | undefined> {
  const catalog = catalogProblem(manifest, known.catalogByDay.get(day) ?? []);
  const files = catalog ? undefined : await checkFiles(deps.store, manifest);
  const content =
    files && !files.problem
      ? await checkContent(deps, table, known.plans, manifest, files.partitions)
      : undefined;
  if (catalog) {
    return {
      status: 'catalog mismatch',
      detail: catalog,
      recovery: `${backfillCommand(table.name, day)} (while the rows are hot), or point the catalog back at the manifest's partitions`,
    };
  }
  if (files?.problem) {
    return {
      status: 'missing files',
      detail: files.problem,
      recovery: `restore the files from S3 object versions (docs/retention-and-recovery.md, "Recovery procedures"), or ${backfillCommand(table.name, day)} while the rows are hot`,
    };
  }
  if (content && content.status !== 'ok') {
    const entry = known.log.get(day);
    return {
      status: 'corrupt files',
      detail: 'problem' in content ? content.problem : 'not checked',
      recovery:
        entry && (entry.rowsDeleted > 0 || entry.status !== 'deleting')
          ? `restore the files from S3 object versions (docs/retention-and-recovery.md, "Recovery procedures"): retention has deleted ${entry.rowsDeleted} of the day's hot rows, the lake's files are their only copy`
          : `${backfillCommand(table.name, day)} while the rows are hot, or restore the files from S3 object versions (docs/retention-and-recovery.md, "Recovery procedures")`,
    };
  }
  return undefined;
}

/** The report's counts: tables and days checked, and days by status. */
function summarize(days: readonly VerifyDay[], tables: number): VerifyReport['summary'] {
  const count = (statuses: readonly VerifyStatus[]): number =>
    days.filter((d) => statuses.includes(d.status)).length;
  return {
    tables,
    days: days.length,
    ok: count(['ok']),
    purged: count(['purged']),
    purging: count(['purging']),
    mismatches: days.length - count(VERIFY_OK_STATUSES),
  };
}

/** The days with a day manifest, in order. */
async function publishedDays(store: ObjectStore, table: string): Promise<string[]> {
  const prefix = `${table}/_manifests/`;
  return (await store.list(prefix))
    .map((o) => DAY_FILE.exec(o.key.slice(prefix.length))?.[1])
    .filter((day): day is string => day !== undefined)
    .sort();
}

/** The status of a day whose lake side is sound, from its hot rows and the retention log. */
function reconcile(
  table: string,
  day: string,
  manifest: { run_id: string; rows: number; checksum: string },
  hot: RowsChecksum,
  log: RetentionLogEntry | undefined,
): Pick<VerifyDay, 'status' | 'detail' | 'recovery'> {
  const backfill = backfillCommand(table, day);
  const sameData =
    !!log && (log.manifestRunId === manifest.run_id || log.checksumExpected === manifest.checksum);
  if (log && !sameData && (log.rowsDeleted > 0 || log.status !== 'deleting')) {
    return {
      status: 'mismatch',
      detail:
        `re-published (run ${manifest.run_id}, ${manifest.rows} rows) after retention deleted ` +
        `${log.rowsDeleted} of the ${log.rowsExpected} rows verified under run ${log.manifestRunId}`,
      recovery: `restore the partitions of run ${log.manifestRunId} from S3 object versions (docs/retention-and-recovery.md, "Recovery procedures")`,
    };
  }
  if (hot.rows === 0 && manifest.rows > 0) {
    if (log?.status === 'deleted' && sameData) {
      return {
        status: 'purged',
        detail: `retention deleted ${log.rowsDeleted} rows after verifying run ${log.manifestRunId}`,
      };
    }
    if (log?.status === 'mismatch') {
      return {
        status: 'mismatch',
        detail: `retention deleted ${log.rowsDeleted} rows that did not add up to the manifest (written during the purge)`,
        recovery: `restore the day's rows from a PostgreSQL point-in-time backup taken before ${log.updatedAt}`,
      };
    }
  }
  if (log && log.status !== 'deleting' && hot.rows > 0) {
    return {
      status: 'mismatch',
      detail: `${hot.rows} hot rows arrived after retention deleted the day's ${log.rowsDeleted} rows (run ${log.manifestRunId})`,
      recovery: `add them to the lake by hand or delete them; do not backfill the day: it would replace the lake's rows with these only`,
    };
  }
  const already =
    log?.status === 'deleting' && sameData
      ? { rows: log.rowsDeleted, sum: log.sumDeleted }
      : undefined;
  const total = already ? addChecksums(hot, already) : hot;
  if (total.rows === manifest.rows && checksumText(total) === manifest.checksum) {
    if (already && already.rows > 0) {
      return {
        status: 'purging',
        detail: `retention has deleted ${already.rows} of ${manifest.rows} rows; the next purge finishes the day`,
      };
    }
    return { status: 'ok' };
  }
  if (hot.rows === 0 && !log) {
    return {
      status: 'hot rows missing',
      detail: `the lake has ${manifest.rows} rows; PostgreSQL has none and the retention log has no purge of the day`,
      recovery: `if they were deleted on purpose, nothing to do (the lake has them); else restore them from a PostgreSQL backup`,
    };
  }
  const extra =
    already && already.rows > 0 ? ` (+ ${already.rows} purged: ${checksumText(total)})` : '';
  return {
    status: 'mismatch',
    detail:
      total.rows === manifest.rows
        ? `checksum: lake ${manifest.checksum}, hot ${checksumText(hot)}${extra} — rows changed after export`
        : `rows: lake ${manifest.rows}, hot ${hot.rows}${extra} — rows ${total.rows > manifest.rows ? 'added' : 'deleted'} after export`,
    recovery:
      total.rows >= manifest.rows
        ? `${backfill} (re-exports the day from the hot rows)`
        : `check the rows deleted from PostgreSQL; ${backfill} only if the lake should lose them too`,
  };
}
