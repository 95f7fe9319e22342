import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRunHistory } from '#adapters/local/file-run-history';
import type { LedgerEntry } from '#core/query/ledger';
import {
  computeCoverage,
  dailyCostReport,
  dayState,
  failedTableDays,
  windowDays,
} from '#etl/insights';
import type { RunRecord } from '#ports/run-history';
import { runRecord } from '#runtime/local/run-record';

const TABLE = { name: 'events', export_lag_days: 1 };
const DAYS = ['2025-02-10', '2025-02-11', '2025-02-12', '2025-02-13', '2025-02-14'];

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: 'r',
    kind: 'etl',
    status: 'succeeded',
    startedAt: '2025-02-14T02:00:00.000Z',
    finishedAt: '2025-02-14T02:01:00.000Z',
    durationMs: 60_000,
    rows: 0,
    bytes: 0,
    done: [],
    failed: [],
    ...overrides,
  };
}

describe('dayState', () => {
  it.each([
    [{ inLake: true, hotRows: 5, failedAt: undefined, due: true }, 'exported'],
    [{ inLake: true, hotRows: 0, failedAt: undefined, due: true }, 'purged'],
    [{ inLake: false, hotRows: 5, failedAt: '2025-02-14T02:00:00Z', due: true }, 'failed'],
    [{ inLake: false, hotRows: 5, failedAt: undefined, due: true }, 'late'],
    [{ inLake: false, hotRows: 5, failedAt: undefined, due: false }, 'hot'],
    [{ inLake: false, hotRows: 0, failedAt: undefined, due: true }, 'none'],
  ] as const)('%j is %s', (facts, state) => {
    expect(dayState(facts)).toBe(state);
  });
});

describe('computeCoverage', () => {
  const now = new Date('2025-02-14T10:00:00Z');

  it('gives each table-day its state and the lag in closed days', () => {
    const report = computeCoverage(
      [
        {
          table: TABLE,
          hot: new Map([
            ['2025-02-11', 3],
            ['2025-02-12', 4],
            ['2025-02-13', 5],
            ['2025-02-14', 1],
          ]),
          lake: new Map([
            ['2025-02-10', '2025-02-11T02:00:00Z'],
            ['2025-02-11', '2025-02-12T02:00:00Z'],
          ]),
          failed: new Map([['2025-02-12', '2025-02-13T02:00:00Z']]),
        },
      ],
      DAYS,
      now,
    );

    // 10: lake only (purged); 11: both; 12: failed; 13: due at 14 00:00 + 3 h: late; 14: open.
    expect(report.tables[0]?.states).toBe('PEFLH');
    expect(report.tables[0]?.lastExportedDay).toBe('2025-02-11');
    expect(report.tables[0]?.lastClosedDay).toBe('2025-02-13');
    expect(report.tables[0]?.lagDays).toBe(2);
    expect(report.failed).toBe(1);
    expect(report.late).toBe(1);
  });

  it('does not call the last closed day late before the nightly run has had its time', () => {
    const early = new Date('2025-02-14T01:30:00Z');
    const report = computeCoverage(
      [{ table: TABLE, hot: new Map([['2025-02-13', 5]]), lake: new Map(), failed: new Map() }],
      ['2025-02-13'],
      early,
    );

    expect(report.tables[0]?.states).toBe('H');
  });

  it('reports a table with nothing in the lake as lagging over the whole window', () => {
    const report = computeCoverage(
      [{ table: TABLE, hot: new Map(), lake: new Map(), failed: new Map() }],
      DAYS,
      now,
    );

    expect(report.tables[0]?.states).toBe('.....');
    expect(report.tables[0]?.lastExportedDay).toBeNull();
    expect(report.tables[0]?.lagDays).toBe(4);
  });
});

describe('failedTableDays', () => {
  it('keeps a table-day whose latest export failed', () => {
    const runs = [
      run({
        finishedAt: '2025-02-14T02:01:00Z',
        failed: [{ table: 'events', day: '2025-02-13', error: 'boom' }],
      }),
      run({
        finishedAt: '2025-02-13T02:01:00Z',
        done: [{ table: 'events', day: '2025-02-13', rows: 1 }],
      }),
    ];

    expect(failedTableDays(runs).get('events')?.get('2025-02-13')).toBe('2025-02-14T02:01:00Z');
  });

  it('clears a failure a later run exported', () => {
    const runs = [
      run({ kind: 'backfill', done: [{ table: 'events', day: '2025-02-13', rows: 1 }] }),
      run({ failed: [{ table: 'events', day: '2025-02-13', error: 'boom' }] }),
    ];

    expect(failedTableDays(runs).get('events')).toBeUndefined();
  });

  it('ignores sync and retention failures (they are not table-day exports)', () => {
    const runs = [run({ kind: 'sync', failed: [{ table: 'events', day: '*', error: 'boom' }] })];

    expect(failedTableDays(runs).size).toBe(0);
  });
});

