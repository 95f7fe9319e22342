import { defaultConfig, resolveConfig } from '#core/config/resolve';
import existingFixture from '../fixtures/config-existing-database.json';

const existing = existingFixture.environments.prod.database.existing;

/** The config error `resolveConfig` throws for `file`, as text. */
function problem(file: unknown): string {
  try {
    resolveConfig(file, 'thermocline.config.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('environments.<env>.database', () => {
  test('defaults to a new VPC with the Secrets Manager and Glue endpoints in two zones', () => {
    expect(defaultConfig().environments.dev.database).toEqual({
      create: {
        vpc_endpoints: ['secretsmanager', 'glue'],
        vpc_endpoint_azs: 2,
        availability_zones: null,
      },
    });
  });

  test('a create patch keeps the defaults it does not name', () => {
    const config = resolveConfig(
      { environments: { dev: { database: { create: { vpc_endpoint_azs: 1 } } } } },
      'test',
    );
    expect(config.environments.dev.database.create).toEqual({
      vpc_endpoints: ['secretsmanager', 'glue'],
      vpc_endpoint_azs: 1,
      availability_zones: null,
    });
  });

  test('existing replaces the default create', () => {
    const config = resolveConfig(existingFixture, 'test');
    expect(config.environments.prod.database).toEqual({ existing });
  });

  test('create and existing together are refused', () => {
    expect(problem({ environments: { dev: { database: { create: {}, existing } } } })).toMatch(
      /environments\.dev\.database: give exactly one of create .* or existing/,
    );
  });

  test('endpoints without Secrets Manager or Glue are refused, naming what to add', () => {
    expect(
      problem({ environments: { dev: { database: { create: { vpc_endpoints: ['glue'] } } } } }),
    ).toMatch(/database\.create\.vpc_endpoints: lacks 'secretsmanager'.*add 'secretsmanager'/);
  });

  test('an unknown endpoint service is refused', () => {
    expect(
      problem({
        environments: {
          dev: { database: { create: { vpc_endpoints: ['secretsmanager', 'glue', 'ec2'] } } },
        },
      }),
    ).toMatch(/database\.create\.vpc_endpoints\[2\]/);
  });

  test('a secret ARN without its suffix is refused', () => {
    expect(
      problem({
        environments: {
          dev: {
            database: {
              existing: {
                ...existing,
                secret_arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg',
              },
            },
          },
        },
      }),
    ).toMatch(/secret_arn: .* is not a complete Secrets Manager ARN/);
  });

  test('subnets and zones must pair up', () => {
    expect(
      problem({
        environments: {
          dev: { database: { existing: { ...existing, availability_zones: ['eu-west-1a'] } } },
        },
      }),
    ).toMatch(/availability_zones: has 1 zones for 2 subnets/);
  });

  test('a cluster_identifier other than the ARN’s is refused', () => {
    expect(
      problem({
        environments: {
          dev: { database: { existing: { ...existing, cluster_identifier: 'other' } } },
        },
      }),
    ).toMatch(/cluster_identifier: 'other' is not the identifier in cluster_arn \('orders-pg'\)/);
  });
});

describe('environments.<env>.account and region', () => {
  test('are null by default (environment-agnostic stacks)', () => {
    const prod = defaultConfig().environments.prod;
    expect([prod.account, prod.region]).toEqual([null, null]);
  });

  test('one without the other is refused', () => {
    expect(problem({ environments: { prod: { account: '123456789012' } } })).toMatch(
      /environments\.prod\.region: account and region pin the environment together/,
    );
  });

  test('an account that is not 12 digits is refused', () => {
    expect(problem({ environments: { prod: { account: '12345', region: 'eu-west-1' } } })).toMatch(
      /environments\.prod\.account: '12345' is not an AWS account id/,
    );
  });

  test('a pinned environment creating its VPC must name its zones', () => {
    expect(
      problem({ environments: { prod: { account: '123456789012', region: 'eu-west-1' } } }),
    ).toMatch(
      /database\.create\.availability_zones: is needed when the environment is pinned.*'eu-west-1a'/,
    );
  });

  test('an existing cluster in another account than the pinned one is refused', () => {
    expect(
      problem({
        environments: {
          prod: { ...existingFixture.environments.prod, account: '210987654321' },
        },
      }),
    ).toMatch(
      /cluster_arn: is in 123456789012\/eu-west-1, not the environment's 210987654321\/eu-west-1/,
    );
  });
});
