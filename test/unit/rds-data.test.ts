import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type ExecuteStatementCommandInput,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { RdsDataDatabase } from '#adapters/aws/rds-data-database';
import {
  isoFromDataApi,
  RdsDataHotEngine,
  toDataApiStatement,
} from '#adapters/aws/rds-data-query-engine';
import {
  NotSupportedError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';

const rdsMock = mockClient(RDSDataClient);
const client = new RDSDataClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const target = {
  resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:thermocline',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
  database: 'thermocline',
};

const tooLarge = (): BadRequestException =>
  new BadRequestException({
    message: 'Database returned more than the allowed response size limit',
    $metadata: {},
  });

/** The SQL of every ExecuteStatement, in order. */
function statements(): string[] {
  return rdsMock.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input.sql ?? '');
}

function executeInput(match: RegExp): ExecuteStatementCommandInput | undefined {
  return rdsMock
    .commandCalls(ExecuteStatementCommand)
    .map((c) => c.args[0].input)
    .find((input) => match.test(input.sql ?? ''));
}

const memberColumns = [
  { name: 'member_code', typeName: 'varchar' },
  { name: 'visits', typeName: 'int8' },
  { name: 'balance', typeName: 'numeric' },
  { name: 'seen_at', typeName: 'timestamptz' },
  { name: 'tags', typeName: '_text' },
];

afterEach(() => {
  rdsMock.reset();
});

describe('Data API parameters', () => {
  it('maps scalars to typed fields, with hints where the type is not the JS one', () => {
    const { sql, parameters } = toDataApiStatement(
      "SELECT $1, $2, $3, $4, $5, $6, $7, $8, '$9' -- $1",
      ['gold', 42, 1.5, true, null, new Date('2025-02-15T07:30:00.123Z'), 2n ** 60n, { a: 1 }],
    );

    expect(sql).toBe("SELECT :p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8, '$9' -- $1");
    expect(parameters).toEqual([
      { name: 'p1', value: { stringValue: 'gold' } },
      { name: 'p2', value: { longValue: 42 } },
      { name: 'p3', value: { doubleValue: 1.5 } },
      { name: 'p4', value: { booleanValue: true } },
      { name: 'p5', value: { isNull: true } },
      { name: 'p6', value: { stringValue: '2025-02-15 07:30:00.123' }, typeHint: 'TIMESTAMP' },
      { name: 'p7', value: { stringValue: '1152921504606846976' }, typeHint: 'DECIMAL' },
      { name: 'p8', value: { stringValue: '{"a":1}' }, typeHint: 'JSON' },
    ]);
  });

  it('passes a list as one JSON text parameter expanded into an array in SQL', () => {
    const { sql, parameters } = toDataApiStatement(
      'SELECT * FROM members WHERE member_code = ANY($1) AND visits = ANY($2) AND tier = $3',
      [["M'1", 'M2'], [1, 2], 'gold'],
    );

    expect(sql).toBe(
      'SELECT * FROM members WHERE member_code = ANY(' +
        "CAST(COALESCE((SELECT array_agg(CAST(value AS text)) FROM json_array_elements_text(CAST(:p1 AS json))), '{}') AS text[])" +
        ') AND visits = ANY(' +
        "CAST(COALESCE((SELECT array_agg(CAST(value AS numeric)) FROM json_array_elements_text(CAST(:p2 AS json))), '{}') AS numeric[])" +
        ') AND tier = :p3',
    );
    expect(parameters).toEqual([
      { name: 'p1', value: { stringValue: '["M\'1","M2"]' } },
      { name: 'p2', value: { stringValue: '[1,2]' } },
      { name: 'p3', value: { stringValue: 'gold' } },
    ]);
  });

  it('sends a parameter used twice once', () => {
    const { sql, parameters } = toDataApiStatement('SELECT $1 WHERE $1 IS NOT NULL', ['x']);

    expect(sql).toBe('SELECT :p1 WHERE :p1 IS NOT NULL');
    expect(parameters).toHaveLength(1);
  });
});

