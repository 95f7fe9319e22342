/**
 * The query API's request and response bodies as zod schemas: the one source of the API contract.
 * The OpenAPI document (`GET /openapi.json`, {@link ./openapi}), API Gateway's request models
 * (`lib/query-stack.ts`) and the typed HTTP client (`core/client/http-client.ts`) are generated
 * from or checked against these. The request schemas are the ones the service validates with
 * (the plan is `PlanSchema` itself); the response schemas describe the service contract's types
 * (`#core/query/service`) and are checked against them at compile time below.
 */
import { z } from 'zod';
import { PlanSchema } from '#core/query/query-plan';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
  ResultPage,
  StepStats,
} from '#core/query/service-contract';

/** `POST /plans`: a plan, exactly as the service parses it. */
export const PlanRequestSchema = PlanSchema;

/**
 * `POST /estimate`: one lake statement (`{sql, max_scan_gb?}`) or a plan (`{plan}`); with both,
 * `sql` is estimated. Other keys are ignored.
 */
export const EstimateRequestSchema = z
  .union([
    z.object({
      sql: z.string().min(1).describe('One SELECT on the lake tables.'),
      max_scan_gb: z
        .number()
        .positive()
        .optional()
        .describe("The scan limit to check against (default the environment's cutoff)."),
    }),
    z.object({ plan: PlanSchema.describe('A plan: every AthenaQuery step is estimated.') }),
  ])
  .describe('{"sql": "SELECT …"} or {"plan": {"steps": […]}}');

const ErrorSummarySchema = z.object({ code: z.string(), message: z.string() });

const ColumnSchema = z.object({ name: z.string(), type: z.string() });

/** One page of a step's rows. */
export const ResultPageSchema = z.object({
  step: z.string(),
  columns: z.array(ColumnSchema),
  rows: z
    .array(z.record(z.string(), z.unknown()))
    .describe(
      'Rows with JSON-safe values: big integers and decimals as strings, timestamps ISO 8601.',
    ),
  totalRows: z.number().int(),
  nextPage: z.string().optional().describe('Pass as ?page= for the next page.'),
  archivedAt: z.string().optional().describe('Where the whole result is archived.'),
});

const StepPartSchema = z.object({
  tier: z.enum(['hot', 'lake']),
  engine: z.string(),
  from: z.string(),
  to: z.string(),
  rows: z.number().int(),
  bytesScanned: z.number(),
  estimatedBytes: z.number().optional(),
  costUsd: z.number(),
  engineMs: z.number(),
});

/** Per-step statistics of a plan run. */
export const StepStatsSchema = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
  engine: z.string().optional(),
  rows: z.number().int().optional(),
  bytesScanned: z.number().optional(),
  estimatedBytes: z.number().optional(),
  costUsd: z.number().optional(),
  cacheHit: z.boolean().optional(),
  reused: z.boolean().optional(),
  durationMs: z.number().optional(),
  warnings: z.array(z.string()).optional(),
  error: ErrorSummarySchema.optional(),
  totalRows: z.number().int().optional(),
  parts: z.array(StepPartSchema).optional(),
});

/** `GET /plans/{id}`, and `POST /plans` when the plan ended within the wait (200). */
export const PlanStatusSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  caller: z.string(),
  submittedAt: z.string(),
  finishedAt: z.string().optional(),
  steps: z.array(StepStatsSchema),
  bytesScanned: z.number(),
  costUsd: z.number(),
  result: ResultPageSchema.optional(),
  warnings: z.array(z.string()),
  error: ErrorSummarySchema.optional(),
});

/** `POST /plans` when the plan still runs after the wait (202, `Location` header). */
export const PlanAcceptedSchema = z.object({
  id: z.string(),
  status: z.literal('running'),
  location: z.string().describe('Where to poll: GET this path.'),
});

