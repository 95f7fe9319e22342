/**
 * Resolution of the configuration: validate the user's file object, merge it over the defaults,
 * check the result, and report every problem at once with its path (`tables[2].partition_layout`).
 * Pure: the file is found and read by `#adapters/local/config-file`.
 */
import { z } from 'zod';
import { UsageError, ThermoclineError } from '#core/errors';
import {
  DEFAULT_ENVIRONMENTS,
  DEFAULT_MAPPINGS,
  DEFAULT_S3_SOURCES,
  DEFAULT_TABLES,
} from '#core/config/defaults';
import {
  ConfigFileSchema,
  ENVIRONMENT_NAMES,
  showValue,
  ThermoclineConfigSchema,
  type EnvironmentConfig,
  type EnvironmentName,
  type TableConfig,
  type ThermoclineConfig,
} from '#core/config/schema';
import { issueEntries, type IssueEntry } from '#core/zod-issues';

/** One problem in a configuration: where (`environments.prod.aurora.max_acu`, '' for the whole) and what. */
export type ConfigIssue = IssueEntry;

/**
 * Lists issues one per line, each prefixed by the source (a file path or `defaults`) and the path.
 * @example
 * formatConfigIssues('thermocline.config.json', [{ path: 'tables[0].name', message: 'duplicate…' }]);
 * // 'thermocline.config.json: tables[0].name: duplicate…'
 */
export function formatConfigIssues(source: string, issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) =>
      issue.path ? `${source}: ${issue.path}: ${issue.message}` : `${source}: ${issue.message}`,
    )
    .join('\n');
}

/**
 * The configuration cannot be used: every issue (one per line, prefixed by the source), then a
 * line saying what to do. Bad input, so the CLI exits with code 2.
 */
export class ConfigError extends ThermoclineError {
  /** The problems, in file order, each with its path. */
  readonly issues: readonly ConfigIssue[];
  /** Where the configuration came from: the file path, or `defaults`. */
  readonly source: string;

  constructor(source: string, issues: readonly ConfigIssue[], hint = configHint(source)) {
    super(`${formatConfigIssues(source, issues)}\n${hint}`, 'config', 2);
    this.source = source;
    this.issues = issues;
  }
}

function configHint(source: string): string {
  const readme = `docs/configuration.md lists every key, its default and its rules`;
  return source === 'defaults' ? `See ${readme}.` : `Fix ${source}; ${readme}.`;
}

function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${showValue(value)}`;
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

/** Messages for the issues zod raises itself (the schema's own rules carry their messages). */
const issueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined
        ? `required; expected ${expected}`
        : `expected ${expected}, received ${describeReceived(issue.input)}`;
    }
    case 'invalid_value': {
      const allowed = `allowed values: ${issue.values.map(showValue).join(', ')}`;
      return issue.input === undefined
        ? `required; ${allowed}`
        : `${showValue(issue.input)} is not allowed; ${allowed}`;
    }
    case 'unrecognized_keys': {
      const shape = (issue.inst?._zod.def as { shape?: Record<string, unknown> } | undefined)
        ?.shape;
      return `unknown key; allowed keys: ${Object.keys(shape ?? {}).join(', ')}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return 'must not be empty';
      return issue.inclusive
        ? `must be at least ${issue.minimum}, got ${showValue(issue.input)}`
        : `must be greater than ${issue.minimum}, got ${showValue(issue.input)}`;
    case 'too_big':
      return `must be at most ${issue.maximum}, got ${showValue(issue.input)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, got ${showValue(issue.input)}`;
    default:
      return undefined;
  }
};

function parse<T extends z.ZodType>(schema: T, value: unknown, source: string): z.output<T> {
  const result = schema.safeParse(value, { error: issueMessage });
  if (!result.success)
    throw new ConfigError(
      source,
      issueEntries(result.error.issues, { quoteKeys: true, entryPerUnknownKey: true }),
    );
  return result.data;
}

