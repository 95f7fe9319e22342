/**
 * The state machine definitions, one place for both runtimes: CDK deploys them with
 * `definitionSubstitutions` for the `${…}` placeholders (function and topic ARNs), and the local
 * runtime runs the same JSON with local values and each Task bound to its handler in-process.
 */
import etl from './etl.asl.json';
import sync from './sync.asl.json';
import retention from './retention.asl.json';
import plan from './plan.asl.json';

/** An Amazon States Language definition. */
export type StateMachineDefinition = Record<string, unknown> & {
  readonly StartAt: string;
  readonly States: Record<string, unknown>;
};

/** The nightly ETL: PlanRun → Map(ExportTableDay, Retry, Catch) → alert and fail on failures. */
export const ETL_DEFINITION = etl as unknown as StateMachineDefinition;

/** The placeholders of the ETL definition, which every deployment must fill. */
export const ETL_PLACEHOLDERS = ['PlanFunctionArn', 'ExportFunctionArn', 'AlertTopicArn'] as const;

/**
 * Reference-table sync: PlanSync → Map(SyncMapping, Retry TransientError ×3, Catch) → alert and
 * fail on failures. Deployed with {@link SYNC_PLACEHOLDERS} filled (`lambdas/sync.ts`:
 * `planHandler`, `handler`; the alert topic); its input is `{mode}` (`incremental` every 15
 * minutes, `full` daily) and optionally `tables`.
 */
export const SYNC_DEFINITION = sync as unknown as StateMachineDefinition;

/** The placeholders of the sync definition, which every deployment must fill. */
export const SYNC_PLACEHOLDERS = [
  'SyncPlanFunctionArn',
  'SyncFunctionArn',
  'AlertTopicArn',
] as const;

/**
 * Retention: PlanPurge → Map(PurgeTable, Retry, Catch) → alert and fail on failures or held days.
 * Deployed with {@link RETENTION_PLACEHOLDERS} filled (plan and purge functions of
 * `lambdas/retention.ts`: `planHandler`, `purgeHandler`; the alert topic).
 */
export const RETENTION_DEFINITION = retention as unknown as StateMachineDefinition;

/** The placeholders of the retention definition, which every deployment must fill. */
export const RETENTION_PLACEHOLDERS = [
  'PlanFunctionArn',
  'PurgeFunctionArn',
  'AlertTopicArn',
] as const;

/**
 * A query plan run: LoadPlan → RunSteps (Map, MaxConcurrency 1: RunStep with Retry on
 * TransientError) → FinishPlan; any failure → FailPlan → Fail. Every Task is the one plan-step
 * function (`lambdas/plan-step.ts`), told what to do by its `action` parameter.
 */
export const PLAN_DEFINITION = plan as unknown as StateMachineDefinition;

/** The placeholders of the plan definition, which every deployment must fill. */
export const PLAN_PLACEHOLDERS = ['PlanStepFunctionArn'] as const;

/**
 * Fills `${Name}` placeholders in every string of a definition, as Step Functions'
 * `DefinitionSubstitutions` do; a placeholder left unfilled is an error naming it.
 * @example
 * substitute(ETL_DEFINITION, { PlanFunctionArn: 'arn:…', ExportFunctionArn: 'arn:…', AlertTopicArn: 'arn:…' });
 */
export function substitute(
  definition: StateMachineDefinition,
  values: Readonly<Record<string, string>>,
): StateMachineDefinition {
  const text = JSON.stringify(definition).replace(
    /\$\{([A-Za-z0-9_]+)\}/g,
    (whole, name: string) => {
      const value = values[name];
      if (value === undefined) {
        throw new Error(
          `state machine placeholder \${${name}} has no value; give one of: ${Object.keys(values).join(', ') || '(none)'}`,
        );
      }
      return JSON.stringify(value).slice(1, -1);
    },
  );
  return JSON.parse(text) as StateMachineDefinition;
}

/**
 * A definition as the local runtime runs it: every placeholder filled with a local ARN named
 * after it (`arn:aws:lambda:local:000000000000:function:PlanFunctionArn`; topics get an SNS ARN).
 * The local runner binds Task states by state name, so the ARNs only have to be well formed.
 * @example
 * runLocalStateMachine(localDefinition(ETL_DEFINITION, ETL_PLACEHOLDERS), handlers, {});
 */
export function localDefinition(
  definition: StateMachineDefinition,
  placeholders: readonly string[],
): StateMachineDefinition {
  return substitute(
    definition,
    Object.fromEntries(
      placeholders.map((name) => [
        name,
        name.endsWith('TopicArn')
          ? `arn:aws:sns:local:000000000000:${name}`
          : `arn:aws:lambda:local:000000000000:function:${name}`,
      ]),
    ),
  );
}
