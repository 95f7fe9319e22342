/**
 * Where the local runtime keeps its lake: the directory `THERMOCLINE_HOME/lake/` (the default),
 * or a bucket on an S3-compatible server (MinIO, LocalStack, Amazon S3) when `AWS_ENDPOINT_URL_S3`
 * (the AWS SDK's standard variable) or `THERMOCLINE_LAKE_BUCKET` is set.
 *
 * *Decision — a local Parquet copy beside the bucket*: DuckDB, the local stand-in for Athena,
 * reads local files only (its httpfs extension is never installed: the engine runs offline with
 * external access locked to the lake directory). So the S3 lake keeps a copy of each Parquet file
 * under `THERMOCLINE_HOME/s3-cache/<bucket>/<prefix>`: written when the export uploads it, fetched
 * when a listing finds one the cache lacks. The bucket stays the source of truth: every read,
 * listing and check goes to S3; DuckDB reads the copies of the files a listing just named.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lakeRoot } from '#adapters/aws/lake-location';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { UsageError } from '#core/errors';
import type { ObjectInfo, ObjectStore, StoredObject } from '#ports/object-store';

/** The lake bucket's name when `THERMOCLINE_LAKE_BUCKET` is unset (also the file lake's name). */
export const DEFAULT_LAKE_BUCKET = 'thermocline-lake';

/** The local runtime's lake store and the bucket name `S3ParquetRead` steps use for it. */
export interface LocalLakeStore {
  /** The file lake, or the S3 lake with its local Parquet copies. */
  readonly store: FsObjectStore | CachedS3ObjectStore;
  /** The lake's bucket name: `THERMOCLINE_LAKE_BUCKET`, else `thermocline-lake`. */
  readonly bucket: string;
  /** Where the lake is, for people: `home/lake`, or `s3://bucket/prefix at <endpoint>`. */
  readonly where: string;
  /**
   * The store an `S3ParquetRead` step reads for bucket `name`: the lake (or, with a prefix, the
   * whole lake bucket) on its S3 server; undefined for any other bucket.
   */
  openBucket(name: string): ObjectStore | undefined;
}

/**
 * Chooses the local runtime's lake from the environment:
 * - `AWS_ENDPOINT_URL_S3` or `THERMOCLINE_LAKE_BUCKET` set: the bucket `THERMOCLINE_LAKE_BUCKET`
 *   (default `thermocline-lake`, which must exist) under `THERMOCLINE_LAKE_PREFIX` (default none)
 *   on that endpoint (path-style addressing), or on Amazon S3 when no endpoint is set; credentials
 *   and region from the standard AWS variables and chain (region default `us-east-1`);
 * - otherwise the directory `home/lake/`.
 * @example
 * const { store } = lakeObjectStore('.thermocline', {
 *   AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', THERMOCLINE_LAKE_BUCKET: 'lake',
 * });
 * store.remoteRoot; // 's3://lake/'
 */
export function lakeObjectStore(home: string, env: NodeJS.ProcessEnv): LocalLakeStore {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || undefined;
  const bucketVariable = env.THERMOCLINE_LAKE_BUCKET || undefined;
  if (!endpoint && !bucketVariable) {
    return {
      store: new FsObjectStore(join(home, 'lake')),
      bucket: DEFAULT_LAKE_BUCKET,
      where: join(home, 'lake'),
      openBucket: () => undefined,
    };
  }
  const bucket = bucketVariable ?? DEFAULT_LAKE_BUCKET;
  const prefix = env.THERMOCLINE_LAKE_PREFIX ?? '';
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new UsageError(
      `AWS_ENDPOINT_URL_S3 '${endpoint}' is not a URL; set it to the S3 server's address, e.g. http://127.0.0.1:9000`,
    );
  }
  try {
    lakeRoot(bucket, prefix);
  } catch (error) {
    throw new UsageError(
      `THERMOCLINE_LAKE_BUCKET/THERMOCLINE_LAKE_PREFIX: ${(error as Error).message}`,
    );
  }
  const client = s3ClientFromEnv(env);
  const store = new CachedS3ObjectStore(client, {
    bucket,
    prefix,
    cacheDir: join(home, 's3-cache', bucket, ...prefix.split('/').filter(Boolean)),
  });
  const whole = prefix === '' ? store : new S3ObjectStore(client, { bucket });
  return {
    store,
    bucket,
    where: `${store.remoteRoot}${endpoint ? ` at ${endpoint}` : ''}`,
    openBucket: (name) => (name === bucket ? whole : undefined),
  };
}

