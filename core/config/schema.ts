/**
 * The schema of Thermocline's configuration: what a user may write in `thermocline.config.json`
 * (snake_case keys, every object strict) and the fully resolved configuration every other part of
 * the platform reads. The rules live here once; `resolveConfig` (`#core/config/resolve`) applies
 * them and merges the user's file over the defaults (`#core/config/defaults`).
 */
import { z } from 'zod';

/**
 * Quotes a value for a configuration message: strings in single quotes, anything else as JSON.
 * @example
 * showValue('daily'); // "'daily'"
 * showValue(1.5); // '1.5'
 */
export function showValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** A PostgreSQL identifier Thermocline accepts: lowercase, unquoted, at most 63 characters. */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * An SQL identifier (table, column): `/^[a-z_][a-z0-9_]*$/`, at most 63 characters, so it means the
 * same thing unquoted in PostgreSQL, Glue, Athena and DuckDB.
 * @example
 * IdentifierSchema.parse('agent_tasks'); // 'agent_tasks'
 */
export const IdentifierSchema = z.string().regex(SQL_IDENTIFIER, {
  error: (issue) =>
    `${showValue(issue.input)} is not a valid SQL identifier; use lowercase letters, digits and _, ` +
    `starting with a letter or _, at most 63 characters`,
});

/** How a time-series table's days are laid out in the lake, in the order of the path segments. */
export const PARTITION_LAYOUTS = ['ymd', 'event_type/dt'] as const;
/** `ymd`: `table/year=YYYY/month=MM/day=DD/`; `event_type/dt`: `table/<column>=X/dt=YYYY-MM-DD/`. */
export type PartitionLayout = (typeof PARTITION_LAYOUTS)[number];

/** Days before the exported one that the nightly changed-days pass re-checks, unless configured. */
export const DEFAULT_RECHECK_DAYS = 7;

/** The partition column a table with layout `event_type/dt` uses when the file names none. */
export const DEFAULT_PARTITION_COLUMN = 'event_type';

/**
 * What an export does when PostgreSQL's columns differ from the lake table's (docs/type-contract.md "Schema
 * changes"): `fail` refuses every change; `append_new_columns` adds new columns and widens types;
 * `sync_all_columns` also drops the lake columns PostgreSQL no longer has (a rename is a drop and
 * an add). An incompatible type change fails under every policy.
 */
export const SCHEMA_CHANGE_POLICIES = ['fail', 'append_new_columns', 'sync_all_columns'] as const;
/** One of {@link SCHEMA_CHANGE_POLICIES}. */
export type SchemaChangePolicy = (typeof SCHEMA_CHANGE_POLICIES)[number];
/** The policy of a table whose config names none. */
export const DEFAULT_ON_SCHEMA_CHANGE: SchemaChangePolicy = 'fail';

/** How a PostgreSQL `uuid` is exported: its canonical lowercase text, or its 16 bytes. */
export const UUID_FORMS = ['string', 'binary'] as const;
/** One of {@link UUID_FORMS}. */
export type UuidForm = (typeof UUID_FORMS)[number];
/** The uuid form of a table whose config names none. */
export const DEFAULT_UUID_AS: UuidForm = 'string';

const NUMERIC_AS = /^decimal\((\d+),(\d+)\)$/;

/**
 * The precision and scale of a `numeric_as` value (`'decimal(p,s)'`, 1 ≤ p ≤ 38, 0 ≤ s ≤ p), or
 * undefined when it is not one.
 * @example
 * parseNumericAs('decimal(38,10)'); // { precision: 38, scale: 10 }
 */
export function parseNumericAs(value: string): { precision: number; scale: number } | undefined {
  const match = NUMERIC_AS.exec(value.replace(/\s/g, ''));
  if (!match) return undefined;
  const precision = Number(match[1]);
  const scale = Number(match[2]);
  if (precision < 1 || precision > 38 || scale > precision) return undefined;
  return { precision, scale };
}

/**
 * One time-series table tiered to the lake by day. Omitted fields take their defaults; the output
 * always has `partition_column` (`null` for layout `ymd`).
 * @example
 * TableSchema.parse({ name: 'orders', primary_key: ['id'], timestamp_column: 'created_at', partition_layout: 'ymd' });
 * // { …, partition_column: null, export_lag_days: 1, hot_window_days: 30, hot_retention_days: 90 }
 */
