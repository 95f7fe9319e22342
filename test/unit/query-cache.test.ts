import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import {
  cacheKey,
  normalizeSql,
  readCache,
  writeCache,
  type CacheKeyInput,
} from '#core/query/cache';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import type { QueryResult } from '#ports/query-engine';

const events: CatalogTable = {
  name: 'events',
  columns: [{ name: 'membercode', type: 'string', sourceType: 'text' }],
  partitionKeys: ['event_type', 'dt'],
  location: 'events/',
  schemaHash: 'h',
};

function partition(day: string, runId: string, publishedAt: string): CatalogPartition {
  return {
    values: ['Login', day],
    location: `events/event_type=Login/dt=${day}/v=${runId}/`,
    rows: 10,
    bytes: 100,
    files: 1,
    runId,
    publishedAt,
  };
}

const base: CacheKeyInput = {
  sql: "SELECT membercode FROM events WHERE event_type = 'Login' AND dt BETWEEN $1 AND $2",
  params: ['2025-02-14', '2025-02-15'],
  engine: 'duckdb',
  database: 'thermocline_local',
  scans: [
    {
      table: events,
      partitions: [
        partition('2025-02-14', 'r1', '2025-02-15T02:00:00.000Z'),
        partition('2025-02-15', 'r2', '2025-02-16T02:00:00.000Z'),
      ],
    },
  ],
};

describe('normalizing SQL for the cache key', () => {
  it('collapses whitespace runs and drops a trailing semicolon', () => {
    expect(normalizeSql('  SELECT  a,\n\tb\nFROM t ;  ')).toBe('SELECT a, b FROM t');
  });

  it('keeps whitespace inside string literals and quoted identifiers', () => {
    expect(normalizeSql(`SELECT "a  b" FROM t WHERE x = 'two  spaces'`)).toBe(
      `SELECT "a  b" FROM t WHERE x = 'two  spaces'`,
    );
  });

  it('keeps a doubled quote inside a literal as part of it', () => {
    expect(normalizeSql("SELECT 'it''s  ok'   FROM t")).toBe("SELECT 'it''s  ok' FROM t");
  });

  it('keeps case, which changes string comparisons', () => {
    expect(normalizeSql("SELECT 1 WHERE x = 'A'")).not.toBe(normalizeSql("select 1 where x = 'a'"));
  });
});

describe('the cache key', () => {
  it('is the same for SQL that differs only in layout', () => {
    const reformatted = { ...base, sql: `${base.sql.replace(/ /g, '\n   ')};` };

    expect(cacheKey(reformatted)).toBe(cacheKey(base));
  });

  it('changes with the parameters', () => {
    expect(cacheKey({ ...base, params: ['2025-02-13', '2025-02-15'] })).not.toBe(cacheKey(base));
  });

  it('changes with the engine and the database', () => {
    expect(cacheKey({ ...base, engine: 'athena' })).not.toBe(cacheKey(base));
    expect(cacheKey({ ...base, database: 'thermocline_dev' })).not.toBe(cacheKey(base));
  });

  it('changes when a day the query reads is published again (new version folder)', () => {
    const republished = {
      ...base,
      scans: [
        {
          table: events,
          partitions: [
            partition('2025-02-14', 'r3', '2025-02-17T02:00:00.000Z'),
            partition('2025-02-15', 'r2', '2025-02-16T02:00:00.000Z'),
          ],
        },
      ],
    };

    expect(cacheKey(republished)).not.toBe(cacheKey(base));
  });

  it('changes when a new partition joins the pruned set', () => {
    const grown = {
      ...base,
      scans: [
        {
          table: events,
          partitions: [
            ...(base.scans[0]?.partitions ?? []),
            partition('2025-02-16', 'r4', '2025-02-17T02:00:00.000Z'),
          ],
        },
      ],
    };

    expect(cacheKey(grown)).not.toBe(cacheKey(base));
  });

  it('does not depend on the order the catalog listed the partitions in', () => {
    const reversed = {
      ...base,
      scans: [{ table: events, partitions: [...(base.scans[0]?.partitions ?? [])].reverse() }],
    };

    expect(cacheKey(reversed)).toBe(cacheKey(base));
  });
});

describe('cache entries', () => {
  let dir: string;
  let store: FsObjectStore;
  const result: QueryResult = {
    columns: [{ name: 'n', type: 'BIGINT' }],
    rows: [{ n: 3 }],
    bytesScanned: 1234,
    engineMs: 5,
    reused: false,
  };
  const now = new Date('2025-02-16T06:00:00Z');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thermocline-cache-test-'));
    store = new FsObjectStore(dir);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are read back before they expire', async () => {
    await writeCache(store, 'k1', result, 'duckdb', now, 3600);

    const hit = await readCache(store, 'k1', new Date(now.getTime() + 3_599_000));

    expect(hit?.rows).toEqual([{ n: 3 }]);
    expect(hit?.bytesScanned).toBe(1234);
  });

  it('are ignored once expired', async () => {
    await writeCache(store, 'k1', result, 'duckdb', now, 3600);

    expect(await readCache(store, 'k1', new Date(now.getTime() + 3_600_000))).toBeUndefined();
  });

  it('are not written when the expiry is 0 (cache off)', async () => {
    expect(await writeCache(store, 'k1', result, 'duckdb', now, 0)).toBe(false);
    expect(await store.list('')).toEqual([]);
  });
});
