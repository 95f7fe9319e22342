import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '#adapters/open-database';
import type { PurgeExecution } from '#runtime/local/retention-runtime';
import type { VerifyReport } from '#etl/retention/verify';
import type { RunsReport } from '#ports/insights';
import { thermocline } from '#test/support/cli';

// Three days ending 2025-02-15: far older than hot_retention_days (90), so every day is old.
const SAMPLE = ['--days', '3', '--scale', '0.02', '--end', '2025-02-15'];
const LATE_DAY = '2025-02-14';
const CORRUPT_DAY = '2025-02-13';

// One embedded database and lake for the whole file, in order: a dry run; a day held for a file
// overwritten in place, and its recovery; a purge killed after its first batch, then resumed; a
// day held for a late row; verify; the recovery (backfill, purge); a purged day's file corrupted.
describe('thermocline purge / verify', () => {
  let work: string;
  let home: string;
  let dryRun: PurgeExecution;

  /** The hot rows of events' old days a report found. */
  const eventsRows = (result: PurgeExecution): number =>
    (result.tables.find((t) => t.table === 'events')?.days ?? []).reduce(
      (n, d) => n + d.hotRows,
      0,
    );

  async function sql(statement: string): Promise<Record<string, unknown>[]> {
    const db = await openDatabase({ env: {}, home });
    try {
      return await db.query(statement);
    } finally {
      await db.close();
    }
  }

  /** The first data file of a table-day, from its day manifest and its `_manifest.json`. */
  async function firstFileOf(table: string, day: string): Promise<string> {
    const lake = join(home, 'lake');
    const manifest = JSON.parse(
      await readFile(join(lake, table, '_manifests', `${day}.json`), 'utf8'),
    ) as { partitions: { location: string }[] };
    const partition = JSON.parse(
      await readFile(join(lake, `${manifest.partitions[0]?.location}_manifest.json`), 'utf8'),
    ) as { files: { key: string }[] };
    return join(lake, partition.files[0]?.key ?? '');
  }

  /** Overwrites 400 bytes in the middle of a file: same size, other content. */
  async function corruptInPlace(path: string): Promise<void> {
    const handle = await open(path, 'r+');
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.alloc(400, 0xa5), 0, 400, Math.floor(size / 2) - 200);
    } finally {
      await handle.close();
    }
  }

  async function hotRows(table: string, day: string): Promise<number> {
    const [row] = await sql(
      `SELECT count(*)::int AS n FROM public.${table} WHERE created_at >= '${day}' AND created_at < '${day}'::date + 1`,
    );
    return Number(row?.n);
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-retention-cli-'));
    home = join(work, '.thermocline');
    const up = await thermocline(['up', '--once', '--json', ...SAMPLE], { cwd: work });
    expect(up.code).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('dry run lists every old day as deletable, changes nothing and alerts nothing', async () => {
    const run = await thermocline(['purge', '--dry-run', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    dryRun = JSON.parse(run.stdout) as PurgeExecution;
    expect(dryRun.dryRun).toBe(true);
    expect(dryRun.tables).toHaveLength(6);
    expect(dryRun.tables.flatMap((t) => t.days.map((d) => d.action))).toEqual(
      Array(18).fill('delete'),
    );
    expect(dryRun.tables.flatMap((t) => t.days.map((d) => d.deletedRows))).toEqual(
      Array(18).fill(0),
    );
    expect(existsSync(join(home, 'alerts.log'))).toBe(false);
  });

  it('holds a day whose Parquet file was overwritten in place (same size): 0 rows deleted, alerted, exit 1', async () => {
    const before = await hotRows('agent_tasks', CORRUPT_DAY);
    await corruptInPlace(await firstFileOf('agent_tasks', CORRUPT_DAY));

    const run = await thermocline(['purge', '--table', 'agent_tasks', '--json'], { cwd: work });

    expect(run.code).toBe(1);
    const days = (JSON.parse(run.stdout) as PurgeExecution).tables[0]?.days ?? [];
    const held = days.find((d) => d.day === CORRUPT_DAY);
    expect(held).toMatchObject({ action: 'hold', deletedRows: 0 });
    expect(held?.reason).toMatch(
      /^corrupt files: agent_tasks\/year=2025\/month=02\/day=13\/v=[^/]+\/part-00000\.parquet changed after it was published/,
    );
    expect(days.filter((d) => d.action === 'deleted')).toHaveLength(2);
    expect(before).toBeGreaterThan(0);
    expect(await hotRows('agent_tasks', CORRUPT_DAY)).toBe(before);
    const alerts = await readFile(join(home, 'alerts.log'), 'utf8');
    expect(alerts).toContain('corrupt files: agent_tasks/year=2025/month=02/day=13/v=');
  });

  it('verify reports the corrupted day as corrupt files; after a backfill, purge deletes it', async () => {
    const verify = await thermocline(['verify', '--table', 'agent_tasks'], { cwd: work });
    const backfill = await thermocline(
      ['backfill', '--from', CORRUPT_DAY, '--to', CORRUPT_DAY, '--table', 'agent_tasks'],
      { cwd: work },
    );
    const purge = await thermocline(['purge', '--table', 'agent_tasks'], { cwd: work });

    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(new RegExp(`agent_tasks +${CORRUPT_DAY} +corrupt files`));
    expect(backfill.code).toBe(0);
    expect(purge.code).toBe(0);
    expect(purge.stdout).toMatch(/Deleted \d+ hot rows of 1 day\(s\); 0 day\(s\) held\./);
    expect(await hotRows('agent_tasks', CORRUPT_DAY)).toBe(0);
  });

  it('resumes a purge killed after its first batch and deletes exactly the rest', async () => {
    const hotEvents = eventsRows(dryRun);

    const killed = await thermocline(['purge', '--table', 'events', '--batch-rows', '10'], {
      cwd: work,
      env: { THERMOCLINE_FAULT: 'kill-after-purge-batch' },
    });
    const resumed = await thermocline(['purge', '--table', 'events', '--json'], { cwd: work });

    expect(killed.signal).toBe('SIGKILL');
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout) as PurgeExecution;
    // The first run had deleted one batch (the dry run's count was before it).
    expect(eventsRows(result)).toBe(hotEvents - 10);
    expect(result.tables[0]?.days.every((d) => d.action === 'deleted')).toBe(true);
    expect(result.tables[0]?.days.reduce((n, d) => n + d.deletedRows, 0)).toBe(hotEvents - 10);
  });

  it('holds a day with a row added after export, alerts it, purges the rest and exits 1', async () => {
    await sql(
      `INSERT INTO public.workflows SELECT gen_random_uuid(), agent_id, name, status, priority, step_count,
              metadata, created_at + interval '1 second', completed_at
         FROM public.workflows WHERE created_at >= '${LATE_DAY}' AND created_at < '${LATE_DAY}'::date + 1 LIMIT 1`,
    );

    const run = await thermocline(['purge', '--json'], { cwd: work });

    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as PurgeExecution;
    expect(result.execution.error?.error).toBe('RetentionHeld');
    const workflows = result.tables.find((t) => t.table === 'workflows');
    const held = workflows?.days.find((d) => d.day === LATE_DAY);
    expect(held?.action).toBe('hold');
    expect(held?.reason).toMatch(/^manifest rows (\d+) ≠ hot rows \d+ \(rows added after export/);
    expect(workflows?.days.filter((d) => d.action === 'deleted')).toHaveLength(2);
    const alerts = await readFile(join(home, 'alerts.log'), 'utf8');
    expect(alerts).toContain('Thermocline retention held days');
    expect(alerts).toContain(
      `thermocline backfill --from ${LATE_DAY} --to ${LATE_DAY} --table workflows`,
    );
  });

  it('verify prints the held day as a mismatch with what to do, and exits 1', async () => {
    const run = await thermocline(['verify', '--table', 'workflows'], { cwd: work });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`workflows +${LATE_DAY} +mismatch`));
    expect(run.stdout).toContain(
      `workflows ${LATE_DAY}: thermocline backfill --from ${LATE_DAY} --to ${LATE_DAY} --table workflows`,
    );
    expect(run.stdout).toMatch(
      /Verified 3 published table-day\(s\) of 1 table\(s\): 0 ok, 2 purged, 0 being purged, 1 mismatch\(es\)\./,
    );
  });

  it('after a backfill of the held day, purge deletes it and verify finds all 18 days purged', async () => {
    const backfill = await thermocline(
      ['backfill', '--from', LATE_DAY, '--to', LATE_DAY, '--table', 'workflows'],
      { cwd: work },
    );
    const purge = await thermocline(['purge'], { cwd: work });
    const verify = await thermocline(['verify', '--json'], { cwd: work });

    expect(backfill.code).toBe(0);
    expect(purge.code).toBe(0);
    expect(purge.stdout).toMatch(/Deleted \d+ hot rows of 1 day\(s\); 0 day\(s\) held\./);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as VerifyReport;
    expect(report.summary).toMatchObject({ days: 18, purged: 18, mismatches: 0 });
  });

  it('verify reports a purged day whose Parquet file was overwritten afterwards, and exits 1', async () => {
    await corruptInPlace(await firstFileOf('workflows', CORRUPT_DAY));

    const run = await thermocline(['verify', '--table', 'workflows', '--json'], { cwd: work });

    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as VerifyReport;
    expect(report.days.find((d) => d.day === CORRUPT_DAY)?.status).toBe('corrupt files');
    expect(report.summary).toMatchObject({ days: 3, purged: 2, mismatches: 1 });
  });

  it('refuses an unknown table with exit 2, naming the known ones', async () => {
    const run = await thermocline(['purge', '--table', 'agent_taks'], { cwd: work });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'agent_taks' is not in the config; known tables: .*agent_tasks/);
  });
  it('records each purge in the run history, not the dry run nor the refused one', async () => {
    const run = await thermocline(['runs', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const { runs } = JSON.parse(run.stdout) as RunsReport;
    // Newest first: the purge after the backfill deleted exactly the held day.
    expect(runs[0]).toMatchObject({ kind: 'retention', status: 'succeeded' });
    expect(runs[0]?.done).toEqual([
      { table: 'workflows', day: LATE_DAY, rows: expect.any(Number) as number },
    ]);
    expect(runs[0]?.rows).toBe(runs[0]?.done[0]?.rows);
    expect(runs[1]?.kind).toBe('backfill');
    // The five purges of this file that ran to their end; not the dry run, not the one killed
    // mid-batch (it never finished), not the refused one.
    expect(runs.filter((r) => r.kind === 'retention')).toHaveLength(5);
  });
});
