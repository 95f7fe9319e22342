/**
 * The cold tier: the S3 bucket that holds the Parquet lake and the Glue database that describes it.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag-acknowledgements';
import { secureBucketDefaults } from './secure-bucket';

/** Properties of a {@link DataLake}. */
export interface DataLakeProps {
  /**
   * Name of the Glue database that describes the lake: lowercase letters, digits and `_`.
   */
  readonly databaseName: string;
  /**
   * Bucket that receives the lake bucket's S3 server access logs (under `lake/`). It must accept
   * log delivery with SSE-S3 encryption.
   */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * Days after an object is written before it moves to Glacier (`archiveStorageClass`).
   * @default 90 - objects stay in S3 Standard for their first 90 days
   */
  readonly glacierAfterDays?: number;
  /**
   * The Glacier class objects move to after `glacierAfterDays`. Athena reads Glacier Instant
   * Retrieval like Standard; it skips objects in Glacier Flexible Retrieval until they are restored.
   * @default s3.StorageClass.GLACIER_INSTANT_RETRIEVAL - the 90+ days "lake only" tier stays queryable
   */
  readonly archiveStorageClass?: s3.StorageClass;
  /**
   * A bucket in another region that every lake object is replicated to (versioned, in the same
   * account). Delete markers are replicated too, so a purge or a replaced version is mirrored.
   * @default - no replication
   */
  readonly replicaBucket?: s3.IBucket;
  /**
   * Days after an object is written before it moves to S3 Glacier Deep Archive; greater than
   * `glacierAfterDays`.
   * @default 365 - objects move to Deep Archive after a year
   */
  readonly deepArchiveAfterDays?: number;
  /**
   * Days after an object is written before it is deleted (a delete marker is placed; the data
   * itself goes 30 days later with the noncurrent versions); greater than `deepArchiveAfterDays`.
   * `null` keeps objects forever.
   * @default 730 - objects are deleted after two years
   */
  readonly expireAfterDays?: number | null;
  /**
   * Days a replaced or deleted object version is kept before it is deleted for good; a publish
   * that replaces a day, or a purge, can be undone within this window.
   * @default 30 - noncurrent versions are deleted 30 days after they stop being current
   */
  readonly noncurrentVersionExpireAfterDays?: number;
  /**
   * Keep the Glue database when it is removed from the stack or the stack is deleted. Its tables
   * and partitions are written by the ETL and are not in the template, so deleting the database
   * loses them until the ETL registers them again. Retaining it means a re-created stack fails
   * until the old database is deleted (its name is fixed), so turn this on where the catalog matters.
   * @default false - the Glue database is deleted with the stack
   */
  readonly retainDatabase?: boolean;
}

/** The lifecycle defaults of {@link DataLakeProps}, in days. */
const LIFECYCLE_DEFAULTS = {
  glacierAfterDays: 90,
  deepArchiveAfterDays: 365,
  expireAfterDays: 730,
  noncurrentVersionExpireAfterDays: 30,
} as const;

/**
 * The data lake: a versioned, encrypted, TLS-only S3 bucket with no public access and server
 * access logs, whose objects move Standard → Glacier → Deep Archive → deleted on a lifecycle, and
 * the Glue database the ETL registers the lake's tables in.
 *
 * The database starts empty: tables and their partitions are created by the ETL through the
 * `GlueCatalog` adapter (`#adapters/aws/glue-catalog`), which registers each published partition
 * explicitly (no partition projection: each publish switches the partition's location to a new
 * version folder, which a projection template cannot express).
 *
 * The bucket is retained when the stack is deleted (see `secureBucketDefaults`). Incomplete
 * multipart uploads (an ETL run that crashed mid-upload) are aborted after one day.
 *
 * Athena does not read objects in Glacier Flexible Retrieval or Deep Archive (queries skip them
 * until they are restored), so the first move is to Glacier Instant Retrieval unless
 * `archiveStorageClass` says otherwise: the 90+ days "lake only" tier stays queryable until Deep
 * Archive. Objects smaller
 * than 128 KB are never transitioned (S3's default minimum object size for transitions).
 * @example
 * const lake = new DataLake(this, 'DataLake', {
 *   databaseName: 'thermocline_dev',
 *   serverAccessLogsBucket: accessLogs,
 *   glacierAfterDays: 90,
 *   deepArchiveAfterDays: 365,
 *   expireAfterDays: 730,
 * });
 * lake.grantLakeReadWrite(exportFunction);
 */
