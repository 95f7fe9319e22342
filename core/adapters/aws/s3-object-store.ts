import { hasDotDot, lakeRoot } from '#adapters/aws/lake-location';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Transform } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UsageError } from '#core/errors';
import type { ObjectInfo, ObjectStore, StoredObject } from '#ports/object-store';

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** The lake bucket, e.g. `thermocline-lake-123456789012`. */
  readonly bucket: string;
  /**
   * Key prefix of the lake inside the bucket: `''` or a prefix ending with `/`, e.g. `lake/`.
   * @default '' - the lake is the whole bucket
   */
  readonly prefix?: string;
  /**
   * Part size of multipart uploads; a file up to this size is one PutObject. lib-storage refuses
   * less than 5 MiB (S3's minimum part size).
   * @default 16 MiB
   */
  readonly partSizeBytes?: number;
}

/** Part size of multipart uploads: 16 MiB (S3 allows 5 MiB to 5 GiB; 10,000 parts at most). */
const S3_PART_SIZE_BYTES = 16 * 1024 * 1024;

/** How many parts of one file are uploaded at the same time. */
const S3_UPLOAD_QUEUE_SIZE = 4;

/** Keys per DeleteObjects request: the S3 maximum. */
const S3_DELETE_BATCH_SIZE = 1000;

/** Content type of Apache Parquet files (IANA registration, 2024). */
const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/**
 * The lake on Amazon S3. Keys given to the store are relative to the lake root; the store adds
 * its prefix on the way in and removes it on the way out. Objects are written with the bucket's
 * default encryption (no `ServerSideEncryption` is sent), so the bucket policy decides SSE-S3 or
 * SSE-KMS.
 * @example
 * const store = new S3ObjectStore(new S3Client({}), { bucket: 'thermocline-lake', prefix: 'lake/' });
 * await store.putFile('agent_tasks/year=2025/month=02/day=15/v=r1/part-00000.parquet', '/tmp/x.parquet');
 * store.locate('agent_tasks/'); // 's3://thermocline-lake/lake/agent_tasks/'
 */
export class S3ObjectStore implements ObjectStore {
  /** `s3://bucket/prefix`, for messages. */
  readonly root: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSizeBytes: number;

  constructor(
    private readonly client: S3Client,
    options: S3ObjectStoreOptions,
  ) {
    const prefix = options.prefix ?? '';
    this.root = lakeRoot(options.bucket, prefix);
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.partSizeBytes = options.partSizeBytes ?? S3_PART_SIZE_BYTES;
  }

