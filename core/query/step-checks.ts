/**
 * Limits a plan step is checked against, at submit time and again when it runs: the scan limit in
 * bytes of a lake step, the buckets and keys an `S3ParquetRead` step may read, the database an
 * `AuroraQuery` step names.
 */
import { PlanValidationError } from '#core/query/errors';
import { globToRegExp } from '#core/query/external-sources';
import {
  type AthenaQueryStep,
  type AuroraQueryStep,
  type S3ParquetReadStep,
} from '#core/query/query-plan';
import type { QueryServiceDeps } from '#core/query/service-deps';
import { BYTES_PER_GB, gbToBytes } from '#core/units';

/** Bytes in a GB as Athena bills and the estimates report them (10^9; `#core/units`). */
export const GB = BYTES_PER_GB;

/** The environment's scan cutoff, in bytes — the same figure as the Athena workgroup's cutoff. */
export function scanCutoffBytes(deps: Pick<QueryServiceDeps, 'config' | 'environment'>): number {
  return gbToBytes(deps.config.environments[deps.environment].scan_cutoff_gb);
}

/** A lake step's scan limit in bytes: its `max_scan_gb`, else the environment's cutoff. */
export function stepLimitBytes(
  deps: Pick<QueryServiceDeps, 'config' | 'environment'>,
  step: Pick<AthenaQueryStep, 'max_scan_gb'>,
): number {
  return step.max_scan_gb === undefined ? scanCutoffBytes(deps) : step.max_scan_gb * GB;
}

/** Buckets `S3ParquetRead` may read: the lake bucket and the configured external sources. */
export function allowedBuckets(deps: Pick<QueryServiceDeps, 'config' | 'lakeBucket'>): string[] {
  return [...new Set([deps.lakeBucket, ...deps.config.s3_sources.map((s) => s.bucket)])];
}

/**
 * Checks what an `S3ParquetRead` step may read: a `.parquet` object of the lake bucket, or of a
 * configured S3 source — under one of that bucket's source prefixes and matching its pattern.
 * @throws PlanValidationError listing the buckets, or the bucket's prefixes and patterns.
 * @example
 * checkBucket(deps, { …, bucket: 'exports', key: 'events/Login/2025-02-15.parquet' }, 'steps[0]');
 */
export function checkBucket(
  deps: Pick<QueryServiceDeps, 'config' | 'lakeBucket'>,
  step: S3ParquetReadStep,
  path: string,
): void {
  const allowed = allowedBuckets(deps);
  if (!allowed.includes(step.bucket)) {
    throw new PlanValidationError(
      `bucket '${step.bucket}' is neither the lake bucket nor a configured S3 source; read one ` +
        `of ${allowed.join(', ')} (add an s3_sources entry to the config for another bucket)`,
      `${path}.bucket`,
    );
  }
  if (step.bucket === deps.lakeBucket) {
    if (!step.key.endsWith('.parquet')) {
      throw new PlanValidationError(
        `key '${step.key}' is not a Parquet object; S3ParquetRead reads .parquet files of the lake`,
        `${path}.key`,
      );
    }
    return;
  }
  const sources = deps.config.s3_sources.filter((s) => s.bucket === step.bucket);
  const fits = sources.some(
    (source) =>
      step.key.startsWith(source.prefix) &&
      globToRegExp(source.pattern).test(step.key.slice(source.prefix.length)),
  );
  if (!fits) {
    throw new PlanValidationError(
      `key '${step.key}' is outside the configured sources of bucket '${step.bucket}'; read a key ` +
        `under ${sources.map((s) => `'${s.prefix}' matching '${s.pattern}'`).join(' or ')}`,
      `${path}.key`,
    );
  }
}

/** The seed names an Aurora `database`; the service runs on its one configured database. */
export function databaseWarning(
  deps: Pick<QueryServiceDeps, 'hotDatabase'>,
  step: Pick<AuroraQueryStep, 'database' | 'id'>,
): string[] {
  if (!step.database || !deps.hotDatabase || step.database === deps.hotDatabase) return [];
  return [
    `step '${step.id}' names database '${step.database}'; it runs on the configured database ` +
      `'${deps.hotDatabase}'`,
  ];
}
