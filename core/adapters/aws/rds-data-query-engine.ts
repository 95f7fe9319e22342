import { retryOnAuthFailure } from '#adapters/aws/database-secret-cache';
import {
  BeginTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  type ColumnMetadata,
  type ExecuteStatementCommandOutput,
  type Field,
  type RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DatabaseUnavailableError } from '#core/errors';
import {
  QueryCancelledError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';
import { base64Of, jsonSafeFloat } from '#core/query/rows';
import { rewritePlaceholders } from '#core/query/sql-text';
import { quoteIdent } from '#core/sql/ident';
import type {
  HotQuery,
  HotQueryEngine,
  QueryColumn,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';

/** Where the Data API reaches the database. */
export interface RdsDataOptions {
  /** ARN of the Aurora cluster (its HTTP endpoint enabled). */
  readonly resourceArn: string;
  /** ARN of the Secrets Manager secret with the database credentials. */
  readonly secretArn: string;
  /** The database name. */
  readonly database: string;
  /**
   * The schema unqualified names resolve in (`SET LOCAL search_path` for hot queries; the SQL
   * port's `schema`). @default 'public'
   */
  readonly schema?: string;
  /**
   * The pause before the one retry of a call the database refused to log in for (the secret was
   * rotated: the Data API logs in with the secret's current value on every call). Only calls
   * outside a transaction, and BeginTransaction, are retried.
   * @default 500 - half a second
   */
  readonly authRetryPauseMs?: number;
}

/**
 * `send` once more after `options.authRetryPauseMs` when the database refused the login.
 * @example
 * await sendWithAuthRetry(options, () => client.send(new BeginTransactionCommand({ … })));
 */
export function sendWithAuthRetry<T>(
  options: Pick<RdsDataOptions, 'authRetryPauseMs'>,
  send: () => Promise<T>,
): Promise<T> {
  const pauseMs = options.authRetryPauseMs ?? 500;
  return retryOnAuthFailure(send, () => new Promise((resolve) => setTimeout(resolve, pauseMs)));
}

/** Options of {@link RdsDataHotEngine}. */
export interface RdsDataHotEngineOptions extends RdsDataOptions {
  /**
   * A role hot queries run as (`SET LOCAL ROLE`), when the secret's user may take it.
   * @default none - the secret's user
   */
  readonly readerRole?: string;
  /**
   * Rows per FETCH. The Data API refuses a response over 1 MiB and then drops the transaction,
   * so a result that hits it is read again from the start with a quarter of the rows per FETCH.
   * @default 1000
   */
  readonly fetchRows?: number;
}

const ENGINE = 'rds-data';
const CURSOR = 'thermocline_rows';

/**
 * The hot engine on the RDS Data API (Aurora PostgreSQL). Each query runs in its own Data API
 * transaction (BeginTransaction … RollbackTransaction: it only ever read): `SET TRANSACTION READ
 * ONLY`, `SET LOCAL statement_timeout`, the schema's search_path and the optional reader role,
 * then the statement as a server-side cursor (`DECLARE thermocline_rows CURSOR FOR …`) read with
 * `FETCH FORWARD 1000` until it runs dry — so results over the Data API's 1 MiB response limit
 * are paged. The Data API drops a transaction whose response was too large: the read then starts
 * over with a quarter of the rows per FETCH, down to one row.
 *
 * Parameters: `$n` become named parameters `:pn` ({@link toDataApiStatement}); the Data API has
 * no array parameters, so a list travels as one JSON text parameter expanded in SQL — the SQL is
 * built from the statement's structure and the parameter's kind, never from its values. A string
 * parameter reaches PostgreSQL as `varchar`: compare non-text columns through a cast
 * (`CAST($1 AS numeric)`, `CAST($1 AS timestamptz)`, `= ANY(CAST($1 AS bigint[]))`), which works
 * with `pg` locally too.
 *
 * Values come from the typed records with the result metadata: longs as numbers, doubles, booleans,
 * numeric as its exact text, timestamps as ISO 8601 with `Z`, json parsed, bytea base64, arrays as
 * arrays; column types are PostgreSQL's type names (`int8`, `numeric`, `timestamptz`, `text[]`).
 * @example
 * const engine = new RdsDataHotEngine(new RDSDataClient({}), { resourceArn, secretArn, database: 'thermocline' });
 * await engine.run({ sql: 'SELECT member_code, tier FROM members WHERE member_code = ANY($1)', params: [['M001']], timeoutMs: 30_000 });
 */
export class RdsDataHotEngine implements HotQueryEngine {
  readonly name = ENGINE;
  private readonly fetchRows: number;

  constructor(
    private readonly client: RDSDataClient,
    private readonly options: RdsDataHotEngineOptions,
  ) {
    this.fetchRows = Math.max(1, Math.floor(options.fetchRows ?? 1000));
  }

  async run(query: HotQuery): Promise<QueryResult> {
    let fetchRows = this.fetchRows;
    for (;;) {
      if (query.signal?.aborted) throw new QueryCancelledError(ENGINE);
      try {
        return await this.readAll(query, fetchRows);
      } catch (error) {
        if (isResponseTooLarge(error) && fetchRows > 1) {
          fetchRows = Math.max(1, Math.floor(fetchRows / 4));
          continue;
        }
        throw dataApiFailure(error, ENGINE, query.timeoutMs);
      }
    }
  }

  /** Nothing to release: the client belongs to the caller. */
  async close(): Promise<void> {}

  private async readAll(query: HotQuery, fetchRows: number): Promise<QueryResult> {
    const { signal } = query;
    const { transactionId } = await sendWithAuthRetry(this.options, () =>
      this.client.send(
        new BeginTransactionCommand({
          resourceArn: this.options.resourceArn,
          secretArn: this.options.secretArn,
          database: this.options.database,
        }),
        { abortSignal: signal },
      ),
    );
    if (!transactionId) throw new Error('the Data API returned no transactionId');
    const execute = (
      sql: string,
      parameters: SqlParameter[] = [],
    ): Promise<ExecuteStatementCommandOutput> =>
      this.client.send(
        new ExecuteStatementCommand({
          resourceArn: this.options.resourceArn,
          secretArn: this.options.secretArn,
          database: this.options.database,
          transactionId,
          sql,
          ...(parameters.length > 0 ? { parameters } : {}),
          includeResultMetadata: true,
        }),
        { abortSignal: signal },
      );
    try {
      await execute('SET TRANSACTION READ ONLY');
      await execute(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(query.timeoutMs))}`);
      if (this.options.schema) {
        await execute(`SET LOCAL search_path TO ${quoteIdent(this.options.schema)}, public`);
      }
      if (this.options.readerRole) {
        await execute(`SET LOCAL ROLE ${quoteIdent(this.options.readerRole)}`);
      }
      const statement = toDataApiStatement(withoutTrailingSemicolon(query.sql), query.params);
      const started = performance.now();
      await execute(
        `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${statement.sql}`,
        statement.parameters,
      );
      let metadata: ColumnMetadata[] | undefined;
      const rows: QueryRow[] = [];
      for (;;) {
        if (signal?.aborted) throw new QueryCancelledError(ENGINE);
        const page = await execute(`FETCH FORWARD ${fetchRows} FROM ${CURSOR}`);
        metadata ??= page.columnMetadata ?? [];
        const records = page.records ?? [];
        for (const record of records) rows.push(recordToJson(record, metadata));
        if (records.length < fetchRows) break;
      }
      return {
        columns: columnsOf(metadata ?? []),
        rows,
        bytesScanned: 0,
        engineMs: Math.round(performance.now() - started),
        reused: false,
      };
    } finally {
      // Read-only, so rolling back loses nothing; after a failure the Data API may have dropped
      // the transaction already.
      await this.client
        .send(
          new RollbackTransactionCommand({
            resourceArn: this.options.resourceArn,
            secretArn: this.options.secretArn,
            transactionId,
          }),
        )
        .catch(() => undefined);
    }
  }
}

/** The statement without trailing `;` (a cursor's query cannot end with one). */
function withoutTrailingSemicolon(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/**
 * A statement with positional parameters as the Data API takes it: each `$n` outside literals
 * and comments becomes `:pn`, and each value a named SqlParameter — strings `stringValue`, safe
 * integers `longValue`, other numbers `doubleValue`, booleans `booleanValue`, null `isNull`;
 * (for the SQL port also) bigint `longValue` or DECIMAL text, Date a UTC TIMESTAMP, binary
 * `blobValue`, other objects JSON text with the JSON hint. A list (the Data API has no array
 * parameters) becomes one `stringValue` holding the JSON array, and its placeholder the array
 * expression `CAST(COALESCE((SELECT array_agg(CAST(value AS t)) FROM
 * json_array_elements_text(CAST(:pn AS json))), '{}') AS t[])` with `t` numeric when every
 * element is a number, boolean when every one is a boolean, text otherwise.
 * @example
 * toDataApiStatement('SELECT * FROM members WHERE member_code = ANY($1) AND tier = $2', [['M1', 'M2'], 'gold']);
 * // sql: "… member_code = ANY(CAST(COALESCE((SELECT array_agg(CAST(value AS text)) FROM json_array_elements_text(CAST(:p1 AS json))), '{}') AS text[])) AND tier = :p2"
 * // parameters: [{ name: 'p1', value: { stringValue: '["M1","M2"]' } }, { name: 'p2', value: { stringValue: 'gold' } }]
 */
export function toDataApiStatement(
  sql: string,
  params: readonly unknown[],
): { sql: string; parameters: SqlParameter[] } {
  const parameters: SqlParameter[] = [];
  const added = new Set<number>();
  const rewritten = rewritePlaceholders(sql, (index) => {
    if (index < 1 || index > params.length) {
      throw new QueryFailedError(
        ENGINE,
        `the statement uses $${index} but ${params.length} parameter(s) were bound; bind one value per $n`,
        400,
      );
    }
    const value = params[index - 1];
    const name = `p${index}`;
    if (!added.has(index)) {
      added.add(index);
      parameters.push(
        Array.isArray(value)
          ? { name, value: { stringValue: JSON.stringify(value.map(listElement)) } }
          : { name, ...scalarParameter(value) },
      );
    }
    return Array.isArray(value) ? listExpression(name, value) : `:${name}`;
  });
  return { sql: rewritten, parameters };
}

function listElement(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function listExpression(name: string, items: readonly unknown[]): string {
  const present = items.filter((v) => v !== null);
  let type = 'text';
  if (present.length > 0 && present.every((v) => typeof v === 'number')) type = 'numeric';
  else if (present.length > 0 && present.every((v) => typeof v === 'boolean')) type = 'boolean';
  return (
    `CAST(COALESCE((SELECT array_agg(CAST(value AS ${type})) FROM json_array_elements_text(CAST(:${name} AS json))), ` +
    `'{}') AS ${type}[])`
  );
}

function scalarParameter(value: unknown): Pick<SqlParameter, 'value' | 'typeHint'> {
  if (value === null || value === undefined) return { value: { isNull: true } };
  switch (typeof value) {
    case 'string':
      return { value: { stringValue: value } };
    case 'boolean':
      return { value: { booleanValue: value } };
    case 'number':
      if (Number.isSafeInteger(value)) return { value: { longValue: value } };
      if (Number.isFinite(value)) return { value: { doubleValue: value } };
      return { value: { stringValue: String(value) } };
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? { value: { longValue: Number(value) } }
        : { value: { stringValue: value.toString() }, typeHint: 'DECIMAL' };
    default:
      break;
  }
  if (value instanceof Date) {
    // The TIMESTAMP hint takes `YYYY-MM-DD HH:MM:SS[.FFF]`: the instant in UTC.
    return {
      value: { stringValue: value.toISOString().replace('T', ' ').replace('Z', '') },
      typeHint: 'TIMESTAMP',
    };
  }
  if (value instanceof Uint8Array) return { value: { blobValue: value } };
  return { value: { stringValue: JSON.stringify(value) }, typeHint: 'JSON' };
}

/** PostgreSQL's type name of a result column (`int8`, `numeric`, `text[]`). */
export function dataApiTypeName(column: ColumnMetadata): string {
  const raw = (column.typeName ?? 'unknown').toLowerCase();
  const base = raw.startsWith('_') ? raw.slice(1) : raw;
  const named = { serial: 'int4', bigserial: 'int8', smallserial: 'int2' }[base] ?? base;
  return raw.startsWith('_') ? `${named}[]` : named;
}

function columnsOf(metadata: readonly ColumnMetadata[]): QueryColumn[] {
  return metadata.map((c, i) => ({
    name: c.label ?? c.name ?? `column${i}`,
    type: dataApiTypeName(c),
  }));
}

function recordToJson(record: readonly Field[], metadata: readonly ColumnMetadata[]): QueryRow {
  const row: QueryRow = {};
  metadata.forEach((column, i) => {
    const field = record[i];
    row[column.label ?? column.name ?? `column${i}`] = field
      ? fieldToJson(field, dataApiTypeName(column))
      : null;
  });
  return row;
}

/**
 * How {@link decodeField} turns each kind of Data API value into the caller's representation
 * (booleans and NULLs are the same everywhere; arrays apply these to their elements).
 */
export interface FieldDecoders {
  long(value: number, type: string): unknown;
  double(value: number): unknown;
  blob(value: Uint8Array): unknown;
  text(value: string, type: string): unknown;
}

/**
 * A Data API field decoded by kind — NULL, long, double, boolean, blob, (nested) array or
 * string — with `decoders` choosing the representation; `type` is the column's type name (an
 * array's is `<element>[]`).
 * @example
 * decodeField({ longValue: 42 }, 'int8', { ...decoders, long: (v) => String(v) }); // '42'
 */
export function decodeField(field: Field, type: string, decoders: FieldDecoders): unknown {
  if (field.isNull) return null;
  if (field.longValue !== undefined) return decoders.long(field.longValue, type);
  if (field.doubleValue !== undefined) return decoders.double(field.doubleValue);
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return decoders.blob(field.blobValue);
  if (field.arrayValue !== undefined) {
    return decodeArray(field.arrayValue, type.replace(/\[\]$/, ''), decoders);
  }
  if (field.stringValue !== undefined) return decoders.text(field.stringValue, type);
  return null;
}

function decodeArray(
  value: NonNullable<Field['arrayValue']>,
  elementType: string,
  decoders: FieldDecoders,
): unknown[] {
  const each = <T>(values: readonly (T | null)[], decode: (v: T) => unknown): unknown[] =>
    values.map((v) => (v === null ? null : decode(v)));
  if (value.arrayValues)
    return each(value.arrayValues, (v) => decodeArray(v, elementType, decoders));
  if (value.longValues) return each(value.longValues, (v) => decoders.long(v, elementType));
  if (value.doubleValues) return each(value.doubleValues, (v) => decoders.double(v));
  if (value.booleanValues) return value.booleanValues;
  if (value.stringValues) return each(value.stringValues, (v) => decoders.text(v, elementType));
  return [];
}

/** JSON text parsed for `json`/`jsonb` columns (kept as text when it does not parse). */
export function parseJsonColumn(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON-safe values (see `QueryRow`): timestamps ISO 8601, blobs base64, floats JSON-safe. */
const JSON_DECODERS: FieldDecoders = {
  long: (value) => value,
  double: (value) => jsonSafeFloat(value),
  blob: (value) => base64Of(value),
  text: (text, type) =>
    type === 'timestamptz' || type === 'timestamp'
      ? isoFromDataApi(text)
      : type === 'json' || type === 'jsonb'
        ? parseJsonColumn(text)
        : text,
};

/**
 * A Data API field as a JSON-safe value of its column type (see `QueryRow`).
 * @example
 * fieldToJson({ stringValue: '2025-02-15 07:30:00' }, 'timestamptz'); // '2025-02-15T07:30:00.000Z'
 */
export function fieldToJson(field: Field, type: string): unknown {
  return decodeField(field, type, JSON_DECODERS);
}

/**
 * The Data API's timestamp text (`2025-02-15 07:30:00` or with a fraction, in UTC) as ISO 8601
 * with `Z` and at least millisecond digits; other text as is.
 * @example
 * isoFromDataApi('2025-02-15 07:30:00.5'); // '2025-02-15T07:30:00.500Z'
 */
export function isoFromDataApi(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(?:Z|[+-]00(?::?00)?)?$/.exec(
    text,
  );
  if (!match) return text;
  return `${match[1]}T${match[2]}${(match[3] ?? '.').padEnd(4, '0')}Z`;
}

/** The Data API refused a response over its size limit (1 MiB). */
export function isResponseTooLarge(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /response size limit|response exceeded size limit|exceeds? the (maximum|allowed) response size/i.test(
    message,
  );
}

/**
 * A Data API error as the engine's error: the statement timeout (408), the database waking up
 * or unavailable (DatabaseUnavailableError), the SQL's fault (400), anything else as is.
 */
export function dataApiFailure(error: unknown, engine: string, timeoutMs: number): unknown {
  if (!(error instanceof Error) || error instanceof QueryCancelledError) return error;
  if (error.name === 'AbortError') return new QueryCancelledError(engine);
  const { message, name } = error;
  if (
    name === 'StatementTimeoutException' ||
    /canceling statement due to statement timeout/i.test(message)
  ) {
    return new StatementTimeoutError(engine, timeoutMs);
  }
  if (
    name === 'DatabaseResumingException' ||
    name === 'DatabaseUnavailableException' ||
    name === 'ServiceUnavailableError'
  ) {
    return new DatabaseUnavailableError(
      `the database is not available over the Data API (${name}: ${message}); an Aurora Serverless ` +
        'cluster resuming from zero capacity takes up to a minute: retry then',
    );
  }
  if (isResponseTooLarge(error)) {
    return new QueryFailedError(
      engine,
      `even one row is over the Data API's 1 MiB response limit (${message}); select fewer or smaller columns`,
      400,
    );
  }
  if (name === 'BadRequestException' || name === 'DatabaseErrorException') {
    return new QueryFailedError(engine, message, 400);
  }
  return error;
}
