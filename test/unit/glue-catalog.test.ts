import {
  BatchCreatePartitionCommand,
  BatchDeletePartitionCommand,
  BatchGetPartitionCommand,
  BatchUpdatePartitionCommand,
  CreateTableCommand,
  EntityNotFoundException,
  GetPartitionCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  UpdateTableCommand,
  type Table,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { GlueCatalog } from '#adapters/aws/glue-catalog';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';

const glueMock = mockClient(GlueClient);
const client = new GlueClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

const catalog = new GlueCatalog(client, {
  database: 'thermocline_lake',
  bucket: 'thermocline-lake',
  prefix: 'lake/',
});

const TABLE: CatalogTable = {
  name: 'agent_tasks',
  columns: [
    { name: 'id', type: 'string', sourceType: 'uuid' },
    { name: 'cost', type: 'decimal(12,6)', sourceType: 'numeric(12,6)' },
  ],
  partitionKeys: ['year', 'month', 'day'],
  location: 'agent_tasks/',
  schemaHash: 'hash-2',
};

const FORMATS = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: {
    SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    Parameters: { 'serialization.format': '1' },
  },
};

const COLUMNS = [
  { Name: 'id', Type: 'string', Comment: 'postgres uuid' },
  { Name: 'cost', Type: 'decimal(12,6)', Comment: 'postgres numeric(12,6)' },
];

const TABLE_INPUT = {
  Name: 'agent_tasks',
  TableType: 'EXTERNAL_TABLE',
  Parameters: {
    classification: 'parquet',
    EXTERNAL: 'TRUE',
    'parquet.compression': 'SNAPPY',
    'thermocline.schema_hash': 'hash-2',
    'thermocline.source_types': '{"id":"uuid","cost":"numeric(12,6)"}',
  },
  PartitionKeys: [
    { Name: 'year', Type: 'string' },
    { Name: 'month', Type: 'string' },
    { Name: 'day', Type: 'string' },
  ],
  StorageDescriptor: {
    Columns: COLUMNS,
    Location: 's3://thermocline-lake/lake/agent_tasks/',
    ...FORMATS,
  },
};

/** The table as Glue returns it, with `schemaHash` stored. */
function glueTable(schemaHash: string): Table {
  return {
    ...TABLE_INPUT,
    DatabaseName: 'thermocline_lake',
    Parameters: { ...TABLE_INPUT.Parameters, 'thermocline.schema_hash': schemaHash },
  };
}

function partition(day: string): CatalogPartition {
  return {
    values: ['2025', '02', day],
    location: `agent_tasks/year=2025/month=02/day=${day}/v=r1/`,
    rows: 100,
    bytes: 2048,
    files: 1,
    runId: 'r1',
    publishedAt: '2025-02-16T03:00:00.000Z',
  };
}

function partitionInput(day: string): object {
  return {
    Values: ['2025', '02', day],
    StorageDescriptor: {
      Columns: COLUMNS,
      Location: `s3://thermocline-lake/lake/agent_tasks/year=2025/month=02/day=${day}/v=r1/`,
      ...FORMATS,
    },
    Parameters: {
      'thermocline.rows': '100',
      'thermocline.bytes': '2048',
      'thermocline.files': '1',
      'thermocline.run_id': 'r1',
      'thermocline.published_at': '2025-02-16T03:00:00.000Z',
      numRows: '100',
    },
  };
}

function notFound(what: string): EntityNotFoundException {
  return new EntityNotFoundException({ message: `${what} not found.`, $metadata: {} });
}

afterEach(() => {
  glueMock.reset();
});

