/**
 * The object store port: the data lake as the ETL and the query side see it. Keys are relative
 * to the lake's root and use `/`. The AWS adapter is S3; the local adapter is a directory.
 */

/** One stored object. */
export interface ObjectInfo {
  readonly key: string;
  readonly bytes: number;
}

/** An object with the SHA-256 of its bytes: what a file's content is checked against. */
export interface StoredObject extends ObjectInfo {
  /** Lowercase hex SHA-256 of the object's bytes. */
  readonly sha256: string;
}

/** The lake's storage. Every write is all-or-nothing per object: readers never see half a file. */
export interface ObjectStore {
  /** Where the lake is, for messages: `s3://bucket/prefix` or an absolute directory. */
  readonly root: string;
  /**
   * Stores a local file under `key` (S3: multipart upload, aborted on failure; local: copy to a
   * temporary name, then rename). Resolves to the size and the SHA-256 of the bytes stored.
   * @example
   * const { bytes, sha256 } = await store.putFile('agent_tasks/year=2025/month=02/day=15/v=r1/part-00000.parquet', '/tmp/x.parquet');
   */
  putFile(key: string, path: string): Promise<StoredObject>;
  /** Stores a small text object (manifests, markers). */
  putText(key: string, text: string, contentType?: string): Promise<ObjectInfo>;
  /** A small text object, or undefined when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** `length` bytes from `offset` (S3: a ranged GET). */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Reads a whole object as a stream (bounded memory) and resolves to its size and SHA-256, or
   * undefined when there is none: how retention checks that a published file is unchanged.
   * @example
   * (await store.sha256('agent_tasks/…/v=r1/part-00000.parquet'))?.sha256; // '9f86d0…'
   */
  sha256(key: string): Promise<StoredObject | undefined>;
  /** Size of an object, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes every object whose key starts with `prefix`; resolves to how many went. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Removes what writers that died mid-put left under `prefix` (the local store's temporary
   * files of processes that no longer run); resolves to how many went. Optional: S3 keeps no
   * partial objects (the lake's lifecycle rule aborts incomplete multipart uploads).
   */
  sweep?(prefix: string): Promise<number>;
  /** The location an engine reads `key` from: an `s3://` URL or a local path. */
  locate(key: string): string;
}
