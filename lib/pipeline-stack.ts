/**
 * The stateless pipeline of one environment: the ETL's Lambda functions, the ETL state machine
 * deployed from the same ASL the local runtime runs, and its schedule.
 */
import { join, resolve } from 'node:path';
import { CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { ThermoclineConfig } from '#core/config/schema';
import { encodeConfigForEnv } from '#core/config/transport';
import { functionEnvironment } from '#core/contracts/function-environment';
import { REFERENCE_TABLE_PREFIX } from '#core/contracts/lake-names';
import {
  ETL_DEFINITION,
  ETL_PLACEHOLDERS,
  RETENTION_DEFINITION,
  RETENTION_PLACEHOLDERS,
  SYNC_DEFINITION,
  SYNC_PLACEHOLDERS,
} from '#etl/state-machines/index';
import type { ScheduleConfig } from '#core/config/schema';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ScheduledJob } from './constructs/scheduled-job';
import { DUCKDB_MODULE, DuckDbLayer } from './constructs/duckdb-layer';
import { acknowledgeWildcardResource, glueTablesArn } from './constructs/nag-acknowledgements';
import {
  ThermoclineFunction,
  type ThermoclineFunctionProps,
} from './constructs/thermocline-function';
import type { DatabaseStack } from './database-stack';
import type { MonitoringStack } from './monitoring-stack';
import type { DeployEnvironmentName, StorageStack } from './storage-stack';

/** The repository root, where `lambdas/` lives. */
const ROOT = resolve(__dirname, '..');

/**
 * Bytes of `THERMOCLINE_CONFIG_JSON` allowed: Lambda caps all of a function's variables at 4 KB
 * together, and the other variables (ARNs, bucket and database names, Node options) take up to
 * about 1 KB.
 */
export const CONFIG_JSON_MAX_BYTES = 3072;

/** Properties of a {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The environment: names the functions, state machine and rule (`thermocline-<env>-…`). */
  readonly envName: DeployEnvironmentName;
  /** The resolved configuration; its `tables` reach the functions as `THERMOCLINE_CONFIG_JSON`. */
  readonly config: ThermoclineConfig;
  /** The environment's storage: lake bucket (`grantLakeReadWrite`) and Glue database (`grantCatalogWrite`). */
  readonly storage: StorageStack;
  /** The environment's database: VPC, client security group and secret. */
  readonly database: DatabaseStack;
  /** The environment's monitoring: the alert topic the state machine publishes failures to. */
  readonly monitoring: MonitoringStack;
  /**
   * How long the functions' and the state machine's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH - logs are deleted after 30 days
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * When the ETL runs: an EventBridge schedule expression (UTC).
   * @default 'cron(0 2 * * ? *)' - every night at 02:00 UTC
   */
  readonly etlScheduleExpression?: string;
  /**
   * Whether the ETL's schedule is on. Off, the rule exists but does not start the state machine.
   * @default true - the ETL runs on its schedule
   */
  readonly etlScheduleEnabled?: boolean;
  /**
   * The other jobs' schedules (`schedules.incremental_sync`, `full_sync`, `retention` of the
   * config): expression and whether it is on.
   * @default - incremental sync every 15 minutes, full sync at 03:00 UTC, retention at 04:00 UTC, all on
   */
  readonly schedules?: Partial<
    Record<'incremental_sync' | 'full_sync' | 'retention', ScheduleConfig>
  >;
  /**
   * The architecture of the functions that run DuckDB (export, sync) and of their DuckDB layer.
   * arm64 needs `@duckdb/node-bindings-linux-arm64` installed for the build (see DuckDbLayer).
   * @default lambda.Architecture.X86_64 - the binding npm installs on the x86_64 build machines
   */
  readonly duckDbArchitecture?: lambda.Architecture;
}

/** The RDS CA bundle the Lambda runtime ships, so pg verifies Aurora's certificate. */
const RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/** The default schedules of the sync and retention jobs. */
const DEFAULT_JOB_SCHEDULES: Record<
  'incremental_sync' | 'full_sync' | 'retention',
  ScheduleConfig
> = {
  incremental_sync: { expression: 'rate(15 minutes)', enabled: true },
  full_sync: { expression: 'cron(0 3 * * ? *)', enabled: true },
  retention: { expression: 'cron(0 4 * * ? *)', enabled: true },
};

