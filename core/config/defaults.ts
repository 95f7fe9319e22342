/**
 * The built-in configuration: the sample data set's time-series tables and sync mappings, and the
 * settings of the four environments. A user's `thermocline.config.json` is merged over these by
 * `resolveConfig` (`#core/config/resolve`); `defaultConfig()` returns them resolved.
 */
import type {
  EnvironmentConfig,
  EnvironmentName,
  MappingConfigInput,
  S3SourceConfig,
  TableConfigInput,
} from '#core/config/schema';

/**
 * The sample's time-series tables, tiered to the lake by day (per-table defaults apply: exported
 * one day after the day closes, hot for 30 days, deleted from PostgreSQL after 90).
 * `events` is laid out `event_type=X/dt=YYYY-MM-DD/`, every other table `year=/month=/day=`.
 */
export const DEFAULT_TABLES: readonly TableConfigInput[] = [
  {
    name: 'workflows',
    primary_key: ['id'],
    timestamp_column: 'created_at',
    partition_layout: 'ymd',
  },
  {
    name: 'agent_tasks',
    primary_key: ['id'],
    timestamp_column: 'created_at',
    partition_layout: 'ymd',
  },
  {
    name: 'agent_metrics',
    primary_key: ['id'],
    timestamp_column: 'recorded_at',
    partition_layout: 'ymd',
  },
  {
    name: 'agent_interactions',
    primary_key: ['id'],
    timestamp_column: 'created_at',
    partition_layout: 'ymd',
  },
  {
    name: 'user_sessions',
    primary_key: ['id'],
    timestamp_column: 'started_at',
    partition_layout: 'ymd',
  },
  {
    name: 'events',
    primary_key: ['id'],
    timestamp_column: 'occurred_at',
    partition_layout: 'event_type/dt',
    partition_column: 'event_type',
  },
];

/**
 * The sample's sync mappings, one per reference table: members, games and affiliates as in
 * aws-integration.md "Schema Mapping", and the agent registry.
 */
export const DEFAULT_MAPPINGS: readonly MappingConfigInput[] = [
  {
    table: 'agents',
    entity_type: 'Agent',
    key_column: 'id',
    properties: [
      { column: 'name', property: 'name' },
      { column: 'agent_type', property: 'agent_type' },
      { column: 'model', property: 'model' },
      { column: 'status', property: 'status' },
    ],
    sync_mode: 'incremental',
    sync_key: 'updated_at',
  },
  {
    table: 'members',
    entity_type: 'Member',
    key_column: 'member_code',
    properties: [
      { column: 'registration_date', property: 'registered_at' },
      { column: 'total_deposit', property: 'total_deposit' },
      { column: 'account_status', property: 'status' },
      { column: 'email_verified', property: 'email_verified' },
      { column: 'phone_verified', property: 'phone_verified' },
    ],
    sync_mode: 'incremental',
    sync_key: 'updated_at',
  },
  {
    table: 'games',
    entity_type: 'Game',
    key_column: 'game_code',
    properties: [
      { column: 'name', property: 'name' },
      { column: 'provider', property: 'provider' },
      { column: 'category', property: 'category' },
      { column: 'rtp', property: 'rtp' },
      { column: 'is_active', property: 'active' },
    ],
    sync_mode: 'full',
    sync_key: 'updated_at',
  },
  {
    table: 'affiliates',
    entity_type: 'Affiliate',
    key_column: 'affiliate_code',
    properties: [
      { column: 'name', property: 'name' },
      { column: 'commission_rate', property: 'commission_rate' },
      { column: 'status', property: 'status' },
      { column: 'country', property: 'country' },
    ],
    sync_mode: 'incremental',
    sync_key: 'updated_at',
  },
];

/**
 * The sample's external S3 source: per-event-type daily files as in aws-integration.md "S3 Direct
 * Integration" (`events/Login/2025-02-15.parquet`). Locally it is `THERMOCLINE_HOME/s3/<bucket>/`,
 * written by `seed`; on AWS name your own bucket in the config file.
 */
export const DEFAULT_S3_SOURCES: readonly S3SourceConfig[] = [
  {
    bucket: 'thermocline-sample-exports',
    prefix: 'events/',
    pattern: '**/*.parquet',
    event_type_from_path: true,
  },
];

/** The settings every environment shares before its own differences. */
function baseEnvironment(): EnvironmentConfig {
  return {
    scan_cutoff_gb: 10,
    schedules: {
      etl: { expression: 'cron(0 2 * * ? *)', enabled: true },
      incremental_sync: { expression: 'rate(15 minutes)', enabled: true },
      full_sync: { expression: 'cron(0 3 * * ? *)', enabled: true },
      retention: { expression: 'cron(0 4 * * ? *)', enabled: true },
      // Off by default: the ETL registers every partition itself (docs/deploy.md, the Glue crawler).
      crawler: { expression: 'cron(0 5 * * ? *)', enabled: false },
    },
    lifecycle: {
      glacier_after_days: 90,
      archive_storage_class: 'glacier_instant_retrieval',
      deep_archive_after_days: 365,
      expire_after_days: 730,
    },
    aurora: { min_acu: 0.5, max_acu: 2 },
    alert_email: null,
    deletion_protection: false,
    etl_concurrency: 4,
    replication_bucket: null,
    log_retention_days: 30,
    account: null,
    region: null,
    database: {
      create: {
        vpc_endpoints: ['secretsmanager', 'glue'],
        vpc_endpoint_azs: 2,
        availability_zones: null,
      },
    },
  };
}

/**
 * The four environments' defaults. They differ in Aurora's maximum capacity (local and dev 2,
 * staging 4, prod 16) and, in prod only, deletion protection and a year of logs.
 */
export const DEFAULT_ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = {
  local: baseEnvironment(),
  dev: baseEnvironment(),
  staging: { ...baseEnvironment(), aurora: { min_acu: 0.5, max_acu: 4 } },
  prod: {
    ...baseEnvironment(),
    aurora: { min_acu: 0.5, max_acu: 16 },
    deletion_protection: true,
    log_retention_days: 365,
  },
};
