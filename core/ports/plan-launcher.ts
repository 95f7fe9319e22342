/**
 * The plan launcher port: how the query service starts a persisted plan's run.
 */

/**
 * Starts the plan state machine for a persisted plan: Step Functions `StartExecution` on AWS
 * (`SfnPlanLauncher`), the same ASL run in-process in the background locally.
 */
export interface PlanLauncher {
  /**
   * Starts the run of `planId` (or queues it for a run slot, locally) and resolves once it is
   * started or queued (not finished).
   * @throws TooManyPlansError when as many plans run and wait as the launcher takes.
   */
  start(planId: string): Promise<void>;
  /**
   * Waits for runs still going in this process (local); absent when there are none (AWS). With
   * `cancel`, stops them first: the running queries are interrupted and queued plans fail.
   */
  close?(options?: { readonly cancel?: boolean }): Promise<void>;
}
