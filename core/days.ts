/**
 * Calendar days in UTC, written `YYYY-MM-DD` as the lake's partitions, the config and the CLI name
 * them: the day of an instant, a day plus or minus n days, the days of a range, the days between
 * two days, and whether a text is a real calendar day. A UTC day is always {@link DAY_MS} long.
 */

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/**
 * The UTC calendar day of an instant, `YYYY-MM-DD`.
 * @example
 * utcDay(new Date('2025-02-15T23:59:59Z')); // '2025-02-15'
 */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * The instant `day` starts (00:00 UTC), in milliseconds since the epoch; NaN when `day` is not a
 * date.
 * @example
 * dayStartMs('1970-01-02'); // 86400000
 */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/**
 * `day` plus `n` days (`n` may be negative).
 * @example
 * addDays('2025-02-28', 1); // '2025-03-01'
 * addDays('2025-01-01', -1); // '2024-12-31'
 */
export function addDays(day: string, n: number): string {
  return utcDay(new Date(dayStartMs(day) + n * DAY_MS));
}

/**
 * The day `n` days before the UTC day of `now`.
 * @example
 * daysBefore(new Date('2025-02-16T02:00:00Z'), 1); // '2025-02-15'
 */
export function daysBefore(now: Date, n: number): string {
  return addDays(utcDay(now), -n);
}

/**
 * Every day from `from` to `to`, inclusive; none when `to` is before `from`.
 * @example
 * daysBetween('2025-02-27', '2025-03-01'); // ['2025-02-27', '2025-02-28', '2025-03-01']
 */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = dayStartMs(from); t <= dayStartMs(to); t += DAY_MS) days.push(utcDay(new Date(t)));
  return days;
}

/**
 * Whole days from `from` to `to` (negative when `to` is earlier).
 * @example
 * dayDifference('2025-02-10', '2025-02-15'); // 5
 */
export function dayDifference(from: string, to: string): number {
  return (dayStartMs(to) - dayStartMs(from)) / DAY_MS;
}

const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether `text` is a real calendar day `YYYY-MM-DD` (not `2025-02-30`).
 * @example
 * isCalendarDay('2024-02-29'); // true
 * isCalendarDay('2025-02-29'); // false
 */
export function isCalendarDay(text: string): boolean {
  if (!DAY_TEXT.test(text)) return false;
  const start = dayStartMs(text);
  return !Number.isNaN(start) && utcDay(new Date(start)) === text;
}
