/**
 * The SQL source port: the hot PostgreSQL database as the core logic sees it. The local runtime
 * and the tests implement it with `pg` (against a PostgreSQL server or the embedded PGlite served
 * over the wire); the AWS runtime adds the RDS Data API.
 */

/** A result column: its name and PostgreSQL type OID (`pg_type.oid`, e.g. 20 for int8). */
export interface SqlField {
  readonly name: string;
  readonly dataTypeID: number;
}

/** A connection (or transaction) on which statements run in order. */
export interface SqlSession {
  /**
   * Like {@link SqlSession.query}, with the result's columns in select-list order (also when no
   * row came back). Optional: adapters that know the columns implement it; the hot query engine
   * uses it for column names and types.
   * @example
   * const { rows, fields } = await session.queryWithFields!('SELECT 1::int8 AS n');
   * fields; // [{ name: 'n', dataTypeID: 20 }]
   */
  queryWithFields?<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; fields: SqlField[] }>;

  /**
   * Runs one statement with positional parameters (`$1`, `$2`, …) and returns its rows.
   * @example
   * const rows = await session.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE event_type = $1', ['Login']);
   */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;

  /**
   * Streams `COPY … FROM STDIN` data (text or CSV, as the statement says) and resolves to the
   * number of rows the server loaded.
   * @example
   * await session.copyFrom('COPY agents FROM STDIN', ['id\tname\n']);
   */
  copyFrom(sql: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<number>;

  /**
   * Runs `COPY … TO STDOUT` and returns its output as a stream (backpressure reaches the server:
   * memory does not grow with the result). Consume it before the next statement on the session.
   * @example
   * const csv = session.copyTo('COPY (SELECT * FROM events) TO STDOUT (FORMAT csv)');
   */
  copyTo(sql: string): NodeJS.ReadableStream;
}

/** Which kind of PostgreSQL the platform is talking to, for messages and output. */
export interface SqlTarget {
  /** `server`: a PostgreSQL server from DATABASE_URL or PG*; `embedded`: PGlite under THERMOCLINE_HOME. */
  readonly kind: 'server' | 'embedded';
  /** Connection URL without any password, e.g. `postgres://postgres@127.0.0.1:5432/postgres`. */
  readonly url: string;
  /** One line for humans: what is used and where. */
  readonly description: string;
  /**
   * Embedded only: `owner` when this process opened PGlite and serves it, `shared` when it
   * connects to another Thermocline process that does.
   */
  readonly embeddedRole?: 'owner' | 'shared';
}

/** The hot database: sessions on demand, transactions, and shutdown. */
export interface SqlDatabase extends SqlSession {
  readonly target: SqlTarget;
  /** The schema every unqualified name resolves to (`public` unless configured). */
  readonly schema: string;
  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back
   * when it throws (nothing half-written).
   */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Closes connections and, for the embedded database, stops it. */
  close(): Promise<void>;
}
