import { UsageError } from '#core/errors';

/**
 * Checks where the lake is on S3 and returns its root URL: a bare bucket name and a prefix that is
 * '' or a relative path ending with '/'. Shared by the S3 object store and the Glue catalog, which
 * must agree on it.
 * @example
 * lakeRoot('thermocline-lake-dev', 'lake/'); // 's3://thermocline-lake-dev/lake/'
 */
export function lakeRoot(bucket: string, prefix: string): string {
  if (!bucket || bucket.includes('/')) {
    throw new UsageError(
      `S3 bucket name '${bucket}' is not valid; pass the bare bucket name, e.g. 'thermocline-lake'`,
    );
  }
  if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/') || hasDotDot(prefix))) {
    throw new UsageError(
      `S3 lake prefix '${prefix}' is not valid; use '' or a relative prefix ending with '/', e.g. 'lake/'`,
    );
  }
  return `s3://${bucket}/${prefix}`;
}

/** True when a key or prefix has a '..' segment. */
export function hasDotDot(key: string): boolean {
  return key.split('/').includes('..');
}
