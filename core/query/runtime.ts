/**
 * The query service: binds the {@link QueryService} contract (what the API handler, the local
 * server, the CLI and the programmatic client call) to ports, the same code on AWS and locally.
 *
 * `submitPlan` validates the plan (400), guards every SQL step (400), estimates every lake step and
 * refuses one over its limit (413) — all before anything runs — then persists the plan's state
 * (`_plans/<id>.json` in the results store), starts the plan state machine through the
 * {@link PlanLauncher} (Step Functions on AWS, the same ASL in-process locally) and waits up to
 * `query.wait_seconds` for it to finish: the answer is the finished plan with its first page of
 * results, or the plan still `running` (the API answers 202 then, and `getPlan` polls).
 */
import type { EnvironmentName, ThermoclineConfig } from '#core/config/schema';
import { ThermoclineError, UsageError } from '#core/errors';
import { catalogSummary } from '#core/query/catalog-summary';
import { PlanValidationError } from '#core/query/errors';
import { checkScanLimit, estimateScan, type ScanEstimate } from '#core/query/estimate';
import { guardSql } from '#core/query/guard';
import { checkMonth, monthlyCosts, type LedgerEntry } from '#core/query/ledger';
import { parsePlan, stepOrder, type Plan, type PlanStep } from '#core/query/plan';
import {
  loadPlanState,
  newPlanId,
  planStateKey,
  readArchive,
  readPlanState,
  readStepOutput,
  writePlanState,
  type PlanState,
  type StoredOutput,
  type StoredStepStats,
} from '#core/query/plan-store';
import { routeTableRange } from '#core/query/router';
import {
  checkBucket,
  databaseWarning,
  failPlan,
  GB,
  scanCutoffBytes,
  stepLimitBytes,
} from '#core/query/runner';
import type {
  Caller,
  EstimateResponse,
  PlanStatus,
  QueryService,
  ResultPage,
  StepStats,
} from '#core/query/service';
import type { Catalog } from '#ports/catalog';
import type { Clock } from '#ports/clock';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetObjectReader } from '#ports/parquet-reader';
import type { HotQueryEngine, LakeQueryEngine } from '#ports/query-engine';
import type { PlanLauncher } from '#ports/plan-launcher';

/** Rows of a result page (`GET /plans/{id}` inline, then `?page=`). */
export const RESULT_PAGE_ROWS = 1000;

// The launcher port lives in core/ports with the others; re-exported for the query side.
export type { PlanLauncher } from '#ports/plan-launcher';

/** Last sync per reference table (`lastSyncTimes(db)` of the sync engine). */
export type LastSyncTimes = Readonly<
  Record<string, { readonly lastSyncAt: string | null; readonly mode: string | null }>
>;

/** What the query service runs on: ports and settings only. */
export interface QueryServiceDeps {
  readonly config: ThermoclineConfig;
  /** The environment whose `scan_cutoff_gb` and lifecycle apply. */
  readonly environment: EnvironmentName;
  readonly catalog: Catalog;
  /** Athena, or DuckDB over the lake's files locally. */
  readonly lakeEngine: LakeQueryEngine;
  /** The RDS Data API, or `pg` locally. */
  readonly hotEngine: HotQueryEngine;
  /**
   * The results store (the lake's `_query/` prefix): plan states, step outputs, archived results,
   * the cost ledger and the result cache.
   */
  readonly results: ObjectStore;
  /** The lake bucket's name: `S3ParquetRead` may read it (and the configured S3 sources). */
  readonly lakeBucket: string;
  /** A bucket, rooted at its first key (`S3ParquetRead`, the S3 sources' listings). */
  bucket(name: string): ObjectStore;
  /** Reads a Parquet object of a bucket (`S3ParquetRead`). */
  readonly readParquet: ParquetObjectReader;
  /** Tables `AuroraQuery` steps may read: the configured tables and the mapped ones. */
  readonly hotTables: readonly string[];
  /** The sync engine's last sync per reference table, for the catalog summary. */
  readonly lastSyncTimes?: () => Promise<LastSyncTimes>;
  readonly launcher: PlanLauncher;
  readonly clock: Clock;
  /** Called with every ledger entry (AWS: CloudWatch EMF metrics, see `ledgerMetrics`). */
  readonly metrics?: (entry: LedgerEntry) => void;
  /** The lake's database, for the catalog summary and the cache key (Glue database on AWS). */
  readonly lakeDatabase?: string;
  /** The hot database's name, for the catalog summary and `AuroraQuery` `database` checks. */
  readonly hotDatabase?: string;
  /** Called last by `close()`, after the engines (e.g. to close what the composition opened). */
  readonly onClose?: () => Promise<void>;
  /**
   * Aborts when the service stops (`close({ cancel: true })`): the engines stop the queries of
   * the steps running then (locally; on AWS a step ends with its Lambda).
   */
  readonly signal?: AbortSignal;
  /**
   * Rewrites an error message a plan records, e.g. local paths as lake-relative keys (the local
   * runtime). @default the message as it is
   */
  readonly redact?: (message: string) => string;
}

