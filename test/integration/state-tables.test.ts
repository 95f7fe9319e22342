import { qualify } from '#core/sql/ident';
import { ensureLeases } from '#etl/lease';
import { ensureRetentionLog } from '#etl/retention/log';
import { ensureSyncState } from '#etl/sync/state';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

// Regression (issue 17.8): two first runs on a fresh database race on CREATE TABLE IF NOT
// EXISTS; the loser failed with `relation "thermocline_sync_state" already exists` (42P07) or
// `type … already exists` (42710). The lease table only knew 23505 and failed an export with
// 42710 in the suite.
describe('the state tables created by racing first runs', () => {
  let test: TestDatabase;

  beforeEach(async () => {
    test = await openTestDatabase('state_tables');
  });

  afterEach(async () => {
    await test.cleanup();
  });

  it.each([
    ['thermocline_sync_state', ensureSyncState],
    ['thermocline_retention_log', ensureRetentionLog],
    ['thermocline_leases', ensureLeases],
  ])('creates %s when first runs race, and none of them fails', async (name, ensure) => {
    const failures: string[] = [];
    for (let round = 0; round < 40; round++) {
      await test.db.query(`DROP TABLE IF EXISTS ${qualify(test.db.schema, name)}`);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => ensure(test.db)));
      for (const result of results) {
        if (result.status === 'rejected') failures.push(String(result.reason));
      }
    }

    expect(failures).toEqual([]);
    const tables = await test.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename = $2`,
      [test.db.schema, name],
    );
    expect(Number(tables[0]?.n)).toBe(1);
  });
});
