/**
 * The RunStep task of the plan state machine: one step of a running plan — binds resolved from
 * the earlier steps' stored outputs, the query run on its engine (lake queries through the result
 * cache, guarded and estimated again with the bound parameters), its output stored, its
 * statistics and ledger record written.
 */
import { cacheKey, readCache, writeCache, type CacheKeyInput } from '#core/query/cache';
import { PlanValidationError } from '#core/query/errors';
import { checkScanLimit, estimateScan } from '#core/query/estimate';
import { guardSql } from '#core/query/guard';
import { queryCostUsd, recordQuery, type LedgerEntry } from '#core/query/ledger';
import {
  resolveBinds,
  stepDependencies,
  type AthenaQueryStep,
  type AuroraQueryStep,
  type PlanStep,
  type S3ParquetReadStep,
  type StepOutput,
  type TableRangeStep,
} from '#core/query/query-plan';
import {
  loadPlanState,
  readStepOutput,
  updatePlanState,
  withStep,
  writePlanState,
  writeStepOutput,
  type PlanState,
  type StoredStepStats,
} from '#core/query/plan-store';
import { routeTableRange } from '#core/query/range-route';
import { runRoutedRange } from '#core/query/range-run';
import type { QueryServiceDeps } from '#core/query/service-deps';
import type { QueryColumn, QueryParam, QueryRow } from '#ports/query-engine';
import {
  checkBucket,
  databaseWarning,
  scanCutoffBytes,
  stepLimitBytes,
} from '#core/query/step-checks';
import { describeError, transient } from '#core/query/task-errors';

/** What executing one step produced. */
interface Executed {
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  readonly stats: Partial<StoredStepStats>;
  readonly ledger: Omit<LedgerEntry, 'at' | 'planId' | 'stepId' | 'caller'>;
}

/** What {@link execute} returns: {@link Executed}, its statistics saying whether it truncated. */
type ExecutedStep = Executed & {
  readonly stats: Partial<StoredStepStats> & { truncated?: boolean };
};

/**
 * RunStep: runs one step of a running plan and stores its output (at most its `limit` rows) and
 * statistics; records the query in the ledger.
 * @throws the step's error — `TransientError` for the Retry, anything else recorded on the step.
 * @example
 * await runStep(deps, planId, 's1'); // { id: 's1', status: 'succeeded', rows: 42, … }
 */
export async function runStep(
  deps: QueryServiceDeps,
  planId: string,
  stepId: string,
): Promise<StoredStepStats> {
  const state = await loadPlanState(deps.results, planId);
  const { step, index } = stepOf(state, planId, stepId);
  const current = state.steps.find((s) => s.id === stepId);
  if (state.status !== 'running' && current) return current;
  // Steps run one at a time in `order`; one whose predecessors did not all succeed (a Map item
  // the local interpreter started after another failed) does nothing and writes nothing — FailPlan
  // is writing the state at that moment, and marks the steps that did not run as skipped.
  const before = state.order.slice(0, state.order.indexOf(stepId));
  if (state.steps.some((s) => before.includes(s.id) && s.status !== 'succeeded')) {
    return { ...(current ?? { id: step.id, type: step.type }), status: 'skipped' };
  }
  const started = deps.clock.now();
  const t0 = performance.now();
  await writePlanState(
    deps.results,
    withStep(state, stepId, (s) => ({ ...s, status: 'running', startedAt: started.toISOString() })),
  );
  try {
    const executed = await executeBound(deps, planId, step, index);
    return await storeSucceeded(deps, planId, state, step, executed, { started, t0 });
  } catch (error) {
    throw await recordFailed(deps, planId, stepId, error, t0);
  }
}

/** The step `stepId` of the plan and its index; a {@link PlanValidationError} when it has none. */
function stepOf(
  state: PlanState,
  planId: string,
  stepId: string,
): { step: PlanStep; index: number } {
  const index = state.plan.steps.findIndex((s) => s.id === stepId);
  const step = state.plan.steps[index];
  if (!step) {
    throw new PlanValidationError(
      `plan ${planId} has no step '${stepId}'; its steps: ${state.order.join(', ')}`,
      'steps',
    );
  }
  return { step, index };
}

/** Runs the step on its engine with its binds resolved from the stored outputs it depends on. */
async function executeBound(
  deps: QueryServiceDeps,
  planId: string,
  step: PlanStep,
  index: number,
): Promise<ExecutedStep> {
  const outputs = new Map<string, StepOutput>();
  for (const ref of new Set(stepDependencies(step))) {
    const output = await readStepOutput(deps.results, planId, ref);
    if (output) outputs.set(ref, output);
  }
  const params = resolveBinds(step, outputs);
  return execute(deps, step, `steps[${index}]`, params);
}

/**
 * Stores what the step produced — its output (at most `limit` rows), its ledger record and its
 * statistics in the plan state — and returns the statistics.
 */
