/**
 * The sync state — watermarks, transaction fences, leases and last-sync times — in the hot
 * PostgreSQL itself: table `thermocline_sync_state` in the configured schema, created on first
 * use. Every statement is plain SQL through the SqlDatabase port (so the RDS Data API serves it
 * on AWS); instants travel as ISO text so no driver's date parsing is involved.
 */
import { ThermoclineError } from '#core/errors';
import { createTableIfMissing, qualify } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';

/** Name of the state table (in the database's schema). */
export const SYNC_STATE_TABLE = 'thermocline_sync_state';

/**
 * How long a sync may hold a mapping's lease before another run may take it over: the longest a
 * sync Lambda can run (15 minutes). A sync that dies without releasing its lease (a killed
 * process) blocks the mapping's next syncs for at most this long.
 */
export const SYNC_LEASE_SECONDS = 900;

/** ISO 8601 UTC text of a timestamptz expression. */
const isoText = (x: string): string =>
  `to_char(${x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** One mapping's state row. */
export interface SyncState {
  readonly mapping: string;
  /** The highest sync key read so far (ISO 8601), or null before the first sync. */
  readonly watermark: string | null;
  /** `pg_snapshot_xmin` of the last sync's read snapshot (an xid8, as text). */
  readonly xminFence: string | null;
  readonly lastSyncAt: string | null;
  readonly lastRunId: string | null;
  readonly lastMode: string | null;
  /** Rows of the current state after the last sync. */
  readonly rows: number | null;
}

/** Another run of the same mapping holds the lease. */
export class SyncLeaseHeldError extends ThermoclineError {
  constructor(
    readonly mapping: string,
    readonly holder: string,
    readonly until: string,
  ) {
    super(
      `another sync of '${mapping}' (run ${holder}) holds its lease until ${until}; wait for it ` +
        `to finish — a sync that was killed releases the lease when it expires`,
      'sync_lease_held',
      1,
    );
  }
}

/** The sync lost its lease before committing (it ran past the lease): nothing was committed. */
export class SyncLeaseLostError extends ThermoclineError {
  constructor(mapping: string, runId: string) {
    super(
      `sync run ${runId} of '${mapping}' no longer holds the mapping's lease (it ran longer than ` +
        `${SYNC_LEASE_SECONDS} s, and another run may have taken over); its watermark was not committed — ` +
        `the next sync re-reads the same rows`,
      'sync_lease_lost',
      1,
    );
  }
}

function table(db: SqlDatabase): string {
  return qualify(db.schema, SYNC_STATE_TABLE);
}

/**
 * Creates the state table when it is missing (idempotent; safe to race with another process).
 * @example
 * await ensureSyncState(db);
 */
export async function ensureSyncState(db: SqlDatabase): Promise<void> {
  await createTableIfMissing(
    db,
    `CREATE TABLE IF NOT EXISTS ${table(db)} (
  mapping text PRIMARY KEY,
  lake_table text,
  watermark timestamptz,
  xmin_fence xid8,
  last_sync_at timestamptz,
  last_run_id text,
  last_mode text,
  rows bigint,
  changed_rows bigint,
  tombstones bigint,
  lease_id text,
  lease_until timestamptz
)`,
  );
}

interface StateRow extends Record<string, unknown> {
  mapping: string;
  watermark: string | null;
  xmin_fence: string | null;
  last_sync_at: string | null;
  last_run_id: string | null;
  last_mode: string | null;
  rows: string | number | null;
}

const STATE_COLUMNS = `mapping, ${isoText('watermark')} AS watermark, xmin_fence::text AS xmin_fence,
       ${isoText('last_sync_at')} AS last_sync_at, last_run_id, last_mode, rows::text AS rows`;

function toState(row: StateRow): SyncState {
  return {
    mapping: row.mapping,
    watermark: row.watermark,
    xminFence: row.xmin_fence,
    lastSyncAt: row.last_sync_at,
    lastRunId: row.last_run_id,
    lastMode: row.last_mode,
    rows: row.rows === null ? null : Number(row.rows),
  };
}

