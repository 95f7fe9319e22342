/**
 * The Lambda handlers' environment: read once at module scope (cold start), so a missing or bad
 * variable fails the function's init with a message naming it, not the first export.
 */
import { resolveConfig } from '#core/config/resolve';
import { decodeConfigText } from '#core/config/transport';
import type { ThermoclineConfig } from '#core/config/schema';
import { ThermoclineError } from '#core/errors';

/** A process environment, or a plain object standing in for one in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

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
