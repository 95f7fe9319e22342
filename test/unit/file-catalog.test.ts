import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCatalog } from '#adapters/local/file-catalog';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thermocline-file-catalog-test-'));
  path = join(dir, 'state', 'catalog.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (!child.pid) throw new Error('could not start a short-lived process');
  return child.pid;
}

function table(name: string, schemaHash = 'h1'): CatalogTable {
  return {
    name,
    columns: [
      { name: 'id', type: 'string', sourceType: 'uuid' },
      { name: 'created_at', type: 'timestamp', sourceType: 'timestamp with time zone' },
    ],
    partitionKeys: ['year', 'month', 'day'],
    location: `${name}/`,
    schemaHash,
  };
}

function partition(values: readonly string[], runId = 'r1', rows = 10): CatalogPartition {
  return {
    values,
    location: `agent_tasks/${values.join('/')}/v=${runId}/`,
    rows,
    bytes: rows * 100,
    files: 1,
    runId,
    publishedAt: '2025-02-16T02:00:00.000Z',
  };
}

describe('FileCatalog tables', () => {
  test('getTable returns an ensured table without its partitions', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    const found = await catalog.getTable('agent_tasks');

    // Assess
    expect(found).toEqual(table('agent_tasks'));
  });

  test('getTable of an unknown table is undefined', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));

    // Act
    const found = await catalog.getTable('agent_taks');

    // Assess
    expect(found).toBeUndefined();
  });

  test('a catalog whose file does not exist yet has no tables', async () => {
    // Prepare
    const catalog = new FileCatalog(path);

    // Act
    const tables = await catalog.listTables();

    // Assess
    expect(tables).toEqual([]);
  });

  test('listTables returns every table without partitions', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.ensureTable(table('events'));
    await catalog.putPartitions('events', [partition(['2025', '02', '15'])]);

    // Act
    const tables = await catalog.listTables();

    // Assess
    expect(tables).toEqual([table('agent_tasks'), table('events')]);
  });

  test('ensureTable with a new schema replaces the schema', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks', 'h1'));

    // Act
    await catalog.ensureTable(table('agent_tasks', 'h2'));

    // Assess
    expect((await catalog.getTable('agent_tasks'))?.schemaHash).toBe('h2');
  });

  test('ensureTable of an existing table keeps its partitions', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks', 'h1'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    await catalog.ensureTable(table('agent_tasks', 'h2'));

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([partition(['2025', '02', '15'])]);
  });

  test('a change is visible to another catalog on the same file', async () => {
    // Prepare
    await new FileCatalog(path).ensureTable(table('agent_tasks'));

    // Act
    const found = await new FileCatalog(path).getTable('agent_tasks');

    // Assess
    expect(found?.name).toBe('agent_tasks');
  });

  test('a change leaves only the catalog file behind: no temporary file, no lock', async () => {
    // Prepare
    const catalog = new FileCatalog(path);

    // Act
    await catalog.ensureTable(table('agent_tasks'));

    // Assess
    expect(await readdir(join(dir, 'state'))).toEqual(['catalog.json']);
  });

  test('the file is format 1 JSON', async () => {
    // Prepare
    const catalog = new FileCatalog(path);

    // Act
    await catalog.ensureTable(table('agent_tasks'));

    // Assess
    const file = JSON.parse(await readFile(path, 'utf8')) as { format: number };
    expect(file.format).toBe(1);
  });

  test('a file of another format is refused, naming the file', async () => {
    // Prepare
    await new FileCatalog(path).ensureTable(table('agent_tasks'));
    await writeFile(path, JSON.stringify({ format: 2, tables: {} }));
    const catalog = new FileCatalog(path);

    // Act
    const listing = catalog.listTables();

    // Assess
    await expect(listing).rejects.toThrow(`catalog ${path} is damaged: unknown catalog format`);
  });
});

