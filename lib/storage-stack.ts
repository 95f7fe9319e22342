/**
 * The stateful storage of one environment: the lake, the Athena results, the Glue database and the
 * Athena workgroup. Kept apart from the stateless stacks so those can be replaced freely.
 */
import { CfnOutput, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DataLake } from './constructs/data-lake';
import { QueryWorkgroup } from './constructs/query-workgroup';
import { SchemaCrawler } from './constructs/schema-crawler';
import { secureBucketDefaults } from './constructs/secure-bucket';
import { CATALOG_READ_ACTIONS, CATALOG_WRITE_ACTIONS } from './perms';

/** The environments the CDK app deploys (the config's `local` is never deployed). */
export const DEPLOY_ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
/** One of {@link DEPLOY_ENVIRONMENTS}. */
export type DeployEnvironmentName = (typeof DEPLOY_ENVIRONMENTS)[number];

/** Properties of a {@link StorageStack}. */
export interface StorageStackProps extends StackProps {
  /** The environment: names the Glue database (`thermocline_<env>`) and workgroup (`thermocline-<env>`). */
  readonly envName: DeployEnvironmentName;
  /**
   * Athena bytes-scanned cutoff per query, in GB (10^9 bytes, the config's `scan_cutoff_gb`).
   * @default 10 - queries are cancelled after scanning 10 GB
   */
  readonly scanCutoffGB?: number;
  /**
   * Days before lake objects move to Glacier (`archiveStorageClass`).
   * @default 90 - objects stay in S3 Standard for 90 days
   */
  readonly glacierAfterDays?: number;
  /**
   * The Glacier class lake objects move to first.
   * @default s3.StorageClass.GLACIER_INSTANT_RETRIEVAL - still read by Athena
   */
  readonly archiveStorageClass?: s3.StorageClass;
  /**
   * Name of a versioned bucket in another region the lake replicates to.
   * @default - no replication
   */
  readonly replicationBucketName?: string | null;
  /**
   * The tables the schema crawler audits (the config's time-series tables).
   * @default - no crawler
   */
  readonly crawlerTableNames?: readonly string[];
  /**
   * The schema crawler's Glue cron expression.
   * @default - no schedule: the crawler runs only when started
   */
  readonly crawlerScheduleExpression?: string;
  /**
   * Days before lake objects move to S3 Glacier Deep Archive.
   * @default 365 - objects move to Deep Archive after a year
   */
  readonly deepArchiveAfterDays?: number;
  /**
   * Days before lake objects are deleted; `null` keeps them forever.
   * @default 730 - objects are deleted after two years
   */
  readonly expireAfterDays?: number | null;
  /**
   * Protect the environment's storage from deletion: termination protection on the stack and the
   * Glue database retained. Buckets are retained in every environment regardless.
   * @default false - the stack can be deleted; the Glue database goes with it (buckets stay)
   */
  readonly deletionProtection?: boolean;
  /**
   * Days S3 server access logs are kept.
   * @default 365 - access logs are deleted after a year
   */
  readonly accessLogExpireAfterDays?: number;
}

/**
 * The storage stack of one environment (`Thermocline-<env>-Storage`):
 * - `DataLake`: the lake bucket (SSE-S3, versioned, no public access, TLS only, access logs,
 *   Standard → Glacier → Deep Archive → deleted per the config) and the Glue database
 *   `thermocline_<env>`, whose tables the ETL registers;
 * - `Query`: the Athena workgroup `thermocline-<env>` (engine v3, enforced settings, the
 *   bytes-scanned cutoff, CloudWatch metrics) and its results bucket (results kept 7 days);
 * - `AccessLogs`: the bucket both buckets' server access logs go to.
 *
 * Every bucket is retained when the stack is deleted, in every environment; with
 * `deletionProtection` the stack is termination-protected and the Glue database retained too.
 * The stack is environment-agnostic (no account or region is needed to synthesize it). It needs
 * the feature flags of `cdk.json` (which `cdk synth` passes as context; tests pass them to
 * `new App({ context })`), `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` above all: log
 * delivery is granted by bucket policy, so every bucket keeps ACLs disabled.
 * @example
 * const storage = new StorageStack(app, 'Thermocline-dev-Storage', {
 *   envName: 'dev',
 *   scanCutoffGB: 10,
 *   glacierAfterDays: 90,
 *   deepArchiveAfterDays: 365,
 *   expireAfterDays: 730,
 * });
 * storage.grantLakeReadWrite(exportFunction);
 */
