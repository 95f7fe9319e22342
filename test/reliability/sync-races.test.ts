import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openDatabase } from '#adapters/open-database';
import { defaultConfig } from '#core/config/resolve';
import type { MappingConfig } from '#core/config/schema';
import { sampleTable } from '#core/sample/tables';
import { runSync, type SyncDeps } from '#etl/sync/run';
import { systemClock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { ParquetRewriter } from '#ports/parquet-rewriter';
import type { SqlDatabase } from '#ports/sql';
import { duckString } from '#test/support/lake';
import { figures, openWorkbench, since, type Workbench } from '#test/support/workbench';

const MEMBERS = defaultConfig().mappings.find((m) => m.table === 'members') as MappingConfig;
const KEYS = 200;
const WRITERS = 4;
const WRITE_MS = 8_000;
/** The sync_key every "equal" write sets: many rows share one updated_at, also the watermark. */
const EQUAL = '2025-03-01 00:00:00+00';

/**
 * Incremental syncs of members back to back while writers commit updates: a third of them with
 * one shared updated_at (equal values at the watermark), a third with an updated_at an hour old
 * (beyond the overlap window: only the xmin fence finds them) and a third with now(), each in a
 * transaction held open across syncs (late commits). Then: the lake's current state is the
 * table's, one row per key, and no change is recorded twice.
 */
describe('incremental sync while transactions commit late with equal and old updated_at', () => {
  let bench: Workbench | undefined;
  let encoder: (ParquetEncoder & ParquetRewriter) | undefined;
  let deps: SyncDeps;
  let duck: DuckDBConnection;

  async function lakeRows(table: string): Promise<Record<string, unknown>[]> {
    const files: string[] = [];
    for (const partition of await deps.catalog.listPartitions(table)) {
      for (const object of await deps.store.list(partition.location)) {
        if (object.key.endsWith('.parquet')) files.push(deps.store.locate(object.key));
      }
    }
    if (files.length === 0) return [];
    return (
      await duck.runAndReadAll(
        `SELECT * FROM read_parquet([${files.map(duckString).join(', ')}], hive_partitioning = false, union_by_name = true)`,
      )
    ).getRowObjectsJson() as Record<string, unknown>[];
  }

  beforeAll(async () => {
    bench = await openWorkbench('sync-races');
    if (!bench) return;
    for (const statement of sampleTable('members').ddlStatements(bench.schema)) {
      await bench.db.query(statement);
    }
    await bench.db.query(
      `INSERT INTO members
       SELECT 'M' || lpad(g::text, 4, '0'), DATE '2024-01-01' + g, g, 'active', true, NULL, NULL,
              'JP', TIMESTAMPTZ '2025-02-01 00:00:00+00', TIMESTAMPTZ '${EQUAL}'
         FROM generate_series(1, ${KEYS}) g`,
    );
    encoder = await createDuckDbEncoder();
    deps = { db: bench.db, encoder, clock: systemClock, mappings: [MEMBERS], ...bench.lake };
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  }, 120_000);

  afterAll(async () => {
    duck?.closeSync();
    await encoder?.close();
    await bench?.cleanup();
  });

  it('every change arrives once', async () => {
    if (!bench) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
      return;
    }
    const b = bench;
    const sync = async (): Promise<number> => {
      const summary = await runSync(deps, {
        mode: 'incremental',
        tables: ['members'],
        overlapSeconds: 0, // no second line: the fence alone must find late commits
      });
      return summary.changedRows;
    };
    await runSync(deps, { mode: 'full', tables: ['members'] });

    // Act: writers, each on its own connection, and syncs until the writers stop.
    let running = true;
    let value = 1_000_000;
    let commits = 0;
    const writers: SqlDatabase[] = [];
    for (let i = 0; i < WRITERS; i++) {
      writers.push(await openDatabase({ env: b.env, home: b.work, schema: b.schema }));
    }
    const write = async (writer: SqlDatabase, n: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const key = `M${String(1 + ((n * 7919 + i * 104_729) % KEYS)).padStart(4, '0')}`;
        const stamp = [`TIMESTAMPTZ '${EQUAL}'`, `now() - interval '1 hour'`, 'now()'][i % 3];
        await writer.transaction(async (session) => {
          await session.query(
            `UPDATE members SET total_deposit = $1, updated_at = ${stamp} WHERE member_code = $2`,
            [(value += 1), key],
          );
          await session.query(`SELECT pg_sleep($1)`, [((i * 37) % 400) / 1000]);
        });
        commits += 1;
      }
    };
    const started = performance.now();
    const writing = Promise.all(writers.map((w, n) => write(w, n)));
    const timer = setTimeout(() => (running = false), WRITE_MS);
    let syncs = 0;
    let changed = 0;
    while (running) {
      changed += await sync();
      syncs += 1;
    }
    clearTimeout(timer);
    await writing;
    await Promise.all(writers.map((w) => w.close()));
    changed += await sync(); // picks up what committed after the last one
    syncs += 1;
    const ms = since(started);

    // Assess: the current state is the table's, one row per key.
    const source = await b.db.query<{ member_code: string; d: string }>(
      `SELECT member_code, total_deposit::text AS d FROM members ORDER BY 1`,
    );
    const current = await lakeRows('ref_members');
    const lake = new Map<string, string>();
    for (const row of current) {
      expect(lake.has(String(row.key))).toBe(false);
      lake.set(String(row.key), String(row.total_deposit));
    }
    const mismatched = source.filter((r) => Number(lake.get(r.member_code)) !== Number(r.d));
    expect(mismatched).toEqual([]);
    expect(lake.size).toBe(KEYS);
    // And no change is recorded twice (each update wrote a value of its own).
    const changes = await lakeRows('ref_members_changes');
    const seen = new Set<string>();
    const twice = changes.filter((c) => {
      const id = `${String(c.key)}=${String(c.total_deposit)}`;
      const dup = seen.has(id);
      seen.add(id);
      return dup;
    });
    expect(twice).toEqual([]);
    // One record per key of the first (full) sync, then one per change the syncs counted: at most
    // one per commit (two commits to a key between syncs are one change).
    expect(changes.length).toBe(KEYS + changed);
    expect(changed).toBeLessThanOrEqual(commits);
    expect(changed).toBeGreaterThan(0);
    figures('sync-races', {
      writers: WRITERS,
      commits,
      syncs,
      changed_rows: changed,
      change_records: changes.length,
      ms,
    });
  }, 180_000);
});
