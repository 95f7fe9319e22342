/**
 * CloudWatch embedded metric format (EMF): metrics as JSON log lines that CloudWatch Logs turns
 * into metrics, with no API call on the function's path. Written by hand rather than with the
 * Powertools Metrics class because the contract's dimension sets are exactly
 * `[Environment, Table]` and `[Environment]`, and Powertools adds a `service` dimension to every
 * set, which the alarms would then not match.
 */
import type { MetricDatum, MetricsSink } from '#ports/metrics';

/** The namespace of the platform's own metrics. */
export const EMF_NAMESPACE = 'Thermocline';

/**
 * The EMF documents for `data`: one per table (dimension sets `[Environment, Table]` and
 * `[Environment]`) and one for the metrics of no table (`[Environment]`).
 * @example
 * emfDocuments('dev', [{ name: 'EtlRowsExported', value: 1200, unit: 'Count', table: 'events' }], new Date(0));
 * // [{ _aws: { Timestamp: 0, CloudWatchMetrics: [{ Namespace: 'Thermocline',
 * //   Dimensions: [['Environment', 'Table'], ['Environment']], Metrics: [{ Name: 'EtlRowsExported', Unit: 'Count' }] }] },
 * //   Environment: 'dev', Table: 'events', EtlRowsExported: 1200 }]
 */
export function emfDocuments(
  environment: string,
  data: readonly MetricDatum[],
  now: Date,
): Record<string, unknown>[] {
  const groups = new Map<string | undefined, MetricDatum[]>();
  for (const datum of data) {
    if (!Number.isFinite(datum.value)) continue;
    const group = groups.get(datum.table) ?? [];
    group.push(datum);
    groups.set(datum.table, group);
  }
  return [...groups].map(([table, metrics]) => ({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: EMF_NAMESPACE,
          Dimensions:
            table === undefined ? [['Environment']] : [['Environment', 'Table'], ['Environment']],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    Environment: environment,
    ...(table === undefined ? {} : { Table: table }),
    ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
  }));
}

/**
 * A {@link MetricsSink} writing EMF lines (to stdout, which Lambda sends to CloudWatch Logs).
 * @example
 * const metrics = new EmfMetrics('prod');
 * metrics.publish([{ name: 'EtlFailures', value: 1, unit: 'Count' }]);
 */
export class EmfMetrics implements MetricsSink {
  constructor(
    private readonly environment: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly now: () => Date = () => new Date(),
  ) {}

  publish(data: readonly MetricDatum[]): void {
    for (const document of emfDocuments(this.environment, data, this.now())) {
      this.write(`${JSON.stringify(document)}\n`);
    }
  }
}