describe('FileCatalog partitions', () => {
  test('putPartitions adds partitions that getPartition finds by values', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));

    // Act
    await catalog.putPartitions('agent_tasks', [
      partition(['2025', '02', '15']),
      partition(['2025', '02', '16']),
    ]);

    // Assess
    expect(await catalog.getPartition('agent_tasks', ['2025', '02', '16'])).toEqual(
      partition(['2025', '02', '16']),
    );
  });

  test('putPartitions replaces the partition with the same values', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'], 'r1', 10)]);

    // Act
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'], 'r2', 12)]);

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([
      partition(['2025', '02', '15'], 'r2', 12),
    ]);
  });

  test('putPartitions keeps the partitions it does not name', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '16'])]);

    // Assess
    expect((await catalog.listPartitions('agent_tasks')).map((p) => p.values)).toEqual([
      ['2025', '02', '15'],
      ['2025', '02', '16'],
    ]);
  });

  test('partitions whose values differ only in where a / falls are kept apart', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('events'));

    // Act
    await catalog.putPartitions('events', [partition(['a/b', 'c']), partition(['a', 'b/c'])]);

    // Assess
    expect((await catalog.listPartitions('events')).map((p) => p.values)).toEqual([
      ['a', 'b/c'],
      ['a/b', 'c'],
    ]);
  });

  test('putPartitions on a table that is not in the catalog fails, naming the table', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));

    // Act
    const put = catalog.putPartitions('agent_taks', [partition(['2025', '02', '15'])]);

    // Assess
    await expect(put).rejects.toThrow(/has no table 'agent_taks': ensure it first/);
  });

  test('deletePartitions removes the named partitions and keeps the others', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [
      partition(['2025', '02', '14']),
      partition(['2025', '02', '15']),
      partition(['2025', '02', '16']),
    ]);

    // Act
    await catalog.deletePartitions('agent_tasks', [
      ['2025', '02', '14'],
      ['2025', '02', '16'],
    ]);

    // Assess
    expect((await catalog.listPartitions('agent_tasks')).map((p) => p.values)).toEqual([
      ['2025', '02', '15'],
    ]);
  });

  test('deletePartitions of values that are not there changes nothing', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    await catalog.deletePartitions('agent_tasks', [['2025', '02', '16']]);

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([partition(['2025', '02', '15'])]);
  });

  test('getPartition of values that are not there is undefined', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    const found = await catalog.getPartition('agent_tasks', ['2025', '02', '16']);

    // Assess
    expect(found).toBeUndefined();
  });

  test('listPartitions sorts by the values in key order', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('events'));
    await catalog.putPartitions('events', [
      partition(['Login-Failed', '2025-02-15']),
      partition(['Login', '2025-02-16']),
      partition(['Bet', '2025-02-16']),
      partition(['Login', '2025-02-15']),
    ]);

    // Act
    const partitions = await catalog.listPartitions('events');

    // Assess
    expect(partitions.map((p) => p.values)).toEqual([
      ['Bet', '2025-02-16'],
      ['Login', '2025-02-15'],
      ['Login', '2025-02-16'],
      ['Login-Failed', '2025-02-15'],
    ]);
  });

  test('listPartitions of a table that is not in the catalog is empty', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));

    // Act
    const partitions = await catalog.listPartitions('events');

    // Assess
    expect(partitions).toEqual([]);
  });
});

