/**
 * Table-day leases: at most one run at a time exports or purges a table-day, in both runtimes
 * (several `etl run` processes, several Lambdas, a purge meeting a backfill). A lease is a row of
 * `thermocline_leases` in the hot PostgreSQL (created on first use), taken and renewed with plain
 * SQL through the SqlDatabase port (the RDS Data API serves it on AWS), timed by the database's
 * clock.
 *
 * A holder renews its lease every {@link LEASE_RENEW_MS} while it works; a lease not renewed for
 * {@link LEASE_SECONDS} (its holder was killed or hangs) expires and may be taken over. A holder
 * whose process is known to have ended (a local pid that no longer runs) is taken over at once.
 * Before its commit a holder confirms the lease (and extends it): a run that lost it — it stalled
 * past the expiry and another run took over — commits nothing.
 */
import { ThermoclineError } from '#core/errors';
import { createTableIfMissing, qualify } from '#core/sql/ident';
import type { ProcessInfo } from '#ports/process';
import type { SqlDatabase } from '#ports/sql';

/** Name of the lease table (in the database's schema). */
export const LEASE_TABLE = 'thermocline_leases';

/** Seconds a lease lasts without renewal: how long a killed holder can block a table-day. */
export const LEASE_SECONDS = 60;

/** How often a holder renews its lease (a quarter of its life: three renewals may fail). */
export const LEASE_RENEW_MS = 15_000;

/**
 * Seconds a lease handed off between the tasks of a chunked export lasts (`etl/chunks.ts`): longer
 * than the gaps between them — a Lambda's cold start, the state machine's retry waits (30 s, then
 * 60 s) — while each task renews it with this life as it works. A chunked run that was killed
 * blocks its table-day this long after its last renewal.
 */
export const HANDED_OFF_LEASE_SECONDS = 300;

/** What holds a table-day. */
export type LeasePurpose = 'export' | 'purge';

/** Who holds a table-day's lease, as the lease row says. */
export interface LeaseHolder {
  readonly runId: string;
  readonly purpose: LeasePurpose;
  /** The holder's process, e.g. `pid 4242 on build-7`. */
  readonly owner: string;
  /** ISO instants. */
  readonly since: string;
  readonly until: string;
}

/**
 * Another run holds the table-day (and kept it for as long as this one was allowed to wait).
 * Code `lease_held`, exit code 1; the state machine does not retry it.
 */
export class LeaseHeldError extends ThermoclineError {
  constructor(
    readonly table: string,
    readonly day: string,
    readonly holder: LeaseHolder,
    /** How long the run was allowed to wait for it. */
    waitMs: number,
    purpose: LeasePurpose,
  ) {
    const other =
      holder.purpose === 'export'
        ? `another export of ${table} ${day}`
        : `a retention purge of ${table} ${day}`;
    const waited = waitMs > 0 ? ` (this run waited ${Math.round(waitMs / 1000)} s)` : '';
    super(
      `${other} — run ${holder.runId}, ${holder.owner}, since ${holder.since} — holds the ` +
        `table-day until ${holder.until}${waited}; this ${purpose} changed nothing. ` +
        (holder.purpose === 'export'
          ? `That run publishes the day; run this one again once it has ended if you still need it. `
          : `Retention is deleting the day's hot rows after verifying the lake's copy; the lake's day stays as it is. `) +
        `A run that was killed frees the table-day when its lease expires (${LEASE_SECONDS} s after its last renewal).`,
      'lease_held',
      1,
    );
  }
}

/** The run lost its lease before committing (another run took the table-day over). Exit 1. */
export class LeaseLostError extends ThermoclineError {
  constructor(table: string, day: string, runId: string, purpose: LeasePurpose) {
    super(
      `${purpose} run ${runId} of ${table} ${day} no longer holds the table-day's lease (it was ` +
        `not renewed for ${LEASE_SECONDS} s, and another run took it over); it committed nothing — ` +
        `the run that took over publishes the day`,
      'lease_lost',
      1,
    );
  }
}

