/**
 * The Lambda functions' environment variables, defined once for both sides of the CDK→Lambda
 * boundary: the stacks build each function's variables with {@link functionEnvironment} (a
 * missing or unknown variable fails the type check and the synth), and the handlers read theirs
 * with {@link readFunctionVariables} (a missing or malformed one fails the cold start naming it
 * and what sets it). A test checks every synthesized function against its role's contract.
 */
import { ENVIRONMENT_NAMES } from '#core/config/schema';

/** A process environment, or a plain object standing in for one in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What a key-prefix variable must look like: empty, or ending with `/` and not starting with it. */
function isKeyPrefix(value: string): boolean {
  return value === '' || (value.endsWith('/') && !value.startsWith('/'));
}

/** Every variable a Thermocline function may get, with what it holds. */
export const FUNCTION_VARIABLES = {
  /** The resolved configuration as JSON (or `gzip:<base64>`), see `#core/config/transport`. */
  THERMOCLINE_CONFIG_JSON: 'the configuration as JSON',
  /** The environment the function is deployed in: dev, staging or prod. */
  THERMOCLINE_ENVIRONMENT: `one of ${ENVIRONMENT_NAMES.join(', ')}`,
  /** The schema of the hot tables (default `public`). */
  THERMOCLINE_SCHEMA: 'a PostgreSQL schema name',
  LAKE_BUCKET: "the lake bucket's name",
  /** The lake's key prefix (default empty). */
  LAKE_PREFIX: "empty or a key prefix ending with '/', e.g. 'lake/'",
  /** Where plan results go in the lake bucket (default `_query/`). */
  RESULTS_PREFIX: "empty or a key prefix ending with '/', e.g. '_query/'",
  GLUE_DATABASE: "the lake's Glue database",
  ATHENA_WORKGROUP: 'the Athena workgroup',
  DATABASE_RESOURCE_ARN: "the Aurora cluster's ARN (RDS Data API)",
  DATABASE_SECRET_ARN: "the Aurora cluster's secret ARN",
  DATABASE_NAME: 'the database name',
  PLAN_STATE_MACHINE_ARN: 'the plan state machine ARN',
  /** Read by Node itself: the CA bundle pg verifies Aurora's certificate with. */
  NODE_EXTRA_CA_CERTS: 'a CA bundle path',
} as const;

/** A variable's name. */
export type VariableName = keyof typeof FUNCTION_VARIABLES;

/** Key-prefix variables, checked for their shape when read. */
const PREFIX_VARIABLES: ReadonlySet<VariableName> = new Set(['LAKE_PREFIX', 'RESULTS_PREFIX']);

/** The variables of one function role: which it must get and which it may get. */
interface RoleContract {
  readonly required: readonly VariableName[];
  readonly optional: readonly VariableName[];
}

/** Variables every function gets: the configuration and its environment's name. */
const EVERY_FUNCTION = ['THERMOCLINE_CONFIG_JSON', 'THERMOCLINE_ENVIRONMENT'] as const;

/** Optional in every function: Node's CA bundle. */
const NODE_VARIABLES = ['NODE_EXTRA_CA_CERTS'] as const;

const LAKE_OPTIONAL = ['LAKE_PREFIX', 'THERMOCLINE_SCHEMA'] as const;

const QUERY_REQUIRED = [
  'LAKE_BUCKET',
  'GLUE_DATABASE',
  'ATHENA_WORKGROUP',
  'DATABASE_RESOURCE_ARN',
  'DATABASE_SECRET_ARN',
  'DATABASE_NAME',
] as const;

/**
 * Each function role's variables beyond {@link EVERY_FUNCTION}. The role is the function's name
 * after `thermocline-<env>-` (`thermocline-prod-etl-export` is `etl-export`).
 */
export const FUNCTION_ROLES = {
  'etl-plan': { required: [], optional: [] },
  'etl-export': {
    required: ['DATABASE_SECRET_ARN', 'LAKE_BUCKET', 'GLUE_DATABASE'],
    optional: LAKE_OPTIONAL,
  },
  'sync-plan': { required: [], optional: [] },
  sync: {
    required: [
      'DATABASE_RESOURCE_ARN',
      'DATABASE_SECRET_ARN',
      'DATABASE_NAME',
      'LAKE_BUCKET',
      'GLUE_DATABASE',
    ],
    optional: LAKE_OPTIONAL,
  },
  'retention-plan': { required: [], optional: [] },
  'retention-purge': {
    required: ['DATABASE_SECRET_ARN', 'LAKE_BUCKET', 'GLUE_DATABASE'],
    optional: LAKE_OPTIONAL,
  },
  'plan-step': {
    required: QUERY_REQUIRED,
    optional: [...LAKE_OPTIONAL, 'RESULTS_PREFIX'],
  },
  'query-api': {
    required: [...QUERY_REQUIRED, 'PLAN_STATE_MACHINE_ARN'],
    optional: [...LAKE_OPTIONAL, 'RESULTS_PREFIX'],
  },
} as const satisfies Record<string, RoleContract>;

