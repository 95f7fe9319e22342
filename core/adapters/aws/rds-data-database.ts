import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  type ColumnMetadata,
  type ExecuteStatementCommandOutput,
  type Field,
  type RDSDataClient,
} from '@aws-sdk/client-rds-data';
import {
  dataApiFailure,
  dataApiTypeName,
  decodeField,
  parseJsonColumn,
  type FieldDecoders,
  isResponseTooLarge,
  toDataApiStatement,
  sendWithAuthRetry,
  type RdsDataOptions,
} from '#adapters/aws/rds-data-query-engine';
import { NotSupportedError, QueryFailedError } from '#core/query/engine-errors';
import type { SqlDatabase, SqlField, SqlSession, SqlTarget } from '#ports/sql';

const ENGINE = 'rds-data';
const CURSOR = 'thermocline_page';
/** Rows per FETCH when a result over 1 MiB is read again through a cursor. */
const CURSOR_FETCH_ROWS = 250;

/**
 * PostgreSQL type OIDs of the Data API's type names, so {@link SqlField} means the same as with
 * `pg` (unknown names: 0).
 */
const TYPE_OIDS: Readonly<Record<string, number>> = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  'text[]': 1009,
  'varchar[]': 1015,
  'int8[]': 1016,
  'int4[]': 1007,
  'numeric[]': 1231,
};

/**
 * The SQL port over the RDS Data API, for the sync and retention Lambdas: no VPC connection or
 * driver, IAM plus a Secrets Manager secret. `query()` is one ExecuteStatement (auto-commit);
 * `transaction()` is BeginTransaction … CommitTransaction (RollbackTransaction when the work
 * throws), every statement carrying the transactionId. Parameters map as in
 * `toDataApiStatement` (lists as JSON expanded in SQL; a string is `varchar` on the server, so
 * compare non-text columns through a cast).
 *
 * Rows have the shapes `pg` gives, so core SQL works on both: int8 and numeric as strings, int2/
 * int4/floats as numbers, timestamps as Date, date as `YYYY-MM-DD`, json parsed, bytea a Buffer.
 * A SELECT whose result is over the Data API's 1 MiB limit is read again through a cursor in a
 * read-only transaction when run with `query()`; inside `transaction()` the Data API drops the
 * transaction on that error, so page such reads (LIMIT with a keyset). COPY is not available:
 * `copyFrom`/`copyTo` throw {@link NotSupportedError}.
 * @example
 * const db = new RdsDataDatabase(new RDSDataClient({}), { resourceArn, secretArn, database: 'thermocline' });
 * await db.transaction(async (session) => session.query('UPDATE members SET tier = $1 WHERE member_code = $2', ['gold', 'M1']));
 */
export class RdsDataDatabase implements SqlDatabase {
  readonly target: SqlTarget;
  readonly schema: string;

