import { Template } from 'aws-cdk-lib/assertions';
import {
  FUNCTION_ROLES,
  functionEnvironment,
  readFunctionVariables,
  roleVariables,
  type FunctionRole,
} from '#core/contracts/function-environment';
import { EnvironmentError } from '#lambdas/env';
import { cdkTestKit } from '#test/support/cdk';

const kit = cdkTestKit('function-environment');
afterAll(kit.cleanup);

/** A synthesized function: its role (name after `thermocline-dev-`) and its variables. */
interface SynthesizedFunction {
  readonly role: string;
  readonly variables: Readonly<Record<string, unknown>>;
}

function synthesizedFunctions(): SynthesizedFunction[] {
  const { stacks } = kit.synth('dev');
  const functions: SynthesizedFunction[] = [];
  for (const stack of [stacks.pipeline, stacks.query]) {
    const resources = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    for (const resource of Object.values(resources)) {
      const properties = resource['Properties'] as {
        FunctionName?: string;
        Environment?: { Variables?: Record<string, unknown> };
      };
      const name = properties.FunctionName ?? '';
      if (!name.startsWith('thermocline-dev-')) continue; // CDK's own helper functions
      functions.push({
        role: name.slice('thermocline-dev-'.length),
        variables: properties.Environment?.Variables ?? {},
      });
    }
  }
  return functions;
}

/** Variables the Lambda runtime sets on every function. */
const LAMBDA_RUNTIME = {
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_FUNCTION_NAME: 'thermocline-dev-test',
};

/**
 * The variables as the handler would see them: the runtime's, and the stack's with
 * CloudFormation references resolved to strings.
 */
function asProcessEnv(variables: Readonly<Record<string, unknown>>): Record<string, string> {
  return {
    ...LAMBDA_RUNTIME,
    ...Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `resolved-${name.toLowerCase()}`,
      ]),
    ),
  };
}

/** Loads a handler module with `variables` as its process environment (modules read it at load). */
function loadWith<T extends object>(path: string, variables: Record<string, string>): T {
  const saved = process.env;
  process.env = { ...variables };
  try {
    let loaded: T | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<T>(path);
    });
    return loaded as T;
  } finally {
    process.env = saved;
  }
}

/** What each role's handler reads from its environment, given that environment. */
const READERS: Record<FunctionRole, (variables: Record<string, string>) => unknown> = {
  'etl-plan': (v) => loadWith<object>('../../lambdas/etl-plan', v),
  'etl-export': (v) =>
    loadWith<typeof import('../../lambdas/etl-export')>(
      '../../lambdas/etl-export',
      v,
    ).exportEnvironment(v),
  'sync-plan': (v) => loadWith<object>('../../lambdas/sync', v),
  sync: (v) =>
    loadWith<typeof import('../../lambdas/sync')>('../../lambdas/sync', v).syncEnvironment(v),
  'retention-plan': (v) => loadWith<object>('../../lambdas/retention', v),
  'retention-purge': (v) =>
    loadWith<typeof import('../../lambdas/retention')>(
      '../../lambdas/retention',
      v,
    ).retentionEnvironment(v),
  'plan-step': (v) => {
    loadWith<object>('../../lambdas/plan-step', v);
    return loadWith<typeof import('../../lambdas/query-env')>(
      '../../lambdas/query-env',
      v,
    ).querySettingsFromEnv(v);
  },
  'query-api': (v) => {
    loadWith<object>('../../lambdas/query-api', v);
    return loadWith<typeof import('../../lambdas/query-env')>(
      '../../lambdas/query-env',
      v,
    ).querySettingsFromEnv(v, { startsPlans: true });
  },
};

