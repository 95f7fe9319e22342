import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '#adapters/local/fs-object-store';

let dir: string;
let lake: FsObjectStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thermocline-fs-store-test-'));
  lake = new FsObjectStore(join(dir, 'lake'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every entry of a lake folder, hidden ones included. */
async function entriesOf(folder: string): Promise<string[]> {
  return (await readdir(join(lake.root, ...folder.split('/')))).sort();
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (!child.pid) throw new Error('could not start a short-lived process');
  return child.pid;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('FsObjectStore puts', () => {
  test('putText stores the text and reports its size in bytes', async () => {
    // Prepare
    const text = 'héllo';

    // Act
    const info = await lake.putText('t/_manifests/2025-02-15.json', text);

    // Assess
    expect(info).toEqual({ key: 't/_manifests/2025-02-15.json', bytes: 6 });
    expect(await lake.getText('t/_manifests/2025-02-15.json')).toBe(text);
  });

  test('putText leaves no hidden temporary file behind', async () => {
    // Prepare
    const key = 't/year=2025/month=02/day=15/marker.txt';

    // Act
    await lake.putText(key, 'x');

    // Assess
    expect(await entriesOf('t/year=2025/month=02/day=15')).toEqual(['marker.txt']);
  });

  test('putText replaces an existing object', async () => {
    // Prepare
    await lake.putText('a/b.txt', 'old and longer');

    // Act
    await lake.putText('a/b.txt', 'new');

    // Assess
    expect(await lake.getText('a/b.txt')).toBe('new');
  });

  test('putFile copies a local file and reports its size and SHA-256', async () => {
    // Prepare
    const source = join(dir, 'part.parquet');
    await writeFile(source, Buffer.alloc(1234, 1));

    // Act
    const info = await lake.putFile('t/v=r1/part-00000.parquet', source);

    // Assess
    expect(info).toEqual({
      key: 't/v=r1/part-00000.parquet',
      bytes: 1234,
      sha256: createHash('sha256').update(Buffer.alloc(1234, 1)).digest('hex'),
    });
    expect(await entriesOf('t/v=r1')).toEqual(['part-00000.parquet']);
  });

  test('a failed putFile leaves neither the object nor a temporary file', async () => {
    // Prepare
    const missing = join(dir, 'no-such-file.parquet');

    // Act
    const put = lake.putFile('t/v=r1/part-00000.parquet', missing);

    // Assess
    await expect(put).rejects.toThrow(/ENOENT/);
    expect(await readdir(lake.root)).toEqual([]); // not even the folders it made
  });

  test('a failed put into a new folder removes the folders it created (a full disk)', async () => {
    // Prepare: the partition has a version already; the new version's folder is new.
    await lake.putText('t/day=15/v=r1/part-00000.parquet', 'rows');
    const missing = join(dir, 'no-such-file.parquet');

    // Act
    const put = lake.putFile('t/day=15/v=r2/part-00000.parquet', missing);

    // Assess
    await expect(put).rejects.toThrow(/ENOENT/);
    expect(await readdir(join(lake.root, 't', 'day=15'))).toEqual(['v=r1']);
  });
});

describe('FsObjectStore reads', () => {
  test('sha256 hashes the stored bytes, and changes when they change in place', async () => {
    // Prepare
    const source = join(dir, 'part.parquet');
    await writeFile(source, Buffer.alloc(70_000, 1)); // more than one read chunk
    const put = await lake.putFile('t/v=r1/part-00000.parquet', source);
    const before = await lake.sha256('t/v=r1/part-00000.parquet');
    await writeFile(lake.locate('t/v=r1/part-00000.parquet'), Buffer.alloc(70_000, 2));

    // Act
    const after = await lake.sha256('t/v=r1/part-00000.parquet');

    // Assess
    expect(before).toEqual(put);
    expect(after).toEqual({
      key: 't/v=r1/part-00000.parquet',
      bytes: 70_000,
      sha256: createHash('sha256').update(Buffer.alloc(70_000, 2)).digest('hex'),
    });
  });

  test('sha256 of a missing key, or of a folder, is undefined', async () => {
    // Prepare
    await lake.putText('a/b/present.txt', 'x');

    // Act
    const missing = await lake.sha256('a/absent.txt');
    const folder = await lake.sha256('a/b');

    // Assess
    expect(missing).toBeUndefined();
    expect(folder).toBeUndefined();
  });

  test('getText of a missing key is undefined', async () => {
    // Prepare
    await lake.putText('a/present.txt', 'x');

    // Act
    const text = await lake.getText('a/absent.txt');

    // Assess
    expect(text).toBeUndefined();
  });

  test('getText of a key below an object is undefined', async () => {
    // Prepare
    await lake.putText('a/file', 'x');

    // Act
    const text = await lake.getText('a/file/below');

    // Assess
    expect(text).toBeUndefined();
  });

  test('getRange returns the bytes from the offset', async () => {
    // Prepare
    await lake.putText('a/digits.txt', '0123456789');

    // Act
    const bytes = await lake.getRange('a/digits.txt', 3, 4);

    // Assess
    expect(Buffer.from(bytes).toString('utf8')).toBe('3456');
  });

  test('getRange past the end returns only the bytes there are', async () => {
    // Prepare
    await lake.putText('a/digits.txt', '0123456789');

    // Act
    const bytes = await lake.getRange('a/digits.txt', 8, 100);

    // Assess
    expect(Buffer.from(bytes).toString('utf8')).toBe('89');
  });

  test('head reports the size of an object', async () => {
    // Prepare
    await lake.putText('a/b.txt', 'abcde');

    // Act
    const info = await lake.head('a/b.txt');

    // Assess
    expect(info).toEqual({ key: 'a/b.txt', bytes: 5 });
  });

  test('head of a missing key is undefined', async () => {
    // Prepare
    await lake.putText('a/b.txt', 'abcde');

    // Act
    const info = await lake.head('a/c.txt');

    // Assess
    expect(info).toBeUndefined();
  });

  test('head of a folder is undefined', async () => {
    // Prepare
    await lake.putText('a/b/c.txt', 'abcde');

    // Act
    const info = await lake.head('a/b');

    // Assess
    expect(info).toBeUndefined();
  });

  test('head of a key below an object is undefined', async () => {
    // Prepare
    await lake.putText('a/file', 'x');

    // Act
    const info = await lake.head('a/file/below');

    // Assess
    expect(info).toBeUndefined();
  });
});

describe('FsObjectStore list', () => {
  test('lists every object under a folder prefix in key order, with sizes', async () => {
    // Prepare
    await lake.putText('t/b/2.txt', '22');
    await lake.putText('t/a/1.txt', '1');
    await lake.putText('t/a/deep/3.txt', '333');
    await lake.putText('u/4.txt', '4444');

    // Act
    const objects = await lake.list('t/');

    // Assess
    expect(objects).toEqual([
      { key: 't/a/1.txt', bytes: 1 },
      { key: 't/a/deep/3.txt', bytes: 3 },
      { key: 't/b/2.txt', bytes: 2 },
    ]);
  });

  test('a prefix that ends inside a segment matches keys that continue it', async () => {
    // Prepare
    await lake.putText('a/bc/x', 'x');
    await lake.putText('a/b/y', 'y');
    await lake.putText('a/cb/z', 'z');

    // Act
    const keys = (await lake.list('a/b')).map((o) => o.key);

    // Assess
    expect(keys).toEqual(['a/b/y', 'a/bc/x']);
  });

  test('a prefix without a slash matches top-level names that start with it', async () => {
    // Prepare
    await lake.putText('events/x', 'x');
    await lake.putText('events_archive/y', 'y');
    await lake.putText('agents/z', 'z');

    // Act
    const keys = (await lake.list('event')).map((o) => o.key);

    // Assess
    expect(keys).toEqual(['events/x', 'events_archive/y']);
  });

  test('the empty prefix lists the whole lake', async () => {
    // Prepare
    await lake.putText('b/x', 'x');
    await lake.putText('a/y', 'y');

    // Act
    const keys = (await lake.list('')).map((o) => o.key);

    // Assess
    expect(keys).toEqual(['a/y', 'b/x']);
  });

  test('hidden temporary files of unfinished puts are not listed', async () => {
    // Prepare
    await lake.putText('t/v=r1/part-00000.parquet', 'done');
    await writeFile(join(lake.root, 't', 'v=r1', '.tmp-0123456789ab'), 'half');

    // Act
    const keys = (await lake.list('t/')).map((o) => o.key);

    // Assess
    expect(keys).toEqual(['t/v=r1/part-00000.parquet']);
  });

  test('a prefix whose folder does not exist lists nothing', async () => {
    // Prepare
    await lake.putText('a/x', 'x');

    // Act
    const objects = await lake.list('missing/folder/');

    // Assess
    expect(objects).toEqual([]);
  });

  test('a prefix that runs through an object lists nothing', async () => {
    // Prepare
    await lake.putText('a/file', 'x');

    // Act
    const objects = await lake.list('a/file/below/');

    // Assess
    expect(objects).toEqual([]);
  });

  test('list of a lake whose root does not exist yet is empty', async () => {
    // Prepare
    const fresh = new FsObjectStore(join(dir, 'not-created'));

    // Act
    const objects = await fresh.list('');

    // Assess
    expect(objects).toEqual([]);
  });
});

describe('FsObjectStore deletePrefix', () => {
  test('deletes every object under the prefix and counts them', async () => {
    // Prepare
    await lake.putText('t/day=15/v=r1/part-00000.parquet', 'a');
    await lake.putText('t/day=15/v=r1/part-00001.parquet', 'b');
    await lake.putText('t/day=16/v=r1/part-00000.parquet', 'c');

    // Act
    const deleted = await lake.deletePrefix('t/day=15/');

    // Assess
    expect(deleted).toBe(2);
    expect((await lake.list('')).map((o) => o.key)).toEqual(['t/day=16/v=r1/part-00000.parquet']);
  });

  test('deleting a prefix with no objects counts zero', async () => {
    // Prepare
    await lake.putText('t/x', 'x');

    // Act
    const deleted = await lake.deletePrefix('u/');

    // Assess
    expect(deleted).toBe(0);
  });

  test('removes the folders the delete emptied, up to the first one still in use', async () => {
    // Prepare
    await lake.putText('t/day=15/v=r1/part-00000.parquet', 'a');
    await lake.putText('t/day=16/v=r1/part-00000.parquet', 'c');

    // Act
    await lake.deletePrefix('t/day=15/v=r1/');

    // Assess
    expect(await entriesOf('t')).toEqual(['day=16']);
  });

  test('removes emptied folders nested below the prefix', async () => {
    // Prepare
    await lake.putText('t/day=15/v=r1/part-00000.parquet', 'a');
    await lake.putText('u/x', 'x');

    // Act
    await lake.deletePrefix('t/');

    // Assess
    expect(await exists(join(lake.root, 't'))).toBe(false);
  });

  test('removes emptied folders of a prefix that ends inside a segment', async () => {
    // Prepare
    await lake.putText('a/bc/x', 'x');
    await lake.putText('a/keep', 'k');

    // Act
    await lake.deletePrefix('a/b');

    // Assess
    expect(await entriesOf('a')).toEqual(['keep']);
  });

  test('keeps the lake root when the lake becomes empty', async () => {
    // Prepare
    await lake.putText('t/day=15/x', 'x');

    // Act
    await lake.deletePrefix('t/');

    // Assess
    expect(await entriesOf('')).toEqual([]);
  });

  test('keeps a folder that still holds objects outside the prefix', async () => {
    // Prepare
    await lake.putText('a/bc/x', 'x');
    await lake.putText('a/bd/y', 'y');

    // Act
    const deleted = await lake.deletePrefix('a/bc/x');

    // Assess
    expect(deleted).toBe(1);
    expect(await entriesOf('a')).toEqual(['bd']);
  });
});

describe('FsObjectStore sweep', () => {
  /** Writes a temporary file as a put in progress (or a killed put) leaves it. */
  async function temporary(folder: string, name: string, age = 0): Promise<string> {
    const path = join(lake.root, ...folder.split('/'), name);
    await mkdir(join(lake.root, ...folder.split('/')), { recursive: true });
    await writeFile(path, 'half a file');
    if (age > 0) {
      const then = new Date(Date.now() - age);
      await utimes(path, then, then);
    }
    return path;
  }

  test('removes the temporary files of writers that no longer run, and the folders that empties', async () => {
    // Prepare
    const dead = deadPid();
    await temporary('t/day=15/v=dead1', `.tmp-${dead}-0a1b2c3d4e5f`);
    await lake.putText('t/day=15/v=dead2/part-00000.parquet', 'a');
    await temporary('t/day=15/v=dead2', `.tmp-${dead}-0a1b2c3d4e5f`);
    await lake.putText('t/day=15/v=r1/part-00000.parquet', 'b');

    // Act
    const removed = await lake.sweep('t/day=15/');

    // Assess
    expect(removed).toBe(2);
    expect(await entriesOf('t/day=15')).toEqual(['v=dead2', 'v=r1']);
    expect(await entriesOf('t/day=15/v=dead2')).toEqual(['part-00000.parquet']);
  });

  test("never touches a running writer's temporary file", async () => {
    // Prepare
    const live = await temporary('t/day=15/v=r2', `.tmp-${process.pid}-0a1b2c3d4e5f`);

    // Act
    const removed = await lake.sweep('t/');

    // Assess
    expect(removed).toBe(0);
    expect(await exists(live)).toBe(true);
  });

  test('removes a temporary file named without a pid only once it is an hour old', async () => {
    // Prepare
    const old = await temporary('t/day=15/v=r2', '.tmp-0a1b2c3d4e5f', 2 * 3_600_000);
    const recent = await temporary('t/day=15/v=r2', '.tmp-6a7b8c9d0e1f');

    // Act
    await lake.sweep('t/day=15/');

    // Assess
    expect(await exists(old)).toBe(false);
    expect(await exists(recent)).toBe(true);
  });

  test('sweeps only under the prefix', async () => {
    // Prepare
    const dead = deadPid();
    const outside = await temporary('t/day=16/v=r1', `.tmp-${dead}-0a1b2c3d4e5f`);

    // Act
    await lake.sweep('t/day=15/');

    // Assess
    expect(await exists(outside)).toBe(true);
  });

  test("names a put's temporary file after its process", async () => {
    // Prepare
    await lake.putText('t/first', 'x');
    const names: string[] = [];
    const watcher = watch(join(lake.root, 't'), (_event, name) => {
      if (name) names.push(name);
    });

    // Act
    await lake.putText('t/x', 'x'.repeat(1000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    watcher.close();

    // Assess
    const temporaries = new Set(names.filter((n) => n.startsWith('.tmp-')));
    expect([...temporaries]).toEqual([
      expect.stringMatching(new RegExp(`^\\.tmp-${process.pid}-[0-9a-f]{12}$`)),
    ]);
  });
});

describe('FsObjectStore keys', () => {
  test.each(['/etc/passwd', '../outside.txt', 'a/../../outside.txt', 'a/..'])(
    'rejects the key %p, naming it',
    async (key) => {
      // Prepare
      const escaped = key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

      // Act
      const put = lake.putText(key, 'x');

      // Assess
      await expect(put).rejects.toThrow(new RegExp(`invalid lake key '${escaped}'`));
    },
  );

  test('an invalid key writes nothing outside the lake', async () => {
    // Prepare
    await mkdir(lake.root, { recursive: true });

    // Act
    await lake.putText('../outside.txt', 'x').catch(() => undefined);

    // Assess
    expect(await exists(join(dir, 'outside.txt'))).toBe(false);
  });

  test('list rejects a prefix that climbs out of the lake', async () => {
    // Prepare
    const prefix = '../';

    // Act
    const listing = lake.list(prefix);

    // Assess
    await expect(listing).rejects.toThrow(/invalid lake key/);
  });

  test('locate gives the absolute path of a key inside the lake root', () => {
    // Prepare
    const key = 't/year=2025/month=02/day=15/v=r1/part-00000.parquet';

    // Act
    const path = lake.locate(key);

    // Assess
    expect(path).toBe(
      join(dir, 'lake', 't', 'year=2025', 'month=02', 'day=15', 'v=r1', 'part-00000.parquet'),
    );
  });

  test('locate rejects a key with a .. segment', () => {
    // Prepare
    const key = 'a/../b';

    // Act
    const locate = (): string => lake.locate(key);

    // Assess
    expect(locate).toThrow(/invalid lake key 'a\/\.\.\/b'/);
  });

  test('the root is resolved to an absolute path', () => {
    // Prepare
    const relativeRoot = 'some/relative/lake';

    // Act
    const store = new FsObjectStore(relativeRoot);

    // Assess
    expect(store.root).toBe(join(process.cwd(), 'some', 'relative', 'lake'));
  });
});
