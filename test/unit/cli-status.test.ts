import { describeCoverage, describeRuns } from '#cli/commands/status';
import { formatSeconds, throughput } from '#cli/progress';
import { computeCoverage } from '#etl/insights';

describe('throughput', () => {
  it('shows items per second and the time left', () => {
    expect(throughput(10, 30, 4000, 'table-days')).toBe('2.50 table-days/s, ETA 8 s');
  });

  it('has no figures before the first item is done', () => {
    expect(throughput(0, 30, 4000, 'rows')).toBe('… rows/s, ETA …');
  });
});

describe('formatSeconds', () => {
  it.each([
    [8, '8 s'],
    [125, '2 min 5 s'],
    [3780, '1 h 3 min'],
  ])('%d s is %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

describe('describeCoverage', () => {
  it('names the failed and late table-days and how to export them again', () => {
    const report = computeCoverage(
      [
        {
          table: { name: 'events', export_lag_days: 1 },
          hot: new Map([
            ['2025-02-12', 1],
            ['2025-02-13', 1],
          ]),
          lake: new Map(),
          failed: new Map([['2025-02-12', '2025-02-13T02:00:00Z']]),
        },
      ],
      ['2025-02-12', '2025-02-13'],
      new Date('2025-02-14T10:00:00Z'),
    );

    const text = describeCoverage(report).join('\n');

    expect(text).toContain('failed (1): events 2025-02-12');
    expect(text).toContain('late (1): events 2025-02-13');
    expect(text).toMatch(/1 failed and 1 late table-days: thermocline etl run/);
  });
});

describe('describeRuns', () => {
  it('says so when nothing ran yet', () => {
    expect(describeRuns({ runs: [], damaged: 0 })[0]).toMatch(/No runs recorded yet/);
  });
});
