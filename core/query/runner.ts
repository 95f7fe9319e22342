/**
 * The plan runner: the four tasks of the plan state machine (`etl/state-machines/plan.asl.json`)
 * as plain functions over the query service's ports, so the Lambda handler
 * (`lambdas/plan-step.ts`) and the local runtime (the same ASL run in-process) bind the same code:
 * - {@link loadPlan}: the step ids in run order (the Map's items);
 * - {@link runStep}: one step — binds resolved from the earlier steps' stored outputs, the query run
 *   on its engine (lake queries through the result cache, guarded and estimated again with the
 *   bound parameters), its output stored, its statistics and ledger record written;
 * - {@link finishPlan}: the output step's result archived, the plan marked succeeded;
 * - {@link failPlan}: the plan marked failed with a code and a message (never a stack trace).
 *
 * Errors leave with a `name` the definition's Retry matches: `TransientError` (connections,
 * throttling, PostgreSQL classes 08/40/53/57P) is retried; anything else is recorded on the step
 * and caught at once.
 */
import { isTransientFailure } from '#core/transient';
import { ThermoclineError } from '#core/errors';
import { cacheKey, readCache, writeCache } from '#core/query/cache';
import { PlanValidationError } from '#core/query/errors';
import { checkScanLimit, estimateScan } from '#core/query/estimate';
import { guardSql } from '#core/query/guard';
import { queryCostUsd, recordQuery, type LedgerEntry } from '#core/query/ledger';
import { globToRegExp } from '#core/query/external-sources';
import {
  resolveBinds,
  stepDependencies,
  type AthenaQueryStep,
  type AuroraQueryStep,
  type PlanStep,
  type S3ParquetReadStep,
  type StepOutput,
  type TableRangeStep,
} from '#core/query/plan';
import {
  archiveKey,
  loadPlanState,
  readStepOutput,
  updatePlanState,
  withStep,
  writePlanState,
  writeStepOutput,
  type PlanError,
  type PlanState,
  type StoredStepStats,
} from '#core/query/plan-store';
import { routeTableRange } from '#core/query/range-route';
import { runRoutedRange } from '#core/query/range-run';
import type { QueryServiceDeps } from '#core/query/runtime';
import { BYTES_PER_GB, gbToBytes } from '#core/units';
import type { QueryColumn, QueryParam, QueryRow } from '#ports/query-engine';

/** Bytes in a GB as Athena bills and the estimates report them (10^9; `#core/units`). */
export const GB = BYTES_PER_GB;

/** The environment's scan cutoff, in bytes — the same figure as the Athena workgroup's cutoff. */
export function scanCutoffBytes(deps: Pick<QueryServiceDeps, 'config' | 'environment'>): number {
  return gbToBytes(deps.config.environments[deps.environment].scan_cutoff_gb);
}

/** A lake step's scan limit in bytes: its `max_scan_gb`, else the environment's cutoff. */
export function stepLimitBytes(
  deps: Pick<QueryServiceDeps, 'config' | 'environment'>,
  step: Pick<AthenaQueryStep, 'max_scan_gb'>,
): number {
  return step.max_scan_gb === undefined ? scanCutoffBytes(deps) : step.max_scan_gb * GB;
}

/** Buckets `S3ParquetRead` may read: the lake bucket and the configured external sources. */
export function allowedBuckets(deps: Pick<QueryServiceDeps, 'config' | 'lakeBucket'>): string[] {
  return [...new Set([deps.lakeBucket, ...deps.config.s3_sources.map((s) => s.bucket)])];
}

/**
 * Checks what an `S3ParquetRead` step may read: a `.parquet` object of the lake bucket, or of a
 * configured S3 source — under one of that bucket's source prefixes and matching its pattern.
 * @throws PlanValidationError listing the buckets, or the bucket's prefixes and patterns.
 * @example
 * checkBucket(deps, { …, bucket: 'exports', key: 'events/Login/2025-02-15.parquet' }, 'steps[0]');
 */
