/**
 * The one CloudWatch dashboard of an environment: the nightly ETL, the lake, the queries and
 * what they cost, and the hot tier.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  ATHENA_USD_PER_TB,
  THERMOCLINE_METRIC_NAMES,
  type ThermoclineMetrics,
} from './thermocline-metrics';

/** 1 GiB in bytes. */
const GIB = 1024 ** 3;

/** Properties of a {@link MonitoringDashboard}. */
export interface MonitoringDashboardProps {
  /** The dashboard's name, e.g. `thermocline-dev`. */
  readonly dashboardName: string;
  /** The environment's metrics. */
  readonly metrics: ThermoclineMetrics;
  /**
   * Alarms whose state the dashboard shows at its top.
   * @default - no alarm status widget
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * Partition lag (days) drawn as a line on the lag graph: the alarm's threshold.
   * @default - no line
   */
  readonly partitionLagAlarmDays?: number;
  /**
   * Query cost per hour (US$) drawn as a line on the cost graph: the alarm's threshold.
   * @default - no line
   */
  readonly costSpikeUsdPerHour?: number;
  /**
   * Lake size (GiB) drawn as a line on the lake graph: the alarm's threshold.
   * @default - no line
   */
  readonly lakeSizeAlarmGiB?: number;
  /**
   * The workgroup's bytes-scanned cutoff per query, drawn as a line on the bytes-scanned graph.
   * @default - no line
   */
  readonly scanCutoffBytes?: number;
}

/**
 * A CloudWatch dashboard, a week by default, each graph at its own period (daily metrics stay
 * daily):
 * 1. alarm states;
 * 2. ETL rows exported and export duration per table (SEARCH expressions: a new table shows up
 *    with its first export, no deployment needed);
 * 3. ETL failures and partition lag per table;
 * 4. Athena bytes scanned per query, query cost per hour and per query, and the spend of the last
 *    30 days — as the query API reports it (`QueryCostUsd`) and as Athena's `ProcessedBytes`
 *    price it at US$5/TB (10 MB minimum per query not applied, so a floor);
 * 5. Aurora capacity (ACUs and utilization) and connections;
 * 6. lake size per storage class.
 * @example
 * new MonitoringDashboard(this, 'Dashboard', { dashboardName: 'thermocline-dev', metrics });
 */
export class MonitoringDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });

    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: 'Alarms',
          alarms: [...props.alarms],
          width: 24,
          height: 3,
        }),
      );
    }
    for (const row of [
      ...etlRows(props),
      queryRow(props),
      auroraRow(props.metrics),
      lakeRow(props),
    ]) {
      this.dashboard.addWidgets(...row);
    }
  }
}

const DAY = Duration.days(1);

/** A red horizontal line at `value` (none when it is not configured). */
function line(value: number | undefined, label: string): cloudwatch.HorizontalAnnotation[] {
  return value === undefined ? [] : [{ value, label, color: cloudwatch.Color.RED }];
}

/** Rows 1–2: rows exported and export duration per table; failures and partition lag. */
function etlRows(props: MonitoringDashboardProps): cloudwatch.IWidget[][] {
  const { metrics } = props;
  const names = THERMOCLINE_METRIC_NAMES;
  const day = DAY;
  return [
    [
      new cloudwatch.GraphWidget({
        title: 'ETL rows exported per table (per day)',
        left: [metrics.searchPerTable(names.etlRowsExported, 'Sum', day)],
        leftYAxis: { min: 0, label: 'rows', showUnits: false },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'ETL export duration per table (longest per day)',
        left: [metrics.searchPerTable(names.etlDurationSeconds, 'Maximum', day)],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        width: 12,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'ETL failures',
        left: [metrics.metricEtlFailures({ period: Duration.hours(1), label: 'failures' })],
        leftYAxis: { min: 0, showUnits: false },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Partition lag per table (days)',
        left: [metrics.searchPerTable(names.partitionLagDays, 'Maximum', day)],
        leftYAxis: { min: 0, label: 'days', showUnits: false },
        leftAnnotations: line(props.partitionLagAlarmDays, 'alarm'),
        width: 16,
      }),
    ],
  ];
}