describe("the functions' environment contract", () => {
  const functions = synthesizedFunctions();

  test('every synthesized function has a role in the contract, and every role a function', () => {
    expect(functions.map((f) => f.role).sort()).toEqual(Object.keys(FUNCTION_ROLES).sort());
  });

  test.each(Object.keys(FUNCTION_ROLES) as FunctionRole[])(
    'the %s function gets exactly its contract: every required variable, nothing unknown',
    (role) => {
      const { variables } = functions.find((f) => f.role === role)!;
      const { required, optional } = roleVariables(role);
      const names = Object.keys(variables).filter((name) => name !== 'NODE_OPTIONS');

      expect(
        names.filter(
          (name) =>
            !(required as string[]).includes(name) && !(optional as string[]).includes(name),
        ),
      ).toEqual([]);
      expect(required.filter((name) => !names.includes(name))).toEqual([]);
    },
  );

  test.each(Object.keys(FUNCTION_ROLES) as FunctionRole[])(
    'the %s handler starts with the variables its stack gives it',
    (role) => {
      const { variables } = functions.find((f) => f.role === role)!;

      expect(() => READERS[role](asProcessEnv(variables))).not.toThrow();
    },
  );

  test('a handler fails its start naming a variable its stack did not give', () => {
    const { variables } = functions.find((f) => f.role === 'sync')!;
    const { DATABASE_NAME: _dropped, ...without } = asProcessEnv(variables);

    expect(() => READERS.sync(without)).toThrow(
      /environment variable DATABASE_NAME is not set; it is set by the Thermocline Pipeline stack/,
    );
  });
});

describe('functionEnvironment', () => {
  test('returns the variables of a role that match its contract', () => {
    expect(
      functionEnvironment('etl-plan', {
        THERMOCLINE_CONFIG_JSON: '{}',
        THERMOCLINE_ENVIRONMENT: 'dev',
      }),
    ).toEqual({ THERMOCLINE_CONFIG_JSON: '{}', THERMOCLINE_ENVIRONMENT: 'dev' });
  });

  test('refuses a spread that misses a variable or brings one outside the contract', () => {
    const spread = { THERMOCLINE_CONFIG_JSON: '{}', THERMOCLINE_ENVIRONMENT: 'dev', EXTRA: 'x' };

    expect(() => functionEnvironment('etl-plan', spread)).toThrow(
      /etl-plan function's environment does not match its contract .*not in the contract EXTRA/,
    );
    expect(() =>
      functionEnvironment(
        'sync',
        spread as unknown as Parameters<typeof functionEnvironment<'sync'>>[1],
      ),
    ).toThrow(
      /missing DATABASE_RESOURCE_ARN, DATABASE_SECRET_ARN, DATABASE_NAME, LAKE_BUCKET, GLUE_DATABASE/,
    );
  });
});

describe('readFunctionVariables', () => {
  const fail = (name: string, problem: string, value?: string): Error =>
    new EnvironmentError(`${name} ${problem}${value === undefined ? '' : ` '${value}'`}`);
  const lake = { DATABASE_SECRET_ARN: 'arn', LAKE_BUCKET: 'lake', GLUE_DATABASE: 'db' };

  test('reads required and optional variables, optional ones undefined when absent', () => {
    expect(readFunctionVariables('etl-export', lake, fail)).toEqual({
      ...lake,
      LAKE_PREFIX: undefined,
      THERMOCLINE_SCHEMA: undefined,
    });
  });

  test('a blank required variable is empty, a missing one not set', () => {
    expect(() => readFunctionVariables('etl-export', { ...lake, LAKE_BUCKET: ' ' }, fail)).toThrow(
      'LAKE_BUCKET empty',
    );
    const { GLUE_DATABASE: _missing, ...without } = lake;
    expect(() => readFunctionVariables('etl-export', without, fail)).toThrow(
      'GLUE_DATABASE not set',
    );
  });

  test('a key prefix must be empty or end with a slash', () => {
    expect(() =>
      readFunctionVariables('etl-export', { ...lake, LAKE_PREFIX: '/lake' }, fail),
    ).toThrow("LAKE_PREFIX malformed '/lake'");
    expect(
      readFunctionVariables('etl-export', { ...lake, LAKE_PREFIX: 'lake/' }, fail).LAKE_PREFIX,
    ).toBe('lake/');
  });
});