  /**
   * Uploads a local file with `@aws-sdk/lib-storage` `Upload`: one PutObject for a file up to
   * the part size (16 MiB by default), otherwise a multipart upload of such parts, 4 at a time. The object appears only
   * when CompleteMultipartUpload succeeds, so readers never see half a file.
   *
   * On failure the multipart upload is aborted, so no orphaned parts are left to pay for: with
   * `leavePartsOnError: false`, `Upload.done()` catches the first failed part (or a failed
   * CompleteMultipartUpload, or a part count that does not match the file size), and its
   * `markUploadAsAborted()` sends `AbortMultipartUploadCommand({ Bucket, Key, UploadId })`
   * before rethrowing (lib-storage `src/Upload.ts`, `__doMultipartUpload`). The bucket's
   * lifecycle rule for incomplete multipart uploads remains the backstop for a crashed process.
   *
   * The SHA-256 is computed from the very stream the upload reads (lib-storage reads it once and
   * buffers each part for its retries), so it is the hash of the bytes sent.
   */
  async putFile(key: string, path: string): Promise<StoredObject> {
    checkKey(key);
    const { size } = await stat(path);
    const hash = createHash('sha256');
    let hashed = 0;
    // pipeline(): a read error destroys the hashing stream, which fails the upload.
    const body = pipeline(
      createReadStream(path),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          hashed += chunk.length;
          done(null, chunk);
        },
      }),
      () => undefined,
    );
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: body,
        ContentLength: size,
        ContentType: fileContentType(key),
      },
      partSize: this.partSizeBytes,
      queueSize: S3_UPLOAD_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw new Error(
        `uploading ${path} to ${this.locate(key)} failed (any multipart upload was aborted): ${messageOf(error)}`,
        { cause: error },
      );
    }
    if (hashed !== size) {
      throw new Error(
        `uploading ${path} to ${this.locate(key)}: ${hashed} bytes were sent, the file has ${size} ` +
          '(it changed during the upload); export it again',
      );
    }
    return { key, bytes: size, sha256: hash.digest('hex') };
  }

  /**
   * Stores a small text object with one PutObject. `contentType` defaults to `application/json`
   * for `.json` keys and `text/plain; charset=utf-8` otherwise.
   */
  async putText(key: string, text: string, contentType?: string): Promise<ObjectInfo> {
    checkKey(key);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: text,
        ContentType: contentType ?? textContentType(key),
      }),
    );
    return { key, bytes: Buffer.byteLength(text, 'utf8') };
  }

  /** The object as UTF-8 text, or undefined when S3 answers `NoSuchKey`. */
  async getText(key: string): Promise<string | undefined> {
    checkKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return (await response.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** `length` bytes from `offset`, with one ranged GetObject (`Range: bytes=first-last`). */
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkKey(key);
    if (
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      !Number.isSafeInteger(length) ||
      length < 0
    ) {
      throw new UsageError(
        `byte range offset=${offset} length=${length} of ${this.locate(key)} is not valid; both must be integers >= 0`,
      );
    }
    if (length === 0) return new Uint8Array(0);
    const range = `bytes=${offset}-${offset + length - 1}`;
    const response = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range: range }),
    );
    const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
    if (bytes.length !== length) {
      throw new Error(
        `${this.locate(key)} returned ${bytes.length} bytes for ${range} (${length} asked); ` +
          'the object is shorter than the range: read its size with head() first',
      );
    }
    return bytes;
  }

  /**
   * Streams the object with one GetObject and hashes it; undefined when S3 answers `NoSuchKey`.
   * An object in an archive storage class (Glacier Flexible Retrieval, Deep Archive) cannot be
   * read before it is restored: that fails, naming the object and the class.
   */
  async sha256(key: string): Promise<StoredObject | undefined> {
    checkKey(key);
    let response;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
    } catch (error) {
      const name = errorName(error);
      if (name === 'NoSuchKey') return undefined;
      if (name === 'InvalidObjectState') {
        throw new Error(
          `${this.locate(key)} is archived (${messageOf(error)}) and cannot be read to check its ` +
            'content: restore it (aws s3api restore-object), or keep lake objects out of Glacier ' +
            'Flexible Retrieval until retention has deleted their hot rows',
          { cause: error },
        );
      }
      throw error;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of (response.Body ?? []) as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { key, bytes, sha256: hash.digest('hex') };
  }

  /** The object's size from HeadObject, or undefined when S3 answers `NotFound`. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    try {
      const response = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return { key, bytes: response.ContentLength ?? 0 };
    } catch (error) {
      const name = errorName(error);
      if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** Every object under `prefix`, in S3's key order, following ListObjectsV2 continuation. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    checkKey(prefix, 'prefix');
    const objects: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({ key: this.relative(object.Key), bytes: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /**
   * Lists `prefix`, then deletes what it found with DeleteObjects, 1000 keys per request in quiet
   * mode. Throws, naming the first failed key and its S3 error code, when S3 reports any failure.
   */
  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (let start = 0; start < objects.length; start += S3_DELETE_BATCH_SIZE) {
      const batch = objects.slice(start, start + S3_DELETE_BATCH_SIZE);
      const response = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((o) => ({ Key: this.prefix + o.key })), Quiet: true },
        }),
      );
      const errors = response.Errors ?? [];
      const first = errors[0];
      if (first) {
        throw new Error(
          `deleting ${this.root}${prefix} failed for ${errors.length} of ${batch.length} objects; ` +
            `first: s3://${this.bucket}/${first.Key ?? '?'}: ${first.Code ?? 'unknown'} ` +
            `(${first.Message ?? 'no message'}); check the permissions and retry`,
        );
      }
    }
    return objects.length;
  }

  /** `s3://bucket/prefix+key`. */
  locate(key: string): string {
    checkKey(key, 'prefix');
    return this.root + key;
  }

  private relative(s3Key: string): string {
    if (!s3Key.startsWith(this.prefix)) {
      throw new Error(`S3 returned key '${s3Key}' outside the lake prefix '${this.prefix}'`);
    }
    return s3Key.slice(this.prefix.length);
  }
}

/** Throws when `key` is absolute or climbs with `..`; `kind: 'prefix'` also allows ''. */
function checkKey(key: string, kind: 'key' | 'prefix' = 'key'): void {
  if (kind === 'key' && key === '') {
    throw new UsageError(
      "object key '' is empty; pass a key relative to the lake root, e.g. 'agent_tasks/_manifest.json'",
    );
  }
  if (key.startsWith('/') || hasDotDot(key)) {
    throw new UsageError(
      `object ${kind} '${key}' is not valid; keys are relative to the lake root: no leading '/' and no '..' segments`,
    );
  }
}

function fileContentType(key: string): string {
  if (key.endsWith('.parquet')) return PARQUET_CONTENT_TYPE;
  if (key.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

function textContentType(key: string): string {
  return key.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8';
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
