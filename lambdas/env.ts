/**
 * The Lambda handlers' environment: read once at module scope (cold start), so a missing or bad
 * variable fails the function's init with a message naming it, not the first export.
 */
import { resolveConfig } from '#core/config/resolve';
import { decodeConfigText } from '#core/config/transport';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentName,
  type ThermoclineConfig,
} from '#core/config/schema';
import {
  FUNCTION_VARIABLES,
  readFunctionVariables,
  type Env,
  type FunctionRole,
  type FunctionVariables,
} from '#core/contracts/function-environment';
import { ThermoclineError } from '#core/errors';

export type { Env } from '#core/contracts/function-environment';
import type { LakeEnvironment } from '#runtime/aws/pipeline-runtime';

export type { LakeEnvironment } from '#runtime/aws/pipeline-runtime';

/** Who sets the handlers' variables unless told otherwise. */
const PIPELINE_STACK = 'the Thermocline Pipeline stack (CDK) on the ETL Lambda functions';

/** A variable the handler needs is missing or not valid. Code `environment`, exit code 2. */
export class EnvironmentError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'environment', 2);
  }
}

/**
 * The value of `name`, or an {@link EnvironmentError} naming the variable and what sets it.
 * An empty or blank value counts as missing.
 * @param setBy - who sets the variable, for the message. @default the Pipeline stack
 * @example
 * const bucket = requiredEnv(process.env, 'LAKE_BUCKET'); // 'thermocline-lake-123456789012'
 */
export function requiredEnv(env: Env, name: string, setBy: string = PIPELINE_STACK): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new EnvironmentError(
      `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}; it is set by ${setBy} — deploy that stack, or set ${name} when running the handler yourself`,
    );
  }
  return value;
}

/**
 * The configuration from `THERMOCLINE_CONFIG_JSON` (the resolved config file as JSON, `{}` for
 * the defaults, or `gzip:<base64>` of that JSON — see `#core/config/transport`), validated with
 * {@link resolveConfig}.
 * @throws EnvironmentError when the variable is missing or not JSON; ConfigError when the JSON
 * is not a valid configuration.
 * @example
 * const config = configFromEnv({ THERMOCLINE_CONFIG_JSON: '{}' });
 * config.tables.map((t) => t.name); // ['workflows', 'agent_tasks', …, 'events']
 */
export function configFromEnv(env: Env): ThermoclineConfig {
  const name = 'THERMOCLINE_CONFIG_JSON';
  const value = requiredEnv(env, name);
  let text = value;
  let parsed: unknown;
  try {
    text = decodeConfigText(value);
    parsed = JSON.parse(text);
  } catch (error) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new EnvironmentError(
      `environment variable ${name} is not valid JSON (${error instanceof Error ? error.message : String(error)}); got '${preview}'. It must hold the configuration file as JSON, e.g. '{}' for the defaults`,
    );
  }
  return resolveConfig(parsed, name);
}

/**
 * This function instance as the table-day leases it takes name it: the function and its log
 * stream (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`, set by Lambda), so a run that
 * finds a table-day held can say where the holder's logs are.
 * @example
 * lambdaProcessName(process.env); // 'Lambda thermocline-prod-export, log stream 2025/02/16/[$LATEST]1a2b…'
 */
export function lambdaProcessName(env: Env): string {
  return (
    `Lambda ${env['AWS_LAMBDA_FUNCTION_NAME'] || '(unnamed)'}, log stream ` +
    `${env['AWS_LAMBDA_LOG_STREAM_NAME'] || '(unknown)'}`
  );
}

/**
 * The variables of a function `role` as its contract (`#core/contracts/function-environment`)
 * defines them, each checked: a required one set and not blank, a key prefix ending with `/`.
 * @param setBy - who sets the variables, for the message. @default the Pipeline stack
 * @throws EnvironmentError naming the first missing or malformed variable and what sets it.
 * @example
 * functionVariables('etl-export', process.env).GLUE_DATABASE; // 'thermocline_prod'
 */
