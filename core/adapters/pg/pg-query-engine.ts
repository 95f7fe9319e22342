import { quoteIdent, qualify } from '#core/sql/ident';
import {
  QueryCancelledError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';
import { jsonSafe, jsonSafeIntegerText } from '#core/query/rows';
import { Semaphore } from '#core/semaphore';
import type {
  HotQuery,
  HotQueryEngine,
  QueryColumn,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';
import type { SqlDatabase, SqlField, SqlSession } from '#ports/sql';

/** The role hot plan steps run as: NOLOGIN, USAGE on the schema, SELECT on the plan tables. */
export const READER_ROLE = 'thermocline_reader';

const ENGINE = 'postgres';

/** PostgreSQL type names of common type OIDs (`pg_type`), for result columns. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  16: 'bool',
  17: 'bytea',
  18: 'char',
  19: 'name',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  26: 'oid',
  114: 'json',
  700: 'float4',
  701: 'float8',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1186: 'interval',
  1266: 'timetz',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
  199: 'json[]',
  1000: 'bool[]',
  1001: 'bytea[]',
  1005: 'int2[]',
  1007: 'int4[]',
  1009: 'text[]',
  1014: 'bpchar[]',
  1015: 'varchar[]',
  1016: 'int8[]',
  1021: 'float4[]',
  1022: 'float8[]',
  1115: 'timestamp[]',
  1182: 'date[]',
  1185: 'timestamptz[]',
  1231: 'numeric[]',
  2951: 'uuid[]',
  3807: 'jsonb[]',
};

const INT8 = 20;
const INT8_ARRAY = 1016;
const TIMESTAMP = 1114;
const TIMESTAMP_ARRAY = 1115;
const INTERVAL = 1186;

/** How long past the statement timeout the client-side deadline fires. */
const DEADLINE_GRACE_MS = 250;

/** SQLSTATE of a cancelled statement (statement_timeout, or a cancel request). */
const QUERY_CANCELED = '57014';

/**
 * The PostgreSQL type name of a type OID: common ones by name (`int8`, `numeric`,
 * `timestamptz`, `text[]`), others as `oid:<n>`.
 * @example
 * pgTypeName(1184); // 'timestamptz'
 */
export function pgTypeName(oid: number): string {
  return TYPE_NAMES[oid] ?? `oid:${oid}`;
}

/**
 * The local hot engine on the SQL port (`pg`, against a server or the embedded PGlite). Every
 * query runs in its own transaction: `SET TRANSACTION READ ONLY` first, then `SET LOCAL
 * statement_timeout`, then `SET LOCAL ROLE thermocline_reader` when that role exists, has USAGE
 * on `db.schema` and the session may take it (see {@link ensureReaderRole}), then the statement
 * with its parameters (lists go as PostgreSQL arrays, so `member_code = ANY($1)` works). Being
 * read-only, the transaction has nothing to commit.
 *
 * Values: int8 as a number when exact (else its text), numeric as its exact text, timestamps as
 * ISO 8601 with `Z` (a `timestamp` without time zone is read as UTC wall time), dates
 * `YYYY-MM-DD`, bytea base64, json as parsed JSON. An AbortSignal is checked before the query
 * and after it (the statement timeout bounds a query nobody waits for any more). The embedded
 * PGlite does not enforce `statement_timeout` (WebAssembly, no timer interrupts): a client-side
 * deadline 250 ms past the timeout answers {@link StatementTimeoutError} on time, while the
 * embedded backend finishes the statement on its own. `close()` releases nothing: the database
 * belongs to the caller.
 *
 * At most `maxConcurrentQueries` (2) transactions run at once; the others wait for a slot (their
 * statement timeout starts with the transaction), so plan steps never take every pooled
 * connection from the service's other work, and never wait for one past the pool's connect
 * timeout. A signal that aborts rejects at once ({@link QueryCancelledError}); on a server the
 * running statement is cancelled too (`pg_cancel_backend`).
 * @example
 * const engine = createPgHotEngine(db);
 * const result = await engine.run({
 *   sql: 'SELECT member_code, tier FROM members WHERE member_code = ANY($1)',
 *   params: [['M001', 'M002']], timeoutMs: 30_000,
 * });
 */
export function createPgHotEngine(
  db: SqlDatabase,
  options: PgHotEngineOptions = {},
): HotQueryEngine {
  const slots = new Semaphore(options.maxConcurrentQueries ?? 2);
  return {
    name: ENGINE,
    run: async (query) => {
      const { signal } = query;
      if (signal?.aborted) throw new QueryCancelledError(ENGINE);
      const release = await slots.acquire(signal).catch(() => {
        throw new QueryCancelledError(ENGINE);
      });
      let backend: number | undefined;
      const running = db
        .transaction((session) =>
          runReadOnly(session, db.schema, query, (pid) => {
            backend = pid;
          }),
        )
        .catch((error: unknown) => {
          throw hotFailure(error, query.timeoutMs);
        });
      // The slot is held until the transaction really ended, even when nobody waits for it.
      running.then(release, release);
      const cancel = (): void => {
        if (backend === undefined || db.target.kind !== 'server') return;
        db.query('SELECT pg_cancel_backend($1)', [backend]).catch(() => undefined);
      };
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        const result = await withDeadline(running, query.timeoutMs + DEADLINE_GRACE_MS, signal);
        if (signal?.aborted) throw new QueryCancelledError(ENGINE);
        return result;
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    },
    close: async () => undefined,
  };
}

/** Options of {@link createPgHotEngine}. */
export interface PgHotEngineOptions {
  /** Transactions that run at once; the others wait for a slot. @default 2 */
  readonly maxConcurrentQueries?: number;
}

/**
 * The client-side backstop of the statement timeout: the embedded PGlite (WebAssembly, no timer
 * interrupts) ignores `statement_timeout`, so the caller gets the timeout error on time anyway
 * (the embedded backend finishes the statement on its own, then the transaction rolls back). A
 * server cancels the statement itself well before this fires. An aborted signal rejects at once.
 */
async function withDeadline<T>(
  work: Promise<T>,
  deadlineMs: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StatementTimeoutError(ENGINE, deadlineMs - DEADLINE_GRACE_MS)),
      deadlineMs,
    );
    onAbort = () => reject(new QueryCancelledError(ENGINE));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  work.catch(() => undefined); // settled later than the deadline: nobody waits for it any more
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

async function runReadOnly(
  session: SqlSession,
  schema: string,
  query: HotQuery,
  onBackend: (pid: number) => void,
): Promise<QueryResult> {
  const timeoutMs = Math.max(1, Math.round(query.timeoutMs));
  await session.query('SET TRANSACTION READ ONLY');
  await session.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
  const { usable, pid } = await mayUseReaderRole(session, schema);
  if (pid !== undefined) onBackend(pid);
  if (usable) await session.query(`SET LOCAL ROLE ${quoteIdent(READER_ROLE)}`);
  const started = performance.now();
  const params = [...query.params];
  let rows: Record<string, unknown>[];
  let fields: readonly SqlField[] | undefined;
  if (session.queryWithFields) {
    ({ rows, fields } = await session.queryWithFields(query.sql, params));
  } else {
    rows = await session.query(query.sql, params);
  }
  const engineMs = Math.round(performance.now() - started);
  const columns: QueryColumn[] = fields
    ? fields.map((f) => ({ name: f.name, type: pgTypeName(f.dataTypeID) }))
    : Object.keys(rows[0] ?? {}).map((name) => ({ name, type: 'unknown' }));
  const oids = new Map(fields?.map((f) => [f.name, f.dataTypeID]));
  return {
    columns,
    rows: rows.map((row) => convertRow(row, oids)),
    bytesScanned: 0,
    engineMs,
    reused: false,
  };
}

/**
 * Whether the reader role exists, has USAGE on this database's schema (roles are cluster-wide:
 * one set up for another schema is not this one's) and the session's user may SET ROLE to it;
 * and the session's backend pid (what a cancel names).
 */
async function mayUseReaderRole(
  session: SqlSession,
  schema: string,
): Promise<{ usable: boolean; pid?: number }> {
  const [row] = await session.query<{ usable: boolean; pid: number | null }>(
    `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)
                   AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2)
                 THEN pg_has_role(current_user, $1, 'MEMBER')
                      AND has_schema_privilege($1, $2, 'USAGE')
                 ELSE false END AS usable,
            pg_backend_pid() AS pid`,
    [READER_ROLE, schema],
  );
  return {
    usable: row?.usable === true,
    ...(typeof row?.pid === 'number' ? { pid: row.pid } : {}),
  };
}

function convertRow(row: Record<string, unknown>, oids: ReadonlyMap<string, number>): QueryRow {
  const out: QueryRow = {};
  for (const [name, value] of Object.entries(row)) out[name] = convertValue(value, oids.get(name));
  return out;
}

function convertValue(value: unknown, oid: number | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (oid === INT8 && typeof value === 'string') return jsonSafeIntegerText(value);
  if (oid === INT8_ARRAY && Array.isArray(value)) {
    return value.map((v) => (typeof v === 'string' ? jsonSafeIntegerText(v) : jsonSafe(v)));
  }
  if (oid === TIMESTAMP && value instanceof Date) return wallTimeAsUtc(value);
  if (oid === TIMESTAMP_ARRAY && Array.isArray(value)) {
    return value.map((v) => (v instanceof Date ? wallTimeAsUtc(v) : jsonSafe(v)));
  }
  if (oid === INTERVAL && typeof value === 'object') {
    const interval = value as { toISOString?: () => string };
    if (typeof interval.toISOString === 'function') return interval.toISOString();
  }
  return jsonSafe(value);
}

/**
 * `pg` parses a `timestamp` (without time zone) as local time; its wall time, read as UTC.
 */
function wallTimeAsUtc(date: Date): string | null {
  if (Number.isNaN(date.getTime())) return null;
  return new Date(
    Date.UTC(
      date.getFullYear(),
      date.getMonth(),
      date.getDate(),
      date.getHours(),
      date.getMinutes(),
      date.getSeconds(),
      date.getMilliseconds(),
    ),
  ).toISOString();
}

/** A PostgreSQL error as the engine's error: timeout 408, the query's fault 400, else 502. */
function hotFailure(error: unknown, timeoutMs: number): unknown {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === QUERY_CANCELED && /statement timeout/i.test(message)) {
    return new StatementTimeoutError(ENGINE, timeoutMs);
  }
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return error;
  if (code === '42501') {
    return new QueryFailedError(
      ENGINE,
      `${message} (plan queries run as the role ${READER_ROLE}, which may read only the ` +
        'configured tables and sync mappings)',
      400,
    );
  }
  // Class 21 cardinality, 22 data, 25 transaction state (read-only), 42 syntax/access, 0A feature.
  const queryFault = /^(21|22|25|42|0A)/.test(code);
  return new QueryFailedError(ENGINE, `${message} (SQLSTATE ${code})`, queryFault ? 400 : 502);
}

