/**
 * Publishing a merge: first the delta into the changes table (files named after the current-state
 * version they apply to, so a rerun of the same transition replaces them instead of adding
 * duplicates), then the new current state as a new version folder that the catalog switches to
 * in one call (the commit point for readers), then the old versions are cleaned.
 */
import { UsageError } from '#core/errors';
import { cleanVersions } from '#etl/export';
import { escapePathValue } from '#etl/layout';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';
import type { RewrittenFile } from '#ports/parquet-rewriter';
import { CHANGES_PARTITION_KEY, type MappingPlan } from '#etl/sync/mapping';
import { addDays } from '#core/days';

/** What one publish writes. */
export interface SyncPublish {
  readonly plan: MappingPlan;
  readonly runId: string;
  /** The run's instant, ISO 8601. */
  readonly publishedAt: string;
  /** The effective mode. */
  readonly mode: 'full' | 'incremental';
  /** The current state the delta applies to (undefined before the first publish). */
  readonly previous: CatalogPartition | undefined;
  readonly current: readonly RewrittenFile[];
  readonly changes: readonly RewrittenFile[];
  readonly changed: number;
  readonly tombstones: number;
  /** The watermark the sync is about to commit, recorded in the version's manifest. */
  readonly watermark: string | null;
}

/** The lake side of the sync's dependencies. */
export interface SyncLake {
  readonly store: ObjectStore;
  readonly catalog: Catalog;
}

/** One file of a changes partition, as its `_manifest.json` lists it. */
interface ChangesFile {
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
  readonly run_id: string;
  /** The current-state version the delta was computed against (`initial` before the first). */
  readonly base: string;
  readonly column_bytes: Readonly<Record<string, number>>;
}

/** Uploads rewritten files, one after the other, under `keyOf(index)`; their manifest entries. */
async function uploadFiles(
  store: ObjectStore,
  files: readonly RewrittenFile[],
  keyOf: (index: number) => string,
  runId: string,
  base: string,
): Promise<ChangesFile[]> {
  const uploaded: ChangesFile[] = [];
  for (const [index, file] of files.entries()) {
    const key = keyOf(index);
    const stored = await store.putFile(key, file.path);
    uploaded.push({
      key,
      rows: file.rows,
      bytes: stored.bytes,
      run_id: runId,
      base,
      column_bytes: file.columnBytes,
    });
  }
  return uploaded;
}

/** The `_manifest.json` of a changes partition (one sync day). */
interface ChangesManifest {
  readonly format: 1;
  readonly table: string;
  readonly dt: string;
  readonly files: readonly ChangesFile[];
}

/** The folder of a changes partition: `ref_members_changes/dt=2025-02-15/`. */
export function changesPrefix(plan: MappingPlan, day: string): string {
  return `${plan.changesTable}/${CHANGES_PARTITION_KEY}=${escapePathValue(day)}/`;
}

/** The version folder of a current state: `ref_members/v=<run>/`. */
export function currentVersionPrefix(plan: MappingPlan, runId: string): string {
  return `${plan.lakeTable}/v=${runId}/`;
}

function part(index: number): string {
  return String(index).padStart(5, '0');
}

function dayBefore(day: string): string {
  return addDays(day, -1);
}

function sumColumnBytes(
  files: readonly { readonly column_bytes: Readonly<Record<string, number>> }[],
): Record<string, number> {
  const total: Record<string, number> = {};
  for (const file of files) {
    for (const [column, bytes] of Object.entries(file.column_bytes)) {
      total[column] = (total[column] ?? 0) + bytes;
    }
  }
  return total;
}

/**
 * Publishes a non-empty merge and returns the new current-state partition (values `[]`).
 * @example
 * const current = await publishSync(deps, { plan, runId, publishedAt, mode, previous, current: files, changes, changed, tombstones, watermark });
 * current.location; // 'ref_members/v=20250215T101500Z-1a2b3c/'
 */
export async function publishSync(lake: SyncLake, publish: SyncPublish): Promise<CatalogPartition> {
  const { plan } = publish;
  const base = publish.previous?.runId ?? 'initial';
  // Both tables exist before anything is uploaded: a new table is never registered over files.
  await lake.catalog.ensureTable(plan.currentCatalog);
  await lake.catalog.ensureTable(plan.changesCatalog);
  await publishChanges(lake, publish, base);
  const partition = await publishCurrent(lake, publish, base);
  await cleanCurrentVersions(lake, plan, partition.location, publish.previous);
  return partition;
}

/**
 * Step 1: the delta into today's changes partition, replacing a crashed attempt at the same
 * transition (same base) there or in yesterday's partition.
 */
async function publishChanges(lake: SyncLake, publish: SyncPublish, base: string): Promise<void> {
  const { plan, runId, publishedAt } = publish;
  const day = publishedAt.slice(0, 10);
  const stale = await dropBase(lake, plan, dayBefore(day), base);
  if (stale > 0) await putChangesPartition(lake, plan, dayBefore(day), runId, publishedAt);
  await dropBase(lake, plan, day, base, publish.changes.length);
  const prefix = changesPrefix(plan, day);
  const added = await uploadFiles(
    lake.store,
    publish.changes,
    (index) => `${prefix}part-${base}-${part(index)}.parquet`,
    runId,
    base,
  );
  const manifest = await readChangesManifest(lake.store, plan, day);
  await writeChangesManifest(lake.store, plan, day, [
    ...manifest.files.filter((f) => !added.some((a) => a.key === f.key)),
    ...added,
  ]);
  await putChangesPartition(lake, plan, day, runId, publishedAt);
}

/**
 * Step 2: the new current state in its own version folder with its `_manifest.json`, then the
 * catalog switch (the commit point for readers). Resolves to the partition now current.
 */
