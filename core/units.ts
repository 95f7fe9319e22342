/**
 * Units shared by the query side and the infrastructure, defined once: a scan limit in the config
 * (`scan_cutoff_gb`, a step's `max_scan_gb`) is in GB of 10^9 bytes, as Athena bills ($5 per TB of
 * 10^12 bytes) — the guard's limit and the Athena workgroup's cutoff are the same number of bytes.
 */

/** Bytes in a GB (10^9), as Athena bills and the config's `*_gb` keys mean. */
export const BYTES_PER_GB = 1e9;

/**
 * A config GB figure in whole bytes: the one conversion the guard, the estimates and the CDK
 * workgroup use.
 * @example
 * gbToBytes(10); // 10000000000
 */
export function gbToBytes(gb: number): number {
  return Math.round(gb * BYTES_PER_GB);
}