describe('RdsDataHotEngine', () => {
  function engine(fetchRows = 1000): RdsDataHotEngine {
    return new RdsDataHotEngine(client, { ...target, schema: 'app', fetchRows });
  }

  beforeEach(() => {
    rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1' });
    rdsMock.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete' });
    rdsMock.on(ExecuteStatementCommand).resolves({});
  });

  it('reads in a read-only transaction with a statement timeout, through a cursor, then rolls back', async () => {
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 1000 FROM thermocline_rows' })
      .resolves({ columnMetadata: memberColumns, records: [] });

    await engine().run({
      sql: 'SELECT * FROM members WHERE member_code = ANY($1);',
      params: [['M1']],
      timeoutMs: 5000,
    });

    expect(statements()).toEqual([
      'SET TRANSACTION READ ONLY',
      'SET LOCAL statement_timeout = 5000',
      'SET LOCAL search_path TO "app", public',
      expect.stringMatching(
        /^DECLARE thermocline_rows NO SCROLL CURSOR FOR SELECT \* FROM members WHERE member_code = ANY\(CAST\(.*:p1.*\)\)$/,
      ),
      'FETCH FORWARD 1000 FROM thermocline_rows',
    ]);
    expect(
      rdsMock
        .commandCalls(ExecuteStatementCommand)
        .every((c) => c.args[0].input.transactionId === 'tx-1'),
    ).toBe(true);
    expect(executeInput(/^DECLARE/)?.parameters).toEqual([
      { name: 'p1', value: { stringValue: '["M1"]' } },
    ]);
    expect(rdsMock.commandCalls(RollbackTransactionCommand)[0]?.args[0].input).toEqual({
      resourceArn: target.resourceArn,
      secretArn: target.secretArn,
      transactionId: 'tx-1',
    });
  });

  it('runs as the reader role when one is given, right after the read-only settings', async () => {
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 1000 FROM thermocline_rows' })
      .resolves({ columnMetadata: memberColumns, records: [] });

    await new RdsDataHotEngine(client, { ...target, readerRole: 'thermocline_reader' }).run({
      sql: 'SELECT member_code FROM members',
      params: [],
      timeoutMs: 1000,
    });

    expect(statements().slice(0, 3)).toEqual([
      'SET TRANSACTION READ ONLY',
      'SET LOCAL statement_timeout = 1000',
      'SET LOCAL ROLE "thermocline_reader"',
    ]);
  });

  it('maps typed records to JSON-safe values and columns to PostgreSQL type names', async () => {
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 1000 FROM thermocline_rows' })
      .resolves({
        columnMetadata: memberColumns,
        records: [
          [
            { stringValue: 'M1' },
            { longValue: 12 },
            { stringValue: '1234567890.123456' },
            { stringValue: '2025-02-15 07:30:00.5' },
            { arrayValue: { stringValues: ['vip', 'new'] } },
          ],
          [
            { stringValue: 'M2' },
            { isNull: true },
            { isNull: true },
            { isNull: true },
            { isNull: true },
          ],
        ],
      });

    const result = await engine().run({
      sql: 'SELECT * FROM members',
      params: [],
      timeoutMs: 5000,
    });

    expect(result.rows).toEqual([
      {
        member_code: 'M1',
        visits: 12,
        balance: '1234567890.123456',
        seen_at: '2025-02-15T07:30:00.500Z',
        tags: ['vip', 'new'],
      },
      { member_code: 'M2', visits: null, balance: null, seen_at: null, tags: null },
    ]);
    expect(result.columns.map((c) => c.type)).toEqual([
      'varchar',
      'int8',
      'numeric',
      'timestamptz',
      'text[]',
    ]);
  });

  it('fetches page after page until a page comes back short', async () => {
    const row = [{ stringValue: 'M' }];
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 2 FROM thermocline_rows' })
      .resolvesOnce({ columnMetadata: [{ name: 'm', typeName: 'text' }], records: [row, row] })
      .resolvesOnce({ columnMetadata: [{ name: 'm', typeName: 'text' }], records: [row] });

    const result = await engine(2).run({ sql: 'SELECT m FROM t', params: [], timeoutMs: 5000 });

    expect(result.rows).toHaveLength(3);
    expect(statements().filter((s) => s.startsWith('FETCH'))).toHaveLength(2);
  });

  it('reads a result over 1 MiB again with smaller pages in a new transaction', async () => {
    const row = [{ stringValue: 'M' }];
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 8 FROM thermocline_rows' })
      .rejects(tooLarge());
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 2 FROM thermocline_rows' })
      .resolvesOnce({ columnMetadata: [{ name: 'm', typeName: 'text' }], records: [row, row] })
      .resolvesOnce({ columnMetadata: [{ name: 'm', typeName: 'text' }], records: [row] });

    const result = await engine(8).run({ sql: 'SELECT m FROM t', params: [], timeoutMs: 5000 });

    expect(result.rows).toHaveLength(3);
    expect(rdsMock.commandCalls(BeginTransactionCommand)).toHaveLength(2);
    expect(rdsMock.commandCalls(RollbackTransactionCommand)).toHaveLength(2);
  });

  it('turns a statement timeout into a clear error', async () => {
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 1000 FROM thermocline_rows' })
      .rejects(
        new BadRequestException({
          message: 'ERROR: canceling statement due to statement timeout; SQLState: 57014',
          $metadata: {},
        }),
      );

    const run = engine().run({ sql: 'SELECT pg_sleep(60)', params: [], timeoutMs: 100 });

    await expect(run).rejects.toThrow(StatementTimeoutError);
    await expect(run).rejects.toMatchObject({ code: 'statement_timeout', status: 408 });
  });
});

