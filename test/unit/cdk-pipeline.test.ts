import { createHash } from 'node:crypto';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { resolveConfig } from '#core/config/resolve';
import {
  ETL_DEFINITION,
  ETL_PLACEHOLDERS,
  RETENTION_DEFINITION,
  RETENTION_PLACEHOLDERS,
  SYNC_DEFINITION,
  SYNC_PLACEHOLDERS,
} from '#etl/state-machines/index';
import { DuckDbLayer } from '#lib/constructs/duckdb-layer';
import { ThermoclineFunction } from '#lib/constructs/thermocline-function';
import { CATALOG_WRITE_ACTIONS } from '#lib/perms';
import { functionConfigJson } from '#lib/pipeline-stack';
import { decodeConfigText } from '#core/config/transport';
import {
  acknowledged,
  cdkTestKit,
  grantFixture,
  logicalId,
  nagViolations,
  policyStatements,
  ENVS,
  stackViews,
  type StackView,
  stackPerEnvironmentTests,
  functionProperties,
} from '#test/support/cdk';

// Each environment is synthesized once, with the cdk-nag checks (bundling included: the two
// esbuild bundles and the DuckDB layer copy take well under a second each), and shared.
const kit = cdkTestKit('pipeline');
afterAll(kit.cleanup);

type View = StackView;
const { synth, synthesize } = stackViews(kit, 'pipeline');

/** Dev with the ETL schedule switched off in the config file. */
let disabled: View | undefined;
function synthDisabled(): View {
  disabled ??= synthesize('dev', {
    environments: { dev: { schedules: { etl: { enabled: false } } } },
  });
  return disabled;
}

/** The properties of the state machine whose name ends with `-${suffix}` (default the ETL's). */
function machineProperties(template: Template, suffix = 'etl'): Record<string, unknown> {
  const machine = (
    Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: Record<string, unknown>;
    }[]
  ).find((m) => String(m.Properties['StateMachineName']).endsWith(`-${suffix}`));
  if (!machine) throw new Error(`no state machine named …-${suffix}`);
  return machine.Properties;
}

/** Every statement of the IAM policies attached to the role of `construct`'s logical ID. */
function roleStatements(template: Template, roleLogicalId: string): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(
      (p) =>
        JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles) ===
        JSON.stringify([{ Ref: roleLogicalId }]),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
          .PolicyDocument.Statement,
    );
}

const FUNCTIONS = ['etl-plan', 'etl-export'] as const;

