import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { resolveConfig } from '#core/config/resolve';
import { AlertTopic } from '#lib/constructs/alert-topic';
import { ThermoclineMetrics } from '#lib/constructs/thermocline-metrics';
import {
  defaultCostSpikeUsdPerHour,
  MonitoringStack,
  type MonitoringStackProps,
} from '#lib/monitoring-stack';
import { addThermoclineStacks } from '#lib/thermocline-app';
import {
  cdkTestKit,
  grantFixture,
  logicalId,
  nagViolations,
  stackViews,
  type StackView,
  ENVS,
  stackPerEnvironmentTests,
} from '#test/support/cdk';

// Each environment is synthesized once, with the cdk-nag checks, and shared by the tests below.
const kit = cdkTestKit('monitoring');
afterAll(kit.cleanup);
const newApp = kit.newApp;

type Synthesized = StackView;
const { synthesize, synth } = stackViews(kit, 'monitoring');

/** Dev with an alert email and a smaller scan cutoff in the config file. */
const OVERRIDES = {
  environments: { dev: { alert_email: 'oncall@example.com', scan_cutoff_gb: 2.5 } },
};
let overridden: Synthesized | undefined;
function synthOverridden(): Synthesized {
  overridden ??= synthesize('dev', OVERRIDES);
  return overridden;
}

/** A monitoring stack on its own (no other stacks, no cdk-nag), for the props' effects. */
function standalone(props: Partial<MonitoringStackProps> = {}): Template {
  const stack = new MonitoringStack(newApp(), 'Monitoring', {
    envName: 'dev',
    lakeBucketName: 'lake-bucket',
    workgroupName: 'thermocline-dev',
    clusterIdentifier: 'thermocline-dev',
    ...props,
  });
  return Template.fromStack(stack);
}

/** The dashboard's body as one string, each CloudFormation intrinsic written as its JSON. */
function dashboardBody(template: Template): string {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const [dashboard] = Object.values(dashboards) as {
    Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } };
  }[];
  if (!dashboard) throw new Error('the stack has no dashboard');
  return dashboard.Properties.DashboardBody['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)))
    .join('');
}

/** The `Properties` of the alarm named `alarmName`. */
function alarmProperties(template: Template, alarmName: string): Record<string, unknown> {
  const alarms = template.findResources('AWS::CloudWatch::Alarm', {
    Properties: { AlarmName: alarmName },
  });
  const [alarm] = Object.values(alarms) as { Properties: Record<string, unknown> }[];
  if (!alarm) throw new Error(`no alarm named ${alarmName}`);
  return alarm.Properties;
}

const ALARMS = [
  'etl-failure',
  'job-failure',
  'query-cost-spike',
  'partition-lag',
  'lake-size',
] as const;

