/**
 * The metrics Thermocline is watched by, in one place: the platform's own metrics (namespace
 * `Thermocline`, published as CloudWatch embedded metric format by the functions) and the AWS
 * metrics of the lake bucket, the Athena workgroup and the Aurora cluster. Alarms and the
 * dashboard take their metrics from here, so a name is spelt once.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** The CloudWatch namespace of the metrics the platform publishes itself. */
export const THERMOCLINE_NAMESPACE = 'Thermocline';

/**
 * The platform's own metrics: the contract between the functions that publish them (EMF) and
 * the monitoring stack that graphs and alarms on them. Every one carries the dimension
 * `Environment` (`dev`, `staging`, `prod`) so environments sharing an account never mix; the
 * per-table ones carry `Table` too, and are published with both dimension sets
 * `[Environment, Table]` and `[Environment]` so one alarm covers every table.
 */
export const THERMOCLINE_METRIC_NAMES = {
  /** Rows one table-day export published (Count), per table. */
  etlRowsExported: 'EtlRowsExported',
  /** Seconds one table-day export took, extract to commit (Seconds), per table. */
  etlDurationSeconds: 'EtlDurationSeconds',
  /** Table-days (or plans) of an ETL run that failed for good, after retries (Count). */
  etlFailures: 'EtlFailures',
  /** Days between the newest day in the lake and the newest day due there (Count), per table. */
  partitionLagDays: 'PartitionLagDays',
  /** What one Athena query cost, in US dollars (None), as computed by the query API. */
  queryCostUsd: 'QueryCostUsd',
} as const;

/** The dimensions of the platform's own metrics. */
export const THERMOCLINE_DIMENSIONS = {
  /** The deployment environment: `dev`, `staging` or `prod`. */
  environment: 'Environment',
  /** The configured table the value is about. */
  table: 'Table',
} as const;

/** Athena's on-demand price, in US dollars per terabyte (10^12 bytes) scanned. */
export const ATHENA_USD_PER_TB = 5;

/** What {@link ThermoclineMetrics} needs to name the metrics of one environment. */
export interface ThermoclineMetricsProps {
  /** The environment, the value of the `Environment` dimension of the platform's metrics. */
  readonly envName: string;
  /** The lake bucket, whose daily storage metrics (`AWS/S3`) are read. */
  readonly lakeBucketName: string;
  /** The Athena workgroup every query runs in (`AWS/Athena` metrics by `WorkGroup`). */
  readonly workgroupName: string;
  /** The Aurora cluster's identifier (`AWS/RDS` metrics by `DBClusterIdentifier`). */
  readonly clusterIdentifier: string;
}

/**
 * The metrics of one environment, each a `cloudwatch.Metric` with a sensible statistic and
 * period that `props` may override:
 * - ETL: rows exported and duration per table, failures, partition lag (namespace `Thermocline`);
 * - lake: `AWS/S3` `BucketSizeBytes` of the lake bucket (reported once a day);
 * - queries: `AWS/Athena` `ProcessedBytes` of the workgroup (one value per query) and the
 *   platform's `QueryCostUsd`;
 * - hot tier: `AWS/RDS` `ServerlessDatabaseCapacity`, `ACUUtilization` and `DatabaseConnections`
 *   of the cluster.
 *
 * No metric sets a unit: an alarm on a metric with a unit ignores data published with any other,
 * so a publisher's unit choice could silently blind it.
 *
 * A plain helper, not a construct: metrics are not resources, and any stack may build one from
 * the names alone (no reference to the stacks that own the resources).
 * @example
 * const metrics = new ThermoclineMetrics({
 *   envName: 'dev',
 *   lakeBucketName: 'thermocline-dev-lake',
 *   workgroupName: 'thermocline-dev',
 *   clusterIdentifier: 'thermocline-dev',
 * });
 * metrics.metricEtlFailures().createAlarm(this, 'EtlFailure', { threshold: 1, evaluationPeriods: 1 });
 */
export class ThermoclineMetrics {
  /** The environment the metrics are of. */
  readonly envName: string;
  private readonly props: ThermoclineMetricsProps;

  constructor(props: ThermoclineMetricsProps) {
    this.props = props;
    this.envName = props.envName;
  }

  /**
   * Rows exported per day for `table` (Sum over 1 day).
   * @example
   * metrics.metricEtlRowsExported('agent_tasks');
   */
  metricEtlRowsExported(table: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.platformMetric(THERMOCLINE_METRIC_NAMES.etlRowsExported, table, {
      statistic: cloudwatch.Stats.SUM,
      period: Duration.days(1),
      ...props,
    });
  }

  /**
   * The longest table-day export of `table` per day, in seconds (Maximum over 1 day).
   * @example
   * metrics.metricEtlDurationSeconds('events');
   */
  metricEtlDurationSeconds(table: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.platformMetric(THERMOCLINE_METRIC_NAMES.etlDurationSeconds, table, {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.days(1),
      ...props,
    });
  }

