/**
 * The plan launcher on AWS: one Step Functions `StartExecution` of the plan state machine per
 * plan. The execution is named after the plan id, so a retried start cannot run a plan twice
 * (Step Functions refuses a second execution of the same name, which counts as started).
 */
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { PlanLauncher } from '#core/query/plan-launcher';

/** Options of an {@link SfnPlanLauncher}. */
export interface SfnPlanLauncherOptions {
  /** The plan state machine (`PLAN_STATE_MACHINE_ARN`). */
  readonly stateMachineArn: string;
}

/**
 * Starts the plan state machine with `{"planId": …}`.
 * @example
 * const launcher = new SfnPlanLauncher(new SFNClient({}), { stateMachineArn: process.env.PLAN_STATE_MACHINE_ARN! });
 * await launcher.start('20250215T020000123Z-1a2b3c4d5e');
 */
export class SfnPlanLauncher implements PlanLauncher {
  constructor(
    private readonly client: SFNClient,
    private readonly options: SfnPlanLauncherOptions,
  ) {}

  async start(planId: string): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.options.stateMachineArn,
          name: planId,
          input: JSON.stringify({ planId }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }
}
