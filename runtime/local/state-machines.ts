/**
 * The four state machines on the local runtime, in one place: each definition (the ASL file CDK
 * deploys, from `etl/state-machines`) with every Task state bound by name to the function its
 * Lambda handler wraps — over the local adapters — and the SNS tasks bound to the alerts file.
 * The `run*StateMachine` functions (`etl-runtime.ts`, `sync-runtime.ts`, `retention-runtime.ts`)
 * and the query service's plan launcher (`query-runtime.ts`) run them.
 */
import { join } from 'node:path';
import { FileAlerts } from '#adapters/local/file-alerts';
import {
  alertTask,
  LOCAL_RETRY_PAUSE_MS,
  runLocalStateMachine,
  type LocalExecution,
  type LocalRunOptions,
  type LocalTaskHandler,
} from '#adapters/local/local-state-machine';
import type { MappingConfig, ThermoclineConfig } from '#core/config/schema';
import { planTask, type PlanTaskInput } from '#core/query/plan-tasks';
import type { QueryServiceDeps } from '#core/query/service-deps';
import type { ExportDeps } from '#etl/export';
import { planPurge, type RetentionInput } from '#etl/retention/tasks';
import {
  ETL_DEFINITION,
  ETL_PLACEHOLDERS,
  PLAN_DEFINITION,
  PLAN_PLACEHOLDERS,
  RETENTION_DEFINITION,
  RETENTION_PLACEHOLDERS,
  SYNC_DEFINITION,
  SYNC_PLACEHOLDERS,
  localDefinition,
} from '#etl/state-machines/index';
import type { SyncPlanInput } from '#etl/sync/plan';
import type { SyncDeps } from '#etl/sync/run';
import { planSyncTask, syncTask } from '#etl/sync/tasks';
import {
  abandonChunksTask,
  chunkTask,
  exportTask,
  findChangedDaysTask,
  planRun,
  publishChunksTask,
  type PlanInput,
} from '#etl/tasks';
import type { Alerts } from '#ports/alerts';
import type { Clock } from '#ports/clock';

export {
  executionReport,
  type LocalExecution,
  type LocalTaskHandler,
  type StateEvent,
} from '#adapters/local/local-state-machine';

/** The machines, by name. */
export type MachineName = 'etl' | 'sync' | 'retention' | 'plan';

const DEFINITIONS = {
  etl: () => localDefinition(ETL_DEFINITION, ETL_PLACEHOLDERS),
  sync: () => localDefinition(SYNC_DEFINITION, SYNC_PLACEHOLDERS),
  retention: () => localDefinition(RETENTION_DEFINITION, RETENTION_PLACEHOLDERS),
  plan: () => localDefinition(PLAN_DEFINITION, PLAN_PLACEHOLDERS),
} as const;

/**
 * The definition of `machine` for the local runtime (its `${…Arn}` placeholders replaced by the
 * names of the local task handlers).
 */
export function localMachineDefinition(machine: MachineName): Record<string, unknown> {
  return DEFINITIONS[machine]();
}

/**
 * Runs `machine` locally with `tasks` bound to its Task states. Retry pauses are
 * {@link LOCAL_RETRY_PAUSE_MS} unless `options.retryPauseMs` says otherwise.
 * @example
 * const execution = await runMachine('etl', etlTasks(runtime, deps, alerts), { date: '2025-02-15' });
 */
export function runMachine(
  machine: MachineName,
  tasks: Readonly<Record<string, LocalTaskHandler>>,
  input: unknown,
  options: LocalRunOptions = {},
): Promise<LocalExecution> {
  return runLocalStateMachine(localMachineDefinition(machine), tasks, input, {
    retryPauseMs: LOCAL_RETRY_PAUSE_MS,
    ...options,
  });
}

/** The alerts of the local runtime: `home/alerts.log` (and stderr). */
export function localAlerts(home: string): Alerts {
  return new FileAlerts(join(home, 'alerts.log'));
}

/**
 * The ETL machine's tasks (`etl.asl.json`): PlanRun, ExportTableDay, FindChangedDays,
 * ReexportTableDay, the chunk tasks of a split day in both Maps (ExportChunk, PublishChunks,
 * AbandonChunks; ReexportChunk, …) — the functions of `etl/tasks.ts` the Lambdas wrap — and
 * NotifyFailure.
 */
export function etlTasks(
  runtime: { readonly config: ThermoclineConfig; readonly clock: Clock },
  deps: ExportDeps,
  alerts: Alerts,
): Record<string, LocalTaskHandler> {
  const { config } = runtime;
  const exportDay = exportTask(deps, config) as LocalTaskHandler;
  const chunk = chunkTask(deps, config) as LocalTaskHandler;
  const publish = publishChunksTask(deps, config) as LocalTaskHandler;
  const abandon = abandonChunksTask(deps, config) as LocalTaskHandler;
  return {
    PlanRun: async (planInput: PlanInput) => planRun(config, runtime.clock.now(), planInput),
    ExportTableDay: exportDay,
    ExportChunk: chunk,
    PublishChunks: publish,
    AbandonChunks: abandon,
    FindChangedDays: findChangedDaysTask(deps, config),
    ReexportTableDay: exportDay,
    ReexportChunk: chunk,
    PublishReexportChunks: publish,
    AbandonReexportChunks: abandon,
    NotifyFailure: alertTask(alerts),
  };
}

/** The sync machine's tasks (`sync.asl.json`): PlanSync, SyncMapping and NotifyFailure. */
export function syncTasks(
  mappings: readonly MappingConfig[],
  deps: SyncDeps,
  alerts: Alerts,
): Record<string, LocalTaskHandler> {
  return {
    PlanSync: async (planInput: SyncPlanInput) => planSyncTask(mappings)(planInput),
    SyncMapping: syncTask(deps),
    NotifyFailure: alertTask(alerts),
  };
}

/**
 * The retention machine's tasks (`retention.asl.json`): PlanPurge, PurgeTable (built by the
 * caller, which collects its reports) and the two SNS tasks, NotifyFailure and NotifyHeld.
 */
export function retentionTasks(
  config: ThermoclineConfig,
  purgeTable: LocalTaskHandler,
  alerts: Alerts,
): Record<string, LocalTaskHandler> {
  const notify = alertTask(alerts);
  return {
    PlanPurge: async (planInput: RetentionInput) => planPurge(config, planInput),
    PurgeTable: purgeTable,
    NotifyFailure: notify,
    NotifyHeld: notify,
  };
}

/**
 * The plan machine's tasks (`plan.asl.json`), each the function the plan-step Lambda calls.
 * @example
 * await runMachine('plan', planTaskHandlers(deps), { planId }, { retryPauseMs: 200 });
 */
export function planTaskHandlers(deps: QueryServiceDeps): Record<string, LocalTaskHandler> {
  const task = (input: PlanTaskInput): Promise<unknown> => planTask(deps, input);
  return {
    LoadPlan: task as LocalTaskHandler,
    RunStep: task as LocalTaskHandler,
    FinishPlan: task as LocalTaskHandler,
    FailPlan: task as LocalTaskHandler,
  };
}
