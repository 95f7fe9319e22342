import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openDatabase } from '#adapters/open-database';
import type { EtlExecution } from '#runtime/local/etl-runtime';
import { quoteIdent } from '#core/sql/ident';
import { thermocline } from '#test/support/cli';
import { findServer } from '#test/support/database';

const COLUMNS = [
  { name: 'id', load: (v: string) => `CAST(${v} AS BIGINT)` },
  { name: 'note', load: (v: string) => v },
];

/** CSV rows that arrive slowly, as a COPY from a busy server does. */
function slowCsv(first: number, rows: number): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < rows; i++) {
        await new Promise((done) => setTimeout(done, 2));
        yield `${first + i},row ${i}\n`;
      }
    })(),
  );
}

describe('the DuckDB encoder under concurrency', () => {
  // Regression (issue 17.1): each DuckDB statement holds a libuv thread-pool thread (4 by
  // default) while it runs; the pipe writer used the same pool, so more exports at once than
  // pool threads deadlocked forever.
  it('encodes more streams at once than the thread pool has threads', async () => {
    const encoder = await createDuckDbEncoder();
    try {
      const streams = 10;
      const batches = await Promise.all(
        Array.from({ length: streams }, (_, n) =>
          encoder.encodeCsv(slowCsv(n * 1000, 25), COLUMNS, {
            targetFileBytes: 2 ** 27,
            rowGroupRows: 1000,
          }),
        ),
      );

      expect(batches.map((b) => b.files.reduce((sum, f) => sum + f.rows, 0))).toEqual(
        Array.from({ length: streams }, () => 25),
      );
      await Promise.all(batches.map((b) => b.dispose()));
    } finally {
      await encoder.close();
    }
  }, 30_000);

  it('fails, rather than waits, when DuckDB rejects the statement before reading the pipe', async () => {
    const encoder = await createDuckDbEncoder();
    try {
      const bad = [{ name: 'id', load: () => 'no_such_function(1)' }];

      await expect(
        encoder.encodeCsv(slowCsv(0, 5), bad, { targetFileBytes: 2 ** 27, rowGroupRows: 1000 }),
      ).rejects.toThrow(/DuckDB could not encode the rows PostgreSQL sent: .*no_such_function/);
    } finally {
      await encoder.close();
    }
  }, 30_000);
});

// The default path of `etl run` (no --table, the environment's etl_concurrency of 4) on a
// PostgreSQL server: every table of the sample at once. It hung forever before the fix.
describe('thermocline etl run with default flags', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'thermocline-etl-default-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('exports every table of a day at the default concurrency', async () => {
    const server = await findServer();
    // Without a server the same command runs on the embedded database (one backend session).
    const schema = `tc_etl_default_${process.pid}`;
    const env = server ? { ...server.env, THERMOCLINE_SCHEMA: schema } : {};
    try {
      const seed = await thermocline(
        ['seed', '--days', '3', '--scale', '0.05', '--end', '2025-02-15', '--json'],
        { cwd: work, env },
      );
      expect(seed.code).toBe(0);

      const run = await thermocline(['etl', 'run', '--date', '2025-02-14', '--json'], {
        cwd: work,
        env,
        timeoutMs: 60_000,
      });

      expect({
        code: run.code,
        signal: run.signal,
        stderr: run.code === 0 ? '' : run.stderr,
      }).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      });
      const { execution, summary } = JSON.parse(run.stdout) as EtlExecution;
      expect(execution.status).toBe('SUCCEEDED');
      expect(summary.failed).toEqual([]);
      expect(summary.published.map((r) => r.table).sort()).toEqual([
        'agent_interactions',
        'agent_metrics',
        'agent_tasks',
        'events',
        'user_sessions',
        'workflows',
      ]);
    } finally {
      if (server) {
        const db = await openDatabase({ env: server.env, home: work });
        await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
        await db.close();
      }
    }
  }, 90_000);
});
