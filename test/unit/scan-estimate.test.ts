import { ScanLimitExceededError, SqlRejectedError } from '#core/query/errors';
import { checkScanLimit, estimateScan, scanCostUsd, type ScanEstimate } from '#core/query/estimate';
import { guardSql } from '#core/query/guard';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';

/** A catalog in memory: tables and their partitions. */
function memoryCatalog(entries: readonly [CatalogTable, CatalogPartition[]][]): Catalog {
  const tables = new Map(entries.map(([t, p]) => [t.name, { table: t, partitions: p }]));
  return {
    description: 'memory',
    ensureTable: () => Promise.resolve(),
    getTable: (name) => Promise.resolve(tables.get(name)?.table),
    listTables: () => Promise.resolve([...tables.values()].map((e) => e.table)),
    putPartitions: () => Promise.resolve(),
    deletePartitions: () => Promise.resolve(),
    getPartition: (name, values) =>
      Promise.resolve(
        tables.get(name)?.partitions.find((p) => p.values.join('/') === values.join('/')),
      ),
    listPartitions: (name) => Promise.resolve([...(tables.get(name)?.partitions ?? [])]),
  };
}

const events: CatalogTable = {
  name: 'events',
  columns: ['id', 'membercode', 'payload'].map((name) => ({
    name,
    type: 'string',
    sourceType: 'text',
  })),
  partitionKeys: ['event_type', 'dt'],
  location: 'events/',
  schemaHash: 'h',
};

function partition(
  type: string,
  dt: string,
  columnBytes?: Record<string, number>,
): CatalogPartition {
  return {
    values: [type, dt],
    location: `events/event_type=${type}/dt=${dt}/v=r1/`,
    rows: 10,
    bytes: 10_000,
    files: 1,
    ...(columnBytes ? { columnBytes } : {}),
    runId: 'r1',
    publishedAt: '2025-02-16T00:00:00.000Z',
  };
}

const BYTES = { id: 100, membercode: 200, payload: 3000 };
const partitions = [
  partition('Login', '2025-02-01', BYTES),
  partition('Login', '2025-02-02', BYTES),
  partition('Login', '2025-02-03', BYTES),
  partition('Logout', '2025-02-01', BYTES),
  partition('Logout', '2025-02-02', BYTES),
];
const catalog = memoryCatalog([[events, partitions]]);
const price = { pricePerTbUsd: 5 };

function analyze(sql: string): ReturnType<typeof guardSql> {
  return guardSql(sql, { engine: 'lake', lakeTables: [events], hotTables: [] });
}