describe('dailyCostReport', () => {
  const entry = (
    at: string,
    caller: string,
    bytesScanned: number,
    cacheHit = false,
  ): LedgerEntry => ({
    at,
    planId: 'p',
    stepId: 's',
    caller,
    engine: 'duckdb',
    bytesScanned,
    costUsd: (bytesScanned / 1e12) * 5,
    engineMs: 1,
    cacheHit,
    reused: false,
  });

  it('sums the ledger by day and caller, with cache hits, inside the window only', () => {
    const report = dailyCostReport(
      [
        entry('2025-02-13T10:00:00Z', 'local:ana', 1e9),
        entry('2025-02-13T11:00:00Z', 'local:ana', 2e9, true),
        entry('2025-02-13T12:00:00Z', 'local:bob', 1e9),
        entry('2025-02-14T09:00:00Z', 'local:ana', 4e9),
        entry('2025-02-01T09:00:00Z', 'local:ana', 9e9),
      ],
      '2025-02-10',
      '2025-02-14',
    );

    expect(report.rows).toEqual([
      {
        day: '2025-02-13',
        caller: 'local:ana',
        queries: 2,
        bytesScanned: 3e9,
        costUsd: 0.015,
        cacheHits: 1,
      },
      {
        day: '2025-02-13',
        caller: 'local:bob',
        queries: 1,
        bytesScanned: 1e9,
        costUsd: 0.005,
        cacheHits: 0,
      },
      {
        day: '2025-02-14',
        caller: 'local:ana',
        queries: 1,
        bytesScanned: 4e9,
        costUsd: 0.02,
        cacheHits: 0,
      },
    ]);
    expect(report.totals).toEqual({ queries: 4, bytesScanned: 8e9, costUsd: 0.04, cacheHits: 1 });
  });
});

describe('windowDays', () => {
  it('ends today and counts today', () => {
    expect(windowDays(new Date('2025-02-14T10:00:00Z'), 3)).toEqual([
      '2025-02-12',
      '2025-02-13',
      '2025-02-14',
    ]);
  });
});

describe('FileRunHistory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what it appended, newest first', async () => {
    const history = new FileRunHistory(join(dir, 'home', 'runs.jsonl'));
    await history.append(run({ id: 'a' }));
    await history.append(run({ id: 'b', kind: 'sync' }));

    const listing = await history.list();

    expect(listing.runs.map((r) => r.id)).toEqual(['b', 'a']);
    expect(listing.damaged).toBe(0);
  });

  it('skips and counts a damaged line (a torn write) instead of failing', async () => {
    const path = join(dir, 'runs.jsonl');
    await writeFile(path, `${JSON.stringify(run({ id: 'a' }))}\n{"id":"b","kind":"et`);
    await appendFile(
      path,
      `\n${JSON.stringify({ hello: 'world' })}\n${JSON.stringify(run({ id: 'c' }))}\n`,
    );

    const listing = await new FileRunHistory(path).list();

    expect(listing.runs.map((r) => r.id)).toEqual(['c', 'a']);
    expect(listing.damaged).toBe(2);
  });

  it('is empty when the file does not exist yet', async () => {
    expect(await new FileRunHistory(join(dir, 'none.jsonl')).list()).toEqual({
      runs: [],
      damaged: 0,
    });
  });

  it('returns at most limit runs', async () => {
    const history = new FileRunHistory(join(dir, 'runs.jsonl'));
    for (const id of ['a', 'b', 'c']) await history.append(run({ id }));

    expect((await history.list({ limit: 2 })).runs.map((r) => r.id)).toEqual(['c', 'b']);
  });
});

describe('runRecord', () => {
  const startedAt = new Date('2025-02-14T02:00:00Z');
  const now = new Date('2025-02-14T02:00:05Z');
  const base = { kind: 'etl' as const, startedAt, rows: 1, bytes: 1 };

  it.each([
    [{ done: [{ table: 't', day: 'd', rows: 1 }], failed: [] }, 'succeeded'],
    [
      { done: [{ table: 't', day: 'd', rows: 1 }], failed: [{ table: 't', day: 'e', error: 'x' }] },
      'partial',
    ],
    [{ done: [], failed: [{ table: 't', day: 'e', error: 'x' }] }, 'failed'],
    [{ done: [], failed: [], executionFailed: true }, 'failed'],
  ] as const)('%j is %s', (outcome, status) => {
    const record = runRecord({ ...base, ...outcome }, now);
    expect(record.status).toBe(status);
    expect(record.durationMs).toBe(5000);
  });
});
