/**
 * The checks a plan gets before anything runs — SQL guarded, binds matched to parameters, buckets
 * and `TableRange` columns checked, every lake read estimated — and the scan estimate the API
 * answers `POST /estimate` with, for one SQL statement or a whole plan.
 */
import { UsageError } from '#core/errors';
import { PlanValidationError } from '#core/query/errors';
import { estimateScan, type ScanEstimate } from '#core/query/estimate';
import { guardSql } from '#core/query/guard';
import { parsePlan, type Plan, type PlanStep } from '#core/query/query-plan';
import { routeTableRange } from '#core/query/range-route';
import {
  checkBucket,
  databaseWarning,
  GB,
  scanCutoffBytes,
  stepLimitBytes,
} from '#core/query/step-checks';
import type { EstimateResponse } from '#core/query/service-contract';
import type { QueryServiceDeps } from '#core/query/service-deps';

/** What the checks before a run learned about one step. */
export interface StepCheck {
  readonly step: PlanStep;
  readonly path: string;
  readonly warnings: readonly string[];
  /** Lake steps: the estimate and the limit it must stay within. */
  readonly estimate?: ScanEstimate;
  readonly limitBytes?: number;
}

/**
 * Checks every step of a validated plan without running anything: guards the SQL (400), checks
 * binds against the SQL's parameters, buckets and `TableRange` columns (400), and estimates every
 * lake read. Limits are not enforced here (the caller decides: 413, or information).
 */
export async function checkPlan(deps: QueryServiceDeps, plan: Plan): Promise<StepCheck[]> {
  const lakeTables = await deps.catalog.listTables();
  const pricePerTbUsd = deps.config.query.price_per_tb_usd;
  const checks: StepCheck[] = [];
  for (const [index, step] of plan.steps.entries()) {
    const path = `steps[${index}]`;
    switch (step.type) {
      case 'AthenaQuery': {
        const analysis = guardSql(step.sql, {
          engine: 'lake',
          lakeTables,
          hotTables: deps.hotTables,
          path: `${path}.sql`,
        });
        checkParams(step, analysis.paramCount, path);
        // Bound parameters are unknown until the referenced steps ran: no pruning by them here.
        const estimate = await estimateScan(analysis, deps.catalog, { pricePerTbUsd });
        checks.push({
          step,
          path,
          warnings: analysis.warnings,
          estimate,
          limitBytes: stepLimitBytes(deps, step),
        });
        break;
      }
      case 'AuroraQuery': {
        const analysis = guardSql(step.sql, {
          engine: 'hot',
          lakeTables: [],
          hotTables: deps.hotTables,
          path: `${path}.sql`,
        });
        checkParams(step, analysis.paramCount, path);
        checks.push({
          step,
          path,
          warnings: [...analysis.warnings, ...databaseWarning(deps, step)],
        });
        break;
      }
      case 'S3ParquetRead':
        checkBucket(deps, step, path);
        checks.push({ step, path, warnings: [] });
        break;
      case 'TableRange': {
        const routed = await routeTableRange(deps, step, path);
        checks.push({
          step,
          path,
          warnings: routed.warnings,
          estimate: routed.estimate,
          limitBytes: scanCutoffBytes(deps),
        });
        break;
      }
    }
  }
  return checks;
}

/** The SQL's `$1…$n` and the step's binds must match one to one. */
function checkParams(
  step: Extract<PlanStep, { sql: string }>,
  paramCount: number,
  path: string,
): void {
  const bound = Object.keys(step.bind ?? {}).length;
  if (bound === paramCount) return;
  const uses = paramCount === 0 ? 'no parameters' : `$1…$${paramCount}`;
  throw new PlanValidationError(
    bound < paramCount
      ? `the SQL uses ${uses} but the step binds ${bound === 0 ? 'none' : `only $1…$${bound}`}; ` +
          `bind each parameter to a field of an earlier step: "bind": {"$1": {"ref": "s1", "field": "…"}}`
      : `the step binds $1…$${bound} but the SQL uses ${uses}; remove the extra binds or use them in the SQL`,
    `${path}.bind`,
  );
}

/**
 * Validates a plan for this service: the plan schema, the configured tables and the
 * environment's scan cutoff as the largest `max_scan_gb`.
 * @throws PlanValidationError with the path of the bad field.
 */
