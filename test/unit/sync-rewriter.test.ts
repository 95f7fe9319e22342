import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parquetReadObjects } from 'hyparquet';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import type { ObjectStore } from '#ports/object-store';
import type { EncodedBatch } from '#ports/parquet-encoder';
import type { RewriteRequest } from '#ports/parquet-rewriter';

const COLUMNS = [
  { name: 'key', type: 'VARCHAR' },
  { name: 'amount', type: 'DECIMAL(14,2)' },
];

/** A store that, like S3, is not on the local file system: inputs must be fetched. */
function remote(store: FsObjectStore): ObjectStore {
  return {
    root: 's3://bucket/lake',
    putFile: (key, path) => store.putFile(key, path),
    putText: (key, text) => store.putText(key, text),
    getText: (key) => store.getText(key),
    getRange: (key, offset, length) => store.getRange(key, offset, length),
    head: (key) => store.head(key),
    sha256: (key) => store.sha256(key),
    list: (prefix) => store.list(prefix),
    deletePrefix: (prefix) => store.deletePrefix(prefix),
    locate: (key) => `s3://bucket/lake/${key}`,
  };
}

describe('the DuckDB Parquet rewriter', () => {
  let work: string;
  let store: FsObjectStore;
  let encoder: Awaited<ReturnType<typeof createDuckDbEncoder>>;
  let batch: EncodedBatch;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-rewriter-'));
    store = new FsObjectStore(join(work, 'lake'));
    encoder = await createDuckDbEncoder();
    // Two rows with only a key column: the rewrite's view adds `amount` as NULL.
    batch = await encoder.encodeCsv(
      Readable.from(['"a"\n"b"\n']),
      [{ name: 'key', load: (v) => v }],
      {
        targetFileBytes: 2 ** 20,
        rowGroupRows: 1000,
      },
    );
    const [file] = batch.files;
    await store.putFile('t/v=1/part-00000.parquet', file?.path ?? '');
  });

  afterAll(async () => {
    await batch.dispose();
    await encoder.close();
    await rm(work, { recursive: true, force: true });
  });

  function request(overrides: Partial<RewriteRequest> = {}): RewriteRequest {
    return {
      inputs: [
        {
          name: 'prev',
          columns: COLUMNS,
          objects: { store: remote(store), keys: ['t/v=1/part-00000.parquet'] },
        },
        { name: 'none', columns: COLUMNS },
      ],
      statements: ['CREATE TEMP TABLE merged AS SELECT * FROM prev UNION ALL SELECT * FROM none'],
      summary: 'SELECT count(*) AS n, count(amount) AS amounts, max(key) AS last FROM merged',
      outputs: { all: 'SELECT key, coalesce(amount, 1.5) AS amount FROM merged ORDER BY key' },
      rowGroupRows: 1000,
      targetFileBytes: 2 ** 20,
      ...overrides,
    };
  }

  it('reads inputs fetched through the store, a missing column as NULL, and reports the summary', async () => {
    const result = await encoder.rewrite(request());

    try {
      expect(result.summary).toEqual({ n: 2, amounts: 0, last: 'b' });
      expect(result.outputs.all?.map((f) => f.rows)).toEqual([2]);
      expect(Object.keys(result.outputs.all?.[0]?.columnBytes ?? {}).sort()).toEqual([
        'amount',
        'key',
      ]);
    } finally {
      await result.dispose();
    }
  });

  it('writes the outputs as Parquet files another reader (hyparquet) reads back', async () => {
    const result = await encoder.rewrite(request());

    try {
      const [file] = result.outputs.all ?? [];
      const bytes = await readFile(file?.path ?? '');
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
      const rows = await parquetReadObjects({ file: buffer });
      expect(rows).toEqual([
        { key: 'a', amount: 1.5 },
        { key: 'b', amount: 1.5 },
      ]);
      expect(file?.bytes).toBe(bytes.length);
    } finally {
      await result.dispose();
    }
  });

  it('writes no output when writeIf says no', async () => {
    const result = await encoder.rewrite(request({ writeIf: (summary) => summary.n === 0 }));

    try {
      expect(result.outputs).toEqual({ all: [] });
    } finally {
      await result.dispose();
    }
  });

  it('names the object when the catalog points at one that is gone', async () => {
    const missing = request({
      inputs: [
        {
          name: 'prev',
          columns: COLUMNS,
          objects: { store: remote(store), keys: ['t/v=0/gone.parquet'] },
        },
      ],
    });

    await expect(encoder.rewrite(missing)).rejects.toThrow(
      /lake object 't\/v=0\/gone.parquet' is gone/,
    );
  });
});