export const TableSchema = z
  .strictObject({
    name: IdentifierSchema.describe('Table name in PostgreSQL and in the lake.'),
    primary_key: z.array(IdentifierSchema).min(1).describe('Primary key columns (at least one).'),
    timestamp_column: IdentifierSchema.describe('Column whose UTC day decides the partition.'),
    partition_layout: z
      .enum(PARTITION_LAYOUTS)
      .describe("'ymd': year=/month=/day=; 'event_type/dt': <partition_column>=X/dt=YYYY-MM-DD."),
    partition_column: IdentifierSchema.nullable()
      .optional()
      .describe("Leading partition column for layout 'event_type/dt' (default 'event_type')."),
    export_lag_days: z
      .int()
      .min(1)
      .default(1)
      .describe('A day is exported once it has been closed this many days.'),
    hot_window_days: z
      .int()
      .min(0)
      .default(30)
      .describe('Queries for data younger than this go to PostgreSQL only.'),
    hot_retention_days: z
      .int()
      .default(90)
      .describe('Hot rows older than this are deleted once their day is verified in the lake.'),
    recheck_days: z
      .int()
      .min(0)
      .max(90)
      .optional()
      .describe(
        `The nightly ETL compares this many days before the one it exports with their hot rows and re-exports the days that changed (0: off; default ${DEFAULT_RECHECK_DAYS}).`,
      ),
    on_schema_change: z
      .enum(SCHEMA_CHANGE_POLICIES)
      .optional()
      .describe(
        "When PostgreSQL's columns differ from the lake table's: 'fail' (default), 'append_new_columns' (add columns, widen types) or 'sync_all_columns' (also drop the lake columns PostgreSQL no longer has).",
      ),
    max_rows_per_task: z
      .int()
      .min(1)
      .optional()
      .describe(
        'A day with more rows is exported in chunks of about this many rows, run in parallel and published as one (default: automatic, about 4 GiB of the table per task by its average row size).',
      ),
    uuid_as: z
      .enum(UUID_FORMS)
      .optional()
      .describe(
        "How uuid columns are exported: 'string' (default; the canonical lowercase text, Athena string) or 'binary' (16 bytes, Athena binary).",
      ),
    numeric_as: z
      .string()
      .refine((value) => parseNumericAs(value) !== undefined, {
        error: (issue) =>
          `${showValue(issue.input)} is not a decimal type Parquet and Athena hold exactly; write ` +
          `'decimal(p,s)' with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p, e.g. 'decimal(38,10)'`,
      })
      .optional()
      .describe(
        "Export unconstrained numeric columns as this decimal, 'decimal(p,s)' (default: their exact text, Athena string); a value that does not fit fails the export.",
      ),
  })
  .superRefine((table, ctx) => {
    if (table.partition_layout === 'ymd' && table.partition_column != null) {
      ctx.addIssue({
        code: 'custom',
        path: ['partition_column'],
        message:
          `${showValue(table.partition_column)} is not used by layout 'ymd'; remove partition_column ` +
          `(or set it to null), or use layout 'event_type/dt'`,
      });
    }
    if (table.partition_layout === 'event_type/dt' && table.partition_column === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['partition_column'],
        message:
          `layout 'event_type/dt' needs a partition column; name one, or omit the key to use ` +
          `'${DEFAULT_PARTITION_COLUMN}'`,
      });
    }
    const { export_lag_days: lag, hot_window_days: window, hot_retention_days: retention } = table;
    if (!(lag <= window && window <= retention)) {
      ctx.addIssue({
        code: 'custom',
        message:
          `export_lag_days (${lag}) ≤ hot_window_days (${window}) ≤ hot_retention_days ` +
          `(${retention}) must hold: a day reaches the lake before queries leave the hot tier, ` +
          `and leaves the hot tier before its rows are deleted`,
      });
    }
  })
  .transform((table) => ({
    ...table,
    partition_column:
      table.partition_layout === 'event_type/dt'
        ? (table.partition_column ?? DEFAULT_PARTITION_COLUMN)
        : null,
  }));
/** A time-series table as the platform reads it (every default applied). */
export type TableConfig = z.output<typeof TableSchema>;
/** A time-series table as a user writes it (defaults may be omitted). */
export type TableConfigInput = z.input<typeof TableSchema>;

/** How reference rows are synced from PostgreSQL (seed: daily full, 15-minute incremental, per query). */
export const SYNC_MODES = ['full', 'incremental', 'on_demand'] as const;
/** One of {@link SYNC_MODES}. */
export type SyncMode = (typeof SYNC_MODES)[number];

const EntityTypeSchema = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, {
  error: (issue) =>
    `${showValue(issue.input)} is not a valid entity type; use PascalCase letters and digits, e.g. 'Member'`,
});

