/**
 * The stacks of one environment, built from the validated configuration. `bin/thermocline.ts`
 * reads the context and the config file and calls {@link addThermoclineStacks}; tests call it
 * with a config of their own.
 */
import { Validations, type App, type Environment } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { environmentConfig } from '#core/config/resolve';
import type {
  EnvironmentConfig,
  ExistingDatabaseConfig,
  ThermoclineConfig,
} from '#core/config/schema';
import { UsageError } from '#core/errors';
import { retentionDays } from './constructs/log-retention';
import { DatabaseStack, type ExistingDatabase } from './database-stack';
import { MonitoringStack } from './monitoring-stack';
import { PipelineStack } from './pipeline-stack';
import { QueryStack } from './query-stack';
import { DEPLOY_ENVIRONMENTS, StorageStack, type DeployEnvironmentName } from './storage-stack';

/** What {@link addThermoclineStacks} needs. */
export interface ThermoclineStacksOptions {
  /** The `-c env=…` value: `dev`, `staging` or `prod`; anything else is rejected. */
  readonly envName: unknown;
  /** The resolved configuration (`loadConfig`); its `environments[envName]` is used. */
  readonly config: ThermoclineConfig;
  /**
   * Run the cdk-nag AwsSolutions checks when the app is synthesized (findings fail the synth).
   * @default true - the checks run
   */
  readonly nag?: boolean;
  /**
   * The architecture of the functions that run DuckDB (`-c duckdbArch=arm64`): arm64 needs the
   * linux-arm64 DuckDB binding installed for the build.
   * @default 'x86_64'
   */
  readonly duckDbArchitecture?: 'x86_64' | 'arm64';
}

/** The stacks of one environment. */
export interface ThermoclineStacks {
  /** The environment the stacks were built for. */
  readonly envName: DeployEnvironmentName;
  /** `Thermocline-<env>-Storage`. */
  readonly storage: StorageStack;
  /** `Thermocline-<env>-Database`. */
  readonly database: DatabaseStack;
  /** `Thermocline-<env>-Monitoring`. */
  readonly monitoring: MonitoringStack;
  /** `Thermocline-<env>-Pipeline`. */
  readonly pipeline: PipelineStack;
  /** `Thermocline-<env>-Query`. */
  readonly query: QueryStack;
}

/**
 * `value` as a deployable environment name.
 * @throws UsageError naming the value and the allowed ones.
 * @example
 * deployEnvironmentName('prod'); // 'prod'
 * deployEnvironmentName('qa'); // throws: env 'qa' is not a deployable environment; …
 */
export function deployEnvironmentName(value: unknown): DeployEnvironmentName {
  if ((DEPLOY_ENVIRONMENTS as readonly unknown[]).includes(value)) {
    return value as DeployEnvironmentName;
  }
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  throw new UsageError(
    `env ${shown} is not a deployable environment; allowed: ${DEPLOY_ENVIRONMENTS.join(', ')} ` +
      `(pass -c env=dev, -c env=staging or -c env=prod; dev when omitted)`,
  );
}

/** The Database stack's `existing` prop from the config's `database.existing`. */
function existingDatabase(
  existing: ExistingDatabaseConfig | undefined,
): ExistingDatabase | undefined {
  if (!existing) return undefined;
  return {
    clusterArn: existing.cluster_arn,
    secretArn: existing.secret_arn,
    vpcId: existing.vpc_id,
    subnetIds: existing.subnet_ids,
    availabilityZones: existing.availability_zones,
    securityGroupId: existing.security_group_id,
    clusterIdentifier: existing.cluster_identifier,
    databaseName: existing.database_name,
  };
}

/** The stack name of one of an environment's stacks, e.g. `Thermocline-dev-Storage`. */
export function stackName(envName: DeployEnvironmentName, part: string): string {
  return `Thermocline-${envName}-${part}`;
}

/**
 * Adds the stacks of environment `envName` to `app`, configured from
 * `config.environments[envName]`, and registers the cdk-nag AwsSolutions checks on the app.
 * Stacks are environment-agnostic unless the environment's config gives `account` and `region`,
 * which pin every stack's `env`; they read no context. The stateful stacks
 * (storage, database) are always termination-protected in prod, and in other environments when
 * their `deletion_protection` is on; the stateless monitoring and pipeline stacks never are.
 * @throws UsageError when `envName` is not `dev`, `staging` or `prod`.
 * @example
 * const app = new App();
 * addThermoclineStacks(app, { envName: 'dev', config: defaultConfig() });
 * app.synth();
 */
