import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import type { TableConfig } from '#core/config/schema';
import { qualify, quoteIdent } from '#core/sql/ident';
import { exportTableDay, planTable, type ExportDeps, type TableDayResult } from '#etl/export';
import { systemClock } from '#ports/clock';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { duckString, publishedFiles, readPublished } from '#test/support/lake';

// Round trips of the type contract (etl/types.ts): each PostgreSQL type goes through
// exportTableDay into Parquet, and DuckDB, reading the published files on its own, must give
// back exactly what PostgreSQL holds, with the planned Parquet and Athena types.

const DAY = '2025-02-15';

/**
 * How a column is compared: an expression per engine that yields the same text for the same
 * value, and optionally a function that turns what each engine returns into comparable values.
 */
interface Form {
  readonly pg: (x: string) => string;
  readonly duck: (x: string) => string;
  readonly normalize?: (value: unknown) => unknown;
}

/** Text in both engines (integers, exact decimals, bool, uuid, strings, json). */
const TEXT: Form = { pg: (x) => `${x}::text`, duck: (x) => `CAST(${x} AS VARCHAR)` };

/** The instant (or wall-clock time) as microseconds since 1970-01-01 00:00. */
const EPOCH_US: Form = {
  pg: (x) => `(extract(epoch FROM ${x}) * 1000000)::bigint::text`,
  duck: (x) => `CAST(epoch_us(${x}) AS VARCHAR)`,
};

/** A date as days since 1970-01-01 (the text forms of BC dates differ between the engines). */
const EPOCH_DAYS: Form = {
  pg: (x) => `(${x} - DATE '1970-01-01')::text`,
  duck: (x) => `CAST(${x} - DATE '1970-01-01' AS VARCHAR)`,
};

/** Bytes as lowercase hex. */
const HEX: Form = { pg: (x) => `encode(${x}, 'hex')`, duck: (x) => `lower(hex(${x}))` };

/** Text that is the same for the same IEEE value: `-0`, `NaN`, `Infinity`, else the shortest exact decimal. */
function floatText(value: unknown): unknown {
  if (value === null) return null;
  const n = typeof value === 'string' ? Number(value) : (value as number);
  return Object.is(n, -0) ? '-0' : String(n);
}

/** A float as the exact double: PostgreSQL's shortest exact text of the float8 (float4 widens exactly). */
const FLOAT: Form = { pg: (x) => `${x}::float8::text`, duck: (x) => x, normalize: floatText };

/** A one-dimensional array, element by element in order (NULL array ≠ empty array ≠ [NULL]). */
function arrayOf(element: Form): Form {
  return {
    pg: (x) =>
      `CASE WHEN ${x} IS NULL THEN NULL ELSE ARRAY(SELECT ${element.pg('u.e')} ` +
      `FROM unnest(${x}) WITH ORDINALITY AS u(e, i) ORDER BY u.i) END`,
    duck: (x) => `list_transform(${x}, e -> ${element.duck('e')})`,
    normalize: (value) =>
      value === null
        ? null
        : (value as unknown[]).map((e) => (element.normalize ? element.normalize(e) : e)),
  };
}

/**
 * An array of `dimensions` dimensions as nested JSON lists of its elements' text in both engines
 * (PostgreSQL `to_json(x::text[])`, DuckDB `to_json` of the list cast to VARCHAR), parsed.
 */
function nestedText(dimensions: number): Form {
  return {
    pg: (x) => `to_json(${x}::text[])::text`,
    duck: (x) => `CAST(to_json(CAST(${x} AS VARCHAR${'[]'.repeat(dimensions)})) AS VARCHAR)`,
    normalize: (value) => (value === null ? null : (JSON.parse(String(value)) as unknown)),
  };
}

/** One column of a case: its type, how it is compared, and its values (NULL is added for every case). */
interface ColumnSpec {
  readonly name: string;
  readonly type: string;
  readonly form: Form;
  readonly values: readonly unknown[];
}

/** What the files and the catalog (or the plan) say about a column. */
interface ColumnTypes {
  readonly parquet: string;
  readonly athena: string;
}

interface RoundTrip {
  readonly result: TableDayResult;
  /** Rows as PostgreSQL returns them, normalized, ordered by id. */
  readonly source: Record<string, unknown>[];
  /** Rows as DuckDB reads them from the published files, normalized, ordered by id. */
  readonly lake: Record<string, unknown>[];
  /** Per column: the Parquet type written in the files and the catalog's (Athena) type. */
  readonly stored: Record<string, ColumnTypes>;
  /** Per column: what the export plan says (notes in parentheses removed). */
  readonly planned: Record<string, ColumnTypes>;
}

const ID: Form = { ...TEXT, normalize: (v) => String(v) };

/** The table's config; `choices` are its type options (`uuid_as`, `numeric_as`). */
function tableConfig(
  name: string,
  choices: Pick<TableConfig, 'uuid_as' | 'numeric_as'> = {},
): TableConfig {
  return {
    name,
    primary_key: ['id'],
    timestamp_column: 'ts',
    partition_layout: 'ymd',
    partition_column: null,
    export_lag_days: 1,
    hot_window_days: 30,
    hot_retention_days: 90,
    ...choices,
  };
}

