import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCatalog } from '#adapters/local/file-catalog';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { catalogTables, currentFiles, NoCatalogError } from '#core/lake/current-files';
import { UsageError } from '#core/errors';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';

const TABLE: CatalogTable = {
  name: 'agent_tasks',
  columns: [
    { name: 'id', type: 'binary', sourceType: 'uuid' },
    { name: 'created_at', type: 'timestamp', sourceType: 'timestamp with time zone' },
  ],
  partitionKeys: ['year', 'month', 'day'],
  location: 'agent_tasks/',
  schemaHash: 'h1',
};

function partition(day: string, run: string): CatalogPartition {
  const [year = '', month = '', dd = ''] = day.split('-');
  return {
    values: [year, month, dd],
    location: `agent_tasks/year=${year}/month=${month}/day=${dd}/v=${run}/`,
    rows: 1,
    bytes: 1,
    files: 1,
    runId: run,
    publishedAt: '2025-02-16T02:00:00Z',
  };
}

let dir: string;
let store: FsObjectStore;
let catalog: FileCatalog;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thermocline-current-files-test-'));
  store = new FsObjectStore(join(dir, 'lake'));
  catalog = new FileCatalog(join(dir, 'catalog.json'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('catalogTables', () => {
  it('says to run etl run first when the catalog has no table', async () => {
    const tables = catalogTables(catalog);

    await expect(tables).rejects.toThrow(NoCatalogError);
    await expect(tables).rejects.toThrow(/no catalog yet .*run 'thermocline etl run' first/);
  });

  it('names the known tables for an unknown one, and says when it is configured but not exported', async () => {
    await catalog.ensureTable(TABLE);
    await catalog.ensureTable({ ...TABLE, name: 'events', location: 'events/' });

    await expect(catalogTables(catalog, ['agent_taks'])).rejects.toThrow(
      new UsageError(
        `table 'agent_taks' is not in the catalog ${catalog.path}; known tables: agent_tasks, events.`,
      ),
    );
    await expect(catalogTables(catalog, ['workflows'], ['workflows'])).rejects.toThrow(
      /configured but nothing of it is exported yet: run 'thermocline etl run --table workflows' first/,
    );
  });

  it('returns every table by name, or the named ones in the order named', async () => {
    await catalog.ensureTable({ ...TABLE, name: 'events', location: 'events/' });
    await catalog.ensureTable(TABLE);

    expect((await catalogTables(catalog)).map((t) => t.name)).toEqual(['agent_tasks', 'events']);
    expect((await catalogTables(catalog, ['events', 'agent_tasks'])).map((t) => t.name)).toEqual([
      'events',
      'agent_tasks',
    ]);
  });
});

describe('currentFiles', () => {
  it("lists the files of the current version's manifest, not the other files in the folder", async () => {
    const current = partition('2025-02-15', 'r2');
    await store.putText(`${current.location}part-00000.parquet`, 'x');
    await store.putText(`${current.location}part-00001.parquet`, 'x');
    await store.putText(`${current.location}stray.parquet`, 'x');
    await store.putText('agent_tasks/year=2025/month=02/day=15/v=r1/part-00000.parquet', 'x');
    await store.putText(
      `${current.location}_manifest.json`,
      JSON.stringify({
        files: [
          { key: `${current.location}part-00001.parquet` },
          { key: `${current.location}part-00000.parquet` },
        ],
      }),
    );
    await catalog.ensureTable(TABLE);
    await catalog.putPartitions('agent_tasks', [current]);

    const files = await currentFiles({ store, catalog }, 'agent_tasks');

    expect(files).toEqual([
      {
        partition: current,
        keys: [`${current.location}part-00000.parquet`, `${current.location}part-00001.parquet`],
        source: 'manifest',
      },
    ]);
  });

  it("reads the Parquet files of the version's folder when it has no manifest", async () => {
    const current = partition('2025-02-15', 'r1');
    await store.putText(`${current.location}part-00000.parquet`, 'x');
    await store.putText(`${current.location}notes.txt`, 'x');
    await catalog.ensureTable(TABLE);
    await catalog.putPartitions('agent_tasks', [current]);

    const files = await currentFiles({ store, catalog }, 'agent_tasks');

    expect(files.map((f) => [f.keys, f.source])).toEqual([
      [[`${current.location}part-00000.parquet`], 'folder'],
    ]);
  });

  it.each([
    ['not JSON', '{', /is not JSON/],
    ['without files', '{"format":1}', /has no list of files/],
    [
      'naming a file elsewhere',
      '{"files":[{"key":"agent_tasks/year=2025/month=02/day=15/v=r1/part-00000.parquet"}]}',
      /names a file outside its partition folder .*v=r2\/: .*v=r1\/part-00000\.parquet/,
    ],
  ])('fails naming a manifest %s', async (_what, text, message) => {
    const current = partition('2025-02-15', 'r2');
    await store.putText(`${current.location}_manifest.json`, text);
    await catalog.ensureTable(TABLE);
    await catalog.putPartitions('agent_tasks', [current]);

    await expect(currentFiles({ store, catalog }, 'agent_tasks')).rejects.toThrow(message);
  });
});
