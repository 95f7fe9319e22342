/** The clock port: everything that depends on "today" asks it, so tests and backfills can pin it. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock stopped at one instant, for tests and reproducible runs.
 * @example
 * fixedClock('2025-02-15T02:00:00Z').now().toISOString(); // '2025-02-15T02:00:00.000Z'
 */
export function fixedClock(iso: string): Clock {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) throw new Error(`fixedClock: '${iso}' is not an ISO date`);
  return { now: () => new Date(instant) };
}

/** The UTC calendar day of an instant, `YYYY-MM-DD` (defined with the other day arithmetic). */
export { utcDay } from '#core/days';
