/**
 * Reference-table sync: the mapped entity properties of `members`, `games`, … from PostgreSQL to
 * the lake, where Athena (DuckDB locally) joins them with the events. All I/O goes through ports
 * (SQL source, Parquet encoder + rewriter, object store, catalog, clock); the CLI, the state
 * machine and the Lambda bind them to local or AWS adapters.
 *
 * **Lake tables** (decision). A mapping of table `members` feeds two lake tables:
 * - `ref_members` — the *current state*: one row per live key, the latest version of each.
 *   Columns: `key` (the key_column's value, typed as in PostgreSQL), one column per mapped
 *   property named as the property and typed by the ETL's type contract, `_sync_key` (the row's
 *   sync key), `_deleted` (always false here), `_synced_at` (when this version reached the lake),
 *   `_run_id`. Unpartitioned: the catalog holds one partition with values `[]` whose location is
 *   the current version folder `ref_members/v=<run>/`; a publish writes a complete new folder and
 *   switches that location in one call, which is atomic for readers (the FileCatalog rewrites its
 *   file; on Glue an unpartitioned table's StorageDescriptor.Location is switched with
 *   UpdateTable). So the query side reads it like any lake table — and no partition filter is
 *   required, because it has no partition keys.
 * - `ref_members_changes` — the *history*: every delta row, tombstones included, partitioned by
 *   the UTC day of the sync (`dt=YYYY-MM-DD`), append-only; same columns.
 * A sync reads candidate rows from PostgreSQL, encodes them (typed Parquet, as the ETL does),
 * merges them with the current state in DuckDB (see `merge.ts`: previous ⊕ delta → new current,
 * rows identical to the lake's are not changes), and publishes only when the delta is not empty:
 * first the delta into the changes table, then the new current version. A sync with no changes
 * writes nothing (no version, no file) and still advances `last_sync_at`.
 *
 * **Modes.** `full` reads every row: the new current state is exactly the source, and keys the
 * lake has but the source no longer has become tombstones. `incremental` reads only rows that may
 * have changed since the last sync (below). The first sync of a mapping, a sync after the lake
 * lost the table (or its files), and a sync after the mapping's columns changed read every row
 * (reported as `full`, with a `note`); after a column change the state is rebuilt from the source
 * alone, so keys deleted meanwhile get no tombstone. `on_demand` mappings are not synced by schedules: `fetchEntities` reads given keys
 * straight from PostgreSQL. A run with `mode` unset syncs each mapping in its own `sync_mode`; with
 * `incremental` it syncs the incremental mappings (the 15-minute schedule); with `full` every
 * full and incremental mapping (the daily schedule: it also reconciles hard deletes); a mapping
 * named in `tables` is synced in the run's mode whatever its own.
 *
 * **Deletes** (decision). A hard-deleted row is invisible to an incremental read: the daily full
 * sync detects it (a key absent from the source → tombstone in `ref_<t>_changes`, key removed from
 * `ref_<t>`). When the table has a `deleted_at` column, a row with `deleted_at` set is a soft
 * delete and becomes a tombstone in either mode. The sample's members, games, affiliates and
 * agents have no `deleted_at`: their deletes appear at the next full sync (daily).
 *
 * **Watermarks** (decision: in the hot PostgreSQL). Table `thermocline_sync_state` in the
 * configured schema (created on first use) holds per mapping `watermark` (highest sync key
 * read), `xmin_fence`, `last_sync_at`, `last_run_id`, `last_mode`, `rows` and a lease. Why there:
 * it is the same store in both runtimes (Aurora through the Data API on AWS, the local server or
 * PGlite), it needs no extra service (no SSM/DynamoDB permissions, endpoints or costs), its
 * statements are transactional, and it lives and is backed up with the data it describes.
 *
 * **Nothing missed** (decision: fence + overlap + dedupe). An incremental sync reads, in one
 * REPEATABLE READ snapshot, the rows with `sync_key >= watermark - overlap` (5 minutes,
 * {@link DEFAULT_OVERLAP_SECONDS}) OR whose last writing transaction is not older than the
 * previous sync's fence (`age(xmin) <= age(fence)`), where the fence is
 * `pg_snapshot_xmin(pg_current_snapshot())` of the previous read: every transaction that
 * committed after that snapshot has an xid at or above it. So rows updated with an `updated_at`
 * equal to the watermark, and rows of a long transaction that commits late with an older
 * `updated_at` — however old — arrive. The overlap alone covers late commits within 5 minutes
 * and stays as a second line. The fence costs a sequential scan of the table per incremental sync
 * (`xmin` has no index) — fine for reference tables; a fence older than 10⁹ transactions is not
 * used (xid wrap-around) and the sync reads every row instead. Re-read rows are dropped by the
 * merge's dedupe (a candidate identical to the lake's row for its key), so they arrive exactly
 * once. The watermark commits only after the publish; a crash between publish and commit makes
 * the next run re-read the same rows, find them already in the current state, and publish
 * nothing new: exactly one current row per key, and no duplicate history (the delta files of a
 * transition are named after the version they apply to and replaced by a rerun).
 *
 * **Concurrency.** A lease in the state row (15 minutes, the Lambda limit) keeps two syncs of one
 * mapping from running at once (the incremental and the full schedule meet daily); a second one is
 * skipped. A killed sync's lease expires after 15 minutes.
 *
 * **Reading without COPY.** Rows are read with a cursor (`FETCH`), each column as its PostgreSQL
 * text, and turned into the CSV the encoder takes — the same path on the RDS Data API (which has
 * no COPY) and locally. Pages hold at most 5000 rows and are sized from the widest row seen so
 * that a page stays under half the Data API's 1 MiB response limit (over it, the Data API drops
 * the transaction). A cursor instead of keyset pages: the incremental filter cannot use an index
 * (xmin), so each keyset page would scan the table again.
 *
 * **Empty tables.** A mapping whose table has no rows publishes nothing, so its lake table does
 * not exist until the first row arrives.
 */
