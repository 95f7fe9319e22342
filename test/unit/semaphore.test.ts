import { Semaphore } from '#core/semaphore';

/** A task the test finishes by hand. */
function deferred(): { promise: Promise<void>; finish: () => void } {
  let finish = (): void => undefined;
  const promise = new Promise<void>((resolve) => (finish = resolve));
  return { promise, finish };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('runs at most size tasks at once and queues the rest', async () => {
    // Prepare
    const slots = new Semaphore(2);
    const tasks = [deferred(), deferred(), deferred(), deferred()];
    let active = 0;
    let peak = 0;

    // Act
    const runs = tasks.map((task) =>
      slots.run(async () => {
        active += 1;
        peak = Math.max(peak, active);
        await task.promise;
        active -= 1;
      }),
    );
    await tick();
    const whileTwoRun = { running: slots.running, queued: slots.queued, active };
    for (const task of tasks) task.finish();
    await Promise.all(runs);

    // Assess
    expect(whileTwoRun).toEqual({ running: 2, queued: 2, active: 2 });
    expect(peak).toBe(2);
    expect([slots.running, slots.queued]).toEqual([0, 0]);
  });

  it('grants waiting slots in arrival order', async () => {
    // Prepare
    const slots = new Semaphore(1);
    const first = await slots.acquire();
    const order: string[] = [];

    // Act
    const b = slots.acquire().then((release) => {
      order.push('b');
      release();
    });
    const c = slots.acquire().then((release) => {
      order.push('c');
      release();
    });
    first();
    await Promise.all([b, c]);

    // Assess
    expect(order).toEqual(['b', 'c']);
  });

  it('drops a waiter whose signal aborts, and rejects it with the reason', async () => {
    // Prepare
    const slots = new Semaphore(1);
    const held = await slots.acquire();
    const controller = new AbortController();

    // Act
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('stopping'));

    // Assess
    await expect(waiting).rejects.toThrow('stopping');
    expect(slots.queued).toBe(0);
    held();
    expect(slots.running).toBe(0);
  });

  it('ignores a second release of the same slot', async () => {
    // Prepare
    const slots = new Semaphore(1);
    const release = await slots.acquire();
    const next = slots.acquire();

    // Act
    release();
    release();
    const second = await next;

    // Assess
    expect(slots.running).toBe(1);
    second();
    expect(slots.running).toBe(0);
  });

  it('refuses a size below 1', () => {
    expect(() => new Semaphore(0)).toThrow(/at least 1; got 0/);
  });
});