describe('functions', () => {
  test.each(FUNCTIONS)('%s runs on nodejs24.x, the newest Node runtime', (name) => {
    expect(functionProperties(synth('dev').template, name)).toMatchObject({
      Runtime: 'nodejs24.x',
    });
  });

  test('the plan function is arm64', () => {
    expect(functionProperties(synth('dev').template, 'etl-plan')).toMatchObject({
      Architectures: ['arm64'],
    });
  });

  test('the export function is x86_64: only the linux-x64 DuckDB binding is installed for the build', () => {
    expect(functionProperties(synth('dev').template, 'etl-export')).toMatchObject({
      Architectures: ['x86_64'],
    });
  });

  test('the plan function has 256 MiB and 30 s', () => {
    expect(functionProperties(synth('dev').template, 'etl-plan')).toMatchObject({
      MemorySize: 256,
      Timeout: 30,
    });
  });

  test('the export function has 3008 MiB and 15 minutes', () => {
    expect(functionProperties(synth('dev').template, 'etl-export')).toMatchObject({
      MemorySize: 3008,
      Timeout: 900,
    });
  });

  test.each(FUNCTIONS)('%s has active X-Ray tracing', (name) => {
    expect(functionProperties(synth('dev').template, name)).toMatchObject({
      TracingConfig: { Mode: 'Active' },
    });
  });

  test.each(FUNCTIONS)('%s enables source maps', (name) => {
    expect(functionProperties(synth('dev').template, name)).toMatchObject({
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
  });

  test.each(ENVS)('%s: function log groups keep logs for log_retention_days', (env) => {
    const days = resolveConfig({}, 'test').environments[env].log_retention_days;
    const { pipeline, template } = synth(env);
    for (const fn of [pipeline.planFunction, pipeline.exportFunction]) {
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: days });
      expect(
        functionProperties(template, fn === pipeline.planFunction ? 'etl-plan' : 'etl-export'),
      ).toMatchObject({ LoggingConfig: { LogGroup: { Ref: logicalId(fn.logGroup) } } });
    }
  });

  test.each(['etl-export', 'retention-purge'])(
    '%s runs in the isolated subnets with the database client security group',
    (name) => {
      const vpcConfig = JSON.stringify(
        functionProperties(synth('dev').template, name)['VpcConfig'],
      );
      expect(vpcConfig).toMatch(
        /"SecurityGroupIds":\[\{"Fn::GetStackOutput".*DatabaseClientSecurityGroup/,
      );
      expect(vpcConfig).toMatch(/"SubnetIds":\[.*IsolatedSubnet1.*IsolatedSubnet2/);
    },
  );

  test.each(FUNCTIONS)('%s carries no managed policy (inline VPC access only)', (name) => {
    const { template } = synth('dev');
    const role = functionProperties(template, name)['Role'] as { 'Fn::GetAtt': [string] };
    const roles = template.findResources('AWS::IAM::Role');
    expect(roles[role['Fn::GetAtt'][0]]).not.toHaveProperty('Properties.ManagedPolicyArns');
  });
});

describe('function environment', () => {
  test('the export function gets the config, secret ARN, lake, Glue database and CA bundle', () => {
    const variables = (
      functionProperties(synth('dev').template, 'etl-export')['Environment'] as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(Object.keys(variables).sort()).toEqual(
      [
        'DATABASE_SECRET_ARN',
        'GLUE_DATABASE',
        'LAKE_BUCKET',
        'NODE_EXTRA_CA_CERTS',
        'NODE_OPTIONS',
        'THERMOCLINE_CONFIG_JSON',
        'THERMOCLINE_ENVIRONMENT',
      ].sort(),
    );
  });

  test('the export function gets the Glue database and the runtime CA bundle', () => {
    expect(functionProperties(synth('prod').template, 'etl-export')).toMatchObject({
      Environment: {
        Variables: {
          GLUE_DATABASE: 'thermocline_prod',
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        },
      },
    });
  });

  test('the database secret is passed by ARN (a reference), never its value', () => {
    const variables = (
      functionProperties(synth('dev').template, 'etl-export')['Environment'] as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(JSON.stringify(variables['DATABASE_SECRET_ARN'])).toMatch(/Fn::GetStackOutput.*Secret/);
    expect(JSON.stringify(variables)).not.toMatch(/password|SecretString|resolve:secretsmanager/i);
  });

  test.each(FUNCTIONS)(
    '%s gets the environment’s resolved config, compressed, as THERMOCLINE_CONFIG_JSON',
    (name) => {
      const variables = (
        functionProperties(synth('dev').template, name)['Environment'] as {
          Variables: Record<string, string>;
        }
      ).Variables;
      const value = variables['THERMOCLINE_CONFIG_JSON']!;
      const config = resolveConfig(JSON.parse(decodeConfigText(value)), 'env');
      const expected = resolveConfig({}, 'test');
      expect([
        value.startsWith('gzip:'),
        config.tables,
        config.mappings,
        config.environments.dev,
      ]).toEqual([true, expected.tables, expected.mappings, expected.environments.dev]);
    },
  );

  test('the plan function gets no lake, database or secret variables', () => {
    const variables = (
      functionProperties(synth('dev').template, 'etl-plan')['Environment'] as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'NODE_OPTIONS',
      'THERMOCLINE_CONFIG_JSON',
      'THERMOCLINE_ENVIRONMENT',
    ]);
  });

  test('a config too large for the 4 KB variable limit even compressed is rejected naming its size', () => {
    const tables = Array.from({ length: 400 }, (_, i) => ({
      name: `table_${i}_${createHash('sha256').update(String(i)).digest('hex').slice(0, 40)}`,
      primary_key: ['id'],
      timestamp_column: 'created_at',
      partition_layout: 'ymd',
    }));
    const config = resolveConfig({ use_sample_defaults: false, tables }, 'test');
    expect(() => functionConfigJson(config, 'dev')).toThrow(
      /THERMOCLINE_CONFIG_JSON would be \d+ bytes compressed \(400 tables, 0 mappings\), over the 3072 bytes/,
    );
  });
});

describe('DuckDB layer', () => {
  test('is x86_64 for nodejs24.x, the export function’s only layer', () => {
    const { pipeline, template } = synth('dev');
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64'],
      CompatibleRuntimes: ['nodejs24.x'],
    });
    expect(functionProperties(template, 'etl-export')).toMatchObject({
      Layers: [{ Ref: logicalId(pipeline.duckDbLayer.layer) }],
    });
  });

  test('a missing native binding fails the synth naming the package to install', () => {
    const stack = new Stack(new App(), 'Layer');
    expect(
      () =>
        new DuckDbLayer(stack, 'DuckDb', {
          architecture: lambda.Architecture.ARM_64,
          nodeModulesDir: '/nonexistent/node_modules',
        }),
    ).toThrow(/DuckDbLayer needs \/nonexistent\/node_modules\/@duckdb\/node-api for a arm64 layer/);
    expect(
      () =>
        new DuckDbLayer(stack, 'DuckDbArm', {
          architecture: lambda.Architecture.ARM_64,
          nodeModulesDir: '/nonexistent/node_modules',
        }),
    ).toThrow(/run 'npm run duckdb:arm64' on the build machine/);
  });
});

describe('ThermoclineFunction', () => {
  test('a timeout over 15 minutes is rejected', () => {
    const { stacks } = grantFixture(kit);
    expect(
      () =>
        new ThermoclineFunction(stacks.pipeline, 'TooLong', {
          entry: 'lambdas/etl-plan.ts',
          vpc: stacks.database.vpc,
          securityGroups: [],
          timeoutSec: 901,
        }),
    ).toThrow(/timeoutSec is 901; use a whole number of seconds from 1 to 900/);
  });
});

describe('ETL state machine', () => {
  test('its DefinitionSubstitutions are exactly the ETL placeholders', () => {
    const substitutions = machineProperties(synth('dev').template)['DefinitionSubstitutions'];
    expect(Object.keys(substitutions as object).sort()).toEqual([...ETL_PLACEHOLDERS].sort());
  });

  test('its definition is the ASL, with every state of it', () => {
    const definition = JSON.stringify(machineProperties(synth('dev').template)['DefinitionString']);
    for (const state of Object.keys(ETL_DEFINITION.States)) expect(definition).toContain(state);
  });

  test('it deploys the chunked export of a large day: the Maps nest a chunk Map whose tasks call the export function', () => {
    const definition = machineProperties(synth('dev').template)['DefinitionString'] as string;
    const deployed = JSON.parse(definition) as {
      States: Record<string, { Iterator?: { States: Record<string, Record<string, unknown>> } }>;
    };
    for (const [map, chunks, chunk, publish, abandon] of [
      ['ExportTableDays', 'ExportChunks', 'ExportChunk', 'PublishChunks', 'AbandonChunks'],
      [
        'ReexportChangedDays',
        'ReexportChunks',
        'ReexportChunk',
        'PublishReexportChunks',
        'AbandonReexportChunks',
      ],
    ] as const) {
      const states = deployed.States[map]?.Iterator?.States ?? {};
      const chunkMap = states[chunks] as {
        Type: string;
        Parameters: Record<string, unknown>;
        Iterator: { States: Record<string, { Resource: string; Retry: unknown[] }> };
      };
      expect(chunkMap.Type).toBe('Map');
      expect(chunkMap.Parameters['action']).toBe('exportChunk');
      expect(chunkMap.Iterator.States[chunk]?.Resource).toBe('${ExportFunctionArn}');
      expect(chunkMap.Iterator.States[chunk]?.Retry.length).toBeGreaterThan(0);
      expect((states[publish]?.['Parameters'] as Record<string, unknown>)['action']).toBe(
        'publishChunks',
      );
      expect((states[abandon]?.['Parameters'] as Record<string, unknown>)['action']).toBe(
        'abandonChunks',
      );
    }
  });

  test('the placeholders point at the two functions and the alert topic', () => {
    const { pipeline, template } = synth('dev');
    const substitutions = machineProperties(template)['DefinitionSubstitutions'] as Record<
      string,
      unknown
    >;
    expect(substitutions).toMatchObject({
      PlanFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.planFunction.function), 'Arn'] },
      ExportFunctionArn: { 'Fn::GetAtt': [logicalId(pipeline.exportFunction.function), 'Arn'] },
    });
    expect(JSON.stringify(substitutions['AlertTopicArn'])).toMatch(
      /Thermocline-dev-Monitoring.*AlertsTopic/,
    );
  });

  test('logs everything (level ALL) to its log group', () => {
    const { pipeline, template } = synth('dev');
    expect(machineProperties(template)).toMatchObject({
      LoggingConfiguration: {
        Level: 'ALL',
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(pipeline.etlLogGroup), 'Arn'] },
            },
          },
        ],
      },
    });
  });

  test('has X-Ray tracing on', () => {
    expect(machineProperties(synth('dev').template)).toMatchObject({
      TracingConfiguration: { Enabled: true },
    });
  });

  test('may invoke the plan and export functions', () => {
    const { pipeline, template } = synth('dev');
    const statements = roleStatements(template, logicalId(pipeline.etlStateMachine.role));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: expect.arrayContaining([
          { 'Fn::GetAtt': [logicalId(pipeline.planFunction.function), 'Arn'] },
          { 'Fn::GetAtt': [logicalId(pipeline.exportFunction.function), 'Arn'] },
        ]),
      }),
    );
  });

  test('may publish to the alert topic', () => {
    const { pipeline, template } = synth('dev');
    const statements = roleStatements(template, logicalId(pipeline.etlStateMachine.role));
    expect(JSON.stringify(statements)).toMatch(/"Action":"sns:Publish".*AlertsTopic/);
  });
});

