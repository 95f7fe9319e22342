import { relative } from 'node:path';
import { DatabaseUnavailableError } from '#core/errors';
import { openEmbeddedPostgres, type EmbeddedPostgres } from '#adapters/local/embedded-postgres';
import { createPgDatabase } from '#adapters/pg/pg-database';
import type { SqlDatabase, SqlTarget } from '#ports/sql';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Environment to read `DATABASE_URL` and `PG*` from. */
  readonly env: NodeJS.ProcessEnv;
  /** THERMOCLINE_HOME: where the embedded database lives. */
  readonly home: string;
  /** Schema for unqualified names. @default 'public' */
  readonly schema?: string;
}

const PG_VARIABLES = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER'] as const;

/**
 * Opens the hot database through one code path (`pg`): the server named by `DATABASE_URL` (or the
 * standard `PG*` variables) when set, otherwise the embedded PGlite under `home`, served over the
 * wire on a loopback port. Checks the connection before returning.
 * @example
 * const db = await openDatabase({ env: process.env, home: '.thermocline' });
 * console.log(db.target.description);
 * await db.close();
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<SqlDatabase> {
  const { env } = options;
  const url = env.DATABASE_URL?.trim();
  if (url) {
    return await checked(
      createPgDatabase({
        connection: { connectionString: url, connectionTimeoutMillis: 5000 },
        target: serverTarget(redact(url), 'DATABASE_URL'),
        schema: options.schema,
      }),
    );
  }
  const named = PG_VARIABLES.filter((name) => env[name]);
  if (named.length > 0) {
    const user = env.PGUSER ?? env.USER ?? 'postgres';
    const host = env.PGHOST ?? 'localhost';
    const port = Number(env.PGPORT ?? 5432);
    const database = env.PGDATABASE ?? user;
    return await checked(
      createPgDatabase({
        connection: {
          host,
          port,
          user,
          database,
          password: env.PGPASSWORD,
          ssl: sslFromMode(env.PGSSLMODE),
          connectionTimeoutMillis: 5000,
        },
        target: serverTarget(`postgres://${user}@${host}:${port}/${database}`, named.join(', ')),
        schema: options.schema,
      }),
    );
  }

  return await checked(await embeddedDatabase(options.home, options.schema));
}

/**
 * The embedded PGlite through `pg`, following whichever process serves it. One process opens the
 * data directory and serves it; the others connect to it. When that process ends — its own
 * `etl run` done, or killed — while this one still works, the next connection is refused: this
 * process then opens the data directory itself (or joins the process that did so first) and
 * makes the refused call again, which never reached the database. Calls that were running on a
 * dropped connection fail as a lost connection does (the callers' retries take them again).
 */
async function embeddedDatabase(home: string, schema: string | undefined): Promise<SqlDatabase> {
  let current = connectEmbedded(await openEmbeddedPostgres(home), schema);
  let reopening: Promise<SqlDatabase> | undefined;
  let closed = false;
  // Pools on other processes' servers that are gone: closed with this database (calls begun on
  // one may still be failing, and a pool cannot be used after it is ended).
  const retired: SqlDatabase[] = [];
  const reopen = (failed: SqlDatabase): Promise<SqlDatabase> => {
    if (current !== failed) return Promise.resolve(current);
    reopening ??= (async () => {
      try {
        const next = connectEmbedded(await openEmbeddedPostgres(home), schema);
        retired.push(failed);
        current = next;
        return current;
      } finally {
        reopening = undefined;
      }
    })();
    return reopening;
  };
  /** Runs `use` on the current database; once more on the new one when the server is gone. */
  const followOwner = async <T>(
    use: (db: SqlDatabase) => Promise<T>,
    untouched: () => boolean = () => true,
  ): Promise<T> => {
    const db = current;
    try {
      return await use(db);
    } catch (error) {
      // Only a server of another process can go away under this one.
      const shared = db.target.embeddedRole === 'shared';
      const refused = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      if (closed || !shared || !refused || !untouched()) throw error;
      return await use(await reopen(db));
    }
  };
  return {
    get target() {
      return current.target;
    },
    schema: current.schema,
    query: (sql, params) => followOwner((db) => db.query(sql, params)),
    copyFrom: (sql, chunks) => followOwner((db) => db.copyFrom(sql, chunks)),
    copyTo: (sql) => current.copyTo(sql),
    transaction: (work) => {
      let started = false;
      return followOwner(
        (db) => db.transaction((session) => ((started = true), work(session))),
        () => !started,
      );
    },
    close: async () => {
      closed = true;
      await reopening?.catch(() => undefined);
      await Promise.all(retired.map((db) => db.close().catch(() => undefined)));
      await current.close();
    },
  };
}

/** A `pg` pool on the embedded database `embedded` serves; closing it stops an owned one. */
function connectEmbedded(embedded: EmbeddedPostgres, schema: string | undefined): SqlDatabase {
  const shownUrl = `postgres://postgres@${embedded.host}:${embedded.port}/postgres`;
  const where = relative(process.cwd(), embedded.dataDir) || embedded.dataDir;
  const description =
    embedded.role === 'owner'
      ? `embedded PostgreSQL (PGlite) at ${where}, served on ${embedded.host}:${embedded.port}`
      : `embedded PostgreSQL (PGlite) at ${where}, shared with Thermocline process ${embedded.pid} on ${embedded.host}:${embedded.port}`;
  return createPgDatabase({
    connection: {
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 30000,
    },
    target: { kind: 'embedded', url: shownUrl, description, embeddedRole: embedded.role },
    schema,
    onClose: () => embedded.stop(),
  });
}

/** libpq's PGSSLMODE for `pg`: require encrypts, verify-ca/verify-full also check the certificate. */
function sslFromMode(mode: string | undefined): { rejectUnauthorized: boolean } | undefined {
  if (mode === 'verify-full' || mode === 'verify-ca') return { rejectUnauthorized: true };
  if (mode === 'require') return { rejectUnauthorized: false };
  return undefined;
}

function serverTarget(url: string, from: string): SqlTarget {
  return { kind: 'server', url, description: `PostgreSQL server ${url} (from ${from})` };
}

async function checked(db: SqlDatabase): Promise<SqlDatabase> {
  try {
    await db.query('SELECT 1');
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    const hint =
      db.target.kind === 'server'
        ? 'Start the server or fix the URL; unset DATABASE_URL and PG* to use the embedded database instead.'
        : 'Stop other Thermocline processes and try again.';
    throw new DatabaseUnavailableError(
      `cannot reach ${db.target.description}: ${(error as Error).message}. ${hint}`,
    );
  }
}

/** The URL without its password, for output and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