/** What {@link ensureReaderRole} did. */
export interface ReaderRoleResult {
  /** The role name, `thermocline_reader`. */
  readonly role: string;
  /** The role is there and this database's user may take it: hot queries run as it. */
  readonly usable: boolean;
  /** Tables the role may now SELECT (schema-qualified), in the order given. */
  readonly granted: readonly string[];
  /** Listed tables that do not exist (nothing granted for them). */
  readonly missing: readonly string[];
  /** Why nothing was set up, when it was not. */
  readonly skipped?: string;
}

/**
 * Creates the reader role idempotently and makes its grants exact: a NOLOGIN role with USAGE on
 * `schema` and SELECT on exactly `tables` of that schema (SELECT on every other table of the
 * schema is revoked first), granted to the current user so it may `SET ROLE` to it. Runs in one
 * transaction. When the database's user may not create roles (no CREATEROLE) or the database
 * does not support them, nothing changes and `skipped` says why: hot queries then run as the
 * connecting user, still read-only with a statement timeout.
 *
 * On the embedded PGlite the role works like on a server (it is single-user, so a role is a
 * permission boundary for the SQL, not for the process); the function checks that `SET ROLE`
 * takes effect before reporting it usable.
 * @example
 * await ensureReaderRole(db, 'public', ['members', 'events', 'agent_tasks']);
 * // { role: 'thermocline_reader', usable: true, granted: ['"public"."members"', …], missing: [] }
 */
