import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '#adapters/open-database';
import type { SqlDatabase } from '#ports/sql';

// The embedded path: PGlite under THERMOCLINE_HOME, served over the wire, used through `pg`.
describe('embedded PostgreSQL (PGlite over the wire)', () => {
  let home: string;
  let db: SqlDatabase;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'thermocline-embedded-'));
    db = await openDatabase({ env: {}, home });
    await db.query('CREATE TABLE items (id int8 PRIMARY KEY, label text, tags text[], doc jsonb)');
  });

  afterAll(async () => {
    await db.close();
    await rm(home, { recursive: true, force: true });
  });

  it('says it is embedded and where it serves', () => {
    expect(db.target.kind).toBe('embedded');
    expect(db.target.embeddedRole).toBe('owner');
    expect(db.target.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
  });

  it('loads rows with COPY FROM STDIN in several statements of one transaction', async () => {
    const loaded = await db.transaction(async (session) => {
      const a = await session.copyFrom('COPY items FROM STDIN', ['1\tone\t{a,b}\t{"k": 1}\n']);
      const b = await session.copyFrom('COPY items FROM STDIN', [
        '2\ttwo\t\\N\t\\N\n',
        '3\tthree\t{}\t[]\n',
      ]);
      return a + b;
    });

    expect(loaded).toBe(3);
    expect(await db.query('SELECT id, label, tags, doc FROM items ORDER BY id')).toEqual([
      { id: '1', label: 'one', tags: ['a', 'b'], doc: { k: 1 } },
      { id: '2', label: 'two', tags: null, doc: null },
      { id: '3', label: 'three', tags: [], doc: [] },
    ]);
  });

  it('rolls back a transaction whose COPY fails and keeps serving', async () => {
    const attempt = db.transaction(async (session) => {
      await session.copyFrom('COPY items FROM STDIN', ['10\tten\t{}\t{}\n']);
      await session.copyFrom('COPY items FROM STDIN', ['not-a-number\tx\t{}\t{}\n']);
    });

    await expect(attempt).rejects.toThrow(/invalid input syntax for type bigint/);
    expect(await db.query('SELECT count(*)::int AS n FROM items WHERE id = 10')).toEqual([
      { n: 0 },
    ]);
  });

  it('keeps other connections out of an open transaction until it ends', async () => {
    // PGlite has one backend session: without the wire server's isolation, the racing query
    // would run inside this transaction and see its uncommitted row.
    let racing: Promise<{ n: number }[]> | undefined;
    const attempt = db.transaction(async (session) => {
      await session.query("INSERT INTO items VALUES (20, 'twenty', NULL, NULL)");
      racing = db.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE id = 20');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const inside = await session.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM items WHERE id = 20',
      );
      throw new Error(`abort after seeing ${inside[0]?.n} row`);
    });

    await expect(attempt).rejects.toThrow('abort after seeing 1 row');
    expect(await racing).toEqual([{ n: 0 }]);
  });

  it('answers parallel parameterized queries each with its own result', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((k) => db.query<{ k: number }>('SELECT $1::int * 10 AS k', [k])),
    );

    expect(results.map((rows) => rows[0]?.k)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
  });

  it('lets a second opener in this process share the running server', async () => {
    const second = await openDatabase({ env: {}, home });
    try {
      expect(second.target.embeddedRole).toBe('shared');
      expect(second.target.url).toBe(db.target.url);
      expect(await second.query('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 3 }]);
    } finally {
      await second.close();
    }
    expect(await db.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]); // the owner still serves
  });
});

describe('embedded PostgreSQL lifecycle', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'thermocline-lifecycle-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('persists data under THERMOCLINE_HOME across restarts', async () => {
    const first = await openDatabase({ env: {}, home });
    await first.query("CREATE TABLE kept AS SELECT 'still here'::text AS note");
    await first.close();

    const second = await openDatabase({ env: {}, home });
    try {
      expect(await second.query('SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
      expect(second.target.embeddedRole).toBe('owner');
    } finally {
      await second.close();
    }
  });

  it('replaces a lock left by a process that is gone', async () => {
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(exited.stdout.toString());
    await writeFile(join(home, 'postgres.json'), JSON.stringify({ pid: deadPid, port: 1 }));

    const db = await openDatabase({ env: {}, home });
    try {
      const lock = JSON.parse(await readFile(join(home, 'postgres.json'), 'utf8')) as {
        pid: number;
      };
      expect(db.target.embeddedRole).toBe('owner');
      expect(lock.pid).toBe(process.pid);
    } finally {
      await db.close();
    }
  });

  it('lets a sharing opener take over when the serving one stops while it still works', async () => {
    // Prepare: the first opener serves the data directory, the second connects to it.
    const owner = await openDatabase({ env: {}, home });
    await owner.query("CREATE TABLE kept AS SELECT 'still here'::text AS note");
    const sharing = await openDatabase({ env: {}, home });
    try {
      expect(sharing.target.embeddedRole).toBe('shared');
      expect(await sharing.query('SELECT note FROM kept')).toEqual([{ note: 'still here' }]);

      // Act: the serving one ends (as an `etl run` that is done does) …
      await owner.close();
      // … and the other goes on: a query and a transaction.
      const rows = await sharing.query('SELECT note FROM kept');
      const inserted = await sharing.transaction(async (session) => {
        await session.query("INSERT INTO kept VALUES ('after')");
        return await session.query<{ n: number }>('SELECT count(*)::int AS n FROM kept');
      });

      // Assess: it opened the data directory itself and serves it now.
      expect(rows).toEqual([{ note: 'still here' }]);
      expect(inserted).toEqual([{ n: 2 }]);
      expect(sharing.target.embeddedRole).toBe('owner');
      const lock = JSON.parse(await readFile(join(home, 'postgres.json'), 'utf8')) as {
        pid: number;
      };
      expect(lock.pid).toBe(process.pid);
    } finally {
      await sharing.close();
    }
    await expect(readFile(join(home, 'postgres.json'))).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('removes its lock when it stops', async () => {
    const db = await openDatabase({ env: {}, home });
    await db.close();

    await expect(readFile(join(home, 'postgres.json'))).rejects.toThrow(/ENOENT/);
  });
});
