/**
 * The S3 adapter against a real S3 protocol: s3rver on 127.0.0.1 (test/support/s3-server.ts).
 * Uploads (one PutObject, multipart through lib-storage, the abort of a failed one), ranged GETs
 * as hyparquet issues them, listings past one page, deletes and the answers for what is missing.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { readParquetObject } from '#adapters/hyparquet/parquet-read';
import { startS3Server, type S3Server } from '#test/support/s3-server';

const BUCKET = 'thermocline-lake';
const MiB = 1024 * 1024;

let s3: S3Server;
let dir: string;

beforeAll(async () => {
  s3 = await startS3Server([BUCKET]);
  dir = await mkdtemp(join(tmpdir(), 'thermocline-s3-store-'));
});

afterAll(async () => {
  await s3?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function lake(prefix = 'lake/'): S3ObjectStore {
  return new S3ObjectStore(s3.client(), { bucket: BUCKET, prefix, partSizeBytes: 5 * MiB });
}

/** A file of `bytes` pseudo-random bytes (so a misplaced part shows in the hash). */
async function randomFile(name: string, bytes: number): Promise<{ path: string; sha256: string }> {
  const content = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, i);
  const path = join(dir, name);
  await writeFile(path, content);
  return { path, sha256: createHash('sha256').update(content).digest('hex') };
}

function requestsSince(start: number): typeof s3.requests {
  return s3.requests.slice(start);
}

describe('S3ObjectStore uploads on a real S3 server', () => {
  it('puts a small Parquet file with one PutObject, its content type and its hash', async () => {
    const file = await randomFile('small.parquet', 64 * 1024);
    const start = s3.requests.length;

    const stored = await lake().putFile('t/year=2025/part-00000.parquet', file.path);

    expect(stored).toEqual({
      key: 't/year=2025/part-00000.parquet',
      bytes: 64 * 1024,
      sha256: file.sha256,
    });
    expect(requestsSince(start).map((r) => r.method)).toEqual(['PUT']);
    const head = await s3
      .client()
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'lake/t/year=2025/part-00000.parquet' }));
    expect(head.ContentType).toBe('application/vnd.apache.parquet');
    expect((await lake().sha256('t/year=2025/part-00000.parquet'))?.sha256).toBe(file.sha256);
  });

  it('uploads a file over the part size as a multipart upload whose object is the whole file', async () => {
    const file = await randomFile('large.parquet', 11 * MiB + 123);
    const start = s3.requests.length;

    const stored = await lake().putFile('t/large.parquet', file.path);

    const sent = requestsSince(start);
    expect(
      sent.filter((r) => r.method === 'POST' && /(^|&)uploads(=|&|$)/.test(r.query)),
    ).toHaveLength(1);
    expect(sent.filter((r) => r.method === 'PUT' && r.query.includes('partNumber='))).toHaveLength(
      3,
    );
    expect(sent.filter((r) => r.method === 'POST' && r.query.includes('uploadId='))).toHaveLength(
      1,
    );
    expect(stored.sha256).toBe(file.sha256);
    expect(await lake().sha256('t/large.parquet')).toEqual({
      key: 't/large.parquet',
      bytes: 11 * MiB + 123,
      sha256: file.sha256,
    });
  });

  it('aborts the multipart upload when a part is refused, leaving no object and no parts', async () => {
    const file = await randomFile('refused.parquet', 11 * MiB);
    s3.failNext((r) => r.method === 'PUT' && r.query.includes('partNumber=2'), 403, 'AccessDenied');
    const aborted = s3.aborted.length;

    await expect(lake().putFile('t/refused.parquet', file.path)).rejects.toThrow(
      /uploading .*refused\.parquet to s3:\/\/thermocline-lake\/lake\/t\/refused\.parquet failed \(any multipart upload was aborted\)/,
    );

    expect(s3.aborted.length).toBe(aborted + 1);
    expect(await lake().head('t/refused.parquet')).toBeUndefined();
    const uploads = await readdir(join(s3.directory, BUCKET)).then((names) =>
      names.filter((n) => n.includes('uploads')),
    );
    for (const folder of uploads) {
      expect(await readdir(join(s3.directory, BUCKET, folder))).toEqual([]);
    }
  });
});

