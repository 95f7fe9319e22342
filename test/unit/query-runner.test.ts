import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { parsePlan } from '#core/query/query-plan';
import {
  loadPlanState,
  newPlanId,
  writePlanState,
  writeStepOutput,
  type PlanState,
} from '#core/query/plan-store';
import { checkBucket } from '#core/query/step-checks';
import { failPlan, finishPlan, loadPlan } from '#core/query/plan-tasks';
import { transient } from '#core/query/task-errors';
import { defaultConfig } from '#core/config/resolve';
import type { S3ParquetReadStep } from '#core/query/query-plan';
import { fixedClock } from '#ports/clock';

const clock = fixedClock('2025-02-16T06:00:00Z');
const plan = parsePlan({
  steps: [
    { id: 's1', type: 'AuroraQuery', sql: 'SELECT member_code FROM members' },
    { id: 's2', type: 'AuroraQuery', sql: 'SELECT 1 AS one' },
  ],
});

function running(id: string): PlanState {
  return {
    format: 1,
    id,
    status: 'running',
    caller: 'local:ann',
    submittedAt: clock.now().toISOString(),
    plan,
    order: ['s1', 's2'],
    steps: [
      { id: 's1', type: 'AuroraQuery', status: 'running' },
      { id: 's2', type: 'AuroraQuery', status: 'pending' },
    ],
    warnings: [],
  };
}

describe('the plan tasks around the steps', () => {
  let dir: string;
  let results: FsObjectStore;
  let id: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thermocline-runner-test-'));
    results = new FsObjectStore(dir);
    id = newPlanId(clock.now());
    await writePlanState(results, running(id));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('load the step ids in run order', async () => {
    expect(await loadPlan({ results }, id)).toEqual({ planId: id, steps: ['s1', 's2'] });
  });

  it("fail a plan with the Lambda error's message only, never its stack trace", async () => {
    const cause = JSON.stringify({
      errorType: 'TransientError',
      errorMessage: 'connect ECONNREFUSED 10.0.0.1:5432',
      trace: ['TransientError: connect ECONNREFUSED', '    at TCPConnectWrap.afterConnect'],
    });

    const state = await failPlan({ results, clock }, id, { Error: 'TransientError', Cause: cause });

    expect(state.error).toEqual({
      code: 'unavailable',
      message: 'connect ECONNREFUSED 10.0.0.1:5432',
    });
    expect(state.steps.map((s) => [s.id, s.status])).toEqual([
      ['s1', 'failed'],
      ['s2', 'skipped'],
    ]);
    expect(JSON.stringify(await loadPlanState(results, id))).not.toContain('afterConnect');
  });

  it('keep the error a step recorded when the plan fails', async () => {
    await writePlanState(results, {
      ...running(id),
      error: { code: 'bind_failed', message: "step 's2': no column" },
    });

    const state = await failPlan({ results, clock }, id, { Error: 'BindError', Cause: 'x' });

    expect(state.error).toEqual({ code: 'bind_failed', message: "step 's2': no column" });
  });

  it('finish a plan by archiving the output step', async () => {
    const output = {
      step: 's2',
      columns: [{ name: 'one', type: 'int4' }],
      rows: [{ one: 1 }],
      totalRows: 1,
      truncated: false,
    };
    await writeStepOutput(results, id, output);

    const state = await finishPlan({ results, clock }, id);

    expect(state.status).toBe('succeeded');
    expect(state.result?.key).toBe(`_results/${id}/s2.json`);
    expect(JSON.parse((await results.getText(`_results/${id}/s2.json`)) ?? '{}')).toEqual(output);
  });

  it('leave a finished plan as it is', async () => {
    await writePlanState(results, { ...running(id), status: 'succeeded' });

    const state = await failPlan({ results, clock }, id, { Error: 'Error', Cause: 'late' });

    expect(state.status).toBe('succeeded');
  });
});

describe('transient errors', () => {
  it('are connection and serialization failures, renamed for the Retry', () => {
    expect(transient(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).name).toBe(
      'TransientError',
    );
    expect(transient(Object.assign(new Error('conflict'), { code: '40001' })).name).toBe(
      'TransientError',
    );
  });

  it('are not syntax errors', () => {
    expect(transient(Object.assign(new Error('syntax'), { code: '42601' })).name).toBe('Error');
  });
});

describe('checkBucket (what S3ParquetRead may read)', () => {
  const deps = { config: defaultConfig(), lakeBucket: 'thermocline-lake' };
  const step = (bucket: string, key: string): S3ParquetReadStep =>
    ({ id: 'r', type: 'S3ParquetRead', bucket, key, limit: 10 }) as S3ParquetReadStep;

  test('accepts a key of a configured source under its prefix and pattern', () => {
    expect(() =>
      checkBucket(
        deps,
        step('thermocline-sample-exports', 'events/Login/2025-02-15.parquet'),
        'steps[0]',
      ),
    ).not.toThrow();
  });

  test('refuses a key of a source bucket outside its prefix, naming the prefix and pattern', () => {
    expect(() =>
      checkBucket(deps, step('thermocline-sample-exports', 'private/salaries.parquet'), 'steps[0]'),
    ).toThrow(
      "key 'private/salaries.parquet' is outside the configured sources of bucket 'thermocline-sample-exports'; read a key under 'events/' matching '**/*.parquet'",
    );
  });

  test('refuses a bucket that is neither the lake nor a source', () => {
    expect(() => checkBucket(deps, step('someone-else', 'x.parquet'), 'steps[0]')).toThrow(
      /bucket 'someone-else' is neither the lake bucket nor a configured S3 source/,
    );
  });

  test('reads only Parquet objects of the lake bucket', () => {
    expect(() =>
      checkBucket(deps, step('thermocline-lake', '_query/_ledger/2025-02/x.json'), 'steps[0]'),
    ).toThrow(/is not a Parquet object/);
  });
});