/**
 * One sync mapping (the seed's `[[aws.aurora.mappings]]`): a reference table's rows become entities
 * of `entity_type`, keyed by `key_column`, with columns renamed to properties.
 * @example
 * MappingSchema.parse({ table: 'games', entity_type: 'Game', key_column: 'game_code',
 *   properties: [{ column: 'rtp', property: 'rtp' }], sync_mode: 'full' });
 * // { …, sync_key: 'updated_at' }
 */
export const MappingSchema = z.strictObject({
  table: IdentifierSchema.describe('Reference table in PostgreSQL.'),
  entity_type: EntityTypeSchema.describe('Entity type the rows become, PascalCase.'),
  key_column: IdentifierSchema.describe('Column whose value identifies the entity.'),
  properties: z
    .array(
      z.strictObject({
        column: IdentifierSchema.describe('Source column.'),
        property: IdentifierSchema.describe('Entity property it becomes.'),
      }),
    )
    .min(1)
    .superRefine((properties, ctx) => {
      reportDuplicates(properties, (p) => p.property, 'property', ctx);
    })
    .describe('Column → property map (at least one; property names unique).'),
  sync_mode: z.enum(SYNC_MODES).describe('full (daily), incremental (watermark), on_demand.'),
  sync_key: IdentifierSchema.default('updated_at').describe(
    'Watermark column for incremental sync.',
  ),
});
/** A sync mapping as the platform reads it. */
export type MappingConfig = z.output<typeof MappingSchema>;
/** A sync mapping as a user writes it. */
export type MappingConfigInput = z.input<typeof MappingSchema>;
/** One column → property pair of a mapping. */
export type PropertyMapping = MappingConfig['properties'][number];

/** Adds an issue at `[index, field]` for every item whose key repeats an earlier item's. */
function reportDuplicates<T>(
  items: readonly T[],
  key: (item: T) => string,
  field: string,
  ctx: z.RefinementCtx,
  what = field,
): void {
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    const value = key(item);
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: [index, field],
        message: `duplicate ${what} ${showValue(value)} (also at index ${earlier}); each must be unique`,
      });
  });
}

/** The table list: names unique. */
const TablesSchema = z.array(TableSchema).superRefine((tables, ctx) => {
  reportDuplicates(tables, (t) => t.name, 'name', ctx, 'table name');
});
/** The mapping list: one mapping per table. */
const MappingsSchema = z.array(MappingSchema).superRefine((mappings, ctx) => {
  reportDuplicates(mappings, (m) => m.table, 'table', ctx, 'mapping for table');
});

/** An S3 bucket name as S3 accepts it: 3–63 lowercase letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * An external S3 source of Parquet files (the seed's `[[aws.s3.sources]]`): listed in the catalog
 * with file counts and sizes, readable by the `S3ParquetRead` plan step. Locally the bucket is the
 * directory `THERMOCLINE_HOME/s3/<bucket>/`.
 * @example
 * S3SourceSchema.parse({ bucket: 'analytics-exports', prefix: 'events/', event_type_from_path: true });
 * // { bucket: 'analytics-exports', prefix: 'events/', event_type_from_path: true, pattern: (every .parquet key) }
 */
export const S3SourceSchema = z.strictObject({
  bucket: z
    .string()
    .regex(BUCKET_NAME, {
      error: (issue) =>
        `${showValue(issue.input)} is not an S3 bucket name; use 3-63 lowercase letters, digits, '.' and '-'`,
    })
    .describe('Bucket of the Parquet files.'),
  prefix: z
    .string()
    .default('')
    .refine((prefix) => prefix === '' || prefix.endsWith('/'), {
      error: (issue) => `prefix ${showValue(issue.input)} must be empty or end with '/'`,
    })
    .describe("Key prefix, '' or ending with '/'."),
  pattern: z.string().min(1).default('**/*.parquet').describe('Glob of the keys under the prefix.'),
  event_type_from_path: z
    .boolean()
    .default(false)
    .describe(
      'The first path segment under the prefix is the event type (events/Login/2025-02-15.parquet).',
    ),
});
/** An external S3 source as the platform reads it. */
export type S3SourceConfig = z.output<typeof S3SourceSchema>;

/**
 * Settings of the query side: the result cache, the engines' statement timeouts, how long
 * `POST /plans` waits before answering 202, how many plans run and wait at once, and the Athena
 * price.
 * @example
 * QuerySettingsSchema.parse({}).cache_expire_seconds; // 360000 (100 h, the seed's ATHENA_LOCAL_CACHE_EXPIRE)
 * QuerySettingsSchema.parse({}).lake_statement_timeout_seconds; // 300
 */