export function functionVariables<R extends FunctionRole>(
  role: R,
  env: Env,
  setBy: string = PIPELINE_STACK,
): FunctionVariables<R> {
  return readFunctionVariables(role, env, (name, problem, value) =>
    problem === 'malformed'
      ? new EnvironmentError(
          `environment variable ${name} is '${value ?? ''}'; it must be ${FUNCTION_VARIABLES[name]}`,
        )
      : new EnvironmentError(
          `environment variable ${name} is ${problem}; it is set by ${setBy} — deploy that stack, or set ${name} when running the handler yourself`,
        ),
  );
}

/**
 * Where the lake and its catalog are, from a lake-touching role's variables: `LAKE_BUCKET`,
 * `GLUE_DATABASE`, optional `LAKE_PREFIX` (default `''`) and `THERMOCLINE_SCHEMA` (default
 * `public`).
 * @example
 * lakeEnvironment(functionVariables('sync', process.env)).glueDatabase; // 'thermocline_prod'
 */
export function lakeEnvironment(variables: {
  readonly LAKE_BUCKET: string;
  readonly GLUE_DATABASE: string;
  readonly LAKE_PREFIX: string | undefined;
  readonly THERMOCLINE_SCHEMA: string | undefined;
}): LakeEnvironment {
  return {
    schema: variables.THERMOCLINE_SCHEMA || 'public',
    bucket: variables.LAKE_BUCKET,
    prefix: variables.LAKE_PREFIX ?? '',
    glueDatabase: variables.GLUE_DATABASE,
  };
}

/** Share of the function's memory given to DuckDB; the rest is Node, the SDK and upload buffers. */
const DUCKDB_MEMORY_SHARE = 0.6;

/**
 * DuckDB's memory limit for this function: 60 % of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (set by
 * Lambda), e.g. `'1228MB'` for 2048 MB.
 * @throws EnvironmentError when the variable is missing or not a whole number of MB ≥ 128.
 * @example
 * duckDbMemoryLimit({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3008' }); // '1804MB'
 */
export function duckDbMemoryLimit(env: Env): string {
  const memoryText = requiredEnv(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'the Lambda runtime');
  const memory = Number(memoryText);
  if (!Number.isInteger(memory) || memory < 128) {
    throw new EnvironmentError(
      `environment variable AWS_LAMBDA_FUNCTION_MEMORY_SIZE is '${memoryText}'; expected the function's memory in MB, e.g. 2048`,
    );
  }
  return `${Math.floor(memory * DUCKDB_MEMORY_SHARE)}MB`;
}

/**
 * `THERMOCLINE_ENVIRONMENT`: the environment the function is deployed in (`dev`, `staging`,
 * `prod`; `local` is accepted for runs outside Lambda), whose settings of the config apply.
 * @throws EnvironmentError when it is missing or not one of the four, naming the value.
 * @example
 * deployedEnvironment({ THERMOCLINE_ENVIRONMENT: 'prod' }); // 'prod'
 */
export function deployedEnvironment(env: Env, setBy: string = PIPELINE_STACK): EnvironmentName {
  const value = requiredEnv(env, 'THERMOCLINE_ENVIRONMENT', setBy);
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(value)) {
    throw new EnvironmentError(
      `environment variable THERMOCLINE_ENVIRONMENT is '${value}'; use one of ${ENVIRONMENT_NAMES.join(', ')}`,
    );
  }
  return value as EnvironmentName;
}

/**
 * A value built on the first call and kept for the container's life (SDK-backed ports, a
 * database connection). A failed build is not kept: the next invocation tries again, and the error
 * leaves through `rename` (e.g. `classify`, so the state machine retries a transient one).
 * @example
 * const containerDeps = perContainer(() => awsExportDeps(environment, clients), classify);
 * await exportTask(await containerDeps(), config)(event);
 */
export function perContainer<T>(
  build: () => Promise<T>,
  rename: (error: unknown) => Error,
): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= Promise.resolve()
      .then(build)
      .catch((error: unknown) => {
        value = undefined;
        throw rename(error);
      });
    return value;
  };
}
