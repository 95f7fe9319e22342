import type { DayManifest } from '#etl/export';
import { decideDay, type DayFacts } from '#etl/retention/decide';
import type { RetentionLogEntry } from '#etl/retention/log';
import { retentionCutoff } from '#etl/retention/purge';
import { summarizeTable } from '#etl/retention/tasks';

const DAY = '2025-01-10';
const MANIFEST: DayManifest = {
  format: 1,
  table: 'orders',
  day: DAY,
  layout: 'ymd',
  run_id: 'r1',
  rows: 100,
  checksum: '100:5000',
  bytes: 1000,
  files: 1,
  schema_hash: 'h',
  source_query: 'SELECT …',
  published_at: '2025-01-11T02:00:00.000Z',
  partitions: [
    {
      values: ['2025', '01', '10'],
      location: 'orders/year=2025/month=01/day=10/v=r1/',
      rows: 100,
      bytes: 1000,
      checksum: '100:5000',
    },
  ],
};

function facts(extra: Partial<DayFacts> = {}): DayFacts {
  return {
    table: 'orders',
    day: DAY,
    manifest: { manifest: MANIFEST },
    content: { status: 'ok', checked: 'sha256 of 1 file(s)' },
    hot: { rows: 100, sum: 5000n },
    ...extra,
  };
}

function logEntry(extra: Partial<RetentionLogEntry> = {}): RetentionLogEntry {
  return {
    table: 'orders',
    day: DAY,
    manifestRunId: 'r1',
    rowsExpected: 100,
    checksumExpected: '100:5000',
    rowsDeleted: 40,
    sumDeleted: 2000n,
    status: 'deleting',
    updatedAt: '2025-04-20T04:00:00.000Z',
    ...extra,
  };
}

