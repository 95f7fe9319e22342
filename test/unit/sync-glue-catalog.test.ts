import {
  EntityNotFoundException,
  GetPartitionCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GlueClient,
  UpdateTableCommand,
  type Table,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { GlueCatalog } from '#adapters/aws/glue-catalog';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';

// The sync's current-state tables (`ref_<table>`) are unpartitioned: their one "partition"
// (values []) is the Glue table's own location, switched with UpdateTable.

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

const FORMATS = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: {
    SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    Parameters: { 'serialization.format': '1' },
  },
};
const COLUMNS = [
  { Name: 'key', Type: 'string', Comment: 'postgres text' },
  { Name: 'status', Type: 'string', Comment: 'postgres text' },
];
const BASE_PARAMETERS = {
  classification: 'parquet',
  EXTERNAL: 'TRUE',
  'parquet.compression': 'SNAPPY',
  'thermocline.schema_hash': 'h1',
  'thermocline.source_types': '{"key":"text","status":"text"}',
};

const VERSION: CatalogPartition = {
  values: [],
  location: 'ref_members/v=r2/',
  rows: 5000,
  bytes: 81920,
  files: 1,
  columnBytes: { key: 40000, status: 2000 },
  runId: 'r2',
  publishedAt: '2025-02-15T10:15:00.000Z',
};
const VERSION_PARAMETERS = {
  'thermocline.rows': '5000',
  'thermocline.bytes': '81920',
  'thermocline.files': '1',
  'thermocline.run_id': 'r2',
  'thermocline.published_at': '2025-02-15T10:15:00.000Z',
  'thermocline.column_bytes': '{"key":40000,"status":2000}',
  numRows: '5000',
};

/** The table as Glue returns it: at the table root before any version, else at a version. */
function glueTable(version?: string): Table {
  return {
    Name: 'ref_members',
    DatabaseName: 'thermocline_lake',
    TableType: 'EXTERNAL_TABLE',
    PartitionKeys: [],
    Parameters: version ? { ...BASE_PARAMETERS, ...VERSION_PARAMETERS } : BASE_PARAMETERS,
    StorageDescriptor: {
      Columns: COLUMNS,
      Location: `s3://thermocline-lake/lake/ref_members/${version ? `v=${version}/` : ''}`,
      ...FORMATS,
    },
  };
}

afterEach(() => {
  glueMock.reset();
});

describe('GlueCatalog with an unpartitioned table', () => {
  it('switches the table location to the new version in one UpdateTable call', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable() });
    glueMock.on(UpdateTableCommand).resolves({});

    // Act
    await catalog.putPartitions('ref_members', [VERSION]);

    // Assess
    expect(glueMock.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: 'thermocline_lake',
        TableInput: {
          Name: 'ref_members',
          TableType: 'EXTERNAL_TABLE',
          Parameters: { ...BASE_PARAMETERS, ...VERSION_PARAMETERS },
          PartitionKeys: [],
          StorageDescriptor: {
            Columns: COLUMNS,
            Location: 's3://thermocline-lake/lake/ref_members/v=r2/',
            ...FORMATS,
          },
        },
      },
    ]);
  });

  it('refuses partition values for a table without partition keys, naming it', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable() });

    // Act
    const result = catalog.putPartitions('ref_members', [{ ...VERSION, values: ['2025'] }]);

    // Assess
    await expect(result).rejects.toThrow(
      /glue table thermocline_lake.ref_members has no partition keys: give exactly one partition with values \[\]/,
    );
    expect(glueMock.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  it('reads the current version back as the partition with values []', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('r2') });

    // Act
    const found = await catalog.getPartition('ref_members', []);

    // Assess
    expect(found).toEqual(VERSION);
    expect(glueMock.commandCalls(GetPartitionCommand)).toHaveLength(0);
  });

  it('has no partition before a version was switched in', async () => {
    // Prepare
    glueMock.on(GetTableCommand).resolves({ Table: glueTable() });

    // Act
    const found = await catalog.getPartition('ref_members', []);

    // Assess
    expect(found).toBeUndefined();
  });

  it('lists the current version as the one partition when Glue has no partitions', async () => {
    // Prepare
    glueMock.on(GetPartitionsCommand).resolves({ Partitions: [] });
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('r2') });

    // Act
    const partitions = await catalog.listPartitions('ref_members');

    // Assess
    expect(partitions).toEqual([VERSION]);
  });

  it('lists nothing for a table Glue does not have', async () => {
    // Prepare
    glueMock.on(GetPartitionsCommand).resolves({ Partitions: [] });
    glueMock
      .on(GetTableCommand)
      .rejects(new EntityNotFoundException({ message: 'not found', $metadata: {} }));

    // Act
    const partitions = await catalog.listPartitions('ref_members');

    // Assess
    expect(partitions).toEqual([]);
  });

  it('keeps the current version when a schema change updates the table', async () => {
    // Prepare
    const table: CatalogTable = {
      name: 'ref_members',
      columns: [
        { name: 'key', type: 'string', sourceType: 'text' },
        { name: 'status', type: 'string', sourceType: 'text' },
        { name: 'country', type: 'string', sourceType: 'character(2)' },
      ],
      partitionKeys: [],
      location: 'ref_members/',
      schemaHash: 'h2',
    };
    glueMock.on(GetTableCommand).resolves({ Table: glueTable('r2') });
    glueMock.on(UpdateTableCommand).resolves({});

    // Act
    await catalog.ensureTable(table);

    // Assess
    const input = glueMock.commandCalls(UpdateTableCommand)[0]?.args[0].input.TableInput;
    expect(input?.StorageDescriptor?.Location).toBe('s3://thermocline-lake/lake/ref_members/v=r2/');
    expect(input?.StorageDescriptor?.Columns?.map((c) => c.Name)).toEqual([
      'key',
      'status',
      'country',
    ]);
    expect(input?.Parameters).toMatchObject({
      'thermocline.schema_hash': 'h2',
      'thermocline.run_id': 'r2',
      'thermocline.rows': '5000',
    });
  });
});
