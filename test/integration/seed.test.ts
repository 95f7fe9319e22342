import { ConflictError } from '#core/errors';
import { plannedRows, type SampleOptions } from '#core/sample/generator';
import { existingSampleTables, loadSample } from '#core/sample/load';
import { SAMPLE_TABLES } from '#core/sample/tables';
import { qualify, quoteIdent } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

const OPTIONS: SampleOptions = { seed: 7, days: 5, scale: 0.05, endDate: '2025-02-15' };

/** Order-independent checksum of every sample table's rows as PostgreSQL prints them. */
async function databaseChecksum(db: SqlDatabase): Promise<string> {
  const parts: string[] = [];
  for (const table of SAMPLE_TABLES) {
    const [row] = await db.query<{ sum: string }>(
      `SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS sum FROM ${qualify(db.schema, table.name)} t`,
    );
    parts.push(`${table.name}:${row?.sum}`);
  }
  return parts.join(',');
}

async function rowsPerDay(
  db: SqlDatabase,
  table: string,
  column: string,
): Promise<Record<string, number>> {
  const rows = await db.query<{ day: string; n: number }>(
    `SELECT to_char(${quoteIdent(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS n
       FROM ${qualify(db.schema, table)} GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.day, r.n]));
}

describe('loading the sample data set', () => {
  const opened: TestDatabase[] = [];
  let main: SqlDatabase;

  const open = async (suite: string): Promise<SqlDatabase> => {
    const test = await openTestDatabase(suite);
    opened.push(test);
    return test.db;
  };

  beforeAll(async () => {
    main = await open('seed');
    await loadSample(main, OPTIONS);
  });

  afterAll(async () => {
    for (const test of opened) await test.cleanup();
  });

  it('creates every sample table with the planned number of rows', async () => {
    for (const table of SAMPLE_TABLES) {
      const [row] = await main.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${qualify(main.schema, table.name)}`,
      );
      expect({ table: table.name, rows: row?.n }).toEqual({
        table: table.name,
        rows: plannedRows(table.name, OPTIONS).total,
      });
    }
  });

  it('puts the planned rows on each UTC day of every time-series table', async () => {
    for (const table of SAMPLE_TABLES.filter((t) => t.timestampColumn)) {
      const perDay = await rowsPerDay(main, table.name, table.timestampColumn ?? '');

      expect(Object.keys(perDay)).toEqual([
        '2025-02-11',
        '2025-02-12',
        '2025-02-13',
        '2025-02-14',
        '2025-02-15',
      ]);
      expect(perDay).toEqual(plannedRows(table.name, OPTIONS).perDay);
    }
  });

  it('gives the same data for the same seed and other data for another seed', async () => {
    const again = await open('seed_again');
    const other = await open('seed_other');
    await loadSample(again, OPTIONS);
    await loadSample(other, { ...OPTIONS, seed: 8 });

    const checksum = await databaseChecksum(main);
    expect(await databaseChecksum(again)).toBe(checksum);
    expect(await databaseChecksum(other)).not.toBe(checksum);
  });

  it('refuses to load over existing sample tables and changes nothing', async () => {
    const before = await databaseChecksum(main);

    await expect(loadSample(main, { ...OPTIONS, seed: 99 })).rejects.toThrow(ConflictError);
    await expect(loadSample(main, { ...OPTIONS, seed: 99 })).rejects.toThrow(
      /already exist.*thermocline seed --reset/,
    );
    expect(await databaseChecksum(main)).toBe(before);
  });

  it('replaces the sample tables with --reset', async () => {
    const db = await open('seed_reset');
    await loadSample(db, OPTIONS);

    await loadSample(db, { ...OPTIONS, days: 2, reset: true });

    const events = await rowsPerDay(db, 'events', 'occurred_at');
    expect(events).toEqual(plannedRows('events', { ...OPTIONS, days: 2 }).perDay);
  });

  it('leaves nothing behind when a load fails midway', async () => {
    const db = await open('seed_failure');
    const failing = loadSample(db, {
      ...OPTIONS,
      onProgress: (progress) => {
        if (progress.table === 'agent_tasks') throw new Error('disk full (simulated)');
      },
    });

    await expect(failing).rejects.toThrow('disk full (simulated)');
    expect(await existingSampleTables(db)).toEqual([]);
  });
});
