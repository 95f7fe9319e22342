import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStream, to as copyToStream } from 'pg-copy-streams';
import { quoteIdent } from '#core/sql/ident';
import type { SqlDatabase, SqlSession, SqlTarget } from '#ports/sql';

/** Options of {@link createPgDatabase}. */
export interface PgDatabaseOptions {
  /** Connection settings; omitted fields come from the standard `PG*` variables. */
  readonly connection: pg.PoolConfig;
  readonly target: SqlTarget;
  /** Schema put first on every connection's search_path. @default 'public' */
  readonly schema?: string;
  /** Pool size. @default 4 */
  readonly maxConnections?: number;
  /** Runs after the pool is closed (the embedded database stops there). */
  readonly onClose?: () => Promise<void>;
}

const DATE_OID = 1082;
/** Dates stay `YYYY-MM-DD` strings: a JS Date would shift them by the local time zone. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The SQL port on `pg`: one code path for a PostgreSQL server and the embedded PGlite (served over
 * the wire), COPY included.
 * @example
 * const db = createPgDatabase({ connection: { connectionString: process.env.DATABASE_URL }, target });
 * await db.query('SELECT 1');
 */
export function createPgDatabase(options: PgDatabaseOptions): SqlDatabase {
  const schema = options.schema ?? 'public';
  const pool = new pg.Pool({
    ...options.connection,
    max: options.maxConnections ?? 4,
    types,
    // Sessions run in UTC. Core SQL always qualifies names with the schema; search_path serves
    // hand-written SQL on a server. The embedded PGlite ignores startup options (it runs in UTC,
    // and its one backend session is shared by all connections): there unqualified names
    // resolve in `public`.
    options: `-c search_path=${quoteIdent(schema)},public -c TimeZone=UTC`,
  });
  pool.on('error', () => undefined); // an idle client's error surfaces on its next use
  /**
   * A checked-out client: its 'error' event (the server terminated the connection, the network
   * dropped) is handled for as long as it is out — pg rejects the running query or stream with the
   * same error, which is what callers see; unhandled, the event would crash the process.
   */
  const checkOut = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    if (!client.listenerCount('error')) client.on('error', () => undefined);
    return client;
  };

  const database: SqlDatabase = {
    target: options.target,
    schema,
    query: async (sql, params) => sessionOf(pool).query(sql, params),
    copyFrom: async (sql, chunks) => {
      const client = await checkOut();
      try {
        return await sessionOf(client).copyFrom(sql, chunks);
      } finally {
        client.release();
      }
    },
    copyTo: () => {
      throw new Error('copyTo needs a session: run it inside db.transaction(…)');
    },
    transaction: async (work) => {
      const client = await checkOut();
      const session = sessionOf(client);
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(session);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A COPY TO still streaming cannot be rolled back on this connection: drop the
        // connection instead (the server aborts the transaction when it goes).
        if (session.copying()) broken = true;
        else await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close: async () => {
      await pool.end();
      await options.onClose?.();
    },
  };
  return database;
}

function sessionOf(client: pg.Pool | pg.PoolClient): SqlSession & { copying(): boolean } {
  let copying = false;
  return {
    query: async <Row extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
      (await client.query<Row>(sql, params ? [...params] : undefined)).rows,
    queryWithFields: async <Row extends Record<string, unknown>>(
      sql: string,
      params?: readonly unknown[],
    ) => {
      const result = await client.query<Row>(sql, params ? [...params] : undefined);
      return {
        rows: result.rows,
        fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
      };
    },
    copyFrom: async (sql, chunks) => {
      if (!('release' in client)) throw new Error('copyFrom needs a dedicated connection');
      const stream = client.query(copyFromStream(sql));
      await pipeline(Readable.from(chunks, { objectMode: false }), stream);
      return stream.rowCount;
    },
    copyTo: (sql) => {
      if (!('release' in client)) throw new Error('copyTo needs a dedicated connection');
      copying = true;
      const stream = client.query(copyToStream(sql));
      const done = (): void => {
        copying = false;
      };
      stream.once('end', done);
      return stream;
    },
    copying: () => copying,
  };
}