export const QuerySettingsSchema = z.strictObject({
  cache_expire_seconds: z
    .int()
    .min(0)
    .default(360_000)
    .describe('Result cache expiry in seconds (0 disables the cache); default 100 h.'),
  statement_timeout_seconds: z
    .number()
    .positive()
    .max(900)
    .default(30)
    .describe('Statement timeout of AuroraQuery steps (PostgreSQL), in seconds.'),
  lake_statement_timeout_seconds: z
    .number()
    .positive()
    .max(840)
    .default(300)
    .describe(
      'Statement timeout of lake queries (Athena, DuckDB locally), in seconds; at most 840 so a ' +
        'query stops within the 15-minute Lambda that runs its step.',
    ),
  wait_seconds: z
    .number()
    .min(0)
    .max(25)
    .default(5)
    .describe('POST /plans answers 200 with results within this, else 202 with the plan id.'),
  max_concurrent_plans: z
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe('Plans the local query service (serve, up) runs at once; the others wait.'),
  max_queued_plans: z
    .int()
    .min(0)
    .max(1000)
    .default(16)
    .describe('Plans that may wait for a run slot; beyond that POST /plans answers 429.'),
  price_per_tb_usd: z
    .number()
    .positive()
    .default(5)
    .describe('Athena price per TB scanned (US$), for estimates and the cost ledger.'),
});
/** The query settings as the platform reads them. */
export type QuerySettings = z.output<typeof QuerySettingsSchema>;

/** The external source list: one entry per bucket and prefix. */
const S3SourcesSchema = z.array(S3SourceSchema).superRefine((sources, ctx) => {
  reportDuplicates(sources, (s) => `${s.bucket}/${s.prefix}`, 'prefix', ctx, 'source');
});

/** The deployment environments, in promotion order. */
export const ENVIRONMENT_NAMES = ['local', 'dev', 'staging', 'prod'] as const;
/** One of {@link ENVIRONMENT_NAMES}. */
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/**
 * The scheduled jobs of an environment: EventBridge rules on AWS (the `crawler` schedule is the
 * Glue crawler's own), the CLI commands locally.
 */
export const SCHEDULE_NAMES = [
  'etl',
  'incremental_sync',
  'full_sync',
  'retention',
  'crawler',
] as const;
/** One of {@link SCHEDULE_NAMES}. */
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const RATE_EXPRESSION = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON_EXPRESSION = /^cron\((.*)\)$/;

/**
 * Why `expression` is not an EventBridge schedule expression EventBridge would accept, or
 * `undefined` when it is one: `cron(min hour day-of-month month day-of-week year)` (6 fields,
 * exactly one of the two day fields `?`) or `rate(N unit)` (singular unit for 1, plural otherwise).
 * @example
 * scheduleExpressionProblem('rate(15 minutes)'); // undefined
 * scheduleExpressionProblem('cron(0 2 * * *)'); // 'has 5 fields; …'
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const cron = CRON_EXPRESSION.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/).filter(Boolean);
    if (fields.length !== 6) {
      return (
        `has ${fields.length} fields; an EventBridge cron takes exactly 6 ` +
        `(minutes hours day-of-month month day-of-week year), e.g. 'cron(0 2 * * ? *)'`
      );
    }
    const [, , dayOfMonth, , dayOfWeek] = fields;
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
      return (
        `has day-of-month '${dayOfMonth}' and day-of-week '${dayOfWeek}'; exactly one of the ` +
        `two must be '?', e.g. 'cron(0 2 * * ? *)'`
      );
    }
    return undefined;
  }
  const rate = RATE_EXPRESSION.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) return 'must have a rate of at least 1, e.g. rate(15 minutes)';
    if ((value === 1) !== !unit.endsWith('s')) {
      return `must use the ${value === 1 ? 'singular' : 'plural'} unit for ${value}, e.g. ${
        value === 1 ? "'rate(1 hour)'" : "'rate(15 minutes)'"
      }`;
    }
    return undefined;
  }
  return (
    `is not an EventBridge schedule expression; write cron(minutes hours day-of-month month ` +
    `day-of-week year) or rate(N minutes|hours|days), e.g. 'cron(0 2 * * ? *)' or 'rate(15 minutes)'`
  );
}

const ScheduleExpressionSchema = z
  .string()
  .superRefine((expression, ctx) => {
    const problem = scheduleExpressionProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: `${showValue(expression)} ${problem}` });
  })
  .describe("EventBridge schedule: 'cron(0 2 * * ? *)' (6 fields, UTC) or 'rate(15 minutes)'.");

const ScheduleObject = z.strictObject({
  expression: ScheduleExpressionSchema,
  enabled: z.boolean().describe('Whether the schedule runs.'),
});

/**
 * The Glacier class lake objects move to first. Athena reads Glacier Instant Retrieval like
 * Standard; objects in Glacier Flexible Retrieval (and Deep Archive) are skipped by queries until
 * restored.
 */
