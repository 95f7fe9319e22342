import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type GetQueryExecutionCommandOutput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import {
  athenaLiteral,
  AthenaQueryEngine,
  athenaValue,
  toExecutionParameters,
} from '#adapters/aws/athena-query-engine';
import {
  LakeScanStoppedError,
  QueryCancelledError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';
import type { LakeQuery } from '#ports/query-engine';

const athenaMock = mockClient(AthenaClient);
const client = new AthenaClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

function engine(): AthenaQueryEngine {
  return new AthenaQueryEngine(client, {
    workGroup: 'thermocline',
    database: 'thermocline_lake',
    pollMs: { initial: 1, max: 2 },
  });
}

const query: LakeQuery = {
  sql: "SELECT membercode, count(*) AS n FROM events WHERE event_type = $1 AND dt = '2025-02-15' GROUP BY 1",
  params: ['GameOpened'],
  maxScanBytes: 10e9,
  scans: [],
};

function execution(
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
  extra: { scanned?: number; reason?: string; category?: number; reused?: boolean } = {},
): GetQueryExecutionCommandOutput {
  return {
    $metadata: {},
    QueryExecution: {
      QueryExecutionId: 'q-1',
      Status: {
        State: state,
        ...(extra.reason ? { StateChangeReason: extra.reason } : {}),
        ...(extra.category ? { AthenaError: { ErrorCategory: extra.category } } : {}),
      },
      Statistics: {
        DataScannedInBytes: extra.scanned ?? 1024,
        EngineExecutionTimeInMillis: 321,
        ResultReuseInformation: { ReusedPreviousResult: extra.reused ?? false },
      },
    },
  };
}

const columnInfo = [
  { Name: 'membercode', Label: 'membercode', Type: 'varchar' },
  { Name: 'n', Label: 'n', Type: 'bigint' },
];

function row(...values: (string | undefined)[]): { Data: { VarCharValue?: string }[] } {
  return { Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) };
}

/** A query that succeeds at once with one page: header + rows. */
function succeedWith(rows = [row('M001', '3')]): void {
  athenaMock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athenaMock.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athenaMock.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columnInfo },
      Rows: [row('membercode', 'n'), ...rows],
    },
  });
}

afterEach(() => {
  athenaMock.reset();
});