import { randomBytes } from 'node:crypto';
import type { MappingConfig, SyncMode } from '#core/config/schema';
import { ThermoclineError } from '#core/errors';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import type { Clock } from '#ports/clock';
import type { ObjectStore } from '#ports/object-store';
import type { EncoderWithRewriter, ParquetRewriter, RewriteResult } from '#ports/parquet-rewriter';
import type { SqlDatabase } from '#ports/sql';
import { lakeTableNames, planMapping, syncMappings, type MappingPlan } from '#etl/sync/mapping';
import { mergeCounts, mergeRequest, MERGE_OUTPUTS, type MergeCounts } from '#etl/sync/merge';
import { publishSync } from '#etl/sync/publish';
import {
  DEFAULT_PAGE_ROWS,
  readCandidates,
  type CandidateFilter,
  type CandidateRead,
} from '#etl/sync/read';
import {
  acquireLease,
  commitSync,
  ensureSyncState,
  readSyncStates,
  releaseLease,
  SyncLeaseHeldError,
  type SyncState,
} from '#etl/sync/state';
import { planSync, type SyncItem } from '#etl/sync/plan';

export { fetchEntities, type EntityRow, type FetchDeps } from '#etl/sync/fetch';
export { syncMappings } from '#etl/sync/mapping';

/** Seconds below the watermark an incremental sync re-reads (rows are deduped). */
export const DEFAULT_OVERLAP_SECONDS = 300;

/** What a sync works with. */
export interface SyncDeps {
  readonly db: SqlDatabase;
  /** The Parquet encoder; it must also rewrite (the DuckDB encoder does). */
  readonly encoder: EncoderWithRewriter;
  readonly store: ObjectStore;
  readonly catalog: Catalog;
  readonly clock: Clock;
  /** The sync mappings. @default the built-in sample mappings (agents, members, games, affiliates) */
  readonly mappings?: readonly MappingConfig[];
  /**
   * Test hook: called after the publish, before the watermark commit (throw to simulate a crash
   * there).
   */
  readonly beforeWatermarkCommit?: (result: MappingSyncResult) => void | Promise<void>;
}