/** Entries of `user` replace the `defaults` entry with the same key in place; the rest follow. */
function mergeByKey<T>(defaults: readonly T[], user: readonly T[], key: (item: T) => string): T[] {
  const userByKey = new Map(user.map((item) => [key(item), item]));
  const defaultKeys = new Set(defaults.map(key));
  return [
    ...defaults.map((item) => userByKey.get(key(item)) ?? item),
    ...user.filter((item) => !defaultKeys.has(key(item))),
  ];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `patch` over `base`, recursively for objects; `undefined` keeps the base, `null` is a value. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/**
 * `patch` over an environment's defaults. A `database.existing` replaces the default
 * `database.create` instead of merging with it (both together are an error).
 */
function mergeEnvironment(base: unknown, patch: Record<string, unknown> | undefined): unknown {
  const merged = deepMerge(base, patch);
  const database = patch?.['database'];
  // With both, the merged value keeps both, and validation names the conflict.
  if (
    isPlainObject(merged) &&
    isPlainObject(database) &&
    database['existing'] !== undefined &&
    database['create'] === undefined
  ) {
    merged['database'] = { existing: database['existing'] };
  }
  return merged;
}

/**
 * Validates a configuration file's parsed JSON and merges it over the defaults:
 * - `tables` / `mappings`: with `use_sample_defaults` (default true) an entry replaces the default
 *   entry with the same table name and the others are appended; with `false` only the file's are used;
 * - `environments`: each environment's object is deep-merged over that environment's defaults.
 * Every rule is checked (the merged environments included) and all problems are reported at once.
 * @param userFile - the parsed file (`{}` for none).
 * @param source - where it came from, prefixed to every message: the file path, or `defaults`.
 * @throws ConfigError listing every issue with its path.
 * @example
 * const config = resolveConfig({ environments: { prod: { scan_cutoff_gb: 20 } } }, 'thermocline.config.json');
 * config.environments.prod.scan_cutoff_gb; // 20
 * config.environments.prod.aurora.max_acu; // 16 (the default)
 * config.tables.map((t) => t.name); // ['workflows', 'agent_tasks', …, 'events']
 */
export function resolveConfig(userFile: unknown, source: string): ThermoclineConfig {
  const file = parse(ConfigFileSchema, userFile, source);
  const useSamples = file.use_sample_defaults ?? true;
  const merged = {
    use_sample_defaults: useSamples,
    tables: mergeByKey<{ name: string }>(
      useSamples ? DEFAULT_TABLES : [],
      file.tables ?? [],
      (t) => t.name,
    ),
    mappings: mergeByKey<{ table: string }>(
      useSamples ? DEFAULT_MAPPINGS : [],
      file.mappings ?? [],
      (m) => m.table,
    ),
    s3_sources: file.s3_sources ?? (useSamples ? DEFAULT_S3_SOURCES : []),
    query: file.query ?? {},
    environments: Object.fromEntries(
      ENVIRONMENT_NAMES.map((name) => [
        name,
        mergeEnvironment(DEFAULT_ENVIRONMENTS[name], file.environments?.[name]),
      ]),
    ),
  };
  return parse(ThermoclineConfigSchema, merged, source);
}

/**
 * The built-in configuration: the sample tables and mappings, the four environments' defaults.
 * @example
 * defaultConfig().environments.prod.deletion_protection; // true
 */
export function defaultConfig(): ThermoclineConfig {
  return resolveConfig({}, 'defaults');
}

/**
 * The configured table called `name`.
 * @throws UsageError naming the table and listing the known ones.
 * @example
 * tableConfig(config, 'events').partition_layout; // 'event_type/dt'
 */
export function tableConfig(config: ThermoclineConfig, name: string): TableConfig {
  const table = config.tables.find((t) => t.name === name);
  if (table) return table;
  const known = config.tables.map((t) => t.name).join(', ') || '(none)';
  throw new UsageError(`table ${showValue(name)} is not in the config; known tables: ${known}`);
}

/**
 * The settings of environment `name` (`local`, `dev`, `staging` or `prod`).
 * @throws UsageError naming the value and listing the allowed names.
 * @example
 * environmentConfig(config, 'prod').scan_cutoff_gb; // 10
 */
export function environmentConfig(config: ThermoclineConfig, name: string): EnvironmentConfig {
  if ((ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
    return config.environments[name as EnvironmentName];
  }
  throw new UsageError(
    `environment ${showValue(name)} is not known; allowed environments: ${ENVIRONMENT_NAMES.join(', ')}`,
  );
}

/**
 * The JSON Schema of `thermocline.config.json` (draft 2020-12), for editor completion: save it
 * next to the file and point the file's `$schema` key at it.
 * @example
 * fs.writeFileSync('thermocline.schema.json', JSON.stringify(configJsonSchema(), null, 2));
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigFileSchema, { io: 'input' }) as Record<string, unknown>;
}