  constructor(
    private readonly client: RDSDataClient,
    private readonly options: RdsDataOptions,
  ) {
    this.schema = options.schema ?? 'public';
    const cluster = options.resourceArn.split(':').pop() ?? options.resourceArn;
    this.target = {
      kind: 'server',
      url: `rds-data://${cluster}/${options.database}`,
      description: `Aurora PostgreSQL database '${options.database}' of ${options.resourceArn} over the RDS Data API`,
    };
  }

  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]> {
    return (await this.queryWithFields<Row>(sql, params)).rows;
  }

  async queryWithFields<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; fields: SqlField[] }> {
    try {
      return await this.execute<Row>(sql, params ?? [], undefined);
    } catch (error) {
      if (isResponseTooLarge(error) && /^\s*(\(\s*)*(select|with|values|table)\b/i.test(sql)) {
        return this.readThroughCursor<Row>(sql, params ?? []);
      }
      throw failure(error);
    }
  }

  /** Not available over the Data API. */
  copyFrom(): Promise<number> {
    return Promise.reject(copyNotSupported('COPY … FROM STDIN'));
  }

  /** Not available over the Data API. */
  copyTo(): NodeJS.ReadableStream {
    throw copyNotSupported('COPY … TO STDOUT');
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const transactionId = await this.begin();
    const session: SqlSession = {
      query: async <Row extends Record<string, unknown>>(
        sql: string,
        params?: readonly unknown[],
      ) => (await session.queryWithFields!<Row>(sql, params)).rows,
      queryWithFields: async <Row extends Record<string, unknown>>(
        sql: string,
        params?: readonly unknown[],
      ) => {
        try {
          return await this.execute<Row>(sql, params ?? [], transactionId);
        } catch (error) {
          if (isResponseTooLarge(error)) {
            throw new QueryFailedError(
              ENGINE,
              'the result is over the Data API response limit of 1 MiB, and the Data API ' +
                'drops the transaction then; read it in pages (ORDER BY a key, LIMIT with a keyset)',
              400,
            );
          }
          throw failure(error);
        }
      },
      copyFrom: () => Promise.reject(copyNotSupported('COPY … FROM STDIN')),
      copyTo: () => {
        throw copyNotSupported('COPY … TO STDOUT');
      },
    };
    let result: T;
    try {
      result = await work(session);
    } catch (error) {
      await this.rollback(transactionId);
      throw error;
    }
    await this.client.send(
      new CommitTransactionCommand({
        resourceArn: this.options.resourceArn,
        secretArn: this.options.secretArn,
        transactionId,
      }),
    );
    return result;
  }

  /** Nothing to close: the Data API holds no connection; the client belongs to the caller. */
  async close(): Promise<void> {}

  private async begin(): Promise<string> {
    const { transactionId } = await sendWithAuthRetry(this.options, () =>
      this.client.send(
        new BeginTransactionCommand({
          resourceArn: this.options.resourceArn,
          secretArn: this.options.secretArn,
          database: this.options.database,
        }),
      ),
    ).catch((error: unknown) => {
      throw failure(error);
    });
    if (!transactionId) throw new Error('the Data API returned no transactionId');
    return transactionId;
  }

  private async rollback(transactionId: string): Promise<void> {
    await this.client
      .send(
        new RollbackTransactionCommand({
          resourceArn: this.options.resourceArn,
          secretArn: this.options.secretArn,
          transactionId,
        }),
      )
      .catch(() => undefined); // the Data API may have ended it already
  }

  private async execute<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly unknown[],
    transactionId: string | undefined,
  ): Promise<{ rows: Row[]; fields: SqlField[] }> {
    const output = await this.send(sql, params, transactionId);
    return rowsOf<Row>(output);
  }

  private send(
    sql: string,
    params: readonly unknown[],
    transactionId: string | undefined,
  ): Promise<ExecuteStatementCommandOutput> {
    const statement = toDataApiStatement(sql, params);
    const call = (): Promise<ExecuteStatementCommandOutput> =>
      this.client.send(
        new ExecuteStatementCommand({
          resourceArn: this.options.resourceArn,
          secretArn: this.options.secretArn,
          database: this.options.database,
          sql: statement.sql,
          ...(statement.parameters.length > 0 ? { parameters: statement.parameters } : {}),
          ...(transactionId ? { transactionId } : {}),
          includeResultMetadata: true,
        }),
      );
    // A refused login (a rotated secret) is retried once outside a transaction: nothing ran.
    return transactionId ? call() : sendWithAuthRetry(this.options, call);
  }

  /** A large SELECT again, as a cursor read in pages inside a read-only transaction. */
  private async readThroughCursor<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly unknown[],
  ): Promise<{ rows: Row[]; fields: SqlField[] }> {
    const transactionId = await this.begin();
    try {
      await this.send('SET TRANSACTION READ ONLY', [], transactionId);
      const query = sql.replace(/[\s;]+$/, '');
      await this.send(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query}`, params, transactionId);
      const rows: Row[] = [];
      let fields: SqlField[] | undefined;
      for (;;) {
        const page = rowsOf<Row>(
          await this.send(`FETCH FORWARD ${CURSOR_FETCH_ROWS} FROM ${CURSOR}`, [], transactionId),
        );
        fields ??= page.fields;
        rows.push(...page.rows);
        if (page.rows.length < CURSOR_FETCH_ROWS) break;
      }
      return { rows, fields: fields ?? [] };
    } catch (error) {
      if (isResponseTooLarge(error)) {
        throw new QueryFailedError(
          ENGINE,
          `even ${CURSOR_FETCH_ROWS} rows of the result are over the Data API response limit of 1 MiB; ` +
            'select fewer or smaller columns, or read it in pages (LIMIT with a keyset)',
          400,
        );
      }
      throw failure(error);
    } finally {
      await this.rollback(transactionId);
    }
  }
}

function copyNotSupported(what: string): NotSupportedError {
  return new NotSupportedError(
    `${what} is not supported over the RDS Data API; read rows with SELECT in pages (keyset) ` +
      'and write them with INSERT, or use the pg database (DATABASE_URL) for COPY',
  );
}

function failure(error: unknown): unknown {
  return dataApiFailure(error, ENGINE, 0);
}

function rowsOf<Row extends Record<string, unknown>>(
  output: ExecuteStatementCommandOutput,
): { rows: Row[]; fields: SqlField[] } {
  const metadata = output.columnMetadata ?? [];
  const types = metadata.map(dataApiTypeName);
  const names = metadata.map((c, i) => c.label ?? c.name ?? `column${i}`);
  const rows = (output.records ?? []).map((record) => {
    const row: Record<string, unknown> = {};
    names.forEach((name, i) => {
      const field = record[i];
      row[name] = field ? fieldToPg(field, types[i] ?? 'unknown') : null;
    });
    return row as Row;
  });
  const fields = metadata.map((c: ColumnMetadata, i) => ({
    name: names[i] ?? `column${i}`,
    dataTypeID: TYPE_OIDS[types[i] ?? ''] ?? 0,
  }));
  return { rows, fields };
}

/** The shapes `pg` returns (see {@link fieldToPg}). */
const PG_DECODERS: FieldDecoders = {
  long: (value, type) => (type === 'int8' ? String(value) : value),
  double: (value) => value,
  blob: (value) => Buffer.from(value),
  text: (text, type) => {
    if (type === 'timestamptz' || type === 'timestamp') {
      const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)/.exec(text);
      if (match) return new Date(`${match[1]}T${match[2]}Z`);
    }
    return type === 'json' || type === 'jsonb' ? parseJsonColumn(text) : text;
  },
};

/**
 * A Data API field in the shape `pg` returns for the type: int8 and numeric as strings, other
 * numbers as numbers, timestamps as Date (the Data API's text is UTC), json parsed, bytea a Buffer.
 * @example
 * fieldToPg({ longValue: 42 }, 'int8'); // '42'
 */
export function fieldToPg(field: Field, type: string): unknown {
  return decodeField(field, type, PG_DECODERS);
}