describe('AthenaQueryEngine', () => {
  it('starts the query in the workgroup and database with result reuse and an idempotency token', async () => {
    succeedWith();

    await engine().run(query);

    const [start] = athenaMock.commandCalls(StartQueryExecutionCommand);
    expect(start?.args[0].input).toMatchObject({
      WorkGroup: 'thermocline',
      QueryExecutionContext: { Database: 'thermocline_lake', Catalog: 'AwsDataCatalog' },
      ResultReuseConfiguration: {
        ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 1440 },
      },
    });
    expect(start?.args[0].input.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes parameters as execution parameters with ? placeholders, never in the SQL', async () => {
    succeedWith();

    await engine().run({
      ...query,
      sql: "SELECT * FROM events WHERE event_type = $1 AND note <> '$2' AND contains($2, membercode) AND n > $3 -- $1",
      params: ["O'Brien", ['M1', 'M2'], 5],
    });

    const [start] = athenaMock.commandCalls(StartQueryExecutionCommand);
    expect(start?.args[0].input.QueryString).toBe(
      "SELECT * FROM events WHERE event_type = ? AND note <> '$2' AND contains(?, membercode) AND n > ? -- $1",
    );
    expect(start?.args[0].input.ExecutionParameters).toEqual([
      "'O''Brien'",
      "ARRAY['M1', 'M2']",
      '5',
    ]);
  });

  it('polls GetQueryExecution until SUCCEEDED and returns the typed rows with the statistics', async () => {
    succeedWith([row('M001', '3'), row(undefined, '9007199254740993')]);
    athenaMock
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('QUEUED'))
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED', { scanned: 4096, reused: true }));

    const result = await engine().run(query);

    expect(athenaMock.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
    expect(result).toEqual({
      columns: [
        { name: 'membercode', type: 'varchar' },
        { name: 'n', type: 'bigint' },
      ],
      rows: [
        { membercode: 'M001', n: 3 },
        { membercode: null, n: '9007199254740993' },
      ],
      bytesScanned: 4096,
      engineMs: 321,
      reused: true,
      queryId: 'q-1',
    });
  });

  it('stops a running query once its scanned bytes pass the limit', async () => {
    succeedWith();
    athenaMock
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('RUNNING', { scanned: 10 }))
      .resolves(execution('RUNNING', { scanned: 2000 }));
    athenaMock.on(StopQueryExecutionCommand).resolves({});

    const run = engine().run({ ...query, maxScanBytes: 1000 });

    await expect(run).rejects.toThrow(LakeScanStoppedError);
    await expect(run).rejects.toThrow(/q-1 was stopped after scanning .* \(2000 bytes\)/);
    expect(athenaMock.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: 'q-1',
    });
    expect(athenaMock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('stops a query still running after its statement timeout, with code statement_timeout', async () => {
    succeedWith();
    athenaMock.on(GetQueryExecutionCommand).resolves(execution('RUNNING', { scanned: 10 }));
    athenaMock.on(StopQueryExecutionCommand).resolves({});
    const polling = new AthenaQueryEngine(client, {
      workGroup: 'thermocline',
      database: 'thermocline_lake',
      pollMs: { initial: 20, max: 20 },
    });
    const started = Date.now();

    const run = polling.run({ ...query, timeoutMs: 150 });

    await expect(run).rejects.toThrow(StatementTimeoutError);
    await expect(run).rejects.toMatchObject({
      code: 'statement_timeout',
      status: 408,
      queryId: 'q-1',
      message: expect.stringMatching(
        /athena query q-1 was stopped after its statement timeout of 150 ms.*query\.lake_statement_timeout_seconds/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(athenaMock.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: 'q-1',
    });
    expect(athenaMock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('lets a query that finishes within its statement timeout succeed', async () => {
    succeedWith();
    athenaMock
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED'));

    const result = await engine().run({ ...query, timeoutMs: 60_000 });

    expect(result.rows).toEqual([{ membercode: 'M001', n: 3 }]);
    expect(athenaMock.commandCalls(StopQueryExecutionCommand)).toHaveLength(0);
  });

  it("fails with Athena's reason, as the query's fault for a user error", async () => {
    succeedWith();
    athenaMock.on(GetQueryExecutionCommand).resolves(
      execution('FAILED', {
        reason: "COLUMN_NOT_FOUND: line 1:8: Column 'membercod' cannot be resolved",
        category: 2,
      }),
    );

    const run = engine().run(query);

    await expect(run).rejects.toThrow(QueryFailedError);
    await expect(run).rejects.toThrow(/q-1 failed: FAILED: COLUMN_NOT_FOUND.*membercod/);
    await expect(run).rejects.toMatchObject({ status: 400, code: 'query_failed' });
  });

  it('reads every page of the results, following NextToken', async () => {
    succeedWith();
    athenaMock
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columnInfo },
          Rows: [row('membercode', 'n'), row('M001', '1')],
        },
        NextToken: 'page-2',
      })
      .resolvesOnce({
        ResultSet: { ResultSetMetadata: { ColumnInfo: columnInfo }, Rows: [row('M002', '2')] },
      });

    const result = await engine().run(query);

    expect(result.rows).toEqual([
      { membercode: 'M001', n: 1 },
      { membercode: 'M002', n: 2 },
    ]);
    const calls = athenaMock.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: undefined },
      { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 'page-2' },
    ]);
  });

  it('retries a throttled start with the same request token', async () => {
    succeedWith();
    athenaMock
      .on(StartQueryExecutionCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ QueryExecutionId: 'q-1' });

    const result = await engine().run(query);

    const starts = athenaMock.commandCalls(StartQueryExecutionCommand);
    expect(starts).toHaveLength(2);
    expect(starts[1]?.args[0].input.ClientRequestToken).toBe(
      starts[0]?.args[0].input.ClientRequestToken,
    );
    expect(result.queryId).toBe('q-1');
  });

  it('stops the query when the caller aborts', async () => {
    succeedWith();
    athenaMock.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
    athenaMock.on(StopQueryExecutionCommand).resolves({});
    const controller = new AbortController();
    const slow = new AthenaQueryEngine(client, {
      workGroup: 'thermocline',
      database: 'thermocline_lake',
      pollMs: { initial: 50, max: 50 },
    });

    const run = slow.run({ ...query, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);

    await expect(run).rejects.toThrow(QueryCancelledError);
    expect(athenaMock.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });

  it('types timestamps, decimals, booleans and doubles from the column metadata', async () => {
    succeedWith();
    athenaMock.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: [
            { Name: 'at', Type: 'timestamp' },
            { Name: 'amount', Type: 'decimal', Precision: 12, Scale: 4 },
            { Name: 'ok', Type: 'boolean' },
            { Name: 'ratio', Type: 'double' },
            { Name: 'day', Type: 'date' },
          ],
        },
        Rows: [
          row('at', 'amount', 'ok', 'ratio', 'day'),
          row('2025-02-15 07:30:00.000', '12.5000', 'true', '0.25', '2025-02-15'),
        ],
      },
    });

    const result = await engine().run(query);

    expect(result.rows).toEqual([
      {
        at: '2025-02-15T07:30:00.000Z',
        amount: '12.5000',
        ok: true,
        ratio: 0.25,
        day: '2025-02-15',
      },
    ]);
    expect(result.columns.map((c) => c.type)).toEqual([
      'timestamp',
      'decimal(12,4)',
      'boolean',
      'double',
      'date',
    ]);
  });
});

