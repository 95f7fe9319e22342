import { UsageError } from '#core/errors';
import { isCalendarDay } from '#core/days';

/**
 * Parses a whole-number flag, or throws a UsageError that shows the value and the range.
 * @example
 * parseWhole('--days', '120', 1, 3650); // 120
 */
export function parseWhole(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}; got '${value}'`);
  }
  return n;
}

/**
 * Parses a decimal flag in (min, max], or throws a UsageError that shows the value and the range.
 * @example
 * parseDecimal('--scale', '0.5', 0, 100); // 0.5
 */
export function parseDecimal(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= min || n > max) {
    throw new UsageError(
      `${flag} must be a number above ${min} and at most ${max}; got '${value}'`,
    );
  }
  return n;
}

/**
 * Parses a `YYYY-MM-DD` calendar date flag, or throws a UsageError.
 * @example
 * parseDay('--end', '2025-02-15'); // '2025-02-15'
 */
export function parseDay(flag: string, value: string): string {
  if (!isCalendarDay(value)) {
    throw new UsageError(`${flag} must be a calendar date YYYY-MM-DD; got '${value}'`);
  }
  return value;
}
