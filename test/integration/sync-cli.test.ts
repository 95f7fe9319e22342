import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalLake } from '#adapters/local/local-lake';
import type { SyncExecution } from '#runtime/local/sync-runtime';
import { readPublished } from '#test/support/lake';
import { thermocline } from '#test/support/cli';

// One embedded database for the whole file: a small sample, then `thermocline sync` runs.
describe('thermocline sync', () => {
  let work: string;
  let home: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-sync-cli-'));
    home = join(work, '.thermocline');
    const seed = await thermocline(
      ['seed', '--days', '1', '--scale', '0.02', '--end', '2025-02-15', '--json'],
      { cwd: work },
    );
    expect(seed.code).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('syncs every mapping through the sync state machine and publishes the reference tables', async () => {
    const run = await thermocline(['sync', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const { execution, states, summary } = JSON.parse(run.stdout) as SyncExecution;
    expect(execution.status).toBe('SUCCEEDED');
    expect(
      states.filter((s) => s.event === 'StateEntered' && s.state === 'SyncMapping'),
    ).toHaveLength(4);
    expect(summary.synced.map((r) => [r.table, r.lakeTable]).sort()).toEqual([
      ['affiliates', 'ref_affiliates'],
      ['agents', 'ref_agents'],
      ['games', 'ref_games'],
      ['members', 'ref_members'],
    ]);
    const members = summary.synced.find((r) => r.table === 'members');
    const rows = await readPublished(openLocalLake(home), 'ref_members');
    expect(rows).toHaveLength(members?.currentRows ?? -1);
  });

  it('syncs only the incremental mappings with --mode incremental, and finds nothing new', async () => {
    const run = await thermocline(['sync', '--mode', 'incremental', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout) as SyncExecution;
    expect(summary.synced.map((r) => r.table).sort()).toEqual(['affiliates', 'agents', 'members']);
    expect(summary.synced.map((r) => r.changedRows)).toEqual([0, 0, 0]);
    expect(summary.skipped.map((s) => s.table)).toEqual(['games']);
  });

  it('fetches given keys on demand with --table and --keys', async () => {
    const [first] = await readPublished(openLocalLake(home), 'ref_members', { orderBy: 'key' });
    const key = String(first?.key);

    const run = await thermocline(
      ['sync', '--table', 'members', '--keys', `${key},nope`, '--json'],
      {
        cwd: work,
      },
    );

    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { rows: { key: string }[]; missing: string[] };
    expect(out.rows.map((r) => r.key)).toEqual([key]);
    expect(out.missing).toEqual(['nope']);
  });

  it('refuses a mode it does not know with exit code 2', async () => {
    const run = await thermocline(['sync', '--mode', 'weekly'], { cwd: work });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--mode must be full or incremental; got 'weekly'/);
  });

  it('exits 2 naming the mapping, with no alert and nothing synced, when it names a missing column', async () => {
    const config = join(work, 'bad-mapping.json');
    await writeFile(
      config,
      JSON.stringify({
        mappings: [
          {
            table: 'affiliates',
            entity_type: 'Affiliate',
            key_column: 'affiliate_code',
            properties: [{ column: 'commision_rate', property: 'rate' }],
            sync_mode: 'incremental',
          },
        ],
      }),
    );
    const alertsBefore = await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '');

    const run = await thermocline(['--config', config, 'sync', '--table', 'affiliates'], {
      cwd: work,
    });

    // A configuration error, not a failed run (issue 17.8): exit 2, the config key, no alert.
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /bad-mapping\.json: mappings\[table=affiliates\]: .*'commision_rate' is not a column/,
    );
    expect(await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '')).toBe(alertsBefore);
  });
});