/**
 * The tables `AuroraQuery` steps may read: the configured time-series tables and the tables of
 * the sync mappings.
 * @example
 * hotTableNames(defaultConfig()); // ['workflows', …, 'events', 'agents', 'members', 'games', 'affiliates']
 */
export function hotTableNames(config: ThermoclineConfig): string[] {
  return [
    ...new Set([...config.tables.map((t) => t.name), ...config.mappings.map((m) => m.table)]),
  ];
}

/** A plan could not be started (the state machine or its runner is unavailable). Exit 3 (503). */
export class PlanLaunchError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 503;
  constructor(message: string) {
    super(message, 'unavailable', 3);
  }
}

/**
 * As many plans run and wait for a run slot as the service takes (`query.max_concurrent_plans`
 * and `query.max_queued_plans`): nothing was started. HTTP 429 with `Retry-After`, exit 1.
 * @example
 * throw new TooManyPlansError(4, 16);
 */
export class TooManyPlansError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 429;
  constructor(
    readonly running: number,
    readonly queued: number,
    /** When to try again (the `Retry-After` header). */
    readonly retryAfterSeconds = 5,
  ) {
    super(
      `${running} plans are running and ${queued} are waiting, as many as this service takes ` +
        `(query.max_concurrent_plans, query.max_queued_plans); nothing was started. Submit the ` +
        `plan again in ${retryAfterSeconds} s, or raise those settings`,
      'too_many_plans',
      1,
    );
  }
}

