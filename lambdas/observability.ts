/**
 * What every Thermocline handler shares for observability: the Powertools logger (structured JSON
 * logs with the Lambda context, cold start and the environment) and the metrics sink (EMF lines
 * in the `Thermocline` namespace, see `core/adapters/aws/emf-metrics.ts`). Tracing is the function's
 * active X-Ray tracing (set by the `ThermoclineFunction` construct); the Powertools tracer is left
 * out to keep the API functions' bundles small.
 */
import type { Context } from 'aws-lambda';
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { awsMetrics } from '#runtime/aws/metrics';
import type { MetricsSink } from '#ports/metrics';
import type { Env } from '#lambdas/env';

/** `THERMOCLINE_ENVIRONMENT` (set by the stacks): `dev`, `staging` or `prod`; `unknown` outside Lambda. */
export function environmentName(env: Env): string {
  return env['THERMOCLINE_ENVIRONMENT']?.trim() || 'unknown';
}

/** What the handlers use of the Lambda context (`@types/aws-lambda`'s `Context`). */
export type InvocationContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** The logger of the function, with the environment on every line. */
export const logger = new Logger({
  serviceName: 'thermocline',
  persistentKeys: { environment: environmentName(process.env) },
});

/** The function's metrics sink (EMF on stdout). */
export const metrics: MetricsSink = awsMetrics(environmentName(process.env));

/**
 * Wraps a handler with middy and the Powertools logger middleware (Lambda context on every log
 * line); an error is logged once, with its name and message, and rethrown unchanged so its name
 * still drives the state machine's Retry and Catch, or the API's status mapping.
 * @example
 * export const handler = observed<PlanInput, PlanOutput>(async (event) => planRun(config, new Date(), event));
 */
export function observed<Event, Result>(
  handler: (event: Event, context: InvocationContext) => Promise<Result>,
): middy.MiddyfiedHandler<Event, Result> {
  return middy<Event, Result>((event: Event, context: unknown) =>
    handler(event, context as InvocationContext),
  )
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const error = request.error;
        logger.error('handler failed', {
          errorName: error?.name,
          errorMessage: error?.message,
        });
      },
    });
}