describe('FileCatalog partition columns', () => {
  const widened: CatalogTable = {
    ...table('agent_tasks', 'h2'),
    columns: [
      { name: 'id', type: 'string', sourceType: 'uuid' },
      { name: 'created_at', type: 'timestamp', sourceType: 'timestamp with time zone' },
      { name: 'tokens', type: 'bigint', sourceType: 'bigint' },
    ],
  };

  test('a partition keeps the columns its files hold, read back as written', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(widened);
    const own = { ...partition(['2025', '02', '16']), columns: widened.columns };

    // Act
    await catalog.putPartitions('agent_tasks', [own]);

    // Assess
    expect(await catalog.getPartition('agent_tasks', ['2025', '02', '16'])).toEqual(own);
    expect(await catalog.listPartitions('agent_tasks')).toEqual([own]);
  });

  test("a change of the table's columns stamps older partitions with the columns they were written with", async () => {
    // Prepare: a partition published before partitions recorded their columns
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    await catalog.ensureTable(widened);

    // Assess
    const old = await catalog.getPartition('agent_tasks', ['2025', '02', '15']);
    expect(old?.columns).toEqual(table('agent_tasks').columns);
    expect((await catalog.getTable('agent_tasks'))?.columns).toEqual(widened.columns);
  });

  test('a partition that records its columns keeps them through later table changes', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(widened);
    const own = { ...partition(['2025', '02', '16']), columns: widened.columns };
    await catalog.putPartitions('agent_tasks', [own]);

    // Act
    await catalog.ensureTable({ ...table('agent_tasks', 'h3') });

    // Assess
    expect((await catalog.getPartition('agent_tasks', ['2025', '02', '16']))?.columns).toEqual(
      widened.columns,
    );
  });

  test('ensuring the same columns again stamps nothing', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Act
    await catalog.ensureTable(table('agent_tasks'));

    // Assess
    expect(await catalog.getPartition('agent_tasks', ['2025', '02', '15'])).toEqual(
      partition(['2025', '02', '15']),
    );
  });
});

