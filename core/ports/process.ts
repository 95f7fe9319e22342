/**
 * The process port: names the process that takes a lease (so another run can say who holds it),
 * and tells whether the process another lease names has ended — then that lease is taken over at
 * once instead of when it expires. Locally a process is a pid on this machine; a Lambda's end
 * cannot be observed, so there only the lease's expiry frees it.
 */
export interface ProcessInfo {
  /** This process, as recorded with its leases, e.g. `pid 4242 on build-7`. */
  readonly name: string;
  /**
   * True only when `name` (another lease's holder) is known to have ended; false when it runs or
   * cannot be told.
   * @example
   * localProcess().hasEnded('pid 999999 on build-7'); // true on build-7 when no such pid runs
   */
  hasEnded(name: string): boolean;
}

/**
 * A process that cannot tell whether others have ended (leases free only by expiry).
 * @example
 * anonymousProcess('Lambda 2025/02/16/[$LATEST]1a2b').hasEnded('pid 1 on x'); // false
 */
export function anonymousProcess(name: string): ProcessInfo {
  return { name, hasEnded: () => false };
}