describe("Athena's text as the JSON both lake engines give", () => {
  it('a timestamp with time zone as its instant in UTC, whatever the zone', () => {
    expect(athenaValue('2012-10-31 01:00:00.000 UTC', 'timestamp with time zone')).toBe(
      '2012-10-31T01:00:00.000Z',
    );
    expect(athenaValue('2020-05-11 11:15:05.055 +01:00', 'timestamp with time zone')).toBe(
      '2020-05-11T10:15:05.055Z',
    );
    expect(
      athenaValue('2001-08-22 03:04:05.321 America/Los_Angeles', 'timestamp with time zone'),
    ).toBe('2001-08-22T10:04:05.321Z');
    expect(
      athenaValue('2022-01-15 12:00:00.000 America/Los_Angeles', 'timestamp with time zone'),
    ).toBe('2022-01-15T20:00:00.000Z');
  });

  it('varbinary (bytes in hex, spaced) as base64', () => {
    expect(athenaValue('68 65 6c 6c 6f', 'varbinary')).toBe('aGVsbG8=');
    expect(athenaValue('', 'varbinary')).toBe('');
  });

  it('a timestamp keeps its fraction digits', () => {
    expect(athenaValue('2020-06-10 15:55:23.383345', 'timestamp')).toBe(
      '2020-06-10T15:55:23.383345Z',
    );
    expect(athenaValue('2020-06-10 15:55:23', 'timestamp')).toBe('2020-06-10T15:55:23.000Z');
  });
});

describe('Athena execution parameters', () => {
  it('repeats a parameter used twice, in text order', () => {
    expect(toExecutionParameters('SELECT $2, $1, $2', ['a', 'b'])).toEqual({
      sql: 'SELECT ?, ?, ?',
      parameters: ["'b'", "'a'", "'b'"],
    });
  });

  it('refuses a placeholder without a bound value', () => {
    expect(() => toExecutionParameters('SELECT $2', ['a'])).toThrow(/uses \$2 but 1 parameter/);
  });

  it('renders literals of every parameter kind', () => {
    expect([null, true, 1.5, Number.NaN, [], [1, 2]].map((v) => athenaLiteral(v))).toEqual([
      'NULL',
      'true',
      '1.5',
      'nan()',
      'ARRAY[]',
      'ARRAY[1, 2]',
    ]);
  });
});
