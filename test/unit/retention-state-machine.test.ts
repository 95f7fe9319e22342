import aslValidator from 'asl-validator';
import { runLocalStateMachine, type LocalTaskHandler } from '#adapters/local/local-state-machine';
import { defaultConfig } from '#core/config/resolve';
import { UsageError } from '#core/errors';
import {
  RETENTION_DEFINITION,
  RETENTION_PLACEHOLDERS,
  substitute,
} from '#etl/state-machines/index';
import {
  planPurge,
  type PurgeTableItem,
  type PurgeTableSummary,
  type RetentionInput,
} from '#etl/retention/tasks';

const ARNS = {
  PlanFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:retention-plan',
  PurgeFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:retention-purge',
  AlertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
};
const definition = substitute(RETENTION_DEFINITION, ARNS);
const config = defaultConfig();

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function summary(item: PurgeTableItem, held: PurgeTableSummary['held'] = []): PurgeTableSummary {
  return {
    table: item.table,
    cutoffDay: '2025-02-15',
    dryRun: item.dryRun,
    deletedDays: 1,
    deletedRows: 100,
    heldDays: held.length,
    deferredDays: 0,
    anyHeld: held.length > 0,
    held,
  };
}

const HELD = {
  table: 'events',
  day: '2025-01-10',
  action: 'hold' as const,
  reason: 'no manifest (events/_manifests/2025-01-10.json): the day was never published',
  recovery: 'thermocline backfill --from 2025-01-10 --to 2025-01-10 --table events',
};

/** Handlers over the real PlanPurge; PurgeTable as given; alerts collected. */
function handlers(purgeTable: (item: PurgeTableItem) => Promise<unknown>) {
  const alerts: { Subject: string; Message: string }[] = [];
  const notify = (async (message: { Subject: string; Message: string }) => {
    alerts.push(message);
    return {};
  }) as LocalTaskHandler;
  const bound: Record<string, LocalTaskHandler> = {
    PlanPurge: (async (input: RetentionInput) => planPurge(config, input)) as LocalTaskHandler,
    PurgeTable: purgeTable as LocalTaskHandler,
    NotifyFailure: notify,
    NotifyHeld: notify,
  };
  return { bound, alerts };
}

describe('the retention state machine definition', () => {
  it('is valid Amazon States Language once its placeholders are filled', () => {
    const { isValid, errors } = aslValidator(definition);

    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('has exactly the placeholders a deployment must fill', () => {
    const found = new Set(JSON.stringify(RETENTION_DEFINITION).match(/\$\{([A-Za-z]+)\}/g));

    expect([...found].sort()).toEqual(RETENTION_PLACEHOLDERS.map((p) => `\${${p}}`).sort());
  });
});

describe('running the retention definition locally', () => {
  it('purges every configured table in the Map and succeeds without an alert', async () => {
    const purged: string[] = [];
    const { bound, alerts } = handlers(async (item) => {
      purged.push(item.table);
      return summary(item);
    });

    const run = await runLocalStateMachine(definition, bound, {});

    expect(run.status).toBe('SUCCEEDED');
    expect(purged.sort()).toEqual(config.tables.map((t) => t.name).sort());
    expect(alerts).toEqual([]);
  });

  it('alerts with every held day, its reason and recovery command, and fails the execution', async () => {
    const { bound, alerts } = handlers(async (item) =>
      summary(item, item.table === 'events' ? [HELD] : []),
    );

    const run = await runLocalStateMachine(definition, bound, { tables: ['events', 'workflows'] });

    expect(run.status).toBe('FAILED');
    expect(run.error?.error).toBe('RetentionHeld');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.Subject).toBe('Thermocline retention held days');
    expect(alerts[0]?.Message).toContain('"day":"2025-01-10"');
    expect(alerts[0]?.Message).toContain('no manifest (events/_manifests/2025-01-10.json)');
    expect(alerts[0]?.Message).toContain(
      'thermocline backfill --from 2025-01-10 --to 2025-01-10 --table events',
    );
    expect(alerts[0]?.Message).not.toContain('"table":"workflows"');
  });

  it('does not alert held days on a dry run', async () => {
    const { bound, alerts } = handlers(async (item) => summary(item, [HELD]));

    const run = await runLocalStateMachine(definition, bound, { dryRun: true, tables: ['events'] });

    expect(run.status).toBe('SUCCEEDED');
    expect(alerts).toEqual([]);
  });

  it('retries a transient failure of a table and succeeds', async () => {
    let attempts = 0;
    const { bound, alerts } = handlers(async (item) => {
      if (++attempts < 3) throw named('TransientError', 'connection reset');
      return summary(item);
    });

    const run = await runLocalStateMachine(
      definition,
      bound,
      { tables: ['events'] },
      { retryPauseMs: 0 },
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    expect(alerts).toEqual([]);
  });

  it('catches a table that fails, alerts with it and fails the execution', async () => {
    const { bound, alerts } = handlers(async (item) => {
      if (item.table === 'events') throw named('Error', "table 'public.events' does not exist");
      return summary(item, [HELD]);
    });

    const run = await runLocalStateMachine(
      definition,
      bound,
      { tables: ['events', 'workflows'] },
      { retryPauseMs: 0 },
    );

    expect(run.status).toBe('FAILED');
    expect(run.error?.error).toBe('RetentionFailed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.Subject).toBe('Thermocline retention failed');
    expect(alerts[0]?.Message).toMatch(/^Thermocline retention: 1 failure\(s\).*public\.events/);
    // The other table's held day is in the same alert.
    expect(alerts[0]?.Message).toContain('no manifest (events/_manifests/2025-01-10.json)');
  });

  it('alerts and fails when the plan names an unknown table', async () => {
    const { bound, alerts } = handlers(async (item) => summary(item));

    const run = await runLocalStateMachine(definition, bound, { tables: ['agent_taks'] });

    expect(run.status).toBe('FAILED');
    expect(alerts[0]?.Message).toMatch(/UsageError.*agent_taks.*known tables/);
  });
});

describe('PlanPurge', () => {
  it('lists every configured table when no table is given', () => {
    expect(planPurge(config).items.map((i) => i.table)).toEqual(config.tables.map((t) => t.name));
  });

  it('carries the dry-run flag to every item', () => {
    expect(planPurge(config, { dryRun: true, tables: ['events'] })).toEqual({
      dryRun: true,
      items: [{ table: 'events', dryRun: true }],
    });
  });

  it('refuses an unknown table, naming the known ones', () => {
    expect(() => planPurge(config, { tables: ['agent_taks'] })).toThrow(
      new UsageError(
        "table 'agent_taks' is not in the config; known tables: workflows, agent_tasks, agent_metrics, agent_interactions, user_sessions, events",
      ),
    );
  });

  it('refuses a dryRun that is not a boolean', () => {
    expect(() => planPurge(config, { dryRun: 'yes' as unknown as boolean })).toThrow(
      /dryRun must be true or false; got "yes"/,
    );
  });
});