describe('S3ObjectStore reads on a real S3 server', () => {
  let parquet: { path: string; bytes: number };

  beforeAll(async () => {
    const path = join(dir, 'members.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT i AS id, 'member-' || i AS name, i * 1.5 AS score FROM range(20000) t(i)) ` +
        `TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 5000)`,
    );
    connection.closeSync();
    instance.closeSync();
    parquet = { path, bytes: (await readFile(path)).length };
    await lake().putFile('members/members.parquet', path);
  });

  it('reads a Parquet object as hyparquet does: footer first, then ranged GETs of its chunks', async () => {
    const start = s3.requests.length;

    const result = await readParquetObject(lake(), 'members/members.parquet', {
      columns: ['id', 'name'],
      limit: 3,
    });

    expect(result.rows).toEqual([
      { id: 0, name: 'member-0' },
      { id: 1, name: 'member-1' },
      { id: 2, name: 'member-2' },
    ]);
    const gets = requestsSince(start).filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThan(0);
    for (const get of gets) expect(get.range).toMatch(/^bytes=\d+-\d+$/);
    expect(gets[0]?.range).toBe(`bytes=${Math.max(0, parquet.bytes - 65536)}-${parquet.bytes - 1}`);
    expect(result.bytesScanned).toBeLessThan(parquet.bytes);
  });

  it('returns exactly the bytes of a range', async () => {
    const expected = (await readFile(parquet.path)).subarray(100, 150);

    const bytes = await lake().getRange('members/members.parquet', 100, 50);

    expect(Buffer.from(bytes).equals(expected)).toBe(true);
  });

  it('fails a range past the end of the object, saying to read its size first', async () => {
    await expect(
      lake().getRange('members/members.parquet', parquet.bytes - 10, 20),
    ).rejects.toThrow(
      /returned 10 bytes for bytes=\d+-\d+ \(20 asked\).*read its size with head\(\) first/,
    );
  });

  it('answers undefined for the text, head and hash of a key the bucket does not have', async () => {
    const store = lake();

    expect(await store.getText('members/none.json')).toBeUndefined();
    expect(await store.head('members/none.parquet')).toBeUndefined();
    expect(await store.sha256('members/none.parquet')).toBeUndefined();
  });

  it('fails a read from a bucket that does not exist, with S3 error code NoSuchBucket', async () => {
    const store = new S3ObjectStore(s3.client(), { bucket: 'no-such-bucket' });

    await expect(store.list('')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});

describe('S3ObjectStore listing and deletes on a real S3 server', () => {
  const COUNT = 1005;

  beforeAll(async () => {
    const keys = Array.from({ length: COUNT }, (_, i) => `many/${String(i).padStart(4, '0')}.json`);
    await s3.seed(BUCKET, [
      ...keys.map((key) => ({ key: `lake/${key}`, text: '{}' })),
      { key: 'outside/keep.json', text: '{"outside":true}' },
    ]);
  });

  it('lists more than 1000 keys by following the continuation token, prefix stripped', async () => {
    const start = s3.requests.length;

    const objects = await lake().list('many/');

    expect(objects).toHaveLength(COUNT);
    expect(objects[0]).toEqual({ key: 'many/0000.json', bytes: 2 });
    expect(objects[COUNT - 1]).toEqual({ key: 'many/1004.json', bytes: 2 });
    const pages = requestsSince(start).filter((r) => r.method === 'GET');
    expect(pages).toHaveLength(2);
    expect(pages[1]?.query).toContain('continuation-token=');
  });

  it('deletes more than 1000 keys in two DeleteObjects requests, and nothing outside the prefix', async () => {
    const start = s3.requests.length;

    const deleted = await lake().deletePrefix('many/');

    expect(deleted).toBe(COUNT);
    expect(
      requestsSince(start).filter(
        (r) => r.method === 'POST' && r.query.startsWith('delete') && r.status === 200,
      ),
    ).toHaveLength(2);
    expect(await lake().list('many/')).toEqual([]);
    expect(await lake('').getText('outside/keep.json')).toBe('{"outside":true}');
  });
});