/** Renders the columns of a Parquet file's schema in the notation of `ColumnPlan.parquetType`. */
async function parquetTypes(duck: DuckDBConnection, file: string): Promise<Record<string, string>> {
  const rows = (
    await duck.runAndReadAll(
      `SELECT name, type, CAST(type_length AS INTEGER) AS length, CAST(num_children AS INTEGER) AS children,
              converted_type, logical_type, CAST(precision AS INTEGER) AS p, CAST(scale AS INTEGER) AS s
         FROM parquet_schema(${duckString(file)})`,
    )
  ).getRowObjectsJS() as {
    name: string;
    type: string | null;
    length: number | null;
    children: number | null;
    converted_type: string | null;
    logical_type: string | null;
    p: number | null;
    s: number | null;
  }[];
  const render = (index: number): [string, number] => {
    const row = rows[index];
    if (!row) throw new Error(`parquet_schema of ${file} ends before column ${index}`);
    if (row.converted_type === 'LIST') {
      // <name> (LIST) → repeated group `list` → `element`
      const [element, next] = render(index + 2);
      return [`LIST<${element}>`, next];
    }
    if (row.children) throw new Error(`unexpected group ${row.name} in ${file}`);
    const logical = row.logical_type ?? '';
    const converted = row.converted_type ?? '';
    const physical =
      row.type === 'FIXED_LEN_BYTE_ARRAY' && logical.startsWith('UUID')
        ? `FIXED_LEN_BYTE_ARRAY(${row.length})` // the plan names the length where the type fixes it
        : (row.type ?? '?');
    const integer = /^(U?)INT_(\d+)$/.exec(converted);
    const utc = /isAdjustedToUTC=(\d)/.exec(logical)?.[1];
    const annotation = integer
      ? `INT(${integer[2]}, ${integer[1] ? 'unsigned' : 'signed'})`
      : converted === 'DECIMAL'
        ? `DECIMAL(${row.p},${row.s})`
        : converted === 'UTF8'
          ? 'STRING'
          : converted === 'DATE'
            ? 'DATE'
            : logical.startsWith('TimestampType')
              ? `TIMESTAMP(${/MICROS=MicroSeconds/.test(logical) ? 'MICROS' : logical}, isAdjustedToUTC=${utc === '1'})`
              : logical.startsWith('UUID')
                ? 'UUID'
                : converted || logical;
    return [annotation ? `${physical} / ${annotation}` : physical, index + 1];
  };
  const types: Record<string, string> = {};
  for (let index = 1; index < rows.length;) {
    const name = rows[index]?.name ?? '';
    const [rendered, next] = render(index);
    types[name] = rendered;
    index = next;
  }
  return types;
}

/** The plan's Parquet type without its explanatory notes, e.g. `BYTE_ARRAY / STRING (the enum label)`. */
function withoutNotes(parquetType: string): string {
  return parquetType.replace(/ \([^()]*\)/g, '');
}

