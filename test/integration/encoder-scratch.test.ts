import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { createDuckDbEncoder, removeDeadScratch } from '#adapters/duckdb/duckdb-encoder';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (!child.pid) throw new Error('could not start a short-lived process');
  return child.pid;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A scratch folder as an encode leaves it when its process is killed: Parquet output inside. */
async function scratch(root: string, name: string): Promise<string> {
  const folder = join(root, name);
  await mkdir(join(folder, 'out'), { recursive: true });
  await writeFile(join(folder, 'out', 'part-0.parquet'), 'PAR1');
  return folder;
}

describe("the encoder's scratch folders", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'thermocline-scratch-test-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes those of processes that no longer run, never a running one, nor unrelated folders', async () => {
    const dead = await scratch(root, `thermocline-encode-${deadPid()}-AbC123`);
    const live = await scratch(root, `thermocline-encode-${process.pid}-DeF456`);
    const unowned = await scratch(root, 'thermocline-encode-GhI789'); // named before the pid was
    const other = await scratch(root, 'something-else-1-x');

    const removed = await removeDeadScratch(root);

    expect(removed).toBe(1);
    expect(await exists(dead)).toBe(false);
    expect(await exists(live)).toBe(true);
    expect(await exists(unowned)).toBe(true);
    expect(await exists(other)).toBe(true);
  });

  it('an encode works in a folder named after its process; a new encoder removes a killed one', async () => {
    const killed = await scratch(tmpdir(), `thermocline-encode-${deadPid()}-JkL012`);
    const encoder = await createDuckDbEncoder();
    try {
      expect(await exists(killed)).toBe(false);
      const batch = await encoder.encodeCsv(
        Readable.from(['1\n', '2\n']),
        [{ name: 'id', load: (v) => `CAST(${v} AS BIGINT)` }],
        { targetFileBytes: 2 ** 27, rowGroupRows: 1000 },
      );
      const folder = relative(tmpdir(), batch.files[0]?.path ?? '').split('/')[0] ?? '';
      expect(folder).toMatch(new RegExp(`^thermocline-encode-${process.pid}-\\w+$`));
      await batch.dispose();
      expect(await readdir(tmpdir())).not.toContain(basename(folder));
    } finally {
      await encoder.close();
      await rm(killed, { recursive: true, force: true });
    }
  });
});
