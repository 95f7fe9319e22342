import { join } from 'node:path';
import { FileCatalog } from '#adapters/local/file-catalog';
import { FsObjectStore } from '#adapters/local/fs-object-store';

/**
 * The local runtime's lake: Parquet files under `home/lake/`, the catalog in `home/catalog.json`.
 * @example
 * const { store, catalog } = openLocalLake('.thermocline');
 */
export function openLocalLake(home: string): { store: FsObjectStore; catalog: FileCatalog } {
  return {
    store: new FsObjectStore(join(home, 'lake')),
    catalog: new FileCatalog(join(home, 'catalog.json')),
  };
}