describe('export role', () => {
  test('reads and writes the lake', () => {
    const { pipeline, template } = synth('dev');
    const statements = JSON.stringify(
      roleStatements(template, logicalId(pipeline.exportFunction.role)),
    );
    expect(statements).toMatch(/"s3:PutObject".*DataLakeBucket/);
  });

  test('writes the environment’s Glue catalog', () => {
    const { pipeline, template } = synth('staging');
    const statements = JSON.stringify(
      roleStatements(template, logicalId(pipeline.exportFunction.role)),
    );
    expect(statements).toContain(':table/thermocline_staging/*');
  });

  test('reads the database secret', () => {
    const { pipeline, template } = synth('dev');
    const statements = JSON.stringify(
      roleStatements(template, logicalId(pipeline.exportFunction.role)),
    );
    expect(statements).toMatch(
      /"secretsmanager:GetSecretValue"\]?,"Effect":"Allow","Resource":\{"Fn::GetStackOutput".*Secret/,
    );
  });

  test('the plan role has only its logs and traces', () => {
    const { pipeline, template } = synth('dev');
    const actions = roleStatements(template, logicalId(pipeline.planFunction.role)).flatMap(
      (s) => (s as { Action: string | string[] }).Action,
    );
    expect(actions.sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});

describe('ETL schedule', () => {
  test.each(ENVS)('%s starts the state machine with {} on schedules.etl', (env) => {
    const { pipeline, template } = synth(env);
    const schedule = resolveConfig({}, 'test').environments[env].schedules.etl;
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: `thermocline-${env}-etl`,
      ScheduleExpression: schedule.expression,
      State: schedule.enabled ? 'ENABLED' : 'DISABLED',
      Targets: [
        Match.objectLike({ Arn: { Ref: logicalId(pipeline.etlStateMachine) }, Input: '{}' }),
      ],
    });
  });

  test('is disabled when the config switches schedules.etl off', () => {
    synthDisabled().template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'thermocline-dev-etl',
      State: 'DISABLED',
    });
  });
});