export function parseServicePlan(
  deps: Pick<QueryServiceDeps, 'config' | 'environment'>,
  input: unknown,
): Plan {
  return parsePlan(input, {
    tables: deps.config.tables.map((t) => t.name),
    scanCutoffGb: deps.config.environments[deps.environment].scan_cutoff_gb,
  });
}

/**
 * The scan estimate of `POST /estimate`: of `{"sql": …, "max_scan_gb"?: …}` (checked as an
 * `AthenaQuery` step) or of every lake read of `{"plan": …}`. Nothing runs.
 * @throws UsageError for a body that is neither; PlanValidationError for a bad plan or SQL.
 * @example
 * (await estimateRequest(deps, { sql: 'SELECT count(*) FROM events' })).withinLimit; // true
 */
export async function estimateRequest(
  deps: QueryServiceDeps,
  body: unknown,
): Promise<EstimateResponse> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UsageError(
      `the estimate request must be a JSON object {"sql": "SELECT …"} or {"plan": {"steps": […]}}; got ${JSON.stringify(body)?.slice(0, 80)}`,
    );
  }
  const request = body as { sql?: unknown; plan?: unknown; max_scan_gb?: unknown };
  if (request.sql !== undefined) return estimateSql(deps, request.sql, request.max_scan_gb);
  if (request.plan !== undefined) return estimatePlan(deps, request.plan);
  throw new UsageError(
    `the estimate request has neither "sql" nor "plan" (keys: ${Object.keys(body).join(', ') || 'none'}); send {"sql": "SELECT …"} or {"plan": {"steps": […]}}`,
  );
}

async function estimateSql(
  deps: QueryServiceDeps,
  sql: unknown,
  maxScanGb: unknown,
): Promise<EstimateResponse> {
  // The same rules as an AthenaQuery step: validate through the plan schema.
  const plan = parseServicePlan(deps, {
    steps: [
      {
        id: 'sql',
        type: 'AthenaQuery',
        sql,
        ...(maxScanGb === undefined ? {} : { max_scan_gb: maxScanGb }),
      },
    ],
  });
  const step = plan.steps[0];
  if (step?.type !== 'AthenaQuery') throw new Error('unreachable: one AthenaQuery step');
  const analysis = guardSql(step.sql, {
    engine: 'lake',
    lakeTables: await deps.catalog.listTables(),
    hotTables: deps.hotTables,
    path: 'sql',
  });
  const scan = await estimateScan(analysis, deps.catalog, {
    pricePerTbUsd: deps.config.query.price_per_tb_usd,
  });
  const limitBytes = stepLimitBytes(deps, step);
  return {
    bytes: scan.bytes,
    gb: scan.bytes / GB,
    costUsd: scan.costUsd,
    limitGb: limitBytes / GB,
    withinLimit: scan.bytes <= limitBytes,
    tables: scan.tables.map((t) => ({ ...t, columns: [...t.columns] })),
    warnings: [...analysis.warnings],
  };
}

async function estimatePlan(deps: QueryServiceDeps, input: unknown): Promise<EstimateResponse> {
  const checks = await checkPlan(deps, parseServicePlan(deps, input));
  const lake = checks.filter((c) => c.estimate !== undefined);
  const bytes = lake.reduce((sum, c) => sum + (c.estimate?.bytes ?? 0), 0);
  const over = lake.filter((c) => (c.estimate?.bytes ?? 0) > (c.limitBytes ?? Infinity));
  return {
    bytes,
    gb: bytes / GB,
    costUsd: lake.reduce((sum, c) => sum + (c.estimate?.costUsd ?? 0), 0),
    limitGb: deps.config.environments[deps.environment].scan_cutoff_gb,
    withinLimit: over.length === 0,
    tables: lake.flatMap((c) =>
      (c.estimate?.tables ?? []).map((t) => ({ ...t, columns: [...t.columns] })),
    ),
    warnings: [
      ...checks.flatMap((c) => c.warnings.map((w) => `${c.step.id}: ${w}`)),
      ...over.map(
        (c) =>
          `${c.step.id}: about ${((c.estimate?.bytes ?? 0) / GB).toPrecision(3)} GB is over its ` +
          `limit of ${((c.limitBytes ?? 0) / GB).toPrecision(3)} GB; the plan would be refused (413)`,
      ),
    ],
  };
}
