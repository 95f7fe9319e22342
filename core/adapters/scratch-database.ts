/**
 * A scratch database for a test suite or a benchmark: its own schema on the PostgreSQL server
 * named by DATABASE_URL / PG* (or the local one on 127.0.0.1:5432), else its own embedded PGlite
 * in a temporary home. Test suites reach it through `#test/support/database`, benchmarks directly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers } from '#adapters/local/embedded-postgres';
import { openDatabase } from '#adapters/open-database';
import { quoteIdent } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';

/** The PostgreSQL server integration tests use, or undefined when none answers. */
export interface ServerEnv {
  readonly env: NodeJS.ProcessEnv;
}

const PG_VARIABLES = ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'];

/**
 * The server the integration tests run against: DATABASE_URL / PG* when set, else the local
 * server on 127.0.0.1:5432 when it answers, else none (then the embedded PGlite is used).
 * THERMOCLINE_TEST_DB=embedded forces the embedded one.
 */
export async function findServer(): Promise<ServerEnv | undefined> {
  if (process.env.THERMOCLINE_TEST_DB === 'embedded') return undefined;
  const configured = PG_VARIABLES.filter((name) => process.env[name]);
  if (configured.length > 0) {
    return { env: Object.fromEntries(configured.map((name) => [name, process.env[name]])) };
  }
  if (await answers('127.0.0.1', 5432, 500)) {
    return { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' } };
  }
  return undefined;
}

/** A database for one test suite and how to drop it. */
export interface TestDatabase {
  readonly db: SqlDatabase;
  /** Drops the suite's schema (server) or deletes the embedded home; closes connections. */
  cleanup(): Promise<void>;
}

let counter = 0;

/**
 * Opens a database private to the calling suite: its own schema on the server when one answers,
 * otherwise its own embedded PGlite in a temporary THERMOCLINE_HOME.
 * @example
 * const { db, cleanup } = await openTestDatabase('seed');
 * afterAll(cleanup);
 */
export async function openTestDatabase(suite: string): Promise<TestDatabase> {
  const server = await findServer();
  return server ? openServerTestDatabase(suite, server) : openEmbeddedTestDatabase(suite);
}

/** A private schema on the given server. */
export async function openServerTestDatabase(
  suite: string,
  server: ServerEnv,
): Promise<TestDatabase> {
  const schema = `tc_${suite.replace(/\W/g, '_')}_${process.pid}_${++counter}`;
  const db = await openDatabase({ env: server.env, home: tmpdir(), schema });
  await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await db.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  return {
    db,
    cleanup: async () => {
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    },
  };
}

/** A fresh embedded database in a temporary home. */
export async function openEmbeddedTestDatabase(
  suite: string,
  schema = 'public',
): Promise<TestDatabase> {
  const home = await mkdtemp(join(tmpdir(), `thermocline-${suite}-`));
  const db = await openDatabase({ env: {}, home, schema });
  return {
    db,
    cleanup: async () => {
      await db.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