export class StorageStack extends Stack {
  /** The lake bucket. */
  readonly lakeBucket: s3.IBucket;
  /** The Athena results bucket (results under `athena/`). */
  readonly resultsBucket: s3.IBucket;
  /** The bucket that receives the other buckets' S3 server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /** The Glue database of the lake, `thermocline_<env>`. */
  readonly glueDatabaseName: string;
  /** The Athena workgroup, `thermocline-<env>`. */
  readonly workgroupName: string;
  /** The lake construct (bucket and Glue database). */
  readonly lake: DataLake;
  /** The Athena construct (workgroup and results bucket). */
  readonly query: QueryWorkgroup;
  /** The schema crawler, when tables were given. */
  readonly crawler?: SchemaCrawler;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    const deletionProtection = props.deletionProtection ?? false;
    super(scope, id, {
      description: `Thermocline ${props.envName}: data lake, Athena results, Glue database, Athena workgroup (stateful)`,
      ...props,
      terminationProtection: props.terminationProtection ?? deletionProtection,
    });
    Tags.of(this).add('thermocline:environment', props.envName);

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secureBucketDefaults(),
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(props.accessLogExpireAfterDays ?? 365),
        },
      ],
    });
    // No AwsSolutions-S1 acknowledgement is needed here: cdk-nag counts a bucket that is the
    // server-access-log destination of another bucket in the same stack as compliant (logging
    // the log bucket's own access would need yet another bucket, and so on).
    this.accessLogsBucket = accessLogs;

    this.lake = new DataLake(this, 'DataLake', {
      databaseName: `thermocline_${props.envName}`,
      serverAccessLogsBucket: accessLogs,
      glacierAfterDays: props.glacierAfterDays,
      archiveStorageClass: props.archiveStorageClass,
      replicaBucket: props.replicationBucketName
        ? s3.Bucket.fromBucketName(this, 'ReplicaBucket', props.replicationBucketName)
        : undefined,
      deepArchiveAfterDays: props.deepArchiveAfterDays,
      expireAfterDays: props.expireAfterDays,
      retainDatabase: deletionProtection,
    });
    this.query = new QueryWorkgroup(this, 'Query', {
      workgroupName: `thermocline-${props.envName}`,
      serverAccessLogsBucket: accessLogs,
      scanCutoffGB: props.scanCutoffGB,
    });

    if (props.crawlerTableNames && props.crawlerTableNames.length > 0) {
      this.crawler = new SchemaCrawler(this, 'SchemaCrawler', {
        crawlerName: `thermocline-${props.envName}-schema`,
        databaseName: this.lake.databaseName,
        tableNames: props.crawlerTableNames,
        lakeBucket: this.lake.bucket,
        scheduleExpression: props.crawlerScheduleExpression,
      });
    }

    this.lakeBucket = this.lake.bucket;
    this.resultsBucket = this.query.resultsBucket;
    this.glueDatabaseName = this.lake.databaseName;
    this.workgroupName = this.query.workgroupName;

    new CfnOutput(this, 'LakeBucketName', {
      description: 'The data lake bucket (LAKE_BUCKET).',
      value: this.lakeBucket.bucketName,
    });
    new CfnOutput(this, 'ResultsBucketName', {
      description: 'The Athena results bucket.',
      value: this.resultsBucket.bucketName,
    });
    new CfnOutput(this, 'GlueDatabaseName', {
      description: 'The Glue database of the lake.',
      value: this.glueDatabaseName,
    });
    new CfnOutput(this, 'WorkgroupName', {
      description: 'The Athena workgroup every query runs in.',
      value: this.workgroupName,
    });
  }

  /**
   * Lets `grantee` read the lake (list the bucket, get objects).
   * @example
   * storage.grantLakeRead(queryRole);
   */
  grantLakeRead(grantee: iam.IGrantable): iam.Grant {
    return this.lake.grantLakeRead(grantee);
  }

  /**
   * Lets `grantee` read, write and delete lake objects.
   * @example
   * storage.grantLakeReadWrite(etlRole);
   */
  grantLakeReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.lake.grantLakeReadWrite(grantee);
  }

  /**
   * Lets `grantee` read the Glue catalog of this environment's database only (tables and
   * partitions), as Athena needs to plan a query and the query API to estimate one.
   * @example
   * storage.grantCatalogRead(queryFunction);
   */
  grantCatalogRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...CATALOG_READ_ACTIONS],
      resourceArns: this.catalogArns(),
    });
  }

  /**
   * Lets `grantee` run Athena queries over the lake: the workgroup (start, poll, results, stop),
   * the catalog (read) and the lake (read). Nothing else: no write to the lake or the catalog.
   * @example
   * storage.grantQuery(queryFunction);
   */
  grantQuery(grantee: iam.IGrantable): iam.Grant {
    this.grantCatalogRead(grantee);
    this.grantLakeRead(grantee);
    return this.query.grantQueryExecution(grantee);
  }

  /**
   * Lets `grantee` read and write the lake objects under `prefix` only (e.g. the query API's
   * plans, archived results, ledger and cache under `_query/`).
   * @example
   * storage.grantLakePrefixReadWrite(queryFunction, '_query/');
   */
  grantLakePrefixReadWrite(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return this.lakeBucket.grantReadWrite(grantee, `${prefix}*`);
  }

  /**
   * Lets `grantee` register the lake in the Glue catalog ({@link CATALOG_WRITE_ACTIONS}) on this
   * environment's database only: the account's catalog, database `thermocline_<env>` and its
   * tables (`table/thermocline_<env>/*`, which also covers the tables' partitions). No other
   * database, and no delete of a table or the database.
   * @example
   * storage.grantCatalogWrite(exportFunction);
   */
  grantCatalogWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...CATALOG_WRITE_ACTIONS],
      resourceArns: this.catalogArns(),
    });
  }

  /** The catalog, this environment's database and its tables (and their partitions). */
  private catalogArns(): string[] {
    return [
      this.formatArn({ service: 'glue', resource: 'catalog' }),
      this.formatArn({
        service: 'glue',
        resource: 'database',
        resourceName: this.glueDatabaseName,
      }),
      this.formatArn({
        service: 'glue',
        resource: 'table',
        resourceName: `${this.glueDatabaseName}/*`,
      }),
    ];
  }
}