describe('FileCatalog lock', () => {
  test('concurrent updates from one catalog all land', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    const days = Array.from({ length: 25 }, (_, i) => String(i + 1).padStart(2, '0'));

    // Act
    await Promise.all(
      days.map((day) => catalog.putPartitions('agent_tasks', [partition(['2025', '01', day])])),
    );

    // Assess
    expect((await catalog.listPartitions('agent_tasks')).map((p) => p.values[2])).toEqual(days);
  });

  test('concurrent updates from several catalogs on the same file all land', async () => {
    // Prepare
    const names = Array.from({ length: 12 }, (_, i) => `table_${String(i).padStart(2, '0')}`);

    // Act
    await Promise.all(names.map((name) => new FileCatalog(path).ensureTable(table(name))));

    // Assess
    expect((await new FileCatalog(path).listTables()).map((t) => t.name).sort()).toEqual(names);
  });

  test("a running process's lock makes an update fail after the wait, naming the lock and its pid", async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 100 });
    await catalog.ensureTable(table('agent_tasks'));
    await writeFile(`${path}.lock`, String(process.pid));

    // Act
    const put = catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    await expect(put).rejects.toThrow(
      `catalog ${path} is locked by ${path}.lock (pid ${process.pid}, which is running); wait for ` +
        `that Thermocline process to finish — if no Thermocline process is running, delete the lock file`,
    );
  });

  test("an update that gave up on a running process's lock changes nothing", async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 50 });
    await catalog.ensureTable(table('agent_tasks'));
    await writeFile(`${path}.lock`, String(process.pid));

    // Act
    await catalog
      .putPartitions('agent_tasks', [partition(['2025', '02', '15'])])
      .catch(() => undefined);

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([]);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(String(process.pid));
  });

  test('an update waits for a lock that is released within the wait', async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 10_000 });
    await catalog.ensureTable(table('agent_tasks'));
    await writeFile(`${path}.lock`, String(process.pid));
    const release = new Promise<void>((done) =>
      setTimeout(() => void rm(`${path}.lock`).then(done), 100),
    );

    // Act
    const put = catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);
    await release;
    await put;

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([partition(['2025', '02', '15'])]);
  });

  test('takes over at once the lock of a process that no longer runs (a killed run)', async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 60_000 });
    await catalog.ensureTable(table('agent_tasks'));
    await writeFile(`${path}.lock`, String(deadPid()));
    const started = Date.now();

    // Act
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await catalog.listPartitions('agent_tasks')).toEqual([partition(['2025', '02', '15'])]);
    expect(await readdir(join(dir, 'state'))).toEqual(['catalog.json']);
  });

  test('takes over a dead lock whose breaker a process left when it died taking it over', async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 60_000 });
    await catalog.ensureTable(table('agent_tasks'));
    await writeFile(`${path}.lock`, String(deadPid()));
    await writeFile(`${path}.lock.break`, `${deadPid()} 0a1b2c`);

    // Act
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([partition(['2025', '02', '15'])]);
    expect(await readdir(join(dir, 'state'))).toEqual(['catalog.json']);
  });

  test("several catalogs racing to take over a dead process's lock all land their updates", async () => {
    // Prepare
    const names = Array.from({ length: 12 }, (_, i) => `table_${String(i).padStart(2, '0')}`);
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(`${path}.lock`, String(deadPid()));

    // Act
    await Promise.all(names.map((name) => new FileCatalog(path).ensureTable(table(name))));

    // Assess
    expect((await new FileCatalog(path).listTables()).map((t) => t.name).sort()).toEqual(names);
    expect(await readdir(join(dir, 'state'))).toEqual(['catalog.json']);
  });

  test('takes over a lock file a killed process left empty, once it is old', async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 60_000 });
    await catalog.ensureTable(table('agent_tasks'));
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);

    // Act
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    expect(await catalog.listPartitions('agent_tasks')).toEqual([partition(['2025', '02', '15'])]);
  });

  test("removes the temporary catalogs killed processes left, never a running process's", async () => {
    // Prepare
    await new FileCatalog(path).ensureTable(table('agent_tasks'));
    const dead = `${path}.${deadPid()}-0a1b2c3d4e5f.tmp`;
    const unowned = `${path}.0a1b2c3d4e5f.tmp`; // named before names carried the pid
    const live = `${path}.${process.pid}-0a1b2c3d4e5f.tmp`;
    for (const leftover of [dead, unowned, live]) await writeFile(leftover, '{"format":1');
    await writeFile(`${path}.lock`, String(deadPid()));

    // Act
    await new FileCatalog(path).putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    expect((await readdir(join(dir, 'state'))).sort()).toEqual(
      ['catalog.json', `catalog.json.${process.pid}-0a1b2c3d4e5f.tmp`].sort(),
    );
  });

  test('a failed update releases the lock', async () => {
    // Prepare
    const catalog = new FileCatalog(path, { lockWaitMs: 50 });
    await catalog.ensureTable(table('agent_tasks'));
    await catalog
      .putPartitions('agent_taks', [partition(['2025', '02', '15'])])
      .catch(() => undefined);

    // Act
    const put = catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    await expect(put).resolves.toBeUndefined();
  });
});