/** Options of {@link runSync}. */
export interface SyncOptions {
  /** `full` or `incremental` for every selected mapping; unset: each mapping's own sync_mode. */
  readonly mode?: 'full' | 'incremental';
  /** Only these mappings (by table); named mappings run even when their sync_mode differs. */
  readonly tables?: readonly string[];
  /** The run's instant (run ids, `_synced_at`, `last_sync_at`, the changes day). @default clock */
  readonly now?: Date;
  /** Re-read window below the watermark. @default {@link DEFAULT_OVERLAP_SECONDS} */
  readonly overlapSeconds?: number;
  /** Rows per FETCH. @default 5000 */
  readonly pageRows?: number;
}

/** What one mapping's sync did. */
export interface MappingSyncResult {
  /** The mapping's PostgreSQL table. */
  readonly table: string;
  /** The current-state lake table, `ref_<table>`. */
  readonly lakeTable: string;
  /** The effective mode (`full` when an incremental sync had to read every row). */
  readonly mode: SyncMode;
  /** Keys new or changed in the lake. */
  readonly changedRows: number;
  /** Rows of the new current-state version written (0 when nothing changed). */
  readonly writtenRows: number;
  /** Keys deleted from the current state. */
  readonly tombstones: number;
  /** The watermark after the sync (ISO 8601), null when no row has a sync key. */
  readonly watermark: string | null;
  readonly seconds: number;
  /** Rows read from PostgreSQL (candidates, before the dedupe). */
  readonly readRows: number;
  /** Rows in the current state after the sync. */
  readonly currentRows: number;
  readonly runId: string;
  /** Why a full read happened in an incremental run, when it did. */
  readonly note?: string;
  /** Set when the mapping was not synced, with the reason. */
  readonly skipped?: string;
}

/** What {@link runSync} did, one entry per mapping in config order. */
export interface SyncSummary {
  readonly mappings: readonly MappingSyncResult[];
  readonly changedRows: number;
  readonly tombstones: number;
  readonly seconds: number;
}

/** When each mapping was last synced, by mapping table. */
export type LastSyncTimes = Record<string, { lastSyncAt: string | null; mode: string | null }>;

/** The encoder cannot merge (not the DuckDB encoder). */
export class RewriterMissingError extends ThermoclineError {
  constructor() {
    super(
      'the sync needs an encoder that can also rewrite Parquet (DuckDB: createDuckDbEncoder); the one given cannot',
      'sync_rewriter_missing',
      1,
    );
  }
}

/**
 * Syncs the selected mappings, one after the other, and reports each (see the module comment for
 * modes, layout and guarantees). Throws on the first mapping that fails (its lease released,
 * its watermark not moved).
 * @example
 * const summary = await runSync(deps, { mode: 'incremental', tables: ['members'] });
 * summary.mappings[0]; // { table: 'members', lakeTable: 'ref_members', changedRows: 12, … }
 */
