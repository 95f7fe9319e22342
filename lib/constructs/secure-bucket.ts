/**
 * The security baseline every Thermocline bucket starts from, so the lake, the Athena results and
 * the access logs cannot drift apart.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Bucket properties every Thermocline bucket starts from; spread them first and override what a
 * bucket needs, `{ ...secureBucketDefaults(), versioned: true }`:
 * - S3-managed encryption (SSE-S3). AwsSolutions requires encryption at rest, not a KMS key, and
 *   S3 server access log delivery only writes to SSE-S3 buckets; SSE-S3 also keeps Athena, Glue and
 *   the Lambdas free of `kms:Decrypt` grants and of per-request KMS charges on every Parquet read.
 * - all public access blocked, ACLs disabled (bucket owner owns every object);
 * - TLS only (`aws:SecureTransport` denied when false) and TLS 1.2 at least;
 * - `RemovalPolicy.RETAIN` in every environment and never `autoDeleteObjects`: deleting a stack
 *   never deletes data. A retained bucket of a destroyed dev stack is emptied and removed by hand
 *   (`aws s3 rb s3://NAME --force`); its generated name never collides with a new stack's.
 * @example
 * new s3.Bucket(this, 'Results', { ...secureBucketDefaults(), lifecycleRules: [...] });
 */
export function secureBucketDefaults(): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    removalPolicy: RemovalPolicy.RETAIN,
    autoDeleteObjects: false,
  };
}
