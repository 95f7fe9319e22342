/**
 * The monitoring of one environment: the alert topic, the alarms and the dashboard. Stateless: it
 * holds no data and can be deleted and redeployed at will.
 */
import { ArnFormat, CfnOutput, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AlertTopic } from './constructs/alert-topic';
import { MonitoringDashboard } from './constructs/monitoring-dashboard';
import { scanCutoffBytes } from './constructs/query-workgroup';
import { ATHENA_USD_PER_TB, ThermoclineMetrics } from './constructs/thermocline-metrics';
import type { DeployEnvironmentName } from './storage-stack';

/** How many queries that each scan up to the cutoff, in one hour, make a cost spike. */
export const COST_SPIKE_QUERIES_PER_HOUR = 10;

/**
 * The default query-cost alarm threshold, in US dollars per hour: {@link COST_SPIKE_QUERIES_PER_HOUR}
 * queries that each scan the whole per-query cutoff (`scanCutoffGB` GB) at Athena's US$5 per
 * TB (10^12 bytes), rounded up to the cent. Normal use — small queries, most of them answered
 * from the hot tier — stays far below; a runaway client or dashboard crosses it within the hour.
 * @throws Error when the cutoff is below Athena's 10 MB minimum.
 * @example
 * defaultCostSpikeUsdPerHour(10); // 0.5 (10 GB → $0.05 a query, × 10)
 */
export function defaultCostSpikeUsdPerHour(scanCutoffGB: number): number {
  const perQueryUsd = (scanCutoffBytes(scanCutoffGB) / 1e12) * ATHENA_USD_PER_TB;
  // Rounded to 6 places first so a float just above a whole cent does not add a cent.
  const cents = Number((perQueryUsd * COST_SPIKE_QUERIES_PER_HOUR * 100).toFixed(6));
  return Math.ceil(cents) / 100;
}

/** Properties of a {@link MonitoringStack}. */
export interface MonitoringStackProps extends StackProps {
  /** The environment: names the topic, alarms and dashboard (`thermocline-<env>…`). */
  readonly envName: DeployEnvironmentName;
  /** The lake bucket's name (its S3 storage metrics are graphed and alarmed on). */
  readonly lakeBucketName: string;
  /** The Athena workgroup's name (its bytes-scanned metrics are graphed). */
  readonly workgroupName: string;
  /** The Aurora cluster's identifier (its capacity and connection metrics are graphed). */
  readonly clusterIdentifier: string;
  /**
   * Email address subscribed to the alert topic (it must confirm the subscription).
   * @default - no subscription
   */
  readonly alertEmail?: string | null;
  /**
   * The workgroup's bytes-scanned cutoff per query, in GB (10^9 bytes): drawn on the dashboard and the base
   * of the default cost-spike threshold.
   * @default 10 - the workgroup's default cutoff
   */
  readonly scanCutoffGB?: number;
  /**
   * Query cost per hour, in US dollars, above which the cost-spike alarm goes off.
   * @default - defaultCostSpikeUsdPerHour(scanCutoffGB): ten queries scanning the whole cutoff
   * in an hour (US$0.50 for the 10 GB default)
   */
  readonly costSpikeUsdPerHour?: number;
  /**
   * Data in S3 Standard in the lake, in GiB, above which the storage alarm goes off.
   * @default 1024 - 1 TiB
   */
  readonly lakeSizeAlarmGiB?: number;
  /**
   * Partition lag, in days, above which the partition-lag alarm goes off.
   * @default 2 - a table more than two days behind
   */
  readonly partitionLagAlarmDays?: number;
}