/** Row 3: Athena bytes per query, query cost, 30-day spend. */
function queryRow(props: MonitoringDashboardProps): cloudwatch.IWidget[] {
  const { metrics } = props;
  const scannedPerQuery = metrics.metricAthenaProcessedBytes({ label: 'average per query' });
  const largestQuery = metrics.metricAthenaProcessedBytes({
    statistic: cloudwatch.Stats.MAXIMUM,
    label: 'largest query',
  });
  const thirtyDays = Duration.days(30);
  const athenaPriced = (period: Duration, label: string): cloudwatch.MathExpression =>
    new cloudwatch.MathExpression({
      expression: `scanned / 1000000000000 * ${ATHENA_USD_PER_TB}`,
      usingMetrics: {
        scanned: metrics.metricAthenaProcessedBytes({ statistic: cloudwatch.Stats.SUM, period }),
      },
      label,
      period,
    });
  return [
    new cloudwatch.GraphWidget({
      title: 'Athena bytes scanned per query',
      left: [scannedPerQuery, largestQuery],
      leftYAxis: { min: 0 },
      leftAnnotations: line(props.scanCutoffBytes, 'cutoff'),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Query cost (US$)',
      left: [
        metrics.metricQueryCostUsd({ label: 'per hour' }),
        athenaPriced(Duration.hours(1), 'per hour, Athena scans at $5/TB'),
      ],
      right: [
        metrics.metricQueryCostUsd({ statistic: cloudwatch.Stats.AVERAGE, label: 'per query' }),
      ],
      leftYAxis: { min: 0, showUnits: false },
      rightYAxis: { min: 0, showUnits: false },
      leftAnnotations: line(props.costSpikeUsdPerHour, 'alarm (per hour)'),
      width: 8,
    }),
    new cloudwatch.SingleValueWidget({
      title: 'Query spend, last 30 days (US$)',
      metrics: [
        metrics.metricQueryCostUsd({ period: thirtyDays, label: 'reported by the query API' }),
        athenaPriced(thirtyDays, 'Athena scans at $5/TB'),
      ],
      start: '-P30D',
      setPeriodToTimeRange: true,
      fullPrecision: false,
      width: 8,
      height: 6,
    }),
  ];
}

/** Row 4: Aurora capacity and connections. */
function auroraRow(metrics: MonitoringDashboardProps['metrics']): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Aurora capacity',
      left: [
        metrics.metricAuroraCapacityAcu({ label: 'ACUs (average)' }),
        metrics.metricAuroraCapacityAcu({
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'ACUs (maximum)',
        }),
      ],
      right: [metrics.metricAuroraAcuUtilization({ label: 'utilization of max ACUs (%)' })],
      leftYAxis: { min: 0, label: 'ACUs', showUnits: false },
      rightYAxis: { min: 0, max: 100, label: '%', showUnits: false },
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Aurora connections',
      left: [
        metrics.metricDatabaseConnections({ label: 'average' }),
        metrics.metricDatabaseConnections({
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'maximum',
        }),
      ],
      leftYAxis: { min: 0, showUnits: false },
      width: 12,
    }),
  ];
}

/** Row 5: lake size per storage class. */
function lakeRow(props: MonitoringDashboardProps): cloudwatch.IWidget[] {
  const { metrics } = props;
  const day = DAY;
  // Each expression names its metric after the storage class: IDs are shared by a graph.
  const lakeGiB = (storageType: string, label: string): cloudwatch.MathExpression =>
    new cloudwatch.MathExpression({
      expression: `${storageType.toLowerCase()} / ${GIB}`,
      usingMetrics: { [storageType.toLowerCase()]: metrics.metricLakeSizeBytes(storageType) },
      label,
      period: day,
    });
  return [
    new cloudwatch.GraphWidget({
      title: 'Lake size (GiB)',
      left: [
        lakeGiB('StandardStorage', 'S3 Standard'),
        lakeGiB('GlacierStorage', 'Glacier Flexible Retrieval'),
        lakeGiB('DeepArchiveStorage', 'Glacier Deep Archive'),
      ],
      leftYAxis: { min: 0, label: 'GiB', showUnits: false },
      leftAnnotations: line(props.lakeSizeAlarmGiB, 'alarm (S3 Standard)'),
      width: 24,
    }),
  ];
}
