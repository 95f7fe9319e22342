/**
 * The metrics port: what the platform reports about itself (namespace `Thermocline`, the contract
 * in `lib/constructs/thermocline-metrics.ts`). On AWS the adapter writes CloudWatch embedded
 * metric format (EMF) lines to the function's log; locally there is no sink (the CLI prints the
 * same figures).
 */

/** One value of one metric. */
export interface MetricDatum {
  /** A name of the contract, e.g. `EtlRowsExported`. */
  readonly name: string;
  readonly value: number;
  /** The CloudWatch unit. */
  readonly unit: 'Count' | 'Seconds' | 'Bytes' | 'None';
  /** The configured table it is about: published per table and for the environment as a whole. */
  readonly table?: string;
}

/** Where metrics go. */
export interface MetricsSink {
  publish(data: readonly MetricDatum[]): void;
}
