import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAlerts } from '#adapters/local/file-alerts';
import { thermocline } from '#test/support/cli';

/** Mounts a small tmpfs at `dir` (root on Linux); false where the machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Regression (issue 17.8): a read-only or full THERMOCLINE_HOME was reported as ENOENT (Node's
// recursive mkdir) or as "[object Object]" (PGlite's errors); now the real cause, exit 2.
describe('a THERMOCLINE_HOME that cannot be written', () => {
  let work: string;
  const mounted: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-home-faults-'));
  });

  afterAll(async () => {
    for (const dir of mounted) execFileSync('umount', [dir]);
    await rm(work, { recursive: true, force: true });
  });

  it('names a read-only file system (EROFS)', async () => {
    const readOnly = join(work, 'ro');
    await mkdir(readOnly);
    if (!mountTmpfs(readOnly, 'size=1m,ro')) return; // no mounts here: the next cases still run
    mounted.push(readOnly);

    const run = await thermocline(['seed', '--days', '1', '--scale', '0.01'], {
      cwd: work,
      env: { THERMOCLINE_HOME: join(readOnly, 'home') },
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `cannot write to ${join(readOnly, 'home')}: the file system is read-only (EROFS at ${readOnly})`,
    );
    expect(run.stderr).not.toMatch(/ENOENT/);
  });

  it('names a full disk (ENOSPC) under the embedded database', async () => {
    const full = join(work, 'full');
    await mkdir(full);
    if (!mountTmpfs(full, 'size=256k')) return;
    mounted.push(full);
    // Fill it but for a few bytes, as a full disk is.
    try {
      await writeFile(join(full, 'filler'), Buffer.alloc(256 * 1024));
    } catch {
      // ENOSPC: the disk is now full, as wanted
    }

    const run = await thermocline(['up', '--once'], {
      cwd: work,
      env: { THERMOCLINE_HOME: join(full, 'home') },
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no space left on the device \(ENOSPC/);
    expect(run.stderr).not.toMatch(/ENOENT|\[object Object\]/);
  });

  it('names a path through a file (ENOTDIR)', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'not a folder');

    const run = await thermocline(['seed', '--days', '1', '--scale', '0.01', '--json'], {
      cwd: work,
      env: { THERMOCLINE_HOME: join(file, 'home') },
    });

    expect(run.code).toBe(2);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('home_not_writable');
    expect(error.message).toMatch(/a part of the path is a file, not a folder \(ENOTDIR/);
  });

  it('echoes an alert before writing it, so a file that cannot be written does not lose it', async () => {
    const echoed: string[] = [];
    const alerts = new FileAlerts(join(work, 'a-file', 'alerts.log'), (line) => echoed.push(line));

    await expect(alerts.notify('ETL failed', 'events 2025-02-14')).rejects.toThrow(/ENOTDIR/);
    expect(echoed).toEqual(['ALERT ETL failed: events 2025-02-14']);
  });
});