/**
 * The monitoring stack of one environment (`Thermocline-<env>-Monitoring`):
 * - `Alerts`: the SNS topic `thermocline-<env>-alerts`, encrypted with its own KMS key, TLS only,
 *   with an email subscription when the config has an `alert_email`;
 * - alarms `thermocline-<env>-etl-failure` (any ETL failure, within 5 minutes),
 *   `thermocline-<env>-job-failure` (a failed ETL, sync or retention execution, within 5 minutes),
 *   `-query-cost-spike` (query cost per hour), `-partition-lag` (daily) and `-lake-size` (daily),
 *   each notifying the topic when it goes off;
 * - `Dashboard`: the CloudWatch dashboard `thermocline-<env>`.
 *
 * It takes the other stacks' resources by name only (bucket, workgroup, cluster), so it neither
 * owns nor changes them. It is stateless: no termination protection is needed.
 * @example
 * const monitoring = new MonitoringStack(app, 'Thermocline-dev-Monitoring', {
 *   envName: 'dev',
 *   lakeBucketName: storage.lakeBucket.bucketName,
 *   workgroupName: storage.workgroupName,
 *   clusterIdentifier: database.clusterIdentifier,
 *   alertEmail: 'oncall@example.com',
 * });
 * monitoring.grantPublishAlerts(etlStateMachine);
 */
