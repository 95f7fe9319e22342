/**
 * The type contract: how each PostgreSQL column type travels to the lake. For every supported
 * type it fixes the Parquet type (written by DuckDB), the Athena (Hive DDL) type, the DuckDB type,
 * and the three SQL expressions the export needs:
 * - `pgExtract`: what PostgreSQL's `COPY … TO STDOUT (FORMAT csv)` sends for the column;
 * - `load(v)`: how DuckDB turns that CSV text (a VARCHAR) into the typed value it writes;
 * - `pgCanonical` / `duckdbCanonical`: the same text for the same value in both engines, so an
 *   order-independent checksum computed by PostgreSQL over the source rows can be compared with
 *   one computed by DuckDB over the Parquet files.
 * A type outside the contract fails the export, naming table, column and type. So does a value
 * that has no form in the lake's type (NaN in numeric(p,s), ±infinity dates and timestamps,
 * timestamps past DuckDB's year 294247, multi-dimensional arrays): DuckDB raises an error naming
 * table, column, type and value while it encodes, before anything is written to the lake.
 */
import { quoteIdent } from '#core/sql/ident';

/** A column as PostgreSQL's catalog describes it (domains resolved to their base type). */
export interface SourceColumn {
  readonly name: string;
  /** `format_type()`: e.g. `numeric(12,6)`, `timestamp with time zone`, `text[]`. */
  readonly formatted: string;
  /** `pg_type.typname` of the (base) type, e.g. `int8`, `_text` for arrays. */
  readonly typname: string;
  /** `pg_type.typtype`: b base, e enum, d domain, c composite, r range … */
  readonly typtype: string;
  /** For arrays: the element type's typname, typtype and formatted name. */
  readonly element?: {
    readonly typname: string;
    readonly typtype: string;
    readonly formatted: string;
  };
}

/** How one column is exported, validated and described. */
export interface ColumnPlan {
  readonly name: string;
  /** The PostgreSQL type, as `format_type()` names it. */
  readonly sourceType: string;
  readonly athenaType: string;
  readonly duckdbType: string;
  /** Parquet physical type / logical type, for the docs and tests. */
  readonly parquetType: string;
  readonly pgExtract: string;
  /** DuckDB expression over the CSV column (a quoted identifier of type VARCHAR). */
  readonly load: (csvColumn: string) => string;
  readonly pgCanonical: string;
  readonly duckdbCanonical: string;
}

/** Thrown when a column's type is outside the contract. */
export class UnsupportedTypeError extends Error {
  constructor(table: string, column: string, type: string) {
    super(
      `cannot export ${table}.${column}: PostgreSQL type '${type}' is not in Thermocline's type ` +
        `contract (${SUPPORTED_SUMMARY}). Export a view that casts it (e.g. to text), or leave the ` +
        `table out of the config.`,
    );
    this.name = 'UnsupportedTypeError';
  }
}

interface Scalar {
  readonly athena: string;
  readonly duckdb: string;
  readonly parquet: string;
  /**
   * DuckDB: the (non-NULL) text PostgreSQL sent → the typed value, or NULL when the type cannot
   * hold it (then the export fails naming the value). Absent: the text is the value.
   */
  readonly load?: (v: string) => string;
  /** PostgreSQL: value → canonical text (NULL stays NULL). */
  readonly pgCanon: (x: string) => string;
  /** DuckDB: value → canonical text (NULL stays NULL). */
  readonly duckCanon: (x: string) => string;
  /** PostgreSQL: value → the CSV text DuckDB's `load` expects (default: its text output). */
  readonly extract?: (x: string) => string;
  /**
   * Whether arrays of this type are supported. An array travels as a JSON list of its elements'
   * text output, never as JSON numbers (DuckDB reads those as doubles: decimals would be rounded)
   * nor as JSON dates (ISO 8601 with `T`, and BC dates DuckDB would misread).
   */
  readonly inArrays: boolean;
  /**
   * Whether `to_json` already writes the value as a JSON string of its text output (so an array
   * needs no `::text[]` cast first). Not for char(n): `to_json` keeps its padding.
   */
  readonly jsonString?: boolean;
}

const asText = (x: string): string => `${x}::text`;
const duckText = (x: string): string => `CAST(${x} AS VARCHAR)`;
/** TRY_CAST: NULL for text the type cannot hold, which the caller turns into an error. */
const cast =
  (type: string) =>
  (v: string): string =>
    `TRY_CAST(${v} AS ${type})`;