export function checkBucket(
  deps: Pick<QueryServiceDeps, 'config' | 'lakeBucket'>,
  step: S3ParquetReadStep,
  path: string,
): void {
  const allowed = allowedBuckets(deps);
  if (!allowed.includes(step.bucket)) {
    throw new PlanValidationError(
      `bucket '${step.bucket}' is neither the lake bucket nor a configured S3 source; read one ` +
        `of ${allowed.join(', ')} (add an s3_sources entry to the config for another bucket)`,
      `${path}.bucket`,
    );
  }
  if (step.bucket === deps.lakeBucket) {
    if (!step.key.endsWith('.parquet')) {
      throw new PlanValidationError(
        `key '${step.key}' is not a Parquet object; S3ParquetRead reads .parquet files of the lake`,
        `${path}.key`,
      );
    }
    return;
  }
  const sources = deps.config.s3_sources.filter((s) => s.bucket === step.bucket);
  const fits = sources.some(
    (source) =>
      step.key.startsWith(source.prefix) &&
      globToRegExp(source.pattern).test(step.key.slice(source.prefix.length)),
  );
  if (!fits) {
    throw new PlanValidationError(
      `key '${step.key}' is outside the configured sources of bucket '${step.bucket}'; read a key ` +
        `under ${sources.map((s) => `'${s.prefix}' matching '${s.pattern}'`).join(' or ')}`,
      `${path}.key`,
    );
  }
}

/**
 * The error a step or plan records: a stable code and a message, never a stack trace; `redact`
 * rewrites the message (the local runtime turns local paths into lake-relative keys).
 */
export function describeError(
  error: unknown,
  redact: (message: string) => string = (message) => message,
): PlanError {
  if (error instanceof ThermoclineError) {
    return { code: error.code, message: redact(error.message) };
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  const message = failure.message.split('\n').slice(0, 5).join('\n').slice(0, 2000);
  return {
    code: failure.name === 'TransientError' ? 'unavailable' : 'query_failed',
    message: redact(message || failure.name),
  };
}

/**
 * Names an error `TransientError` when trying again may help (the state machine retries those):
 * dropped or refused connections, PostgreSQL connection/serialization/resource errors (SQLSTATE
 * classes 08, 40, 53, 57P), AWS throttling and unavailability. Other errors keep their name.
 * @example
 * transient(Object.assign(new Error('x'), { code: '40001' })).name; // 'TransientError'
 */
export function transient(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (failure instanceof ThermoclineError && failure.exitCode !== 3) {
    // The hot engines report PostgreSQL's errors with their SQLSTATE in the message.
    if (failure.code === 'query_failed' && /\(SQLSTATE (08|40|53|57P)/.test(failure.message)) {
      failure.name = 'TransientError';
    }
    return failure;
  }
  const isTransient =
    (failure instanceof ThermoclineError && failure.exitCode === 3) || isTransientFailure(failure);
  if (isTransient) failure.name = 'TransientError';
  return failure;
}

/** Output of the LoadPlan task: the step ids, in run order. */
export interface LoadedPlan {
  readonly planId: string;
  readonly steps: readonly string[];
}

/**
 * LoadPlan: the step ids in the order they run (none when the plan is no longer running, so a
 * re-delivered execution does nothing).
 * @example
 * await loadPlan(deps, '20250215T020000123Z-1a2b3c4d5e'); // { planId: '…', steps: ['s1', 's2'] }
 */
export async function loadPlan(
  deps: Pick<QueryServiceDeps, 'results'>,
  planId: string,
): Promise<LoadedPlan> {
  const state = await loadPlanState(deps.results, planId);
  return { planId, steps: state.status === 'running' ? state.order : [] };
}

/** What executing one step produced. */
interface Executed {
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  readonly stats: Partial<StoredStepStats>;
  readonly ledger: Omit<LedgerEntry, 'at' | 'planId' | 'stepId' | 'caller'>;
}

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
  const index = state.plan.steps.findIndex((s) => s.id === stepId);
  const step = state.plan.steps[index];
  if (!step) {
    throw new PlanValidationError(
      `plan ${planId} has no step '${stepId}'; its steps: ${state.order.join(', ')}`,
      'steps',
    );
  }
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
    const outputs = new Map<string, StepOutput>();
    for (const ref of new Set(stepDependencies(step))) {
      const output = await readStepOutput(deps.results, planId, ref);
      if (output) outputs.set(ref, output);
    }
    const params = resolveBinds(step, outputs);
    const executed = await execute(deps, step, `steps[${index}]`, params);
    const rows = executed.rows.slice(0, step.limit);
    await writeStepOutput(deps.results, planId, {
      step: step.id,
      columns: executed.columns,
      rows,
      totalRows: executed.rows.length,
      truncated: executed.rows.length > step.limit || executed.stats.truncated === true,
    });
    const durationMs = Math.round(performance.now() - t0);
    const at = deps.clock.now().toISOString();
    await recordQuery(
      deps.results,
      { at, planId, stepId, caller: state.caller, ...executed.ledger },
      deps.metrics,
    );
    const { truncated: _truncated, ...stats } = executed.stats;
    const done: StoredStepStats = {
      ...(current ?? { id: step.id, type: step.type }),
      ...stats,
      id: step.id,
      type: step.type,
      status: 'succeeded',
      rows: rows.length,
      totalRows: stats.totalRows ?? executed.rows.length,
      durationMs,
      startedAt: started.toISOString(),
    };
    await updatePlanState(deps.results, planId, (s) => withStep(s, stepId, () => done));
    return done;
  } catch (error) {
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
    throw failure;
  }
}

