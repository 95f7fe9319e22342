/** The Lambda functions' metrics sink on AWS (EMF), for `lambdas/observability.ts`. */
import { EmfMetrics } from '#adapters/aws/emf-metrics';
import type { MetricsSink } from '#ports/metrics';

/**
 * The function's metrics sink: EMF lines on stdout in the `Thermocline` namespace, with the
 * environment as a dimension.
 * @example
 * awsMetrics('prod').publish([{ name: 'EtlFailures', value: 1, unit: 'Count' }]);
 */
export function awsMetrics(environment: string): MetricsSink {
  return new EmfMetrics(environment);
}