export class DataLake extends Construct {
  /** The lake bucket (Parquet files under `table/partition/`). */
  readonly bucket: s3.IBucket;
  /** The Glue database's name, e.g. `thermocline_dev`. */
  readonly databaseName: string;
  /** The Glue database resource. */
  readonly database: glue.CfnDatabase;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const lifecycle = lifecycleDays(props);
    checkLifecycle(lifecycle);
    checkDatabaseName(props.databaseName);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...secureBucketDefaults(),
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: lifecycleRules(lifecycle, props.archiveStorageClass),
      ...(props.replicaBucket
        ? {
            replicationRules: [
              {
                id: 'ReplicateLake',
                destination: props.replicaBucket,
                priority: 1,
                deleteMarkerReplication: true,
              },
            ],
          }
        : {}),
    });
    if (props.replicaBucket) this.acknowledgeReplication(props.replicaBucket);

    this.databaseName = props.databaseName;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Stack.of(this).account,
      databaseInput: {
        name: props.databaseName,
        description:
          'Thermocline cold tier: Parquet tables of the lake. Tables and partitions are ' +
          'registered by the ETL (GlueCatalog adapter), not by CloudFormation.',
      },
    });
    this.database.applyRemovalPolicy(
      props.retainDatabase ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    );
  }

  /** The cdk-nag finding of the replication role CDK makes for the replication rule. */
  private acknowledgeReplication(replicaBucket: s3.IBucket): void {
    const replicationRole = this.bucket.node.findChild('ReplicationRole');
    for (const bucket of [this.bucket, replicaBucket]) {
      acknowledgeWildcardResource(
        replicationRole,
        `${bucket.bucketArn}/*`,
        'S3 replication reads every object version of the lake and writes it to the replica ' +
          'bucket: object-level access to these two buckets only (the grant CDK makes for a ' +
          'replication rule).',
      );
    }
  }

  /**
   * Lets `grantee` read the lake: list the bucket and get objects.
   * @example
   * lake.grantLakeRead(queryFunction);
   */
  grantLakeRead(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee);
  }

  /**
   * Lets `grantee` read, write and delete lake objects (what the ETL's publish and purge do).
   * @example
   * lake.grantLakeReadWrite(etlRole);
   */
  grantLakeReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantReadWrite(grantee);
  }
}

/** The lifecycle of the lake's objects, in days. */
interface LifecycleDays {
  glacierAfterDays: number;
  deepArchiveAfterDays: number;
  /** `null`: objects are kept forever. */
  expireAfterDays: number | null;
  noncurrentDays: number;
}

/** The props' lifecycle days, the defaults applied (not yet checked). */
function lifecycleDays(props: DataLakeProps): LifecycleDays {
  return {
    glacierAfterDays: props.glacierAfterDays ?? LIFECYCLE_DEFAULTS.glacierAfterDays,
    deepArchiveAfterDays: props.deepArchiveAfterDays ?? LIFECYCLE_DEFAULTS.deepArchiveAfterDays,
    expireAfterDays:
      props.expireAfterDays === undefined
        ? LIFECYCLE_DEFAULTS.expireAfterDays
        : props.expireAfterDays,
    noncurrentDays:
      props.noncurrentVersionExpireAfterDays ?? LIFECYCLE_DEFAULTS.noncurrentVersionExpireAfterDays,
  };
}

/**
 * The lake bucket's lifecycle rules: tier by age (archive class, Deep Archive, expiry), expire
 * noncurrent versions and their delete markers, abort incomplete uploads after a day.
 */
function lifecycleRules(
  days: LifecycleDays,
  archiveStorageClass: s3.StorageClass | undefined,
): s3.LifecycleRule[] {
  return [
    {
      id: 'TierByAge',
      transitions: [
        {
          storageClass: archiveStorageClass ?? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
          transitionAfter: Duration.days(days.glacierAfterDays),
        },
        {
          storageClass: s3.StorageClass.DEEP_ARCHIVE,
          transitionAfter: Duration.days(days.deepArchiveAfterDays),
        },
      ],
      ...(days.expireAfterDays === null ? {} : { expiration: Duration.days(days.expireAfterDays) }),
    },
    {
      id: 'ExpireNoncurrentVersions',
      noncurrentVersionExpiration: Duration.days(days.noncurrentDays),
      expiredObjectDeleteMarker: true,
    },
    { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
  ];
}

/** Throws when the lifecycle days are not whole, non-negative and increasing. */
function checkLifecycle(days: LifecycleDays): void {
  for (const [name, value] of Object.entries(days)) {
    if (value !== null && !(Number.isInteger(value) && value >= 0)) {
      throw new Error(`DataLake ${name} is ${value}; use a whole number of days, 0 or more`);
    }
  }
  if (days.deepArchiveAfterDays <= days.glacierAfterDays) {
    throw new Error(
      `DataLake deepArchiveAfterDays (${days.deepArchiveAfterDays}) must be greater than ` +
        `glacierAfterDays (${days.glacierAfterDays}): objects move Glacier → Deep Archive`,
    );
  }
  if (days.expireAfterDays !== null && days.expireAfterDays <= days.deepArchiveAfterDays) {
    throw new Error(
      `DataLake expireAfterDays (${days.expireAfterDays}) must be greater than ` +
        `deepArchiveAfterDays (${days.deepArchiveAfterDays}), or null to keep objects forever`,
    );
  }
}

/** Throws unless `name` is a Glue database name Athena can use unquoted. */
function checkDatabaseName(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,254}$/.test(name)) {
    throw new Error(
      `Glue database name '${name}' is not valid; use lowercase letters, digits and _, ` +
        `starting with a letter or _, e.g. 'thermocline_dev'`,
    );
  }
}