describe('GlueCatalog ensureTable', () => {
  it('creates the table when Glue does not have it', async () => {
    // Prepare
    glueMock.on(GetTableCommand).rejects(notFound('Table agent_tasks'));
    glueMock.on(CreateTableCommand).resolves({});

    // Act
    await catalog.ensureTable(TABLE);

    // Assess
    expect(glueMock.commandCalls(CreateTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'thermocline_lake', TableInput: TABLE_INPUT },
    ]);
    expect(glueMock.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  it('updates the table when its stored schema hash differs', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-1') });
    glueMock.on(UpdateTableCommand).resolves({});

    // Act
    await catalog.ensureTable(TABLE);

    // Assess
    expect(glueMock.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'thermocline_lake', TableInput: TABLE_INPUT },
    ]);
    expect(glueMock.commandCalls(CreateTableCommand)).toHaveLength(0);
  });

  it('leaves the table alone when its stored schema hash is the same', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });

    // Act
    await catalog.ensureTable(TABLE);

    // Assess
    expect(glueMock.commandCalls(GetTableCommand)[0]?.args[0].input).toEqual({
      DatabaseName: 'thermocline_lake',
      Name: 'agent_tasks',
    });
    expect(glueMock.calls()).toHaveLength(1);
  });

  it('rejects a table location outside the lake, showing it', async () => {
    // Act
    const result = catalog.ensureTable({ ...TABLE, location: '../other/' });

    // Assess
    await expect(result).rejects.toThrow(/location of table 'agent_tasks' '\.\.\/other\/'/);
    expect(glueMock.calls()).toHaveLength(0);
  });
});

describe('GlueCatalog tables', () => {
  it('maps a Glue table back to the catalog table', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });

    // Act
    const table = await catalog.getTable('agent_tasks');

    // Assess
    expect(table).toEqual(TABLE);
  });

  it('takes a column source type from its comment when the parameter lacks it', async () => {
    // Prepare
    const stored = glueTable('hash-2');
    glueMock.on(GetTableCommand).resolves({
      Table: { ...stored, Parameters: { 'thermocline.schema_hash': 'hash-2' } },
    });

    // Act
    const table = await catalog.getTable('agent_tasks');

    // Assess
    expect(table?.columns).toEqual(TABLE.columns);
  });

  it('answers undefined for a table Glue does not have', async () => {
    // Prepare
    glueMock.on(GetTableCommand).rejects(notFound('Table events'));

    // Act
    const table = await catalog.getTable('events');

    // Assess
    expect(table).toBeUndefined();
  });

  it('lists tables across pages and leaves out tables Thermocline did not make', async () => {
    // Prepare
    const foreign: Table = { Name: 'athena_ctas', Parameters: {} };
    glueMock
      .on(GetTablesCommand)
      .resolvesOnce({ TableList: [glueTable('hash-2'), foreign], NextToken: 'page-2' })
      .resolvesOnce({ TableList: [{ ...glueTable('hash-3'), Name: 'events' }] });

    // Act
    const tables = await catalog.listTables();

    // Assess
    expect(glueMock.commandCalls(GetTablesCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'thermocline_lake', NextToken: undefined },
      { DatabaseName: 'thermocline_lake', NextToken: 'page-2' },
    ]);
    expect(tables.map((t) => [t.name, t.schemaHash])).toEqual([
      ['agent_tasks', 'hash-2'],
      ['events', 'hash-3'],
    ]);
  });
});

