/**
 * Where a plan's run lives: its state (`_plans/<id>.json`), each step's output
 * (`_plans/<id>/steps/<step>.json`) and the archived result of the output step
 * (`_results/<id>/<step>.json`), all in the results store (the lake's `_query/` prefix on AWS and
 * locally). Every object is written whole with `putText` (S3 PUT, local write-then-rename), so a
 * reader sees the previous or the next state, never half of one. Only one writer changes a plan's
 * state at a time: the service before it launches the plan, then the state machine's tasks, one
 * after the other (the steps Map runs with MaxConcurrency 1).
 */
import { randomBytes } from 'node:crypto';
import { ThermoclineError } from '#core/errors';
import type { Plan } from '#core/query/query-plan';
import type { StepStats } from '#core/query/service-contract';
import type { ObjectStore } from '#ports/object-store';
import type { QueryColumn, QueryRow } from '#ports/query-engine';

/** Prefix of plan states and step outputs in the results store. */
export const PLANS_PREFIX = '_plans/';
/** Prefix of archived plan results in the results store. */
export const ARCHIVE_PREFIX = '_results/';

/** A plan id: the submit instant (UTC, to the millisecond) and 10 random hex digits. */
const PLAN_ID = /^\d{8}T\d{9}Z-[0-9a-f]{10}$/;

/** A plan that is not in the results store (or an id that cannot be one). HTTP 404, exit 2. */
export class PlanNotFoundError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 404;
  constructor(id: string) {
    super(
      PLAN_ID.test(id)
        ? `plan '${id}' is not known; use the id POST /plans returned (plans are kept in the results store)`
        : `'${id}' is not a plan id; plan ids look like '20250215T020000123Z-1a2b3c4d5e' (POST /plans returns one)`,
      'not_found',
      2,
    );
  }
}

/** The error a failed step or plan carries: a stable code and a message, never a stack trace. */
export interface PlanError {
  readonly code: string;
  readonly message: string;
}

/** A step's statistics as the state keeps them (the API's {@link StepStats}, plus timing). */
export type StoredStepStats = StepStats & {
  /** When the step started (ISO). */
  readonly startedAt?: string;
};

/** The persisted state of one plan run. */
export interface PlanState {
  readonly format: 1;
  readonly id: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly caller: string;
  readonly submittedAt: string;
  readonly finishedAt?: string;
  /** The validated plan, as `parsePlan` returned it. */
  readonly plan: Plan;
  /** Step ids in the order they run (`stepOrder`). */
  readonly order: readonly string[];
  /** Per-step statistics, in run order. */
  readonly steps: readonly StoredStepStats[];
  readonly warnings: readonly string[];
  readonly error?: PlanError;
  /** The archived output, once the plan succeeded. */
  readonly result?: { readonly step: string; readonly key: string; readonly archivedAt: string };
}

/** What one step produced, as stored: the rows it keeps (at most its `limit`). */
export interface StoredOutput {
  readonly step: string;
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  /** Rows the query returned before the step's `limit` was applied. */
  readonly totalRows: number;
  /** Whether `rows` is shorter than what the query returned. */
  readonly truncated: boolean;
}

/**
 * A new plan id: time-sortable (the submit instant first) and unguessable (40 random bits), usable
 * as a Step Functions execution name and in object keys.
 * @example
 * newPlanId(new Date('2025-02-15T02:00:00.123Z')); // '20250215T020000123Z-1a2b3c4d5e'
 */
export function newPlanId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z');
  return `${stamp}-${randomBytes(5).toString('hex')}`;
}

/**
 * Whether `id` has the shape of a plan id (checked before it becomes part of an object key).
 * @example
 * isPlanId('20250215T020000123Z-1a2b3c4d5e'); // true
 * isPlanId('../secrets'); // false
 */
export function isPlanId(id: string): boolean {
  return PLAN_ID.test(id);
}

/** Key of a plan's state. */
export function planStateKey(id: string): string {
  return `${PLANS_PREFIX}${id}.json`;
}

/** Key of a step's stored output. */
export function stepOutputKey(id: string, step: string): string {
  return `${PLANS_PREFIX}${id}/steps/${step}.json`;
}

/** Key of a plan's archived result (the output step's rows). */
export function archiveKey(id: string, step: string): string {
  return `${ARCHIVE_PREFIX}${id}/${step}.json`;
}

/**
 * A plan's state, or undefined when there is none.
 * @throws PlanNotFoundError when `id` is not a plan id at all.
 */
export async function readPlanState(
  store: ObjectStore,
  id: string,
): Promise<PlanState | undefined> {
  if (!isPlanId(id)) throw new PlanNotFoundError(id);
  const text = await store.getText(planStateKey(id));
  return text === undefined ? undefined : (JSON.parse(text) as PlanState);
}

/**
 * A plan's state.
 * @throws PlanNotFoundError when there is none.
 */
export async function loadPlanState(store: ObjectStore, id: string): Promise<PlanState> {
  const state = await readPlanState(store, id);
  if (!state) throw new PlanNotFoundError(id);
  return state;
}

/** Writes a plan's state whole. */
export async function writePlanState(store: ObjectStore, state: PlanState): Promise<void> {
  await store.putText(planStateKey(state.id), JSON.stringify(state), 'application/json');
}

/**
 * Reads, changes and writes a plan's state (the writer is the only one at that moment; see the
 * module comment).
 * @example
 * await updatePlanState(store, id, (s) => ({ ...s, status: 'failed' }));
 */
export async function updatePlanState(
  store: ObjectStore,
  id: string,
  change: (state: PlanState) => PlanState,
): Promise<PlanState> {
  const next = change(await loadPlanState(store, id));
  await writePlanState(store, next);
  return next;
}

/** Replaces one step's statistics in a state. */
export function withStep(
  state: PlanState,
  id: string,
  change: (step: StoredStepStats) => StoredStepStats,
): PlanState {
  return { ...state, steps: state.steps.map((s) => (s.id === id ? change(s) : s)) };
}

/** Stores a step's output. */
export async function writeStepOutput(
  store: ObjectStore,
  planId: string,
  output: StoredOutput,
): Promise<void> {
  await store.putText(
    stepOutputKey(planId, output.step),
    JSON.stringify(output),
    'application/json',
  );
}

/** A step's stored output, or undefined when it has none (not run, or failed). */
export async function readStepOutput(
  store: ObjectStore,
  planId: string,
  step: string,
): Promise<StoredOutput | undefined> {
  const text = await store.getText(stepOutputKey(planId, step));
  return text === undefined ? undefined : (JSON.parse(text) as StoredOutput);
}

/** An archived result, or undefined. */
export async function readArchive(
  store: ObjectStore,
  key: string,
): Promise<StoredOutput | undefined> {
  const text = await store.getText(key);
  return text === undefined ? undefined : (JSON.parse(text) as StoredOutput);
}
