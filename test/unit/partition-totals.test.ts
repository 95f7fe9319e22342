import { partitionTotals } from '#core/lake/partition-totals';
import type { CatalogPartition } from '#ports/catalog';

const partition = (rows: number, bytes: number, publishedAt: string): CatalogPartition => ({
  values: ['GameOpened', '2025-02-15'],
  location: 'events/event_type=GameOpened/dt=2025-02-15/v=1',
  rows,
  bytes,
  files: 1,
  runId: 'run-1',
  publishedAt,
});

describe('partitionTotals', () => {
  test('sums rows and bytes and keeps the newest publication, in any order', () => {
    const totals = partitionTotals([
      partition(10, 1000, '2025-02-16T02:00:00Z'),
      partition(5, 300, '2025-02-18T02:00:00Z'),
      partition(1, 7, '2025-02-17T02:00:00Z'),
    ]);

    expect(totals).toEqual({ rows: 16, bytes: 1307, lastPublishedAt: '2025-02-18T02:00:00Z' });
  });

  test('a table without partitions has zeros and no publication', () => {
    expect(partitionTotals([])).toEqual({ rows: 0, bytes: 0, lastPublishedAt: null });
  });
});