describe('GlueCatalog putPartitions', () => {
  it('asks Glue which of the partitions exist', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [] });
    glueMock.on(BatchCreatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [partition('15'), partition('16')]);

    // Assess
    expect(glueMock.commandCalls(BatchGetPartitionCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        PartitionsToGet: [{ Values: ['2025', '02', '15'] }, { Values: ['2025', '02', '16'] }],
      },
    ]);
  });

  it('creates the new partitions and updates the existing ones', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock
      .on(BatchGetPartitionCommand)
      .resolves({ Partitions: [{ Values: ['2025', '02', '15'] }] });
    glueMock.on(BatchCreatePartitionCommand).resolves({});
    glueMock.on(BatchUpdatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [partition('15'), partition('16')]);

    // Assess
    expect(glueMock.commandCalls(BatchCreatePartitionCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        PartitionInputList: [partitionInput('16')],
      },
    ]);
    expect(glueMock.commandCalls(BatchUpdatePartitionCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        Entries: [
          { PartitionValueList: ['2025', '02', '15'], PartitionInput: partitionInput('15') },
        ],
      },
    ]);
  });

  it('creates partitions in batches of 100', async () => {
    // Prepare
    const days = Array.from({ length: 101 }, (_, i) => String(i).padStart(3, '0'));
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [] });
    glueMock.on(BatchCreatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', days.map(partition));

    // Assess
    const calls = glueMock.commandCalls(BatchCreatePartitionCommand);
    expect(calls.map((c) => c.args[0].input.PartitionInputList?.length)).toEqual([100, 1]);
  });

  it('asks again for the partitions Glue left unprocessed', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock
      .on(BatchGetPartitionCommand)
      .resolvesOnce({ Partitions: [], UnprocessedKeys: [{ Values: ['2025', '02', '15'] }] })
      .resolvesOnce({ Partitions: [{ Values: ['2025', '02', '15'] }] });
    glueMock.on(BatchUpdatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [partition('15')]);

    // Assess
    expect(glueMock.commandCalls(BatchGetPartitionCommand)[1]?.args[0].input).toEqual({
      DatabaseName: 'thermocline_lake',
      TableName: 'agent_tasks',
      PartitionsToGet: [{ Values: ['2025', '02', '15'] }],
    });
    expect(glueMock.commandCalls(BatchCreatePartitionCommand)).toHaveLength(0);
  });

  it('throws naming the table, the values and the Glue error of a failed create', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [] });
    glueMock.on(BatchCreatePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ['2025', '02', '15'],
          ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'Partition exists.' },
        },
      ],
    });

    // Act
    const result = catalog.putPartitions('agent_tasks', [partition('15')]);

    // Assess
    await expect(result).rejects.toThrow(
      'creating partition [2025, 02, 15] of glue table thermocline_lake.agent_tasks failed: ' +
        'AlreadyExistsException (Partition exists.)',
    );
  });

  it('throws naming the table, the values and the Glue error of a failed update', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock
      .on(BatchGetPartitionCommand)
      .resolves({ Partitions: [{ Values: ['2025', '02', '15'] }] });
    glueMock.on(BatchUpdatePartitionCommand).resolves({
      Errors: [
        {
          PartitionValueList: ['2025', '02', '15'],
          ErrorDetail: { ErrorCode: 'EntityNotFoundException', ErrorMessage: 'Gone.' },
        },
      ],
    });

    // Act
    const result = catalog.putPartitions('agent_tasks', [partition('15')]);

    // Assess
    await expect(result).rejects.toThrow(
      'updating partition [2025, 02, 15] of glue table thermocline_lake.agent_tasks failed: ' +
        'EntityNotFoundException (Gone.)',
    );
  });

  it('rejects a partition whose values do not match the partition keys', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });

    // Act
    const result = catalog.putPartitions('agent_tasks', [{ ...partition('15'), values: ['2025'] }]);

    // Assess
    await expect(result).rejects.toThrow(
      /partition \[2025\] .* has 1 values; the table is partitioned by 3 keys \(year, month, day\)/,
    );
    expect(glueMock.commandCalls(BatchGetPartitionCommand)).toHaveLength(0);
  });

  it('throws when the table is not in Glue', async () => {
    // Prepare
    glueMock.on(GetTableCommand).rejects(notFound('Table agent_tasks'));

    // Act
    const result = catalog.putPartitions('agent_tasks', [partition('15')]);

    // Assess
    await expect(result).rejects.toThrow(
      "table 'agent_tasks' is not in glue:thermocline_lake; create it with ensureTable",
    );
  });
});

describe('GlueCatalog deletePartitions', () => {
  const days = Array.from({ length: 26 }, (_, i) => ['2025', '02', String(i).padStart(2, '0')]);

  it('deletes partitions in batches of 25', async () => {
    // Prepare
    glueMock.on(BatchDeletePartitionCommand).resolves({});

    // Act
    await catalog.deletePartitions('agent_tasks', days);

    // Assess
    expect(glueMock.commandCalls(BatchDeletePartitionCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        PartitionsToDelete: days.slice(0, 25).map((Values) => ({ Values })),
      },
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        PartitionsToDelete: [{ Values: ['2025', '02', '25'] }],
      },
    ]);
  });

  it('takes a partition Glue does not have as already deleted', async () => {
    // Prepare
    glueMock.on(BatchDeletePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ['2025', '02', '15'],
          ErrorDetail: { ErrorCode: 'EntityNotFoundException', ErrorMessage: 'Not found.' },
        },
      ],
    });

    // Act
    const result = catalog.deletePartitions('agent_tasks', [['2025', '02', '15']]);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('throws naming the table, the values and the Glue error of a failed delete', async () => {
    // Prepare
    glueMock.on(BatchDeletePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ['2025', '02', '15'],
          ErrorDetail: { ErrorCode: 'InternalServiceException', ErrorMessage: 'Try again.' },
        },
      ],
    });

    // Act
    const result = catalog.deletePartitions('agent_tasks', [['2025', '02', '15']]);

    // Assess
    await expect(result).rejects.toThrow(
      'deleting partition [2025, 02, 15] of glue table thermocline_lake.agent_tasks failed: ' +
        'InternalServiceException (Try again.)',
    );
  });
});

