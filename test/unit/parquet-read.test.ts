import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ObjectNotFoundError, QueryFailedError } from '#core/query/engine-errors';
import { readParquetObject } from '#adapters/hyparquet/parquet-read';
import type { ObjectInfo, ObjectStore, StoredObject } from '#ports/object-store';

/** An object store in memory that records the byte ranges read. */
class MemoryStore implements ObjectStore {
  readonly root = 'mem://bucket/';
  readonly objects = new Map<string, Uint8Array>();
  readonly reads: { offset: number; length: number }[] = [];

  async putFile(): Promise<StoredObject> {
    throw new Error('not used');
  }
  async sha256(): Promise<StoredObject | undefined> {
    throw new Error('not used');
  }
  async putText(key: string, text: string): Promise<ObjectInfo> {
    this.objects.set(key, new TextEncoder().encode(text));
    return { key, bytes: text.length };
  }
  async getText(key: string): Promise<string | undefined> {
    const bytes = this.objects.get(key);
    return bytes && new TextDecoder().decode(bytes);
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    this.reads.push({ offset, length });
    return (this.objects.get(key) ?? new Uint8Array()).slice(offset, offset + length);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    const bytes = this.objects.get(key);
    return bytes && { key, bytes: bytes.byteLength };
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, bytes]) => ({ key, bytes: bytes.byteLength }));
  }
  async deletePrefix(): Promise<number> {
    return 0;
  }
  locate(key: string): string {
    return this.root + key;
  }
}

const KEY = 'events/Login/2025-02-15.parquet';
let file: Uint8Array;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'thermocline-parquet-read-'));
  const path = join(dir, 'fixture.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // 8 row groups of 2000 rows; a wide text column so a column subset is a small part.
    await connection.run(
      `COPY (SELECT i::BIGINT AS id, 'M' || (i % 10) AS membercode,
                    repeat(md5(i::VARCHAR), 4) AS payload,
                    CASE WHEN i = 1 THEN NULL
                         ELSE CAST(i::DECIMAL(38,10) * 0.125 + 12345678901234567890 AS DECIMAL(38,10)) END AS amount,
                    DATE '2025-02-15' AS day,
                    TIMESTAMP '2025-02-15 00:00:00' + i * INTERVAL 1 second AS occurred_at,
                    from_hex('00ff') AS raw,
                    ['a', 'b'] AS tags
               FROM range(16000) t(i))
       TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 2000)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  file = new Uint8Array(await readFile(path));
  await rm(dir, { recursive: true, force: true });
});

function storeWithFixture(): MemoryStore {
  const store = new MemoryStore();
  store.objects.set(KEY, file);
  return store;
}

describe('readParquetObject', () => {
  it('reads the chosen columns up to the limit, fetching only part of the file', async () => {
    const store = storeWithFixture();

    const result = await readParquetObject(store, KEY, { columns: ['id', 'membercode'], limit: 3 });

    expect(result.rows).toEqual([
      { id: 0, membercode: 'M0' },
      { id: 1, membercode: 'M1' },
      { id: 2, membercode: 'M2' },
    ]);
    expect(result.columns).toEqual([
      { name: 'id', type: 'bigint' },
      { name: 'membercode', type: 'string' },
    ]);
    const fetched = store.reads.reduce((sum, r) => sum + r.length, 0);
    expect(result.bytesScanned).toBe(fetched);
    expect(result.bytesScanned).toBeLessThan(file.byteLength / 10);
  });

  it('reads the footer first, from the end of the object', async () => {
    const store = storeWithFixture();

    await readParquetObject(store, KEY, { columns: ['id'], limit: 1 });

    const [first] = store.reads;
    expect(first && first.offset + first.length).toBe(file.byteLength);
  });

  it('keeps decimals exact and writes dates, timestamps, binary and lists JSON-safe', async () => {
    const store = storeWithFixture();

    const result = await readParquetObject(store, KEY, {
      columns: ['amount', 'day', 'occurred_at', 'raw', 'tags'],
      limit: 2,
    });

    expect(result.rows).toEqual([
      {
        amount: '12345678901234567890.0000000000',
        day: '2025-02-15',
        occurred_at: '2025-02-15T00:00:00.000Z',
        raw: 'AP8=',
        tags: ['a', 'b'],
      },
      {
        amount: null,
        day: '2025-02-15',
        occurred_at: '2025-02-15T00:00:01.000Z',
        raw: 'AP8=',
        tags: ['a', 'b'],
      },
    ]);
    expect(result.columns.map((c) => c.type)).toEqual([
      'decimal(38,10)',
      'date',
      'timestamp',
      'binary',
      'array<string>',
    ]);
  });

  it('reads every column and row without options', async () => {
    const result = await readParquetObject(storeWithFixture(), KEY);

    expect(result.rows).toHaveLength(16000);
    expect(Object.keys(result.rows[15999] ?? {})).toEqual([
      'id',
      'membercode',
      'payload',
      'amount',
      'day',
      'occurred_at',
      'raw',
      'tags',
    ]);
    expect(result.rows[15999]?.amount).toBe('12345678901234569889.8750000000');
  });

  it('answers not_found for a missing key', async () => {
    const read = readParquetObject(storeWithFixture(), 'events/Nope.parquet');

    await expect(read).rejects.toThrow(ObjectNotFoundError);
    await expect(read).rejects.toThrow('mem://bucket/events/Nope.parquet does not exist');
  });

  it('names the columns the file has when asked for one it does not', async () => {
    const read = readParquetObject(storeWithFixture(), KEY, { columns: ['memberCode'] });

    await expect(read).rejects.toThrow(QueryFailedError);
    await expect(read).rejects.toThrow(/no column 'memberCode'; its columns: id, membercode/);
  });

  it('refuses an object that is not Parquet', async () => {
    const store = new MemoryStore();
    await store.putText('notes.parquet', 'just some text, long enough');

    const read = readParquetObject(store, 'notes.parquet');

    await expect(read).rejects.toMatchObject({ code: 'query_failed', status: 400 });
    await expect(read).rejects.toThrow(/is not a readable Parquet file/);
  });
});
