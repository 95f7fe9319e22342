/**
 * A scheduled job: one of the platform's ASL definitions deployed as a state machine whose tasks
 * are Thermocline functions, started by one or more EventBridge schedules, publishing failures to
 * the alert topic — the block the ETL, the sync and retention each repeat.
 *
 * Not a construct subtree on purpose: its resources are added to the given stack under the IDs
 * they always had (`EtlStateMachine`, `EtlStateMachineLogs`, `EtlSchedule`, …), so deployed
 * stacks keep their logical IDs. Nesting them under a `ScheduledJob` construct would rename every
 * resource, and CloudFormation would create the renamed, explicitly named state machines and
 * rules before deleting the old ones — a name conflict on the next deploy.
 */
import { Validations, type Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { StateMachineDefinition } from '#etl/state-machines/index';
import { acknowledgeWildcardResource } from './nag-acknowledgements';
import { addStateMachine, scheduleStateMachine, type ScheduleOptions } from './state-machines';
import type { ThermoclineFunction } from './thermocline-function';

/** Where a job's failures go: the Monitoring stack's alert topic. */
export interface JobAlerts {
  readonly alertTopic: { readonly topicArn: string };
  grantPublishAlerts(grantee: sfn.StateMachine): unknown;
}

/** Properties of a {@link ScheduledJob}. */
export interface ScheduledJobProps {
  /** The state machine's name, e.g. `thermocline-dev-sync`. */
  readonly stateMachineName: string;
  /** The ASL definition, with its `${…}` placeholders. */
  readonly definition: StateMachineDefinition;
  /** Every placeholder of the definition (the `*_PLACEHOLDERS` list exported with it). */
  readonly placeholders: readonly string[];
  /** The function each task placeholder names, e.g. `{ SyncFunctionArn: syncFunction }`. */
  readonly tasks: Readonly<Record<string, ThermoclineFunction>>;
  /** Failures are published to this topic (the `AlertTopicArn` placeholder). */
  readonly alerts: JobAlerts;
  /** Where the definition comes from, for the console. */
  readonly comment: string;
  readonly logRetention: logs.RetentionDays;
  /** The rules that start the job, by construct ID. */
  readonly schedules: Readonly<Record<string, ScheduleOptions>>;
}

/**
 * Adds a job's state machine (`id`, its log group `${id}Logs`) and schedules to `stack`, lets the
 * machine invoke its task functions and publish alerts, and acknowledges the cdk-nag findings
 * of the machine's role with their reasons.
 * @throws Error when the tasks and the alert topic do not fill exactly the definition's
 * placeholders (a stack bug, caught by the synth).
 * @example
 * const sync = new ScheduledJob(this, 'SyncStateMachine', {
 *   stateMachineName: 'thermocline-dev-sync', definition: SYNC_DEFINITION,
 *   placeholders: SYNC_PLACEHOLDERS,
 *   tasks: { SyncPlanFunctionArn: syncPlanFunction, SyncFunctionArn: syncFunction },
 *   alerts: monitoring, comment: '…', logRetention,
 *   schedules: { FullSyncSchedule: { ruleName: 'thermocline-dev-full-sync', … } },
 * });
 */
export class ScheduledJob {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** The rules, by the construct IDs given. */
  readonly schedules: Readonly<Record<string, events.Rule>>;

  constructor(stack: Stack, id: string, props: ScheduledJobProps) {
    const substitutions: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(props.tasks).map(([name, fn]) => [name, fn.function.functionArn]),
      ),
      AlertTopicArn: props.alerts.alertTopic.topicArn,
    };
    const given = Object.keys(substitutions).sort();
    const wanted = [...props.placeholders].sort();
    if (given.join() !== wanted.join()) {
      throw new Error(
        `${props.stateMachineName}: the tasks fill ${given.join(', ')} but the definition's ` +
          `placeholders are ${wanted.join(', ')}`,
      );
    }
    const { stateMachine, logGroup } = addStateMachine(stack, id, {
      stateMachineName: props.stateMachineName,
      definition: props.definition,
      substitutions,
      comment: props.comment,
      logRetention: props.logRetention,
    });
    this.stateMachine = stateMachine;
    this.logGroup = logGroup;
    const tasks = Object.values(props.tasks);
    for (const fn of tasks) fn.grantInvoke(stateMachine);
    props.alerts.grantPublishAlerts(stateMachine);
    this.schedules = Object.fromEntries(
      Object.entries(props.schedules).map(([ruleId, options]) => [
        ruleId,
        scheduleStateMachine(stack, ruleId, stateMachine, options),
      ]),
    );
    acknowledgeMachineRole(stateMachine, tasks);
  }
}

/** The findings of a state machine's role that invokes `functions` and publishes alerts. */
function acknowledgeMachineRole(
  machine: sfn.StateMachine,
  functions: readonly ThermoclineFunction[],
): void {
  const machineRole = machine.role;
  Validations.of(machineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only for actions without resource-level permissions: X-Ray tracing ' +
      '(PutTraceSegments, PutTelemetryRecords, GetSamplingRules/Targets) and CloudWatch Logs ' +
      'log delivery (CreateLogDelivery, DescribeLogGroups, … which Step Functions needs to log).',
  });
  for (const fn of functions) {
    acknowledgeWildcardResource(
      machineRole,
      `${fn.function.functionArn}:*`,
      'Invoke the task function and its versions or aliases (the standard ' +
        'lambda:InvokeFunction grant); no other function.',
    );
  }
  Validations.of(machineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      "On the alert topic's own KMS key only: publishing to the encrypted topic needs a data " +
      'key (kms:GenerateDataKey*), granted by the topic-publish intent method.',
  });
}
