import { LocalPlanLauncher, localPathRedactor, repairCommand } from '#runtime/local/query-runtime';
import { defaultConfig } from '#core/config/resolve';
import { PlanLaunchError, TooManyPlansError } from '#core/query/plan-launcher';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Plans whose runs the test ends by hand (or that end when the launcher's signal aborts). */
function plans(): {
  started: string[];
  finish: (id: string) => void;
  run: (id: string) => Promise<void>;
} {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  return {
    started,
    finish: (id) => finishers.get(id)?.(),
    run: (id) =>
      new Promise<void>((resolve) => {
        started.push(id);
        finishers.set(id, resolve);
      }),
  };
}

describe('LocalPlanLauncher', () => {
  it('runs max_concurrent_plans at once, queues max_queued_plans, refuses the next with 429', async () => {
    // Prepare
    const { started, run } = plans();
    const launcher = new LocalPlanLauncher({ run, maxRunning: 2, maxQueued: 1 });

    // Act
    for (const id of ['a', 'b', 'c']) await launcher.start(id);
    const refused = launcher.start('d');

    // Assess
    await expect(refused).rejects.toThrow(TooManyPlansError);
    await expect(refused).rejects.toMatchObject({
      code: 'too_many_plans',
      status: 429,
      running: 2,
      queued: 1,
    });
    expect(started).toEqual(['a', 'b']);
  });

  it('starts the first queued plan when a running one ends', async () => {
    // Prepare
    const { started, finish, run } = plans();
    const launcher = new LocalPlanLauncher({ run, maxRunning: 1, maxQueued: 2 });
    for (const id of ['a', 'b', 'c']) await launcher.start(id);

    // Act
    finish('a');
    await tick();

    // Assess
    expect(started).toEqual(['a', 'b']);
    await expect(launcher.start('d')).resolves.toBeUndefined();
  });

  it('close with cancel aborts its signal, fails the queued plans and waits for the running', async () => {
    // Prepare
    const started: string[] = [];
    const dropped: string[] = [];
    const launcher = new LocalPlanLauncher({
      maxRunning: 1,
      maxQueued: 2,
      run: (id) => {
        started.push(id);
        return new Promise<void>((resolve) =>
          launcher.signal.addEventListener('abort', () => resolve()),
        );
      },
      dropQueued: async (id) => {
        dropped.push(id);
      },
    });
    for (const id of ['a', 'b', 'c']) await launcher.start(id);

    // Act
    await launcher.close({ cancel: true });

    // Assess
    expect(launcher.signal.aborted).toBe(true);
    expect(started).toEqual(['a']);
    expect(dropped).toEqual(['b', 'c']);
    await expect(launcher.start('d')).rejects.toThrow(PlanLaunchError);
  });
});

describe('repairCommand', () => {
  const config = defaultConfig();

  it.each([
    [
      'agent_tasks',
      ['2025', '02', '15'],
      'thermocline backfill --table agent_tasks --from 2025-02-15 --to 2025-02-15',
    ],
    [
      'events',
      ['Login', '2025-02-14'],
      'thermocline backfill --table events --from 2025-02-14 --to 2025-02-14',
    ],
    ['ref_members', [], 'thermocline sync --mode full --table members'],
  ])('names the command that restores a partition of %s', (table, values, command) => {
    expect(repairCommand(config, table, values)).toBe(command);
  });

  it("says a reference table's history cannot be exported again", () => {
    expect(repairCommand(config, 'ref_members_changes', ['2025-02-14'])).toMatch(
      /version history; the history of members cannot be exported again/,
    );
  });

  it('has none for a table the config does not know', () => {
    expect(repairCommand(config, 'orders', ['2025-02-14'])).toBeUndefined();
  });
});

describe('localPathRedactor', () => {
  it('shows lake files as lake keys, S3 source folders as s3:// and the rest under the home', () => {
    // Prepare
    const redact = localPathRedactor('/srv/app/.thermocline');

    // Act
    const message = redact(
      "can't read /srv/app/.thermocline/lake/events/event_type=Login/dt=2025-02-14/v=r1/part-00000.parquet, " +
        '/srv/app/.thermocline/s3/exports/events/Login/2025-02-14.parquet or /srv/app/.thermocline/catalog.json',
    );

    // Assess
    expect(message).toBe(
      "can't read events/event_type=Login/dt=2025-02-14/v=r1/part-00000.parquet, " +
        's3://exports/events/Login/2025-02-14.parquet or $THERMOCLINE_HOME/catalog.json',
    );
  });
});
