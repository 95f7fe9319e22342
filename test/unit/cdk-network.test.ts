import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  cdkTestKit,
  functionProperties,
  nagViolations,
  type SynthesizedApp,
} from '#test/support/cdk';
import existingFixture from '../fixtures/config-existing-database.json';

// Who is in the VPC, what the VPC costs, an existing database imported, and pinned environments.
const kit = cdkTestKit('network');
afterAll(kit.cleanup);

const existing = existingFixture.environments.prod.database.existing;
const PINNED_STAGING = {
  environments: {
    staging: {
      account: '123456789012',
      region: 'eu-west-1',
      database: {
        create: { availability_zones: ['eu-west-1a', 'eu-west-1b'], vpc_endpoint_azs: 1 },
      },
    },
  },
};

let existingApp: SynthesizedApp | undefined;
/** Prod with the fixture's existing cluster, secret and network, pinned to its account. */
function synthExisting(): SynthesizedApp {
  existingApp ??= kit.synthesize('prod', existingFixture);
  return existingApp;
}
let pinnedApp: SynthesizedApp | undefined;
/** Staging pinned to an account and region, creating its VPC in two named zones. */
function synthPinned(): SynthesizedApp {
  pinnedApp ??= kit.synthesize('staging', PINNED_STAGING);
  return pinnedApp;
}

/** Every function of an app: its name suffix → its template properties. */
function allFunctions(app: SynthesizedApp): Map<string, Record<string, unknown>> {
  const result = new Map<string, Record<string, unknown>>();
  for (const stack of [app.stacks.pipeline, app.stacks.query]) {
    const template = Template.fromStack(stack);
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const properties = (fn as { Properties: Record<string, unknown> }).Properties;
      const name = String(properties['FunctionName']).replace(/^thermocline-[a-z]+-/, '');
      result.set(name, properties);
    }
  }
  return result;
}

const IN_VPC = ['etl-export', 'retention-purge'];
const OUTSIDE_VPC = ['etl-plan', 'sync-plan', 'sync', 'retention-plan', 'plan-step', 'query-api'];

describe('only what connects to PostgreSQL directly is in the VPC', () => {
  test('the functions are exactly the ones listed here', () => {
    expect([...allFunctions(kit.synth('dev')).keys()].sort()).toEqual(
      [...IN_VPC, ...OUTSIDE_VPC].sort(),
    );
  });

  test.each(IN_VPC)('%s has a VpcConfig', (name) => {
    expect(allFunctions(kit.synth('dev')).get(name)).toHaveProperty('VpcConfig');
  });

  test.each(OUTSIDE_VPC)('%s has no VpcConfig (Data API, Athena, S3 over HTTPS)', (name) => {
    expect(allFunctions(kit.synth('dev')).get(name)).not.toHaveProperty('VpcConfig');
  });

  test.each(OUTSIDE_VPC)('%s has no permission to manage network interfaces', (name) => {
    const app = kit.synth('dev');
    const template = Template.fromStack(
      ['plan-step', 'query-api'].includes(name) ? app.stacks.query : app.stacks.pipeline,
    );
    const role = functionProperties(template, `-${name}`)['Role'] as { 'Fn::GetAtt': [string] };
    const roleResource = template.findResources('AWS::IAM::Role')[role['Fn::GetAtt'][0]] as {
      Properties: Record<string, unknown>;
    };
    expect(JSON.stringify(roleResource.Properties)).not.toContain('ec2:CreateNetworkInterface');
  });
});

