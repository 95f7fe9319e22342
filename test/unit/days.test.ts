import {
  addDays,
  DAY_MS,
  dayDifference,
  daysBefore,
  daysBetween,
  dayStartMs,
  isCalendarDay,
  utcDay,
} from '#core/days';

describe('utcDay', () => {
  it('is the UTC day of an instant, whatever its offset', () => {
    expect(utcDay(new Date('2025-02-15T23:59:59.999Z'))).toBe('2025-02-15');
    expect(utcDay(new Date('2025-02-16T01:00:00+02:00'))).toBe('2025-02-15');
  });
});

describe('dayStartMs', () => {
  it('is midnight UTC of the day', () => {
    expect(dayStartMs('1970-01-02')).toBe(DAY_MS);
  });

  it('is NaN for text that is not a date', () => {
    expect(dayStartMs('2025-13-01')).toBeNaN();
  });
});

describe('addDays', () => {
  it('crosses month, leap-day and year boundaries', () => {
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(addDays('2025-02-15', 0)).toBe('2025-02-15');
  });
});

describe('daysBefore', () => {
  it('counts from the UTC day of now, not from the instant', () => {
    expect(daysBefore(new Date('2025-02-16T00:00:00Z'), 1)).toBe('2025-02-15');
    expect(daysBefore(new Date('2025-02-16T23:59:59Z'), 1)).toBe('2025-02-15');
    expect(daysBefore(new Date('2025-05-16T04:00:00Z'), 90)).toBe('2025-02-15');
  });
});

describe('daysBetween', () => {
  it('lists every day of the range, both ends included', () => {
    expect(daysBetween('2024-02-27', '2024-03-01')).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
  });

  it('is one day for a range of one day, none when the end is before the start', () => {
    expect(daysBetween('2025-02-15', '2025-02-15')).toEqual(['2025-02-15']);
    expect(daysBetween('2025-02-15', '2025-02-14')).toEqual([]);
  });

  it('has 365 or 366 days a year', () => {
    expect(daysBetween('2023-01-01', '2023-12-31')).toHaveLength(365);
    expect(daysBetween('2024-01-01', '2024-12-31')).toHaveLength(366);
  });
});

describe('dayDifference', () => {
  it('is the signed number of days between two days', () => {
    expect(dayDifference('2025-02-10', '2025-02-15')).toBe(5);
    expect(dayDifference('2025-03-01', '2025-02-28')).toBe(-1);
  });
});

describe('isCalendarDay', () => {
  it('accepts real days, leap days of leap years only', () => {
    expect(isCalendarDay('2025-02-15')).toBe(true);
    expect(isCalendarDay('2024-02-29')).toBe(true);
    expect(isCalendarDay('2025-02-29')).toBe(false);
  });

  it('refuses days that do not exist and other shapes', () => {
    expect(isCalendarDay('2025-02-30')).toBe(false);
    expect(isCalendarDay('2025-13-01')).toBe(false);
    expect(isCalendarDay('2025-2-15')).toBe(false);
    expect(isCalendarDay('2025-02-15T00:00:00Z')).toBe(false);
    expect(isCalendarDay('')).toBe(false);
  });
});
