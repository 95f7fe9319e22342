/**
 * The query service's ports on AWS, in one place for every function that needs them (the plan
 * step function, the query API): the Glue catalog and the S3 lake, Athena in the workgroup, the
 * RDS Data API on Aurora, the results under the lake bucket's `_query/` prefix, and Step
 * Functions to start plans. The SDK clients come from the caller (created once per container).
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { GlueClient } from '@aws-sdk/client-glue';
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { AthenaQueryEngine } from '#adapters/aws/athena-query-engine';
import { GlueCatalog } from '#adapters/aws/glue-catalog';
import { RdsDataHotEngine } from '#adapters/aws/rds-data-query-engine';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { SfnPlanLauncher } from '#adapters/aws/sfn-plan-launcher';
import type { EnvironmentName, ThermoclineConfig } from '#core/config/schema';
import type { LedgerEntry } from '#core/query/ledger';
import { hotTableNames, type LastSyncTimes, type QueryServiceDeps } from '#core/query/service-deps';
import { PlanLaunchError, type PlanLauncher } from '#core/query/plan-launcher';
import { readParquetObject } from '#adapters/hyparquet/parquet-read';
import { systemClock } from '#ports/clock';

/** Where the query side's resources are (the functions' environment variables). */
export interface AwsQuerySettings {
  readonly environment: EnvironmentName;
  /** `LAKE_BUCKET`. */
  readonly lakeBucket: string;
  /** `LAKE_PREFIX`: the lake's key prefix in the bucket, `''` or ending with `/`. */
  readonly lakePrefix: string;
  /** `RESULTS_PREFIX`: the results' prefix under the lake prefix. @default '_query/' */
  readonly resultsPrefix?: string;
  /** `GLUE_DATABASE`. */
  readonly glueDatabase: string;
  /** `ATHENA_WORKGROUP`. */
  readonly workGroup: string;
  /** `DATABASE_RESOURCE_ARN`: the Aurora cluster. */
  readonly databaseResourceArn: string;
  /** `DATABASE_SECRET_ARN`. */
  readonly databaseSecretArn: string;
  /** `DATABASE_NAME`. */
  readonly databaseName: string;
  /** `THERMOCLINE_SCHEMA`. @default 'public' */
  readonly schema?: string;
  /** `PLAN_STATE_MACHINE_ARN`; absent in the plan step function itself (it starts nothing). */
  readonly planStateMachineArn?: string;
  /**
   * The PostgreSQL role hot steps run as (`SET LOCAL ROLE`), once `ensureReaderRole` has made it
   * usable.
   * @default - the connecting user, read-only with a statement timeout
   */
  readonly readerRole?: string;
}

/** The SDK clients, created once per container by the handler. */
export interface AwsQueryClients {
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly athena: AthenaClient;
  readonly rdsData: RDSDataClient;
  /** Needed only to start plans. */
  readonly sfn?: SFNClient;
}

/** Extra wiring of {@link awsQueryServiceDeps}. */
export interface AwsQueryOptions {
  /** Every ledger entry, e.g. published as EMF metrics (`ledgerMetrics`). */
  readonly metrics?: (entry: LedgerEntry) => void;
  readonly lastSyncTimes?: () => Promise<LastSyncTimes>;
}

/** A launcher for functions that must not start plans. */
const noLauncher: PlanLauncher = {
  start: async (planId) => {
    throw new PlanLaunchError(
      `plan ${planId}: this function has no PLAN_STATE_MACHINE_ARN, so it cannot start plans`,
    );
  },
};

/**
 * The query service's ports on AWS.
 * @example
 * const deps = awsQueryServiceDeps(config, settings, { s3, glue, athena, rdsData, sfn }, { metrics });
 * const service = createQueryService(deps);
 */
export function awsQueryServiceDeps(
  config: ThermoclineConfig,
  settings: AwsQuerySettings,
  clients: AwsQueryClients,
  options: AwsQueryOptions = {},
): QueryServiceDeps {
  const lakePrefix = settings.lakePrefix;
  const lakeStore = new S3ObjectStore(clients.s3, {
    bucket: settings.lakeBucket,
    prefix: lakePrefix,
  });
  const buckets = new Map<string, S3ObjectStore>();
  return {
    config,
    environment: settings.environment,
    catalog: new GlueCatalog(clients.glue, {
      database: settings.glueDatabase,
      bucket: settings.lakeBucket,
      prefix: lakePrefix,
    }),
    lakeEngine: new AthenaQueryEngine(clients.athena, {
      workGroup: settings.workGroup,
      database: settings.glueDatabase,
    }),
    hotEngine: new RdsDataHotEngine(clients.rdsData, {
      resourceArn: settings.databaseResourceArn,
      secretArn: settings.databaseSecretArn,
      database: settings.databaseName,
      ...(settings.schema ? { schema: settings.schema } : {}),
      ...(settings.readerRole ? { readerRole: settings.readerRole } : {}),
    }),
    results: new S3ObjectStore(clients.s3, {
      bucket: settings.lakeBucket,
      prefix: `${lakePrefix}${settings.resultsPrefix ?? '_query/'}`,
    }),
    lakeBucket: settings.lakeBucket,
    bucket: (name) => {
      if (name === settings.lakeBucket && lakePrefix === '') return lakeStore;
      let store = buckets.get(name);
      if (!store) {
        store = new S3ObjectStore(clients.s3, { bucket: name });
        buckets.set(name, store);
      }
      return store;
    },
    readParquet: readParquetObject,
    hotTables: hotTableNames(config),
    ...(options.lastSyncTimes ? { lastSyncTimes: options.lastSyncTimes } : {}),
    launcher:
      settings.planStateMachineArn && clients.sfn
        ? new SfnPlanLauncher(clients.sfn, { stateMachineArn: settings.planStateMachineArn })
        : noLauncher,
    clock: systemClock,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    lakeDatabase: settings.glueDatabase,
    hotDatabase: settings.databaseName,
  };
}
