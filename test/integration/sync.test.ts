import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { defaultConfig } from '#core/config/resolve';
import type { MappingConfig } from '#core/config/schema';
import { sampleTable } from '#core/sample/tables';
import { qualify } from '#core/sql/ident';
import { fetchEntities } from '#etl/sync/fetch';
import { planMapping } from '#etl/sync/mapping';
import { acquireLease, releaseLease } from '#etl/sync/state';
import { lastSyncTimes, runSync, type MappingSyncResult, type SyncDeps } from '#etl/sync/run';
import { systemClock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { ParquetRewriter } from '#ports/parquet-rewriter';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { duckString } from '#test/support/lake';

const MEMBERS = defaultConfig().mappings.find((m) => m.table === 'members') as MappingConfig;
/** A table with soft deletes (`deleted_at`), unlike the sample's. */
const ACCOUNTS: MappingConfig = {
  table: 'accounts',
  entity_type: 'Account',
  key_column: 'code',
  properties: [{ column: 'plan', property: 'plan' }],
  sync_mode: 'incremental',
  sync_key: 'updated_at',
};

/** A current-state row as DuckDB reads it back (JSON values). */
interface LakeMember {
  key: string;
  registered_at: string;
  total_deposit: string;
  status: string;
  email_verified: boolean;
  phone_verified: boolean | null;
  _sync_key: string;
  _deleted: boolean;
  _synced_at: string;
  _run_id: string;
}

describe('syncing members to the lake reference tables', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let encoder: ParquetEncoder & ParquetRewriter;
  let deps: SyncDeps;
  let duck: DuckDBConnection;
  let members: string;

  async function sync(
    mode: 'full' | 'incremental',
    extra: Partial<SyncDeps> = {},
  ): Promise<MappingSyncResult> {
    const summary = await runSync({ ...deps, ...extra }, { mode, tables: ['members'] });
    const [result] = summary.mappings;
    if (!result) throw new Error('no result for members');
    return result;
  }

  /** The files of a lake table's current partitions, read by DuckDB. */
  async function lakeRows<T>(table: string, order = 'key'): Promise<T[]> {
    const files: string[] = [];
    for (const partition of await deps.catalog.listPartitions(table)) {
      for (const object of await deps.store.list(partition.location)) {
        if (object.key.endsWith('.parquet')) files.push(deps.store.locate(object.key));
      }
    }
    if (files.length === 0) return [];
    const reader = await duck.runAndReadAll(
      `SELECT * FROM read_parquet([${files.map(duckString).join(', ')}], hive_partitioning = false) ORDER BY ${order}`,
    );
    return reader.getRowObjectsJson() as unknown as T[];
  }

  async function lakeObjects(): Promise<string[]> {
    return (await deps.store.list('')).map((o) => o.key).sort();
  }

  async function sourceDeposit(code: string): Promise<string | undefined> {
    const [row] = await db.query<{ d: string }>(
      `SELECT total_deposit::text AS d FROM ${members} WHERE member_code = $1`,
      [code],
    );
    return row?.d;
  }

  beforeAll(async () => {
    test = await openTestDatabase('sync');
    db = test.db;
    members = qualify(db.schema, 'members');
    for (const statement of sampleTable('members').ddlStatements(db.schema)) {
      await db.query(statement);
    }
    await db.query(
      `INSERT INTO ${members}
       SELECT 'M' || lpad(g::text, 4, '0'), DATE '2024-01-01' + g, g * 10.25,
              (ARRAY['active', 'suspended', 'closed'])[1 + g % 3], g % 2 = 0,
              CASE WHEN g % 5 = 0 THEN NULL ELSE g % 3 = 0 END, NULL, 'JP',
              TIMESTAMPTZ '2025-02-01 00:00:00+00',
              TIMESTAMPTZ '2025-02-10 00:00:00+00' + g * interval '1 minute 0.000001 seconds'
         FROM generate_series(1, 60) g`,
    );
    home = await mkdtemp(join(tmpdir(), 'thermocline-sync-'));
    encoder = await createDuckDbEncoder();
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'accounts')} (code text PRIMARY KEY, plan text NOT NULL,
         deleted_at timestamptz, updated_at timestamptz NOT NULL)`,
    );
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'accounts')} VALUES
         ('a', 'gold', NULL, now()), ('b', 'silver', NULL, now()), ('c', 'bronze', now(), now())`,
    );
    deps = {
      db,
      encoder,
      clock: systemClock,
      mappings: [MEMBERS, ACCOUNTS],
      ...openLocalLake(home),
    };
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });

  afterAll(async () => {
    duck.closeSync();
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('publishes every member as the current state the catalog points at, with the mapped properties', async () => {
    const result = await sync('incremental');

    expect(result).toMatchObject({ mode: 'full', changedRows: 60, writtenRows: 60, tombstones: 0 });
    const partition = await deps.catalog.getPartition('ref_members', []);
    expect(partition?.location).toBe(`ref_members/v=${result.runId}/`);
    const rows = await lakeRows<LakeMember>('ref_members');
    expect(rows).toHaveLength(60);
    expect(rows[4]).toMatchObject({
      key: 'M0005',
      registered_at: '2024-01-06',
      total_deposit: '51.25',
      status: 'closed',
      email_verified: false,
      phone_verified: null,
      _deleted: false,
      _run_id: result.runId,
    });
    expect(rows.at(-1)?._sync_key).toBe('2025-02-10 01:00:00.00006+00');
    expect(result.watermark).toBe('2025-02-10T01:00:00.000060Z');
  });

  it('types the lake columns as PostgreSQL types them (the ETL type contract)', async () => {
    const table = await deps.catalog.getTable('ref_members');

    expect(table?.partitionKeys).toEqual([]);
    expect(table?.columns.map((c) => [c.name, c.type])).toEqual([
      ['key', 'string'],
      ['registered_at', 'date'],
      ['total_deposit', 'decimal(14,2)'],
      ['status', 'string'],
      ['email_verified', 'boolean'],
      ['phone_verified', 'boolean'],
      ['_sync_key', 'timestamp'],
      ['_deleted', 'boolean'],
      ['_synced_at', 'timestamp'],
      ['_run_id', 'string'],
    ]);
  });

  it('writes nothing new when two incremental syncs in a row find no change, but records the syncs', async () => {
    const before = await lakeObjects();
    const location = (await deps.catalog.getPartition('ref_members', []))?.location;
    const firstTime = (await lastSyncTimes(db)).members?.lastSyncAt;

    const first = await sync('incremental');
    const second = await sync('incremental');

    expect([first.changedRows, second.changedRows, second.writtenRows]).toEqual([0, 0, 0]);
    expect(await lakeObjects()).toEqual(before);
    expect((await deps.catalog.getPartition('ref_members', []))?.location).toBe(location);
    const times = await lastSyncTimes(db);
    expect(times.members?.mode).toBe('incremental');
    expect(times.members?.lastSyncAt).not.toBe(firstTime);
  });

  it('picks up a row updated with an updated_at exactly equal to the watermark', async () => {
    const { watermark } = await sync('incremental');
    await db.query(
      `UPDATE ${members} SET total_deposit = 7777.77, updated_at = $1::timestamptz WHERE member_code = 'M0010'`,
      [watermark],
    );

    const result = await sync('incremental');

    expect(result.changedRows).toBe(1);
    const row = (await lakeRows<LakeMember>('ref_members')).find((r) => r.key === 'M0010');
    expect(row?.total_deposit).toBe('7777.77');
  });

  it('picks up a row a long transaction commits late with an updated_at older than the watermark', async () => {
    const { watermark } = await sync('incremental');
    // An hour older than the watermark: beyond the overlap window, so only the fence finds it.
    const update = `UPDATE ${members} SET total_deposit = 4242.42,
                    updated_at = $1::timestamptz - interval '1 hour' WHERE member_code = 'M0020'`;
    if (db.target.kind === 'server') {
      // Truly concurrent: a sync runs while the transaction is open, then it commits.
      await db.transaction(async (session) => {
        await session.query(update, [watermark]);
        const during = await sync('incremental');
        expect(during.changedRows).toBe(0);
      });
    } else {
      // PGlite has one session and serializes transactions: the commit lands after a sync.
      await sync('incremental');
      await db.query(update, [watermark]);
    }

    const after = await sync('incremental');

    expect(after.changedRows).toBe(1);
    const row = (await lakeRows<LakeMember>('ref_members')).find((r) => r.key === 'M0020');
    expect(row?.total_deposit).toBe('4242.42');
  });

  it('leaves exactly one current row per key with the latest values after a crash before the watermark commit', async () => {
    await db.query(
      `UPDATE ${members} SET total_deposit = total_deposit + 1, updated_at = now()
        WHERE member_code IN ('M0030', 'M0031', 'M0032')`,
    );
    const crash = (): void => {
      throw new Error('crash between publish and watermark commit');
    };
    await expect(sync('incremental', { beforeWatermarkCommit: crash })).rejects.toThrow(/crash/);

    const rerun = await sync('incremental');

    expect(rerun.changedRows).toBe(0);
    const rows = await lakeRows<LakeMember>('ref_members');
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(rows).toHaveLength(60);
    for (const code of ['M0030', 'M0031', 'M0032']) {
      expect(rows.find((r) => r.key === code)?.total_deposit).toBe(await sourceDeposit(code));
    }
    const changes = await lakeRows<LakeMember>('ref_members_changes');
    const versions = changes.map((r) => `${r.key}@${r._sync_key}`);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('drops a deleted key from the current state at the full sync and records its tombstone', async () => {
    await db.query(`DELETE FROM ${members} WHERE member_code = 'M0040'`);

    const result = await sync('full');

    expect(result).toMatchObject({ mode: 'full', tombstones: 1, changedRows: 0, currentRows: 59 });
    const rows = await lakeRows<LakeMember>('ref_members');
    expect(rows.map((r) => r.key)).not.toContain('M0040');
    const tombstones = (await lakeRows<LakeMember>('ref_members_changes')).filter(
      (r) => r._deleted,
    );
    expect(tombstones.map((r) => [r.key, r._run_id])).toEqual([['M0040', result.runId]]);
  });

  it('fetches given keys on demand straight from PostgreSQL', async () => {
    const rows = await fetchEntities(deps, 'members', ['M0002', 'nope', 'M0001']);

    expect(rows.map((r) => r.key)).toEqual(['M0002', 'M0001']);
    expect(rows[0]).toMatchObject({
      registered_at: '2024-01-03',
      total_deposit: '20.50',
      status: 'closed',
      email_verified: true,
      phone_verified: false,
    });
  });

  it('turns a soft delete (deleted_at set) into a tombstone at an incremental sync', async () => {
    const accounts = qualify(db.schema, 'accounts');
    const first = await runSync(deps, { mode: 'incremental', tables: ['accounts'] });
    expect(first.mappings[0]?.currentRows).toBe(2); // 'c' was deleted before it ever synced
    await db.query(
      `UPDATE ${accounts} SET deleted_at = now(), updated_at = now() WHERE code = 'b'`,
    );

    const second = await runSync(deps, { mode: 'incremental', tables: ['accounts'] });

    expect(second.mappings[0]).toMatchObject({
      mode: 'incremental',
      tombstones: 1,
      changedRows: 0,
    });
    expect((await lakeRows<{ key: string }>('ref_accounts')).map((r) => r.key)).toEqual(['a']);
    const changes = await lakeRows<{ key: string; _deleted: boolean }>('ref_accounts_changes');
    expect(changes.filter((r) => r._deleted).map((r) => r.key)).toEqual(['b']);
  });

  it('skips a mapping whose lease another run holds, changing nothing', async () => {
    await acquireLease(db, 'members', 'ref_members', 'other-run');
    const before = await lakeObjects();

    try {
      const result = await sync('full');

      expect(result.skipped).toMatch(
        /another sync of 'members' \(run other-run\) holds its lease until/,
      );
      expect(await lakeObjects()).toEqual(before);
    } finally {
      await releaseLease(db, 'members', 'other-run');
    }
  });

  it('rebuilds the current state from every row when the mapping gains a property', async () => {
    const wider: MappingConfig = {
      ...MEMBERS,
      properties: [...MEMBERS.properties, { column: 'country', property: 'country' }],
    };

    const summary = await runSync(
      { ...deps, mappings: [wider] },
      { mode: 'incremental', tables: ['members'] },
    );

    expect(summary.mappings[0]).toMatchObject({ mode: 'full', currentRows: 59 });
    expect(summary.mappings[0]?.note).toMatch(/lake columns changed/);
    const rows = await lakeRows<{ key: string; country: string }>('ref_members');
    expect(rows.map((r) => r.country)).toEqual(Array(59).fill('JP'));
  });

  it('plans uuid columns as text for a new lake table, and keeps 16-byte binary where the lake table already has it', async () => {
    await db.query(
      `CREATE TABLE ${qualify(db.schema, 'gadgets')} (id uuid PRIMARY KEY, owners uuid[],
         updated_at timestamptz NOT NULL)`,
    );
    const gadgets: MappingConfig = {
      table: 'gadgets',
      entity_type: 'Gadget',
      key_column: 'id',
      properties: [{ column: 'owners', property: 'owners' }],
      sync_mode: 'full',
      sync_key: 'updated_at',
    };
    const fresh = await planMapping(db, gadgets);
    const published = {
      ...fresh.currentCatalog,
      columns: fresh.currentCatalog.columns.map((c) =>
        c.name === 'key'
          ? { ...c, type: 'binary' }
          : c.name === 'owners'
            ? { ...c, type: 'array<binary>' }
            : c,
      ),
    };

    const kept = await planMapping(db, gadgets, published);

    expect(fresh.key.plan.athenaType).toBe('string');
    expect(fresh.columns.find((c) => c.lakeName === 'owners')?.plan.athenaType).toBe(
      'array<string>',
    );
    expect(kept.key.plan.athenaType).toBe('binary');
    expect(kept.key.plan.duckdbType).toBe('UUID');
    expect(kept.columns.find((c) => c.lakeName === 'owners')?.plan.athenaType).toBe(
      'array<binary>',
    );
  });
});