/** A function role: `etl-export`, `query-api`, … */
export type FunctionRole = keyof typeof FUNCTION_ROLES;

type Required<R extends FunctionRole> =
  (typeof FUNCTION_ROLES)[R]['required'][number] | (typeof EVERY_FUNCTION)[number];
type Optional<R extends FunctionRole> =
  (typeof FUNCTION_ROLES)[R]['optional'][number] | (typeof NODE_VARIABLES)[number];

/** The variables a stack gives a function of role `R`: exactly its contract's. */
export type FunctionEnvironment<R extends FunctionRole> = {
  readonly [K in Required<R>]: string;
} & {
  readonly [K in Optional<R>]?: string;
};

/** The variables a handler of role `R` reads (without the two every function gets). */
export type FunctionVariables<R extends FunctionRole> = {
  readonly [K in (typeof FUNCTION_ROLES)[R]['required'][number]]: string;
} & { readonly [K in (typeof FUNCTION_ROLES)[R]['optional'][number]]: string | undefined };

/** The variables a function of `role` must and may get, every-function ones included. */
export function roleVariables(role: FunctionRole): {
  readonly required: readonly VariableName[];
  readonly optional: readonly VariableName[];
} {
  const contract: RoleContract = FUNCTION_ROLES[role];
  return {
    required: [...EVERY_FUNCTION, ...contract.required],
    optional: [...contract.optional, ...NODE_VARIABLES],
  };
}

/**
 * The environment of a function of `role`, for the stack that creates it: the type allows exactly
 * the role's variables, and a value built by a spread is checked at synth time too.
 * @throws Error naming a missing or unknown variable (a stack bug, caught by `cdk synth`).
 * @example
 * environment: functionEnvironment('etl-plan', {
 *   THERMOCLINE_CONFIG_JSON: configJson,
 *   THERMOCLINE_ENVIRONMENT: 'prod',
 * }),
 */
export function functionEnvironment<R extends FunctionRole>(
  role: R,
  values: FunctionEnvironment<R>,
): Record<string, string> {
  const { required, optional } = roleVariables(role);
  const given = values as Readonly<Record<string, string | undefined>>;
  const missing = required.filter((name) => given[name] === undefined);
  const unknown = Object.keys(given).filter(
    (name) =>
      !(required as readonly string[]).includes(name) &&
      !(optional as readonly string[]).includes(name),
  );
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `the ${role} function's environment does not match its contract ` +
        `(core/contracts/function-environment.ts): ` +
        [
          missing.length > 0 ? `missing ${missing.join(', ')}` : '',
          unknown.length > 0 ? `not in the contract ${unknown.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    );
  }
  return Object.fromEntries(
    Object.entries(given).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * Reads the role's own variables (not the configuration and environment name, which
 * `configFromEnv` and `deployedEnvironment` read): a required one must be set and not blank, a
 * key prefix must be empty or end with `/`. Optional ones absent are `undefined`.
 * @param fail - builds the error for a variable (the handlers' EnvironmentError).
 * @throws what `fail` returns, for the first variable that is missing or malformed.
 * @example
 * readFunctionVariables('etl-export', process.env, fail).LAKE_BUCKET; // 'thermocline-lake-123456789012'
 */
export function readFunctionVariables<R extends FunctionRole>(
  role: R,
  env: Env,
  fail: (name: VariableName, problem: 'not set' | 'empty' | 'malformed', value?: string) => Error,
): FunctionVariables<R> {
  const contract: RoleContract = FUNCTION_ROLES[role];
  const read: Record<string, string | undefined> = {};
  for (const name of contract.required) {
    const value = env[name];
    if (value === undefined) throw fail(name, 'not set');
    if (value.trim() === '') throw fail(name, 'empty');
    read[name] = value;
  }
  for (const name of contract.optional) read[name] = env[name];
  for (const name of [...contract.required, ...contract.optional]) {
    const value = read[name];
    if (PREFIX_VARIABLES.has(name) && value !== undefined && !isKeyPrefix(value)) {
      throw fail(name, 'malformed', value);
    }
  }
  return read as FunctionVariables<R>;
}
