import aslValidator from 'asl-validator';
import { runLocalStateMachine, type LocalTaskHandler } from '#adapters/local/local-state-machine';
import { defaultConfig, resolveConfig } from '#core/config/resolve';
import { DatabaseUnavailableError, UsageError } from '#core/errors';
import { ETL_DEFINITION, ETL_PLACEHOLDERS, substitute } from '#etl/state-machines/index';
import { classify, planRun, type TableDayItem } from '#etl/tasks';

const ARNS = {
  PlanFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:plan',
  ExportFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:export',
  AlertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
};
const definition = substitute(ETL_DEFINITION, ARNS);
const ITEMS: TableDayItem[] = [
  { table: 'events', day: '2025-02-15' },
  { table: 'agent_tasks', day: '2025-02-15' },
];

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Handlers recording what ran: export results echo the item; alerts are collected. */
function handlers(
  exportTableDay: (item: TableDayItem) => Promise<unknown>,
  items = ITEMS,
  changedDays: TableDayItem[] = [],
) {
  const alerts: { Subject: string; Message: string }[] = [];
  const bound: Record<string, LocalTaskHandler> = {
    PlanRun: async () => ({
      items,
      concurrency: 2,
      recheck: [{ table: 'events', from: '2025-02-08', to: '2025-02-14' }],
    }),
    ExportTableDay: exportTableDay as LocalTaskHandler,
    FindChangedDays: (async () => ({
      items: changedDays,
      changed: changedDays.map((d) => ({ ...d, lake: '10:1', hot: '11:2' })),
      checked: 7,
    })) as LocalTaskHandler,
    ReexportTableDay: exportTableDay as LocalTaskHandler,
    NotifyFailure: (async (message: { Subject: string; Message: string }) => {
      alerts.push(message);
      return {};
    }) as LocalTaskHandler,
  };
  return { bound, alerts };
}

const ok = async (item: TableDayItem) => ({
  ...item,
  runId: 'r1',
  rows: 10,
  files: 1,
  bytes: 100,
  partitions: 1,
  checksum: '10:1',
  schemaChanges: [],
  seconds: 0.1,
  steps: {},
});