/**
 * The pipeline stack of one environment (`Thermocline-<env>-Pipeline`):
 * - `PlanFunction` (`thermocline-<env>-etl-plan`, `lambdas/etl-plan.ts`): arm64, 256 MiB, 30 s;
 * - `ExportFunction` (`thermocline-<env>-etl-export`, `lambdas/etl-export.ts`): 3008 MiB, 15 min,
 *   with DuckDB from `DuckDbLayer`. **x86_64 for now**: DuckDB is a native binary and only its
 *   linux-x64 binding is installed on the build machines (npm installs the running machine's
 *   binding only); arm64 needs `@duckdb/node-bindings-linux-arm64` installed for the build, the
 *   next step (see {@link DuckDbLayer});
 * - `EtlStateMachine` (`thermocline-<env>-etl`): `etl/state-machines/etl.asl.json` unchanged, its
 *   `${…}` placeholders filled by `DefinitionSubstitutions`; logs (level ALL) and X-Ray tracing;
 * - `EtlSchedule` (`thermocline-<env>-etl`): the EventBridge rule that starts it with `{}`.
 *
 * Both functions run in the Database stack's isolated subnets with its client security group and
 * read the tables from `THERMOCLINE_CONFIG_JSON`. Least privilege: the plan role has nothing
 * beyond its logs, traces and network interfaces; the export role reads and writes the lake,
 * writes the environment's Glue database and reads the database secret; the state machine may
 * invoke the two functions and publish to the alert topic. Stateless: never termination-protected.
 * @example
 * new PipelineStack(app, 'Thermocline-dev-Pipeline', {
 *   envName: 'dev',
 *   config,
 *   storage,
 *   database,
 *   monitoring,
 *   logRetention: logs.RetentionDays.ONE_MONTH,
 *   etlScheduleExpression: 'cron(0 2 * * ? *)',
 * });
 */
/** What the ETL, sync and retention jobs of the stack are built from. */
interface JobContext {
  readonly props: PipelineStackProps;
  /** `thermocline-<env>`: the functions', machines' and rules' names. */
  readonly prefix: string;
  readonly logRetention: logs.RetentionDays;
  readonly configJson: string;
  /** Function options outside the VPC (the Data API, AWS APIs). */
  readonly network: { readonly logRetention: logs.RetentionDays };
  /** Function options in the VPC (direct PostgreSQL connections). */
  readonly inVpc: Pick<
    ThermoclineFunctionProps,
    'vpc' | 'vpcSubnets' | 'securityGroups' | 'logRetention'
  >;
  readonly schedules: Record<'incremental_sync' | 'full_sync' | 'retention', ScheduleConfig>;
}