describe('alert topic', () => {
  test('is named thermocline-<env>-alerts', () => {
    synth('prod').template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'thermocline-prod-alerts',
    });
  });

  test('is encrypted with its own KMS key', () => {
    const { monitoring, template } = synth('dev');
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(monitoring.alerts.key), 'Arn'] },
    });
  });

  test('its key is rotated automatically', () => {
    synth('dev').template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('its key lets CloudWatch alarms named thermocline-<env>-* of this account use it', () => {
    synth('dev').template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([':alarm:thermocline-dev-*'])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  test('its policy denies publishing without TLS', () => {
    const { monitoring, template } = synth('dev');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(monitoring.alerts.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('its policy lets CloudWatch alarms named thermocline-<env>-* of this account publish', () => {
    synth('dev').template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([':alarm:thermocline-dev-*'])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  test('has no subscription when alert_email is null (the default)', () => {
    synth('dev').template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('subscribes alert_email by email when the config sets it', () => {
    const { monitoring, template } = synthOverridden();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: logicalId(monitoring.alerts.topic) },
    });
  });

  test('an invalid topic name is rejected', () => {
    const stack = new Stack(new App(), 'Alerts');
    expect(
      () => new AlertTopic(stack, 'Alerts', { topicName: 'alerts!', alarmNamePrefix: 'a-' }),
    ).toThrow(/SNS topic name 'alerts!' is not valid/);
  });
});

describe('ETL failure alarm', () => {
  test('goes off at one EtlFailures (Sum) within 5 minutes', () => {
    expect(alarmProperties(synth('dev').template, 'thermocline-dev-etl-failure')).toMatchObject({
      Namespace: 'Thermocline',
      MetricName: 'EtlFailures',
      Dimensions: [{ Name: 'Environment', Value: 'dev' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
  });

  test('treats missing data as not breaching', () => {
    expect(alarmProperties(synth('dev').template, 'thermocline-dev-etl-failure')).toMatchObject({
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('job failure alarm', () => {
  test('sums the failed executions of the ETL, sync and retention state machines', () => {
    const alarm = alarmProperties(synth('dev').template, 'thermocline-dev-job-failure') as {
      Metrics: {
        Id: string;
        Expression?: string;
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions: { Value: unknown }[] };
        };
      }[];
      Threshold: number;
    };
    const expression = alarm.Metrics.find((m) => m.Expression)?.Expression;
    const machines = alarm.Metrics.filter((m) => m.MetricStat).map((m) => [
      m.MetricStat?.Metric.Namespace,
      m.MetricStat?.Metric.MetricName,
      JSON.stringify(m.MetricStat?.Metric.Dimensions[0]?.Value).match(
        /stateMachine:(thermocline-dev-\w+)/,
      )?.[1],
    ]);
    expect([expression, machines, alarm.Threshold]).toEqual([
      'FILL(etl, 0) + FILL(sync, 0) + FILL(retention, 0)',
      [
        ['AWS/States', 'ExecutionsFailed', 'thermocline-dev-etl'],
        ['AWS/States', 'ExecutionsFailed', 'thermocline-dev-sync'],
        ['AWS/States', 'ExecutionsFailed', 'thermocline-dev-retention'],
      ],
      1,
    ]);
  });
});

describe('query cost spike alarm', () => {
  test('goes off when QueryCostUsd (Sum) over 1 hour exceeds the threshold', () => {
    const properties = alarmProperties(synth('dev').template, 'thermocline-dev-query-cost-spike');
    expect(properties).toMatchObject({
      Namespace: 'Thermocline',
      MetricName: 'QueryCostUsd',
      Dimensions: [{ Name: 'Environment', Value: 'dev' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('defaults to ten full-cutoff queries an hour: US$0.50 for the 10 GB default', () => {
    expect(
      alarmProperties(synth('dev').template, 'thermocline-dev-query-cost-spike'),
    ).toMatchObject({ Threshold: 0.5 });
  });

  test('follows an overridden scan_cutoff_gb (2.5 GB → US$0.13)', () => {
    expect(
      alarmProperties(synthOverridden().template, 'thermocline-dev-query-cost-spike'),
    ).toMatchObject({ Threshold: 0.13 });
  });

  test('defaultCostSpikeUsdPerHour is 10 × the cutoff priced at $5/TB, rounded up to the cent', () => {
    // 107.4 GB → $0.537 a query → $5.37 for ten
    expect(defaultCostSpikeUsdPerHour(107.4)).toBe(5.37);
  });

  test('costSpikeUsdPerHour overrides the default', () => {
    standalone({ costSpikeUsdPerHour: 25 }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'thermocline-dev-query-cost-spike',
      Threshold: 25,
    });
  });

  test('treats missing data (no queries) as not breaching', () => {
    expect(
      alarmProperties(synth('dev').template, 'thermocline-dev-query-cost-spike'),
    ).toMatchObject({ TreatMissingData: 'notBreaching' });
  });

  test('a threshold of 0 is rejected', () => {
    expect(() => standalone({ costSpikeUsdPerHour: 0 })).toThrow(
      /costSpikeUsdPerHour is 0; use a number of US\$ per hour above 0/,
    );
  });
});

describe('partition lag alarm', () => {
  test('goes off when PartitionLagDays (Maximum over 1 day, all tables) exceeds 2', () => {
    expect(alarmProperties(synth('dev').template, 'thermocline-dev-partition-lag')).toMatchObject({
      Namespace: 'Thermocline',
      MetricName: 'PartitionLagDays',
      Dimensions: [{ Name: 'Environment', Value: 'dev' }],
      Statistic: 'Maximum',
      Period: 86400,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 2,
    });
  });

  test('partitionLagAlarmDays overrides the threshold', () => {
    standalone({ partitionLagAlarmDays: 5 }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'thermocline-dev-partition-lag',
      Threshold: 5,
    });
  });
});

describe('lake size alarm', () => {
  test('goes off when the lake bucket’s BucketSizeBytes in S3 Standard (daily) exceeds 1024 GiB', () => {
    expect(alarmProperties(synth('dev').template, 'thermocline-dev-lake-size')).toMatchObject({
      Namespace: 'AWS/S3',
      MetricName: 'BucketSizeBytes',
      Dimensions: [
        { Name: 'BucketName', Value: expect.anything() },
        { Name: 'StorageType', Value: 'StandardStorage' },
      ],
      Statistic: 'Maximum',
      Period: 86400,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 1024 * 1024 ** 3,
    });
  });

  test('reads the storage stack’s lake bucket', () => {
    const properties = alarmProperties(synth('dev').template, 'thermocline-dev-lake-size');
    expect(JSON.stringify(properties.Dimensions)).toMatch(
      /"StackName":"Thermocline-dev-Storage".*DataLakeBucket/,
    );
  });

  test('lakeSizeAlarmGiB overrides the threshold', () => {
    standalone({ lakeSizeAlarmGiB: 10 }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'thermocline-dev-lake-size',
      Threshold: 10 * 1024 ** 3,
    });
  });

  test('keeps its state on a day S3 reports nothing', () => {
    expect(alarmProperties(synth('dev').template, 'thermocline-dev-lake-size')).toMatchObject({
      TreatMissingData: 'ignore',
    });
  });
});

describe('every alarm', () => {
  test.each(ALARMS)('thermocline-<env>-%s notifies the alert topic', (what) => {
    const { monitoring, template } = synth('staging');
    expect(alarmProperties(template, `thermocline-staging-${what}`)).toMatchObject({
      AlarmActions: [{ Ref: logicalId(monitoring.alerts.topic) }],
    });
  });

  test('there are exactly the four alarms', () => {
    synth('dev').template.resourceCountIs('AWS::CloudWatch::Alarm', ALARMS.length);
  });
});

describe('dashboard', () => {
  test('is named thermocline-<env>', () => {
    synth('prod').template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'thermocline-prod',
    });
  });

  test.each(['EtlRowsExported', 'EtlDurationSeconds', 'PartitionLagDays'])(
    'graphs %s per table with a SEARCH expression',
    (metricName) => {
      expect(dashboardBody(synth('dev').template)).toContain(
        `SEARCH('{Thermocline,Environment,Table} MetricName=\\"${metricName}\\" Environment=\\"dev\\"'`,
      );
    },
  );

  test('graphs the workgroup’s Athena bytes scanned', () => {
    expect(dashboardBody(synth('prod').template)).toContain(
      '["AWS/Athena","ProcessedBytes","WorkGroup","thermocline-prod"',
    );
  });

  test('shows the query spend summed over the last 30 days', () => {
    expect(dashboardBody(synth('dev').template)).toMatch(
      /"view":"singleValue","title":"Query spend, last 30 days[^"]*".*"QueryCostUsd".*"period":2592000,"stat":"Sum".*"setPeriodToTimeRange":true.*"start":"-P30D"/,
    );
  });

  test.each(['ServerlessDatabaseCapacity', 'ACUUtilization', 'DatabaseConnections'])(
    'graphs the cluster’s %s',
    (metricName) => {
      expect(dashboardBody(synth('prod').template)).toContain(
        `["AWS/RDS","${metricName}","DBClusterIdentifier","thermocline-prod"`,
      );
    },
  );

  test('graphs the lake bucket’s size in S3 Standard', () => {
    expect(dashboardBody(synth('dev').template)).toMatch(
      /"AWS\/S3","BucketSizeBytes","BucketName","\{"Fn::GetStackOutput":\{"StackName":"Thermocline-dev-Storage",[^\]]*DataLakeBucket[^\]]*"StorageType","StandardStorage"/,
    );
  });

  test('shows the state of every alarm', () => {
    const { monitoring, template } = synth('dev');
    const body = dashboardBody(template);
    for (const alarm of [monitoring.etlFailureAlarm, monitoring.lakeSizeAlarm]) {
      expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(alarm), 'Arn'] }));
    }
  });
});

describe('metrics', () => {
  const metrics = new ThermoclineMetrics({
    envName: 'staging',
    lakeBucketName: 'lake',
    workgroupName: 'thermocline-staging',
    clusterIdentifier: 'thermocline-staging',
  });

  test('per-table metrics carry the Environment and Table dimensions', () => {
    expect(metrics.metricEtlRowsExported('events').dimensions).toEqual({
      Environment: 'staging',
      Table: 'events',
    });
  });

  test('platform metrics are in the Thermocline namespace', () => {
    expect(metrics.metricEtlDurationSeconds('events').namespace).toBe('Thermocline');
  });

  test('lake size reads another storage class on request', () => {
    expect(metrics.metricLakeSizeBytes('GlacierStorage').dimensions).toEqual({
      BucketName: 'lake',
      StorageType: 'GlacierStorage',
    });
  });
});

describe('per environment', () => {
  stackPerEnvironmentTests(synth, 'monitoring', 'Monitoring', false);
});

describe('grants', () => {
  function consumer(): { monitoring: MonitoringStack; stack: Stack; role: iam.Role } {
    const { stacks, stack, role } = grantFixture(kit, 'states.amazonaws.com');
    return { monitoring: stacks.monitoring, stack, role };
  }

  test('grantPublishAlerts lets the grantee publish to the alert topic', () => {
    const { monitoring, stack, role } = consumer();
    const grant = monitoring.grantPublishAlerts(role);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish' })]),
      },
    });
  });

  test('grantPublishAlerts lets the grantee encrypt with the topic’s key', () => {
    const { monitoring, stack, role } = consumer();
    monitoring.grantPublishAlerts(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each(ENVS)('%s synthesizes with the checks on', (env) => {
    expect(() => synth(env)).not.toThrow();
  });

  test.each(ENVS)('%s has no unacknowledged errors or warnings', (env) => {
    const { assembly, monitoring } = synth(env);
    expect(nagViolations(assembly, monitoring.stackName)).toEqual([]);
  });

  test('nothing in the stack is acknowledged', () => {
    const acknowledged = synth('prod')
      .monitoring.node.findAll()
      .filter((c) =>
        c.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      );
    expect(acknowledged).toEqual([]);
  });

  test('an unacknowledged finding fails the synth', () => {
    // Prepare: a key without rotation in the monitoring stack
    const app = newApp();
    const { monitoring } = addThermoclineStacks(app, {
      envName: 'dev',
      config: resolveConfig({}, 'test'),
    });
    new kms.Key(monitoring, 'Unrotated', { enableKeyRotation: false });
    // Act / Assess
    expect(() => app.synth()).toThrow(/Thermocline-dev-Monitoring\/Unrotated[\s\S]*AwsSolutions-/);
  });
});
