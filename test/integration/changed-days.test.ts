import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { EtlExecution } from '#runtime/local/etl-runtime';
import { readDayManifest } from '#etl/retention/evidence';
import { thermocline } from '#test/support/cli';

/** A UTC day `days` from today. */
function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

// Issue 11: rows changed after their day was exported reach the lake with the next nightly run.
describe('the nightly changed-days pass', () => {
  let work: string;
  let home: string;
  const yesterday = dayFromToday(-1);
  const changedDay = dayFromToday(-3);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-changed-days-'));
    home = join(work, '.thermocline');
    // The sample ends today: its closed days are the nightly run's recent days.
    const seed = await thermocline(['seed', '--days', '5', '--scale', '0.03', '--json'], {
      cwd: work,
    });
    expect(seed.code).toBe(0);
    const backfill = await thermocline(
      ['backfill', '--from', dayFromToday(-4), '--to', yesterday, '--table', 'workflows', '--json'],
      { cwd: work },
    );
    expect(backfill.code).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('re-exports a day whose rows were updated after its export, and the lake then matches', async () => {
    const { store } = openLocalLake(home);
    const before = await readDayManifest(store, 'workflows', changedDay);
    const db = await openDatabase({ env: {}, home });
    let updated: number;
    try {
      // A late UPDATE (workflows that took another step) on the already exported day. Any three
      // rows of the day: the sample's statuses depend on the date the suite runs, so a filter on
      // them could find none.
      const rows = await db.query<{ id: string }>(
        `UPDATE public.workflows SET step_count = step_count + 1
          WHERE id IN (SELECT id FROM public.workflows
                        WHERE created_at >= $1::date AND created_at < $1::date + 1
                        ORDER BY id LIMIT 3)
          RETURNING id`,
        [changedDay],
      );
      updated = rows.length;
    } finally {
      await db.close();
    }
    expect(updated).toBeGreaterThan(0);

    const run = await thermocline(['etl', 'run', '--table', 'workflows', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(summary.rechecked?.changed).toEqual([
      {
        table: 'workflows',
        day: changedDay,
        lake: before.manifest?.checksum,
        hot: expect.not.stringMatching(new RegExp(`^${before.manifest?.checksum}$`)),
      },
    ]);
    expect(summary.rechecked?.checked).toBeGreaterThanOrEqual(2);
    expect(summary.published.map((r) => r.day).sort()).toEqual([changedDay, yesterday]);
    const after = await readDayManifest(store, 'workflows', changedDay);
    expect(after.manifest?.checksum).toBe(summary.rechecked?.changed[0]?.hot);
    expect(after.manifest?.run_id).not.toBe(before.manifest?.run_id);
    // verify reconciles the re-exported day with its hot rows: no mismatch.
    const verify = await thermocline(
      ['verify', '--from', changedDay, '--to', changedDay, '--table', 'workflows', '--json'],
      { cwd: work },
    );
    expect(verify.code).toBe(0);
  });

  it('finds nothing to re-export on the next run when nothing changed', async () => {
    const run = await thermocline(['etl', 'run', '--table', 'workflows', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(summary.rechecked?.changed).toEqual([]);
    expect(summary.published.map((r) => r.day)).toEqual([yesterday]);
  });

  it('does not re-check when a day is given (etl run --date, backfill)', async () => {
    const run = await thermocline(
      ['etl', 'run', '--date', yesterday, '--table', 'workflows', '--json'],
      { cwd: work },
    );

    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout) as EtlExecution;
    expect(summary.rechecked).toEqual({ checked: 0, changed: [] });
  });
});