export const ARCHIVE_STORAGE_CLASSES = [
  'glacier_instant_retrieval',
  'glacier_flexible_retrieval',
] as const;

const LifecycleObject = z.strictObject({
  glacier_after_days: z.int().min(0).describe('Lake objects move to Glacier after this many days.'),
  archive_storage_class: z
    .enum(ARCHIVE_STORAGE_CLASSES)
    .describe(
      "Glacier class of that first move: 'glacier_instant_retrieval' (Athena still reads it) or 'glacier_flexible_retrieval' (cheaper; queries skip it until restored).",
    ),
  deep_archive_after_days: z.int().min(1).describe('… then to Glacier Deep Archive.'),
  expire_after_days: z.int().min(1).nullable().describe('… then are deleted (null: never).'),
});

const AcuSchema = z.number().min(0).max(256).multipleOf(0.5);
const AuroraObject = z.strictObject({
  min_acu: AcuSchema.describe('Aurora Serverless v2 minimum ACUs (0 allows auto-pause).'),
  max_acu: AcuSchema.min(1).describe('Aurora Serverless v2 maximum ACUs (1 to 256).'),
});

/**
 * The interface VPC endpoints the Database stack can create, by the AWS service name they front.
 * The functions inside the VPC (export, purge, the secret's rotation) need `secretsmanager` and
 * `glue`; the others are for workloads of your own in the VPC (S3 always has a free gateway
 * endpoint).
 */
export const VPC_ENDPOINT_SERVICES = [
  'secretsmanager',
  'glue',
  'rds-data',
  'athena',
  'states',
  'sns',
  'logs',
  'monitoring',
  'sts',
  'xray',
] as const;
/** One of {@link VPC_ENDPOINT_SERVICES}. */
export type VpcEndpointService = (typeof VPC_ENDPOINT_SERVICES)[number];
/** The endpoints the functions in the VPC cannot work without. */
export const REQUIRED_VPC_ENDPOINTS: readonly VpcEndpointService[] = ['secretsmanager', 'glue'];

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):cluster:([a-z][a-z0-9-]{0,62})$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:.+-[A-Za-z0-9]{6}$/;

const AvailabilityZoneSchema = z.string().regex(AVAILABILITY_ZONE, {
  error: (issue) =>
    `${showValue(issue.input)} is not an availability zone name; write it like 'eu-west-1a'`,
});

const CreateDatabaseObject = z.strictObject({
  vpc_endpoints: z
    .array(z.enum(VPC_ENDPOINT_SERVICES))
    .describe(
      `Interface VPC endpoints to create (about US$0.01 per hour per zone each); must include ${REQUIRED_VPC_ENDPOINTS.join(' and ')}.`,
    ),
  vpc_endpoint_azs: z
    .int()
    .min(1)
    .max(2)
    .describe(
      'Zones each interface endpoint is in: 2 survives a zone outage, 1 halves their cost.',
    ),
  availability_zones: z
    .array(AvailabilityZoneSchema)
    .length(2)
    .nullable()
    .describe(
      "The VPC's two zones, e.g. ['eu-west-1a', 'eu-west-1b'] (required with account and region; null: the region's first two at deploy time).",
    ),
});