  /**
   * ETL failures (Sum over 5 minutes): table-days or plans that failed after their retries.
   * @example
   * metrics.metricEtlFailures();
   */
  metricEtlFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.platformMetric(THERMOCLINE_METRIC_NAMES.etlFailures, undefined, {
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Partition lag in days (Maximum over 1 day): of `table`, or the worst table's when `table` is
   * omitted (the `[Environment]` dimension set).
   * @example
   * metrics.metricPartitionLagDays(); // every table
   * metrics.metricPartitionLagDays('events');
   */
  metricPartitionLagDays(table?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.platformMetric(THERMOCLINE_METRIC_NAMES.partitionLagDays, table, {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.days(1),
      ...props,
    });
  }

  /**
   * Query cost in US dollars (Sum over 1 hour), as the query API computes it per query.
   * @example
   * metrics.metricQueryCostUsd({ statistic: 'Average' }); // per query
   */
  metricQueryCostUsd(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.platformMetric(THERMOCLINE_METRIC_NAMES.queryCostUsd, undefined, {
      statistic: cloudwatch.Stats.SUM,
      period: Duration.hours(1),
      ...props,
    });
  }

  /**
   * Bytes the workgroup's queries scanned (`AWS/Athena` `ProcessedBytes`; one value per query,
   * so Average is per query; Average over 1 hour).
   * @example
   * metrics.metricAthenaProcessedBytes({ statistic: 'Sum' });
   */
  metricAthenaProcessedBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Athena',
      metricName: 'ProcessedBytes',
      dimensionsMap: { WorkGroup: this.props.workgroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.hours(1),
      ...props,
    });
  }

  /**
   * Bytes stored in the lake bucket in `storageType` (`AWS/S3` `BucketSizeBytes`, reported once a
   * day; Maximum over 1 day).
   * @param storageType an S3 storage-metrics type: `StandardStorage`, `GlacierStorage`,
   * `DeepArchiveStorage`, …
   * @example
   * metrics.metricLakeSizeBytes(); // S3 Standard
   * metrics.metricLakeSizeBytes('GlacierStorage');
   */
  metricLakeSizeBytes(
    storageType = 'StandardStorage',
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'BucketSizeBytes',
      dimensionsMap: { BucketName: this.props.lakeBucketName, StorageType: storageType },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.days(1),
      ...props,
    });
  }

  /**
   * Aurora Serverless v2 capacity in ACUs (`ServerlessDatabaseCapacity`; Average over 5 minutes).
   * @example
   * metrics.metricAuroraCapacityAcu({ statistic: 'Maximum' });
   */
  metricAuroraCapacityAcu(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.rdsMetric('ServerlessDatabaseCapacity', props);
  }

  /**
   * Capacity used as a percentage of the maximum ACUs (`ACUUtilization`; Average over 5 minutes).
   * @example
   * metrics.metricAuroraAcuUtilization();
   */
  metricAuroraAcuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.rdsMetric('ACUUtilization', props);
  }

  /**
   * Client connections to the cluster (`DatabaseConnections`; Average over 5 minutes).
   * @example
   * metrics.metricDatabaseConnections({ statistic: 'Maximum' });
   */
  metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.rdsMetric('DatabaseConnections', props);
  }

  /**
   * A CloudWatch SEARCH expression graphing `metricName` once per table (the
   * `[Environment, Table]` dimension set), so tables added to the config appear without a
   * deployment; each line is labelled with its table.
   * @example
   * metrics.searchPerTable('EtlRowsExported', 'Sum', Duration.days(1));
   */
  searchPerTable(
    metricName: string,
    statistic: string,
    period: Duration,
    label = "${PROP('Dim.Table')}",
  ): cloudwatch.MathExpression {
    const { environment, table } = THERMOCLINE_DIMENSIONS;
    const schema = `{${THERMOCLINE_NAMESPACE},${environment},${table}}`;
    const filter = `MetricName="${metricName}" ${environment}="${this.envName}"`;
    return new cloudwatch.MathExpression({
      expression: `SEARCH('${schema} ${filter}', '${statistic}', ${period.toSeconds()})`,
      usingMetrics: {},
      label,
      period,
    });
  }

  /**
   * Executions of a state machine that failed (`AWS/States` `ExecutionsFailed`, Sum over 5
   * minutes): the ETL, sync or retention machine ended in its Fail state (after its Retry and
   * Catch, and after its own SNS alert).
   * @example
   * metrics.metricStateMachineFailures(etlStateMachineArn);
   */
  metricStateMachineFailures(
    stateMachineArn: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/States',
      metricName: 'ExecutionsFailed',
      dimensionsMap: { StateMachineArn: stateMachineArn },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private platformMetric(
    metricName: string,
    table: string | undefined,
    options: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    const { environment, table: tableDimension } = THERMOCLINE_DIMENSIONS;
    return new cloudwatch.Metric({
      namespace: THERMOCLINE_NAMESPACE,
      metricName,
      dimensionsMap: {
        [environment]: this.envName,
        ...(table === undefined ? {} : { [tableDimension]: table }),
      },
      ...options,
    });
  }

  private rdsMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { DBClusterIdentifier: this.props.clusterIdentifier },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(5),
      ...props,
    });
  }
}