describe('RdsDataDatabase', () => {
  function database(): RdsDataDatabase {
    return new RdsDataDatabase(client, { ...target, schema: 'app' });
  }

  it('returns rows in the shapes pg gives: int8 as text, timestamps as Date', async () => {
    rdsMock.on(ExecuteStatementCommand).resolves({
      columnMetadata: [
        { name: 'n', typeName: 'int8' },
        { name: 'at', typeName: 'timestamptz' },
        { name: 'day', typeName: 'date' },
      ],
      records: [
        [{ longValue: 7 }, { stringValue: '2025-02-15 07:30:00' }, { stringValue: '2025-02-15' }],
      ],
    });

    const rows = await database().query('SELECT count(*) AS n, max(at) AS at, $1::date AS day', [
      '2025-02-15',
    ]);

    expect(rows).toEqual([{ n: '7', at: new Date('2025-02-15T07:30:00Z'), day: '2025-02-15' }]);
    expect(rdsMock.commandCalls(ExecuteStatementCommand)[0]?.args[0].input).toMatchObject({
      ...target,
      sql: 'SELECT count(*) AS n, max(at) AS at, :p1::date AS day',
      parameters: [{ name: 'p1', value: { stringValue: '2025-02-15' } }],
      includeResultMetadata: true,
    });
  });

  it('commits a transaction whose work resolves, every statement in it', async () => {
    rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-9' });
    rdsMock.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 1 });
    rdsMock.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });

    await database().transaction(async (session) => {
      await session.query('UPDATE members SET tier = $1 WHERE member_code = $2', ['gold', 'M1']);
    });

    expect(rdsMock.commandCalls(ExecuteStatementCommand)[0]?.args[0].input.transactionId).toBe(
      'tx-9',
    );
    expect(rdsMock.commandCalls(CommitTransactionCommand)).toHaveLength(1);
    expect(rdsMock.commandCalls(RollbackTransactionCommand)).toHaveLength(0);
  });

  it('rolls back a transaction whose work throws', async () => {
    rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-9' });
    rdsMock.on(RollbackTransactionCommand).resolves({});

    const work = database().transaction(async () => {
      throw new Error('boom');
    });

    await expect(work).rejects.toThrow('boom');
    expect(rdsMock.commandCalls(RollbackTransactionCommand)[0]?.args[0].input.transactionId).toBe(
      'tx-9',
    );
    expect(rdsMock.commandCalls(CommitTransactionCommand)).toHaveLength(0);
  });

  it('reads a SELECT over 1 MiB again through a cursor in a read-only transaction', async () => {
    const row = [{ longValue: 1 }];
    rdsMock.on(ExecuteStatementCommand, { sql: 'SELECT id FROM members' }).rejects(tooLarge());
    rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-2' });
    rdsMock.on(RollbackTransactionCommand).resolves({});
    rdsMock.on(ExecuteStatementCommand, { transactionId: 'tx-2' }).resolves({});
    rdsMock
      .on(ExecuteStatementCommand, { sql: 'FETCH FORWARD 250 FROM thermocline_page' })
      .resolves({ columnMetadata: [{ name: 'id', typeName: 'int4' }], records: [row] });

    const rows = await database().query('SELECT id FROM members');

    expect(rows).toEqual([{ id: 1 }]);
    expect(statements().slice(1)).toEqual([
      'SET TRANSACTION READ ONLY',
      'DECLARE thermocline_page NO SCROLL CURSOR FOR SELECT id FROM members',
      'FETCH FORWARD 250 FROM thermocline_page',
    ]);
  });

  it('says a result over 1 MiB inside a transaction must be paged', async () => {
    rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-3' });
    rdsMock.on(RollbackTransactionCommand).resolves({});
    rdsMock.on(ExecuteStatementCommand).rejects(tooLarge());

    const work = database().transaction((session) => session.query('SELECT * FROM members'));

    await expect(work).rejects.toThrow(QueryFailedError);
    await expect(work).rejects.toThrow(/read it in pages/);
  });

  it('refuses COPY, which the Data API does not have', async () => {
    await expect(database().copyFrom()).rejects.toThrow(NotSupportedError);
    expect(() => database().copyTo()).toThrow(/not supported over the RDS Data API/);
  });
});

