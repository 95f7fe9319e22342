import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '#adapters/open-database';
import { quoteIdent } from '#core/sql/ident';
import { thermocline } from '#test/support/cli';
import { findServer } from '#test/support/database';

const SMALL = ['--days', '3', '--scale', '0.02', '--end', '2025-02-15'];

describe('thermocline CLI', () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-cli-'));
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('seeds the embedded database on the first `up` and reuses it on the second', async () => {
    const first = await thermocline(['up', '--once', '--json', ...SMALL], { cwd: work });
    const second = await thermocline(['up', '--once', '--json', ...SMALL], { cwd: work });

    expect(first.code).toBe(0);
    const firstOut = JSON.parse(first.stdout) as {
      database: { kind: string };
      seeded: { rows: number } | null;
      tables: { table: string; rows: number; firstDay: string; lastDay: string }[];
    };
    expect(firstOut.database.kind).toBe('embedded');
    expect(firstOut.seeded?.rows).toBeGreaterThan(0);
    expect(firstOut.tables.find((t) => t.table === 'events')).toMatchObject({
      firstDay: '2025-02-13',
      lastDay: '2025-02-15',
    });
    expect(second.code).toBe(0);
    const secondOut = JSON.parse(second.stdout) as typeof firstOut;
    expect(secondOut.seeded).toBeNull();
    expect(secondOut.tables).toEqual(firstOut.tables);
  });

  it('prints a summary with row counts, day ranges and next steps for people', async () => {
    const run = await thermocline(['up', '--once', ...SMALL], { cwd: work });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Postgres: embedded PostgreSQL \(PGlite\) at \.thermocline\/pgdata/,
    );
    expect(run.stdout).toMatch(/events\s+timeseries\s+\d+\s+2025-02-13\s+2025-02-15/);
    expect(run.stdout).toContain('What you can do next:');
  });

  it('fails at start with exit code 2 and the path of a bad config key', async () => {
    await writeFile(
      join(work, 'thermocline.config.json'),
      JSON.stringify({
        tables: [
          {
            name: 'orders',
            primary_key: ['id'],
            timestamp_column: 'ts',
            partition_layout: 'daily',
          },
        ],
      }),
    );

    const run = await thermocline(['up', '--once'], { cwd: work });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/tables\[0\]\.partition_layout/);
    expect(run.stderr).toMatch(/'ymd', 'event_type\/dt'/);
  });

  it('exits 2 on a bad flag value and shows it', async () => {
    const run = await thermocline(['seed', '--days', 'many'], { cwd: work });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--days must be a whole number from 1 to 3650; got 'many'");
  });

  it('exits 3 with a clear message when DATABASE_URL points at nothing', async () => {
    const run = await thermocline(['up', '--once', '--json'], {
      cwd: work,
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/postgres' },
    });

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'database_unavailable', message: expect.stringMatching(/ECONNREFUSED/) },
    });
  });

  it('shows help with examples', async () => {
    const run = await thermocline(['seed', '--help'], { cwd: work });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('thermocline seed --days 120 --scale 1');
  });

  it('seeds a PostgreSQL server named by DATABASE_URL', async () => {
    const server = await findServer();
    if (!server) {
      expect(process.env.THERMOCLINE_REQUIRE_SERVER).not.toBe('1'); // CI always has one
      return;
    }
    const schema = `tc_cli_${process.pid}`;
    const env = { ...server.env, THERMOCLINE_SCHEMA: schema };
    try {
      const run = await thermocline(['up', '--once', '--json', ...SMALL], { cwd: work, env });

      // The output comes with a failure, so a CI log says why.
      expect({
        code: run.code,
        stdout: run.code === 0 ? '' : run.stdout,
        stderr: run.code === 0 ? '' : run.stderr,
      }).toEqual({ code: 0, stdout: '', stderr: '' });
      const out = JSON.parse(run.stdout) as {
        database: { kind: string };
        schema: string;
        seeded: unknown;
      };
      expect(out.database.kind).toBe('server');
      expect(out.schema).toBe(schema);
      expect(out.seeded).not.toBeNull();
    } finally {
      const db = await openDatabase({ env: server.env, home: work });
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    }
  });
});