/** A held lease. */
export interface Lease {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  /**
   * Extends the lease, or throws {@link LeaseLostError} when this run no longer holds it. Call it
   * right before a commit.
   */
  confirm(): Promise<void>;
  /** Stops renewing and deletes the lease (when still held). Never throws. */
  release(): Promise<void>;
  /**
   * Stops renewing but keeps the lease for {@link HANDED_OFF_LEASE_SECONDS}, for the next task of
   * the same run to {@link joinLease} it; throws {@link LeaseLostError} when it is no longer held.
   */
  handOff(): Promise<void>;
}

/** What taking a lease needs. */
export interface LeaseRequest {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  readonly purpose: LeasePurpose;
  /** This process (recorded as the owner) and how to tell an ended holder. */
  readonly process: ProcessInfo;
  /** How long to wait for a held table-day before giving up. @default 0 - fail at once */
  readonly waitMs?: number;
  /** Pause between attempts while waiting. @default 1000 */
  readonly pollMs?: number;
  /** How often the lease is renewed while held. @default {@link LEASE_RENEW_MS} */
  readonly renewMs?: number;
}

function table(db: SqlDatabase): string {
  return qualify(db.schema, LEASE_TABLE);
}

const isoText = (x: string): string =>
  `to_char(${x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/**
 * Creates the lease table when it is missing (idempotent; safe to race with another process).
 * @example
 * await ensureLeases(db);
 */
export async function ensureLeases(db: SqlDatabase): Promise<void> {
  await createTableIfMissing(
    db,
    `CREATE TABLE IF NOT EXISTS ${table(db)} (
  table_name text NOT NULL,
  day date NOT NULL,
  run_id text NOT NULL,
  purpose text NOT NULL,
  owner text NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (table_name, day)
)`,
  );
}

/**
 * Takes the table-day's lease for `request.runId`, waiting up to `waitMs` while another run
 * holds it; renews it until released. Throws {@link LeaseHeldError} naming the holder when the
 * wait ends first.
 * @example
 * const lease = await acquireLease(db, { table: 'events', day: '2025-02-15', runId, purpose: 'export', process: localProcess(), waitMs: 90_000 });
 * try { …; await lease.confirm(); commit(); } finally { await lease.release(); }
 */
export async function acquireLease(db: SqlDatabase, request: LeaseRequest): Promise<Lease> {
  const started = Date.now();
  const waitMs = request.waitMs ?? 0;
  let takeOver = ''; // the run id of a holder whose process has ended
  for (;;) {
    if (await tryTake(db, request, takeOver)) return heldLease(db, request);
    const holder = await leaseHolder(db, request.table, request.day);
    if (!holder) continue; // released in between: try again at once
    if (request.process.hasEnded(holder.owner)) {
      takeOver = holder.runId;
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) {
      throw new LeaseHeldError(request.table, request.day, holder, waitMs, request.purpose);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(request.pollMs ?? 1000, waitMs - waited)),
    );
  }
}

/**
 * One attempt: inserts the lease, or takes over an expired one (or the one of `takeOver`, a
 * holder whose process ended) — atomically, so of two runs racing exactly one gets it. Creates
 * the lease table on first use.
 */
async function tryTake(db: SqlDatabase, request: LeaseRequest, takeOver: string): Promise<boolean> {
  const take = () =>
    db.query<{ run_id: string }>(
      `INSERT INTO ${table(db)} AS l (table_name, day, run_id, purpose, owner, acquired_at, expires_at)
       VALUES ($1, $2::date, $3, $4, $5, now(), now() + make_interval(secs => $6))
       ON CONFLICT (table_name, day) DO UPDATE
          SET run_id = EXCLUDED.run_id, purpose = EXCLUDED.purpose, owner = EXCLUDED.owner,
              acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
        WHERE l.expires_at < now() OR l.run_id = $7
       RETURNING l.run_id`,
      [
        request.table,
        request.day,
        request.runId,
        request.purpose,
        request.process.name,
        LEASE_SECONDS,
        takeOver,
      ],
    );
  try {
    return (await take()).length > 0;
  } catch {
    // Most likely the database's first lease: create the table (idempotent) and try once more; any
    // other failure repeats and goes on. (The Data API reports no SQLSTATE to tell them apart.)
    await ensureLeases(db);
    return (await take()).length > 0;
  }
}

/**
 * The table-day's current holder, or undefined when nobody holds it (or the lease table does not
 * exist yet).
 * @example
 * (await leaseHolder(db, 'events', '2025-02-15'))?.runId;
 */
export async function leaseHolder(
  db: SqlDatabase,
  tableName: string,
  day: string,
): Promise<LeaseHolder | undefined> {
  const [row] = await db.query<{
    run_id: string;
    purpose: LeasePurpose;
    owner: string;
    since: string;
    until: string;
  }>(
    `SELECT run_id, purpose, owner, ${isoText('acquired_at')} AS since, ${isoText('expires_at')} AS until
       FROM ${table(db)} WHERE table_name = $1 AND day = $2::date`,
    [tableName, day],
  );
  return row
    ? {
        runId: row.run_id,
        purpose: row.purpose,
        owner: row.owner,
        since: row.since,
        until: row.until,
      }
    : undefined;
}

/** What joining a lease names: the table-day and the run that holds it. */
export type JoinRequest = Pick<LeaseRequest, 'table' | 'day' | 'runId' | 'purpose' | 'renewMs'>;

/**
 * Takes up the lease an earlier task of the same run handed off ({@link Lease.handOff}): renews it
 * (with the handed-off life) until released or handed off again. Throws {@link LeaseLostError}
 * when the run no longer holds the table-day — another run took it over after it expired.
 * @example
 * const lease = await joinLease(db, { table: 'events', day: '2025-02-15', runId, purpose: 'export' });
 * try { …; } finally { await lease.handOff(); }
 */
export async function joinLease(db: SqlDatabase, request: JoinRequest): Promise<Lease> {
  const lease = heldLease(db, request, HANDED_OFF_LEASE_SECONDS);
  try {
    await lease.confirm();
  } catch (error) {
    await lease.handOff().catch(() => undefined);
    throw error;
  }
  return lease;
}

/** A taken lease: renewed on a timer (with a life of `seconds`) until released or handed off. */
function heldLease(db: SqlDatabase, request: JoinRequest, seconds = LEASE_SECONDS): Lease {
  const { table: tableName, day, runId, purpose } = request;
  const extend = async (life: number): Promise<boolean> => {
    const rows = await db.query(
      `UPDATE ${table(db)} SET expires_at = now() + make_interval(secs => $4)
        WHERE table_name = $1 AND day = $2::date AND run_id = $3
    RETURNING run_id`,
      [tableName, day, runId, life],
    );
    return rows.length > 0;
  };
  const renew = (): Promise<boolean> => extend(seconds);
  // One renewal at a time; a failed one (the database briefly away) is tried again next tick,
  // and confirm() decides in the end.
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(renew).catch(() => undefined);
  }, request.renewMs ?? LEASE_RENEW_MS);
  timer.unref();
  let released = false;
  return {
    table: tableName,
    day,
    runId,
    confirm: async () => {
      if (released || !(await renew())) throw new LeaseLostError(tableName, day, runId, purpose);
    },
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      await db
        .query(
          `DELETE FROM ${table(db)} WHERE table_name = $1 AND day = $2::date AND run_id = $3`,
          [tableName, day, runId],
        )
        .catch(() => undefined);
    },
    handOff: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      if (!(await extend(HANDED_OFF_LEASE_SECONDS))) {
        throw new LeaseLostError(tableName, day, runId, purpose);
      }
    },
  };
}
