import type { SchemaChangePolicy } from '#core/config/schema';
import { evolveTable, SchemaChangeError, schemaHashOf, widens } from '#etl/schema-change';
import type { CatalogColumn, CatalogTable } from '#ports/catalog';

function lakeTable(columns: CatalogColumn[]): CatalogTable {
  return {
    name: 'orders',
    columns,
    partitionKeys: ['year', 'month', 'day'],
    location: 'orders/',
    schemaHash: schemaHashOf(columns),
  };
}

const id: CatalogColumn = { name: 'id', type: 'bigint', sourceType: 'bigint' };
const qty: CatalogColumn = { name: 'qty', type: 'int', sourceType: 'integer' };
const note: CatalogColumn = { name: 'note', type: 'string', sourceType: 'text' };
const amount: CatalogColumn = {
  name: 'amount',
  type: 'decimal(10,2)',
  sourceType: 'numeric(10,2)',
};

function evolve(
  policy: SchemaChangePolicy | undefined,
  lake: CatalogColumn[],
  source: CatalogColumn[],
): ReturnType<typeof evolveTable> {
  return evolveTable(
    { name: 'orders', on_schema_change: policy },
    lakeTable(lake),
    lakeTable(source),
  );
}

function errorOf(action: () => unknown): SchemaChangeError {
  try {
    action();
  } catch (error) {
    if (error instanceof SchemaChangeError) return error;
    throw error;
  }
  throw new Error('expected a SchemaChangeError');
}

describe('widens', () => {
  it.each([
    ['smallint', 'int'],
    ['smallint', 'bigint'],
    ['int', 'bigint'],
    ['float', 'double'],
    ['decimal(10,2)', 'decimal(14,2)'],
    ['decimal(10,2)', 'decimal(12,4)'],
    ['array<int>', 'array<bigint>'],
    ['array<array<decimal(5,1)>>', 'array<array<decimal(6,1)>>'],
  ])('reads %s as %s', (from, to) => {
    expect(widens(from, to)).toBe(true);
  });

  it.each([
    ['bigint', 'int'],
    ['int', 'int'],
    ['double', 'float'],
    ['int', 'double'],
    ['decimal(10,2)', 'decimal(10,3)'],
    ['decimal(10,2)', 'decimal(12,1)'],
    ['string', 'int'],
    ['int', 'string'],
    ['binary', 'string'],
    ['array<int>', 'int'],
    ['decimal(10,2)', 'string'],
  ])('does not read %s as %s', (from, to) => {
    expect(widens(from, to)).toBe(false);
  });
});

describe('evolveTable', () => {
  it('takes the source columns for a table the lake does not have yet', () => {
    const source = lakeTable([id, qty]);

    const evolution = evolveTable({ name: 'orders' }, undefined, source);

    expect(evolution).toEqual({ table: source, changes: [] });
  });

  it("refuses a new column under the default policy ('fail'), naming it and what to set", () => {
    const error = errorOf(() => evolve(undefined, [id, qty], [id, qty, note]));

    expect(error.key).toBe('on_schema_change');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("on_schema_change is 'fail'");
    expect(error.message).toContain("new column 'note' string (PostgreSQL text)");
    expect(error.message).toContain("Set on_schema_change: 'append_new_columns'");
  });

  it('appends new columns after the lake columns, and widens in place', () => {
    const wide = { name: 'qty', type: 'bigint', sourceType: 'bigint' };

    const evolution = evolve('append_new_columns', [id, qty, amount], [note, id, wide, amount]);

    expect(evolution.table.columns).toEqual([id, wide, amount, note]);
    expect(evolution.table.schemaHash).toBe(schemaHashOf([id, wide, amount, note]));
    expect(evolution.changes).toEqual([
      { kind: 'added', column: note },
      { kind: 'widened', from: qty, to: wide },
    ]);
  });

  it('takes the source order under sync_all_columns, dropping what PostgreSQL no longer has', () => {
    const evolution = evolve('sync_all_columns', [id, qty, note], [note, id]);

    expect(evolution.table.columns).toEqual([note, id]);
    expect(evolution.changes).toEqual([{ kind: 'dropped', column: qty }]);
  });

  it('records a new PostgreSQL type that keeps the lake type, under every policy, as no change', () => {
    const text = { ...note, sourceType: 'character varying(20)' };

    const evolution = evolve('fail', [id, note], [id, text]);

    expect(evolution.changes).toEqual([]);
    expect(evolution.table.columns).toEqual([id, text]);
  });

  it('keeps the wider lake type when the source narrows (bigint in the lake, int in PostgreSQL)', () => {
    const wide = { name: 'qty', type: 'bigint', sourceType: 'bigint' };

    const evolution = evolve('sync_all_columns', [id, wide], [id, qty]);

    expect(evolution.changes).toEqual([]);
    expect(evolution.table.columns).toEqual([id, { ...qty, type: 'bigint' }]);
  });

  it('lists every refused column in one message', () => {
    const wide = { name: 'qty', type: 'bigint', sourceType: 'bigint' };

    const error = errorOf(() => evolve('fail', [id, qty], [id, wide, note]));

    expect(error.message).toContain(
      "column 'qty' widened from int (PostgreSQL integer) to bigint (PostgreSQL bigint); new column 'note' string (PostgreSQL text) is not in the lake table",
    );
  });

  it('refuses a drop under append_new_columns and suggests the rename it may be', () => {
    const remark = { ...note, name: 'remark' };

    const error = errorOf(() => evolve('append_new_columns', [id, note], [id, remark]));

    expect(error.message).toContain("('note' may have been renamed to 'remark')");
    expect(error.message).toContain("Set on_schema_change: 'sync_all_columns'");
  });

  it('refuses an incompatible type under sync_all_columns, with no config key to set', () => {
    const code = { name: 'note', type: 'int', sourceType: 'integer' };

    const error = errorOf(() => evolve('sync_all_columns', [id, note], [id, code]));

    expect(error.key).toBeUndefined();
    expect(error.message).toContain(
      "column 'note' changed type from string (PostgreSQL text) in the lake to int (PostgreSQL integer)",
    );
  });

  it('names uuid_as for a uuid the lake holds as binary, and numeric_as for a decimal that became unconstrained numeric', () => {
    const binary = { name: 'ref', type: 'binary', sourceType: 'uuid' };
    const text = { name: 'ref', type: 'string', sourceType: 'uuid' };
    const free = { name: 'amount', type: 'string', sourceType: 'numeric' };

    const uuid = errorOf(() => evolve('sync_all_columns', [id, binary], [id, text]));
    const numeric = errorOf(() => evolve('sync_all_columns', [id, amount], [id, free]));

    expect(uuid.key).toBe('uuid_as');
    expect(uuid.message).toContain("set uuid_as: 'binary' on table 'orders'");
    expect(numeric.key).toBe('numeric_as');
    expect(numeric.message).toContain("set numeric_as: 'decimal(38,2)' on table 'orders'");
  });
});
