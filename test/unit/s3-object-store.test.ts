import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  InvalidObjectState,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';

const s3Mock = mockClient(S3Client);
const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const MiB = 1024 * 1024;

function lake(prefix = 'lake/'): S3ObjectStore {
  return new S3ObjectStore(client, { bucket: 'thermocline-lake', prefix });
}

/**
 * A GetObject body with the two SDK stream helpers the store uses (`transformToString`,
 * `transformToByteArray`), so the test needs no stream package.
 */
function body(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  const stream = {
    transformToString: async () => Buffer.from(bytes).toString('utf8'),
    transformToByteArray: async () => bytes,
  };
  return stream as unknown as GetObjectCommandOutput['Body'];
}

let dir: string | undefined;

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fileOf(name: string, bytes: number): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'thermocline-s3-test-'));
  const path = join(dir, name);
  await writeFile(path, Buffer.alloc(bytes, 7));
  return path;
}

afterEach(async () => {
  s3Mock.reset();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('S3ObjectStore keys and prefix', () => {
  it('prepends the lake prefix to the key it writes', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const info = await lake().putText('agent_tasks/_manifest.json', '{"v":1}');

    // Assess
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'thermocline-lake',
      Key: 'lake/agent_tasks/_manifest.json',
      Body: '{"v":1}',
      ContentType: 'application/json',
    });
    expect(info).toEqual({ key: 'agent_tasks/_manifest.json', bytes: 7 });
  });

  it('strips the lake prefix from the keys it lists', async () => {
    // Prepare
    s3Mock.on(ListObjectsV2Command).resolves({
      IsTruncated: false,
      Contents: [
        { Key: 'lake/agent_tasks/a.parquet', Size: 10 },
        { Key: 'lake/agent_tasks/b.parquet', Size: 20 },
      ],
    });

    // Act
    const objects = await lake().list('agent_tasks/');

    // Assess
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: 'thermocline-lake',
      Prefix: 'lake/agent_tasks/',
      ContinuationToken: undefined,
    });
    expect(objects).toEqual([
      { key: 'agent_tasks/a.parquet', bytes: 10 },
      { key: 'agent_tasks/b.parquet', bytes: 20 },
    ]);
  });

  it('uses keys as given when the prefix is empty', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 42 });

    // Act
    const info = await lake('').head('agent_tasks/a.parquet');

    // Assess
    expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'thermocline-lake',
      Key: 'agent_tasks/a.parquet',
    });
    expect(info).toEqual({ key: 'agent_tasks/a.parquet', bytes: 42 });
  });

  it('locates a key as an s3:// URL under the prefix', () => {
    // Act
    const url = lake().locate('agent_tasks/year=2025/');

    // Assess
    expect(url).toBe('s3://thermocline-lake/lake/agent_tasks/year=2025/');
  });

  it('rejects a key with a .. segment, showing the key', async () => {
    // Act
    const result = lake().getText('agent_tasks/../secrets.json');

    // Assess
    await expect(result).rejects.toThrow(/'agent_tasks\/\.\.\/secrets\.json' is not valid/);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('rejects an absolute key', () => {
    // Act
    const act = (): string => lake().locate('/agent_tasks/');

    // Assess
    expect(act).toThrow(/'\/agent_tasks\/' is not valid; .*no leading '\/'/);
  });

  it('rejects a lake prefix that does not end with /', () => {
    // Act
    const act = (): S3ObjectStore => lake('lake');

    // Assess
    expect(act).toThrow(/S3 lake prefix 'lake' is not valid/);
  });
});

describe('S3ObjectStore reads', () => {
  it('asks for an inclusive byte range', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).resolves({ Body: body(new Uint8Array(50).fill(1)) });

    // Act
    const bytes = await lake().getRange('agent_tasks/a.parquet', 100, 50);

    // Assess
    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'thermocline-lake',
      Key: 'lake/agent_tasks/a.parquet',
      Range: 'bytes=100-149',
    });
    expect(bytes).toEqual(new Uint8Array(50).fill(1));
  });

  it('fails when S3 returns fewer bytes than the range asked', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).resolves({ Body: body(new Uint8Array(8)) });

    // Act
    const result = lake().getRange('agent_tasks/a.parquet', 0, 16);

    // Assess
    await expect(result).rejects.toThrow(/returned 8 bytes for bytes=0-15/);
  });

  it('reads a text object', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).resolves({ Body: body(Buffer.from('{"v":1}')) });

    // Act
    const text = await lake().getText('agent_tasks/_manifest.json');

    // Assess
    expect(text).toBe('{"v":1}');
  });

  it('answers undefined for a text object S3 does not have', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    // Act
    const text = await lake().getText('agent_tasks/_manifest.json');

    // Assess
    expect(text).toBeUndefined();
  });

  it('hashes a whole object streamed with one GetObject', async () => {
    // Prepare
    const chunks = [Buffer.alloc(3000, 1), Buffer.alloc(5, 2)];
    s3Mock
      .on(GetObjectCommand)
      .resolves({ Body: Readable.from(chunks) as unknown as GetObjectCommandOutput['Body'] });

    // Act
    const stored = await lake().sha256('t/v=r1/part-00000.parquet');

    // Assess
    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'thermocline-lake',
      Key: 'lake/t/v=r1/part-00000.parquet',
    });
    expect(stored).toEqual({
      key: 't/v=r1/part-00000.parquet',
      bytes: 3005,
      sha256: sha256Of(Buffer.concat(chunks)),
    });
  });

  it('answers undefined for the hash of an object S3 does not have', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    // Act
    const stored = await lake().sha256('t/v=r1/part-00000.parquet');

    // Assess
    expect(stored).toBeUndefined();
  });

  it('fails the hash of an archived object, naming it and the way out', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).rejects(
      new InvalidObjectState({
        message: 'The operation is not valid for the object storage class',
        $metadata: {},
      }),
    );

    // Act
    const stored = lake().sha256('t/v=r1/part-00000.parquet');

    // Assess
    await expect(stored).rejects.toThrow(
      /^s3:\/\/thermocline-lake\/lake\/t\/v=r1\/part-00000\.parquet is archived \(.*\) and cannot be read to check its content: restore it/,
    );
  });

  it('answers undefined for the head of an object S3 does not have', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: {} }));

    // Act
    const info = await lake().head('agent_tasks/a.parquet');

    // Assess
    expect(info).toBeUndefined();
  });

  it('follows the continuation token until the last page', async () => {
    // Prepare
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 'page-2',
        Contents: [{ Key: 'lake/t/a', Size: 1 }],
      })
      .resolvesOnce({ IsTruncated: false, Contents: [{ Key: 'lake/t/b', Size: 2 }] });

    // Act
    const objects = await lake().list('t/');

    // Assess
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'thermocline-lake', Prefix: 'lake/t/', ContinuationToken: undefined },
      { Bucket: 'thermocline-lake', Prefix: 'lake/t/', ContinuationToken: 'page-2' },
    ]);
    expect(objects.map((o) => o.key)).toEqual(['t/a', 't/b']);
  });
});