/** Runs one step on its engine. */
async function execute(
  deps: QueryServiceDeps,
  step: PlanStep,
  path: string,
  params: QueryParam[],
): Promise<Executed & { readonly stats: Partial<StoredStepStats> & { truncated?: boolean } }> {
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
  const key =
    expireSeconds > 0
      ? cacheKey({
          sql: step.sql,
          params,
          engine,
          database: deps.lakeDatabase ?? deps.catalog.description,
          scans: estimate.scans,
        })
      : undefined;
  const hit = key === undefined ? undefined : await readCache(deps.results, key, deps.clock.now());
  const common = {
    engine,
    estimatedBytes: estimate.bytes,
    warnings: analysis.warnings,
  };
  if (hit) {
    return {
      columns: hit.columns,
      rows: hit.rows,
      stats: { ...common, bytesScanned: 0, costUsd: 0, cacheHit: true, reused: false },
      ledger: { engine, bytesScanned: 0, costUsd: 0, engineMs: 0, cacheHit: true, reused: false },
    };
  }
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

/** The seed names an Aurora `database`; the service runs on its one configured database. */
export function databaseWarning(
  deps: Pick<QueryServiceDeps, 'hotDatabase'>,
  step: Pick<AuroraQueryStep, 'database' | 'id'>,
): string[] {
  if (!step.database || !deps.hotDatabase || step.database === deps.hotDatabase) return [];
  return [
    `step '${step.id}' names database '${step.database}'; it runs on the configured database ` +
      `'${deps.hotDatabase}'`,
  ];
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
): Promise<Executed & { readonly stats: Partial<StoredStepStats> & { truncated?: boolean } }> {
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

/**
 * FinishPlan: archives the output step's result to `_results/<id>/<step>.json` and marks the plan
 * succeeded.
 * @example
 * (await finishPlan(deps, planId)).status; // 'succeeded'
 */
export async function finishPlan(
  deps: Pick<QueryServiceDeps, 'results' | 'clock'>,
  planId: string,
): Promise<PlanState> {
  const state = await loadPlanState(deps.results, planId);
  if (state.status !== 'running') return state;
  const output = await readStepOutput(deps.results, planId, state.plan.output);
  if (!output) {
    throw new Error(
      `plan ${planId}: the output step '${state.plan.output}' has no stored result; it did not run`,
    );
  }
  const key = archiveKey(planId, output.step);
  await deps.results.putText(key, JSON.stringify(output), 'application/json');
  const finished: PlanState = {
    ...state,
    status: 'succeeded',
    finishedAt: deps.clock.now().toISOString(),
    result: { step: output.step, key, archivedAt: deps.results.locate(key) },
  };
  await writePlanState(deps.results, finished);
  return finished;
}

/** The error a state machine's Catch passes on: `{Error, Cause}`. */
export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

/**
 * FailPlan: marks the plan failed. The error a step recorded is kept; otherwise it is taken from
 * the Catch output (`Cause` is the Lambda's JSON `{errorType, errorMessage, trace}` on AWS — only
 * the message is kept). The running step becomes failed, the steps that did not run skipped.
 * @example
 * (await failPlan(deps, planId, { Error: 'TransientError', Cause: 'connection refused' })).error;
 * // { code: 'unavailable', message: 'connection refused' }
 */
export async function failPlan(
  deps: Pick<QueryServiceDeps, 'results' | 'clock' | 'redact'>,
  planId: string,
  caught?: CaughtError,
): Promise<PlanState> {
  return updatePlanState(deps.results, planId, (state) => {
    if (state.status !== 'running') return state;
    const error = state.error ?? errorOfCatch(caught, deps.redact);
    return {
      ...state,
      status: 'failed',
      finishedAt: deps.clock.now().toISOString(),
      error,
      steps: state.steps.map((s) =>
        s.status === 'running'
          ? { ...s, status: 'failed', error: s.error ?? error }
          : s.status === 'pending'
            ? { ...s, status: 'skipped' }
            : s,
      ),
    };
  });
}

function errorOfCatch(
  caught: CaughtError | undefined,
  redact: (message: string) => string = (message) => message,
): PlanError {
  const name = caught?.Error ?? 'Error';
  let message = caught?.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the local runtime passes the message itself.
  }
  const code =
    name === 'TransientError'
      ? 'unavailable'
      : name === 'States.Timeout'
        ? 'timeout'
        : name === 'QueryCancelledError'
          ? 'query_cancelled'
          : name.startsWith('States.') || name.startsWith('Lambda.')
            ? 'internal'
            : 'plan_failed';
  return {
    code,
    message: redact(message.split('\n')[0]?.slice(0, 2000) || `the plan failed (${name})`),
  };
}

/** The input of a plan state machine task (one Lambda handles all four, by `action`). */
export type PlanTaskInput =
  | { readonly action: 'load'; readonly planId: string }
  | { readonly action: 'run'; readonly planId: string; readonly stepId: string }
  | { readonly action: 'finish'; readonly planId: string }
  | { readonly action: 'fail'; readonly planId: string; readonly error?: CaughtError };

/**
 * One task of the plan state machine, by `action` — what `lambdas/plan-step.ts` and the local
 * runtime's task handlers call. Outputs stay small (Step Functions passes them on).
 * @example
 * await planTask(deps, { action: 'run', planId, stepId: 's1' });
 */
export async function planTask(deps: QueryServiceDeps, input: PlanTaskInput): Promise<unknown> {
  switch (input.action) {
    case 'load':
      return loadPlan(deps, input.planId);
    case 'run': {
      const stats = await runStep(deps, input.planId, input.stepId);
      return { id: stats.id, status: stats.status, rows: stats.rows ?? 0 };
    }
    case 'finish':
      return { status: (await finishPlan(deps, input.planId)).status };
    case 'fail':
      return { status: (await failPlan(deps, input.planId, input.error)).status };
    default: {
      const action = (input as { action?: unknown }).action;
      throw new PlanValidationError(
        `plan task action ${JSON.stringify(action)} is not known; use load, run, finish or fail`,
        'action',
      );
    }
  }
}