/**
 * PostgreSQL writes a BC date as `0044-03-15 BC` and a BC timestamp as `… 12:00:00+00 BC`; DuckDB
 * wants `0044-03-15 (BC) 12:00:00+00` (it would drop a trailing ` BC` from a date silently, and
 * read it as a time zone in a timestamp). Both count years the same way (no year 0).
 */
const fromPgEra = (v: string): string =>
  `CASE WHEN ends_with(${v}, ' BC') THEN regexp_replace(${v}, '^([0-9]+-[0-9]+-[0-9]+)(.*) BC$', '\\1 (BC)\\2') ELSE ${v} END`;

/**
 * Dates and timestamps: BC handled; ±infinity refused — DuckDB would store its own infinity,
 * which Athena reads as an ordinary date in the year 5881580 (or 294247 for timestamps).
 */
const temporal =
  (type: string) =>
  (v: string): string =>
    `CASE WHEN ${v} IN ('infinity', '-infinity') THEN NULL ELSE TRY_CAST(${fromPgEra(v)} AS ${type}) END`;

/** 15 significant digits in C's `%e` format: PostgreSQL's to_char and DuckDB's printf agree. */
const pgFloatCanon = (x: string): string =>
  `CASE WHEN ${x} IS NULL THEN NULL WHEN ${x} = 'NaN' THEN 'NaN' WHEN ${x} = 'Infinity' THEN 'Infinity' ` +
  `WHEN ${x} = '-Infinity' THEN '-Infinity' WHEN ${x} = 0 THEN '0' ` +
  `ELSE trim(to_char(${x}::float8, '9.99999999999999EEEE')) END`;
const duckFloatCanon = (x: string): string =>
  `CASE WHEN ${x} IS NULL THEN NULL WHEN isnan(${x}) THEN 'NaN' WHEN isinf(${x}) AND ${x} > 0 THEN 'Infinity' ` +
  `WHEN isinf(${x}) THEN '-Infinity' WHEN ${x} = 0 THEN '0' ELSE printf('%.14e', CAST(${x} AS DOUBLE)) END`;

const STRING: Scalar = {
  athena: 'string',
  duckdb: 'VARCHAR',
  parquet: 'BYTE_ARRAY / STRING',
  pgCanon: asText,
  duckCanon: (x) => x,
  inArrays: true,
  jsonString: true,
};

const TIMESTAMP_PARQUET = 'INT64 / TIMESTAMP(MICROS';

/** Base types by `typname`. numeric is handled apart (it depends on the typmod). */
const SCALARS: Readonly<Record<string, Scalar>> = {
  int2: {
    athena: 'smallint',
    duckdb: 'SMALLINT',
    parquet: 'INT32 / INT(16, signed)',
    load: cast('SMALLINT'),
    pgCanon: asText,
    duckCanon: duckText,
    inArrays: true,
  },
  int4: {
    athena: 'int',
    duckdb: 'INTEGER',
    parquet: 'INT32 / INT(32, signed)',
    load: cast('INTEGER'),
    pgCanon: asText,
    duckCanon: duckText,
    inArrays: true,
  },
  int8: {
    athena: 'bigint',
    duckdb: 'BIGINT',
    parquet: 'INT64 / INT(64, signed)',
    load: cast('BIGINT'),
    pgCanon: asText,
    duckCanon: duckText,
    inArrays: true,
  },
  float4: {
    athena: 'float',
    duckdb: 'FLOAT',
    parquet: 'FLOAT',
    load: cast('FLOAT'),
    pgCanon: pgFloatCanon,
    duckCanon: duckFloatCanon,
    inArrays: false,
  },
  float8: {
    athena: 'double',
    duckdb: 'DOUBLE',
    parquet: 'DOUBLE',
    load: cast('DOUBLE'),
    pgCanon: pgFloatCanon,
    duckCanon: duckFloatCanon,
    inArrays: false,
  },
  bool: {
    athena: 'boolean',
    duckdb: 'BOOLEAN',
    parquet: 'BOOLEAN',
    load: cast('BOOLEAN'),
    pgCanon: asText,
    duckCanon: duckText,
    inArrays: true,
  },
  text: STRING,
  varchar: STRING,
  // char(n) is stored without its padding: PostgreSQL itself treats trailing blanks as
  // insignificant (bpchar::text drops them), and so the checksum sees the same text.
  bpchar: { ...STRING, extract: asText, jsonString: false },
  name: STRING,
  citext: STRING,
  uuid: {
    athena: 'binary',
    duckdb: 'UUID',
    parquet: 'FIXED_LEN_BYTE_ARRAY(16) / UUID',
    load: cast('UUID'),
    pgCanon: asText,
    duckCanon: duckText,
    inArrays: true,
    jsonString: true,
  },
  date: {
    athena: 'date',
    duckdb: 'DATE',
    parquet: 'INT32 / DATE',
    load: temporal('DATE'),
    pgCanon: (x) => `(${x} - DATE '1970-01-01')::text`,
    duckCanon: (x) => `CAST(${x} - DATE '1970-01-01' AS VARCHAR)`,
    inArrays: true,
  },
  timestamp: {
    athena: 'timestamp',
    duckdb: 'TIMESTAMP',
    parquet: `${TIMESTAMP_PARQUET}, isAdjustedToUTC=false)`,
    load: temporal('TIMESTAMP'),
    pgCanon: (x) => `(extract(epoch FROM ${x}) * 1000000)::bigint::text`,
    duckCanon: (x) => `CAST(epoch_us(${x}) AS VARCHAR)`,
    inArrays: true,
  },
  timestamptz: {
    athena: 'timestamp',
    duckdb: 'TIMESTAMPTZ',
    parquet: `${TIMESTAMP_PARQUET}, isAdjustedToUTC=true)`,
    load: temporal('TIMESTAMPTZ'),
    pgCanon: (x) => `(extract(epoch FROM ${x}) * 1000000)::bigint::text`,
    duckCanon: (x) => `CAST(epoch_us(${x}) AS VARCHAR)`,
    inArrays: true,
  },
  // Interval travels as ISO 8601 text (the export sets IntervalStyle iso_8601): Parquet's
  // INTERVAL (12-byte months/days/millis) loses microseconds and Athena cannot read it.
  interval: { ...STRING, inArrays: false },
  json: { ...STRING, inArrays: false },
  jsonb: { ...STRING, inArrays: false },
  bytea: {
    athena: 'binary',
    duckdb: 'BLOB',
    parquet: 'BYTE_ARRAY',
    load: (v) => `from_hex(substr(${v}, 3))`,
    pgCanon: (x) => `encode(${x}, 'hex')`,
    duckCanon: (x) => `lower(hex(${x}))`,
    inArrays: false,
  },
};