/**
 * Takes the mapping's lease for `runId` and returns its state; throws {@link SyncLeaseHeldError}
 * when another unexpired run holds it. The lease keeps two syncs of one mapping (the 15-minute
 * incremental and the daily full meeting at 03:00) from publishing over each other.
 * @example
 * const state = await acquireLease(db, 'members', 'ref_members', runId);
 */
export async function acquireLease(
  db: SqlDatabase,
  mapping: string,
  lakeTable: string,
  runId: string,
): Promise<SyncState> {
  await db.query(
    `INSERT INTO ${table(db)} (mapping, lake_table) VALUES ($1, $2) ON CONFLICT (mapping) DO NOTHING`,
    [mapping, lakeTable],
  );
  const [row] = await db.query<StateRow>(
    `UPDATE ${table(db)}
        SET lease_id = $2, lease_until = now() + make_interval(secs => $3), lake_table = $4
      WHERE mapping = $1 AND (lease_id IS NULL OR lease_until < now())
  RETURNING ${STATE_COLUMNS}`,
    [mapping, runId, SYNC_LEASE_SECONDS, lakeTable],
  );
  if (row) return toState(row);
  const [holder] = await db.query<{ lease_id: string | null; lease_until: string | null }>(
    `SELECT lease_id, ${isoText('lease_until')} AS lease_until FROM ${table(db)} WHERE mapping = $1`,
    [mapping],
  );
  throw new SyncLeaseHeldError(mapping, holder?.lease_id ?? '?', holder?.lease_until ?? '?');
}

/** Releases the lease without changing the state (a failed sync). Never throws. */
export async function releaseLease(db: SqlDatabase, mapping: string, runId: string): Promise<void> {
  await db
    .query(
      `UPDATE ${table(db)} SET lease_id = NULL, lease_until = NULL WHERE mapping = $1 AND lease_id = $2`,
      [mapping, runId],
    )
    .catch(() => undefined);
}

/** What a finished sync commits. */
export interface SyncCommit {
  readonly mapping: string;
  readonly runId: string;
  readonly mode: string;
  /** The new watermark (ISO 8601), or null when no row has a sync key yet. */
  readonly watermark: string | null;
  readonly xminFence: string;
  /** The run's instant (ISO 8601). */
  readonly syncedAt: string;
  readonly rows: number;
  readonly changedRows: number;
  readonly tombstones: number;
}

/**
 * Commits a sync — watermark, fence, last-sync time, counts — and releases the lease, in one
 * statement; throws {@link SyncLeaseLostError} when the run no longer holds the lease.
 * @example
 * await commitSync(db, { mapping: 'members', runId, mode: 'incremental', watermark, xminFence, syncedAt, rows, changedRows, tombstones });
 */
export async function commitSync(db: SqlDatabase, commit: SyncCommit): Promise<void> {
  const rows = await db.query(
    `UPDATE ${table(db)}
        SET watermark = $3::timestamptz, xmin_fence = $4::xid8, last_sync_at = $5::timestamptz,
            last_run_id = $2, last_mode = $6, rows = $7, changed_rows = $8, tombstones = $9,
            lease_id = NULL, lease_until = NULL
      WHERE mapping = $1 AND lease_id = $2
  RETURNING mapping`,
    [
      commit.mapping,
      commit.runId,
      commit.watermark,
      commit.xminFence,
      commit.syncedAt,
      commit.mode,
      commit.rows,
      commit.changedRows,
      commit.tombstones,
    ],
  );
  if (rows.length === 0) throw new SyncLeaseLostError(commit.mapping, commit.runId);
}

/**
 * Every mapping's state, or an empty list when no sync ever ran (no state table).
 * @example
 * (await readSyncStates(db)).map((s) => s.mapping); // ['members', …]
 */
export async function readSyncStates(db: SqlDatabase): Promise<SyncState[]> {
  const [exists] = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
    table(db),
  ]);
  if (!exists?.t) return [];
  const rows = await db.query<StateRow>(
    `SELECT ${STATE_COLUMNS} FROM ${table(db)} ORDER BY mapping`,
  );
  return rows.map(toState);
}
