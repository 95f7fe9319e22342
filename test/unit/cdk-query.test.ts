import { Match, type Template } from 'aws-cdk-lib/assertions';
import { requestModelSchema } from '#core/api/openapi';
import { decodeConfigText } from '#core/config/transport';
import { resolveConfig } from '#core/config/resolve';
import { PLAN_DEFINITION, PLAN_PLACEHOLDERS } from '#etl/state-machines/index';
import { QUERY_RESULTS_PREFIX, QUERY_ROUTES } from '#lib/query-stack';
import {
  acknowledged,
  cdkTestKit,
  ENVS,
  logicalId,
  nagViolations,
  stackPerEnvironmentTests,
  stackViews,
  functionProperties,
} from '#test/support/cdk';

// Each environment is synthesized once, with the cdk-nag checks, and shared by the tests below.
const kit = cdkTestKit('query');
afterAll(kit.cleanup);
const { synth } = stackViews(kit, 'query');

/** The resource paths and HTTP methods of the API, e.g. `POST /plans`. */
function routes(template: Template): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id ? resources[id] : undefined;
    if (!resource) return '';
    const props = resource['Properties'] as { ParentId: unknown; PathPart: string };
    return `${pathOf(props.ParentId)}/${props.PathPart}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .map((m) => {
      const props = (m as { Properties: { HttpMethod: string; ResourceId: unknown } }).Properties;
      return `${props.HttpMethod} ${pathOf(props.ResourceId)}`;
    })
    .sort();
}

/** The statements of the policies attached to the function whose name ends with `suffix`. */
function roleStatements(template: Template, roleRef: string): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) =>
      JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(roleRef),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
          .PolicyDocument.Statement,
    );
}

describe('API', () => {
  test('has exactly the query routes', () => {
    expect(routes(synth('dev').template)).toEqual(
      QUERY_ROUTES.map(([method, path]) => `${method} ${path}`).sort(),
    );
  });

  test('every method requires AWS_IAM authorization', () => {
    const methods = Object.values(synth('dev').template.findResources('AWS::ApiGateway::Method'));
    expect(
      methods.map(
        (m) => (m as { Properties: { AuthorizationType: string } }).Properties.AuthorizationType,
      ),
    ).toEqual(methods.map(() => 'AWS_IAM'));
  });

  test('POST /plans and POST /estimate validate their JSON body against a model', () => {
    const { template } = synth('dev');
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'Plan',
      Schema: Match.objectLike({ required: ['steps'] }),
    });
    const validated = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => (m as { Properties: { RequestModels?: unknown } }).Properties.RequestModels,
    );
    expect(validated).toHaveLength(2);
  });

  test('the Plan and Estimate models are the OpenAPI request schemas in draft 4, not copies', () => {
    const { template } = synth('dev');
    for (const name of ['Plan', 'Estimate'] as const) {
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        Name: name,
        ContentType: 'application/json',
        Schema: requestModelSchema(name),
      });
    }
  });

  test('the stage logs access as JSON, traces, and is throttled', () => {
    synth('dev').template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: 20,
          ThrottlingBurstLimit: 40,
        }),
      ],
    });
  });

  test('errors API Gateway answers itself use the handler’s {error: {code, message}} shape', () => {
    const responses = Object.values(
      synth('dev').template.findResources('AWS::ApiGateway::GatewayResponse'),
    ).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
    expect(responses.map((r) => r['ResponseType']).sort()).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const response of responses) {
      expect((response['ResponseTemplates'] as Record<string, string>)['application/json']).toMatch(
        /^\{"error":\{"code":"\$context\.error\.responseType","message":/,
      );
    }
  });

  test('every route is a proxy integration of the API function', () => {
    const { query, template } = synth('dev');
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const targets = methods.map((m) =>
      JSON.stringify((m as { Properties: { Integration: unknown } }).Properties.Integration),
    );
    expect(
      targets.every(
        (t) => t.includes('AWS_PROXY') && t.includes(logicalId(query.apiFunction.function)),
      ),
    ).toBe(true);
  });
});

describe('functions', () => {
  test('the API function is arm64, 1024 MiB, 29 s (the API Gateway integration limit)', () => {
    expect(functionProperties(synth('dev').template, 'query-api')).toMatchObject({
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 29,
    });
  });

  test('both functions get the environment, workgroup, Glue database, cluster and results prefix', () => {
    const { template } = synth('prod');
    for (const name of ['query-api', 'plan-step']) {
      const variables = (
        functionProperties(template, name)['Environment'] as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(variables).toMatchObject({
        THERMOCLINE_ENVIRONMENT: 'prod',
        GLUE_DATABASE: 'thermocline_prod',
        ATHENA_WORKGROUP: 'thermocline-prod',
        RESULTS_PREFIX: QUERY_RESULTS_PREFIX,
        DATABASE_NAME: 'thermocline',
      });
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining(['DATABASE_RESOURCE_ARN', 'DATABASE_SECRET_ARN', 'LAKE_BUCKET']),
      );
    }
  });

  test('the config they get resolves to the environment’s query settings and cutoff', () => {
    const variables = (
      functionProperties(synth('staging').template, 'query-api')['Environment'] as {
        Variables: Record<string, string>;
      }
    ).Variables;
    const config = resolveConfig(
      JSON.parse(decodeConfigText(variables['THERMOCLINE_CONFIG_JSON']!)),
      'env',
    );
    expect([config.query, config.environments.staging.scan_cutoff_gb]).toEqual([
      resolveConfig({}, 't').query,
      10,
    ]);
  });

  test('only the API function knows the plan state machine', () => {
    const { template } = synth('dev');
    const api = (
      functionProperties(template, 'query-api')['Environment'] as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    const step = (
      functionProperties(template, 'plan-step')['Environment'] as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(['PLAN_STATE_MACHINE_ARN' in api, 'PLAN_STATE_MACHINE_ARN' in step]).toEqual([
      true,
      false,
    ]);
  });
});

describe('least privilege', () => {
  test('the query functions run Athena in the environment’s workgroup only', () => {
    const { query, template } = synth('dev');
    const statements = JSON.stringify(roleStatements(template, logicalId(query.apiFunction.role)));
    expect(statements).toMatch(/athena:StartQueryExecution/);
    expect(statements).toMatch(/workgroup\/thermocline-dev/);
  });

  test('they never write the catalog, and write the lake under _query/ only', () => {
    const { query, template } = synth('dev');
    const statements = roleStatements(template, logicalId(query.planStepFunction.role)) as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const text = JSON.stringify(statements);
    expect(text).not.toMatch(/glue:(Create|Update|Batch(Create|Update|Delete))/);
    const writes = statements.filter((s) =>
      [s.Action]
        .flat()
        .some((a) => a.startsWith('s3:PutObject') || a.startsWith('s3:DeleteObject')),
    );
    const writeResources = JSON.stringify(writes.map((s) => s.Resource));
    expect(writeResources).toMatch(/_query\/\*/);
    expect(writeResources).not.toMatch(/"\/\*"\]/);
  });

  test('the API function may start the plan state machine; the state machine invokes plan-step', () => {
    const { query, template } = synth('dev');
    expect(JSON.stringify(roleStatements(template, logicalId(query.apiFunction.role)))).toMatch(
      /states:StartExecution/,
    );
    expect(
      JSON.stringify(roleStatements(template, logicalId(query.planStateMachine.role))),
    ).toMatch(/lambda:InvokeFunction/);
  });
});

describe('plan state machine', () => {
  test('is the plan ASL with its placeholders filled', () => {
    const machine = Object.values(
      synth('dev').template.findResources('AWS::StepFunctions::StateMachine'),
    )[0] as { Properties: Record<string, unknown> };
    expect(Object.keys(machine.Properties['DefinitionSubstitutions'] as object)).toEqual([
      ...PLAN_PLACEHOLDERS,
    ]);
    expect(JSON.parse(machine.Properties['DefinitionString'] as string)).toEqual(PLAN_DEFINITION);
  });
});

describe('per environment', () => {
  stackPerEnvironmentTests(synth, 'query', 'Query', false);
});

describe('cdk-nag AwsSolutions', () => {
  test.each(ENVS)('%s has no unacknowledged errors or warnings', (env) => {
    const { assembly, query } = synth(env);
    expect(nagViolations(assembly, query.stackName)).toEqual([]);
  });

  test('every acknowledgement carries a reason', () => {
    const reasons = synth('prod')
      .query.node.findAll()
      .flatMap((c) => Object.values(acknowledged(c)));
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.filter((reason) => reason.length < 40)).toEqual([]);
  });
});