/** The enum type: its label as text. */
const ENUM: Scalar = { ...STRING, parquet: 'BYTE_ARRAY / STRING (the enum label)' };

const SUPPORTED_SUMMARY =
  'int2, int4, int8, numeric, float4, float8, bool, text, varchar, char, name, citext, uuid, ' +
  'date, timestamp, timestamptz, interval, json, jsonb, bytea, enums, and one-dimensional ' +
  'arrays of int2/int4/int8/numeric/bool/text/varchar/char/uuid/date/timestamp/timestamptz/enums';

/** numeric(p,s) with p ≤ 38 is an exact decimal; any other numeric stays exact as text. */
function numericScalar(formatted: string): Scalar & { sourceNote?: string } {
  const match = /^numeric\((\d+),(\d+)\)$/.exec(formatted.replace(/\s/g, ''));
  const precision = match ? Number(match[1]) : undefined;
  const scale = match ? Number(match[2]) : undefined;
  if (precision !== undefined && scale !== undefined && precision <= 38 && scale <= precision) {
    return {
      athena: `decimal(${precision},${scale})`,
      duckdb: `DECIMAL(${precision},${scale})`,
      parquet: `${precision <= 9 ? 'INT32' : precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY'} / DECIMAL(${precision},${scale})`,
      load: cast(`DECIMAL(${precision},${scale})`),
      pgCanon: asText,
      duckCanon: duckText,
      inArrays: true,
    };
  }
  // Unconstrained numeric (any scale, up to 131072 digits) or precision > 38: no decimal type
  // of Parquet/Athena holds it exactly, so it stays the exact text PostgreSQL prints.
  return { ...STRING, parquet: 'BYTE_ARRAY / STRING (exact decimal text)', jsonString: false };
}

function scalarFor(typname: string, typtype: string, formatted: string): Scalar | undefined {
  if (typtype === 'e') return ENUM;
  if (typname === 'numeric') return numericScalar(formatted);
  return SCALARS[typname];
}

/**
 * The plan of one column, or an {@link UnsupportedTypeError}.
 * @example
 * planColumn('agent_tasks', { name: 'cost_usd', formatted: 'numeric(12,6)', typname: 'numeric', typtype: 'b' });
 * // { athenaType: 'decimal(12,6)', duckdbType: 'DECIMAL(12,6)', … }
 */