async function publishCurrent(
  lake: SyncLake,
  publish: SyncPublish,
  base: string,
): Promise<CatalogPartition> {
  const { plan, runId, publishedAt } = publish;
  const location = currentVersionPrefix(plan, runId);
  const uploaded = await uploadFiles(
    lake.store,
    publish.current,
    (index) => `${location}part-${part(index)}.parquet`,
    runId,
    base,
  );
  const rows = uploaded.reduce((n, f) => n + f.rows, 0);
  const bytes = uploaded.reduce((n, f) => n + f.bytes, 0);
  await lake.store.putText(
    `${location}_manifest.json`,
    JSON.stringify(currentManifest(publish, base, uploaded, rows, bytes), null, 2),
    'application/json',
  );
  const partition: CatalogPartition = {
    values: [],
    location,
    rows,
    bytes,
    files: uploaded.length,
    columnBytes: sumColumnBytes(uploaded),
    runId,
    publishedAt,
  };
  await lake.catalog.putPartitions(plan.lakeTable, [partition]);
  return partition;
}

/** The `_manifest.json` of a current-state version folder. */
function currentManifest(
  publish: SyncPublish,
  base: string,
  uploaded: readonly ChangesFile[],
  rows: number,
  bytes: number,
): Record<string, unknown> {
  const { plan, runId, publishedAt } = publish;
  return {
    format: 1,
    table: plan.lakeTable,
    source_table: plan.mapping.table,
    entity_type: plan.mapping.entity_type,
    key_column: plan.mapping.key_column,
    sync_key: plan.mapping.sync_key,
    run_id: runId,
    mode: publish.mode,
    base_version: base,
    watermark: publish.watermark,
    rows,
    changed_rows: publish.changed,
    tombstones: publish.tombstones,
    bytes,
    files: uploaded.map(({ key, rows: n, bytes: b }) => ({ key, rows: n, bytes: b })),
    schema_hash: plan.currentCatalog.schemaHash,
    columns: plan.currentCatalog.columns,
    published_at: publishedAt,
  };
}

/** Step 3: every version but the new one and the one it replaced (queries in flight). */
async function cleanCurrentVersions(
  lake: SyncLake,
  plan: MappingPlan,
  location: string,
  previous: CatalogPartition | undefined,
): Promise<void> {
  await cleanVersions(lake, { table: plan.lakeTable, values: [], prefix: `${plan.lakeTable}/` }, [
    location,
    ...(previous ? [previous.location] : []),
  ]);
}

async function readChangesManifest(
  store: ObjectStore,
  plan: MappingPlan,
  day: string,
): Promise<ChangesManifest> {
  const text = await store.getText(`${changesPrefix(plan, day)}_manifest.json`);
  if (text === undefined) return { format: 1, table: plan.changesTable, dt: day, files: [] };
  const parsed = JSON.parse(text) as ChangesManifest;
  if (parsed.format !== 1 || !Array.isArray(parsed.files)) {
    throw new UsageError(
      `${changesPrefix(plan, day)}_manifest.json in ${store.root} is not a changes manifest; ` +
        'restore it from the object store version history, or delete the partition folder',
    );
  }
  return parsed;
}

async function writeChangesManifest(
  store: ObjectStore,
  plan: MappingPlan,
  day: string,
  files: readonly ChangesFile[],
): Promise<void> {
  const manifest: ChangesManifest = {
    format: 1,
    table: plan.changesTable,
    dt: day,
    files: [...files].sort((a, b) => a.key.localeCompare(b.key)),
  };
  await store.putText(
    `${changesPrefix(plan, day)}_manifest.json`,
    JSON.stringify(manifest, null, 2),
    'application/json',
  );
}

/**
 * Deletes the files of transition `base` in a day's changes partition from index `keep` on (all
 * of them by default) — what a run that died before switching the current state left behind —
 * and removes them from the partition's manifest. Resolves to how many went.
 */
async function dropBase(
  lake: SyncLake,
  plan: MappingPlan,
  day: string,
  base: string,
  keep = 0,
): Promise<number> {
  const prefix = `${changesPrefix(plan, day)}part-${base}-`;
  const objects = (await lake.store.list(prefix)).filter((o) => {
    const index = Number(/-(\d+)\.parquet$/.exec(o.key)?.[1] ?? -1);
    return index >= keep;
  });
  for (const object of objects) await lake.store.deletePrefix(object.key);
  if (objects.length === 0) return 0;
  const manifest = await readChangesManifest(lake.store, plan, day);
  const gone = new Set(objects.map((o) => o.key));
  await writeChangesManifest(
    lake.store,
    plan,
    day,
    manifest.files.filter((f) => !gone.has(f.key)),
  );
  return objects.length;
}

/** Registers (or refreshes) a changes partition from its manifest; drops it when it is empty. */
async function putChangesPartition(
  lake: SyncLake,
  plan: MappingPlan,
  day: string,
  runId: string,
  publishedAt: string,
): Promise<void> {
  const manifest = await readChangesManifest(lake.store, plan, day);
  if (manifest.files.length === 0) {
    await lake.catalog.deletePartitions(plan.changesTable, [[day]]);
    return;
  }
  await lake.catalog.putPartitions(plan.changesTable, [
    {
      values: [day],
      location: changesPrefix(plan, day),
      rows: manifest.files.reduce((n, f) => n + f.rows, 0),
      bytes: manifest.files.reduce((n, f) => n + f.bytes, 0),
      files: manifest.files.length,
      columnBytes: sumColumnBytes(manifest.files),
      runId,
      publishedAt,
    },
  ]);
}