/**
 * An S3 client from the environment: `AWS_ENDPOINT_URL_S3` with path-style addressing (what
 * MinIO, LocalStack and most S3-compatible servers expect), the region from `AWS_REGION` or
 * `AWS_DEFAULT_REGION` (default `us-east-1`), the access key from `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) when set, else the SDK's credential chain.
 * @example
 * const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' });
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || undefined;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  });
}

/** Options of {@link CachedS3ObjectStore}. */
export interface CachedS3ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix of the lake in the bucket: '' or ending with '/'. @default '' */
  readonly prefix?: string;
  /** Where the local copies of the Parquet files go. */
  readonly cacheDir: string;
  /** Multipart part size of uploads. @default 16 MiB */
  readonly partSizeBytes?: number;
}

/**
 * The lake in an S3 bucket, with a local copy of each Parquet file for DuckDB. Writes, reads,
 * listings and deletes go to S3 ({@link S3ObjectStore}); `putFile` also copies the file into the
 * cache, `list` fetches the `.parquet` objects it names that the cache lacks (or holds at another
 * size), `deletePrefix` removes the copies too, and `locate` names the copy: the path DuckDB
 * reads. `root` is the cache folder (DuckDB's sandbox); `remoteRoot` the bucket's URL.
 * @example
 * const store = new CachedS3ObjectStore(client, { bucket: 'lake', cacheDir: '.thermocline/s3-cache/lake' });
 * await store.putFile('agent_tasks/…/part-00000.parquet', '/tmp/x.parquet'); // S3, then the copy
 * store.locate('agent_tasks/…/part-00000.parquet'); // '/…/.thermocline/s3-cache/lake/agent_tasks/…'
 */
export class CachedS3ObjectStore implements ObjectStore {
  /** The cache folder, absolute: where `locate` points. */
  readonly root: string;
  /** `s3://bucket/prefix`: where the lake is. */
  readonly remoteRoot: string;
  private readonly remote: S3ObjectStore;
  private readonly cache: FsObjectStore;

  constructor(
    private readonly client: S3Client,
    private readonly options: CachedS3ObjectStoreOptions,
  ) {
    this.remote = new S3ObjectStore(client, options);
    this.cache = new FsObjectStore(options.cacheDir);
    this.root = this.cache.root;
    this.remoteRoot = this.remote.root;
  }

  /** Uploads the file to S3, then copies it into the cache. */
  async putFile(key: string, path: string): Promise<StoredObject> {
    const stored = await this.remote.putFile(key, path);
    if (key.endsWith('.parquet')) await this.cache.putFile(key, path);
    return stored;
  }

  putText(key: string, text: string, contentType?: string): Promise<ObjectInfo> {
    return this.remote.putText(key, text, contentType);
  }

  getText(key: string): Promise<string | undefined> {
    return this.remote.getText(key);
  }

  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.remote.getRange(key, offset, length);
  }

  sha256(key: string): Promise<StoredObject | undefined> {
    return this.remote.sha256(key);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.remote.head(key);
  }

  /** The S3 listing; each `.parquet` object in it is in the cache, at its size, on return. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    const objects = await this.remote.list(prefix);
    for (const object of objects) {
      if (!object.key.endsWith('.parquet')) continue;
      const copy = await this.cache.head(object.key);
      if (copy?.bytes !== object.bytes) await this.fetch(object.key);
    }
    return objects;
  }

  /** Deletes from S3, then the cached copies; resolves to how many objects went from S3. */
  async deletePrefix(prefix: string): Promise<number> {
    const deleted = await this.remote.deletePrefix(prefix);
    await this.cache.deletePrefix(prefix);
    return deleted;
  }

  /** Removes the cache's temporary files left by writers that died. */
  sweep(prefix: string): Promise<number> {
    return this.cache.sweep(prefix);
  }

  /** The local copy's path (what DuckDB reads). */
  locate(key: string): string {
    return this.cache.locate(key);
  }

  /** Downloads an object into the cache (streamed to a temporary file, then put atomically). */
  private async fetch(key: string): Promise<void> {
    const temporary = join(
      tmpdir(),
      `thermocline-s3-${process.pid}-${randomBytes(6).toString('hex')}`,
    );
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: (this.options.prefix ?? '') + key,
        }),
      );
      await pipeline(response.Body as Readable, createWriteStream(temporary));
      await this.cache.putFile(key, temporary);
    } finally {
      await rm(temporary, { force: true });
    }
  }
}
