/**
 * Thermocline as a library: the programmatic query client (the seed's `executeQueryWithLimit` and
 * `runPlan`), the query service it drives (locally on real engines, or on AWS), and the plan and
 * configuration types. The CLI and the Lambda handlers use the same pieces.
 * @example
 * import { openDatabase, openLocalQueryService, ThermoclineClient, loadConfig } from 'thermocline';
 * const config = loadConfig({ cwd: process.cwd(), env: process.env });
 * const db = await openDatabase({ env: process.env, home: '.thermocline', schema: 'public' });
 * const client = new ThermoclineClient(await openLocalQueryService({ config, home: '.thermocline', db }));
 * const { rows, metadata } = await client.executeQueryWithLimit(
 *   "SELECT event_type, count(*) AS n FROM events WHERE event_type = 'Login' AND dt = '2025-02-15' GROUP BY 1",
 *   10 * 1024 ** 3,
 * );
 */
export {
  ThermoclineClient,
  PlanFailedError,
  type QueryWithLimitResult,
  type ThermoclineClientOptions,
} from '#core/query/client';
export type {
  Caller,
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
  QueryService,
  ResultPage,
  StepStats,
} from '#core/query/service-contract';
export { parsePlan, type Plan, type PlanStep } from '#core/query/query-plan';
export {
  ApiHttpError,
  ThermoclineHttpClient,
  type EstimateRequest,
  type HttpRequestToSign,
  type PlanAccepted,
  type RequestSigner,
  type ThermoclineHttpClientOptions,
} from '#core/client/http-client';
export { regionOfApiUrl, sigV4Signer, type SigV4SignerOptions } from '#runtime/local/remote';
export { openApiDocument } from '#core/api/openapi';
export { createQueryService } from '#core/query/query-service';
export type { QueryServiceDeps } from '#core/query/service-deps';
export { openLocalQueryService } from '#runtime/local/query-runtime';
export { loadConfig, openDatabase } from '#runtime/local/config';
export { resolveConfig, defaultConfig } from '#core/config/resolve';
export type { ThermoclineConfig } from '#core/config/schema';
export { ThermoclineError } from '#core/errors';
