/**
 * A real S3 protocol for the integration tests: `s3rver` (an S3-compatible server on the file
 * system) on 127.0.0.1 with a free port, its objects in a temporary folder removed on close.
 *
 * s3rver answers AbortMultipartUpload (`DELETE /bucket/key?uploadId=…`) with MethodNotAllowed;
 * lib-storage sends it when a multipart upload fails, so a small handler in front of s3rver's
 * router removes the upload's parts and answers 204, as S3 does. And s3rver's ListObjectsV2
 * continuation tokens are DES-encrypted, a cipher OpenSSL 3 (Node >= 17) no longer offers, so its
 * second page fails with InternalError: a second handler serves ListObjectsV2 from s3rver's own
 * store with an opaque token (the base64 of the last key listed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import S3Object from 's3rver/lib/models/object.js';

/** A running S3 server and how to reach it. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`: the value of `AWS_ENDPOINT_URL_S3`. */
  readonly endpoint: string;
  /** Where s3rver keeps buckets and objects. */
  readonly directory: string;
  /**
   * The environment that points the AWS SDK at this server: `AWS_ENDPOINT_URL_S3`, s3rver's
   * fixed access key (`S3RVER`), a region.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Upload IDs of the multipart uploads aborted so far. */
  readonly aborted: readonly string[];
  /** Every request so far, in arrival order. */
  readonly requests: readonly S3Request[];
  /**
   * Answers the next request that `matches` with an S3 error (status and code) instead of
   * serving it: a fault the client cannot retry away when the status is 4xx.
   */
  failNext(matches: (request: S3Request) => boolean, status: number, code: string): void;
  /**
   * Stores small objects straight through s3rver's file store, not the protocol: the quick way to
   * prepare more than a page of keys. Resolves when every object reads back at its size.
   */
  seed(bucket: string, objects: readonly { key: string; text: string }[]): Promise<void>;
  /** A path-style client for this server. */
  client(): S3Client;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

/** One request as the server saw it. */
export interface S3Request {
  readonly method: string;
  /** `/bucket/key`, URL-encoded. */
  readonly path: string;
  /** The query string without `?`, e.g. `partNumber=2&uploadId=…`. */
  readonly query: string;
  /** The Range header, when sent. */
  readonly range?: string;
  /** The response's HTTP status, once answered. */
  status?: number;
}

/** Koa's context, as far as the abort handler reads and writes it. */
interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  status: number;
  body: unknown;
  store: {
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getBucket(bucket: string): Promise<unknown>;
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{
      objects: { key: string; size: number; lastModifiedDate: Date; metadata: { etag?: string } }[];
      isTruncated: boolean;
    }>;
  };
}

/** s3rver's file store, as far as {@link S3Server.seed} uses it. */
interface SeedStore {
  putObject(object: S3Object): Promise<unknown>;
  listObjects: KoaContext['store']['listObjects'];
}

/** ListObjectsV2 (`GET /bucket?list-type=2`, no delimiter) from s3rver's store, paged by 1000. */
async function listObjectsV2(ctx: KoaContext): Promise<void> {
  const bucket = decodeURIComponent(ctx.path.split('/')[1] ?? '');
  if (!(await ctx.store.getBucket(bucket))) {
    ctx.status = 404;
    ctx.body = { Error: { Code: 'NoSuchBucket', Message: 'The specified bucket does not exist' } };
    return;
  }
  const prefix = ctx.query.prefix ?? '';
  const token = ctx.query['continuation-token'];
  const startAfter = token
    ? Buffer.from(token, 'base64url').toString('utf8')
    : (ctx.query['start-after'] ?? '');
  const maxKeys = Math.min(1000, Number(ctx.query['max-keys'] ?? 1000));
  const result = await ctx.store.listObjects(bucket, { prefix, startAfter, maxKeys });
  const last = result.objects[result.objects.length - 1];
  ctx.body = {
    ListBucketResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Name: bucket,
      Prefix: prefix,
      ...(token ? { ContinuationToken: token } : {}),
      ...(result.isTruncated && last
        ? { NextContinuationToken: Buffer.from(last.key, 'utf8').toString('base64url') }
        : {}),
      KeyCount: result.objects.length,
      MaxKeys: maxKeys,
      IsTruncated: result.isTruncated,
      Contents: result.objects.map((object) => ({
        Key: object.key,
        LastModified: object.lastModifiedDate.toISOString(),
        ETag: object.metadata.etag,
        Size: object.size,
        StorageClass: 'STANDARD',
      })),
    },
  };
}