export function addThermoclineStacks(
  app: App,
  options: ThermoclineStacksOptions,
): ThermoclineStacks {
  const envName = deployEnvironmentName(options.envName);
  const environment = environmentConfig(options.config, envName);
  // Pinned (account and region in the config): `cdk deploy` with other credentials fails before
  // any change, and nothing is looked up (the VPC's zones come from the config).
  const env =
    environment.account !== null && environment.region !== null
      ? { account: environment.account, region: environment.region }
      : undefined;
  const context: StackContext = { app, envName, config: options.config, environment, env };

  const storage = addStorageStack(context);
  const database = addDatabaseStack(context);

  // Stateless: never termination-protected. It reads the other stacks' resources by name only;
  // the lake bucket's generated name is the one cross-stack reference.
  const monitoring = new MonitoringStack(app, stackName(envName, 'Monitoring'), {
    env,
    envName,
    lakeBucketName: storage.lakeBucket.bucketName,
    workgroupName: storage.workgroupName,
    clusterIdentifier: database.clusterIdentifier,
    alertEmail: environment.alert_email,
    scanCutoffGB: environment.scan_cutoff_gb,
  });

  const pipeline = addPipelineStack(
    context,
    { storage, database, monitoring },
    options.duckDbArchitecture,
  );

  // Stateless: the query API, its functions and the plan state machine.
  const query = new QueryStack(app, stackName(envName, 'Query'), {
    env,
    envName,
    config: options.config,
    storage,
    database,
    monitoring,
    logRetention: retentionDays(environment.log_retention_days),
  });

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { envName, storage, database, monitoring, pipeline, query };
}

/** What each of an environment's stacks is built from. */
interface StackContext {
  readonly app: App;
  readonly envName: DeployEnvironmentName;
  readonly config: ThermoclineConfig;
  /** `config.environments[envName]`. */
  readonly environment: EnvironmentConfig;
  /** Every stack's `env`: the config's account and region when it gives both. */
  readonly env: Environment | undefined;
}

/**
 * The stateful stacks are termination-protected in prod, and in other environments when their
 * `deletion_protection` is on.
 */
function terminationProtection({ envName, environment }: StackContext): boolean {
  return envName === 'prod' || environment.deletion_protection;
}

/** `Thermocline-<env>-Storage`: the lake, its lifecycle, the catalog, the crawler. */
function addStorageStack(context: StackContext): StorageStack {
  const { app, envName, environment, env } = context;
  return new StorageStack(app, stackName(envName, 'Storage'), {
    env,
    envName,
    scanCutoffGB: environment.scan_cutoff_gb,
    glacierAfterDays: environment.lifecycle.glacier_after_days,
    archiveStorageClass:
      environment.lifecycle.archive_storage_class === 'glacier_flexible_retrieval'
        ? s3.StorageClass.GLACIER
        : s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
    replicationBucketName: environment.replication_bucket,
    crawlerTableNames: context.config.tables.map((table) => table.name),
    crawlerScheduleExpression: environment.schedules.crawler.enabled
      ? environment.schedules.crawler.expression
      : undefined,
    deepArchiveAfterDays: environment.lifecycle.deep_archive_after_days,
    expireAfterDays: environment.lifecycle.expire_after_days,
    deletionProtection: environment.deletion_protection,
    terminationProtection: terminationProtection(context),
  });
}

/** `Thermocline-<env>-Database`: the network and Aurora cluster, or the existing ones imported. */
function addDatabaseStack(context: StackContext): DatabaseStack {
  const { app, envName, environment, env } = context;
  return new DatabaseStack(app, stackName(envName, 'Database'), {
    env,
    envName,
    existing: existingDatabase(environment.database.existing),
    vpcEndpoints: environment.database.create?.vpc_endpoints,
    vpcEndpointAzs: environment.database.create?.vpc_endpoint_azs,
    availabilityZones: environment.database.create?.availability_zones ?? undefined,
    minCapacityAcu: environment.aurora.min_acu,
    maxCapacityAcu: environment.aurora.max_acu,
    deletionProtection: environment.deletion_protection,
    logRetention: retentionDays(environment.log_retention_days),
    terminationProtection: terminationProtection(context),
  });
}

/** `Thermocline-<env>-Pipeline` (stateless): the ETL functions, state machine and schedule. */
function addPipelineStack(
  context: StackContext,
  stacks: {
    readonly storage: StorageStack;
    readonly database: DatabaseStack;
    readonly monitoring: MonitoringStack;
  },
  duckDbArchitecture: ThermoclineStacksOptions['duckDbArchitecture'],
): PipelineStack {
  const { app, envName, environment, env } = context;
  return new PipelineStack(app, stackName(envName, 'Pipeline'), {
    env,
    envName,
    config: context.config,
    ...stacks,
    logRetention: retentionDays(environment.log_retention_days),
    etlScheduleExpression: environment.schedules.etl.expression,
    etlScheduleEnabled: environment.schedules.etl.enabled,
    schedules: environment.schedules,
    duckDbArchitecture:
      duckDbArchitecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
  });
}