describe('Data API timestamps', () => {
  it('reads UTC timestamp text as ISO 8601 with Z', () => {
    expect(isoFromDataApi('2025-02-15 07:30:00')).toBe('2025-02-15T07:30:00.000Z');
    expect(isoFromDataApi('2025-02-15 07:30:00.123456')).toBe('2025-02-15T07:30:00.123456Z');
  });
});

describe('Data API after a secret rotation', () => {
  const refused = (): Error =>
    Object.assign(new Error('FATAL: password authentication failed; SQLState: 28P01'), {
      name: 'DatabaseErrorException',
    });

  it('retries a statement outside a transaction once when the login is refused', async () => {
    // Prepare
    rdsMock
      .on(ExecuteStatementCommand)
      .rejectsOnce(refused())
      .resolves({
        records: [[{ longValue: 1 }]],
        columnMetadata: [{ name: 'n', typeName: 'int4' }],
      });
    const db = new RdsDataDatabase(client, { ...target, authRetryPauseMs: 0 });

    // Act
    const rows = await db.query('SELECT 1 AS n');

    // Assess
    expect([rows, statements()]).toEqual([[{ n: 1 }], ['SELECT 1 AS n', 'SELECT 1 AS n']]);
  });

  it('retries BeginTransaction once when the login is refused', async () => {
    // Prepare
    rdsMock.on(BeginTransactionCommand).rejectsOnce(refused()).resolves({ transactionId: 't1' });
    rdsMock.on(ExecuteStatementCommand).resolves({});
    rdsMock.on(CommitTransactionCommand).resolves({});
    const db = new RdsDataDatabase(client, { ...target, authRetryPauseMs: 0 });

    // Act
    await db.transaction((session) => session.query('UPDATE t SET a = 1'));

    // Assess
    expect(rdsMock.commandCalls(BeginTransactionCommand)).toHaveLength(2);
  });

  it('does not retry a statement inside a transaction', async () => {
    // Prepare
    rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 't1' });
    rdsMock.on(ExecuteStatementCommand).rejects(refused());
    rdsMock.on(RollbackTransactionCommand).resolves({});
    const db = new RdsDataDatabase(client, { ...target, authRetryPauseMs: 0 });

    // Act
    const run = db.transaction((session) => session.query('UPDATE t SET a = 1'));

    // Assess
    await expect(run).rejects.toThrow();
    expect(statements()).toEqual(['UPDATE t SET a = 1']);
  });

  it('the hot engine retries its BeginTransaction once when the login is refused', async () => {
    // Prepare
    rdsMock.on(BeginTransactionCommand).rejectsOnce(refused()).resolves({ transactionId: 't1' });
    rdsMock.on(ExecuteStatementCommand).resolves({ records: [], columnMetadata: [] });
    rdsMock.on(RollbackTransactionCommand).resolves({});
    const engine = new RdsDataHotEngine(client, { ...target, authRetryPauseMs: 0 });

    // Act
    await engine.run({ sql: 'SELECT 1', params: [], timeoutMs: 1000 });

    // Assess
    expect(rdsMock.commandCalls(BeginTransactionCommand)).toHaveLength(2);
  });
});
