import aslValidator from 'asl-validator';
import { runLocalStateMachine, type LocalTaskHandler } from '#adapters/local/local-state-machine';
import { defaultConfig } from '#core/config/resolve';
import { SYNC_DEFINITION, SYNC_PLACEHOLDERS, substitute } from '#etl/state-machines/index';
import type { SyncPlan } from '#etl/sync/plan';
import type { SyncRequest } from '#etl/sync/tasks';
import { planSyncTask } from '#etl/sync/tasks';

const ARNS = {
  SyncPlanFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sync-plan',
  SyncFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sync',
  AlertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
};
const definition = substitute(SYNC_DEFINITION, ARNS);
const PLAN: SyncPlan = {
  items: [
    { table: 'members', mode: 'incremental' },
    { table: 'affiliates', mode: 'incremental' },
  ],
  skipped: [],
};

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A SyncMapping result for one table, as `runSync` returns it. */
function summary(request: SyncRequest) {
  const table = request.tables?.[0] ?? '';
  return {
    mappings: [{ table, lakeTable: `ref_${table}`, mode: request.mode, changedRows: 3 }],
    changedRows: 3,
    tombstones: 0,
    seconds: 0.1,
  };
}

/** Handlers recording the requests and the alerts. */
function handlers(syncMapping: (request: SyncRequest) => Promise<unknown>, plan = PLAN) {
  const alerts: { Subject: string; Message: string }[] = [];
  const requests: SyncRequest[] = [];
  const bound: Record<string, LocalTaskHandler> = {
    PlanSync: async () => plan,
    SyncMapping: (async (request: SyncRequest) => {
      requests.push(request);
      return syncMapping(request);
    }) as LocalTaskHandler,
    NotifyFailure: (async (message: { Subject: string; Message: string }) => {
      alerts.push(message);
      return {};
    }) as LocalTaskHandler,
  };
  return { bound, alerts, requests };
}

describe('the sync state machine definition', () => {
  it('is valid Amazon States Language once its placeholders are filled', () => {
    const { isValid, errors } = aslValidator(definition);

    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('has exactly the placeholders a deployment must fill', () => {
    const found = new Set(JSON.stringify(SYNC_DEFINITION).match(/\$\{([A-Za-z]+)\}/g));

    expect([...found].sort()).toEqual(SYNC_PLACEHOLDERS.map((p) => `\${${p}}`).sort());
  });
});

describe('running the sync definition locally', () => {
  it('syncs every planned mapping, one table per task in the planned mode, without an alert', async () => {
    const { bound, alerts, requests } = handlers(async (request) => summary(request));

    const run = await runLocalStateMachine(definition, bound, { mode: 'incremental' });

    expect(run.status).toBe('SUCCEEDED');
    // The Map runs two at a time: compare in table order.
    const byTable = [...requests].sort((a, b) => String(a.tables).localeCompare(String(b.tables)));
    expect(byTable).toEqual([
      { mode: 'incremental', tables: ['affiliates'] },
      { mode: 'incremental', tables: ['members'] },
    ]);
    expect(alerts).toEqual([]);
  });

  it('retries a transient failure and then succeeds', async () => {
    let calls = 0;
    const { bound, alerts } = handlers(
      async (request) => {
        calls += 1;
        if (calls === 1) throw named('TransientError', 'connection reset');
        return summary(request);
      },
      { items: [{ table: 'members', mode: 'full' }], skipped: [] },
    );

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 1 });

    expect(run.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect(alerts).toEqual([]);
  });

  it('gives up on a transient failure after three retries, alerts and fails', async () => {
    let calls = 0;
    const { bound, alerts } = handlers(
      async () => {
        calls += 1;
        throw named('TransientError', 'connection reset');
      },
      { items: [{ table: 'members', mode: 'full' }], skipped: [] },
    );

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 1 });

    expect(calls).toBe(4);
    expect(run.status).toBe('FAILED');
    expect(run.error?.error).toBe('SyncFailed');
    expect(alerts[0]?.Message).toMatch(/1 failure\(s\).*members.*connection reset/);
  });

  it('alerts at once, without retrying, on a failure that is not transient', async () => {
    let calls = 0;
    const { bound, alerts } = handlers(async (request) => {
      calls += 1;
      if (request.tables?.[0] === 'affiliates') throw named('UsageError', 'no column status');
      return summary(request);
    });

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 1 });

    expect(calls).toBe(2);
    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(/affiliates.*no column status/);
  });

  it('alerts and fails when the plan itself fails (an unknown table)', async () => {
    const { bound, alerts } = handlers(async (request) => summary(request));
    bound.PlanSync = (async (input: { tables?: string[] }) =>
      planSyncTask(defaultConfig().mappings)(input)) as LocalTaskHandler;

    const run = await runLocalStateMachine(definition, bound, { tables: ['nope'] });

    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(/table 'nope' has no sync mapping/);
  });

  it('succeeds without syncing when the plan has nothing to do', async () => {
    const { bound, requests } = handlers(async (request) => summary(request), {
      items: [],
      skipped: [],
    });

    const run = await runLocalStateMachine(definition, bound, { mode: 'incremental' });

    expect(run.status).toBe('SUCCEEDED');
    expect(requests).toEqual([]);
  });
});
