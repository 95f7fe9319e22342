import { join } from 'node:path';
import { FileCatalog } from '#adapters/local/file-catalog';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { lakeObjectStore, type LocalLakeStore } from '#adapters/local/lake-store';
import { UsageError } from '#core/errors';

/**
 * The local runtime's lake: Parquet files under `home/lake/` — or, when `env` sets
 * `AWS_ENDPOINT_URL_S3` or `THERMOCLINE_LAKE_BUCKET`, in that bucket ({@link lakeObjectStore}) —
 * and the catalog in `home/catalog.json`.
 * @example
 * const { store, catalog } = openLocalLake('.thermocline');
 */
export function openLocalLake(
  home: string,
  env: NodeJS.ProcessEnv = {},
): LocalLakeStore & { catalog: FileCatalog } {
  return { ...lakeObjectStore(home, env), catalog: new FileCatalog(join(home, 'catalog.json')) };
}

/**
 * An external S3 source's bucket in the local runtime: the directory `home/s3/<bucket>/`, so a
 * configured `s3_sources` entry reads the same keys locally as on AWS.
 * @example
 * const bucket = openLocalBucket('.thermocline', 'analytics-exports');
 * await bucket.list('events/'); // home/s3/analytics-exports/events/…
 */
export function openLocalBucket(home: string, bucket: string): FsObjectStore {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new UsageError(
      `'${bucket}' is not an S3 bucket name; use 3-63 lowercase letters, digits, '.' and '-'`,
    );
  }
  return new FsObjectStore(join(home, 's3', bucket));
}