describe('the ETL state machine definition', () => {
  it('is valid Amazon States Language once its placeholders are filled', () => {
    const { isValid, errors } = aslValidator(definition);

    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('has exactly the placeholders a deployment must fill', () => {
    const found = new Set(JSON.stringify(ETL_DEFINITION).match(/\$\{([A-Za-z]+)\}/g));

    expect([...found].sort()).toEqual(ETL_PLACEHOLDERS.map((p) => `\${${p}}`).sort());
  });

  it('refuses to leave a placeholder unfilled, naming it', () => {
    expect(() => substitute(ETL_DEFINITION, { PlanFunctionArn: 'x' })).toThrow(
      /placeholder \$\{ExportFunctionArn\} has no value/,
    );
  });
});

describe('running the ETL definition locally', () => {
  it('exports every planned table-day in the Map and succeeds without an alert', async () => {
    const { bound, alerts } = handlers(ok);

    const run = await runLocalStateMachine(definition, bound, {});

    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.event === 'MapIterationSucceeded')).toHaveLength(2);
    expect(alerts).toEqual([]);
  });

  it('retries a transient failure with backoff and succeeds on the third attempt', async () => {
    let attempts = 0;
    const { bound, alerts } = handlers(async (item) => {
      if (item.table === 'events' && ++attempts < 3)
        throw named('TransientError', 'connection reset');
      return ok(item);
    });

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 0 });

    expect(run.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    expect(run.events.filter((e) => e.event === 'StateRetried')).toHaveLength(2);
    expect(alerts).toEqual([]);
  });

  it('catches a table-day that always fails, alerts with it and fails the execution', async () => {
    const { bound, alerts } = handlers(async (item) => {
      if (item.table === 'agent_tasks') throw named('ValidationError', 'checksum mismatch');
      return ok(item);
    });

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 0 });

    expect(run.status).toBe('FAILED');
    expect(run.error?.error).toBe('EtlFailed');
    expect(run.events.filter((e) => e.event === 'StateRetried')).toHaveLength(0); // not transient
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.Subject).toBe('Thermocline ETL failed');
    expect(alerts[0]?.Message).toMatch(
      /^Thermocline ETL: 1 failure\(s\): .*agent_tasks.*ValidationError.*checksum mismatch/,
    );
    // The other table-day still published.
    expect(run.events.some((e) => e.event === 'StateExited' && e.state === 'ExportTableDay')).toBe(
      true,
    );
  });

  it('gives up on a transient failure after 3 attempts and alerts', async () => {
    let attempts = 0;
    const { bound, alerts } = handlers(async () => {
      attempts++;
      throw named('TransientError', 'database unreachable');
    }, [ITEMS[0] as TableDayItem]);

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 0 });

    expect(attempts).toBe(3);
    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(/TransientError.*database unreachable/);
  });

  it('alerts and fails when planning fails', async () => {
    const { bound, alerts } = handlers(ok);
    bound.PlanRun = (async () => {
      throw named('UsageError', "table 'nope' is not in the config");
    }) as LocalTaskHandler;

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 0 });

    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(/UsageError.*nope/);
  });

  it('exports the changed days the check finds again, after the nightly Map', async () => {
    const exported: string[] = [];
    const { bound, alerts } = handlers(
      async (item) => {
        exported.push(`${item.table} ${item.day}`);
        return ok(item);
      },
      ITEMS,
      [{ table: 'events', day: '2025-02-12' }],
    );

    const run = await runLocalStateMachine(definition, bound, {});

    expect(run.status).toBe('SUCCEEDED');
    expect(exported).toEqual(['events 2025-02-15', 'agent_tasks 2025-02-15', 'events 2025-02-12']);
    const entered = run.events.filter((e) => e.event === 'StateEntered').map((e) => e.state);
    expect(entered.indexOf('FindChangedDays')).toBeGreaterThan(
      entered.lastIndexOf('ExportTableDay'),
    );
    expect(entered).toContain('ReexportTableDay');
    expect(alerts).toEqual([]);
  });

  it('alerts and fails when a changed day cannot be exported again', async () => {
    const { bound, alerts } = handlers(
      async (item) => {
        if (item.day === '2025-02-12') throw named('ValidationError', 'checksum mismatch');
        return ok(item);
      },
      ITEMS,
      [{ table: 'events', day: '2025-02-12' }],
    );

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 0 });

    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(
      /^Thermocline ETL: 0 failure\(s\): \[\]; re-exports of changed days that failed: .*2025-02-12.*ValidationError/,
    );
  });

  it('alerts and fails when the check itself fails, the nightly days still published', async () => {
    const { bound, alerts } = handlers(ok);
    bound.FindChangedDays = (async () => {
      throw named('Error', 'manifest unreadable');
    }) as LocalTaskHandler;

    const run = await runLocalStateMachine(definition, bound, {}, { retryPauseMs: 0 });

    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(/changed-days check: .*manifest unreadable/);
    expect(
      run.events.filter((e) => e.event === 'StateExited' && e.state === 'ExportTableDay'),
    ).toHaveLength(2);
  });

  it('succeeds at once when there is nothing to export', async () => {
    const { bound } = handlers(ok, []);

    const run = await runLocalStateMachine(definition, bound, {});

    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.some((e) => e.state === 'ExportTableDays')).toBe(false);
  });
});

describe('the ETL definition', () => {
  it("maps over the table-days with the plan's concurrency (MaxConcurrencyPath)", () => {
    const states = (ETL_DEFINITION as { States: Record<string, Record<string, unknown>> }).States;
    expect([
      states['ExportTableDays']?.['MaxConcurrencyPath'],
      states['ExportTableDays']?.['MaxConcurrency'],
    ]).toEqual(['$.plan.concurrency', undefined]);
  });
});

