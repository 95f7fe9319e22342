import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLocalLake } from '#adapters/local/local-lake';
import { openDatabase } from '#adapters/open-database';
import type { EtlExecution } from '#runtime/local/etl-runtime';
import { defaultConfig } from '#core/config/resolve';
import { qualify, quoteIdent } from '#core/sql/ident';
import { dayOfPartition } from '#etl/layout';
import { thermocline } from '#test/support/cli';
import { findServer } from '#test/support/database';
import { readPublished } from '#test/support/lake';
import type { Catalog } from '#ports/catalog';

const DAY = '2025-02-14';
const ROUNDS = 3;
const CLI = resolve(__dirname, '../../bin/thermocline-cli.cjs');

/**
 * Issue 17.3: two `etl run` of the same day at once, as two users or a schedule and a user start
 * them — each a process of its own on the same lake and database (a PostgreSQL server when one
 * answers; else the embedded one, held open by a `serve` so neither run owns it).
 */
describe('two thermocline etl run of the same day at once', () => {
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let schema: string;
  let holder: ChildProcess | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-etl-concurrent-'));
    home = join(work, '.thermocline');
    const server = await findServer();
    schema = server ? `tc_etl_concurrent_${process.pid}` : 'public';
    env = server ? { ...server.env, THERMOCLINE_SCHEMA: schema } : {};
    const seed = await thermocline(
      ['seed', '--days', '3', '--scale', '0.05', '--end', '2025-02-15', '--json'],
      { cwd: work, env },
    );
    expect(seed.code).toBe(0);
    if (!server) {
      holder = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((ready) =>
        holder?.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('Ctrl-C')) ready();
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    if (holder) {
      const stopped = new Promise((done) => holder?.once('exit', done));
      holder.kill('SIGINT');
      await stopped;
    }
    if (schema !== 'public') {
      const db = await openDatabase({ env, home: work });
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    }
    await rm(work, { recursive: true, force: true });
  });

  it('both publish every table-day, and the catalog then serves each day whole, once', async () => {
    const config = defaultConfig();
    for (let round = 0; round < ROUNDS; round++) {
      const runs = await Promise.all(
        [0, 1].map(() =>
          thermocline(['etl', 'run', '--date', DAY, '--concurrency', '2', '--json'], {
            cwd: work,
            env,
            timeoutMs: 180_000,
          }),
        ),
      );

      for (const run of runs) {
        expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
          code: 0,
          stderr: '',
        });
        const { summary } = JSON.parse(run.stdout) as EtlExecution;
        expect(summary.failed).toEqual([]);
        expect(summary.published).toHaveLength(config.tables.length);
      }
    }

    const lake = openLocalLake(home);
    const db = await openDatabase({ env, home, schema });
    try {
      for (const table of config.tables) {
        const partitions = (await lake.catalog.listPartitions(table.name)).filter(
          (p) => dayOfPartition(table, p.values) === DAY,
        );
        for (const partition of partitions) {
          const manifest = JSON.parse(
            (await lake.store.getText(`${partition.location}_manifest.json`)) ?? '{"files":[]}',
          ) as { files: { key: string; bytes: number }[] };
          expect(manifest.files).toHaveLength(partition.files);
          for (const file of manifest.files) {
            expect(await lake.store.head(file.key)).toEqual({ key: file.key, bytes: file.bytes });
          }
        }
        const key = table.primary_key.map(quoteIdent).join(', ');
        // Read exactly the partitions of the day checked above.
        const dayOnly: Catalog = Object.assign(Object.create(lake.catalog) as Catalog, {
          listPartitions: async () => partitions,
        });
        const [read] = await readPublished({ store: lake.store, catalog: dayOnly }, table.name, {
          select: `count(*)::INTEGER AS n, count(DISTINCT (${key}))::INTEGER AS keys`,
        });
        const ts = quoteIdent(table.timestamp_column);
        const [source] = await db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${qualify(schema, table.name)}
            WHERE ${ts} >= $1::date AND ${ts} < $1::date + 1`,
          [DAY],
        );
        expect({ table: table.name, ...(read ?? {}) }).toEqual({
          table: table.name,
          n: Number(source?.n),
          keys: Number(source?.n),
        });
      }
    } finally {
      await db.close();
    }
    expect(await readFile(join(home, 'alerts.log'), 'utf8').catch(() => '')).toBe('');
  }, 600_000);
});