export async function runSync(deps: SyncDeps, options: SyncOptions = {}): Promise<SyncSummary> {
  const started = performance.now();
  const mappings = syncMappings(deps);
  const plan = planSync(mappings, options);
  await ensureSyncState(deps.db);
  const results = new Map<string, MappingSyncResult>();
  for (const skipped of plan.skipped) {
    results.set(skipped.table, skippedResult(skipped.table, skipped.mode, skipped.reason));
  }
  for (const item of plan.items) {
    results.set(item.table, await syncMapping(deps, item, options));
  }
  const ordered = mappings.flatMap((m) => results.get(m.table) ?? []);
  return {
    mappings: ordered,
    changedRows: ordered.reduce((n, r) => n + r.changedRows, 0),
    tombstones: ordered.reduce((n, r) => n + r.tombstones, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

function skippedResult(table: string, mode: SyncMode, reason: string): MappingSyncResult {
  return {
    table,
    lakeTable: lakeTableNames(table).current,
    mode,
    changedRows: 0,
    writtenRows: 0,
    tombstones: 0,
    watermark: null,
    seconds: 0,
    readRows: 0,
    currentRows: 0,
    runId: '',
    skipped: reason,
  };
}

/**
 * Syncs one mapping in `item.mode` (the state machine's SyncMapping task). Ensure the state table
 * first ({@link runSync} does). Steps: plan the mapping, take its lease (held: skipped), see what
 * the lake holds ({@link lakeStart}), read the candidates, merge, publish and commit the watermark
 * ({@link mergePublishCommit}); a failure releases the lease and leaves the watermark.
 * @example
 * await syncMapping(deps, { table: 'members', mode: 'incremental' });
 */
export async function syncMapping(
  deps: SyncDeps,
  item: SyncItem,
  options: Omit<SyncOptions, 'mode' | 'tables'> = {},
): Promise<MappingSyncResult> {
  const started = performance.now();
  const mapping = syncMappings(deps).find((m) => m.table === item.table);
  if (!mapping) throw new Error(`no sync mapping for table '${item.table}'`);
  const rewrite = deps.encoder.rewrite?.bind(deps.encoder);
  if (!rewrite) throw new RewriterMissingError();
  const now = options.now ?? deps.clock.now();
  const syncedAt = now.toISOString();
  const runId = newRunId(now);
  const existing = await deps.catalog.getTable(lakeTableNames(mapping.table).current);
  const plan = await planMapping(deps.db, mapping, existing);

  let state: SyncState;
  try {
    state = await acquireLease(deps.db, mapping.table, plan.lakeTable, runId);
  } catch (error) {
    if (error instanceof SyncLeaseHeldError) {
      return skippedResult(mapping.table, item.mode, error.message);
    }
    throw error;
  }
  try {
    const start = await lakeStart(deps, plan, item.mode, state);
    const filter = candidateFilter(start.mode, state, options);
    const read = await readCandidates(deps, plan, filter, options.pageRows ?? DEFAULT_PAGE_ROWS);
    try {
      return await mergePublishCommit(
        deps,
        rewrite,
        { plan, runId, syncedAt, started, state, start },
        read,
      );
    } finally {
      await read.batch?.dispose();
    }
  } catch (error) {
    await releaseLease(deps.db, mapping.table, runId);
    throw error;
  }
}

/** Where a mapping's sync starts from in the lake, and how much it must read. */
interface LakeStart {
  /** The current version the delta is merged with (undefined: rebuilt from the source alone). */
  readonly previous: CatalogPartition | undefined;
  /** The Parquet files of `previous` (none when it is undefined). */
  readonly previousKeys: readonly string[];
  /** Why an incremental sync reads every row, when it must. */
  readonly note: string | undefined;
  /** The effective mode (`full` when an incremental sync has to read every row). */
  readonly mode: 'full' | 'incremental';
}

/**
 * Reads the mapping's current state from the catalog and lists its files. After a schema change,
 * or with its files gone, the old version is not merged: the source rebuilds the state (a full
 * read; keys deleted meanwhile get no tombstone).
 */
async function lakeStart(
  deps: SyncDeps,
  plan: MappingPlan,
  mode: SyncItem['mode'],
  state: SyncState,
): Promise<LakeStart> {
  const table = await deps.catalog.getTable(plan.lakeTable);
  const found = await deps.catalog.getPartition(plan.lakeTable, []);
  const schemaChanged = found !== undefined && table?.schemaHash !== plan.currentCatalog.schemaHash;
  const previousKeys = found
    ? (await deps.store.list(found.location))
        .filter((o) => o.key.endsWith('.parquet'))
        .map((o) => o.key)
    : [];
  const filesLost = found !== undefined && found.rows > 0 && previousKeys.length === 0;
  const previous: CatalogPartition | undefined = schemaChanged || filesLost ? undefined : found;
  const note =
    mode !== 'incremental'
      ? undefined
      : found === undefined
        ? 'the lake has no current state yet: read every row'
        : schemaChanged
          ? "the mapping's lake columns changed: rebuilt from every row"
          : filesLost
            ? `the current version's files are gone from ${found.location}: rebuilt from every row`
            : state.xminFence === null && state.watermark === null
              ? 'no watermark yet: read every row'
              : undefined;
  return {
    previous,
    previousKeys: previous ? previousKeys : [],
    note,
    mode: note === undefined ? mode : 'full',
  };
}

/** Every row in a full sync; in an incremental one, what may have changed since the last. */
function candidateFilter(
  mode: 'full' | 'incremental',
  state: SyncState,
  options: Omit<SyncOptions, 'mode' | 'tables'>,
): CandidateFilter {
  return mode === 'full'
    ? { kind: 'all' }
    : {
        kind: 'since',
        watermark: state.watermark,
        fence: state.xminFence,
        overlapSeconds: options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS,
      };
}

/** One mapping's sync under its lease, once the lake's state is known. */
interface LeasedSync {
  readonly plan: MappingPlan;
  readonly runId: string;
  readonly syncedAt: string;
  /** `performance.now()` when the sync began. */
  readonly started: number;
  readonly state: SyncState;
  readonly start: LakeStart;
}

/**
 * Merges the candidates with the current state, publishes the delta when it is not empty, then
 * commits the watermark (after the publish: a crash between them re-reads the same rows, which
 * the next merge finds already in the lake).
 */
async function mergePublishCommit(
  deps: SyncDeps,
  rewrite: ParquetRewriter['rewrite'],
  sync: LeasedSync,
  read: CandidateRead,
): Promise<MappingSyncResult> {
  const { plan, runId, syncedAt, started, state, start } = sync;
  const { mode, note } = start;
  const merged = await rewrite(
    mergeRequest({
      plan,
      mode,
      previous: { store: deps.store, keys: start.previousKeys },
      candidates: read.batch?.files.map((f) => f.path) ?? [],
      runId,
      syncedAt,
    }),
  );
  try {
    const counts = mergeCounts(merged.summary);
    const watermark =
      mode === 'full'
        ? (read.maxSyncKey ?? state.watermark)
        : maxIso(state.watermark, read.maxSyncKey);
    const published = await publishDelta(deps, sync, merged, counts, watermark);
    const current = published ?? start.previous;
    const result: MappingSyncResult = {
      table: plan.mapping.table,
      lakeTable: plan.lakeTable,
      mode,
      changedRows: counts.changed,
      writtenRows: published?.rows ?? 0,
      tombstones: counts.tombstones,
      watermark,
      seconds: (performance.now() - started) / 1000,
      readRows: read.rows,
      currentRows: current?.rows ?? 0,
      runId,
      ...(note ? { note } : {}),
    };
    await deps.beforeWatermarkCommit?.(result);
    await commitSync(deps.db, {
      mapping: plan.mapping.table,
      runId,
      mode,
      watermark,
      xminFence: read.fence,
      syncedAt,
      rows: result.currentRows,
      changedRows: result.changedRows,
      tombstones: result.tombstones,
    });
    return { ...result, seconds: (performance.now() - started) / 1000 };
  } finally {
    await merged.dispose();
  }
}

/** Publishes the merge when it changed or deleted keys; the new current state, or undefined. */
async function publishDelta(
  deps: SyncDeps,
  sync: LeasedSync,
  merged: RewriteResult,
  counts: MergeCounts,
  watermark: string | null,
): Promise<CatalogPartition | undefined> {
  if (counts.changed + counts.tombstones > 0) {
    return publishSync(deps, {
      plan: sync.plan,
      runId: sync.runId,
      publishedAt: sync.syncedAt,
      mode: sync.start.mode,
      previous: sync.start.previous,
      current: merged.outputs[MERGE_OUTPUTS.current] ?? [],
      changes: merged.outputs[MERGE_OUTPUTS.changes] ?? [],
      changed: counts.changed,
      tombstones: counts.tombstones,
      watermark,
    });
  }
  return undefined;
}

/** The later of two ISO 8601 UTC instants of the same format (null counts as none). */
function maxIso(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * When each mapping was last synced and in which mode, for `GET /catalog`; `{}` before the first
 * sync. Only mappings that have synced appear.
 * @example
 * await lastSyncTimes(db); // { members: { lastSyncAt: '2025-02-15T10:15:00.000000Z', mode: 'incremental' } }
 */
export async function lastSyncTimes(db: SqlDatabase): Promise<LastSyncTimes> {
  const times: LastSyncTimes = {};
  for (const state of await readSyncStates(db)) {
    if (state.lastSyncAt === null) continue;
    times[state.mapping] = { lastSyncAt: state.lastSyncAt, mode: state.lastMode };
  }
  return times;
}
