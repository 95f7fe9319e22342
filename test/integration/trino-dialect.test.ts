/**
 * The Trino dialect of the DuckDB lake engine beyond the corpus' documented results: Trino's
 * errors, what the local engine refuses and how it says so, Athena's column names, parameters,
 * and that user SQL cannot reach DuckDB's own functions or the dialect's macros.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { openLocalLake } from '#adapters/local/local-lake';
import { QueryFailedError } from '#core/query/engine-errors';
import type { LakeQueryEngine, QueryParam, QueryResult } from '#ports/query-engine';

describe('the Trino dialect of the DuckDB lake engine', () => {
  let home: string;
  let engine: LakeQueryEngine;

  const run = (sql: string, params: QueryParam[] = []): Promise<QueryResult> =>
    engine.run({ sql, params, maxScanBytes: 1e12, scans: [] });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'thermocline-trino-dialect-'));
    engine = await createDuckDbQueryEngine(openLocalLake(home).store);
  });

  afterAll(async () => {
    await engine.close();
    await rm(home, { recursive: true, force: true });
  });

  it('divides integers as integers, and fails on a division by zero as Athena does', async () => {
    expect((await run('SELECT 7 / 2 AS q, -7 % 3 AS r')).rows).toEqual([{ q: 3, r: -1 }]);
    await expect(run('SELECT 1 / 0')).rejects.toThrow(QueryFailedError);
    await expect(run('SELECT 1 / 0')).rejects.toThrow(/Division by zero/);
    expect((await run('SELECT try(1 / 0) AS q')).rows).toEqual([{ q: null }]);
  });

  it("runs in UTC, Athena's session zone, whatever the machine's zone", () => {
    // DuckDB takes the process's zone at start: run the engine in a process in New York.
    const script = `
      const { createDuckDbQueryEngine } = require('#adapters/duckdb/duckdb-query-engine');
      const { openLocalLake } = require('#adapters/local/local-lake');
      (async () => {
        const engine = await createDuckDbQueryEngine(openLocalLake(${JSON.stringify(home)}).store);
        const sql = "SELECT hour(CAST('2020-05-11 11:15:05+00' AS timestamp with time zone)) AS h";
        const result = await engine.run({ sql, params: [], maxScanBytes: 1, scans: [] });
        process.stdout.write(JSON.stringify(result.rows));
        await engine.close();
      })();`;
    const child = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, TZ: 'America/New_York' },
      encoding: 'utf8',
    });

    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([{ h: 11 }]);
  });

  it('names unnamed result columns as Athena does: _col<position>', async () => {
    const result = await run("SELECT count(*), 1 + 1 AS two, upper('a'), 'b' AS b");

    expect(result.columns.map((c) => c.name)).toEqual(['_col0', 'two', '_col2', 'b']);
  });

  it('binds parameters: integer division by a number, contains() on a list', async () => {
    const result = await run(
      "SELECT x / $1 AS q, contains($2, 'b') AS has FROM (VALUES (7)) AS t(x)",
      [2, ['a', 'b']],
    );

    expect(result.rows).toEqual([{ q: 3, has: true }]);
  });

  it('renders a REAL with the digits Athena writes', async () => {
    expect((await run('SELECT CAST(0.1 AS real) AS r')).rows).toEqual([{ r: 0.1 }]);
  });

  it('refuses a DuckDB function as Athena would, naming the Athena one', async () => {
    await expect(run("SELECT strftime(now(), '%Y')")).rejects.toThrow(
      /strftime\(\) does not exist on Athena.*use date_format/,
    );
  });

  it('says so when an Athena function does not run locally', async () => {
    await expect(run("SELECT murmur3(to_utf8('a'))")).rejects.toThrow(
      /murmur3\(\) is not implemented by the local engine; it runs on Athena but not on the local engine/,
    );
    await expect(run('SELECT array_sort(ARRAY[2, 1], (a, b) -> 0)')).rejects.toThrow(
      /array_sort\(\) with a comparator lambda; it runs on Athena/,
    );
  });

  it('refuses what Athena refuses: listagg without WITHIN GROUP', async () => {
    await expect(run("SELECT listagg(x, ',') FROM (VALUES ('a')) AS t(x)")).rejects.toThrow(
      /listagg\(\) needs WITHIN GROUP \(ORDER BY …\) on Athena/,
    );
  });

  it('needs a constant format string to convert it', async () => {
    await expect(
      run("SELECT date_format(current_timestamp, f) FROM (VALUES ('%Y')) AS t(f)"),
    ).rejects.toThrow(/date_format\(\) with a format that is not a constant string/);
  });

  it('keeps user SQL away from the macros: no DDL, no qualified calls', async () => {
    await expect(run('CREATE OR REPLACE MACRO trino.divide(a, b) AS 42')).rejects.toThrow(
      QueryFailedError,
    );
    await expect(run('SELECT trino.divide(7, 2)')).rejects.toThrow(
      /divide\(\) does not exist on Athena/,
    );
    expect((await run('SELECT 7 / 2 AS q')).rows).toEqual([{ q: 3 }]);
  });

  it('runs Athena syntax DuckDB reads differently: complex casts, AT TIME ZONE, listagg', async () => {
    const result = await run(
      "SELECT CAST(json_parse('[1,23,456]') AS array(integer)) AS a, " +
        'NULL IS DISTINCT FROM NULL AS d, ' +
        "CAST(CAST(ROW(123, 'abc', true) AS ROW(v1 bigint, v2 varchar, v3 boolean)) AS JSON) AS j, " +
        "hour(TIMESTAMP '2022-11-01 09:08:07.321' AT TIME ZONE 'America/Los_Angeles') AS h",
    );

    expect(result.rows).toEqual([
      { a: [1, 23, 456], d: false, j: '{"v1":123,"v2":"abc","v3":true}', h: 2 },
    ]);
    const grouped = await run(
      "SELECT listagg(v, ',') WITHIN GROUP (ORDER BY v) AS l, max(n, 2) AS top " +
        "FROM (VALUES ('a', 1), ('c', 3), ('b', 2)) AS t(v, n)",
    );
    expect(grouped.rows).toEqual([{ l: 'a,b,c', top: [3, 2] }]);
    const numbered = await run(
      "SELECT x, n FROM UNNEST(ARRAY['a', 'b']) WITH ORDINALITY AS t(x, n) ORDER BY n",
    );
    expect(numbered.rows).toEqual([
      { x: 'a', n: 1 },
      { x: 'b', n: 2 },
    ]);
  });

  it('fails, rather than differ, on Java regular expressions RE2 cannot run', async () => {
    // a lookahead: Java's syntax, not RE2's
    await expect(run("SELECT regexp_like('ab', 'a(?=b)')")).rejects.toThrow(
      /invalid perl operator: \(\?=/,
    );
  });
});
