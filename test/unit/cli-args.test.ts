import { parseDay, parseDecimal, parseWhole } from '#cli/args';
import { formatTable } from '#cli/output';
import { UsageError } from '#core/errors';

describe('CLI flag parsing', () => {
  it('accepts a whole number in range', () => {
    expect(parseWhole('--days', '120', 1, 3650)).toBe(120);
  });

  it.each(['0', '3651', '1.5', 'ten', '', '12abc'])(
    'rejects --days %p with the value and range',
    (value) => {
      expect(() => parseWhole('--days', value, 1, 3650)).toThrow(UsageError);
      expect(() => parseWhole('--days', value, 1, 3650)).toThrow(
        `--days must be a whole number from 1 to 3650; got '${value}'`,
      );
    },
  );

  it('accepts a decimal above the minimum', () => {
    expect(parseDecimal('--scale', '0.25', 0, 100)).toBe(0.25);
  });

  it.each(['0', '-1', '101', 'big', ''])('rejects --scale %p', (value) => {
    expect(() => parseDecimal('--scale', value, 0, 100)).toThrow(
      `--scale must be a number above 0 and at most 100; got '${value}'`,
    );
  });

  it('accepts a calendar date', () => {
    expect(parseDay('--end', '2024-02-29')).toBe('2024-02-29');
  });

  it.each(['2023-02-29', '2025-13-01', '15/02/2025', '2025-2-1'])('rejects --end %p', (value) => {
    expect(() => parseDay('--end', value)).toThrow(
      `--end must be a calendar date YYYY-MM-DD; got '${value}'`,
    );
  });
});

describe('text tables', () => {
  it('aligns text left and numbers right, with a dash for missing values', () => {
    const text = formatTable(
      ['table', 'rows', 'first day'],
      [
        ['agents', 24, null],
        ['agent_tasks', 134707, '2025-02-11'],
      ],
    );

    expect(text.split('\n')).toEqual([
      'table          rows  first day',
      '-----------  ------  ----------',
      'agents           24  -',
      'agent_tasks  134707  2025-02-11',
    ]);
  });
});
