/**
 * Thermocline's result cache for lake queries (Athena's own result reuse is on as well, in the
 * Athena engine). An entry is `_cache/<key>.json` in the results store, valid until its
 * `expiresAt` (now + `query.cache_expire_seconds`, the seed's 100 h by default; 0 turns the cache
 * off).
 *
 * The key is the SHA-256 of everything that changes the answer:
 * - the SQL, normalized: whitespace outside string literals and quoted identifiers collapsed to
 *   one space, leading/trailing space and a trailing `;` dropped (case is kept: `'A'` ≠ `'a'`);
 * - the parameters (bound values included), the engine (`athena`/`duckdb`) and the database;
 * - the *watermark* of every table the query reads: how many partitions survive pruning, the
 *   newest `publishedAt` among them, and a hash of their locations (each names its version
 *   folder `v=<runId>/`). Publishing a partition the query reads — a new day, or a day exported
 *   again — changes the watermark, so the old entry is never used again.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '#ports/object-store';
import type {
  LakeTableScan,
  QueryColumn,
  QueryParam,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';

/** Prefix of cache entries in the results store. */
export const CACHE_PREFIX = '_cache/';
/** Results with more rows than this are not cached (the largest step limit). */
export const MAX_CACHED_ROWS = 100_000;

/**
 * Normalizes SQL for the cache key: whitespace runs outside `'…'` strings and `"…"` identifiers
 * become one space; leading and trailing whitespace and trailing `;` go. Comments are kept.
 * @example
 * normalizeSql("SELECT  a\n FROM t WHERE b = 'x  y' ;"); // "SELECT a FROM t WHERE b = 'x  y'"
 */
export function normalizeSql(sql: string): string {
  let out = '';
  let quote: string | undefined;
  let pendingSpace = false;
  for (const char of sql) {
    if (quote) {
      out += char;
      if (char === quote) quote = undefined; // a doubled quote reopens at the next character
      continue;
    }
    if (/\s/.test(char)) {
      pendingSpace = true;
      continue;
    }
    if (pendingSpace && out !== '') out += ' ';
    pendingSpace = false;
    out += char;
    if (char === "'" || char === '"') quote = char;
  }
  return out.replace(/(\s*;)+$/, '').trimEnd();
}

/** The state of one table's pruned partitions that the cache key depends on. */
export interface TableWatermark {
  readonly table: string;
  readonly partitions: number;
  /** Newest `publishedAt` among them (ISO), or null when there are none. */
  readonly publishedAt: string | null;
  /** SHA-256 of their sorted locations (each names its version folder). */
  readonly versions: string;
}

/**
 * The watermarks of a query's scans, sorted by table.
 * @example
 * tableWatermarks(estimate.scans); // [{ table: 'events', partitions: 3, publishedAt: '…', versions: '9f…' }]
 */
export function tableWatermarks(scans: readonly LakeTableScan[]): TableWatermark[] {
  return scans
    .map((scan) => {
      const locations = scan.partitions.map((p) => p.location).sort();
      const newest = scan.partitions.reduce<string | null>(
        (max, p) => (max === null || p.publishedAt > max ? p.publishedAt : max),
        null,
      );
      return {
        table: scan.table.name,
        partitions: scan.partitions.length,
        publishedAt: newest,
        versions: sha256(locations.join('\n')),
      };
    })
    .sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

/** What identifies a lake query's answer. */
export interface CacheKeyInput {
  readonly sql: string;
  readonly params: readonly QueryParam[];
  /** The engine's name (`athena`, `duckdb`). */
  readonly engine: string;
  /** The Glue database (AWS) or the catalog file (local). */
  readonly database: string;
  /** The tables and pruned partitions the query reads. */
  readonly scans: readonly LakeTableScan[];
}

/**
 * The cache key (64 hex digits) of a lake query.
 * @example
 * cacheKey({ sql, params: ['Login'], engine: 'duckdb', database: '/x/catalog.json', scans });
 */
export function cacheKey(input: CacheKeyInput): string {
  return sha256(
    JSON.stringify({
      v: 1,
      sql: normalizeSql(input.sql),
      params: input.params,
      engine: input.engine,
      database: input.database,
      tables: tableWatermarks(input.scans),
    }),
  );
}

/** A cached lake result. */
export interface CacheEntry {
  readonly key: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly engine: string;
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  /** What the query that filled the entry scanned and took. */
  readonly bytesScanned: number;
  readonly engineMs: number;
  readonly queryId?: string;
}

/** Key of a cache entry in the results store. */
export function cacheEntryKey(key: string): string {
  return `${CACHE_PREFIX}${key}.json`;
}

/**
 * The entry for `key` when there is one that has not expired at `now`.
 * @example
 * const hit = await readCache(results, key, clock.now());
 */
export async function readCache(
  store: ObjectStore,
  key: string,
  now: Date,
): Promise<CacheEntry | undefined> {
  const text = await store.getText(cacheEntryKey(key));
  if (text === undefined) return undefined;
  const entry = JSON.parse(text) as CacheEntry;
  return Date.parse(entry.expiresAt) > now.getTime() ? entry : undefined;
}

/**
 * Stores a lake result under `key` for `expireSeconds` (nothing when 0, or when the result has
 * more than {@link MAX_CACHED_ROWS} rows). Resolves to whether it was stored.
 * @example
 * await writeCache(results, key, result, 'duckdb', clock.now(), config.query.cache_expire_seconds);
 */
export async function writeCache(
  store: ObjectStore,
  key: string,
  result: QueryResult,
  engine: string,
  now: Date,
  expireSeconds: number,
): Promise<boolean> {
  if (expireSeconds <= 0 || result.rows.length > MAX_CACHED_ROWS) return false;
  const entry: CacheEntry = {
    key,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + expireSeconds * 1000).toISOString(),
    engine,
    columns: result.columns,
    rows: result.rows,
    bytesScanned: result.bytesScanned,
    engineMs: result.engineMs,
    ...(result.queryId === undefined ? {} : { queryId: result.queryId }),
  };
  await store.putText(cacheEntryKey(key), JSON.stringify(entry), 'application/json');
  return true;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