describe('estimateScan', () => {
  it('counts the referenced columns of the partitions the predicates keep', async () => {
    const estimate = await estimateScan(
      analyze(
        "SELECT membercode FROM events WHERE event_type = 'Login' AND dt BETWEEN '2025-02-01' AND '2025-02-02'",
      ),
      catalog,
      price,
    );

    expect(estimate.bytes).toBe(2 * 200);
    expect(estimate.tables).toEqual([
      expect.objectContaining({ table: 'events', partitions: 2, partitionsTotal: 5, bytes: 400 }),
    ]);
  });

  it('returns the kept partitions and counted columns as the scans the engine reads', async () => {
    const estimate = await estimateScan(
      analyze(
        "SELECT id, membercode FROM events WHERE event_type = 'Logout' AND dt > '2025-02-01'",
      ),
      catalog,
      price,
    );

    expect(estimate.scans).toEqual([
      { table: events, partitions: [partitions[4]], columns: ['id', 'membercode'] },
    ]);
  });

  it('counts nothing for partition keys (they are in the path)', async () => {
    const estimate = await estimateScan(
      analyze(
        "SELECT dt, count(*) FROM events WHERE event_type = 'Login' AND dt >= '2025-02-01' GROUP BY 1",
      ),
      catalog,
      price,
    );

    expect(estimate.bytes).toBe(0);
  });

  it('counts every column for SELECT *', async () => {
    const estimate = await estimateScan(
      analyze("SELECT * FROM events WHERE event_type = 'Login' AND dt = '2025-02-03'"),
      catalog,
      price,
    );

    expect(estimate.bytes).toBe(3300);
  });

  it('prunes with parameters when their values are given, lists included', async () => {
    const analysis = analyze('SELECT id FROM events WHERE event_type = $1 AND dt <= $2');

    const estimate = await estimateScan(analysis, catalog, {
      ...price,
      params: [['Login', 'Logout'], '2025-02-01'],
    });

    expect(estimate.tables[0]?.partitions).toBe(2);
  });

  it('does not prune by a parameter whose value is unknown', async () => {
    const analysis = analyze("SELECT id FROM events WHERE event_type = $1 AND dt = '2025-02-02'");

    const estimate = await estimateScan(analysis, catalog, price);

    expect(estimate.tables[0]?.partitions).toBe(2);
  });

  it('counts a table read twice (UNION ALL) once per read, as Athena scans it', async () => {
    const estimate = await estimateScan(
      analyze(
        "SELECT id FROM events WHERE event_type = 'Login' AND dt = '2025-02-01' UNION ALL SELECT id FROM events WHERE event_type IN ('Login', 'Logout') AND dt = '2025-02-01'",
      ),
      catalog,
      price,
    );

    expect(estimate.bytes).toBe(3 * 100);
    expect(estimate.scans[0]?.partitions.map((p) => p.values)).toEqual([
      ['Login', '2025-02-01'],
      ['Logout', '2025-02-01'],
    ]);
  });

  it('counts a partition without column bytes whole', async () => {
    const old = memoryCatalog([[events, [partition('Login', '2025-01-01')]]]);

    const estimate = await estimateScan(
      analyze("SELECT id FROM events WHERE event_type = 'Login' AND dt = '2025-01-01'"),
      old,
      price,
    );

    expect(estimate.bytes).toBe(10_000);
    expect(estimate.tables[0]?.partitionsWithoutColumnBytes).toBe(1);
  });

  it('prices the scan at the 10 MB minimum for a small query', async () => {
    const estimate = await estimateScan(
      analyze("SELECT id FROM events WHERE event_type = 'Login' AND dt = '2025-02-01'"),
      catalog,
      price,
    );

    expect(estimate.costUsd).toBeCloseTo((10e6 / 1e12) * 5, 12);
  });

  it('throws when a table left the catalog', async () => {
    const analysis = analyze("SELECT id FROM events WHERE event_type = 'Login' AND dt = 'x'");

    await expect(estimateScan(analysis, memoryCatalog([]), price)).rejects.toThrow(
      SqlRejectedError,
    );
  });
});

describe('scanCostUsd', () => {
  it('bills $5 per TB above the minimum', () => {
    expect(scanCostUsd(2e12, 5)).toBe(10);
  });

  it('rounds up to the MB', () => {
    expect(scanCostUsd(20e6 + 1, 5)).toBeCloseTo((21e6 / 1e12) * 5, 12);
  });
});

describe('checkScanLimit', () => {
  const estimate: ScanEstimate = {
    bytes: 12e9,
    costUsd: 0.06,
    scans: [],
    tables: [
      { table: 'events', partitions: 30, partitionsTotal: 90, bytes: 12e9, columns: ['payload'] },
    ],
  };

  it('passes an estimate within the limit', () => {
    expect(() => checkScanLimit(estimate, 12e9)).not.toThrow();
  });

  it('refuses an estimate over the limit with 413, the GB, the dollars and how to narrow it', () => {
    let error: unknown;
    try {
      checkScanLimit(estimate, 5e9, 'steps[0]');
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ScanLimitExceededError);
    const refused = error as ScanLimitExceededError;
    expect([refused.status, refused.code, refused.limitBytes]).toEqual([
      413,
      'scan_limit_exceeded',
      5e9,
    ]);
    expect(refused.estimate).toBe(estimate);
    expect(refused.message).toMatch(
      /^steps\[0\]: the query would scan about 12\.00 GB \(\$0\.0600\), over the limit of 5\.00 GB \(events: 30 of 90 partitions, 12\.00 GB\)\. Narrow it: filter on the partition keys .* select fewer columns .* raise max_scan_gb up to the environment's scan cutoff/,
    );
  });
});
