/**
 * The config's `log_retention_days` as the CloudWatch Logs retention the constructs take.
 */
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * `days` as a {@link logs.RetentionDays} (whose members are numbered by their days).
 * @throws Error naming the value and the retentions CloudWatch Logs accepts.
 * @example
 * retentionDays(30); // logs.RetentionDays.ONE_MONTH
 * retentionDays(45); // throws: log retention 45 days is not one CloudWatch Logs accepts; …
 */
export function retentionDays(days: number): logs.RetentionDays {
  const accepted = Object.values(logs.RetentionDays).filter(
    (value): value is logs.RetentionDays =>
      typeof value === 'number' && value !== logs.RetentionDays.INFINITE,
  );
  const match = accepted.find((value) => value === days);
  if (match === undefined) {
    throw new Error(
      `log retention ${days} days is not one CloudWatch Logs accepts; use one of ` +
        `${[...accepted].sort((a, b) => a - b).join(', ')} (log_retention_days in the config)`,
    );
  }
  return match;
}
