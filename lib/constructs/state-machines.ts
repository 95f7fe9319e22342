/**
 * Deploying one of the platform's ASL definitions (`etl/state-machines/*.asl.json`, the files the
 * local runtime executes unchanged) as a Step Functions state machine, and starting one on a
 * schedule.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StateMachineDefinition } from '#etl/state-machines/index';

/** What {@link addStateMachine} needs. */
export interface StateMachineOptions {
  /** The state machine's name, e.g. `thermocline-dev-sync`. */
  readonly stateMachineName: string;
  /** The definition, with its `${…}` placeholders. */
  readonly definition: StateMachineDefinition;
  /** A value for every placeholder of the definition. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Where the definition comes from, for the console. */
  readonly comment: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Adds `${id}Logs` (a log group under `/aws/vendedlogs/states/`) and `${id}` (the state machine:
 * logs at level ALL with execution data, X-Ray tracing) to `scope`. Construct IDs are derived
 * from `id` so that adding a machine never renames another's resources.
 * @example
 * const sync = addStateMachine(this, 'SyncStateMachine', {
 *   stateMachineName: 'thermocline-dev-sync', definition: SYNC_DEFINITION,
 *   substitutions: { … }, comment: 'etl/state-machines/sync.asl.json', logRetention,
 * });
 */
export function addStateMachine(
  scope: Construct,
  id: string,
  options: StateMachineOptions,
): { readonly stateMachine: sfn.StateMachine; readonly logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    logGroupName: `/aws/vendedlogs/states/${options.stateMachineName}`,
    retention: options.logRetention,
  });
  const stateMachine = new sfn.StateMachine(scope, id, {
    stateMachineName: options.stateMachineName,
    comment: options.comment,
    definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(options.definition)),
    definitionSubstitutions: { ...options.substitutions },
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    tracingEnabled: true,
  });
  return { stateMachine, logGroup };
}

/** What {@link scheduleStateMachine} needs. */
export interface ScheduleOptions {
  /** The rule's name, e.g. `thermocline-dev-incremental-sync`. */
  readonly ruleName: string;
  readonly description: string;
  /** An EventBridge schedule expression (validated by the config). */
  readonly expression: string;
  /** Off: the rule exists but starts nothing. */
  readonly enabled: boolean;
  /** The execution input. */
  readonly input: Record<string, unknown>;
}

/**
 * An EventBridge rule that starts `stateMachine` with `input` on a schedule.
 * @example
 * scheduleStateMachine(this, 'IncrementalSyncSchedule', sync, { ruleName: 'thermocline-dev-incremental-sync',
 *   description: '…', expression: 'rate(15 minutes)', enabled: true, input: { mode: 'incremental' } });
 */
export function scheduleStateMachine(
  scope: Construct,
  id: string,
  stateMachine: sfn.IStateMachine,
  options: ScheduleOptions,
): events.Rule {
  return new events.Rule(scope, id, {
    ruleName: options.ruleName,
    description: options.description,
    schedule: events.Schedule.expression(options.expression),
    enabled: options.enabled,
    targets: [
      new targets.SfnStateMachine(stateMachine, {
        input: events.RuleTargetInput.fromObject(options.input),
      }),
    ],
  });
}
