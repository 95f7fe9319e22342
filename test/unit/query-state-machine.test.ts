import aslValidator from 'asl-validator';
import { runLocalStateMachine, type LocalTaskHandler } from '#adapters/local/local-state-machine';
import type { PlanTaskInput } from '#core/query/plan-tasks';
import { PLAN_DEFINITION, PLAN_PLACEHOLDERS, substitute } from '#etl/state-machines/index';

const definition = substitute(PLAN_DEFINITION, {
  PlanStepFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:plan-step',
});

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Stand-in tasks that record every call; `run` decides what a step does. */
function tasks(run: (stepId: string) => Promise<unknown> = async (id) => ({ id })) {
  const calls: PlanTaskInput[] = [];
  const task = (async (input: PlanTaskInput) => {
    calls.push(input);
    switch (input.action) {
      case 'load':
        return { planId: input.planId, steps: ['s1', 's2'] };
      case 'run':
        return run(input.stepId);
      default:
        return { status: input.action === 'finish' ? 'succeeded' : 'failed' };
    }
  }) as LocalTaskHandler;
  const bound: Record<string, LocalTaskHandler> = {
    LoadPlan: task,
    RunStep: task,
    FinishPlan: task,
    FailPlan: task,
  };
  return { bound, calls };
}

describe('the plan state machine definition', () => {
  it('is valid Amazon States Language once its placeholder is filled', () => {
    const { isValid, errors } = aslValidator(definition);

    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('has exactly the placeholders a deployment must fill', () => {
    const found = new Set(JSON.stringify(PLAN_DEFINITION).match(/\$\{([A-Za-z]+)\}/g));

    expect([...found].sort()).toEqual(PLAN_PLACEHOLDERS.map((p) => `\${${p}}`).sort());
  });

  it('runs the steps one at a time', () => {
    const runSteps = (definition.States as Record<string, { MaxConcurrency?: number }>)['RunSteps'];

    expect(runSteps?.MaxConcurrency).toBe(1);
  });
});

describe('running the plan definition locally', () => {
  it('loads the plan, runs every step in order, then finishes it', async () => {
    const { bound, calls } = tasks();

    const run = await runLocalStateMachine(definition, bound, { planId: 'p1' });

    expect(run.status).toBe('SUCCEEDED');
    expect(calls).toEqual([
      { action: 'load', planId: 'p1' },
      { action: 'run', planId: 'p1', stepId: 's1' },
      { action: 'run', planId: 'p1', stepId: 's2' },
      { action: 'finish', planId: 'p1' },
    ]);
  });

  it('retries a step that failed transiently', async () => {
    let attempts = 0;
    const { bound, calls } = tasks(async (id) => {
      if (id === 's1' && ++attempts < 3) throw named('TransientError', 'connection reset');
      return { id };
    });

    const run = await runLocalStateMachine(
      definition,
      bound,
      { planId: 'p1' },
      { retryPauseMs: 0 },
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    expect(calls.at(-1)).toEqual({ action: 'finish', planId: 'p1' });
  });

  it('marks the plan failed with the error of a failing step, never finishing it', async () => {
    const { bound, calls } = tasks(async (id) => {
      if (id === 's1') throw named('SqlRejectedError', 'only SELECT statements may run');
      return { id };
    });

    const run = await runLocalStateMachine(
      definition,
      bound,
      { planId: 'p1' },
      { retryPauseMs: 0 },
    );

    expect(run.status).toBe('FAILED');
    expect(run.error?.error).toBe('PlanFailed');
    // Locally the Map may still start an item queued before the failure (Step Functions stops
    // it); runStep itself skips a step whose predecessors did not all succeed.
    expect(calls.map((c) => c.action)).not.toContain('finish');
    expect(calls.at(-1)).toEqual({
      action: 'fail',
      planId: 'p1',
      error: { Error: 'SqlRejectedError', Cause: 'only SELECT statements may run' },
    });
  });

  it('marks the plan failed when loading it fails', async () => {
    const { bound, calls } = tasks();
    bound.LoadPlan = (async () => {
      throw named('PlanNotFoundError', 'plan p1 is not known');
    }) as LocalTaskHandler;

    const run = await runLocalStateMachine(
      definition,
      bound,
      { planId: 'p1' },
      { retryPauseMs: 0 },
    );

    expect(run.status).toBe('FAILED');
    expect(calls).toEqual([
      {
        action: 'fail',
        planId: 'p1',
        error: { Error: 'PlanNotFoundError', Cause: 'plan p1 is not known' },
      },
    ]);
  });
});