async function storeSucceeded(
  deps: QueryServiceDeps,
  planId: string,
  state: PlanState,
  step: PlanStep,
  executed: ExecutedStep,
  timing: { readonly started: Date; readonly t0: number },
): Promise<StoredStepStats> {
  const stepId = step.id;
  const rows = executed.rows.slice(0, step.limit);
  await writeStepOutput(deps.results, planId, {
    step: step.id,
    columns: executed.columns,
    rows,
    totalRows: executed.rows.length,
    truncated: executed.rows.length > step.limit || executed.stats.truncated === true,
  });
  const durationMs = Math.round(performance.now() - timing.t0);
  const at = deps.clock.now().toISOString();
  await recordQuery(
    deps.results,
    { at, planId, stepId, caller: state.caller, ...executed.ledger },
    deps.metrics,
  );
  const { truncated: _truncated, ...stats } = executed.stats;
  const current = state.steps.find((s) => s.id === stepId);
  const done: StoredStepStats = {
    ...(current ?? { id: step.id, type: step.type }),
    ...stats,
    id: step.id,
    type: step.type,
    status: 'succeeded',
    rows: rows.length,
    totalRows: stats.totalRows ?? executed.rows.length,
    durationMs,
    startedAt: timing.started.toISOString(),
  };
  await updatePlanState(deps.results, planId, (s) => withStep(s, stepId, () => done));
  return done;
}

/**
 * The error to rethrow: a `TransientError` for the Retry as it is; any other is first recorded
 * on the step and, when it is the first, on the plan (best effort).
 */
async function recordFailed(
  deps: QueryServiceDeps,
  planId: string,
  stepId: string,
  error: unknown,
  t0: number,
): Promise<Error> {
  const failure = transient(error);
  if (failure.name !== 'TransientError') {
    const described = describeError(failure, deps.redact);
    await updatePlanState(deps.results, planId, (s) => ({
      ...withStep(s, stepId, (st) => ({
        ...st,
        status: 'failed',
        error: described,
        durationMs: Math.round(performance.now() - t0),
      })),
      error: s.error ?? { ...described, message: `step '${stepId}': ${described.message}` },
    })).catch(() => undefined);
  }
  return failure;
}

/** Runs one step on its engine. */
async function execute(
  deps: QueryServiceDeps,
  step: PlanStep,
  path: string,
  params: QueryParam[],
): Promise<ExecutedStep> {
  switch (step.type) {
    case 'AthenaQuery':
      return executeLake(deps, step, path, params);
    case 'AuroraQuery':
      return executeHot(deps, step, path, params);
    case 'S3ParquetRead':
      return executeParquet(deps, step, path);
    case 'TableRange':
      return executeRange(deps, step, path);
  }
}