/**
 * Starts s3rver on 127.0.0.1 with the given buckets.
 * @example
 * const s3 = await startS3Server(['thermocline-lake']);
 * const store = new S3ObjectStore(s3.client(), { bucket: 'thermocline-lake' });
 * await s3.close();
 */
export async function startS3Server(buckets: readonly string[]): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'thermocline-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const aborted: string[] = [];
  const requests: S3Request[] = [];
  const faults: { matches: (r: S3Request) => boolean; status: number; code: string }[] = [];
  // In front of the router (Koa's last middleware), behind s3rver's XML encoding of error bodies:
  // log each request, and answer it with a planned fault.
  server.middleware.splice(server.middleware.length - 1, 0, async (raw, next) => {
    const ctx = raw as KoaContext;
    const range = ctx.headers.range;
    const request: S3Request = {
      method: ctx.method,
      path: ctx.path,
      query: ctx.querystring,
      ...(range ? { range } : {}),
    };
    requests.push(request);
    const fault = faults.findIndex((f) => f.matches(request));
    if (fault < 0) {
      try {
        await next();
      } finally {
        request.status = ctx.status;
      }
      return;
    }
    const [{ status, code }] = faults.splice(fault, 1) as [(typeof faults)[number]];
    ctx.status = status;
    ctx.body = { Error: { Code: code, Message: `injected by the test: ${code}` } };
    request.status = status;
  });
  // Then ListObjectsV2, paged with tokens Node can make.
  server.middleware.splice(server.middleware.length - 1, 0, async (raw, next) => {
    const ctx = raw as KoaContext;
    const isBucket = /^\/[^/]+\/?$/.test(ctx.path);
    if (
      ctx.method !== 'GET' ||
      !isBucket ||
      ctx.query['list-type'] !== '2' ||
      ctx.query.delimiter
    ) {
      return next();
    }
    await listObjectsV2(ctx);
  });
  // Then AbortMultipartUpload.
  server.middleware.splice(server.middleware.length - 1, 0, async (raw, next) => {
    const ctx = raw as KoaContext;
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || uploadId === undefined) return next();
    const bucket = decodeURIComponent(ctx.path.split('/')[1] ?? '');
    if (!/^[0-9a-f]+$/.test(uploadId)) {
      ctx.status = 404;
      ctx.body = { Error: { Code: 'NoSuchUpload', Message: 'The upload ID is not valid' } };
      return;
    }
    await rm(join(ctx.store.getResourcePath(bucket, undefined, 'uploads'), uploadId), {
      recursive: true,
      force: true,
    });
    aborted.push(uploadId);
    ctx.status = 204;
    ctx.body = null;
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  };
  const clients: S3Client[] = [];
  return {
    endpoint,
    directory,
    env,
    aborted,
    requests,
    failNext: (matches, status, code) => {
      faults.push({ matches, status, code });
    },
    seed: async (bucket, objects) => {
      const store = (server as unknown as { store: SeedStore }).store;
      for (let i = 0; i < objects.length; i += 50) {
        await Promise.all(
          objects
            .slice(i, i + 50)
            .map(({ key, text }) =>
              store.putObject(
                new S3Object(bucket, key, Buffer.from(text), { 'content-type': 'text/plain' }),
              ),
            ),
        );
      }
      // putObject resolves before its write stream has flushed: wait until every size shows.
      const sizes = new Map(objects.map((o) => [o.key, Buffer.byteLength(o.text)]));
      for (let attempt = 0; ; attempt += 1) {
        const listed = await store.listObjects(bucket, {});
        const ready = listed.objects.filter((o) => sizes.get(o.key) === o.size).length;
        if (ready === sizes.size) return;
        if (attempt === 50)
          throw new Error(`seeding ${bucket}: ${ready} of ${sizes.size} objects stored`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    client: () => {
      const client = new S3Client({
        endpoint,
        forcePathStyle: true,
        region: env.AWS_REGION,
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        },
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