export async function ensureReaderRole(
  db: SqlDatabase,
  schema: string,
  tables: readonly string[],
): Promise<ReaderRoleResult> {
  const role = quoteIdent(READER_ROLE);
  try {
    return await db.transaction(async (session) => {
      await session.query(
        `DO $role$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${READER_ROLE}') THEN
             CREATE ROLE ${role} NOLOGIN;
           END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $role$`,
      );
      const [me] = await session.query<{ member: boolean; name: string }>(
        `SELECT pg_has_role(current_user, $1, 'MEMBER') AS member, current_user AS name`,
        [READER_ROLE],
      );
      if (!me?.member) await session.query(`GRANT ${role} TO ${quoteIdent(me?.name ?? '')}`);
      await session.query(`GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${role}`);
      await session.query(
        `REVOKE SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} FROM ${role}`,
      );
      const granted: string[] = [];
      const missing: string[] = [];
      for (const table of tables) {
        const name = qualify(schema, table);
        const [exists] = await session.query<{ oid: string | null }>(
          'SELECT to_regclass($1)::text AS oid',
          [name],
        );
        if (!exists?.oid) {
          missing.push(table);
          continue;
        }
        await session.query(`GRANT SELECT ON ${name} TO ${role}`);
        granted.push(name);
      }
      await session.query(`SET LOCAL ROLE ${role}`);
      const [now] = await session.query<{ who: string }>('SELECT current_user AS who');
      await session.query('RESET ROLE');
      return { role: READER_ROLE, usable: now?.who === READER_ROLE, granted, missing };
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '42501' || code === '0A000') {
      return {
        role: READER_ROLE,
        usable: false,
        granted: [],
        missing: [],
        skipped:
          `the database user may not create or grant the role ${READER_ROLE} ` +
          `(${error instanceof Error ? error.message : String(error)}); hot queries run as the ` +
          'connecting user, read-only with a statement timeout. Create the role as an admin: ' +
          `CREATE ROLE ${READER_ROLE} NOLOGIN, GRANT USAGE and SELECT, GRANT it to the app user`,
      };
    }
    throw error;
  }
}