export class PipelineStack extends Stack {
  /** The PlanRun task's function. */
  readonly planFunction: ThermoclineFunction;
  /** The ExportTableDay task's function. */
  readonly exportFunction: ThermoclineFunction;
  /** DuckDB for the export function. */
  readonly duckDbLayer: DuckDbLayer;
  /** The ETL state machine, `thermocline-<env>-etl`. */
  readonly etlStateMachine: sfn.StateMachine;
  /** The ETL state machine's log group. */
  readonly etlLogGroup: logs.LogGroup;
  /** The rule that starts the ETL on its schedule. */
  readonly etlSchedule: events.Rule;
  /** The sync state machine's PlanSync function. */
  readonly syncPlanFunction: ThermoclineFunction;
  /** The sync state machine's SyncMapping function. */
  readonly syncFunction: ThermoclineFunction;
  /** The sync state machine, `thermocline-<env>-sync` (input `{mode}`). */
  readonly syncStateMachine: sfn.StateMachine;
  /** The rules that start the incremental and the full sync. */
  readonly syncSchedules: { readonly incremental: events.Rule; readonly full: events.Rule };
  /** The retention state machine's PlanPurge function. */
  readonly retentionPlanFunction: ThermoclineFunction;
  /** The retention state machine's PurgeTable function. */
  readonly purgeFunction: ThermoclineFunction;
  /** The retention state machine, `thermocline-<env>-retention`. */
  readonly retentionStateMachine: sfn.StateMachine;
  /** The rule that starts retention on its schedule. */
  readonly retentionSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, {
      description: `Thermocline ${props.envName}: ETL functions, state machine and schedule (stateless)`,
      ...props,
    });
    Tags.of(this).add('thermocline:environment', props.envName);
    const prefix = `thermocline-${props.envName}`;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const { storage, database } = props;
    const configJson = functionConfigJson(props.config, props.envName);
    // Only the functions that connect to PostgreSQL directly (COPY, the purge's transactions)
    // run in the VPC; the rest reach Aurora through the Data API, and AWS without endpoints.
    const network = { logRetention };
    const inVpc = {
      vpc: database.vpc,
      vpcSubnets: database.functionSubnets,
      securityGroups: [database.dbClientSecurityGroup],
      logRetention,
    };
    const job: JobContext = {
      props,
      prefix,
      logRetention,
      configJson,
      network,
      inVpc,
      schedules: { ...DEFAULT_JOB_SCHEDULES, ...props.schedules },
    };

    const etl = this.addEtl(job);
    this.duckDbLayer = etl.duckDbLayer;
    this.planFunction = etl.planFunction;
    this.exportFunction = etl.exportFunction;
    this.etlStateMachine = etl.etlStateMachine;
    this.etlLogGroup = etl.etlLogGroup;
    this.etlSchedule = etl.etlSchedule;

    const sync = this.addSync(job, etl.duckDbLayer);
    this.syncPlanFunction = sync.syncPlanFunction;
    this.syncFunction = sync.syncFunction;
    this.syncStateMachine = sync.syncStateMachine;
    this.syncSchedules = sync.syncSchedules;

    const retention = this.addRetention(job);
    this.retentionPlanFunction = retention.retentionPlanFunction;
    this.purgeFunction = retention.purgeFunction;
    this.retentionStateMachine = retention.retentionStateMachine;
    this.retentionSchedule = retention.retentionSchedule;

    this.acknowledgeFindings(storage);

    new CfnOutput(this, 'EtlStateMachineArn', {
      description: 'The ETL state machine (aws stepfunctions start-execution --input {}).',
      value: this.etlStateMachine.stateMachineArn,
    });
  }

  /** The ETL: PlanRun and ExportTableDay (in the VPC: COPY), its state machine and schedule. */
  private addEtl(job: JobContext) {
    const { props, prefix, logRetention, configJson, network, inVpc } = job;
    const { storage, database, monitoring } = props;
    const planFunction = new ThermoclineFunction(this, 'PlanFunction', {
      ...network,
      entry: join(ROOT, 'lambdas', 'etl-plan.ts'),
      functionName: `${prefix}-etl-plan`,
      description: 'Thermocline ETL PlanRun: the table-days to export',
      timeoutSec: 30,
      memoryMiB: 256,
      environment: functionEnvironment('etl-plan', {
        THERMOCLINE_CONFIG_JSON: configJson,
        THERMOCLINE_ENVIRONMENT: props.envName,
      }),
    });

    const duckDbLayer = new DuckDbLayer(this, 'DuckDbLayer', {
      architecture: props.duckDbArchitecture,
    });
    const exportFunction = new ThermoclineFunction(this, 'ExportFunction', {
      ...inVpc,
      entry: join(ROOT, 'lambdas', 'etl-export.ts'),
      functionName: `${prefix}-etl-export`,
      description: 'Thermocline ETL ExportTableDay: one table-day to Parquet, published in Glue',
      // x86_64 until the arm64 DuckDB binding is part of the build (see DuckDbLayer).
      architecture: duckDbLayer.architecture,
      timeoutSec: 900,
      memoryMiB: 3008,
      externalModules: [DUCKDB_MODULE],
      layers: [duckDbLayer.layer],
      environment: functionEnvironment('etl-export', {
        THERMOCLINE_CONFIG_JSON: configJson,
        THERMOCLINE_ENVIRONMENT: props.envName,
        DATABASE_SECRET_ARN: database.secret.secretArn,
        LAKE_BUCKET: storage.lakeBucket.bucketName,
        GLUE_DATABASE: storage.glueDatabaseName,
        // The RDS CA bundle the Lambda runtime ships, so pg verifies Aurora's certificate.
        NODE_EXTRA_CA_CERTS: RDS_CA_BUNDLE,
      }),
    });
    storage.grantLakeReadWrite(exportFunction);
    storage.grantCatalogWrite(exportFunction);
    database.grantSecretRead(exportFunction);

    const etl = new ScheduledJob(this, 'EtlStateMachine', {
      stateMachineName: `${prefix}-etl`,
      definition: ETL_DEFINITION,
      placeholders: ETL_PLACEHOLDERS,
      tasks: { PlanFunctionArn: planFunction, ExportFunctionArn: exportFunction },
      alerts: monitoring,
      comment: 'Thermocline nightly ETL (etl/state-machines/etl.asl.json)',
      logRetention,
      schedules: {
        EtlSchedule: {
          ruleName: `${prefix}-etl`,
          description: `Starts the ${props.envName} ETL (schedules.etl in the config)`,
          expression: props.etlScheduleExpression ?? 'cron(0 2 * * ? *)',
          enabled: props.etlScheduleEnabled ?? true,
          input: {},
        },
      },
    });
    return {
      duckDbLayer,
      planFunction,
      exportFunction,
      etlStateMachine: etl.stateMachine,
      etlLogGroup: etl.logGroup,
      etlSchedule: etl.schedules['EtlSchedule']!,
    };
  }

  /** The sync: PlanSync and SyncMapping (the Data API, DuckDB), its state machine and schedules. */
  private addSync(job: JobContext, duckDbLayer: DuckDbLayer) {
    const { props, prefix, logRetention, configJson, network, schedules } = job;
    const { storage, database, monitoring } = props;
    // Sync: reads Aurora through the Data API (no COPY there), writes the ref_* tables with DuckDB.
    const syncPlanFunction = new ThermoclineFunction(this, 'SyncPlanFunction', {
      ...network,
      entry: join(ROOT, 'lambdas', 'sync.ts'),
      handler: 'planHandler',
      functionName: `${prefix}-sync-plan`,
      description: 'Thermocline sync PlanSync: the mappings to sync in this mode',
      // One bundle with the sync: it loads DuckDB at start, so it runs where the layer does.
      architecture: duckDbLayer.architecture,
      timeoutSec: 30,
      memoryMiB: 256,
      externalModules: [DUCKDB_MODULE],
      layers: [duckDbLayer.layer],
      environment: functionEnvironment('sync-plan', {
        THERMOCLINE_CONFIG_JSON: configJson,
        THERMOCLINE_ENVIRONMENT: props.envName,
      }),
    });
    const syncFunction = new ThermoclineFunction(this, 'SyncFunction', {
      ...network,
      entry: join(ROOT, 'lambdas', 'sync.ts'),
      functionName: `${prefix}-sync`,
      description: "Thermocline SyncMapping: a reference table's changes to its lake table",
      architecture: duckDbLayer.architecture,
      timeoutSec: 900,
      memoryMiB: 2048,
      externalModules: [DUCKDB_MODULE],
      layers: [duckDbLayer.layer],
      environment: functionEnvironment('sync', {
        THERMOCLINE_CONFIG_JSON: configJson,
        THERMOCLINE_ENVIRONMENT: props.envName,
        DATABASE_RESOURCE_ARN: database.clusterArn,
        DATABASE_SECRET_ARN: database.secret.secretArn,
        DATABASE_NAME: database.databaseName,
        LAKE_BUCKET: storage.lakeBucket.bucketName,
        GLUE_DATABASE: storage.glueDatabaseName,
      }),
    });
    storage.grantLakePrefixReadWrite(syncFunction, REFERENCE_TABLE_PREFIX);
    storage.grantCatalogWrite(syncFunction);
    database.grantDataApiAccess(syncFunction);
    const sync = new ScheduledJob(this, 'SyncStateMachine', {
      stateMachineName: `${prefix}-sync`,
      definition: SYNC_DEFINITION,
      placeholders: SYNC_PLACEHOLDERS,
      tasks: { SyncPlanFunctionArn: syncPlanFunction, SyncFunctionArn: syncFunction },
      alerts: monitoring,
      comment: 'Thermocline reference-table sync (etl/state-machines/sync.asl.json)',
      logRetention,
      schedules: {
        IncrementalSyncSchedule: {
          ruleName: `${prefix}-incremental-sync`,
          description: `Starts the ${props.envName} incremental sync (schedules.incremental_sync)`,
          expression: schedules.incremental_sync.expression,
          enabled: schedules.incremental_sync.enabled,
          input: { mode: 'incremental' },
        },
        FullSyncSchedule: {
          ruleName: `${prefix}-full-sync`,
          description: `Starts the ${props.envName} full sync (schedules.full_sync)`,
          expression: schedules.full_sync.expression,
          enabled: schedules.full_sync.enabled,
          input: { mode: 'full' },
        },
      },
    });
    return {
      syncPlanFunction,
      syncFunction,
      syncStateMachine: sync.stateMachine,
      syncSchedules: {
        incremental: sync.schedules['IncrementalSyncSchedule']!,
        full: sync.schedules['FullSyncSchedule']!,
      },
    };
  }

  /** Retention: PlanPurge and PurgeTable (in the VPC), its state machine and schedule. */
  private addRetention(job: JobContext) {
    const { props, prefix, logRetention, configJson, network, inVpc, schedules } = job;
    const { storage, database, monitoring } = props;
    // Retention: PostgreSQL computes the checksums and the files are checked by their SHA-256
    // (streamed from S3), so no DuckDB (arm64); reads the lake and the catalog to verify a day
    // before deleting its hot rows, never writes them.
    const retentionPlanFunction = new ThermoclineFunction(this, 'RetentionPlanFunction', {
      ...network,
      entry: join(ROOT, 'lambdas', 'retention.ts'),
      handler: 'planHandler',
      functionName: `${prefix}-retention-plan`,
      description: 'Thermocline retention PlanPurge: the tables to purge',
      timeoutSec: 30,
      memoryMiB: 256,
      environment: functionEnvironment('retention-plan', {
        THERMOCLINE_CONFIG_JSON: configJson,
        THERMOCLINE_ENVIRONMENT: props.envName,
      }),
    });
    const purgeFunction = new ThermoclineFunction(this, 'PurgeFunction', {
      ...inVpc,
      entry: join(ROOT, 'lambdas', 'retention.ts'),
      handler: 'purgeHandler',
      functionName: `${prefix}-retention-purge`,
      description: "Thermocline retention PurgeTable: a table's verified old days out of Aurora",
      timeoutSec: 900,
      memoryMiB: 512,
      environment: functionEnvironment('retention-purge', {
        THERMOCLINE_CONFIG_JSON: configJson,
        THERMOCLINE_ENVIRONMENT: props.envName,
        DATABASE_SECRET_ARN: database.secret.secretArn,
        LAKE_BUCKET: storage.lakeBucket.bucketName,
        GLUE_DATABASE: storage.glueDatabaseName,
        NODE_EXTRA_CA_CERTS: RDS_CA_BUNDLE,
      }),
    });
    storage.grantLakeRead(purgeFunction);
    storage.grantCatalogRead(purgeFunction);
    database.grantSecretRead(purgeFunction);
    const retention = new ScheduledJob(this, 'RetentionStateMachine', {
      stateMachineName: `${prefix}-retention`,
      definition: RETENTION_DEFINITION,
      placeholders: RETENTION_PLACEHOLDERS,
      tasks: { PlanFunctionArn: retentionPlanFunction, PurgeFunctionArn: purgeFunction },
      alerts: monitoring,
      comment: 'Thermocline retention (etl/state-machines/retention.asl.json)',
      logRetention,
      schedules: {
        RetentionSchedule: {
          ruleName: `${prefix}-retention`,
          description: `Starts the ${props.envName} retention (schedules.retention in the config)`,
          expression: schedules.retention.expression,
          enabled: schedules.retention.enabled,
          input: {},
        },
      },
    });
    return {
      retentionPlanFunction,
      purgeFunction,
      retentionStateMachine: retention.stateMachine,
      retentionSchedule: retention.schedules['RetentionSchedule']!,
    };
  }

  /**
   * Lets `grantee` start the ETL state machine (a manual run or a backfill).
   * @example
   * pipeline.grantStartEtl(operatorRole);
   */
  grantStartEtl(grantee: iam.IGrantable): iam.Grant {
    return this.etlStateMachine.grantStartExecution(grantee);
  }

  /** The cdk-nag findings this stack accepts, each with its reason. */
  private acknowledgeFindings(storage: StorageStack): void {
    const exportRole = this.exportFunction.role;
    for (const action of ['Abort*', 'DeleteObject*', 'GetBucket*', 'GetObject*', 'List*']) {
      Validations.of(exportRole).acknowledge({
        id: `AwsSolutions-IAM5[Action::s3:${action}]`,
        reason:
          `s3:${action} is part of the lake's read/write grant (grantLakeReadWrite), on the lake bucket and ` +
          "its objects only: the export reads, writes and switches a table-day's version " +
          'folder, aborts failed multipart uploads and deletes replaced files (the bucket is ' +
          'versioned, so a delete can be undone for 30 days).',
      });
    }
    acknowledgeWildcardResource(
      exportRole,
      `${storage.lakeBucket.bucketArn}/*`,
      'Object-level access to the lake bucket only: the export writes a new object key for every ' +
        'table-day and version, which no fixed list of ARNs can name.',
    );
    acknowledgeWildcardResource(
      exportRole,
      glueTablesArn(this, storage.glueDatabaseName),
      `Tables of this environment's Glue database (${storage.glueDatabaseName}) only: the ` +
        'export creates each table on its first publish and registers its partitions, so the ' +
        'table names are not known when the stack is deployed.',
    );

    const purgeRole = this.purgeFunction.role;
    for (const action of ['GetBucket*', 'GetObject*', 'List*']) {
      Validations.of(purgeRole).acknowledge({
        id: `AwsSolutions-IAM5[Action::s3:${action}]`,
        reason:
          `s3:${action} is part of the lake's read grant, on the lake bucket and its objects ` +
          "only: the purge reads a day's manifest and checks its files before deleting hot rows.",
      });
    }
    acknowledgeWildcardResource(
      purgeRole,
      `${storage.lakeBucket.bucketArn}/*`,
      'Read access to the objects of the lake bucket only: manifests and files are written per ' +
        'table-day at run time.',
    );
    acknowledgeWildcardResource(
      purgeRole,
      glueTablesArn(this, storage.glueDatabaseName),
      `Read-only on the tables of this environment's Glue database (${storage.glueDatabaseName}): ` +
        "the purge checks that the catalog still points at a day's published version.",
    );

    const syncRole = this.syncFunction.role;
    for (const action of ['Abort*', 'DeleteObject*', 'GetBucket*', 'GetObject*', 'List*']) {
      Validations.of(syncRole).acknowledge({
        id: `AwsSolutions-IAM5[Action::s3:${action}]`,
        reason:
          `s3:${action} is part of read/write on the lake's ref_* prefix only: a sync writes a ` +
          'new version folder of a reference table, reads the previous one to merge, and ' +
          'deletes replaced versions.',
      });
    }
    acknowledgeWildcardResource(
      syncRole,
      `${storage.lakeBucket.bucketArn}/${REFERENCE_TABLE_PREFIX}*`,
      'The reference tables (ref_<table>/, ref_<table>_changes/) of the lake only; their version ' +
        'folders are named at run time.',
    );
    acknowledgeWildcardResource(
      syncRole,
      glueTablesArn(this, storage.glueDatabaseName),
      `Tables of this environment's Glue database (${storage.glueDatabaseName}) only: the sync ` +
        'creates each ref_ table on its first publish and switches its location on every one.',
    );
  }
}

/**
 * The `THERMOCLINE_CONFIG_JSON` the functions of `envName` get: the resolved config's tables,
 * mappings, S3 sources, query settings and that environment's settings, compressed when large
 * (`#core/config/transport`).
 * @throws Error when even compressed it is over {@link CONFIG_JSON_MAX_BYTES}, naming its size.
 * @example
 * functionConfigJson(defaultConfig(), 'dev'); // 'gzip:H4sI…'
 */
export function functionConfigJson(
  config: ThermoclineConfig,
  envName: DeployEnvironmentName,
): string {
  const value = encodeConfigForEnv(config, envName);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > CONFIG_JSON_MAX_BYTES) {
    throw new Error(
      `THERMOCLINE_CONFIG_JSON would be ${bytes} bytes compressed (${config.tables.length} tables, ` +
        `${config.mappings.length} mappings), over the ${CONFIG_JSON_MAX_BYTES} bytes a Lambda ` +
        `function's variables leave for it (4 KB in all). Configure fewer tables or mappings per ` +
        `environment`,
    );
  }
  return value;
}
