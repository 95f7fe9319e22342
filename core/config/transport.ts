/**
 * The configuration as the Lambda functions receive it: one environment variable,
 * `THERMOCLINE_CONFIG_JSON`, under Lambda's 4 KB limit for all of a function's variables. The
 * resolved config of one environment (tables, mappings, S3 sources, query settings and that
 * environment's settings) is JSON; when it is over {@link PLAIN_CONFIG_MAX_BYTES} it travels
 * gzip-compressed and base64-encoded behind the prefix `gzip:` (the sample config goes from about
 * 3.3 KB to under 1 KB).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { EnvironmentConfig, EnvironmentName, ThermoclineConfig } from '#core/config/schema';

/** Above this many bytes the JSON is compressed. */
export const PLAIN_CONFIG_MAX_BYTES = 1024;
/** The prefix of a compressed value. */
export const GZIP_PREFIX = 'gzip:';

/**
 * The value of `THERMOCLINE_CONFIG_JSON` for the functions of environment `envName`: a config
 * file (`use_sample_defaults: false`) that resolves to exactly `config`'s tables, mappings, S3
 * sources, query settings and `envName`'s settings, except where the stacks deploy (`account`,
 * `region`, `database`): the functions get those as resources, and the IDs of an existing
 * network have no place in every function's variables.
 * @example
 * encodeConfigForEnv(defaultConfig(), 'dev'); // 'gzip:H4sIAAAAAAAA…'
 */
export function encodeConfigForEnv(config: ThermoclineConfig, envName: EnvironmentName): string {
  const json = JSON.stringify({
    use_sample_defaults: false,
    tables: config.tables,
    mappings: config.mappings,
    s3_sources: config.s3_sources,
    query: config.query,
    environments: { [envName]: functionSettings(config.environments[envName]) },
  });
  if (Buffer.byteLength(json, 'utf8') <= PLAIN_CONFIG_MAX_BYTES) return json;
  return `${GZIP_PREFIX}${gzipSync(json, { level: 9 }).toString('base64')}`;
}

/** An environment's settings without the deploy-only keys (the functions see their defaults). */
function functionSettings(environment: EnvironmentConfig): Partial<EnvironmentConfig> {
  const { account: _account, region: _region, database: _database, ...rest } = environment;
  return rest;
}

/**
 * The JSON text of a `THERMOCLINE_CONFIG_JSON` value, plain or compressed.
 * @throws Error when a `gzip:` value is not base64 gzip.
 * @example
 * decodeConfigText('{}'); // '{}'
 */
export function decodeConfigText(value: string): string {
  if (!value.startsWith(GZIP_PREFIX)) return value;
  return gunzipSync(Buffer.from(value.slice(GZIP_PREFIX.length), 'base64')).toString('utf8');
}