describe('the new VPC’s interface endpoints (database.create)', () => {
  const interfaceEndpoints = (app: SynthesizedApp): Record<string, unknown>[] =>
    Object.values(
      Template.fromStack(app.stacks.database).findResources('AWS::EC2::VPCEndpoint', {
        Properties: { VpcEndpointType: 'Interface' },
      }),
    ).map((e) => (e as { Properties: Record<string, unknown> }).Properties);

  test('by default: Secrets Manager and Glue only', () => {
    const services = interfaceEndpoints(kit.synth('dev')).map((e) =>
      JSON.stringify(e['ServiceName']),
    );
    expect(services).toEqual([
      expect.stringContaining('.secretsmanager'),
      expect.stringContaining('.glue'),
    ]);
  });

  test('by default each endpoint is in both zones', () => {
    for (const endpoint of interfaceEndpoints(kit.synth('dev'))) {
      expect(endpoint['SubnetIds']).toHaveLength(2);
    }
  });

  test('vpc_endpoint_azs: 1 puts each endpoint in one zone', () => {
    for (const endpoint of interfaceEndpoints(synthPinned())) {
      expect(endpoint['SubnetIds']).toHaveLength(1);
    }
  });

  test('vpc_endpoints adds the services listed', () => {
    const app = kit.synthesize('dev', {
      environments: {
        dev: { database: { create: { vpc_endpoints: ['secretsmanager', 'glue', 'xray'] } } },
      },
    });
    expect(interfaceEndpoints(app)).toHaveLength(3);
  });

  test('S3 keeps its (free) gateway endpoint', () => {
    Template.fromStack(kit.synth('dev').stacks.database).resourceCountIs(
      'AWS::EC2::VPCEndpoint',
      3,
    );
  });
});

describe('an existing database and network (database.existing)', () => {
  test('nothing of the hot tier is created: no cluster, VPC, subnet or security group', () => {
    const template = Template.fromStack(synthExisting().stacks.database);
    for (const type of [
      'AWS::RDS::DBCluster',
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::SecurityGroup',
      'AWS::SecretsManager::Secret',
      'AWS::EC2::VPCEndpoint',
    ]) {
      template.resourceCountIs(type, 0);
    }
  });

  test('the export runs in the given subnets with the given security group', () => {
    const template = Template.fromStack(synthExisting().stacks.pipeline);
    expect(functionProperties(template, '-etl-export')['VpcConfig']).toEqual({
      SubnetIds: existing.subnet_ids,
      SecurityGroupIds: [existing.security_group_id],
    });
  });

  test('the Data API functions get the given cluster, secret and database name', () => {
    const template = Template.fromStack(synthExisting().stacks.query);
    expect(functionProperties(template, '-plan-step')['Environment']).toMatchObject({
      Variables: {
        DATABASE_RESOURCE_ARN: existing.cluster_arn,
        DATABASE_SECRET_ARN: existing.secret_arn,
        DATABASE_NAME: existing.database_name,
      },
    });
  });

  test('the sync may use the Data API on the given cluster only', () => {
    Template.fromStack(synthExisting().stacks.pipeline).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['rds-data:ExecuteStatement']),
            Resource: existing.cluster_arn,
          }),
        ]),
      },
    });
  });

  test('the purge may read the given secret', () => {
    Template.fromStack(synthExisting().stacks.pipeline).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: existing.secret_arn,
          }),
        ]),
      },
    });
  });

  test('monitoring watches the given cluster', () => {
    expect(synthExisting().stacks.database.clusterIdentifier).toBe('orders-pg');
  });

  test('cdk-nag finds nothing unacknowledged', () => {
    expect(nagViolations(synthExisting().assembly)).toEqual([]);
  });
});

describe('environments pinned to an account and region', () => {
  test.each(['storage', 'database', 'monitoring', 'pipeline', 'query'] as const)(
    'the %s stack deploys only to the configured account and region',
    (key) => {
      const app = synthExisting();
      expect(app.assembly.getStackByName(app.stacks[key].stackName).environment).toMatchObject({
        account: '123456789012',
        region: 'eu-west-1',
      });
    },
  );

  test('a new VPC uses the configured zones (no lookup)', () => {
    const template = Template.fromStack(synthPinned().stacks.database);
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1a' });
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1b' });
  });

  test('pinned stacks need no context lookups', () => {
    expect(synthPinned().assembly.manifest.missing ?? []).toEqual([]);
  });

  test('cdk-nag finds nothing unacknowledged with the literal account and region', () => {
    expect(nagViolations(synthPinned().assembly)).toEqual([]);
  });
});
