/**
 * The retention log: one row per table-day whose hot rows retention began to delete, in the hot
 * database next to the tables (`thermocline_retention_log` in the same schema). It is what makes a
 * purge safe to resume and what lets `verify` tell a purged day from lost rows:
 * - `deleting`: the day was verified against the manifest of `manifest_run_id` (`rows_expected`,
 *   `checksum_expected`) and batches are being deleted. Every batch adds its row count and the sum
 *   of the deleted rows' hashes (`rows_deleted`, `sum_deleted`) in the same transaction as the
 *   DELETE, so after a crash "rows still hot + rows deleted" is exactly the day as verified.
 * - `deleted`: every hot row of the day is gone and the deleted rows add up to the manifest's
 *   rows and checksum.
 * - `mismatch`: every hot row is gone but the deleted rows do not add up to the manifest (rows
 *   were written to the day while it was being purged): alerted, see docs/retention-and-recovery.md.
 */
import { ThermoclineError } from '#core/errors';
import { createTableIfMissing, qualify } from '#core/sql/ident';
import type { SqlDatabase, SqlSession } from '#ports/sql';

/** The log table's name (in the hot tables' schema). */
export const RETENTION_LOG_TABLE = 'thermocline_retention_log';

/** Where a day's purge stands. */
export type RetentionStatus = 'deleting' | 'deleted' | 'mismatch';

/** One table-day of the log. */
export interface RetentionLogEntry {
  readonly table: string;
  readonly day: string;
  /** The run id of the day manifest the day was verified against. */
  readonly manifestRunId: string;
  readonly rowsExpected: number;
  /** The manifest's checksum, `${rows}:${sum}`. */
  readonly checksumExpected: string;
  readonly rowsDeleted: number;
  /** Sum of the 60-bit hashes of the rows deleted so far. */
  readonly sumDeleted: bigint;
  readonly status: RetentionStatus;
  /** ISO instant of the last change. */
  readonly updatedAt: string;
}

/**
 * The log table's qualified name in the database's schema.
 * @example
 * retentionLogName(db); // '"public"."thermocline_retention_log"'
 */
/** What reading the log needs: statements (a database or a transaction's session) and the schema. */
export type LogReader = Pick<SqlSession, 'query'> & Pick<SqlDatabase, 'schema'>;

export function retentionLogName(db: Pick<SqlDatabase, 'schema'>): string {
  return qualify(db.schema, RETENTION_LOG_TABLE);
}

/**
 * Whether the log table exists (reading never creates it).
 * @example
 * await retentionLogExists(db); // false before the first purge
 */
export async function retentionLogExists(db: LogReader): Promise<boolean> {
  const [row] = await db.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
    retentionLogName(db),
  ]);
  return !!row?.found;
}

/**
 * Creates the log table when it is not there (purge does this before its first delete).
 * @example
 * await ensureRetentionLog(db);
 */
export async function ensureRetentionLog(db: SqlDatabase): Promise<void> {
  await createTableIfMissing(
    db,
    `CREATE TABLE IF NOT EXISTS ${retentionLogName(db)} (
    table_name text NOT NULL,
    day date NOT NULL,
    manifest_run_id text NOT NULL,
    rows_expected bigint NOT NULL,
    checksum_expected text NOT NULL,
    rows_deleted bigint NOT NULL DEFAULT 0,
    sum_deleted numeric NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('deleting', 'deleted', 'mismatch')),
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, day)
  )`,
  );
}

interface LogRow extends Record<string, unknown> {
  table_name: string;
  day: string;
  manifest_run_id: string;
  rows_expected: string;
  checksum_expected: string;
  rows_deleted: string;
  sum_deleted: string;
  status: RetentionStatus;
  updated_at: Date;
}

function selectLog(db: Pick<SqlDatabase, 'schema'>): string {
  return `SELECT table_name, day::text AS day, manifest_run_id, rows_expected::text AS rows_expected,
            checksum_expected, rows_deleted::text AS rows_deleted, sum_deleted::text AS sum_deleted,
            status, updated_at
       FROM ${retentionLogName(db)}`;
}