describe.each([
  ['empty', '', /is damaged: it is empty/],
  ['cut short', '{"format": 1, "tables": {"agent_tasks": {', /is damaged: .*JSON/],
  ['not a catalog', '[1, 2, 3]', /is damaged: unknown catalog format/],
  ['null', 'null', /is damaged: unknown catalog format/],
])('a catalog file that is %s', (_name, text, why) => {
  test('fails naming the file, the damage and what to do, and is left as it was', async () => {
    // Prepare
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(path, text);
    const catalog = new FileCatalog(path);

    // Act
    const listed = catalog.listTables();
    const changed = catalog.ensureTable(table('agent_tasks'));

    // Assess
    await expect(listed).rejects.toThrow(why);
    await expect(listed).rejects.toThrow(`catalog ${path} is damaged`);
    await expect(changed).rejects.toThrow(/thermocline backfill --from D --to D/);
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});

describe('FileCatalog kept between reads', () => {
  test('a catalog rewritten in place (same file, same size) is read again', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'], 'r1')]);
    expect((await catalog.listPartitions('agent_tasks'))[0]?.runId).toBe('r1');
    const text = await readFile(path, 'utf8');

    // Act: an editor writes the same bytes but another run id into the same file
    await writeFile(path, text.replaceAll('r1', 'r2'));

    // Assess
    expect((await catalog.listPartitions('agent_tasks'))[0]?.runId).toBe('r2');
  });

  test("a change by another catalog object (another process's) is read", async () => {
    // Prepare
    const mine = new FileCatalog(path);
    const theirs = new FileCatalog(path);
    await mine.ensureTable(table('agent_tasks'));
    expect(await mine.listPartitions('agent_tasks')).toEqual([]);

    // Act
    await theirs.putPartitions('agent_tasks', [partition(['2025', '02', '15'])]);

    // Assess
    expect(await mine.listPartitions('agent_tasks')).toHaveLength(1);
  });

  test('objects handed out or put in are copies: changing them changes neither the catalog nor the file', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    const ensured = table('agent_tasks');
    const put = partition(['2025', '02', '15']);
    await catalog.ensureTable(ensured);
    await catalog.putPartitions('agent_tasks', [put]);
    const before = await readFile(path, 'utf8');

    // Act
    (put as { rows: number }).rows = 999;
    (ensured.columns as unknown[]).splice(0);
    const listed = await catalog.listPartitions('agent_tasks');
    (listed[0] as { rows: number }).rows = 998;
    const got = await catalog.getTable('agent_tasks');
    (got?.columns as unknown[] | undefined)?.splice(0);

    // Assess
    expect((await catalog.listPartitions('agent_tasks'))[0]?.rows).toBe(10);
    expect((await catalog.getTable('agent_tasks'))?.columns).toHaveLength(2);
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  test('ensuring the same table again leaves the file as it is; a changed table is written', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks', 'h1'));
    await utimes(path, new Date(0), new Date(0));

    // Act
    await catalog.ensureTable(table('agent_tasks', 'h1'));
    const unchanged = (await stat(path)).mtimeMs;
    await catalog.ensureTable(table('agent_tasks', 'h2'));

    // Assess
    expect(unchanged).toBe(0);
    expect((await catalog.getTable('agent_tasks'))?.schemaHash).toBe('h2');
    expect(JSON.parse(await readFile(path, 'utf8')).tables.agent_tasks.schemaHash).toBe('h2');
  });
});

describe('FileCatalog file text', () => {
  test('is JSON.stringify(catalog, null, 2) after changes to several tables, each change in it', async () => {
    // Prepare
    const catalog = new FileCatalog(path);
    await catalog.ensureTable(table('agent_tasks'));
    await catalog.ensureTable(table('events'));

    // Act: changes that alternate between the tables, in place and whole
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '14'])]);
    await catalog.putPartitions('events', [partition(['Login', '2025-02-14'], 'e1')]);
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '15'], 'r2')]);
    await catalog.deletePartitions('events', [['Login', '2025-02-14']]);
    await catalog.putPartitions('events', [partition(['Logout', '2025-02-15'], 'e2')]);
    await catalog.ensureTable(table('agent_tasks', 'h2'));
    await catalog.putPartitions('agent_tasks', [partition(['2025', '02', '16'], 'r3')]);
    const text = await readFile(path, 'utf8');

    // Assess
    const parsed = JSON.parse(text) as {
      tables: Record<string, { schemaHash: string; partitions: Record<string, { runId: string }> }>;
    };
    expect(text).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    expect(parsed.tables.agent_tasks?.schemaHash).toBe('h2');
    expect(Object.values(parsed.tables.agent_tasks?.partitions ?? {}).map((p) => p.runId)).toEqual([
      'r1',
      'r2',
      'r3',
    ]);
    expect(Object.values(parsed.tables.events?.partitions ?? {}).map((p) => p.runId)).toEqual([
      'e2',
    ]);
  });
});