const ExistingDatabaseObject = z.strictObject({
  cluster_arn: z
    .string()
    .regex(CLUSTER_ARN, {
      error: (issue) =>
        `${showValue(issue.input)} is not an Aurora cluster ARN; write arn:aws:rds:<region>:<account>:cluster:<identifier>`,
    })
    .describe('The Aurora PostgreSQL cluster (its Data API must be on).'),
  secret_arn: z
    .string()
    .regex(SECRET_ARN, {
      error: (issue) =>
        `${showValue(issue.input)} is not a complete Secrets Manager ARN; copy the full ARN (it ends in '-' and six characters)`,
    })
    .describe(
      'The secret with the credentials the functions use (RDS JSON: host, port, dbname, username, password).',
    ),
  vpc_id: z
    .string()
    .regex(/^vpc-[0-9a-f]{8,17}$/, {
      error: (issue) =>
        `${showValue(issue.input)} is not a VPC id; write it like 'vpc-0123456789abcdef0'`,
    })
    .describe('The VPC the cluster is in.'),
  subnet_ids: z
    .array(
      z.string().regex(/^subnet-[0-9a-f]{8,17}$/, {
        error: (issue) =>
          `${showValue(issue.input)} is not a subnet id; write it like 'subnet-0123456789abcdef0'`,
      }),
    )
    .min(1)
    .describe(
      'Private subnets (one per zone) the export and purge functions run in; they must reach the cluster, Secrets Manager, Glue and S3.',
    ),
  availability_zones: z
    .array(AvailabilityZoneSchema)
    .min(1)
    .describe('The zones of subnet_ids, in the same order.'),
  security_group_id: z
    .string()
    .regex(/^sg-[0-9a-f]{8,17}$/, {
      error: (issue) =>
        `${showValue(issue.input)} is not a security group id; write it like 'sg-0123456789abcdef0'`,
    })
    .describe("The security group the functions join; the cluster's must admit it on 5432."),
  cluster_identifier: z
    .string()
    .optional()
    .describe("The cluster's identifier (default: the last part of cluster_arn)."),
  database_name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, {
      error: (issue) => `${showValue(issue.input)} is not a PostgreSQL database name`,
    })
    .optional()
    .describe("The database in the cluster (default 'thermocline')."),
});

const DatabaseObject = z.strictObject({
  create: CreateDatabaseObject.optional(),
  existing: ExistingDatabaseObject.optional(),
});

/** `database.create` or `database.existing` of one environment, checked on its own. */
function checkDatabase(
  database: z.output<typeof DatabaseObject>,
  ctx: z.core.$RefinementCtx,
): void {
  if ((database.create === undefined) === (database.existing === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'give exactly one of create (a new VPC and Aurora cluster) or existing (cluster_arn, ' +
        'secret_arn, vpc_id, subnet_ids, availability_zones, security_group_id)',
    });
    return;
  }
  if (database.create) {
    const missing = REQUIRED_VPC_ENDPOINTS.filter(
      (s) => !database.create?.vpc_endpoints.includes(s),
    );
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['create', 'vpc_endpoints'],
        message:
          `lacks ${missing.map((s) => `'${s}'`).join(' and ')}: the export, purge and rotation ` +
          `functions in the VPC call Secrets Manager and Glue; add ${missing.map((s) => `'${s}'`).join(', ')}`,
      });
    }
  }
  const existing = database.existing;
  if (existing) {
    if (existing.subnet_ids.length !== existing.availability_zones.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['existing', 'availability_zones'],
        message:
          `has ${existing.availability_zones.length} zones for ${existing.subnet_ids.length} ` +
          `subnets; list the zone of each subnet in subnet_ids, in the same order`,
      });
    }
    const id = CLUSTER_ARN.exec(existing.cluster_arn)?.[3];
    if (id && existing.cluster_identifier !== undefined && existing.cluster_identifier !== id) {
      ctx.addIssue({
        code: 'custom',
        path: ['existing', 'cluster_identifier'],
        message: `'${existing.cluster_identifier}' is not the identifier in cluster_arn ('${id}'); drop it or make them agree`,
      });
    }
  }
}

/**
 * The identifier, region and account of an existing cluster's ARN.
 * @example
 * clusterArnParts('arn:aws:rds:eu-west-1:123456789012:cluster:pg'); // { region: 'eu-west-1', account: '123456789012', identifier: 'pg' }
 */
export function clusterArnParts(
  arn: string,
): { region: string; account: string; identifier: string } | undefined {
  const match = CLUSTER_ARN.exec(arn);
  if (!match) return undefined;
  return { region: match[1]!, account: match[2]!, identifier: match[3]! };
}