describe('sync', () => {
  test('the sync state machine is the sync ASL with its placeholders filled', () => {
    const properties = machineProperties(synth('dev').template, 'sync');
    expect(Object.keys(properties['DefinitionSubstitutions'] as object).sort()).toEqual(
      [...SYNC_PLACEHOLDERS].sort(),
    );
    expect(JSON.parse(properties['DefinitionString'] as string)).toEqual(SYNC_DEFINITION);
  });

  test('the incremental sync runs every 15 minutes with {mode: incremental}', () => {
    synth('dev').template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'thermocline-dev-incremental-sync',
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Input: JSON.stringify({ mode: 'incremental' }) })],
    });
  });

  test('the full sync runs daily at 03:00 UTC with {mode: full}', () => {
    synth('dev').template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'thermocline-dev-full-sync',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ mode: 'full' }) })],
    });
  });

  test('the sync function has the DuckDB layer and reaches Aurora through the Data API', () => {
    const { pipeline, template } = synth('dev');
    const properties = functionProperties(template, 'thermocline-dev-sync');
    expect(properties).toMatchObject({ Layers: [{ Ref: logicalId(pipeline.duckDbLayer.layer) }] });
    expect(
      Object.keys((properties['Environment'] as { Variables: object }).Variables).sort(),
    ).toEqual(
      [
        'DATABASE_NAME',
        'DATABASE_RESOURCE_ARN',
        'DATABASE_SECRET_ARN',
        'GLUE_DATABASE',
        'LAKE_BUCKET',
        'NODE_OPTIONS',
        'THERMOCLINE_CONFIG_JSON',
        'THERMOCLINE_ENVIRONMENT',
      ].sort(),
    );
  });

  test('the sync role writes the lake under ref_ only and may use the Data API', () => {
    const { pipeline, template } = synth('dev');
    const policies = JSON.stringify(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(pipeline.syncFunction.role) }] },
      }),
    );
    expect(policies).toMatch(/rds-data:ExecuteStatement/);
    // Object-level resources are "<lake ARN>" + a suffix: only "/ref_*" may appear.
    const suffixes = [...policies.matchAll(/\}\},"(\/[^"]*)"\]\]/g)].map((m) => m[1]);
    expect([...new Set(suffixes)]).toEqual(['/ref_*']);
  });
});