/** What the checks before a run learned about one step. */
interface StepCheck {
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
async function checkPlan(deps: QueryServiceDeps, plan: Plan): Promise<StepCheck[]> {
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

/** A plan state as the API shows it, with a page of results. */
function toStatus(state: PlanState, result?: ResultPage): PlanStatus {
  const steps: StepStats[] = state.steps.map((s: StoredStepStats) => {
    const { startedAt: _startedAt, ...stats } = s;
    return stats;
  });
  return {
    id: state.id,
    status: state.status,
    caller: state.caller,
    submittedAt: state.submittedAt,
    ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
    steps,
    bytesScanned: steps.reduce((sum, s) => sum + (s.bytesScanned ?? 0), 0),
    costUsd: Math.round(steps.reduce((sum, s) => sum + (s.costUsd ?? 0), 0) * 1e9) / 1e9,
    ...(result ? { result } : {}),
    warnings: state.warnings,
    ...(state.error ? { error: state.error } : {}),
  };
}

/** The page offset of a `page` token (a row offset). */
function pageOffset(page: string | undefined): number {
  if (page === undefined || page === '') return 0;
  if (!/^\d{1,9}$/.test(page)) {
    throw new UsageError(
      `page '${page}' is not a page token; pass the nextPage value of the previous answer`,
    );
  }
  return Number(page);
}

/** One page of a stored output. */
function pageOf(output: StoredOutput, offset: number, archivedAt?: string): ResultPage {
  const rows = output.rows.slice(offset, offset + RESULT_PAGE_ROWS);
  const next = offset + RESULT_PAGE_ROWS;
  return {
    step: output.step,
    columns: output.columns,
    rows,
    totalRows: output.rows.length,
    ...(next < output.rows.length ? { nextPage: String(next) } : {}),
    ...(archivedAt ? { archivedAt } : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Binds the {@link QueryService} contract to the given ports.
 * @example
 * const service = createQueryService({ config, environment: 'local', catalog, lakeEngine, hotEngine,
 *   results, lakeBucket: 'thermocline-lake', bucket, hotTables: hotTableNames(config), launcher, clock });
 * const status = await service.submitPlan({ steps: [{ id: 's1', type: 'AthenaQuery', sql: '…' }] }, { id: 'local:ann' });
 */
export function createQueryService(deps: QueryServiceDeps): QueryService {
  const cutoffGb = (): number => deps.config.environments[deps.environment].scan_cutoff_gb;
  const parse = (input: unknown): Plan =>
    parsePlan(input, {
      tables: deps.config.tables.map((t) => t.name),
      scanCutoffGb: cutoffGb(),
    });

  async function getPlan(
    id: string,
    options: { readonly page?: string; readonly step?: string } = {},
  ): Promise<PlanStatus> {
    const state = await loadPlanState(deps.results, id);
    const offset = pageOffset(options.page);
    if (options.step !== undefined && !state.order.includes(options.step)) {
      throw new UsageError(
        `plan ${id} has no step '${options.step}'; its steps: ${state.order.join(', ')}`,
      );
    }
    const step = options.step ?? (state.status === 'succeeded' ? state.plan.output : undefined);
    if (step === undefined) return toStatus(state);
    const archived = state.result?.step === step ? state.result : undefined;
    const output = archived
      ? await readArchive(deps.results, archived.key)
      : await readStepOutput(deps.results, id, step);
    return toStatus(state, output ? pageOf(output, offset, archived?.archivedAt) : undefined);
  }

  async function submitPlan(
    input: unknown,
    caller: Caller,
    options: { readonly waitMs?: number } = {},
  ): Promise<PlanStatus> {
    const plan = parse(input);
    const checks = await checkPlan(deps, plan);
    for (const check of checks) {
      if (check.estimate && check.limitBytes !== undefined) {
        checkScanLimit(check.estimate, check.limitBytes, check.path);
      }
    }
    const byId = new Map(checks.map((c) => [c.step.id, c]));
    const order = stepOrder(plan).map((s) => s.id);
    const id = newPlanId(deps.clock.now());
    const state: PlanState = {
      format: 1,
      id,
      status: 'running',
      caller: caller.id,
      submittedAt: deps.clock.now().toISOString(),
      plan,
      order,
      steps: order.map((stepId) => {
        const check = byId.get(stepId);
        return {
          id: stepId,
          type: check?.step.type ?? 'unknown',
          status: 'pending',
          ...(check?.estimate ? { estimatedBytes: check.estimate.bytes } : {}),
          ...(check && check.warnings.length > 0 ? { warnings: check.warnings } : {}),
        };
      }),
      warnings: checks.flatMap((c) => c.warnings.map((w) => `${c.step.id}: ${w}`)),
    };
    await writePlanState(deps.results, state);
    try {
      await deps.launcher.start(id);
    } catch (error) {
      if (error instanceof TooManyPlansError) {
        // Refused, not failed: the plan never existed for the caller.
        await deps.results.deletePrefix(planStateKey(id)).catch(() => undefined);
        throw error;
      }
      const message = error instanceof Error ? error.message : String(error);
      await failPlan(deps, id, { Error: 'LaunchFailed', Cause: message }).catch(() => undefined);
      throw new PlanLaunchError(`plan ${id} could not be started (${message}); try again later`);
    }
    const waitMs = options.waitMs ?? deps.config.query.wait_seconds * 1000;
    const deadline = performance.now() + waitMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const current = await readPlanState(deps.results, id);
      const remaining = deadline - performance.now();
      if (!current || current.status !== 'running' || remaining <= 0) break;
      await sleep(Math.min(pause, remaining));
    }
    return getPlan(id);
  }

  async function estimate(body: unknown): Promise<EstimateResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new UsageError(
        `the estimate request must be a JSON object {"sql": "SELECT …"} or {"plan": {"steps": […]}}; got ${JSON.stringify(body)?.slice(0, 80)}`,
      );
    }
    const request = body as { sql?: unknown; plan?: unknown; max_scan_gb?: unknown };
    if (request.sql !== undefined) return estimateSql(request.sql, request.max_scan_gb);
    if (request.plan !== undefined) return estimatePlan(request.plan);
    throw new UsageError(
      `the estimate request has neither "sql" nor "plan" (keys: ${Object.keys(body).join(', ') || 'none'}); send {"sql": "SELECT …"} or {"plan": {"steps": […]}}`,
    );
  }

  async function estimateSql(sql: unknown, maxScanGb: unknown): Promise<EstimateResponse> {
    // The same rules as an AthenaQuery step: validate through the plan schema.
    const plan = parse({
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

  async function estimatePlan(input: unknown): Promise<EstimateResponse> {
    const checks = await checkPlan(deps, parse(input));
    const lake = checks.filter((c) => c.estimate !== undefined);
    const bytes = lake.reduce((sum, c) => sum + (c.estimate?.bytes ?? 0), 0);
    const over = lake.filter((c) => (c.estimate?.bytes ?? 0) > (c.limitBytes ?? Infinity));
    return {
      bytes,
      gb: bytes / GB,
      costUsd: lake.reduce((sum, c) => sum + (c.estimate?.costUsd ?? 0), 0),
      limitGb: cutoffGb(),
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

  return {
    submitPlan,
    getPlan,
    estimate,
    catalog: () => catalogSummary(deps),
    costs: async (options = {}) =>
      monthlyCosts(
        deps.results,
        checkMonth(options.month ?? deps.clock.now().toISOString().slice(0, 7)),
      ),
    close: async (options = {}) => {
      await deps.launcher.close?.(options);
      await Promise.all([deps.lakeEngine.close(), deps.hotEngine.close()]);
      await deps.onClose?.();
    },
  };
}