/** `POST /estimate`. */
export const EstimateResponseSchema = z.object({
  bytes: z.number(),
  gb: z.number(),
  costUsd: z.number(),
  limitGb: z.number(),
  withinLimit: z.boolean(),
  tables: z.array(
    z.object({
      table: z.string(),
      partitions: z.number().int(),
      partitionsTotal: z.number().int(),
      bytes: z.number(),
      columns: z.array(z.string()),
    }),
  ),
  warnings: z.array(z.string()),
});

/** `GET /costs`. */
export const CostReportSchema = z.object({
  month: z.string(),
  queries: z.number().int(),
  bytesScanned: z.number(),
  costUsd: z.number(),
  cacheHits: z.number().int(),
  byCaller: z.array(
    z.object({
      caller: z.string(),
      queries: z.number().int(),
      bytesScanned: z.number(),
      costUsd: z.number(),
    }),
  ),
});

/** `GET /catalog`: the seed's external-sources summary. */
export const CatalogSummarySchema = z.object({
  external_sources: z.object({
    athena: z.object({
      enabled: z.boolean(),
      database: z.string(),
      tables: z.array(z.string()),
      estimated_data_gb: z.number(),
      retention_days: z.number().int().nullable(),
      details: z.array(
        z.object({
          table: z.string(),
          partition_keys: z.array(z.string()),
          partitions: z.number().int(),
          rows: z.number().int(),
          bytes: z.number(),
          last_published_at: z.string().nullable(),
        }),
      ),
    }),
    aurora: z.object({
      enabled: z.boolean(),
      database: z.string(),
      tables: z.array(z.string()),
      sync_mode: z.string(),
      last_sync: z.string().nullable(),
      details: z.array(
        z.object({
          table: z.string(),
          sync_mode: z.string(),
          last_sync: z.string().nullable(),
        }),
      ),
    }),
    s3_sources: z.array(
      z.object({
        bucket: z.string(),
        prefix: z.string(),
        file_count: z.number().int(),
        total_size_gb: z.number(),
        event_types: z.array(z.string()).optional(),
      }),
    ),
  }),
});

/**
 * Every error answer: `{error: {code, message, …}}`; the other fields depend on the error (`path`
 * where in the request, `estimate` and `limitBytes` of a refused scan, `retryAfterSeconds` …).
 */
export const ErrorBodySchema = z.object({
  error: z.looseObject({
    code: z.string().describe("A stable code, e.g. 'plan_invalid', 'scan_limit_exceeded'."),
    message: z.string().describe('What went wrong and what to change.'),
    path: z.string().optional(),
    position: z.number().int().optional(),
    estimate: z.record(z.string(), z.unknown()).optional(),
    limitBytes: z.number().optional(),
    limit: z.number().optional(),
    length: z.number().optional(),
    retryAfterSeconds: z.number().optional(),
  }),
});

/** A zod output type and a contract type are the same type (each assignable to the other). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Deeply mutable, so readonly contract types compare with zod's mutable outputs. */
type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/**
 * Compile-time check that the response schemas describe the service contract's types: a field
 * added to one and not the other fails `tsc`.
 */
export const CONTRACT_MATCHES: {
  readonly planStatus: Same<z.output<typeof PlanStatusSchema>, Mutable<PlanStatus>>;
  readonly stepStats: Same<z.output<typeof StepStatsSchema>, Mutable<StepStats>>;
  readonly resultPage: Same<z.output<typeof ResultPageSchema>, Mutable<ResultPage>>;
  readonly estimate: Same<z.output<typeof EstimateResponseSchema>, Mutable<EstimateResponse>>;
  readonly costs: Same<z.output<typeof CostReportSchema>, Mutable<CostReport>>;
  readonly catalog: Same<z.output<typeof CatalogSummarySchema>, Mutable<CatalogSummary>>;
} = {
  planStatus: true,
  stepStats: true,
  resultPage: true,
  estimate: true,
  costs: true,
  catalog: true,
};
