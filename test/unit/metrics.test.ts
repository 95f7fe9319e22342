import { defaultConfig, tableConfig } from '#core/config/resolve';
import { EmfMetrics, emfDocuments } from '#adapters/aws/emf-metrics';
import type { TableDayResult } from '#etl/export';
import { exportFailureMetrics, exportMetrics, partitionLagDays } from '#etl/metrics';
import type { CatalogPartition } from '#ports/catalog';

const config = defaultConfig();
const agentTasks = tableConfig(config, 'agent_tasks');
const events = tableConfig(config, 'events');

function partition(values: string[]): CatalogPartition {
  return {
    values,
    location: 'x/',
    rows: 1,
    bytes: 1,
    files: 1,
    runId: 'r',
    publishedAt: '2025-02-16T02:00:00Z',
  };
}

const RESULT: TableDayResult = {
  table: 'events',
  day: '2025-02-15',
  runId: 'r1',
  rows: 1200,
  files: 3,
  bytes: 4096,
  partitions: 3,
  checksum: '1200:42',
  schemaChanges: [],
  seconds: 2.5,
  steps: { encode: 1, checksums: 1, publish: 0.5 },
};

describe('emfDocuments', () => {
  test('publishes a per-table metric with both dimension sets of the contract', () => {
    // Act
    const [document] = emfDocuments(
      'dev',
      [{ name: 'EtlRowsExported', value: 1200, unit: 'Count', table: 'events' }],
      new Date(1_000),
    );

    // Assess
    expect(document).toEqual({
      _aws: {
        Timestamp: 1_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Thermocline',
            Dimensions: [['Environment', 'Table'], ['Environment']],
            Metrics: [{ Name: 'EtlRowsExported', Unit: 'Count' }],
          },
        ],
      },
      Environment: 'dev',
      Table: 'events',
      EtlRowsExported: 1200,
    });
  });

  test('publishes a metric of no table with the Environment dimension only', () => {
    // Act
    const [document] = emfDocuments(
      'prod',
      [{ name: 'QueryCostUsd', value: 0.25, unit: 'None' }],
      new Date(0),
    );

    // Assess
    expect([document?._aws, document?.Table]).toEqual([
      {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'Thermocline',
            Dimensions: [['Environment']],
            Metrics: [{ Name: 'QueryCostUsd', Unit: 'None' }],
          },
        ],
      },
      undefined,
    ]);
  });

  test('groups metrics by table and drops values that are not finite', () => {
    // Act
    const documents = emfDocuments(
      'dev',
      [
        { name: 'EtlRowsExported', value: 1, unit: 'Count', table: 'a' },
        { name: 'EtlDurationSeconds', value: Number.NaN, unit: 'Seconds', table: 'a' },
        { name: 'EtlRowsExported', value: 2, unit: 'Count', table: 'b' },
      ],
      new Date(0),
    );

    // Assess
    expect(documents.map((d) => [d.Table, d.EtlRowsExported, d.EtlDurationSeconds])).toEqual([
      ['a', 1, undefined],
      ['b', 2, undefined],
    ]);
  });

  test('EmfMetrics writes one JSON line per document', () => {
    // Prepare
    const lines: string[] = [];
    const sink = new EmfMetrics(
      'dev',
      (line) => lines.push(line),
      () => new Date(0),
    );

    // Act
    sink.publish(exportFailureMetrics('events'));

    // Assess
    expect(lines.map((line) => [line.endsWith('\n'), JSON.parse(line).EtlFailures])).toEqual([
      [true, 1],
    ]);
  });
});

describe('ETL metrics', () => {
  test('partition lag is 0 when the last closed day is published', () => {
    // Act
    const lag = partitionLagDays(
      agentTasks,
      [partition(['2025', '02', '14']), partition(['2025', '02', '15'])],
      new Date('2025-02-16T03:00:00Z'),
    );

    // Assess
    expect(lag).toBe(0);
  });

  test('partition lag counts the days the newest published day is behind the due day', () => {
    // Act
    const lag = partitionLagDays(
      events,
      [partition(['Login', '2025-02-12']), partition(['GameOpened', '2025-02-13'])],
      new Date('2025-02-16T03:00:00Z'),
    );

    // Assess
    expect(lag).toBe(2);
  });

  test('partition lag is not measured for a table with nothing published', () => {
    expect(partitionLagDays(events, [], new Date('2025-02-16T03:00:00Z'))).toBeUndefined();
  });

  test('a published table-day reports rows, duration and lag for its table', () => {
    // Act
    const data = exportMetrics(RESULT, 1);

    // Assess
    expect(data).toEqual([
      { name: 'EtlRowsExported', value: 1200, unit: 'Count', table: 'events' },
      { name: 'EtlDurationSeconds', value: 2.5, unit: 'Seconds', table: 'events' },
      { name: 'PartitionLagDays', value: 1, unit: 'Count', table: 'events' },
    ]);
  });
});