export class MonitoringStack extends Stack {
  /** The alert topic, `thermocline-<env>-alerts`. */
  readonly alertTopic: sns.ITopic;
  /** The environment's metrics. */
  readonly metrics: ThermoclineMetrics;
  /** Goes off at the first ETL failure. */
  readonly etlFailureAlarm: cloudwatch.Alarm;
  /** Goes off when queries cost more than `costSpikeUsdPerHour` in an hour. */
  readonly queryCostSpikeAlarm: cloudwatch.Alarm;
  /** Goes off when an ETL, sync or retention state machine execution fails. */
  readonly jobFailureAlarm: cloudwatch.Alarm;
  /** Goes off when a table's lake lags more than `partitionLagAlarmDays` days. */
  readonly partitionLagAlarm: cloudwatch.Alarm;
  /** Goes off when the lake holds more than `lakeSizeAlarmGiB` GiB in S3 Standard. */
  readonly lakeSizeAlarm: cloudwatch.Alarm;
  /** The dashboard, `thermocline-<env>`. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The alert topic construct (topic, key, subscription). */
  readonly alerts: AlertTopic;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, {
      description: `Thermocline ${props.envName}: alert topic, alarms and dashboard (stateless)`,
      ...props,
    });
    Tags.of(this).add('thermocline:environment', props.envName);
    const limits = alarmLimits(props);
    const { prefix } = limits;

    this.alerts = new AlertTopic(this, 'Alerts', {
      topicName: `${prefix}-alerts`,
      alarmNamePrefix: `${prefix}-`,
      alertEmail: props.alertEmail,
      displayName: `Thermocline ${props.envName}`,
    });
    this.alertTopic = this.alerts.topic;
    const notify = new cloudwatchActions.SnsAction(this.alerts.topic);

    this.metrics = new ThermoclineMetrics({
      envName: props.envName,
      lakeBucketName: props.lakeBucketName,
      workgroupName: props.workgroupName,
      clusterIdentifier: props.clusterIdentifier,
    });

    const alarms = this.addAlarms(props, limits);
    this.etlFailureAlarm = alarms.etlFailureAlarm;
    this.jobFailureAlarm = alarms.jobFailureAlarm;
    this.queryCostSpikeAlarm = alarms.queryCostSpikeAlarm;
    this.partitionLagAlarm = alarms.partitionLagAlarm;
    this.lakeSizeAlarm = alarms.lakeSizeAlarm;

    const allAlarms = [
      this.etlFailureAlarm,
      this.jobFailureAlarm,
      this.queryCostSpikeAlarm,
      this.partitionLagAlarm,
      this.lakeSizeAlarm,
    ];
    for (const alarm of allAlarms) alarm.addAlarmAction(notify);

    this.dashboard = new MonitoringDashboard(this, 'Dashboard', {
      dashboardName: prefix,
      metrics: this.metrics,
      alarms: allAlarms,
      partitionLagAlarmDays: limits.partitionLagAlarmDays,
      costSpikeUsdPerHour: limits.costSpikeUsdPerHour,
      lakeSizeAlarmGiB: limits.lakeSizeAlarmGiB,
      scanCutoffBytes: scanCutoffBytes(limits.scanCutoffGB),
    }).dashboard;

    new CfnOutput(this, 'AlertTopicArn', {
      description: 'The alert topic (the ETL state machine publishes failures to it).',
      value: this.alertTopic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'The CloudWatch dashboard.',
      value: prefix,
    });
  }

  /**
   * The stack's alarms on the metrics the functions publish: a final ETL failure, any failed job
   * execution, a query cost spike, partition lag and the lake's size.
   */
  private addAlarms(props: MonitoringStackProps, limits: AlarmLimits) {
    return {
      etlFailureAlarm: this.addEtlFailureAlarm(props.envName, limits),
      jobFailureAlarm: this.addJobFailureAlarm(props.envName, limits),
      queryCostSpikeAlarm: this.addQueryCostSpikeAlarm(props.envName, limits),
      partitionLagAlarm: this.addPartitionLagAlarm(props.envName, limits),
      lakeSizeAlarm: this.addLakeSizeAlarm(props.envName, limits),
    };
  }

  /** `EtlFailureAlarm`: a table-day or the plan failed after its retries. */
  private addEtlFailureAlarm(envName: string, { prefix }: AlarmLimits): cloudwatch.Alarm {
    return this.metrics.metricEtlFailures().createAlarm(this, 'EtlFailureAlarm', {
      alarmName: `${prefix}-etl-failure`,
      alarmDescription:
        `The ${envName} ETL failed (a table-day or the plan, after its retries). The ` +
        `state machine's alert on this topic names the failures; fix the cause and re-run the ` +
        `day with 'thermocline etl run --date'.`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** `JobFailureAlarm`: an execution of the ETL, sync or retention state machine ended failed. */
  private addJobFailureAlarm(envName: string, { prefix }: AlarmLimits): cloudwatch.Alarm {
    // The scheduled jobs' state machines, by name (the Pipeline stack names them so): any
    // execution that ends failed, whatever failed in it — a transient error that outlived its
    // retries included, which EtlFailures (final failures of a table-day) does not count.
    const jobs = ['etl', 'sync', 'retention'] as const;
    const failures = Object.fromEntries(
      jobs.map((job) => [
        job,
        this.metrics.metricStateMachineFailures(
          this.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: `${prefix}-${job}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      ]),
    );
    return new cloudwatch.MathExpression({
      expression: jobs.map((job) => `FILL(${job}, 0)`).join(' + '),
      usingMetrics: failures,
      period: Duration.minutes(5),
      label: 'Failed executions of the ETL, sync and retention state machines',
    }).createAlarm(this, 'JobFailureAlarm', {
      alarmName: `${prefix}-job-failure`,
      alarmDescription:
        `A ${envName} state machine (ETL, sync or retention) ended failed. Its SNS alert ` +
        'names the failures; the execution history in Step Functions shows each state.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** `QueryCostSpikeAlarm`: queries cost more than `costSpikeUsdPerHour` in an hour. */
  private addQueryCostSpikeAlarm(envName: string, limits: AlarmLimits): cloudwatch.Alarm {
    const { prefix, scanCutoffGB, costSpikeUsdPerHour } = limits;
    return this.metrics.metricQueryCostUsd().createAlarm(this, 'QueryCostSpikeAlarm', {
      alarmName: `${prefix}-query-cost-spike`,
      alarmDescription:
        `${envName} queries cost more than US$${costSpikeUsdPerHour} in an hour ` +
        `(${COST_SPIKE_QUERIES_PER_HOUR} queries scanning the ${scanCutoffGB} GB cutoff ` +
        `each, by default). Look for the client or dashboard behind it in the query API's logs.`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: costSpikeUsdPerHour,
      evaluationPeriods: 1,
      // No query in an hour costs nothing.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** `PartitionLagAlarm`: a table's newest day in the lake is `partitionLagAlarmDays` behind. */
  private addPartitionLagAlarm(envName: string, limits: AlarmLimits): cloudwatch.Alarm {
    const { prefix, partitionLagAlarmDays } = limits;
    return this.metrics.metricPartitionLagDays().createAlarm(this, 'PartitionLagAlarm', {
      alarmName: `${prefix}-partition-lag`,
      alarmDescription:
        `A ${envName} table's newest day in the lake is more than ` +
        `${partitionLagAlarmDays} days behind. Check the ETL's recent runs; 'thermocline ` +
        `backfill' exports the missing days.`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: partitionLagAlarmDays,
      evaluationPeriods: 1,
      // No value means nothing measured the lag (no ETL run): the alarm shows "insufficient
      // data" rather than guessing; an ETL that does not run at all is not caught here.
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
  }

  /** `LakeSizeAlarm`: the lake holds more than `lakeSizeAlarmGiB` GiB in S3 Standard. */
  private addLakeSizeAlarm(envName: string, limits: AlarmLimits): cloudwatch.Alarm {
    const { prefix, lakeSizeAlarmGiB } = limits;
    return this.metrics.metricLakeSizeBytes().createAlarm(this, 'LakeSizeAlarm', {
      alarmName: `${prefix}-lake-size`,
      alarmDescription:
        `The ${envName} lake holds more than ${lakeSizeAlarmGiB} GiB in S3 Standard. ` +
        `Check for re-exported days piling up as old versions, or tier sooner ` +
        `(lifecycle.glacier_after_days).`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: lakeSizeAlarmGiB * 1024 ** 3,
      evaluationPeriods: 1,
      // S3 reports storage once a day, hours late: a day without a value keeps the state.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
  }

  /**
   * Lets `grantee` publish to the alert topic (`sns:Publish` and the KMS actions its key needs).
   * @example
   * monitoring.grantPublishAlerts(etlStateMachine);
   */
  grantPublishAlerts(grantee: iam.IGrantable): iam.Grant {
    return this.alerts.grantPublish(grantee);
  }
}

/** The names and thresholds the alarms are made with, the defaults applied. */
interface AlarmLimits {
  /** `thermocline-<env>`, the alarm names' prefix. */
  readonly prefix: string;
  readonly scanCutoffGB: number;
  readonly costSpikeUsdPerHour: number;
  readonly partitionLagAlarmDays: number;
  readonly lakeSizeAlarmGiB: number;
}

/** The alarms' names and thresholds: the props' limits with their defaults, checked. */
function alarmLimits(props: MonitoringStackProps): AlarmLimits {
  const scanCutoffGB = props.scanCutoffGB ?? 10;
  const limits = {
    prefix: `thermocline-${props.envName}`,
    scanCutoffGB,
    costSpikeUsdPerHour: props.costSpikeUsdPerHour ?? defaultCostSpikeUsdPerHour(scanCutoffGB),
    partitionLagAlarmDays: props.partitionLagAlarmDays ?? 2,
    lakeSizeAlarmGiB: props.lakeSizeAlarmGiB ?? 1024,
  };
  checkPositive('costSpikeUsdPerHour', limits.costSpikeUsdPerHour, 'US$ per hour');
  checkPositive('lakeSizeAlarmGiB', limits.lakeSizeAlarmGiB, 'GiB');
  checkPositive('partitionLagAlarmDays', limits.partitionLagAlarmDays, 'days');
  return limits;
}

/** Throws unless `value` is a finite number above 0. */
function checkPositive(name: string, value: number, unit: string): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`MonitoringStack ${name} is ${value}; use a number of ${unit} above 0`);
  }
}
