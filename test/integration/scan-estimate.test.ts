/**
 * The scan estimate against ground truth: a small sample exported by the real engine, then for
 * partition-pruned queries the estimate is compared with the compressed bytes of the column
 * chunks the query reads — read from the footers of the files of the pruned partitions by
 * hyparquet, a reader independent of the DuckDB encoder that recorded the catalog's numbers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { defaultConfig } from '#core/config/resolve';
import type { TableConfig } from '#core/config/schema';
import { estimateScan, type ScanEstimate } from '#core/query/estimate';
import { guardSql } from '#core/query/guard';
import { loadSample } from '#core/sample/load';
import { exportTableDay, type DayManifest } from '#etl/export';
import { dayManifestKey } from '#etl/layout';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import { systemClock } from '#ports/clock';
import type { ObjectStore } from '#ports/object-store';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

const DAYS = ['2025-02-12', '2025-02-13', '2025-02-14', '2025-02-15'];
const PRICE = { pricePerTbUsd: 5 };

describe('scan estimates against the Parquet footers', () => {
  let test: TestDatabase;
  let home: string;
  let lake: { store: ObjectStore; catalog: Catalog };

  function tableConfig(name: string): TableConfig {
    const table = defaultConfig().tables.find((t) => t.name === name);
    if (!table) throw new Error(`the default config has no table ${name}`);
    return table;
  }

  async function estimate(sql: string): Promise<ScanEstimate> {
    const analysis = guardSql(sql, {
      engine: 'lake',
      lakeTables: await lake.catalog.listTables(),
      hotTables: [],
    });
    return estimateScan(analysis, lake.catalog, PRICE);
  }

  /**
   * Σ total_compressed_size of the chunks of `columns` in every file of the partitions `keep`
   * selects — what a reader that prunes to those partitions and projects those columns reads.
   */
  async function footerBytes(
    table: string,
    keep: (values: readonly string[]) => boolean,
    columns: readonly string[],
  ): Promise<{ bytes: number; partitions: CatalogPartition[] }> {
    const partitions = (await lake.catalog.listPartitions(table)).filter((p) => keep(p.values));
    let bytes = 0;
    for (const partition of partitions) {
      for (const object of await lake.store.list(partition.location)) {
        if (!object.key.endsWith('.parquet')) continue;
        const file = await readFile(lake.store.locate(object.key));
        const metadata = parquetMetadata(
          file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength),
        );
        for (const group of metadata.row_groups) {
          for (const chunk of group.columns) {
            const column = chunk.meta_data?.path_in_schema[0];
            if (column !== undefined && columns.includes(column)) {
              bytes += Number(chunk.meta_data?.total_compressed_size ?? 0n);
            }
          }
        }
      }
    }
    return { bytes, partitions };
  }

  beforeAll(async () => {
    test = await openTestDatabase('scan_estimate');
    home = await mkdtemp(join(tmpdir(), 'thermocline-scan-estimate-'));
    await loadSample(test.db, { seed: 11, days: DAYS.length, scale: 0.05, endDate: '2025-02-15' });
    lake = openLocalLake(home);
    const encoder = await createDuckDbEncoder();
    try {
      const deps = { db: test.db, encoder, clock: systemClock, ...lake };
      for (const name of ['events', 'agent_tasks']) {
        for (const day of DAYS) await exportTableDay(deps, tableConfig(name), day);
      }
    } finally {
      await encoder.close();
    }
  });

  afterAll(async () => {
    await test?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('records per-column bytes on every published partition and in the day manifest', async () => {
    const partitions = await lake.catalog.listPartitions('events');
    const manifest = JSON.parse(
      (await lake.store.getText(dayManifestKey('events', DAYS[0] ?? ''))) ?? '{}',
    ) as DayManifest;

    expect(partitions.length).toBeGreaterThan(DAYS.length);
    expect(partitions.every((p) => (p.columnBytes?.membercode ?? 0) > 0)).toBe(true);
    expect(partitions.some((p) => p.columnBytes?.event_type !== undefined)).toBe(false);
    expect(manifest.partitions.every((p) => (p.column_bytes?.payload ?? 0) > 0)).toBe(true);
  });

  it.each([
    [
      "the seed's query: one event type over two days",
      "SELECT memberCode, count(*) FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2025-02-13' AND '2025-02-14' GROUP BY 1",
      'events',
      (v: readonly string[]) =>
        v[0] === 'GameOpened' && v[1]! >= '2025-02-13' && v[1]! <= '2025-02-14',
      ['membercode'],
    ],
    [
      'two event types, one day, every column',
      "SELECT * FROM events WHERE event_type IN ('Login', 'Logout') AND dt = '2025-02-15'",
      'events',
      (v: readonly string[]) => ['Login', 'Logout'].includes(v[0]!) && v[1] === '2025-02-15',
      ['id', 'membercode', 'game_code', 'amount', 'session_id', 'payload', 'occurred_at'],
    ],
    [
      'agent tasks of two days, three columns',
      "SELECT id, status, cost_usd FROM agent_tasks WHERE year = '2025' AND month = '02' AND day IN ('12', '15')",
      'agent_tasks',
      (v: readonly string[]) => v[0] === '2025' && v[1] === '02' && ['12', '15'].includes(v[2]!),
      ['id', 'status', 'cost_usd'],
    ],
  ])('is within ±10%% of the footers for %s', async (_, sql, table, keep, columns) => {
    const truth = await footerBytes(table, keep, columns);

    const result = await estimate(sql);

    expect(truth.bytes).toBeGreaterThan(0);
    expect(result.scans[0]?.partitions.map((p) => p.values)).toEqual(
      truth.partitions.map((p) => p.values),
    );
    expect(Math.abs(result.bytes - truth.bytes)).toBeLessThanOrEqual(truth.bytes * 0.1);
  });

  it("keeps a one-day query at most 1/N of the N-day query's estimate", async () => {
    const sql = (where: string): string =>
      `SELECT id, status, input FROM agent_tasks WHERE year = '2025' AND ${where}`;
    const all = await estimate(sql(`month = '02' AND day BETWEEN '12' AND '15'`));

    const days = await Promise.all(
      DAYS.map((d) => estimate(sql(`month = '02' AND day = '${d.slice(8)}'`))),
    );

    const smallest = Math.min(...days.map((d) => d.bytes));
    expect(smallest).toBeGreaterThan(0);
    expect(smallest).toBeLessThanOrEqual(all.bytes / DAYS.length);
    expect(days.reduce((n, d) => n + d.bytes, 0)).toBe(all.bytes);
  });
});
