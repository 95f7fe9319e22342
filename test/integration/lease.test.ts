import { hostname } from 'node:os';
import { qualify } from '#core/sql/ident';
import {
  acquireLease,
  HANDED_OFF_LEASE_SECONDS,
  joinLease,
  LEASE_SECONDS,
  LEASE_TABLE,
  LeaseHeldError,
  leaseHolder,
  LeaseLostError,
  type LeaseRequest,
} from '#etl/lease';
import { anonymousProcess } from '#ports/process';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

const DAY = '2025-02-15';

describe('table-day leases', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let counter = 0;

  /** A request for a table-day of its own. */
  function request(overrides: Partial<LeaseRequest> = {}): LeaseRequest {
    counter += 1;
    return {
      table: `t${counter}`,
      day: DAY,
      runId: `run-${counter}`,
      purpose: 'export',
      process: anonymousProcess(`pid 1 on ${hostname()}`),
      ...overrides,
    };
  }

  /** Seconds from now to the lease's expiry. */
  async function secondsLeft(table: string): Promise<number> {
    const [row] = await db.query<{ s: string }>(
      `SELECT extract(epoch FROM expires_at - now())::text AS s FROM ${qualify(db.schema, LEASE_TABLE)} WHERE table_name = $1`,
      [table],
    );
    return Number(row?.s);
  }

  beforeAll(async () => {
    test = await openTestDatabase('lease');
    db = test.db;
  });

  afterAll(async () => {
    await test.cleanup();
  });

  it('gives a table-day to exactly one of several runs asking at once', async () => {
    const base = request();
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => acquireLease(db, { ...base, runId: `racer-${i}` })),
    );

    const won = attempts.filter((a) => a.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(LeaseHeldError);
    }
    await (
      won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLease>>>
    ).value.release();
  });

  it('renews a held lease while its run works', async () => {
    const asked = request({ renewMs: 200 });
    const lease = await acquireLease(db, asked);
    await db.query(
      `UPDATE ${qualify(db.schema, LEASE_TABLE)} SET expires_at = now() + interval '5 seconds' WHERE table_name = $1`,
      [asked.table],
    );

    await new Promise((resolve) => setTimeout(resolve, 700));

    expect(await secondsLeft(asked.table)).toBeGreaterThan(LEASE_SECONDS - 5);
    await lease.release();
  });

  it('frees the table-day on release, for the next run at once', async () => {
    const asked = request();
    const lease = await acquireLease(db, asked);

    await lease.release();

    expect(await leaseHolder(db, asked.table, DAY)).toBeUndefined();
    const next = await acquireLease(db, { ...asked, runId: 'next' });
    await next.release();
  });

  it('refuses to confirm a lease another run took over, and then leaves that run its lease', async () => {
    const asked = request();
    const lease = await acquireLease(db, asked);
    await db.query(
      `UPDATE ${qualify(db.schema, LEASE_TABLE)} SET run_id = 'taker' WHERE table_name = $1`,
      [asked.table],
    );

    await expect(lease.confirm()).rejects.toThrow(LeaseLostError);
    await lease.release();

    expect((await leaseHolder(db, asked.table, DAY))?.runId).toBe('taker');
  });

  it('waits for a holder that releases within the wait', async () => {
    const asked = request();
    const first = await acquireLease(db, asked);
    setTimeout(() => void first.release(), 300);

    const second = await acquireLease(db, {
      ...asked,
      runId: 'second',
      waitMs: 10_000,
      pollMs: 50,
    });

    expect((await leaseHolder(db, asked.table, DAY))?.runId).toBe('second');
    await second.release();
  });

  it('hands a lease on to the next task of the same run: held meanwhile, joined by its run id only', async () => {
    const asked = request();
    const lease = await acquireLease(db, asked);

    await lease.handOff();

    // Kept for the next task, with the handed-off life, and refused to another run.
    expect((await leaseHolder(db, asked.table, DAY))?.runId).toBe(asked.runId);
    expect(await secondsLeft(asked.table)).toBeGreaterThan(HANDED_OFF_LEASE_SECONDS - 10);
    await expect(acquireLease(db, { ...asked, runId: 'other-run' })).rejects.toBeInstanceOf(
      LeaseHeldError,
    );
    await expect(joinLease(db, { ...asked, runId: 'other-run' })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    const joined = await joinLease(db, asked);
    await joined.confirm();
    await joined.release();
    expect(await leaseHolder(db, asked.table, DAY)).toBeUndefined();
  });
});
