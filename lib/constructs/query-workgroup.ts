/**
 * Athena under hard limits: the workgroup every Thermocline query runs in and the bucket its
 * results land in.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { gbToBytes } from '#core/units';
import { QUERY_EXECUTION_ACTIONS } from '../perms';
import { secureBucketDefaults } from './secure-bucket';

/** The Athena engine every query runs on. */
export const ATHENA_ENGINE_VERSION = 'Athena engine version 3';
/** Key prefix of query results in the results bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena/';
/** The smallest per-query cutoff Athena accepts, in bytes (10 MB). */
export const MIN_SCAN_CUTOFF_BYTES = 10_000_000;

/** Properties of a {@link QueryWorkgroup}. */
export interface QueryWorkgroupProps {
  /** The workgroup's name, e.g. `thermocline-dev`: letters, digits, `.`, `_` and `-`. */
  readonly workgroupName: string;
  /**
   * Bucket that receives the results bucket's S3 server access logs (under `athena-results/`).
   * It must accept log delivery with SSE-S3 encryption.
   */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * Bytes-scanned cutoff of every query in the workgroup, in GB (10^9 bytes, as Athena bills and
   * as the query guard counts): Athena cancels a query once it has scanned this much. At least
   * 0.01 (10 MB).
   * @default 10 - queries are cancelled after scanning 10 GB
   */
  readonly scanCutoffGB?: number;
  /**
   * Days query results are kept in the results bucket before they are deleted. Athena's result
   * reuse and the API's result links only need them for a short while.
   * @default 7 - results are deleted a week after they are written
   */
  readonly resultsExpireAfterDays?: number;
}

/**
 * An Athena workgroup on engine v3 whose settings queries cannot override
 * (`EnforceWorkGroupConfiguration`): a bytes-scanned cutoff per query, CloudWatch metrics (bytes
 * scanned per query, for the cost dashboard) and results written SSE-S3-encrypted to
 * `s3://<results bucket>/athena/` in this account. The results bucket has the same security
 * baseline as the lake (see `secureBucketDefaults`), is not versioned (results are disposable)
 * and expires results after a week.
 *
 * The workgroup is deleted with the stack only when it holds no saved queries
 * (`RecursiveDeleteOption` off).
 * @example
 * const query = new QueryWorkgroup(this, 'Query', {
 *   workgroupName: 'thermocline-dev',
 *   serverAccessLogsBucket: accessLogs,
 *   scanCutoffGB: 10,
 * });
 * query.grantResultsReadWrite(queryFunction);
 */
export class QueryWorkgroup extends Construct {
  /** The bucket Athena writes query results to (under `athena/`). */
  readonly resultsBucket: s3.IBucket;
  /** The workgroup's name. */
  readonly workgroupName: string;
  /** The workgroup resource. */
  readonly workgroup: athena.CfnWorkGroup;
  /** The enforced bytes-scanned cutoff per query, in bytes. */
  readonly scanCutoffBytes: number;

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);
    this.scanCutoffBytes = scanCutoffBytes(props.scanCutoffGB ?? 10);
    const resultsExpireAfterDays = props.resultsExpireAfterDays ?? 7;
    if (!(Number.isInteger(resultsExpireAfterDays) && resultsExpireAfterDays >= 1)) {
      throw new Error(
        `QueryWorkgroup resultsExpireAfterDays is ${resultsExpireAfterDays}; use a whole number of days, 1 or more`,
      );
    }
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(props.workgroupName)) {
      throw new Error(
        `Athena workgroup name '${props.workgroupName}' is not valid; use letters, digits, ., _ ` +
          `and -, at most 128 characters, e.g. 'thermocline-dev'`,
      );
    }

    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      ...secureBucketDefaults(),
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        { id: 'ExpireResults', expiration: Duration.days(resultsExpireAfterDays) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.workgroupName = props.workgroupName;
    this.workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: props.workgroupName,
      description: `Thermocline queries: enforced settings, ${this.scanCutoffBytes} bytes scanned at most per query`,
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: this.scanCutoffBytes,
        publishCloudWatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: Stack.of(this).account,
        },
      },
    });
  }

  /**
   * Lets `grantee` read and write query results (what a principal running Athena queries in this
   * workgroup needs on the results bucket).
   * @example
   * query.grantResultsReadWrite(queryFunction);
   */
  grantResultsReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.resultsBucket.grantReadWrite(grantee, `${ATHENA_RESULTS_PREFIX}*`);
  }

  /**
   * Lets `grantee` run queries in this workgroup and only this one: start, poll, page results
   * and stop them ({@link QUERY_EXECUTION_ACTIONS}), and read and write their results. The data
   * a query reads is granted separately (lake read, catalog read).
   * @example
   * query.grantQueryExecution(queryFunction);
   */
  grantQueryExecution(grantee: iam.IGrantable): iam.Grant {
    this.grantResultsReadWrite(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...QUERY_EXECUTION_ACTIONS],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'athena',
          resource: 'workgroup',
          resourceName: this.workgroupName,
        }),
      ],
    });
  }
}

/**
 * GB (10^9 bytes, the config's `scan_cutoff_gb`) as whole bytes — the same conversion as the
 * query guard's (`gbToBytes`) — checked against Athena's 10 MB minimum.
 * @example
 * scanCutoffBytes(10); // 10000000000
 */
export function scanCutoffBytes(gb: number): number {
  const bytes = gbToBytes(gb);
  if (!Number.isFinite(gb) || bytes < MIN_SCAN_CUTOFF_BYTES) {
    throw new Error(
      `scan cutoff ${gb} GB is below Athena's minimum of 10 MB per query; ` +
        `set scan_cutoff_gb to 0.01 or more`,
    );
  }
  return bytes;
}