describe('the type contract: PostgreSQL → Parquet → DuckDB, value by value', () => {
  let test: TestDatabase;
  let home: string;
  let deps: ExportDeps;
  let duckInstance: DuckDBInstance;
  let duck: DuckDBConnection;
  const tables: string[] = [];
  const types: string[] = [];

  beforeAll(async () => {
    test = await openTestDatabase('type_contract');
    home = await mkdtemp(join(tmpdir(), 'thermocline-type-contract-'));
    deps = {
      db: test.db,
      encoder: await createDuckDbEncoder(),
      ...openLocalLake(home),
      clock: systemClock,
    };
    duckInstance = await DuckDBInstance.create(':memory:');
    duck = await duckInstance.connect();
  });

  afterAll(async () => {
    for (const table of tables) {
      await test.db.query(`DROP TABLE IF EXISTS ${qualify(test.db.schema, table)}`);
    }
    for (const type of types) {
      await test.db.query(`DROP TYPE IF EXISTS ${qualify(test.db.schema, type)}`);
    }
    await deps.encoder.close();
    duck.closeSync();
    duckInstance.closeSync();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  /** Creates `table` (id, ts, the columns) and inserts one row per value plus a row of NULLs. */
  async function createTable(table: string, columns: readonly ColumnSpec[]): Promise<number> {
    const { db } = test;
    tables.push(table);
    await db.query(
      `CREATE TABLE ${qualify(db.schema, table)} (id int8 PRIMARY KEY, ts timestamptz NOT NULL, ` +
        `${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`,
    );
    const count = Math.max(...columns.map((c) => c.values.length)) + 1;
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (let row = 0; row < count; row++) {
      const placeholders = columns.map((c) => {
        params.push(c.values[row] ?? null);
        return `$${params.length}`;
      });
      // Rows spread over the day, with microseconds.
      tuples.push(
        `(${row + 1}, TIMESTAMPTZ '${DAY} 00:00:00+00' + ${row} * INTERVAL '17 minutes 0.000001 seconds', ` +
          `${placeholders.join(', ')})`,
      );
    }
    await db.query(
      `INSERT INTO ${qualify(db.schema, table)} (id, ts, ${columns.map((c) => quoteIdent(c.name)).join(', ')}) ` +
        `VALUES ${tuples.join(', ')}`,
      params,
    );
    return count;
  }

  /** Exports the day of `table` and reads it back from PostgreSQL and from the published files. */
  async function roundTrip(
    table: string,
    columns: readonly ColumnSpec[],
    choices: Pick<TableConfig, 'uuid_as' | 'numeric_as'> = {},
  ): Promise<RoundTrip> {
    const { db } = test;
    const rows = await createTable(table, columns);
    const all = [
      { name: 'id', form: ID },
      { name: 'ts', form: EPOCH_US },
      ...columns.map((c) => ({ name: c.name, form: c.form })),
    ];
    const normalize = (row: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        all.map(({ name, form }) => {
          const value = row[name] ?? null;
          return [name, form.normalize ? form.normalize(value) : value];
        }),
      );

    const result = await exportTableDay(deps, tableConfig(table, choices), DAY);

    const source = await db.transaction(async (session) => {
      await session.query("SET LOCAL IntervalStyle = 'iso_8601'");
      return session.query(
        `SELECT id, ${all
          .slice(1)
          .map((c) => `${c.form.pg(quoteIdent(c.name))} AS ${quoteIdent(c.name)}`)
          .join(', ')} FROM ${qualify(db.schema, table)} ORDER BY id`,
      );
    });
    const lake = await readPublished(deps, table, {
      connection: duck,
      select: `id, ${all
        .slice(1)
        .map((c) => `${c.form.duck(quoteIdent(c.name))} AS ${quoteIdent(c.name)}`)
        .join(', ')}`,
      orderBy: 'id',
    });
    expect(result.rows).toBe(rows);
    expect(lake).toHaveLength(rows);

    const files = await publishedFiles(deps, table);
    const fileTypes = await parquetTypes(duck, files[0] ?? '');
    const catalogTypes = new Map(
      ((await deps.catalog.getTable(table))?.columns ?? []).map((c) => [c.name, c.type]),
    );
    const plans = await planTable(db, tableConfig(table, choices));
    const stored: Record<string, ColumnTypes> = {};
    const planned: Record<string, ColumnTypes> = {};
    for (const plan of plans) {
      stored[plan.name] = {
        parquet: fileTypes[plan.name] ?? '(missing)',
        athena: catalogTypes.get(plan.name) ?? '(missing)',
      };
      planned[plan.name] = { parquet: withoutNotes(plan.parquetType), athena: plan.athenaType };
    }
    return {
      result,
      source: source.map(normalize),
      lake: lake.map((row: Record<string, JS>) => normalize(row)),
      stored,
      planned,
    };
  }

  /** The files, the catalog and the plan all give each column the expected types. */
  function expectTypes(trip: RoundTrip, expected: Record<string, ColumnTypes>): void {
    for (const [column, types] of Object.entries(expected)) {
      expect({ column, ...trip.stored[column] }).toEqual({ column, ...types });
      expect({ column, ...trip.planned[column] }).toEqual({ column, ...types });
    }
  }

  /** The values of one column in the lake, in id order. */
  const lakeValues = (trip: RoundTrip, column = 'v'): unknown[] => trip.lake.map((r) => r[column]);

  /** Asserts that nothing of `table` reached the catalog or the object store. */
  async function expectNothingPublished(table: string): Promise<void> {
    expect(await deps.catalog.listPartitions(table)).toEqual([]);
    expect(await deps.catalog.getTable(table)).toBeUndefined();
    expect(await deps.store.list(`${table}/`)).toEqual([]);
  }

  describe('round trips', () => {
    it('int2 → INT32 / INT(16) → smallint, extremes included', async () => {
      const trip = await roundTrip('t_int2', [
        { name: 'v', type: 'int2', form: TEXT, values: ['-32768', '32767', '0', '-1'] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual(['-32768', '32767', '0', '-1', null]);
      expectTypes(trip, { v: { parquet: 'INT32 / INT(16, signed)', athena: 'smallint' } });
    });

    it('int4 → INT32 / INT(32) → int, extremes included', async () => {
      const trip = await roundTrip('t_int4', [
        { name: 'v', type: 'int4', form: TEXT, values: ['-2147483648', '2147483647', '0', '42'] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual(['-2147483648', '2147483647', '0', '42', null]);
      expectTypes(trip, { v: { parquet: 'INT32 / INT(32, signed)', athena: 'int' } });
    });

    it('int8 → INT64 / INT(64) → bigint, min and max included', async () => {
      const values = ['-9223372036854775808', '9223372036854775807', '0', '9007199254740993'];
      const trip = await roundTrip('t_int8', [{ name: 'v', type: 'int8', form: TEXT, values }]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...values, null]);
      expectTypes(trip, { v: { parquet: 'INT64 / INT(64, signed)', athena: 'bigint' } });
    });

    it('numeric(p,s) with p ≤ 9, ≤ 18 and ≤ 38 → INT32, INT64, FIXED_LEN_BYTE_ARRAY DECIMAL, max digits included', async () => {
      const trip = await roundTrip('t_numeric', [
        {
          name: 'p9',
          type: 'numeric(9,2)',
          form: TEXT,
          values: ['9999999.99', '-9999999.99', '0.01', '0', '1.5'],
        },
        {
          name: 'p18',
          type: 'numeric(18,4)',
          form: TEXT,
          values: ['99999999999999.9999', '-99999999999999.9999', '0.0001', '0', '-7.25'],
        },
        {
          name: 'p38',
          type: 'numeric(38,10)',
          form: TEXT,
          values: [
            '9999999999999999999999999999.9999999999',
            '-9999999999999999999999999999.9999999999',
            '0.0000000001',
            '0',
            '12345678901234567890.0123456789',
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'p9')).toEqual([
        '9999999.99',
        '-9999999.99',
        '0.01',
        '0.00',
        '1.50',
        null,
      ]);
      expect(lakeValues(trip, 'p38')[0]).toBe('9999999999999999999999999999.9999999999');
      expectTypes(trip, {
        p9: { parquet: 'INT32 / DECIMAL(9,2)', athena: 'decimal(9,2)' },
        p18: { parquet: 'INT64 / DECIMAL(18,4)', athena: 'decimal(18,4)' },
        p38: { parquet: 'FIXED_LEN_BYTE_ARRAY / DECIMAL(38,10)', athena: 'decimal(38,10)' },
      });
    });

    it('numeric with p > 38, unconstrained numeric and numeric with a negative scale travel as exact text', async () => {
      const thousandDigits = `${'1234567890'.repeat(60)}.${'0987654321'.repeat(40)}`;
      const trip = await roundTrip('t_numeric_text', [
        {
          name: 'p40',
          type: 'numeric(40,5)',
          form: TEXT,
          values: ['12345678901234567890123456789012345.12345', '-0.00001', '1'],
        },
        {
          name: 'free',
          type: 'numeric',
          form: TEXT,
          values: [thousandDigits, 'NaN', 'Infinity', '-Infinity', '1e-100', '-0.000', '1.50'],
        },
        { name: 'neg', type: 'numeric(5,-2)', form: TEXT, values: ['12345', '-99949'] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'free')).toEqual([
        thousandDigits,
        'NaN',
        'Infinity',
        '-Infinity',
        `0.${'0'.repeat(99)}1`,
        '0.000',
        '1.50',
        null,
      ]);
      expect(lakeValues(trip, 'neg')).toEqual([
        '12300',
        '-99900',
        null,
        null,
        null,
        null,
        null,
        null,
      ]);
      const text = { parquet: 'BYTE_ARRAY / STRING', athena: 'string' };
      expectTypes(trip, { p40: text, free: text, neg: text });
    });

    it("unconstrained numeric with numeric_as: 'decimal(20,4)' → FIXED_LEN_BYTE_ARRAY / DECIMAL(20,4) → decimal(20,4), arrays included", async () => {
      const trip = await roundTrip(
        't_numeric_as',
        [
          {
            name: 'v',
            type: 'numeric',
            form: { pg: (x) => `${x}::numeric(20,4)::text`, duck: TEXT.duck },
            values: ['1.5', '-0.0001', '9999999999999999.9999', '12.340000', '0', '-42'],
          },
          {
            name: 'vs',
            type: 'numeric[]',
            form: arrayOf({ pg: (x) => `${x}::numeric(20,4)::text`, duck: TEXT.duck }),
            values: [['1.25', null, '-3'], []],
          },
          { name: 'fixed', type: 'numeric(6,2)', form: TEXT, values: ['1234.50'] },
        ],
        { numeric_as: 'decimal(20,4)' },
      );

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([
        '1.5000',
        '-0.0001',
        '9999999999999999.9999',
        '12.3400',
        '0.0000',
        '-42.0000',
        null,
      ]);
      expect(lakeValues(trip, 'vs').slice(0, 2)).toEqual([['1.2500', null, '-3.0000'], []]);
      expectTypes(trip, {
        v: { parquet: 'FIXED_LEN_BYTE_ARRAY / DECIMAL(20,4)', athena: 'decimal(20,4)' },
        vs: {
          parquet: 'LIST<FIXED_LEN_BYTE_ARRAY / DECIMAL(20,4)>',
          athena: 'array<decimal(20,4)>',
        },
        // numeric(p,s) keeps its own precision and scale.
        fixed: { parquet: 'INT32 / DECIMAL(6,2)', athena: 'decimal(6,2)' },
      });
    });

    it('float4 → FLOAT → float: NaN, ±Infinity, -0, denormals and the extremes keep their exact value', async () => {
      const trip = await roundTrip('t_float4', [
        {
          name: 'v',
          type: 'float4',
          form: FLOAT,
          values: [
            '3.4028235e38',
            '-3.4028235e38',
            '1.1754944e-38',
            '1e-45',
            '1e-40',
            '0.1',
            '-0',
            '0',
            'NaN',
            'Infinity',
            '-Infinity',
            '1.0000001',
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([
        String(Math.fround(3.4028235e38)),
        String(-Math.fround(3.4028235e38)),
        String(Math.fround(1.1754944e-38)),
        String(Math.fround(1e-45)),
        String(Math.fround(1e-40)),
        String(Math.fround(0.1)),
        '-0',
        '0',
        'NaN',
        'Infinity',
        '-Infinity',
        String(Math.fround(1.0000001)),
        null,
      ]);
      expectTypes(trip, { v: { parquet: 'FLOAT', athena: 'float' } });
    });

    it('float8 → DOUBLE → double: NaN, ±Infinity, -0, denormals and 1e308 keep their exact value', async () => {
      const values = [
        '1e308',
        '1.7976931348623157e308',
        '-1.7976931348623157e308',
        '2.2250738585072014e-308',
        '5e-324',
        '1e-310',
        '0.1',
        '0.30000000000000004',
        '3.141592653589793',
        '123456789012345680000',
        '-0',
        '0',
        'NaN',
        'Infinity',
        '-Infinity',
      ];
      const trip = await roundTrip('t_float8', [
        { name: 'v', type: 'float8', form: FLOAT, values },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...values.map((v) => floatText(v)), null]);
      expectTypes(trip, { v: { parquet: 'DOUBLE', athena: 'double' } });
    });

    it('bool → BOOLEAN → boolean', async () => {
      const trip = await roundTrip('t_bool', [
        { name: 'v', type: 'bool', form: TEXT, values: [true, false] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual(['true', 'false', null]);
      expectTypes(trip, { v: { parquet: 'BOOLEAN', athena: 'boolean' } });
    });

    it('text, varchar(n) and char(n) → BYTE_ARRAY / STRING → string; char(n) loses its padding only', async () => {
      const trip = await roundTrip('t_text', [
        { name: 't', type: 'text', form: TEXT, values: ['plain', '', ' both ends '] },
        { name: 'vc', type: 'varchar(12)', form: TEXT, values: ['twelve chars', '', 'x '] },
        { name: 'c', type: 'char(5)', form: TEXT, values: ['ab', '  x', 'a  b', ''] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 't')).toEqual(['plain', '', ' both ends ', null, null]);
      expect(lakeValues(trip, 'vc')).toEqual(['twelve chars', '', 'x ', null, null]);
      expect(lakeValues(trip, 'c')).toEqual(['ab', '  x', 'a  b', '', null]);
      const text = { parquet: 'BYTE_ARRAY / STRING', athena: 'string' };
      expectTypes(trip, { t: text, vc: text, c: text });
    });

    it('text: Japanese, emoji, combining marks and other Unicode arrive byte for byte', async () => {
      const values = [
        '日本語のテキスト、句読点。',
        '🦆🏳️‍🌈👩‍👩‍👧‍👦 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
        'e\u0301 vs \u00e9', // combining acute accent vs precomposed: no normalization
        'A\u030a\u00c5',
        'שלום مرحبا',
        '\u200b\ufeffzero-width and BOM',
        '\u0001\u001f control characters \u007f',
      ];
      const trip = await roundTrip('t_unicode', [{ name: 'v', type: 'text', form: TEXT, values }]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...values, null]);
    });

    it('text: commas, quotes, newlines, carriage returns, backslashes and tabs survive the CSV transport', async () => {
      const values = [
        'a,b,c',
        '"quoted"',
        '"',
        '""',
        'say "hi", then leave',
        'line 1\nline 2',
        'windows\r\nline',
        'lone\rreturn',
        '\n',
        'back\\slash',
        'trailing backslash\\',
        '\\N',
        '\\.',
        'NULL',
        'tab\there',
        ',',
        '",\n"',
        '\\"',
        '',
        ' ',
      ];
      const trip = await roundTrip('t_csv', [{ name: 'v', type: 'text', form: TEXT, values }]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...values, null]);
    });

    it('text: a 60 KB value arrives whole', async () => {
      const chunk = 'Thermocline, "hot" & cold\n\t\\ 日本語 🦆 ';
      const big = chunk.repeat(Math.ceil((60 * 1024) / Buffer.byteLength(chunk)));
      const trip = await roundTrip('t_big_text', [
        { name: 'v', type: 'text', form: TEXT, values: [big, 'small'] },
      ]);

      expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(60 * 1024);
      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([big, 'small', null]);
    });

    const uuids = [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      '{7f000001-0000-4000-8000-00000000beef}',
    ];
    const canonicalUuids = [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '7f000001-0000-4000-8000-00000000beef',
    ];

    it('uuid → BYTE_ARRAY / STRING → string: the canonical lowercase text, by default', async () => {
      const trip = await roundTrip('t_uuid', [
        { name: 'v', type: 'uuid', form: TEXT, values: uuids },
        {
          name: 'vs',
          type: 'uuid[]',
          form: arrayOf(TEXT),
          values: [[uuids[2], null], []],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...canonicalUuids, null]);
      expect(lakeValues(trip, 'vs').slice(0, 2)).toEqual([[canonicalUuids[2], null], []]);
      expectTypes(trip, {
        v: { parquet: 'BYTE_ARRAY / STRING', athena: 'string' },
        vs: { parquet: 'LIST<BYTE_ARRAY / STRING>', athena: 'array<string>' },
      });
    });

    it("uuid with uuid_as: 'binary' → FIXED_LEN_BYTE_ARRAY(16) / UUID → binary, the 16 bytes", async () => {
      const trip = await roundTrip(
        't_uuid_binary',
        [
          { name: 'v', type: 'uuid', form: TEXT, values: uuids },
          { name: 'vs', type: 'uuid[]', form: arrayOf(TEXT), values: [[uuids[2], null], []] },
        ],
        { uuid_as: 'binary' },
      );

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...canonicalUuids, null]);
      expectTypes(trip, {
        v: { parquet: 'FIXED_LEN_BYTE_ARRAY(16) / UUID', athena: 'binary' },
        vs: { parquet: 'LIST<FIXED_LEN_BYTE_ARRAY(16) / UUID>', athena: 'array<binary>' },
      });
    });

    it('date → INT32 / DATE → date, from 0001-01-01 to 9999-12-31', async () => {
      const trip = await roundTrip('t_date', [
        {
          name: 'v',
          type: 'date',
          form: EPOCH_DAYS,
          values: ['0001-01-01', '9999-12-31', '1970-01-01', '1969-12-31', '2024-02-29'],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual(['-719162', '2932896', '0', '-1', '19782', null]);
      expectTypes(trip, { v: { parquet: 'INT32 / DATE', athena: 'date' } });
    });

    it('date: every finite PostgreSQL date travels, BC dates and years past 9999 included', async () => {
      const trip = await roundTrip('t_date_far', [
        {
          name: 'v',
          type: 'date',
          form: EPOCH_DAYS,
          values: [
            '4713-11-24 BC',
            '0044-03-15 BC',
            '0001-12-31 BC',
            '10000-01-01',
            '5874897-12-31',
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([
        '-2440222',
        '-735160',
        '-719163',
        '2932897',
        '2145042905',
        null,
      ]);
    });

    it('timestamp → INT64 / TIMESTAMP(MICROS, not UTC) → timestamp, microseconds and pre-1970 values exact', async () => {
      const trip = await roundTrip('t_timestamp', [
        {
          name: 'v',
          type: 'timestamp',
          form: EPOCH_US,
          values: [
            '2025-02-15 01:02:03.123456',
            '2025-02-15 01:02:03.000001',
            '1969-12-31 23:59:59.999999',
            '1900-01-01 00:00:00',
            '0001-01-01 00:00:00',
            '9999-12-31 23:59:59.999999',
            '0044-03-15 12:00:00 BC',
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip).slice(0, 3)).toEqual(['1739581323123456', '1739581323000001', '-1']);
      expectTypes(trip, {
        v: { parquet: 'INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=false)', athena: 'timestamp' },
      });
    });

    it('timestamptz → INT64 / TIMESTAMP(MICROS, UTC) → timestamp, microseconds and pre-1970 values exact', async () => {
      const trip = await roundTrip('t_timestamptz', [
        {
          name: 'v',
          type: 'timestamptz',
          form: EPOCH_US,
          values: [
            '2025-02-15 01:02:03.123456+00',
            '2025-02-15 10:02:03.000001+09',
            '1969-12-31 23:59:59.999999+00',
            '1900-01-01 00:00:00+00',
            '0001-01-01 00:00:00+00',
            '9999-12-31 23:59:59.999999+00',
            '4713-11-24 00:00:00+00 BC',
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip).slice(0, 3)).toEqual(['1739581323123456', '1739581323000001', '-1']);
      expectTypes(trip, {
        v: { parquet: 'INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=true)', athena: 'timestamp' },
      });
    });

    it('interval → BYTE_ARRAY / STRING in ISO 8601 → string', async () => {
      const trip = await roundTrip('t_interval', [
        {
          name: 'v',
          type: 'interval',
          form: TEXT,
          values: [
            '1 year 2 months 3 days 04:05:06.789012',
            '-1 day +02:00',
            '0',
            '1 microsecond',
            '-00:00:00.000001',
            '178000000 years',
            '1000000 hours',
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip).slice(0, 5)).toEqual([
        'P1Y2M3DT4H5M6.789012S',
        'P-1DT2H',
        'PT0S',
        'PT0.000001S',
        'PT-0.000001S',
      ]);
      expectTypes(trip, { v: { parquet: 'BYTE_ARRAY / STRING', athena: 'string' } });
    });

    it("time and timetz → BYTE_ARRAY / STRING → string: PostgreSQL's text, microseconds and offsets kept", async () => {
      const trip = await roundTrip('t_time', [
        {
          name: 't',
          type: 'time',
          form: TEXT,
          values: ['04:05:06.789', '00:00:00', '23:59:59.999999', '24:00:00', '12:00:00.000001'],
        },
        {
          name: 'tz',
          type: 'timetz',
          form: TEXT,
          values: ['04:05:06.789+05:30', '00:00:00+00', '12:00:00.5-03:30:15', '23:59:59-12'],
        },
        { name: 't3', type: 'time(3)', form: TEXT, values: ['01:02:03.4567'] },
        {
          name: 'tzs',
          type: 'timetz[]',
          form: arrayOf(TEXT),
          values: [['04:05:06+02', null, '23:00:00.25-01'], []],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 't')).toEqual([
        '04:05:06.789',
        '00:00:00',
        '23:59:59.999999',
        '24:00:00',
        '12:00:00.000001',
        null,
      ]);
      expect(lakeValues(trip, 'tz').slice(0, 4)).toEqual([
        '04:05:06.789+05:30',
        '00:00:00+00',
        '12:00:00.5-03:30:15',
        '23:59:59-12',
      ]);
      expect(lakeValues(trip, 't3')[0]).toBe('01:02:03.457');
      expect(lakeValues(trip, 'tzs')[0]).toEqual(['04:05:06+02', null, '23:00:00.25-01']);
      const text = { parquet: 'BYTE_ARRAY / STRING', athena: 'string' };
      expectTypes(trip, {
        t: text,
        tz: text,
        t3: text,
        tzs: { parquet: 'LIST<BYTE_ARRAY / STRING>', athena: 'array<string>' },
      });
    });

    it('json keeps its text as written; jsonb arrives as PostgreSQL normalized it', async () => {
      const documents = [
        '{"b": 1,  "a": [1, 2, {"c": "日本, \\"quoted\\""}]}',
        '{"a":1,"a":2}',
        '"just a string"',
        'null',
        '[]',
        '123.4500',
        '{\n\t"multi": "line"\n}',
      ];
      const trip = await roundTrip('t_json', [
        { name: 'j', type: 'json', form: TEXT, values: documents },
        { name: 'jb', type: 'jsonb', form: TEXT, values: documents },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'j')).toEqual([...documents, null]);
      expect(lakeValues(trip, 'jb')).toEqual([
        '{"a": [1, 2, {"c": "日本, \\"quoted\\""}], "b": 1}',
        '{"a": 2}',
        '"just a string"',
        'null',
        '[]',
        '123.4500',
        '{"multi": "line"}',
        null,
      ]);
      const text = { parquet: 'BYTE_ARRAY / STRING', athena: 'string' };
      expectTypes(trip, { j: text, jb: text });
    });

    it('bytea → BYTE_ARRAY → binary, empty and every byte value included', async () => {
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const trip = await roundTrip('t_bytea', [
        {
          name: 'v',
          type: 'bytea',
          form: HEX,
          values: [Buffer.alloc(0), Buffer.from([0]), everyByte, Buffer.from('a,"b"\n\\', 'utf8')],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([
        '',
        '00',
        everyByte.toString('hex'),
        Buffer.from('a,"b"\n\\').toString('hex'),
        null,
      ]);
      expectTypes(trip, { v: { parquet: 'BYTE_ARRAY', athena: 'binary' } });
    });

    it('one-dimensional arrays of int4, text, uuid, numeric(12,6), timestamptz and bool → LIST → array<…>', async () => {
      const trip = await roundTrip('t_arrays', [
        {
          name: 'ints',
          type: 'int4[]',
          form: arrayOf(TEXT),
          values: [[1, -2147483648, 2147483647, null], [], [null]],
        },
        {
          name: 'texts',
          type: 'text[]',
          form: arrayOf(TEXT),
          values: [
            ['a,b', 'c"d', null, 'NULL', '', 'e\\f', '{braces}', ' spaced ', 'new\nline', '日本🦆'],
            [],
            [''],
          ],
        },
        {
          name: 'uuids',
          type: 'uuid[]',
          form: arrayOf(TEXT),
          values: [['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', null], []],
        },
        {
          name: 'amounts',
          type: 'numeric(12,6)[]',
          form: arrayOf(TEXT),
          values: [['123456.123456', '-999999.999999', '0.000001', null, '0'], []],
        },
        {
          name: 'instants',
          type: 'timestamptz[]',
          form: arrayOf(EPOCH_US),
          values: [['2025-02-15 01:02:03.123456+00', '1969-12-31 23:59:59.999999+00', null], []],
        },
        { name: 'flags', type: 'bool[]', form: arrayOf(TEXT), values: [[true, false, null], []] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'ints')).toEqual([
        ['1', '-2147483648', '2147483647', null],
        [],
        [null],
        null,
      ]);
      expect(lakeValues(trip, 'texts')[0]).toEqual([
        'a,b',
        'c"d',
        null,
        'NULL',
        '',
        'e\\f',
        '{braces}',
        ' spaced ',
        'new\nline',
        '日本🦆',
      ]);
      expect(lakeValues(trip, 'amounts')[0]).toEqual([
        '123456.123456',
        '-999999.999999',
        '0.000001',
        null,
        '0.000000',
      ]);
      expectTypes(trip, {
        ints: { parquet: 'LIST<INT32 / INT(32, signed)>', athena: 'array<int>' },
        texts: { parquet: 'LIST<BYTE_ARRAY / STRING>', athena: 'array<string>' },
        uuids: { parquet: 'LIST<BYTE_ARRAY / STRING>', athena: 'array<string>' },
        amounts: { parquet: 'LIST<INT64 / DECIMAL(12,6)>', athena: 'array<decimal(12,6)>' },
        instants: {
          parquet: 'LIST<INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=true)>',
          athena: 'array<timestamp>',
        },
        flags: { parquet: 'LIST<BOOLEAN>', athena: 'array<boolean>' },
      });
    });

    it('arrays: numeric(38,10)[], int8[], date[], char(n)[] and numeric[] elements keep every digit, BC dates and the padding rule', async () => {
      const trip = await roundTrip('t_arrays_exact', [
        {
          name: 'big',
          type: 'numeric(38,10)[]',
          form: arrayOf(TEXT),
          values: [['9999999999999999999999999999.9999999999', '123456789012345678.123456', null]],
        },
        {
          name: 'longs',
          type: 'int8[]',
          form: arrayOf(TEXT),
          values: [['-9223372036854775808', '9223372036854775807', '9007199254740993']],
        },
        {
          name: 'days',
          type: 'date[]',
          form: arrayOf(EPOCH_DAYS),
          values: [['0044-03-15 BC', '0001-01-01', '9999-12-31', null]],
        },
        { name: 'codes', type: 'char(3)[]', form: arrayOf(TEXT), values: [['a', 'ab ', '  c']] },
        {
          name: 'exact',
          type: 'numeric[]',
          form: arrayOf(TEXT),
          values: [['12345678901234567890.123456789012345678901', 'NaN', '-Infinity', '1.50']],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'big')[0]).toEqual([
        '9999999999999999999999999999.9999999999',
        '123456789012345678.1234560000',
        null,
      ]);
      expect(lakeValues(trip, 'longs')[0]).toEqual([
        '-9223372036854775808',
        '9223372036854775807',
        '9007199254740993',
      ]);
      expect(lakeValues(trip, 'codes')[0]).toEqual(['a', 'ab', '  c']);
      expect(lakeValues(trip, 'exact')[0]).toEqual([
        '12345678901234567890.123456789012345678901',
        'NaN',
        '-Infinity',
        '1.50',
      ]);
      expectTypes(trip, {
        big: {
          parquet: 'LIST<FIXED_LEN_BYTE_ARRAY / DECIMAL(38,10)>',
          athena: 'array<decimal(38,10)>',
        },
        days: { parquet: 'LIST<INT32 / DATE>', athena: 'array<date>' },
        exact: { parquet: 'LIST<BYTE_ARRAY / STRING>', athena: 'array<string>' },
      });
    });

    it('arrays declared with several dimensions → nested LISTs → array<array<…>>, value by value', async () => {
      const trip = await roundTrip('t_arrays_nd', [
        {
          name: 'grid',
          type: 'int4[][]',
          form: nestedText(2),
          values: [
            [
              [1, 2, 3],
              [4, null, -2147483648],
            ],
            [],
            [[7]],
          ],
        },
        {
          name: 'words',
          type: 'text[][]',
          form: nestedText(2),
          values: [
            [
              ['a,b', 'c"d'],
              [null, '{x}'],
            ],
          ],
        },
        {
          name: 'cube',
          type: 'numeric(6,2)[][][]',
          form: nestedText(3),
          values: [
            [
              [
                ['1.50', '2'],
                ['3.25', null],
              ],
              [
                ['-1', '0'],
                ['9999.99', '0.01'],
              ],
            ],
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'grid')).toEqual([
        [
          ['1', '2', '3'],
          ['4', null, '-2147483648'],
        ],
        [],
        [['7']],
        null,
      ]);
      expect(lakeValues(trip, 'words')[0]).toEqual([
        ['a,b', 'c"d'],
        [null, '{x}'],
      ]);
      expect(lakeValues(trip, 'cube')[0]).toEqual([
        [
          ['1.50', '2.00'],
          ['3.25', null],
        ],
        [
          ['-1.00', '0.00'],
          ['9999.99', '0.01'],
        ],
      ]);
      expectTypes(trip, {
        grid: { parquet: 'LIST<LIST<INT32 / INT(32, signed)>>', athena: 'array<array<int>>' },
        words: { parquet: 'LIST<LIST<BYTE_ARRAY / STRING>>', athena: 'array<array<string>>' },
        cube: {
          parquet: 'LIST<LIST<LIST<INT32 / DECIMAL(6,2)>>>',
          athena: 'array<array<array<decimal(6,2)>>>',
        },
      });
      const plans = await planTable(test.db, tableConfig('t_arrays_nd'));
      expect(plans.find((p) => p.name === 'grid')?.sourceType).toBe('integer[][]');
    });

    it('a 2-D date array keeps BC dates and NULLs (compared as days since 1970)', async () => {
      const trip = await roundTrip('t_arrays_nd_dates', [
        {
          name: 'days',
          type: 'date[][]',
          form: {
            pg: (x) =>
              `CASE WHEN ${x} IS NULL THEN NULL ELSE ARRAY(SELECT (e - DATE '1970-01-01')::text ` +
              `FROM unnest(${x}) WITH ORDINALITY AS u(e, i) ORDER BY i) END`,
            duck: (x) =>
              `list_transform(flatten(${x}), e -> CAST(e - DATE '1970-01-01' AS VARCHAR))`,
          },
          values: [
            [
              ['2025-02-15', '0044-03-15 BC'],
              ['1970-01-01', null],
            ],
          ],
        },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip, 'days')[0]).toEqual(['20134', '-735160', '0', null]);
      expectTypes(trip, {
        days: { parquet: 'LIST<LIST<INT32 / DATE>>', athena: 'array<array<date>>' },
      });
    });

    it('enum → BYTE_ARRAY / STRING (the label) → string, arrays of it included', async () => {
      const labels = [
        'happy',
        'sad, really',
        'quote"d',
        '日本語',
        'with space ',
        '🦆',
        'back\\slash',
      ];
      types.push('mood');
      await test.db.query(
        `CREATE TYPE ${qualify(test.db.schema, 'mood')} AS ENUM (${labels
          .map((l) => `'${l.replaceAll("'", "''")}'`)
          .join(', ')})`,
      );
      const mood = qualify(test.db.schema, 'mood');
      const trip = await roundTrip('t_enum', [
        { name: 'v', type: mood, form: TEXT, values: labels },
        { name: 'vs', type: `${mood}[]`, form: arrayOf(TEXT), values: [labels, [], [null]] },
      ]);

      expect(trip.lake).toEqual(trip.source);
      expect(lakeValues(trip)).toEqual([...labels, null]);
      expect(lakeValues(trip, 'vs').slice(0, 3)).toEqual([labels, [], [null]]);
      expectTypes(trip, {
        v: { parquet: 'BYTE_ARRAY / STRING', athena: 'string' },
        vs: { parquet: 'LIST<BYTE_ARRAY / STRING>', athena: 'array<string>' },
      });
    });
  });

  describe('values that cannot travel fail the export clearly, and nothing is published', () => {
    it.each([
      ['t_bad_numeric_nan', 'numeric(12,6)', 'NaN', 'numeric(12,6)', 'NaN'],
      ['t_bad_date_infinity', 'date', 'infinity', 'date', 'infinity'],
      ['t_bad_tstz_infinity', 'timestamptz', '-infinity', 'timestamp with time zone', '-infinity'],
      [
        't_bad_timestamp_far',
        'timestamp',
        '294270-01-01 00:00:00',
        'timestamp without time zone',
        '294270-01-01 00:00:00',
      ],
      ['t_bad_array_nan', 'numeric(12,6)[]', ['1', 'NaN'], 'numeric(12,6)[]', 'NaN'],
      ['t_bad_array_infinity', 'date[]', ['2025-02-15', 'infinity'], 'date[]', 'infinity'],
    ])('%s: %s value %j', async (table, type, value, formatted, shown) => {
      await createTable(table, [{ name: 'v', type, form: TEXT, values: [value] }]);

      const exporting = exportTableDay(deps, tableConfig(table), DAY);

      const message = await exporting.then(
        () => 'the export succeeded',
        (error: Error) => error.message,
      );
      expect(message).toContain(`${table}.v`);
      expect(message).toContain(`'${shown}'`);
      expect(message).toContain(formatted);
      expect(message).toContain('Export a view');
      await expectNothingPublished(table);
    });
  });

  describe('values that do not fit numeric_as fail the export, never rounded, and nothing is published', () => {
    it.each([
      ['t_bad_numeric_as_scale', '1.00005'],
      ['t_bad_numeric_as_digits', '1234567.5'],
      ['t_bad_numeric_as_nan', 'NaN'],
      ['t_bad_numeric_as_array', ['1', '0.123']],
    ])('%s: %j', async (table, value) => {
      const type = Array.isArray(value) ? 'numeric[]' : 'numeric';
      await createTable(table, [{ name: 'v', type, form: TEXT, values: [value] }]);

      const exporting = exportTableDay(
        deps,
        tableConfig(table, { numeric_as: 'decimal(8,2)' }),
        DAY,
      );

      const message = await exporting.then(
        () => 'the export succeeded',
        (error: Error) => error.message,
      );
      expect(message).toContain(`${table}.v`);
      expect(message).toContain(`'${Array.isArray(value) ? value[1] : value}'`);
      expect(message).toContain("numeric_as is 'decimal(8,2)'");
      await expectNothingPublished(table);
    });
  });

  describe('an array whose dimensions differ from its declared ones fails the export, naming both', () => {
    it.each([
      [
        't_bad_dims_2d_in_1d',
        'int4[]',
        [
          [1, 2],
          [3, 4],
        ],
        2,
        '1 dimension',
      ],
      ['t_bad_dims_1d_in_2d', 'int4[][]', [1, 2], 1, '2 dimensions'],
      ['t_bad_dims_3d_in_2d', 'text[][]', [[['a']]], 3, '2 dimensions'],
    ])('%s', async (table, type, value, has, declares) => {
      await createTable(table, [{ name: 'v', type, form: TEXT, values: [value] }]);

      const exporting = exportTableDay(deps, tableConfig(table), DAY);

      const message = await exporting.then(
        () => 'the export succeeded',
        (error: Error) => error.message,
      );
      expect(message).toContain(`cannot export ${table}.v`);
      expect(message).toContain(`has ${has} dimension(s); the column declares ${declares}`);
      expect(message).toContain('Export a view');
      await expectNothingPublished(table);
    });
  });

  describe('types outside the contract fail the export naming table, column and type', () => {
    it.each([
      ['t_unsupported_point', 'point', '(1,2)', /point/],
      ['t_unsupported_money', 'money', '1.50', /money/],
      ['t_unsupported_range', 'int4range', '[1,5)', /int4range/],
      ['t_unsupported_json_array', 'json[]', ['{"a": 1}'], /json\[\]/],
    ])('%s: %s', async (table, type, value, named) => {
      await createTable(table, [{ name: 'v', type, form: TEXT, values: [value] }]);

      const exporting = exportTableDay(deps, tableConfig(table), DAY);

      await expect(exporting).rejects.toThrow(new RegExp(`cannot export ${table}\\.v\\b`));
      await expect(exporting).rejects.toThrow(named);
      await expect(exporting).rejects.toThrow(/Export a view/);
      await expectNothingPublished(table);
    });
  });
});