describe('retention', () => {
  test('the retention state machine is the retention ASL with its placeholders filled', () => {
    const properties = machineProperties(synth('dev').template, 'retention');
    expect(Object.keys(properties['DefinitionSubstitutions'] as object).sort()).toEqual(
      [...RETENTION_PLACEHOLDERS].sort(),
    );
    expect(JSON.parse(properties['DefinitionString'] as string)).toEqual(RETENTION_DEFINITION);
  });

  test('the plan and purge functions are the two handlers of lambdas/retention.ts, on arm64', () => {
    const { template } = synth('dev');
    expect([
      functionProperties(template, 'retention-plan')['Handler'],
      functionProperties(template, 'retention-purge')['Handler'],
      functionProperties(template, 'retention-purge')['Architectures'],
    ]).toEqual(['index.planHandler', 'index.purgeHandler', ['arm64']]);
  });

  test('the purge role reads the lake and the catalog and never writes either', () => {
    const { pipeline } = synth('dev');
    const purgePolicy = JSON.stringify(
      synth('dev').template.findResources('AWS::IAM::Policy', {
        Properties: {
          Roles: [{ Ref: logicalId(pipeline.purgeFunction.role) }],
        },
      }),
    );
    expect(purgePolicy).toMatch(/s3:GetObject/);
    expect(purgePolicy).toMatch(/glue:GetPartitions/);
    expect(purgePolicy).not.toMatch(
      /s3:PutObject|s3:DeleteObject|glue:BatchCreatePartition|glue:UpdateTable/,
    );
  });

  test('runs on schedules.retention, daily at 04:00 UTC by default', () => {
    synth('dev').template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'thermocline-dev-retention',
      ScheduleExpression: 'cron(0 4 * * ? *)',
      State: 'ENABLED',
    });
  });

  test('its schedule is off when the config switches schedules.retention off', () => {
    synthesize('staging', {
      environments: { staging: { schedules: { retention: { enabled: false } } } },
    }).template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'thermocline-staging-retention',
      State: 'DISABLED',
    });
  });
});

describe('grantCatalogWrite', () => {
  test('grants the catalog actions on the catalog, the env database and its tables', () => {
    const { stacks, stack, role } = grantFixture(kit);
    const grant = stacks.storage.grantCatalogWrite(role);
    expect(grant.success).toBe(true);
    const [statement] = policyStatements(stack) as { Action: string[]; Resource: unknown[] }[];
    expect(statement?.Action.sort()).toEqual([...CATALOG_WRITE_ACTIONS].sort());
    expect(JSON.stringify(statement?.Resource)).toMatch(
      /:catalog".*:database\/thermocline_dev".*:table\/thermocline_dev\/\*"/,
    );
  });

  test('grants no delete of tables or the database', () => {
    const { stacks, stack, role } = grantFixture(kit);
    stacks.storage.grantCatalogWrite(role);
    expect(JSON.stringify(policyStatements(stack))).not.toMatch(/glue:Delete|glue:\*/);
  });
});

describe('per environment', () => {
  stackPerEnvironmentTests(synth, 'pipeline', 'Pipeline', false);
});

describe('cdk-nag AwsSolutions', () => {
  test.each(ENVS)('%s has no unacknowledged errors or warnings', (env) => {
    const { assembly, pipeline } = synth(env);
    expect(nagViolations(assembly, pipeline.stackName)).toEqual([]);
  });

  test('every acknowledgement carries a reason', () => {
    const reasons = synth('prod')
      .pipeline.node.findAll()
      .flatMap((c) => Object.values(acknowledged(c)));
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.filter((reason) => reason.length < 40)).toEqual([]);
  });

  test('acknowledgements are recorded on the roles only', () => {
    const acknowledging = synth('dev')
      .pipeline.node.findAll()
      .filter((c) =>
        c.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      )
      .map((c) => c.node.path);
    expect([acknowledging.length > 0, acknowledging.filter((p) => !p.endsWith('/Role'))]).toEqual([
      true,
      [],
    ]);
  });
});