function entryOf(row: LogRow): RetentionLogEntry {
  return {
    table: row.table_name,
    day: row.day,
    manifestRunId: row.manifest_run_id,
    rowsExpected: Number(row.rows_expected),
    checksumExpected: row.checksum_expected,
    rowsDeleted: Number(row.rows_deleted),
    sumDeleted: BigInt(row.sum_deleted),
    status: row.status,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * The log entries of a table by day (empty when the log table does not exist yet: reading never
 * creates it, so `verify` and `purge --dry-run` change nothing).
 * @example
 * const log = await readRetentionLog(db, 'agent_tasks');
 * log.get('2025-02-15')?.status; // 'deleted'
 */
export async function readRetentionLog(
  db: SqlDatabase,
  table: string,
): Promise<Map<string, RetentionLogEntry>> {
  if (!(await retentionLogExists(db))) return new Map();
  const rows = await db.query<LogRow>(`${selectLog(db)} WHERE table_name = $1 ORDER BY day`, [
    table,
  ]);
  return new Map(rows.map((row) => [row.day, entryOf(row)]));
}

/**
 * Records that a verified day's deletion starts (or goes on under a new run id whose manifest is
 * the same data): status `deleting`. `keepDeleted` carries the rows already deleted over (a resumed
 * day); otherwise the counters start at zero.
 */
export async function beginDayPurge(
  db: SqlDatabase,
  entry: {
    readonly table: string;
    readonly day: string;
    readonly manifestRunId: string;
    readonly rowsExpected: number;
    readonly checksumExpected: string;
    readonly keepDeleted: boolean;
  },
): Promise<void> {
  const counters = entry.keepDeleted
    ? ''
    : ', rows_deleted = 0, sum_deleted = 0, started_at = now()';
  await db.query(
    `INSERT INTO ${retentionLogName(db)}
       (table_name, day, manifest_run_id, rows_expected, checksum_expected, status)
     VALUES ($1, $2, $3, $4, $5, 'deleting')
     ON CONFLICT (table_name, day) DO UPDATE SET manifest_run_id = EXCLUDED.manifest_run_id,
       rows_expected = EXCLUDED.rows_expected, checksum_expected = EXCLUDED.checksum_expected,
       status = 'deleting', updated_at = now()${counters}`,
    [entry.table, entry.day, entry.manifestRunId, entry.rowsExpected, entry.checksumExpected],
  );
}

/**
 * Sets a day's final status.
 * @example
 * await finishDayPurge(db, 'agent_tasks', '2025-02-15', 'deleted');
 */
export async function finishDayPurge(
  db: SqlDatabase,
  table: string,
  day: string,
  status: Exclude<RetentionStatus, 'deleting'>,
): Promise<void> {
  await db.query(
    `UPDATE ${retentionLogName(db)} SET status = $3, updated_at = now()
      WHERE table_name = $1 AND day = $2`,
    [table, day, status],
  );
}

/**
 * One day's entry, read again (after its batches).
 * @example
 * (await retentionLogEntry(db, 'agent_tasks', '2025-02-15'))?.rowsDeleted; // 1200
 */
export async function retentionLogEntry(
  db: LogReader,
  table: string,
  day: string,
): Promise<RetentionLogEntry | undefined> {
  const [row] = await db.query<LogRow>(`${selectLog(db)} WHERE table_name = $1 AND day = $2`, [
    table,
    day,
  ]);
  return row ? entryOf(row) : undefined;
}

/**
 * Re-exporting a day whose hot rows retention has begun to delete would publish only the rows
 * still hot — replacing the lake's complete day with a part of it, or with nothing. Code
 * `purged_day`, exit code 1; not retried.
 */
export class PurgedDayError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'purged_day', 1);
  }
}

/**
 * Refuses to export a table-day whose hot rows retention has begun to delete (its log entry has
 * deleted rows, or the purge finished or went wrong): the lake holds the day, PostgreSQL no
 * longer does in full. The export engine calls
 * this first, so `etl run` and `backfill` over purged days fail those days (alerted) instead of
 * emptying them in the lake.
 * @throws PurgedDayError naming the day, the rows deleted and what to do.
 * @example
 * await refuseIfPurged(db, 'agent_tasks', '2025-02-15'); // resolves when the day was never purged
 */
export async function refuseIfPurged(db: LogReader, table: string, day: string): Promise<void> {
  if (!(await retentionLogExists(db))) return;
  const entry = await retentionLogEntry(db, table, day);
  // A purge that began but deleted nothing yet left the day whole: exporting it is safe.
  if (!entry || (entry.status === 'deleting' && entry.rowsDeleted === 0)) return;
  throw new PurgedDayError(
    `${table} ${day} was purged from PostgreSQL by retention (status ${entry.status}, ` +
      `${entry.rowsDeleted} of ${entry.rowsExpected} rows deleted after verifying run ` +
      `${entry.manifestRunId}); exporting it again would replace the lake's day with the rows ` +
      `still hot. The lake's day is the copy to keep: check it with 'thermocline verify --from ${day} ` +
      `--to ${day} --table ${table}'. Only if you restored the day's hot rows in full, delete its row ` +
      `from ${retentionLogName(db)} and export again.`,
  );
}