describe('S3ObjectStore deletePrefix', () => {
  const keys = Array.from({ length: 1001 }, (_, i) => `lake/t/part-${String(i).padStart(5, '0')}`);

  it('deletes 1001 objects in two quiet batches of 1000 and 1', async () => {
    // Prepare
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: keys.map((Key) => ({ Key, Size: 1 })) });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const deleted = await lake().deletePrefix('t/');

    // Assess
    const inputs = s3Mock.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      {
        Bucket: 'thermocline-lake',
        Delete: { Objects: keys.slice(0, 1000).map((Key) => ({ Key })), Quiet: true },
      },
      { Bucket: 'thermocline-lake', Delete: { Objects: [{ Key: keys[1000] }], Quiet: true } },
    ]);
    expect(deleted).toBe(1001);
  });

  it('throws naming the first key S3 could not delete and its code', async () => {
    // Prepare
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'lake/t/a', Size: 1 }] });
    s3Mock.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'lake/t/a', Code: 'AccessDenied', Message: 'Access Denied' }],
    });

    // Act
    const result = lake().deletePrefix('t/');

    // Assess
    await expect(result).rejects.toThrow(
      /s3:\/\/thermocline-lake\/lake\/t\/a: AccessDenied \(Access Denied\)/,
    );
  });
});

describe('S3ObjectStore putFile', () => {
  it('puts a small Parquet file in one request with its content type and no SSE header', async () => {
    // Prepare
    const path = await fileOf('small.parquet', 1024);
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const info = await lake().putFile('t/v=r1/part-00000.parquet', path);

    // Assess
    const input = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'thermocline-lake',
      Key: 'lake/t/v=r1/part-00000.parquet',
      ContentType: 'application/vnd.apache.parquet',
    });
    expect(input?.ServerSideEncryption).toBeUndefined();
    expect(info).toEqual({
      key: 't/v=r1/part-00000.parquet',
      bytes: 1024,
      sha256: sha256Of(Buffer.alloc(1024, 7)),
    });
  });

  it('uploads a file over 16 MiB as a multipart upload of 16 MiB parts', async () => {
    // Prepare
    const path = await fileOf('big.parquet', 16 * MiB + 1);
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3Mock.on(UploadPartCommand).resolves({ ETag: '"etag"' });
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});

    // Act
    const info = await lake().putFile('t/v=r1/part-00000.parquet', path);

    // Assess
    expect(info.sha256).toBe(sha256Of(Buffer.alloc(16 * MiB + 1, 7)));
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'thermocline-lake',
      Key: 'lake/t/v=r1/part-00000.parquet',
      ContentType: 'application/vnd.apache.parquet',
    });
    const parts = s3Mock.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
    expect(parts.map((p) => [p.PartNumber, (p.Body as Uint8Array).byteLength])).toEqual([
      [1, 16 * MiB],
      [2, 1],
    ]);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      UploadId: 'upload-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"etag"' },
          { PartNumber: 2, ETag: '"etag"' },
        ],
      },
    });
  });

  it('aborts the multipart upload when a part fails', async () => {
    // Prepare
    const path = await fileOf('big.parquet', 16 * MiB + 1);
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3Mock.on(UploadPartCommand).rejects(new Error('connection reset'));
    s3Mock.on(AbortMultipartUploadCommand).resolves({});

    // Act
    const result = lake().putFile('t/v=r1/part-00000.parquet', path);

    // Assess
    await expect(result).rejects.toThrow(
      /uploading .*big\.parquet to s3:\/\/thermocline-lake\/lake\/t\/v=r1\/part-00000\.parquet failed .*connection reset/,
    );
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'thermocline-lake', Key: 'lake/t/v=r1/part-00000.parquet', UploadId: 'upload-1' },
    ]);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });
});
