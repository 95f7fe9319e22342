/**
 * A counting semaphore: at most `size` holders at once, the others wait in arrival order. The
 * engines use it to bound their work on a process (DuckDB statements hold a libuv pool thread
 * each; hot transactions hold a pooled connection each), so a burst of queries waits in a queue
 * instead of starving the file system and the connection pool the light requests need.
 */

/** What {@link Semaphore.acquire} resolves to: gives the slot back (once; later calls do nothing). */
export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * At most `size` holders at once; the others wait, first come first served.
 * @example
 * const slots = new Semaphore(2);
 * const rows = await slots.run(() => connection.runAndReadAll(sql));
 */
export class Semaphore {
  private holders = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    /** Holders at once, ≥ 1. */
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a semaphore needs a whole size of at least 1; got ${size}`);
    }
  }

  /** Holders now. */
  get running(): number {
    return this.holders;
  }

  /** Callers waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Waits for a slot and resolves to its release. When `signal` aborts while waiting, the caller
   * leaves the queue and the promise rejects with the signal's reason.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.holders < this.size) {
      this.holders += 1;
      return Promise.resolve(this.releaseOnce());
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        signal,
        onAbort: () => {
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(signal?.reason as Error);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Runs `work` in a slot, released when it settles. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaseOnce(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        next.signal?.removeEventListener('abort', next.onAbort);
        next.grant(this.releaseOnce());
      } else {
        this.holders -= 1;
      }
    };
  }
}
