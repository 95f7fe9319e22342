import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import { writeLakeViews } from '#adapters/duckdb/lake-views';
import { FileCatalog } from '#adapters/local/file-catalog';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { catalogTables } from '#core/lake/current-files';
import { fixedClock } from '#ports/clock';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import { duckString } from '#test/support/lake';

/** A lake table like the export's: columns in the files, partition keys in the path. */
const TASKS: CatalogTable = {
  name: 'tasks',
  columns: [
    { name: 'id', type: 'bigint', sourceType: 'bigint' },
    { name: 'happened', type: 'timestamp', sourceType: 'timestamp with time zone' },
    { name: 'seen', type: 'array<timestamp>', sourceType: 'timestamp with time zone[]' },
    { name: 'note', type: 'string', sourceType: 'text' },
  ],
  partitionKeys: ['kind', 'dt'],
  location: 'tasks/',
  schemaHash: 'h1',
};

const EMPTY: CatalogTable = { ...TASKS, name: 'nothing_yet', location: 'nothing_yet/' };

// The views writer on a lake built here with DuckDB: version folders, manifests and stray files.
describe('writeLakeViews', () => {
  let dir: string;
  let store: FsObjectStore;
  let catalog: FileCatalog;
  let duck: DuckDBInstance;
  let connection: DuckDBConnection;

  /** Writes a Parquet file of `rows` into the lake under `key`, with DuckDB. */
  async function parquet(key: string, select: string): Promise<void> {
    await connection.run(`COPY (${select}) TO ${duckString(store.locate(key))} (FORMAT parquet)`);
  }

  /** A published version: files, `_manifest.json`, and the catalog pointing at it. */
  async function publish(
    values: [string, string],
    run: string,
    files: Record<string, string>,
    rows: number,
  ): Promise<CatalogPartition> {
    const location = `tasks/kind=${encodeURIComponent(values[0])}/dt=${values[1]}/v=${run}/`;
    await store.putText(`${location}.keep`, '');
    for (const [name, select] of Object.entries(files)) await parquet(`${location}${name}`, select);
    await store.putText(
      `${location}_manifest.json`,
      JSON.stringify({
        format: 1,
        files: Object.keys(files).map((name) => ({ key: `${location}${name}` })),
      }),
    );
    const partition: CatalogPartition = {
      values,
      location,
      rows,
      bytes: 1,
      files: Object.keys(files).length,
      runId: run,
      publishedAt: '2025-02-16T02:00:00Z',
    };
    await catalog.putPartitions('tasks', [partition]);
    return partition;
  }

  async function read(file: string, sql: string): Promise<Record<string, JS>[]> {
    const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const reader = await instance.connect();
    try {
      await reader.run("SET TimeZone = 'Asia/Tokyo'");
      return (await reader.runAndReadAll(sql)).getRowObjectsJS();
    } finally {
      reader.closeSync();
      instance.closeSync();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thermocline-lake-views-writer-'));
    store = new FsObjectStore(join(dir, 'lake'));
    catalog = new FileCatalog(join(dir, 'catalog.json'));
    duck = await DuckDBInstance.create(':memory:');
    connection = await duck.connect();
    await catalog.ensureTable(TASKS);
    await catalog.ensureTable(EMPTY);
    const row = (id: number, at: string): string =>
      `SELECT ${id}::BIGINT AS id, TIMESTAMPTZ '${at}' AS happened, [TIMESTAMPTZ '${at}'] AS seen`;
    // An old version of the partition, still in its folder (the clean step keeps one).
    await publish(
      ['a', '2025-02-15'],
      'r1',
      { 'part-00000.parquet': row(1, '2025-02-15 23:30:00+00') },
      1,
    );
    await publish(
      ['a', '2025-02-15'],
      'r2',
      {
        'part-00000.parquet': row(1, '2025-02-15 23:30:00+00'),
        // A column added later: the first file has no `note`.
        'part-00001.parquet': `${row(2, '2025-02-15 01:00:00+00')}, 'later' AS note`,
      },
      2,
    );
    // A file in the current folder that the manifest does not list (a dead writer's leftover).
    await parquet(
      'tasks/kind=a/dt=2025-02-15/v=r2/stray.parquet',
      row(9, '2025-02-15 00:00:00+00'),
    );
    // A value with a quote, escaped in the path, kept as the catalog has it.
    await publish(
      ["o'brien", '2025-02-15'],
      'r3',
      { 'part-00000.parquet': row(3, '2025-02-15 12:00:00+00') },
      1,
    );
  });

  afterAll(async () => {
    connection.closeSync();
    duck.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads exactly the files the current versions list, with the partition keys as constants', async () => {
    const file = join(dir, 'views.duckdb');
    const tables = await catalogTables(catalog);

    const report = await writeLakeViews(
      { store, catalog },
      { file, tables, clock: fixedClock('2025-02-16T03:00:00Z') },
    );

    expect(report).toEqual({
      file,
      lake: store.root,
      catalog: catalog.path,
      builtAt: '2025-02-16T03:00:00.000Z',
      views: [
        { view: 'nothing_yet', partitions: 0, files: 0, rows: 0 },
        { view: 'tasks', partitions: 2, files: 3, rows: 3 },
      ],
      rows: 3,
    });
    expect(await read(file, 'SELECT id, note, kind, dt FROM tasks ORDER BY id')).toEqual([
      { id: 1n, note: null, kind: 'a', dt: '2025-02-15' },
      { id: 2n, note: 'later', kind: 'a', dt: '2025-02-15' },
      { id: 3n, note: null, kind: "o'brien", dt: '2025-02-15' },
    ]);
    // The exact file list, for readers that take paths.
    const files = await read(
      file,
      "SELECT partition_values AS p, path FROM thermocline.files WHERE view = 'tasks' ORDER BY path",
    );
    expect(files).toEqual([
      {
        p: ['a', '2025-02-15'],
        path: store.locate('tasks/kind=a/dt=2025-02-15/v=r2/part-00000.parquet'),
      },
      {
        p: ['a', '2025-02-15'],
        path: store.locate('tasks/kind=a/dt=2025-02-15/v=r2/part-00001.parquet'),
      },
      {
        p: ["o'brien", '2025-02-15'],
        path: store.locate("tasks/kind=o'brien/dt=2025-02-15/v=r3/part-00000.parquet"),
      },
    ]);
  });

  it('reads timestamps (and lists of them) as the UTC wall time in any session time zone', async () => {
    const file = join(dir, 'views.duckdb');
    await writeLakeViews({ store, catalog }, { file, tables: await catalogTables(catalog) });

    const rows = await read(
      file,
      "SELECT hour(happened)::INTEGER AS h, strftime(seen[1], '%Y-%m-%d %H:%M') AS s, typeof(happened) AS t FROM tasks WHERE id = 1",
    );

    expect(rows).toEqual([{ h: 23, s: '2025-02-15 23:30', t: 'TIMESTAMP' }]);
  });

  it('types the view of a table with no partition from the catalog', async () => {
    const file = join(dir, 'views.duckdb');
    await writeLakeViews({ store, catalog }, { file, tables: await catalogTables(catalog) });

    const columns = await read(
      file,
      'SELECT column_name AS c, column_type AS t FROM (DESCRIBE nothing_yet)',
    );

    expect(columns.map((c) => `${String(c.c)} ${String(c.t)}`)).toEqual([
      'id BIGINT',
      'happened TIMESTAMP',
      'seen TIMESTAMP[]',
      'note VARCHAR',
      'kind VARCHAR',
      'dt VARCHAR',
    ]);
  });

  it('fails naming the partition when the files do not hold the catalog’s rows, and writes nothing', async () => {
    const file = join(dir, 'mismatch.duckdb');
    const [partition] = await catalog.listPartitions('tasks');
    const doctored = new FileCatalog(join(dir, 'doctored.json'));
    await doctored.ensureTable(TASKS);
    await doctored.putPartitions('tasks', [{ ...(partition as CatalogPartition), rows: 5 }]);

    const write = writeLakeViews({ store, catalog: doctored }, { file, tables: [TASKS] });

    await expect(write).rejects.toThrow(
      /the view of 'tasks' partition kind=a\/dt=2025-02-15 would return 2 rows, but the catalog publishes 5 .*nothing was written/,
    );
    expect((await readdir(dir)).filter((name) => name.startsWith('mismatch.duckdb'))).toEqual([]);
  });
});