/** The fields of one environment without the cross-field rules, so patches can reuse them. */
const environmentShape = {
  scan_cutoff_gb: z
    .number()
    .positive()
    .describe('Athena workgroup bytes-scanned cutoff per query, in GB.'),
  schedules: z.strictObject(
    Object.fromEntries(SCHEDULE_NAMES.map((name) => [name, ScheduleObject])) as Record<
      ScheduleName,
      typeof ScheduleObject
    >,
  ),
  lifecycle: LifecycleObject.superRefine((lifecycle, ctx) => {
    const steps = [
      ['glacier_after_days', lifecycle.glacier_after_days],
      ['deep_archive_after_days', lifecycle.deep_archive_after_days],
      ['expire_after_days', lifecycle.expire_after_days],
    ] as const;
    for (let i = 1; i < steps.length; i++) {
      const [previousKey, previous] = steps[i - 1]!;
      const [key, days] = steps[i]!;
      if (days !== null && previous !== null && days <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            `${key} (${days}) must be greater than ${previousKey} (${previous}): lake objects ` +
            `move Standard → Glacier → Deep Archive → deleted, so the days must increase`,
        });
      }
    }
  }),
  aurora: AuroraObject.superRefine((aurora, ctx) => {
    if (aurora.min_acu > aurora.max_acu) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_acu'],
        message: `min_acu (${aurora.min_acu}) must not exceed max_acu (${aurora.max_acu})`,
      });
    }
  }),
  alert_email: z
    .email({ error: (issue) => `${showValue(issue.input)} is not an email address` })
    .nullable()
    .describe('Address subscribed to the SNS alerts topic (null: no subscription).'),
  deletion_protection: z.boolean().describe('Protect the database and lake from deletion.'),
  etl_concurrency: z
    .int()
    .min(1)
    .max(40)
    .describe('Table-days the ETL exports at once (the Map state’s MaxConcurrency), 1 to 40.'),
  replication_bucket: z
    .string()
    .regex(BUCKET_NAME, {
      error: (issue) =>
        `${showValue(issue.input)} is not an S3 bucket name; use 3-63 lowercase letters, digits, '.' and '-'`,
    })
    .nullable()
    .describe(
      'A versioned bucket in another region the lake replicates to (null: no replication).',
    ),
  log_retention_days: z
    .literal(LOG_RETENTION_DAYS)
    .describe('CloudWatch Logs retention of every function, in days.'),
  account: z
    .string()
    .regex(ACCOUNT_ID, {
      error: (issue) => `${showValue(issue.input)} is not an AWS account id; write its 12 digits`,
    })
    .nullable()
    .describe(
      'The AWS account the stacks deploy to (null: any; cdk deploy with other credentials fails).',
    ),
  region: z
    .string()
    .regex(REGION, {
      error: (issue) => `${showValue(issue.input)} is not an AWS region; write it like 'eu-west-1'`,
    })
    .nullable()
    .describe("The AWS region the stacks deploy to (null: the credentials' region)."),
  database: DatabaseObject.superRefine(checkDatabase).describe(
    'The hot tier: {create: {...}} a new VPC and Aurora cluster, or {existing: {...}} yours.',
  ),
};

/**
 * One environment's settings, resolved: schedules, lake lifecycle, Aurora capacity, alerts,
 * protection and the Athena scan cutoff.
 * @example
 * EnvironmentSchema.parse(DEFAULT_ENVIRONMENTS.prod).aurora.max_acu; // 16
 */
export const EnvironmentSchema = z.strictObject(environmentShape).superRefine((env, ctx) => {
  if ((env.account === null) !== (env.region === null)) {
    ctx.addIssue({
      code: 'custom',
      path: [env.account === null ? 'account' : 'region'],
      message: 'account and region pin the environment together: give both, or neither',
    });
  }
  if (
    env.account !== null &&
    env.database.create &&
    env.database.create.availability_zones === null
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['database', 'create', 'availability_zones'],
      message:
        `is needed when the environment is pinned to an account (synthesis makes no lookups); ` +
        `give the VPC's two zones, e.g. ['${env.region ?? 'eu-west-1'}a', '${env.region ?? 'eu-west-1'}b']`,
    });
  }
  const existing = env.database.existing;
  const arn = existing ? clusterArnParts(existing.cluster_arn) : undefined;
  if (arn && env.account !== null && (arn.account !== env.account || arn.region !== env.region)) {
    ctx.addIssue({
      code: 'custom',
      path: ['database', 'existing', 'cluster_arn'],
      message:
        `is in ${arn.account}/${arn.region}, not the environment's ${env.account}/${env.region ?? ''}; ` +
        'the functions reach the cluster in their own account and region only',
    });
  }
});
/** One environment's settings as the platform reads them. */
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
/** One scheduled job: its EventBridge expression and whether it runs. */
export type ScheduleConfig = z.output<typeof ScheduleObject>;
/** The S3 lifecycle of the lake, in days since an object was written. */
export type LifecycleConfig = EnvironmentConfig['lifecycle'];
/** Aurora Serverless v2 capacity. */
export type AuroraConfig = EnvironmentConfig['aurora'];
/** The hot tier of one environment: a new one, or an existing one imported. */
export type DatabaseConfig = EnvironmentConfig['database'];
/** An existing cluster, secret and network the stacks import. */
export type ExistingDatabaseConfig = NonNullable<DatabaseConfig['existing']>;
/** The new VPC and cluster the stacks create. */
export type CreateDatabaseConfig = NonNullable<DatabaseConfig['create']>;