describe('GlueCatalog column bytes', () => {
  const columnBytes = { id: 812, cost: 1236 };

  it("stores a partition's column bytes as the thermocline.column_bytes parameter", async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [] });
    glueMock.on(BatchCreatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [{ ...partition('15'), columnBytes }]);

    // Assess
    const input = glueMock.commandCalls(BatchCreatePartitionCommand)[0]?.args[0].input;
    expect(input?.PartitionInputList?.[0]?.Parameters?.['thermocline.column_bytes']).toBe(
      '{"id":812,"cost":1236}',
    );
  });

  it('reads the column bytes back from the partition parameter', async () => {
    // Prepare
    const stored = partitionInput('15') as { Parameters: Record<string, string> };
    glueMock.on(GetPartitionCommand).resolves({
      Partition: {
        ...stored,
        Parameters: { ...stored.Parameters, 'thermocline.column_bytes': '{"id":812,"cost":1236}' },
      },
    });

    // Act
    const found = await catalog.getPartition('agent_tasks', ['2025', '02', '15']);

    // Assess
    expect(found).toEqual({ ...partition('15'), columnBytes, columns: TABLE.columns });
  });

  it('leaves column bytes out when the parameter is not an object of byte counts', async () => {
    // Prepare
    const stored = partitionInput('15') as { Parameters: Record<string, string> };
    glueMock.on(GetPartitionCommand).resolves({
      Partition: {
        ...stored,
        Parameters: { ...stored.Parameters, 'thermocline.column_bytes': '{"id":"many"}' },
      },
    });

    // Act
    const found = await catalog.getPartition('agent_tasks', ['2025', '02', '15']);

    // Assess
    expect(found?.columnBytes).toBeUndefined();
  });
});

describe('GlueCatalog partition schemas', () => {
  /** The table after an append: `cost` widened to decimal(14,6), `tokens` added. */
  const EVOLVED: CatalogTable = {
    ...TABLE,
    columns: [
      { name: 'id', type: 'string', sourceType: 'uuid' },
      { name: 'cost', type: 'decimal(14,6)', sourceType: 'numeric(14,6)' },
      { name: 'tokens', type: 'bigint', sourceType: 'bigint' },
    ],
    schemaHash: 'hash-3',
  };
  const EVOLVED_COLUMNS = [
    { Name: 'id', Type: 'string', Comment: 'postgres uuid' },
    { Name: 'cost', Type: 'decimal(14,6)', Comment: 'postgres numeric(14,6)' },
    { Name: 'tokens', Type: 'bigint', Comment: 'postgres bigint' },
  ];

  it("registers a new partition with its own columns in its StorageDescriptor, not the table's", async () => {
    // Prepare: the table is the evolved one; the partition's files hold the old columns
    glueMock.on(GetTableCommand).resolves({
      Table: {
        ...glueTable('hash-3'),
        StorageDescriptor: { ...TABLE_INPUT.StorageDescriptor, Columns: EVOLVED_COLUMNS },
      },
    });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [] });
    glueMock.on(BatchCreatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [{ ...partition('15'), columns: TABLE.columns }]);

    // Assess
    const input = glueMock.commandCalls(BatchCreatePartitionCommand)[0]?.args[0].input;
    expect(input?.PartitionInputList?.[0]?.StorageDescriptor?.Columns).toEqual(COLUMNS);
  });

  it('switches an existing partition to a version written with more columns, listing them', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-3') });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [partitionInput('15')] });
    glueMock.on(BatchUpdatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [{ ...partition('15'), columns: EVOLVED.columns }]);

    // Assess
    const input = glueMock.commandCalls(BatchUpdatePartitionCommand)[0]?.args[0].input;
    expect(input?.Entries?.[0]?.PartitionInput?.StorageDescriptor?.Columns).toEqual(
      EVOLVED_COLUMNS,
    );
  });

  it('takes the table columns for a partition that names none', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({
      Table: {
        ...glueTable('hash-3'),
        StorageDescriptor: { ...TABLE_INPUT.StorageDescriptor, Columns: EVOLVED_COLUMNS },
      },
    });
    glueMock.on(BatchGetPartitionCommand).resolves({ Partitions: [] });
    glueMock.on(BatchCreatePartitionCommand).resolves({});

    // Act
    await catalog.putPartitions('agent_tasks', [partition('16')]);

    // Assess
    const input = glueMock.commandCalls(BatchCreatePartitionCommand)[0]?.args[0].input;
    expect(input?.PartitionInputList?.[0]?.StorageDescriptor?.Columns).toEqual(EVOLVED_COLUMNS);
  });

  it("updates the table's columns on a schema change and leaves the partitions' own schemas alone", async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('hash-2') });
    glueMock.on(UpdateTableCommand).resolves({});

    // Act
    await catalog.ensureTable(EVOLVED);

    // Assess
    const input = glueMock.commandCalls(UpdateTableCommand)[0]?.args[0].input;
    expect(input?.TableInput?.StorageDescriptor?.Columns).toEqual(EVOLVED_COLUMNS);
    expect(input?.TableInput?.Parameters?.['thermocline.schema_hash']).toBe('hash-3');
    expect(input?.TableInput?.Parameters?.['thermocline.source_types']).toBe(
      '{"id":"uuid","cost":"numeric(14,6)","tokens":"bigint"}',
    );
    expect(glueMock.commandCalls(BatchUpdatePartitionCommand)).toHaveLength(0);
    expect(glueMock.commandCalls(BatchCreatePartitionCommand)).toHaveLength(0);
  });

  it('reads back the columns a partition was written with, which may differ from the table', async () => {
    // Prepare
    glueMock.on(GetPartitionCommand).resolves({ Partition: partitionInput('15') });

    // Act
    const found = await catalog.getPartition('agent_tasks', ['2025', '02', '15']);

    // Assess
    expect(found?.columns).toEqual(TABLE.columns);
  });
});

