/**
 * The files a reader must read to see exactly what the catalog publishes — for readers that do
 * not go through Thermocline (issue #11). A partition's folder can hold more than its current
 * version: each publish writes a new version folder `v=<run>/` and the clean step keeps the one it
 * replaced (queries may still read it), so a glob over a table's folder reads a re-exported day
 * twice. The catalog names each partition's current version; that version's `_manifest.json`
 * lists its files. Ports only (catalog, object store): the same on both runtimes.
 */
import { ThermoclineError, UsageError } from '#core/errors';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';

/** The lake as a reader sees it. */
export interface LakeReadSide {
  readonly store: ObjectStore;
  readonly catalog: Catalog;
}

/** One catalog partition and the Parquet files of its current version. */
export interface CurrentPartition {
  readonly partition: CatalogPartition;
  /** Object keys of its Parquet files, in key order. */
  readonly keys: readonly string[];
  /** Where the list came from: the version's `_manifest.json`, or its folder when it has none. */
  readonly source: 'manifest' | 'folder';
}

/** The lake has no catalog yet (nothing exported). Exit code 1. */
export class NoCatalogError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'no_catalog', 1);
  }
}

/**
 * The catalog's tables, all of them or the ones named (in the order named). Throws
 * {@link NoCatalogError} when the catalog has no table yet, and a UsageError naming the known
 * tables for a name it does not have (and saying when that table is configured but not exported).
 * @example
 * await catalogTables(catalog, ['agent_tasks']); // [{ name: 'agent_tasks', columns, … }]
 */
export async function catalogTables(
  catalog: Catalog,
  names: readonly string[] = [],
  configured: readonly string[] = [],
): Promise<CatalogTable[]> {
  const tables = (await catalog.listTables()).sort((a, b) => a.name.localeCompare(b.name));
  if (tables.length === 0) {
    throw new NoCatalogError(
      `the lake has no catalog yet (${catalog.description} lists no table): run 'thermocline etl run' ` +
        `first (or 'npm start'), which exports the closed days and writes the catalog`,
    );
  }
  if (names.length === 0) return tables;
  return names.map((name) => {
    const table = tables.find((t) => t.name === name);
    if (table) return table;
    const known = tables.map((t) => t.name).join(', ');
    const hint = configured.includes(name)
      ? ` It is configured but nothing of it is exported yet: run 'thermocline etl run --table ${name}' first.`
      : '';
    throw new UsageError(
      `table '${name}' is not in the catalog ${catalog.description}; known tables: ${known}.${hint}`,
    );
  });
}

/** What a version's `_manifest.json` shares across its kinds (export, sync state, sync changes). */
interface FilesManifest {
  readonly files: readonly { readonly key: string }[];
}

/**
 * The current files of every catalog partition of `table`, partitions in the catalog's order.
 * Each partition's files are the ones its `_manifest.json` lists (the export's partition
 * manifest, the sync's current-state or changes manifest), so files of other versions or of runs
 * that died in the folder are never read; a partition without a manifest (written by another
 * tool) reads the Parquet files of its folder. A manifest that is not one, or that names a file
 * outside its partition, fails naming it.
 * @example
 * const partitions = await currentFiles({ store, catalog }, 'agent_tasks');
 * partitions[0]?.keys; // ['agent_tasks/year=2025/month=02/day=15/v=20250216T020000Z-1a2b3c/part-00000.parquet']
 */
export async function currentFiles(lake: LakeReadSide, table: string): Promise<CurrentPartition[]> {
  const partitions = await lake.catalog.listPartitions(table);
  const current: CurrentPartition[] = [];
  for (const partition of partitions) {
    const manifestKey = `${partition.location}_manifest.json`;
    const text = await lake.store.getText(manifestKey);
    if (text === undefined) {
      const keys = (await lake.store.list(partition.location))
        .map((o) => o.key)
        .filter((key) => key.endsWith('.parquet'));
      current.push({ partition, keys, source: 'folder' });
      continue;
    }
    const keys = manifestFiles(text, manifestKey, partition.location, lake.store.root);
    current.push({ partition, keys, source: 'manifest' });
  }
  return current;
}

function manifestFiles(text: string, key: string, location: string, root: string): string[] {
  const bad = (why: string): ThermoclineError =>
    new ThermoclineError(
      `${key} in ${root} ${why}; run 'thermocline verify' to see what the lake is missing, and ` +
        `export the day again ('thermocline backfill') to rewrite it`,
      'bad_manifest',
      1,
    );
  let parsed: FilesManifest;
  try {
    parsed = JSON.parse(text) as FilesManifest;
  } catch {
    throw bad('is not JSON');
  }
  if (!Array.isArray(parsed?.files)) throw bad('has no list of files');
  const keys = parsed.files.map((file) => file?.key);
  for (const fileKey of keys) {
    if (typeof fileKey !== 'string' || !fileKey.startsWith(location)) {
      throw bad(`names a file outside its partition folder ${location}: ${String(fileKey)}`);
    }
  }
  return keys.filter((fileKey) => fileKey.endsWith('.parquet')).sort();
}
