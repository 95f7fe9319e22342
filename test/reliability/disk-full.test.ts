import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  figures,
  openWorkbench,
  publishedDay,
  since,
  type Workbench,
} from '#test/support/workbench';

const DAY = '2025-02-14';
const TABLE = 'agent_tasks';

/** Mounts a tmpfs of `size` at `dir` (root on Linux); false where the machine does not allow it. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * THERMOCLINE_HOME on a small tmpfs that fills up while `etl run` re-exports a published day:
 * the run fails with the cause named (no stack trace), readers keep the previous version whole,
 * the catalog stays intact; once space is freed, the next run publishes and cleans up.
 */
describe('etl run when the disk under THERMOCLINE_HOME fills up', () => {
  let bench: Workbench | undefined;
  let mounted = false;
  let hotRows = 0;

  beforeAll(async () => {
    bench = await openWorkbench('disk-full', { sample: {} });
    if (!bench) return;
    await mkdir(bench.home);
    mounted = mountTmpfs(bench.home, '4m');
    if (!mounted) return;
    const [row] = await bench.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${TABLE} WHERE created_at >= $1::date AND created_at < $1::date + 1`,
      [DAY],
    );
    hotRows = Number(row?.n);
  }, 120_000);

  afterAll(async () => {
    if (bench && mounted) execFileSync('umount', [bench.home]);
    await bench?.cleanup();
  });

  it('fails naming ENOSPC, the previous version stays readable, and a later run recovers', async () => {
    if (!bench) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1');
      return;
    }
    // Without mounts (no root, or a container that forbids them) there is no full disk to test.
    expect(mounted || process.env.THERMOCLINE_REQUIRE_SERVER !== '1').toBe(true);
    if (!mounted) return;
    const b = bench;
    const args = ['etl', 'run', '--date', DAY, '--table', TABLE, '--json'];
    const first = await b.run(args);
    expect(first.code).toBe(0);
    const published = await publishedDay(b, TABLE, DAY, 'id');
    const catalog = await readFile(join(b.home, 'catalog.json'), 'utf8');
    // Fill the disk but for 8 KiB: enough for the start-up checks, not for the day's files.
    const { bavail, bsize } = await statfs(b.home);
    const filler = join(b.home, 'filler');
    await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 8192))).catch(
      () => undefined,
    );

    // Act
    const started = performance.now();
    const full = await b.run(args);
    const fullMs = since(started);

    // Assess
    expect(full.code).not.toBe(0);
    expect(full.stdout + full.stderr).toMatch(/ENOSPC|no space left/i);
    expect(full.stderr).not.toMatch(/\n\s+at |Unhandled/);
    expect(await readFile(join(b.home, 'catalog.json'), 'utf8')).toBe(catalog);
    const during = await publishedDay(b, TABLE, DAY, 'id');
    expect({ runId: during.runId, rows: during.rows, keys: during.keys }).toEqual({
      runId: published.runId,
      rows: hotRows,
      keys: hotRows,
    });

    // Act: space again
    await rm(filler);
    const recovered = await b.run(args);

    // Assess
    expect(recovered.code).toBe(0);
    const after = await publishedDay(b, TABLE, DAY, 'id');
    expect(after.runId).not.toBe(published.runId);
    expect({ rows: after.rows, keys: after.keys }).toEqual({ rows: hotRows, keys: hotRows });
    expect(after.folders).toEqual([`v=${after.runId}`, `v=${published.runId}`].sort());
    const leftovers = (await readdir(b.home, { recursive: true })).filter((f) =>
      f.endsWith('.tmp'),
    );
    expect(leftovers).toEqual([]);
    figures('disk-full', {
      tmpfs: '4m',
      exit: full.code,
      fail_ms: fullMs,
      message:
        /[^\n]*(ENOSPC|no space left)[^\n]*/i.exec(full.stdout + full.stderr)?.[0].slice(0, 160) ??
        '',
    });
  }, 180_000);
});