describe('GlueCatalog partitions', () => {
  it('maps a Glue partition back with its location relative to the lake and its own columns', async () => {
    // Prepare
    glueMock.on(GetPartitionCommand).resolves({ Partition: partitionInput('15') });

    // Act
    const found = await catalog.getPartition('agent_tasks', ['2025', '02', '15']);

    // Assess
    expect(glueMock.commandCalls(GetPartitionCommand)[0]?.args[0].input).toEqual({
      DatabaseName: 'thermocline_lake',
      TableName: 'agent_tasks',
      PartitionValues: ['2025', '02', '15'],
    });
    expect(found).toEqual({ ...partition('15'), columns: TABLE.columns });
  });

  it('answers undefined for a partition Glue does not have', async () => {
    // Prepare
    glueMock.on(GetPartitionCommand).rejects(notFound('Partition'));

    // Act
    const found = await catalog.getPartition('agent_tasks', ['2025', '02', '15']);

    // Assess
    expect(found).toBeUndefined();
  });

  it('lists partitions across pages, without their column schemas', async () => {
    // Prepare: Glue leaves the columns out (ExcludeColumnSchema)
    const listed = (day: string): object => {
      const { StorageDescriptor, ...rest } = partitionInput(day) as {
        StorageDescriptor: Record<string, unknown>;
      };
      return { ...rest, StorageDescriptor: { ...StorageDescriptor, Columns: undefined } };
    };
    glueMock
      .on(GetPartitionsCommand)
      .resolvesOnce({ Partitions: [listed('15')], NextToken: 'page-2' })
      .resolvesOnce({ Partitions: [listed('16')] });

    // Act
    const partitions = await catalog.listPartitions('agent_tasks');

    // Assess
    expect(glueMock.commandCalls(GetPartitionsCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        ExcludeColumnSchema: true,
        NextToken: undefined,
      },
      {
        DatabaseName: 'thermocline_lake',
        TableName: 'agent_tasks',
        ExcludeColumnSchema: true,
        NextToken: 'page-2',
      },
    ]);
    expect(partitions).toEqual([partition('15'), partition('16')]);
  });

  it('rejects a partition located outside the lake root, showing where it is', async () => {
    // Prepare
    glueMock.on(GetPartitionCommand).resolves({
      Partition: { Values: ['2025', '02', '15'], StorageDescriptor: { Location: 's3://other/x/' } },
    });

    // Act
    const result = catalog.getPartition('agent_tasks', ['2025', '02', '15']);

    // Assess
    await expect(result).rejects.toThrow(
      /is at 's3:\/\/other\/x\/', outside the lake root s3:\/\/thermocline-lake\/lake\//,
    );
  });
});