async function executeLake(
  deps: QueryServiceDeps,
  step: AthenaQueryStep,
  path: string,
  params: QueryParam[],
): Promise<Executed> {
  const pricePerTbUsd = deps.config.query.price_per_tb_usd;
  const analysis = guardSql(step.sql, {
    engine: 'lake',
    lakeTables: await deps.catalog.listTables(),
    hotTables: deps.hotTables,
    path: `${path}.sql`,
  });
  // Parameters are known now: the estimate prunes with them (the submit-time one could not).
  const estimate = await estimateScan(analysis, deps.catalog, { pricePerTbUsd, params });
  const limitBytes = stepLimitBytes(deps, step);
  checkScanLimit(estimate, limitBytes, path);
  const engine = deps.lakeEngine.name;
  const expireSeconds = deps.config.query.cache_expire_seconds;
  const key = expireSeconds > 0 ? lakeCacheKey(deps, step, params, estimate.scans) : undefined;
  const hit = key === undefined ? undefined : await readCache(deps.results, key, deps.clock.now());
  const common = {
    engine,
    estimatedBytes: estimate.bytes,
    warnings: analysis.warnings,
  };
  if (hit) return fromCache(hit, common);
  const result = await deps.lakeEngine.run({
    sql: step.sql,
    params,
    maxScanBytes: limitBytes,
    scans: estimate.scans,
    timeoutMs: deps.config.query.lake_statement_timeout_seconds * 1000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const costUsd = result.reused ? 0 : queryCostUsd(result.bytesScanned, pricePerTbUsd);
  if (key !== undefined) {
    await writeCache(deps.results, key, result, engine, deps.clock.now(), expireSeconds);
  }
  return {
    columns: result.columns,
    rows: result.rows,
    stats: {
      ...common,
      bytesScanned: result.bytesScanned,
      costUsd,
      cacheHit: false,
      reused: result.reused,
    },
    ledger: {
      engine,
      bytesScanned: result.bytesScanned,
      costUsd,
      engineMs: result.engineMs,
      cacheHit: false,
      reused: result.reused,
      ...(result.queryId === undefined ? {} : { queryId: result.queryId }),
    },
  };
}

/** The result cache's key of a lake step: its SQL and parameters over what it scans. */
function lakeCacheKey(
  deps: QueryServiceDeps,
  step: AthenaQueryStep,
  params: QueryParam[],
  scans: CacheKeyInput['scans'],
): string {
  return cacheKey({
    sql: step.sql,
    params,
    engine: deps.lakeEngine.name,
    database: deps.lakeDatabase ?? deps.catalog.description,
    scans,
  });
}

/** A lake step answered from the result cache: nothing scanned, nothing paid. */
function fromCache(
  hit: Pick<Executed, 'columns' | 'rows'>,
  common: {
    readonly engine: string;
    readonly estimatedBytes: number;
    readonly warnings: readonly string[];
  },
): Executed {
  const { engine } = common;
  return {
    columns: hit.columns,
    rows: hit.rows,
    stats: { ...common, bytesScanned: 0, costUsd: 0, cacheHit: true, reused: false },
    ledger: { engine, bytesScanned: 0, costUsd: 0, engineMs: 0, cacheHit: true, reused: false },
  };
}

async function executeHot(
  deps: QueryServiceDeps,
  step: AuroraQueryStep,
  path: string,
  params: QueryParam[],
): Promise<Executed> {
  const analysis = guardSql(step.sql, {
    engine: 'hot',
    lakeTables: [],
    hotTables: deps.hotTables,
    path: `${path}.sql`,
  });
  const result = await deps.hotEngine.run({
    sql: step.sql,
    params,
    timeoutMs: deps.config.query.statement_timeout_seconds * 1000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const engine = deps.hotEngine.name;
  return {
    columns: result.columns,
    rows: result.rows,
    stats: {
      engine,
      bytesScanned: 0,
      costUsd: 0,
      cacheHit: false,
      reused: false,
      warnings: [...analysis.warnings, ...databaseWarning(deps, step)],
    },
    ledger: {
      engine,
      bytesScanned: 0,
      costUsd: 0,
      engineMs: result.engineMs,
      cacheHit: false,
      reused: false,
    },
  };
}

async function executeParquet(
  deps: QueryServiceDeps,
  step: S3ParquetReadStep,
  path: string,
): Promise<Executed> {
  checkBucket(deps, step, path);
  const result = await deps.readParquet(deps.bucket(step.bucket), step.key, {
    ...(step.columns ? { columns: step.columns } : {}),
    limit: step.limit,
  });
  return {
    columns: result.columns,
    rows: result.rows,
    stats: {
      engine: 'parquet',
      bytesScanned: result.bytesScanned,
      costUsd: 0,
      cacheHit: false,
      reused: false,
    },
    ledger: {
      engine: 'parquet',
      bytesScanned: result.bytesScanned,
      costUsd: 0,
      engineMs: result.engineMs,
      cacheHit: false,
      reused: false,
    },
  };
}

async function executeRange(
  deps: QueryServiceDeps,
  step: TableRangeStep,
  path: string,
): Promise<ExecutedStep> {
  const routed = await routeTableRange(deps, step, path);
  const limitBytes = scanCutoffBytes(deps);
  checkScanLimit(routed.estimate, limitBytes, path);
  const result = await runRoutedRange(routed, {
    lakeEngine: deps.lakeEngine,
    hotEngine: deps.hotEngine,
    pricePerTbUsd: deps.config.query.price_per_tb_usd,
    maxScanBytes: limitBytes,
    timeoutMs: deps.config.query.statement_timeout_seconds * 1000,
    lakeTimeoutMs: deps.config.query.lake_statement_timeout_seconds * 1000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const bytesScanned = result.parts.reduce((sum, p) => sum + p.bytesScanned, 0);
  const costUsd = result.parts.reduce((sum, p) => sum + p.costUsd, 0);
  const engineMs = result.parts.reduce((sum, p) => sum + p.engineMs, 0);
  const engine = result.parts.map((p) => p.tier).join('+') || 'none';
  const reused = result.parts.some((p) => p.reused === true);
  return {
    columns: result.columns,
    rows: result.rows,
    stats: {
      engine: engine === 'lake+hot' ? 'hot+lake' : engine,
      bytesScanned,
      estimatedBytes: routed.estimate.bytes,
      costUsd,
      cacheHit: false,
      reused,
      totalRows: result.totalRows,
      truncated: result.truncated,
      warnings: result.warnings,
      parts: result.parts.map((p) => ({
        tier: p.tier,
        engine: p.engine,
        from: p.from,
        to: p.to,
        rows: p.rows,
        bytesScanned: p.bytesScanned,
        ...(p.estimatedBytes === undefined ? {} : { estimatedBytes: p.estimatedBytes }),
        costUsd: p.costUsd,
        engineMs: p.engineMs,
      })),
    },
    ledger: {
      engine: result.parts.map((p) => p.engine).join('+') || 'none',
      bytesScanned,
      costUsd,
      engineMs,
      cacheHit: false,
      reused,
    },
  };
}
