import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { openLocalLake } from '#adapters/local/local-lake';
import type { TableConfig } from '#core/config/schema';
import { qualify } from '#core/sql/ident';
import { checkTablesInSource, exportTableDay, type ExportDeps } from '#etl/export';
import { SchemaChangeError } from '#etl/schema-change';
import type { CatalogTable } from '#ports/catalog';
import { systemClock } from '#ports/clock';
import type { LakeQueryEngine, QueryResult } from '#ports/query-engine';
import { openTestDatabase, type TestDatabase } from '#test/support/database';

// Schema changes across old partitions in the local runtime: real PostgreSQL, the file-system
// lake and its file catalog, DuckDB writing the files and DuckDB (the local Athena) reading them.
// Each case exports a day, changes the table in PostgreSQL, exports the next day, and queries
// across both days.

const DAY1 = '2025-02-14';
const DAY2 = '2025-02-15';

function config(name: string, extra: Partial<TableConfig> = {}): TableConfig {
  return {
    name,
    primary_key: ['id'],
    timestamp_column: 'ts',
    partition_layout: 'ymd',
    partition_column: null,
    export_lag_days: 1,
    hot_window_days: 30,
    hot_retention_days: 90,
    ...extra,
  };
}

describe('schema changes across old partitions (local runtime)', () => {
  let test: TestDatabase;
  let home: string;
  let deps: ExportDeps;
  let engine: LakeQueryEngine;

  beforeAll(async () => {
    test = await openTestDatabase('schema_change');
    home = await mkdtemp(join(tmpdir(), 'thermocline-schema-change-'));
    deps = {
      db: test.db,
      encoder: await createDuckDbEncoder(),
      ...openLocalLake(home),
      clock: systemClock,
    };
    engine = await createDuckDbQueryEngine(deps.store);
  });

  afterAll(async () => {
    await engine.close();
    await deps.encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  const table = (name: string): string => qualify(test.db.schema, name);

  /** Creates `name` (id, ts, the columns) and inserts rows: ids 1–2 on DAY1, 3–4 on DAY2. */
  async function create(name: string, columns: string, values: (id: number) => string) {
    await test.db.query(
      `CREATE TABLE ${table(name)} (id int8 PRIMARY KEY, ts timestamptz NOT NULL, ${columns})`,
    );
    for (const id of [1, 2, 3, 4]) {
      const day = id <= 2 ? DAY1 : DAY2;
      await test.db.query(
        `INSERT INTO ${table(name)} VALUES (${id}, TIMESTAMPTZ '${day} 0${id}:00:00+00', ${values(id)})`,
      );
    }
  }

  /** Runs `sql` on the local lake engine over the partitions of `name` (of `days`: all). */
  async function query(name: string, sql: string, days?: readonly string[]): Promise<QueryResult> {
    const catalogTable = (await deps.catalog.getTable(name)) as CatalogTable;
    const partitions = (await deps.catalog.listPartitions(name)).filter(
      (p) => !days || days.includes(p.values.join('-')),
    );
    return engine.run({
      sql,
      params: [],
      maxScanBytes: 1e12,
      scans: [{ table: catalogTable, partitions }],
    });
  }

  /** The error message of an export that must fail. */
  async function failure(name: string, day: string, extra: Partial<TableConfig>): Promise<Error> {
    return exportTableDay(deps, config(name, extra), day).then(
      () => {
        throw new Error(`the export of ${name} ${day} succeeded`);
      },
      (error: Error) => error,
    );
  }

  /** The day's partitions in the catalog (none after a refused export). */
  async function dayPartitions(name: string, day: string) {
    const [year, month, dd] = day.split('-');
    return (await deps.catalog.listPartitions(name)).filter(
      (p) => p.values.join('-') === `${year}-${month}-${dd}`,
    );
  }

  describe('a new column', () => {
    beforeAll(async () => {
      await create('t_add', 'qty int4', (id) => `${id * 10}`);
      await exportTableDay(deps, config('t_add'), DAY1);
      await test.db.query(`ALTER TABLE ${table('t_add')} ADD COLUMN note text`);
      await test.db.query(`UPDATE ${table('t_add')} SET note = 'n' || id WHERE id >= 3`);
    });

    it("fails under 'fail', naming table, column and the option to set, and publishes nothing", async () => {
      const error = await failure('t_add', DAY2, {});

      expect(error).toBeInstanceOf(SchemaChangeError);
      expect((error as SchemaChangeError).exitCode).toBe(2);
      expect(error.message).toMatch(/^cannot export t_add: /);
      expect(error.message).toContain("new column 'note' string (PostgreSQL text)");
      expect(error.message).toContain("Set on_schema_change: 'append_new_columns'");
      expect(await dayPartitions('t_add', DAY2)).toEqual([]);
      expect((await deps.catalog.getTable('t_add'))?.columns.map((c) => c.name)).toEqual([
        'id',
        'ts',
        'qty',
      ]);
    });

    it('is reported by the preflight check with the config key to change', async () => {
      const problems = await checkTablesInSource(test.db, [config('t_add')], deps.catalog);

      expect(problems).toEqual([
        expect.objectContaining({ table: 't_add', key: 'on_schema_change' }),
      ]);
    });

    it("is added under 'append_new_columns': days exported before read NULL, the new day its values", async () => {
      const result = await exportTableDay(
        deps,
        config('t_add', { on_schema_change: 'append_new_columns' }),
        DAY2,
      );

      expect(result.schemaChanges).toEqual(["added column 'note' string"]);
      const rows = await query('t_add', 'SELECT id, qty, note FROM t_add ORDER BY id');
      expect(rows.rows).toEqual([
        { id: 1, qty: 10, note: null },
        { id: 2, qty: 20, note: null },
        { id: 3, qty: 30, note: 'n3' },
        { id: 4, qty: 40, note: 'n4' },
      ]);
      const [old] = await dayPartitions('t_add', DAY1);
      expect(old?.columns?.map((c) => c.name)).toEqual(['id', 'ts', 'qty']);
      const [fresh] = await dayPartitions('t_add', DAY2);
      expect(fresh?.columns?.map((c) => c.name)).toEqual(['id', 'ts', 'qty', 'note']);
    });

    it('is NULL in a query of only the days exported before (the column is not in their files)', async () => {
      const rows = await query('t_add', 'SELECT id, note FROM t_add ORDER BY id', [DAY1]);

      expect(rows.columns).toEqual([
        { name: 'id', type: 'BIGINT' },
        { name: 'note', type: 'VARCHAR' },
      ]);
      expect(rows.rows).toEqual([
        { id: 1, note: null },
        { id: 2, note: null },
      ]);
    });

    it('filters and aggregates across old and new days', async () => {
      const counted = await query(
        't_add',
        "SELECT count(*) AS n, count(note) AS noted FROM t_add WHERE note IS NULL OR note <> 'n4'",
      );

      expect(counted.rows).toEqual([{ n: 3, noted: 1 }]);
    });
  });

  describe('widened types (int4 → int8, varchar(20) → text, numeric(10,2) → numeric(14,2))', () => {
    beforeAll(async () => {
      await create(
        't_widen',
        'qty int4, code varchar(20), amount numeric(10,2), ratio float4',
        (id) => `${id}, 'c${id}', ${id}.25, ${id}.5`,
      );
      await exportTableDay(deps, config('t_widen'), DAY1);
      await test.db.query(
        `ALTER TABLE ${table('t_widen')} ALTER COLUMN qty TYPE int8, ALTER COLUMN code TYPE text,
           ALTER COLUMN amount TYPE numeric(14,2), ALTER COLUMN ratio TYPE float8`,
      );
      await test.db.query(
        `UPDATE ${table('t_widen')} SET qty = 5000000000 + id, amount = 123456789012.34,
           code = repeat('x', 30) WHERE id >= 3`,
      );
    });

    it("fails under 'fail', listing each widened column with both types (varchar → text is no lake change)", async () => {
      const error = await failure('t_widen', DAY2, {});

      expect(error.message).toContain(
        "column 'qty' widened from int (PostgreSQL integer) to bigint (PostgreSQL bigint)",
      );
      expect(error.message).toContain(
        "column 'amount' widened from decimal(10,2) (PostgreSQL numeric(10,2)) to decimal(14,2) (PostgreSQL numeric(14,2))",
      );
      expect(error.message).toContain("column 'ratio' widened from float");
      expect(error.message).not.toContain("'code'");
      expect(await dayPartitions('t_widen', DAY2)).toEqual([]);
    });

    it("widens the table under 'append_new_columns' and reads the old partition with a cast", async () => {
      const result = await exportTableDay(
        deps,
        config('t_widen', { on_schema_change: 'append_new_columns' }),
        DAY2,
      );

      expect(result.schemaChanges).toEqual([
        "widened column 'qty' from int to bigint",
        "widened column 'amount' from decimal(10,2) to decimal(14,2)",
        "widened column 'ratio' from float to double",
      ]);
      const lake = await deps.catalog.getTable('t_widen');
      expect(lake?.columns.map((c) => [c.name, c.type, c.sourceType])).toEqual([
        ['id', 'bigint', 'bigint'],
        ['ts', 'timestamp', 'timestamp with time zone'],
        ['qty', 'bigint', 'bigint'],
        ['code', 'string', 'text'],
        ['amount', 'decimal(14,2)', 'numeric(14,2)'],
        ['ratio', 'double', 'double precision'],
      ]);
      const [old] = await dayPartitions('t_widen', DAY1);
      expect(old?.columns?.find((c) => c.name === 'qty')?.type).toBe('int');

      const rows = await query(
        't_widen',
        'SELECT id, qty, code, amount, ratio FROM t_widen ORDER BY id',
      );
      expect(rows.columns.filter((c) => c.name !== 'id' && c.name !== 'code')).toEqual([
        { name: 'qty', type: 'BIGINT' },
        { name: 'amount', type: 'DECIMAL(14,2)' },
        { name: 'ratio', type: 'DOUBLE' },
      ]);
      expect(rows.rows).toEqual([
        { id: 1, qty: 1, code: 'c1', amount: '1.25', ratio: 1.5 },
        { id: 2, qty: 2, code: 'c2', amount: '2.25', ratio: 2.5 },
        { id: 3, qty: 5000000003, code: 'x'.repeat(30), amount: '123456789012.34', ratio: 3.5 },
        { id: 4, qty: 5000000004, code: 'x'.repeat(30), amount: '123456789012.34', ratio: 4.5 },
      ]);
      const sum = await query('t_widen', 'SELECT sum(qty) AS total FROM t_widen');
      expect(sum.rows).toEqual([{ total: 10000000010 }]);
    });

    it("types an old day's columns as the table does when the query reads only that day", async () => {
      const rows = await query('t_widen', 'SELECT qty, amount FROM t_widen ORDER BY id', [DAY1]);

      expect(rows.columns).toEqual([
        { name: 'qty', type: 'BIGINT' },
        { name: 'amount', type: 'DECIMAL(14,2)' },
      ]);
      expect(rows.rows).toEqual([
        { qty: 1, amount: '1.25' },
        { qty: 2, amount: '2.25' },
      ]);
    });

    it('re-exports an old day with the new types, and keeps reading both', async () => {
      await exportTableDay(
        deps,
        config('t_widen', { on_schema_change: 'append_new_columns' }),
        DAY1,
      );

      const [old] = await dayPartitions('t_widen', DAY1);
      expect(old?.columns?.find((c) => c.name === 'qty')?.type).toBe('bigint');
      const rows = await query('t_widen', 'SELECT count(*) AS n, max(qty) AS top FROM t_widen');
      expect(rows.rows).toEqual([{ n: 4, top: 5000000004 }]);
    });

    it('accepts a source narrowed back (bigint → int): the lake keeps bigint', async () => {
      await test.db.query(`UPDATE ${table('t_widen')} SET qty = id`);
      await test.db.query(`ALTER TABLE ${table('t_widen')} ALTER COLUMN qty TYPE int4`);

      const result = await exportTableDay(deps, config('t_widen'), DAY2);

      expect(result.schemaChanges).toEqual([]);
      expect((await deps.catalog.getTable('t_widen'))?.columns[2]?.type).toBe('bigint');
      const rows = await query('t_widen', 'SELECT id, qty FROM t_widen ORDER BY id');
      expect(rows.rows.map((r) => r.qty)).toEqual([1, 2, 3, 4]);
    });
  });

  describe('a renamed column', () => {
    beforeAll(async () => {
      await create('t_rename', 'note text', (id) => `'n${id}'`);
      await exportTableDay(deps, config('t_rename'), DAY1);
      await test.db.query(`ALTER TABLE ${table('t_rename')} RENAME COLUMN note TO remark`);
    });

    it.each([['fail'], ['append_new_columns']] as const)(
      "is an error under '%s' that names the old and new name and sync_all_columns",
      async (policy) => {
        const error = await failure('t_rename', DAY2, { on_schema_change: policy });

        expect(error).toBeInstanceOf(SchemaChangeError);
        expect(error.message).toContain(
          "lake column 'note' string is no longer in PostgreSQL (dropped or renamed)",
        );
        expect(error.message).toContain("('note' may have been renamed to 'remark')");
        expect(error.message).toContain("Set on_schema_change: 'sync_all_columns'");
        expect(error.message).toContain('never applied silently');
        expect(await dayPartitions('t_rename', DAY2)).toEqual([]);
      },
    );

    it("is a drop and an add under 'sync_all_columns': the old name leaves the table, the new one is NULL before", async () => {
      const result = await exportTableDay(
        deps,
        config('t_rename', { on_schema_change: 'sync_all_columns' }),
        DAY2,
      );

      expect(result.schemaChanges).toEqual([
        "added column 'remark' string",
        "dropped column 'note' string",
      ]);
      const rows = await query('t_rename', 'SELECT id, remark FROM t_rename ORDER BY id');
      expect(rows.rows).toEqual([
        { id: 1, remark: null },
        { id: 2, remark: null },
        { id: 3, remark: 'n3' },
        { id: 4, remark: 'n4' },
      ]);
      await expect(query('t_rename', 'SELECT note FROM t_rename')).rejects.toThrow(/note/);
      const [old] = await dayPartitions('t_rename', DAY1);
      expect(old?.columns?.map((c) => c.name)).toEqual(['id', 'ts', 'note']);
    });
  });

  describe('a dropped column', () => {
    beforeAll(async () => {
      await create('t_drop', 'keep text, extra int4', (id) => `'k${id}', ${id}`);
      await exportTableDay(deps, config('t_drop'), DAY1);
      await test.db.query(`ALTER TABLE ${table('t_drop')} DROP COLUMN extra`);
    });

    it("is an error under 'append_new_columns'", async () => {
      const error = await failure('t_drop', DAY2, { on_schema_change: 'append_new_columns' });

      expect(error.message).toContain(
        "lake column 'extra' int is no longer in PostgreSQL (dropped or renamed)",
      );
      expect(error.message).not.toContain('may have been renamed');
    });

    it("disappears from the table under 'sync_all_columns'; old partitions keep reading", async () => {
      const result = await exportTableDay(
        deps,
        config('t_drop', { on_schema_change: 'sync_all_columns' }),
        DAY2,
      );

      expect(result.schemaChanges).toEqual(["dropped column 'extra' int"]);
      expect((await deps.catalog.getTable('t_drop'))?.columns.map((c) => c.name)).toEqual([
        'id',
        'ts',
        'keep',
      ]);
      const rows = await query('t_drop', 'SELECT * FROM t_drop ORDER BY id');
      expect(rows.columns.map((c) => c.name)).toEqual(['id', 'ts', 'keep', 'year', 'month', 'day']);
      expect(rows.rows.map((r) => r.keep)).toEqual(['k1', 'k2', 'k3', 'k4']);
    });
  });

  describe('incompatible type changes', () => {
    it('text → int is an error under every policy, naming both types', async () => {
      await create('t_retype', 'code text', (id) => `'${id}'`);
      await exportTableDay(deps, config('t_retype'), DAY1);
      await test.db.query(
        `ALTER TABLE ${table('t_retype')} ALTER COLUMN code TYPE int4 USING code::int4`,
      );

      for (const policy of ['fail', 'append_new_columns', 'sync_all_columns'] as const) {
        const error = await failure('t_retype', DAY2, { on_schema_change: policy });

        expect(error).toBeInstanceOf(SchemaChangeError);
        expect(error.message).toContain(
          "column 'code' changed type from string (PostgreSQL text) in the lake to int (PostgreSQL integer)",
        );
        expect(error.message).toContain('under every on_schema_change');
      }
      expect(await dayPartitions('t_retype', DAY2)).toEqual([]);
      const problems = await checkTablesInSource(test.db, [config('t_retype')], deps.catalog);
      expect(problems).toEqual([expect.objectContaining({ table: 't_retype', key: '' })]);
    });
  });

  describe('a table whose uuids the lake holds as binary (exported before uuids became text)', () => {
    beforeAll(async () => {
      await create('t_uuid', 'ref uuid', (id) => `'00000000-0000-4000-8000-00000000000${id}'`);
      await exportTableDay(deps, config('t_uuid', { uuid_as: 'binary' }), DAY1);
    });

    it.each([['fail'], ['sync_all_columns']] as const)(
      "fails the next export under '%s' with a message to set uuid_as: 'binary'",
      async (policy) => {
        const error = await failure('t_uuid', DAY2, { on_schema_change: policy });

        expect(error.message).toContain(
          "column 'ref' changed type from binary (PostgreSQL uuid) in the lake to string (PostgreSQL uuid)",
        );
        expect(error.message).toContain("set uuid_as: 'binary' on table 't_uuid'");
        const problems = await checkTablesInSource(test.db, [config('t_uuid')], deps.catalog);
        expect(problems).toEqual([expect.objectContaining({ key: 'uuid_as' })]);
      },
    );

    it("keeps exporting and reading the 16 bytes with uuid_as: 'binary', as Athena returns them", async () => {
      await exportTableDay(deps, config('t_uuid', { uuid_as: 'binary' }), DAY2);

      const rows = await query('t_uuid', 'SELECT id, ref FROM t_uuid ORDER BY id');
      expect(rows.columns[1]).toEqual({ name: 'ref', type: 'BLOB' });
      expect(rows.rows.map((r) => r.ref)).toEqual(
        [1, 2, 3, 4].map((id) =>
          Buffer.from(
            `00000000-0000-4000-8000-00000000000${id}`.replaceAll('-', ''),
            'hex',
          ).toString('base64'),
        ),
      );
    });
  });
});