/**
 * What a user may write for one environment: any subset of {@link EnvironmentSchema}'s fields, at
 * any depth, deep-merged over that environment's defaults. Cross-field rules (lifecycle order,
 * `min_acu ≤ max_acu`) are checked on the merged result.
 * @example
 * EnvironmentPatchSchema.parse({ aurora: { max_acu: 32 } });
 */
export const EnvironmentPatchSchema = z.strictObject({
  scan_cutoff_gb: environmentShape.scan_cutoff_gb.optional(),
  schedules: z
    .strictObject(
      Object.fromEntries(
        SCHEDULE_NAMES.map((name) => [name, ScheduleObject.partial().optional()]),
      ) as Record<ScheduleName, z.ZodOptional<ReturnType<typeof ScheduleObject.partial>>>,
    )
    .optional(),
  lifecycle: LifecycleObject.partial().optional(),
  aurora: AuroraObject.partial().optional(),
  alert_email: environmentShape.alert_email.optional(),
  deletion_protection: environmentShape.deletion_protection.optional(),
  etl_concurrency: environmentShape.etl_concurrency.optional(),
  replication_bucket: environmentShape.replication_bucket.optional(),
  log_retention_days: environmentShape.log_retention_days.optional(),
  account: environmentShape.account.optional(),
  region: environmentShape.region.optional(),
  database: z
    .strictObject({
      create: CreateDatabaseObject.partial().optional(),
      existing: ExistingDatabaseObject.optional(),
    })
    .optional()
    .describe(
      '{create: {...}} patches the default (a new VPC and cluster); {existing: {...}} replaces it.',
    ),
});
/** A partial environment as written in the config file. */
export type EnvironmentPatch = z.output<typeof EnvironmentPatchSchema>;

/**
 * The resolved configuration every part of the platform reads: tables, sync mappings and the four
 * environments, every default applied and every rule checked.
 * @example
 * const config: ThermoclineConfig = ThermoclineConfigSchema.parse(resolved);
 */
export const ThermoclineConfigSchema = z.strictObject({
  use_sample_defaults: z.boolean(),
  tables: TablesSchema,
  mappings: MappingsSchema,
  s3_sources: S3SourcesSchema,
  query: QuerySettingsSchema,
  environments: z.strictObject(
    Object.fromEntries(ENVIRONMENT_NAMES.map((name) => [name, EnvironmentSchema])) as Record<
      EnvironmentName,
      typeof EnvironmentSchema
    >,
  ),
});
/** The resolved configuration (see {@link ThermoclineConfigSchema}). */
export type ThermoclineConfig = z.output<typeof ThermoclineConfigSchema>;

/**
 * The configuration file (`thermocline.config.json`) as users write it. Every key is optional;
 * tables and mappings are complete entries (their own defaults apply), environments are patches.
 * @example
 * ConfigFileSchema.parse({ environments: { prod: { scan_cutoff_gb: 20 } } });
 */
export const ConfigFileSchema = z.strictObject({
  $schema: z.string().optional().describe('JSON Schema of this file, for editor completion.'),
  use_sample_defaults: z
    .boolean()
    .optional()
    .describe(
      "Start from the sample tables and mappings (default true); the file's entries replace same-named ones.",
    ),
  tables: TablesSchema.optional().describe('Time-series tables tiered to the lake by day.'),
  mappings: MappingsSchema.optional().describe(
    'Sync mappings of reference tables (one per table).',
  ),
  s3_sources: S3SourcesSchema.optional().describe(
    'External S3 sources of Parquet files (replace the sample source when given).',
  ),
  query: QuerySettingsSchema.optional().describe('Result cache, timeouts, Athena price.'),
  environments: z
    .strictObject(
      Object.fromEntries(
        ENVIRONMENT_NAMES.map((name) => [name, EnvironmentPatchSchema.optional()]),
      ) as Record<EnvironmentName, z.ZodOptional<typeof EnvironmentPatchSchema>>,
    )
    .optional()
    .describe('Per-environment settings, deep-merged over the defaults.'),
});
/** The configuration file as users write it (see {@link ConfigFileSchema}). */
export type ThermoclineConfigFile = z.input<typeof ConfigFileSchema>;
