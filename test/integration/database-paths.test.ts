import { openDatabase, redact } from '#adapters/open-database';
import { DatabaseUnavailableError } from '#core/errors';
import { findServer, type ServerEnv } from '#test/support/database';

// The server path of the one code path: DATABASE_URL or PG*. The embedded path has its own suite.
describe('PostgreSQL server path', () => {
  let server: ServerEnv | undefined;

  beforeAll(async () => {
    server = await findServer();
  });

  it('fails with a clear error naming the URL when DATABASE_URL points at nothing', async () => {
    const opening = openDatabase({
      env: { DATABASE_URL: 'postgres://someone:s3cret@127.0.0.1:9/nowhere' },
      home: '/nonexistent',
    });

    await expect(opening).rejects.toThrow(DatabaseUnavailableError);
    await expect(opening).rejects.toThrow(
      /cannot reach PostgreSQL server postgres:\/\/someone:\*\*\*@127\.0\.0\.1:9\/nowhere .*ECONNREFUSED.*unset DATABASE_URL/,
    );
  });

  it('never shows a password', () => {
    expect(redact('postgres://u:p4ss@h:5432/db?sslmode=require')).toBe(
      'postgres://u:***@h:5432/db?sslmode=require',
    );
  });

  it('uses the server from DATABASE_URL or PG* when one answers', async () => {
    if (!server) {
      // No server on this machine: CI always has one (.ci/run requires it).
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
      return;
    }
    const db = await openDatabase({ env: server.env, home: '/nonexistent' });
    try {
      const [row] = await db.query<{ version: string }>('SELECT version()');
      expect(db.target.kind).toBe('server');
      expect(row?.version).toMatch(/^PostgreSQL \d+/);
      expect(row?.version).not.toMatch(/emscripten|wasm/i);
      expect(await db.query("SELECT current_setting('TimeZone') AS tz")).toEqual([{ tz: 'UTC' }]);
    } finally {
      await db.close();
    }
  });

  it('reads the standard PG* variables when DATABASE_URL is unset', async () => {
    if (!server) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
      return;
    }
    const url = new URL(server.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    const env = server.env.DATABASE_URL
      ? {
          PGHOST: url.hostname,
          PGPORT: url.port || '5432',
          PGUSER: decodeURIComponent(url.username),
          PGPASSWORD: decodeURIComponent(url.password),
          PGDATABASE: url.pathname.slice(1),
        }
      : server.env;
    const db = await openDatabase({ env, home: '/nonexistent' });
    try {
      expect(db.target.kind).toBe('server');
      expect(db.target.description).toMatch(/from PG/);
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
