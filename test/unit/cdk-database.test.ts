import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { resolveConfig } from '#core/config/resolve';
import { AuroraDatabase } from '#lib/constructs/aurora-database';
import { retentionDays } from '#lib/constructs/log-retention';
import type { DatabaseStack } from '#lib/database-stack';
import { addThermoclineStacks } from '#lib/thermocline-app';
import {
  acknowledged,
  cdkTestKit,
  grantFixture,
  logicalId,
  nagViolations,
  policyStatements,
  stackViews,
  ENVS,
  stackPerEnvironmentTests,
} from '#test/support/cdk';

// Each environment is synthesized once, with the cdk-nag checks, and shared by the tests below.
const kit = cdkTestKit('database');
afterAll(kit.cleanup);
const newApp = kit.newApp;

const { synthesize, synth } = stackViews(kit, 'database');

/** `com.amazonaws.<region>.<service>` as the template writes it. */
function serviceName(service: string): unknown {
  return { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] };
}

describe('network', () => {
  test('the VPC has two subnets, both isolated (no public IP on launch)', () => {
    const { template } = synth('dev');
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    const isolated = template.findResources('AWS::EC2::Subnet', {
      Properties: {
        MapPublicIpOnLaunch: false,
        Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
      },
    });
    expect(Object.keys(isolated)).toHaveLength(2);
  });

  test.each([0, 1])('subnet %i sits in its own availability zone, with no lookup', (index) => {
    synth('dev').template.hasResourceProperties('AWS::EC2::Subnet', {
      AvailabilityZone: { 'Fn::Select': [index, { 'Fn::GetAZs': '' }] },
    });
  });

  test('there is no NAT gateway', () => {
    synth('dev').template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('there is no internet gateway', () => {
    synth('dev').template.resourceCountIs('AWS::EC2::InternetGateway', 0);
  });

  test('no route leads out of the VPC', () => {
    synth('dev').template.resourceCountIs('AWS::EC2::Route', 0);
  });

  test('flow logs capture all traffic of the VPC into CloudWatch Logs', () => {
    const { database, template } = synth('dev');
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: { Ref: logicalId(database.vpc) },
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: logicalId(database.network!.flowLogGroup) },
    });
  });

  test.each([
    ['dev', 30],
    ['prod', 365],
  ] as const)('%s keeps flow logs for log_retention_days (%i)', (env, days) => {
    const { database, template } = synth(env);
    expect(
      template.toJSON().Resources[logicalId(database.network!.flowLogGroup)].Properties,
    ).toMatchObject({ RetentionInDays: days });
  });

  test('the S3 gateway endpoint serves both subnets’ route tables', () => {
    synth('dev').template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: serviceName('s3'),
      RouteTableIds: [
        { Ref: Match.stringLikeRegexp('IsolatedSubnet1RouteTable') },
        { Ref: Match.stringLikeRegexp('IsolatedSubnet2RouteTable') },
      ],
    });
  });

  test.each(['secretsmanager', 'glue'])(
    'an interface endpoint with private DNS serves %s',
    (service) => {
      const { database, template } = synth('dev');
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: serviceName(service),
        PrivateDnsEnabled: true,
        SecurityGroupIds: [
          { 'Fn::GetAtt': [logicalId(database.network!.endpointSecurityGroup), 'GroupId'] },
        ],
      });
    },
  );

  test('there are exactly two interface endpoints by default (database.create.vpc_endpoints)', () => {
    const endpoints = synth('dev').template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface' },
    });
    expect(Object.keys(endpoints)).toHaveLength(2);
  });

  test('the endpoints admit HTTPS from the VPC’s CIDR only', () => {
    const { database, template } = synth('dev');
    expect(
      template.toJSON().Resources[logicalId(database.network!.endpointSecurityGroup)].Properties
        .SecurityGroupIngress,
    ).toEqual([
      expect.objectContaining({
        CidrIp: '10.0.0.0/16',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
  });

  test('asking for an endpoint the network lacks names the ones it has', () => {
    expect(() => synth('dev').database.network!.interfaceEndpoint('Kms')).toThrow(
      /no interface endpoint 'Kms'; it has: SecretsManager, Glue/,
    );
  });
});

describe('Aurora cluster', () => {
  test('runs Aurora PostgreSQL 16', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
    });
  });

  test('is named thermocline-<env>', () => {
    synth('staging').template.hasResourceProperties('AWS::RDS::DBCluster', {
      DBClusterIdentifier: 'thermocline-staging',
    });
  });

  test('has a serverless v2 writer that is not publicly accessible', () => {
    const { database, template } = synth('dev');
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBClusterIdentifier: { Ref: logicalId(database.cluster) },
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
  });

  test('is placed in the isolated subnets', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('IsolatedSubnet1Subnet') },
        { Ref: Match.stringLikeRegexp('IsolatedSubnet2Subnet') },
      ],
    });
  });

  test('encrypts its storage', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true });
  });

  test('keeps automated backups for 30 days', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', {
      BackupRetentionPeriod: 30,
    });
  });

  test('has the Data API on', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', {
      EnableHttpEndpoint: true,
    });
  });

  test('has IAM database authentication on', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', {
      EnableIAMDatabaseAuthentication: true,
    });
  });

  test.each([
    ['dev', 0.5, 2],
    ['staging', 0.5, 4],
    ['prod', 0.5, 16],
  ] as const)('%s scales from aurora.min_acu %d to aurora.max_acu %d', (env, min, max) => {
    synth(env).template.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: min, MaxCapacity: max },
    });
  });

  test('an overridden capacity from the config file is used', () => {
    const config = { environments: { dev: { aurora: { min_acu: 0, max_acu: 8 } } } };
    synthesize('dev', config, false).template.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8 },
    });
  });

  test('prod has deletion protection on', () => {
    synth('prod').template.hasResourceProperties('AWS::RDS::DBCluster', {
      DeletionProtection: true,
    });
  });

  test.each(['dev', 'staging'] as const)('%s has deletion protection off', (env) => {
    synth(env).template.hasResourceProperties('AWS::RDS::DBCluster', {
      DeletionProtection: false,
    });
  });

  test.each(ENVS)('%s snapshots the cluster when it is deleted or replaced', (env) => {
    synth(env).template.hasResource('AWS::RDS::DBCluster', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('prod keeps automated backups after the cluster is deleted', () => {
    synth('prod').template.hasResourceProperties('AWS::RDS::DBCluster', {
      DeleteAutomatedBackups: false,
    });
  });

  test('requires TLS with rds.force_ssl = 1 in its cluster parameter group', () => {
    const { template } = synth('dev');
    const groups = template.findResources('AWS::RDS::DBClusterParameterGroup', {
      Properties: { Family: 'aurora-postgresql16', Parameters: { 'rds.force_ssl': '1' } },
    });
    const [groupId] = Object.keys(groups);
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      DBClusterParameterGroupName: { Ref: groupId },
    });
  });

  test('exports PostgreSQL logs to CloudWatch Logs', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', {
      EnableCloudwatchLogsExports: ['postgresql'],
    });
  });

  test.each([
    ['dev', 30],
    ['prod', 365],
  ] as const)('%s keeps PostgreSQL logs for log_retention_days (%i)', (env, days) => {
    synth(env).template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/rds/cluster/thermocline-${env}/postgresql`,
      RetentionInDays: days,
    });
  });

  test('has Performance Insights on', () => {
    synth('dev').template.hasResourceProperties('AWS::RDS::DBCluster', {
      PerformanceInsightsEnabled: true,
    });
  });

  test('admits PostgreSQL from the client security group', () => {
    const { database, template } = synth('dev');
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(database.database!.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: {
        'Fn::GetAtt': [logicalId(database.dbClientSecurityGroup), 'GroupId'],
      },
      IpProtocol: 'tcp',
      FromPort: { 'Fn::GetAtt': [logicalId(database.cluster), 'Endpoint.Port'] },
    });
    template.hasResourceProperties('AWS::RDS::DBCluster', { Port: 5432 });
  });

  test('admits nothing by address range', () => {
    const { database, template } = synth('dev');
    const clusterGroup = logicalId(database.database!.securityGroup);
    const rules = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [clusterGroup, 'GroupId'] } },
    });
    const sources = Object.values(rules).map(
      (rule) => (rule as { Properties: Record<string, unknown> }).Properties,
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const rule of sources) expect(rule).not.toHaveProperty('CidrIp');
    expect(
      template.toJSON().Resources[clusterGroup].Properties.SecurityGroupIngress,
    ).toBeUndefined();
  });

  test('sends nothing out of its security group', () => {
    const { database, template } = synth('dev');
    expect(
      template.toJSON().Resources[logicalId(database.database!.securityGroup)].Properties
        .SecurityGroupEgress,
    ).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
  });

  test('a minimum capacity above the maximum is rejected', () => {
    const stack = new Stack(new App(), 'Db');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    expect(
      () =>
        new AuroraDatabase(stack, 'Db', {
          vpc,
          clusterIdentifier: 'thermocline-test',
          minCapacityAcu: 4,
          maxCapacityAcu: 2,
        }),
    ).toThrow(/minCapacityAcu \(4\) exceeds maxCapacityAcu \(2\)/);
  });

  test('an invalid cluster identifier is rejected', () => {
    const stack = new Stack(new App(), 'Db');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    expect(() => new AuroraDatabase(stack, 'Db', { vpc, clusterIdentifier: 'Thermo_Dev' })).toThrow(
      /cluster identifier 'Thermo_Dev' is not valid/,
    );
  });
});

describe('credentials', () => {
  test('the master credentials are generated in Secrets Manager for thermocline_admin', () => {
    synth('dev').template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"thermocline_admin"}',
        GenerateStringKey: 'password',
      }),
    });
  });

  test('the secret is attached to the cluster', () => {
    const { database, template } = synth('dev');
    template.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      TargetType: 'AWS::RDS::DBCluster',
      TargetId: { Ref: logicalId(database.cluster) },
    });
  });

  test('the secret is rotated every 30 days', () => {
    synth('dev').template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('the rotation function runs in the isolated subnets and calls the Secrets Manager endpoint', () => {
    const { database, template } = synth('dev');
    const endpoint = logicalId(database.network!.interfaceEndpoint('SecretsManager'));
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({
        endpoint: {
          'Fn::Join': ['', Match.arrayWith(['https://', { Ref: endpoint }])],
        },
        vpcSubnetIds: {
          'Fn::Join': [
            '',
            [
              { Ref: Match.stringLikeRegexp('IsolatedSubnet1Subnet') },
              ',',
              { Ref: Match.stringLikeRegexp('IsolatedSubnet2Subnet') },
            ],
          ],
        },
      }),
    });
  });

  test('prod retains the secret with the final snapshot', () => {
    synth('prod').template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
    });
  });

  test('dev deletes the secret with the stack', () => {
    synth('dev').template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Delete',
    });
  });
});

describe('per environment', () => {
  stackPerEnvironmentTests(synth, 'database', 'Database', true);

  test('a log retention CloudWatch Logs does not accept is rejected', () => {
    expect(() => retentionDays(45)).toThrow(/log retention 45 days is not one CloudWatch Logs/);
  });

  test('a log retention CloudWatch Logs accepts maps to its RetentionDays', () => {
    expect(retentionDays(365)).toBe(logs.RetentionDays.ONE_YEAR);
  });
});

describe('grants', () => {
  function consumer(): { database: DatabaseStack; stack: Stack; role: iam.Role } {
    const { stacks, stack, role } = grantFixture(kit, 'lambda.amazonaws.com');
    return { database: stacks.database, stack, role };
  }

  test('grantDataApiAccess lets the grantee execute statements on the cluster', () => {
    const { database, stack, role } = consumer();
    const grant = database.grantDataApiAccess(role);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith([
              'rds-data:BatchExecuteStatement',
              'rds-data:ExecuteStatement',
            ]),
          }),
        ]),
      },
    });
  });

  test('grantDataApiAccess lets the grantee read the secret', () => {
    const { database, stack, role } = consumer();
    database.grantDataApiAccess(role);
    expect(JSON.stringify(policyStatements(stack))).toMatch(/secretsmanager:GetSecretValue/);
  });

  test('grantSecretRead lets the grantee get and describe the secret, nothing more', () => {
    const { database, stack, role } = consumer();
    database.grantSecretRead(role);
    const statements = JSON.stringify(policyStatements(stack));
    expect(statements).toMatch(/secretsmanager:GetSecretValue/);
    expect(statements).toMatch(/secretsmanager:DescribeSecret/);
    expect(statements).not.toMatch(/rds-data:|secretsmanager:PutSecretValue/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each(ENVS)('%s synthesizes with the checks on', (env) => {
    expect(() => synth(env)).not.toThrow();
  });

  test.each(ENVS)('%s has no unacknowledged errors or warnings', (env) => {
    const { assembly, database } = synth(env);
    expect(nagViolations(assembly, database.stackName)).toEqual([]);
  });

  test.each(['dev', 'staging'] as const)(
    '%s acknowledges RDS10 (deletion protection off by config) with a reason',
    (env) => {
      const rules = acknowledged(synth(env).database.cluster);
      expect(Object.keys(rules)).toEqual([expect.stringMatching(/AwsSolutions-RDS10$/)]);
      expect(Object.values(rules)[0]).toMatch(/deletion_protection/);
    },
  );

  test('prod acknowledges nothing on the cluster (deletion protection is on)', () => {
    expect(acknowledged(synth('prod').database.cluster)).toEqual({});
  });

  test('an unacknowledged finding fails the synth', () => {
    // Prepare: a cluster security group open to the world
    const app = newApp();
    const { database } = addThermoclineStacks(app, {
      envName: 'dev',
      config: resolveConfig({}, 'test'),
    });
    database.database!.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(5432));
    // Act / Assess
    expect(() => app.synth()).toThrow(/Thermocline-dev-Database\/Database[\s\S]*AwsSolutions-/);
  });
});
