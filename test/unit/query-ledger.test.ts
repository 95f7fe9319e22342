import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { UsageError } from '#core/errors';
import {
  costReport,
  ledgerKey,
  ledgerMetrics,
  monthlyCosts,
  queryCostUsd,
  recordQuery,
  type LedgerEntry,
} from '#core/query/ledger';

function entry(overrides: Partial<LedgerEntry>): LedgerEntry {
  return {
    at: '2025-02-15T02:00:00.000Z',
    planId: '20250215T020000000Z-0000000000',
    stepId: 's1',
    caller: 'local:ann',
    engine: 'duckdb',
    bytesScanned: 0,
    costUsd: 0,
    engineMs: 1,
    cacheHit: false,
    reused: false,
    ...overrides,
  };
}

describe('query cost', () => {
  it('is nothing when nothing was scanned (cache hit, result reuse)', () => {
    expect(queryCostUsd(0, 5)).toBe(0);
  });

  it('bills at least 10 MB per query', () => {
    expect(queryCostUsd(1, 5)).toBeCloseTo((10e6 / 1e12) * 5, 12);
  });

  it('rounds up to whole megabytes at the price per terabyte', () => {
    expect(queryCostUsd(2e12 - 1, 5)).toBeCloseTo(10, 9);
    expect(queryCostUsd(20_000_001, 5)).toBeCloseTo((21e6 / 1e12) * 5, 12);
  });
});

describe('monthly totals', () => {
  it('sum queries, bytes, cost and cache hits, and split them by caller', () => {
    const report = costReport('2025-02', [
      entry({ caller: 'local:ann', bytesScanned: 100, costUsd: 0.5 }),
      entry({ caller: 'local:bob', bytesScanned: 300, costUsd: 1.5 }),
      entry({ caller: 'local:ann', bytesScanned: 0, costUsd: 0, cacheHit: true }),
      entry({ caller: 'local:ann', bytesScanned: 50, costUsd: 0.25 }),
    ]);

    expect(report).toEqual({
      month: '2025-02',
      queries: 4,
      bytesScanned: 450,
      costUsd: 2.25,
      cacheHits: 1,
      byCaller: [
        { caller: 'local:bob', queries: 1, bytesScanned: 300, costUsd: 1.5 },
        { caller: 'local:ann', queries: 3, bytesScanned: 150, costUsd: 0.75 },
      ],
    });
  });

  it('are zero for a month without queries', () => {
    expect(costReport('2025-03', [])).toEqual({
      month: '2025-03',
      queries: 0,
      bytesScanned: 0,
      costUsd: 0,
      cacheHits: 0,
      byCaller: [],
    });
  });
});

describe('the ledger in an object store', () => {
  let dir: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thermocline-ledger-test-'));
    store = new FsObjectStore(dir);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps one object per query under its month, in time order', () => {
    expect(ledgerKey(entry({ at: '2025-02-15T02:00:00.123Z', stepId: 's2' }))).toBe(
      '_ledger/2025-02/20250215T020000123Z-20250215T020000000Z-0000000000-s2.json',
    );
  });

  it('totals only the asked month', async () => {
    await recordQuery(store, entry({ at: '2025-02-28T23:59:59.999Z', costUsd: 1 }));
    await recordQuery(store, entry({ at: '2025-03-01T00:00:00.000Z', costUsd: 2 }));

    const report = await monthlyCosts(store, '2025-02');

    expect(report.queries).toBe(1);
    expect(report.costUsd).toBe(1);
  });

  it('hands every record to the metrics publisher', async () => {
    const published: LedgerEntry[] = [];
    const recorded = entry({ costUsd: 0.25 });

    await recordQuery(store, recorded, (e) => published.push(e));

    expect(published).toEqual([recorded]);
    expect(ledgerMetrics(recorded)).toContainEqual({
      name: 'QueryCostUsd',
      value: 0.25,
      unit: 'None',
    });
  });

  it('refuses a month that is not YYYY-MM, naming it', async () => {
    await expect(monthlyCosts(store, '2025-2')).rejects.toThrow(UsageError);
    await expect(monthlyCosts(store, '2025-2')).rejects.toThrow(/month '2025-2' is not a month/);
  });
});