export function planColumn(table: string, column: SourceColumn): ColumnPlan {
  const x = quoteIdent(column.name);
  const { element } = column;
  if (element) {
    const scalar = scalarFor(element.typname, element.typtype, element.formatted);
    if (!scalar?.inArrays || /\]\[/.test(column.formatted)) {
      throw new UnsupportedTypeError(table, column.name, column.formatted);
    }
    const elementCanon = (e: string): string => `coalesce(${scalar.pgCanon(e)}, '\\N')`;
    const elements = (v: string): string => `from_json(${v}, '["VARCHAR"]')`;
    // PostgreSQL does not record an array column's dimensions: a 2-D value is only seen here.
    const multiDimensional = sqlString(
      `cannot export ${table}.${column.name}: a value of PostgreSQL type '${column.formatted}' is a ` +
        `multi-dimensional array; Thermocline's type contract has one-dimensional arrays only ` +
        `(${SUPPORTED_SUMMARY}). Export a view that unnests or casts it (e.g. to text), or leave ` +
        `the table out of the config.`,
    );
    return {
      name: column.name,
      sourceType: column.formatted,
      athenaType: `array<${scalar.athena}>`,
      duckdbType: `${scalar.duckdb}[]`,
      parquetType: `LIST<${scalar.parquet}>`,
      pgExtract: `to_json(${scalar.jsonString ? x : `${x}::text[]`})::text`,
      load: (v) =>
        `CASE WHEN starts_with(${v}, '[[') THEN error(${multiDimensional}) ELSE ` +
        (scalar.load
          ? `list_transform(${elements(v)}, e -> ${checkedLoad(table, column, scalar, 'e')})`
          : elements(v)) +
        ' END',
      pgCanonical:
        `CASE WHEN ${x} IS NULL THEN NULL ELSE '[' || coalesce((SELECT string_agg(${elementCanon('u.e')}, ',' ORDER BY u.i) ` +
        `FROM unnest(${x}) WITH ORDINALITY AS u(e, i)), '') || ']' END`,
      duckdbCanonical: `'[' || array_to_string(list_transform(${x}, e -> coalesce(${scalar.duckCanon('e')}, '\\N')), ',') || ']'`,
    };
  }
  const scalar = scalarFor(column.typname, column.typtype, column.formatted);
  if (!scalar) throw new UnsupportedTypeError(table, column.name, column.formatted);
  return {
    name: column.name,
    sourceType: column.formatted,
    athenaType: scalar.athena,
    duckdbType: scalar.duckdb,
    parquetType: scalar.parquet,
    pgExtract: scalar.extract ? scalar.extract(x) : x,
    load: scalar.load ? (v) => checkedLoad(table, column, scalar, v) : (v) => v,
    pgCanonical: scalar.pgCanon(x),
    duckdbCanonical: scalar.duckCanon(x),
  };
}

/** A DuckDB string literal. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The scalar's load of `v`, failing the encode with a message that names table, column, type and
 * value when the value has no form in the lake's type (the load gives NULL for a non-NULL text).
 */
function checkedLoad(table: string, column: SourceColumn, scalar: Scalar, v: string): string {
  const load = scalar.load ? scalar.load(v) : v;
  const before = `cannot export ${table}.${column.name} (PostgreSQL type ${column.formatted}): the value '`;
  const after =
    `' has no ${scalar.duckdb} form in Parquet (NaN, ±infinity and values outside DuckDB's range ` +
    `cannot travel). Export a view that maps such values (e.g. to NULL), or correct the rows.`;
  return `CASE WHEN ${v} IS NULL THEN NULL ELSE coalesce(${load}, error(${sqlString(before)} || ${v} || ${sqlString(after)})) END`;
}

/** The catalog query that describes a table's columns in order, domains resolved. */
export const DESCRIBE_COLUMNS_SQL = `
SELECT a.attname AS name,
       format_type(b.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) AS formatted,
       b.typname, b.typtype,
       e.typname AS element_typname, e.typtype AS element_typtype,
       CASE WHEN e.oid IS NULL THEN NULL ELSE format_type(e.oid, a.atttypmod) END AS element_formatted
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
  LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/** A row of {@link DESCRIBE_COLUMNS_SQL}. */
export interface DescribedColumnRow extends Record<string, unknown> {
  name: string;
  formatted: string;
  typname: string;
  typtype: string;
  element_typname: string | null;
  element_typtype: string | null;
  element_formatted: string | null;
}

/** Turns a catalog row into a {@link SourceColumn}. */
export function sourceColumn(row: DescribedColumnRow): SourceColumn {
  return {
    name: row.name,
    formatted: row.formatted,
    typname: row.typname,
    typtype: row.typtype,
    element: row.element_typname
      ? {
          typname: row.element_typname,
          typtype: row.element_typtype ?? 'b',
          formatted: row.element_formatted ?? row.element_typname,
        }
      : undefined,
  };
}