describe('deciding whether an old day may be deleted', () => {
  it('deletes a day whose hot rows equal the manifest in rows and checksum', () => {
    expect(decideDay(facts())).toEqual({ verdict: 'delete', keepDeleted: false });
  });

  it('holds a day without a manifest, recommending a backfill of that day', () => {
    const decision = decideDay(
      facts({ manifest: { problem: 'no manifest (orders/_manifests/2025-01-10.json)' } }),
    );

    expect(decision).toEqual({
      verdict: 'hold',
      reason: 'no manifest (orders/_manifests/2025-01-10.json): the day was never published',
      recovery: 'thermocline backfill --from 2025-01-10 --to 2025-01-10 --table orders',
    });
  });

  it('holds a day with more hot rows than the manifest: rows added after export', () => {
    const decision = decideDay(facts({ hot: { rows: 120, sum: 6000n } }));

    expect(decision).toMatchObject({
      verdict: 'hold',
      reason:
        'manifest rows 100 ≠ hot rows 120 (rows added after export: re-run backfill --from 2025-01-10 --to 2025-01-10)',
    });
  });

  it('holds a day with fewer hot rows than the manifest, warning that a backfill would drop rows from the lake', () => {
    const decision = decideDay(facts({ hot: { rows: 90, sum: 4500n } }));

    expect(decision).toMatchObject({ verdict: 'hold' });
    expect(decision.verdict === 'hold' && decision.reason).toMatch(
      /^manifest rows 100 ≠ hot rows 90 \(rows deleted from PostgreSQL after export: .*only if the lake should lose them too\)$/,
    );
  });

  it('holds a day whose checksum differs', () => {
    const decision = decideDay(facts({ hot: { rows: 100, sum: 5001n } }));

    expect(decision.verdict === 'hold' && decision.reason).toBe(
      'checksum mismatch: manifest 100:5000 ≠ hot rows 100:5001 (rows changed after export: re-run backfill --from 2025-01-10 --to 2025-01-10)',
    );
  });

  it('holds a day the catalog does not serve as published', () => {
    const decision = decideDay(
      facts({ catalogProblem: 'partition 2025/01/10 is at x/, the manifest published y/' }),
    );

    expect(decision.verdict === 'hold' && decision.reason).toMatch(
      /^catalog points elsewhere: partition 2025\/01\/10/,
    );
  });

  it('holds a day with missing files', () => {
    const decision = decideDay(facts({ filesProblem: 'orders/…/part-00000.parquet is missing' }));

    expect(decision.verdict === 'hold' && decision.reason).toMatch(
      /^missing files: orders\/…\/part-00000\.parquet is missing/,
    );
  });

  it('holds a day whose file content changed since it was published, recommending a backfill', () => {
    const decision = decideDay(
      facts({
        content: {
          status: 'corrupt',
          problem: 'orders/…/part-00000.parquet changed after it was published (sha256 …)',
        },
      }),
    );

    expect(decision).toEqual({
      verdict: 'hold',
      reason:
        'corrupt files: orders/…/part-00000.parquet changed after it was published (sha256 …) ' +
        '(re-run backfill --from 2025-01-10 --to 2025-01-10 while the rows are hot, or restore the files from S3 object versions)',
      recovery: 'thermocline backfill --from 2025-01-10 --to 2025-01-10 --table orders',
    });
  });

  it('holds a partly purged day with corrupt files, pointing to the S3 object versions, not a backfill', () => {
    const decision = decideDay(
      facts({
        hot: { rows: 60, sum: 3000n },
        log: logEntry(),
        content: { status: 'corrupt', problem: 'x changed after it was published' },
      }),
    );

    expect(decision.verdict === 'hold' && decision.recovery).toMatch(
      /^restore the day's files from S3 object versions \(docs\/retention-and-recovery\.md, "Recovery procedures"\), then thermocline verify --from 2025-01-10/,
    );
  });

  it('holds a day whose files cannot be verified (no hash recorded, no Parquet reader)', () => {
    const decision = decideDay(
      facts({
        content: {
          status: 'unverifiable',
          problem: '1 file(s) were published without a content hash',
        },
      }),
    );

    expect(decision).toEqual({
      verdict: 'hold',
      reason:
        'files not verifiable: 1 file(s) were published without a content hash ' +
        '(re-run backfill --from 2025-01-10 --to 2025-01-10 to publish the day again with content hashes)',
      recovery: 'thermocline backfill --from 2025-01-10 --to 2025-01-10 --table orders',
    });
  });

  it('never deletes a day whose files were not read back', () => {
    const { content: _unchecked, ...unchecked } = facts();

    expect(decideDay(unchecked)).toMatchObject({
      verdict: 'hold',
      reason: 'lake files not checked',
    });
  });

  it('resumes an interrupted day: the rows the log deleted count towards the manifest', () => {
    const decision = decideDay(facts({ hot: { rows: 60, sum: 3000n }, log: logEntry() }));

    expect(decision).toEqual({ verdict: 'delete', keepDeleted: true });
  });

  it('holds an interrupted day whose remaining rows no longer add up to the manifest', () => {
    const decision = decideDay(facts({ hot: { rows: 60, sum: 3001n }, log: logEntry() }));

    expect(decision.verdict === 'hold' && decision.reason).toBe(
      'checksum mismatch: manifest 100:5000 ≠ hot rows 100:5001 (rows changed after export: re-run backfill --from 2025-01-10 --to 2025-01-10)',
    );
  });

  it('holds an interrupted day that was re-published with other data after rows were deleted', () => {
    const manifest = { ...MANIFEST, run_id: 'r2', rows: 60, checksum: '60:3000' };
    const decision = decideDay(
      facts({ manifest: { manifest }, hot: { rows: 60, sum: 3000n }, log: logEntry() }),
    );

    expect(decision.verdict === 'hold' && decision.reason).toMatch(
      /^re-published \(run r2, 60 rows\) after its purge under run r1 \(100 rows\) had deleted 40 rows/,
    );
  });

  it('verifies afresh under a new run id when the interrupted purge had deleted nothing', () => {
    const manifest = { ...MANIFEST, run_id: 'r2' };
    const decision = decideDay(
      facts({ manifest: { manifest }, log: logEntry({ rowsDeleted: 0, sumDeleted: 0n }) }),
    );

    expect(decision).toEqual({ verdict: 'delete', keepDeleted: false });
  });

  it('holds rows that arrived after the day was purged, warning against a backfill', () => {
    const decision = decideDay(
      facts({ hot: { rows: 3, sum: 7n }, log: logEntry({ status: 'deleted', rowsDeleted: 100 }) }),
    );

    expect(decision.verdict === 'hold' && decision.reason).toMatch(
      /^3 hot rows arrived after the day was purged \(run r1, 100 rows deleted\); do not backfill/,
    );
  });
});

describe('the retention cutoff', () => {
  it('keeps the last hot_retention_days days: the cutoff is the first day kept', () => {
    expect(retentionCutoff({ hot_retention_days: 90 }, new Date('2025-05-16T04:00:00Z'))).toBe(
      '2025-02-15',
    );
  });
});

describe('the PurgeTable summary', () => {
  it('counts deleted and held days and carries the held ones for the alert', () => {
    const result = summarizeTable(
      {
        table: 'orders',
        cutoffDay: '2025-02-15',
        days: [
          { day: '2025-01-10', hotRows: 10, action: 'deleted', deletedRows: 10 },
          {
            day: '2025-01-11',
            hotRows: 5,
            action: 'hold',
            reason: 'r',
            recovery: 'c',
            deletedRows: 0,
          },
          { day: '2025-01-12', hotRows: 5, action: 'deferred', deletedRows: 0 },
        ],
      },
      false,
    );

    expect(result).toEqual({
      table: 'orders',
      cutoffDay: '2025-02-15',
      dryRun: false,
      deletedDays: 1,
      deletedRows: 10,
      heldDays: 1,
      deferredDays: 1,
      anyHeld: true,
      held: [{ table: 'orders', day: '2025-01-11', action: 'hold', reason: 'r', recovery: 'c' }],
    });
  });
});