describe('PlanRun', () => {
  const config = defaultConfig();
  const now = new Date('2025-02-16T02:00:00Z');

  it("plans each table's last closed day by default", () => {
    const { items } = planRun(config, now);

    expect(items).toHaveLength(config.tables.length);
    expect(new Set(items.map((i) => i.day))).toEqual(new Set(['2025-02-15']));
  });

  it('plans the changed-days pass for the nightly run only: recheck_days before the exported day', () => {
    const tuned = resolveConfig(
      {
        tables: [
          {
            name: 'events',
            primary_key: ['id'],
            timestamp_column: 'occurred_at',
            partition_layout: 'event_type/dt',
            recheck_days: 3,
          },
          {
            name: 'workflows',
            primary_key: ['id'],
            timestamp_column: 'created_at',
            partition_layout: 'ymd',
            recheck_days: 0,
          },
        ],
      },
      'test',
    );

    const nightly = planRun(tuned, now).recheck;

    expect(nightly).toContainEqual({ table: 'events', from: '2025-02-12', to: '2025-02-14' });
    expect(nightly.find((w) => w.table === 'workflows')).toBeUndefined();
    // The default of the other tables: 7 days.
    expect(nightly).toContainEqual({ table: 'agent_tasks', from: '2025-02-08', to: '2025-02-14' });
    expect(planRun(tuned, now, { date: '2025-02-15' }).recheck).toEqual([]);
    expect(planRun(tuned, now, { from: '2025-02-10', to: '2025-02-11' }).recheck).toEqual([]);
  });

  it('never re-checks days older than the hot retention', () => {
    const short = resolveConfig(
      {
        tables: [
          {
            name: 'events',
            primary_key: ['id'],
            timestamp_column: 'occurred_at',
            partition_layout: 'event_type/dt',
            hot_window_days: 3,
            hot_retention_days: 4,
          },
        ],
      },
      'test',
    );

    // 2025-02-16 minus 4 retention days: the oldest hot day is 2025-02-13.
    expect(planRun(short, now, { table: 'events' }).recheck).toEqual([
      { table: 'events', from: '2025-02-13', to: '2025-02-14' },
    ]);
  });

  it('plans a range day by day for one table', () => {
    expect(
      planRun(config, now, { from: '2025-02-13', to: '2025-02-14', table: 'events' }).items,
    ).toEqual([
      { table: 'events', day: '2025-02-13' },
      { table: 'events', day: '2025-02-14' },
    ]);
  });

  it("runs the environment's etl_concurrency table-days at once, or the input's", () => {
    const tuned = resolveConfig({ environments: { staging: { etl_concurrency: 6 } } }, 'test');

    expect([
      planRun(config, now).concurrency,
      planRun(tuned, now, {}, 'staging').concurrency,
      planRun(tuned, now, { concurrency: 2 }, 'staging').concurrency,
    ]).toEqual([4, 6, 2]);
  });

  it('refuses a concurrency outside 1 to 40, showing it', () => {
    expect(() => planRun(config, now, { concurrency: 0 })).toThrow(
      'concurrency must be a whole number from 1 to 40 (table-days exported at once); got 0',
    );
  });

  it('refuses a day that is not closed yet', () => {
    expect(() => planRun(config, now, { date: '2025-02-16' })).toThrow(
      "2025-02-16 is not closed yet for table 'workflows' (export_lag_days 1); the last day it can export is 2025-02-15",
    );
  });

  it.each([
    [{ date: '15/02/2025' }, "date must be a day YYYY-MM-DD; got '15/02/2025'"],
    [{ date: '2025-02-30' }, "date must be a day YYYY-MM-DD; got '2025-02-30'"],
    [{ from: '2025-02-01' }, 'give both from and to'],
    [{ from: '2025-02-03', to: '2025-02-01' }, 'from 2025-02-03 is after to 2025-02-01'],
    [{ table: 'agent_taks' }, /agent_taks/],
  ])('refuses bad input %p', (input, message) => {
    expect(() => planRun(config, now, input)).toThrow(UsageError);
    expect(() => planRun(config, now, input)).toThrow(message);
  });
});

describe('classifying export errors for Retry', () => {
  it.each([
    ['an unreachable database', new DatabaseUnavailableError('cannot reach')],
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a PostgreSQL connection failure (08006)', Object.assign(new Error('x'), { code: '08006' })],
    ['a serialization failure (40001)', Object.assign(new Error('x'), { code: '40001' })],
    ['S3 throttling', named('SlowDown', 'Please reduce your request rate')],
  ])('names %s TransientError', (_what, error) => {
    expect(classify(error).name).toBe('TransientError');
  });

  it.each([
    ['a validation failure', named('ValidationError', 'checksum')],
    ['an unsupported type', named('UnsupportedTypeError', 'point')],
    ['a syntax error (42601)', Object.assign(new Error('x'), { code: '42601' })],
  ])('keeps %s as it is: retrying would not help', (_what, error) => {
    expect(classify(error).name).toBe(error.name);
  });
});
