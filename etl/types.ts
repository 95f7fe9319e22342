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
 * timestamps past DuckDB's year 294247, an array with more or fewer dimensions than its column
 * declares): DuckDB raises an error naming table, column, type and value while it encodes,
 * before anything is written to the lake.
 *
 * Two choices are per table ({@link TypeOptions}): `uuid_as` (the canonical lowercase text by
 * default, or the 16 bytes) and `numeric_as` (unconstrained numeric as exact text by default, or
 * a given decimal).
 */
import {
  DEFAULT_UUID_AS,
  parseNumericAs,
  type TableConfig,
  type UuidForm,
} from '#core/config/schema';
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
  /**
   * For arrays: the dimensions the column declares (`int4[][]`: 2; `pg_attribute.attndims`,
   * which `ALTER COLUMN … TYPE` updates). @default 1
   */
  readonly dimensions?: number;
}

/** A table's choices of the contract (its config's `uuid_as` and `numeric_as`). */
export interface TypeOptions {
  /** `string`: the canonical lowercase text (Athena string); `binary`: the 16 bytes. */
  readonly uuidAs: UuidForm;
  /** The decimal unconstrained numeric columns become; undefined: their exact text. */
  readonly numericAs?: { readonly precision: number; readonly scale: number };
}

/** The contract's defaults: uuid as text, unconstrained numeric as exact text. */
export const DEFAULT_TYPE_OPTIONS: TypeOptions = { uuidAs: DEFAULT_UUID_AS };

/**
 * The type options a table's config chooses.
 * @example
 * typeOptionsOf({ ...table, uuid_as: 'binary', numeric_as: 'decimal(38,10)' });
 * // { uuidAs: 'binary', numericAs: { precision: 38, scale: 10 } }
 */
export function typeOptionsOf(table: Pick<TableConfig, 'uuid_as' | 'numeric_as'>): TypeOptions {
  const numericAs = table.numeric_as ? parseNumericAs(table.numeric_as) : undefined;
  return { uuidAs: table.uuid_as ?? DEFAULT_UUID_AS, ...(numericAs ? { numericAs } : {}) };
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
  /** What to do when a value has no form in the type (the end of the load's error message). */
  readonly unfit?: string;
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
  // uuid: see UUID_STRING and UUID_BINARY (the table's uuid_as chooses).
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
  // time and timetz travel as PostgreSQL's text (`04:05:06.789`, `04:05:06.789+05:30`): Glue and
  // Athena's Hive tables have no time type, and timetz's offset has no Parquet form.
  time: {
    ...STRING,
    parquet: 'BYTE_ARRAY / STRING (HH:MM:SS[.ffffff])',
    extract: asText,
    jsonString: false,
  },
  timetz: {
    ...STRING,
    parquet: 'BYTE_ARRAY / STRING (HH:MM:SS[.ffffff]+HH[:MM])',
    extract: asText,
    jsonString: false,
  },
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

/** uuid as its canonical lowercase text (PostgreSQL's output): Athena string, DuckDB VARCHAR. */
const UUID_STRING: Scalar = {
  ...STRING,
  parquet: 'BYTE_ARRAY / STRING (the canonical lowercase uuid)',
};

/** uuid as its 16 bytes (`uuid_as: 'binary'`): Athena binary, DuckDB reads the UUID type. */
const UUID_BINARY: Scalar = {
  athena: 'binary',
  duckdb: 'UUID',
  parquet: 'FIXED_LEN_BYTE_ARRAY(16) / UUID',
  load: cast('UUID'),
  pgCanon: asText,
  duckCanon: duckText,
  inArrays: true,
  jsonString: true,
};

/** The enum type: its label as text. */
const ENUM: Scalar = { ...STRING, parquet: 'BYTE_ARRAY / STRING (the enum label)' };

const SUPPORTED_SUMMARY =
  'int2, int4, int8, numeric, float4, float8, bool, text, varchar, char, name, citext, uuid, ' +
  'date, time, timetz, timestamp, timestamptz, interval, json, jsonb, bytea, enums, and arrays ' +
  '(any declared dimensions) of int2/int4/int8/numeric/bool/text/varchar/char/uuid/date/time/' +
  'timetz/timestamp/timestamptz/enums';

/** An exact decimal(p,s): INT32, INT64 or FIXED_LEN_BYTE_ARRAY by precision. */
function decimalScalar(precision: number, scale: number): Scalar {
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

/**
 * numeric(p,s) with p ≤ 38 is an exact decimal. Unconstrained numeric is the table's `numeric_as`
 * decimal when it chooses one — a value that does not fit it exactly (more fraction digits than
 * its scale, more integer digits than p − s, NaN, ±Infinity) fails the export, never rounded —
 * and otherwise, like numeric with p > 38, stays the exact text PostgreSQL prints.
 */
function numericScalar(formatted: string, options: TypeOptions): Scalar {
  const match = /^numeric\((\d+),(\d+)\)$/.exec(formatted.replace(/\s/g, ''));
  const precision = match ? Number(match[1]) : undefined;
  const scale = match ? Number(match[2]) : undefined;
  if (precision !== undefined && scale !== undefined && precision <= 38 && scale <= precision) {
    return decimalScalar(precision, scale);
  }
  const chosen = options.numericAs;
  if (formatted === 'numeric' && chosen) {
    const { precision: p, scale: s } = chosen;
    const decimal = decimalScalar(p, s);
    // PostgreSQL prints numeric in plain notation: digits beyond the scale must all be zeros
    // (DuckDB's cast would round them); too many integer digits make the cast NULL.
    const exact = `-?[0-9]+(\\.[0-9]{0,${s}}0*)?`;
    return {
      ...decimal,
      load: (v) =>
        `CASE WHEN regexp_full_match(${v}, '${exact}') THEN TRY_CAST(${v} AS DECIMAL(${p},${s})) END`,
      pgCanon: (x) => `(${x})::numeric(${p},${s})::text`,
      unfit:
        `The table's numeric_as is 'decimal(${p},${s})': a value with more than ${s} decimals or ` +
        `${p - s} integer digits, NaN or ±Infinity does not fit it. Widen numeric_as, declare the ` +
        `column numeric(p,s), or remove numeric_as to export it as exact text.`,
    };
  }
  // Unconstrained numeric (any scale, up to 131072 digits) or precision > 38: no decimal type
  // of Parquet/Athena holds it exactly, so it stays the exact text PostgreSQL prints.
  return { ...STRING, parquet: 'BYTE_ARRAY / STRING (exact decimal text)', jsonString: false };
}

function scalarFor(
  typname: string,
  typtype: string,
  formatted: string,
  options: TypeOptions,
): Scalar | undefined {
  if (typtype === 'e') return ENUM;
  if (typname === 'numeric') return numericScalar(formatted, options);
  if (typname === 'uuid') return options.uuidAs === 'binary' ? UUID_BINARY : UUID_STRING;
  return SCALARS[typname];
}

/**
 * The plan of one column, or an {@link UnsupportedTypeError}. `options` are the table's choices
 * (see {@link typeOptionsOf}).
 * @example
 * planColumn('agent_tasks', { name: 'cost_usd', formatted: 'numeric(12,6)', typname: 'numeric', typtype: 'b' });
 * // { athenaType: 'decimal(12,6)', duckdbType: 'DECIMAL(12,6)', … }
 */
export function planColumn(
  table: string,
  column: SourceColumn,
  options: TypeOptions = DEFAULT_TYPE_OPTIONS,
): ColumnPlan {
  const x = quoteIdent(column.name);
  const { element } = column;
  if (element) {
    const scalar = scalarFor(element.typname, element.typtype, element.formatted, options);
    if (!scalar?.inArrays) throw new UnsupportedTypeError(table, column.name, column.formatted);
    return planArray(table, column, scalar, Math.max(1, column.dimensions ?? 1));
  }
  const scalar = scalarFor(column.typname, column.typtype, column.formatted, options);
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

/**
 * An array column of `dimensions` declared dimensions: nested lists, one level per dimension
 * (`int4[][]` → `array<array<int>>`), so a 2-D value keeps its rows. PostgreSQL sends it as
 * JSON (`to_json`, nested lists of the elements' text); a value whose dimensions differ from the
 * declared ones (PostgreSQL does not enforce them) fails the export naming both. An empty array
 * is `[]` whatever its dimensions; lower bounds other than 1 are not kept (as for 1-D arrays).
 */
function planArray(
  table: string,
  column: SourceColumn,
  scalar: Scalar,
  dimensions: number,
): ColumnPlan {
  const x = quoteIdent(column.name);
  const wrap = (inner: string, open: string, close: string): string =>
    `${open.repeat(dimensions)}${inner}${close.repeat(dimensions)}`;
  // Lambda parameters per level: e (one dimension, as before), else e1, e2, …
  const param = (level: number): string => (dimensions === 1 ? 'e' : `e${level}`);
  const nested = (value: string, leaf: (e: string) => string, level = 1): string => {
    const e = param(level);
    const body = level === dimensions ? leaf(e) : nested(e, leaf, level + 1);
    return `list_transform(${value}, ${e} -> ${body})`;
  };
  const elements = (v: string): string =>
    `from_json(${v}, ${sqlString(wrap('"VARCHAR"', '[', ']'))})`;
  const dimensionsWord = `${dimensions} dimension${dimensions === 1 ? '' : 's'}`;
  const before = `cannot export ${table}.${column.name}: a value of PostgreSQL type '${column.formatted}' has `;
  const after =
    ` dimension(s); the column declares ${dimensionsWord} (pg_attribute.attndims). Declare the ` +
    `dimensions its values have (ALTER TABLE … ALTER COLUMN ${column.name} TYPE ` +
    `${column.element?.formatted ?? 'type'}[][] for 2-D values). Export a view that casts it, or ` +
    `leave the table out of the config.`;
  // The JSON text starts with one '[' per dimension (elements are strings or null), or is '[]'.
  const shape = `'^(\\[\\]$|\\[{${dimensions}}[^\\[])'`;
  const wrongShape = (v: string): string =>
    dimensions === 1 ? `starts_with(${v}, '[[')` : `NOT regexp_matches(${v}, ${shape})`;
  const leading = (v: string): string => `length(${v}) - length(ltrim(${v}, '['))`;
  return {
    name: column.name,
    sourceType: column.formatted,
    athenaType: wrap(scalar.athena, 'array<', '>'),
    duckdbType: `${scalar.duckdb}${'[]'.repeat(dimensions)}`,
    parquetType: wrap(scalar.parquet, 'LIST<', '>'),
    pgExtract: `to_json(${scalar.jsonString ? x : `${x}::text[]`})::text`,
    load: (v) =>
      `CASE WHEN ${wrongShape(v)} THEN error(${sqlString(before)} || ` +
      `CAST(${leading(v)} AS VARCHAR) || ${sqlString(after)}) ELSE ` +
      (scalar.load
        ? nested(elements(v), (e) => checkedLoad(table, column, scalar, e))
        : elements(v)) +
      ' END',
    pgCanonical: pgArrayCanonical(x, scalar, dimensions),
    duckdbCanonical:
      dimensions === 1
        ? `'[' || array_to_string(list_transform(${x}, e -> coalesce(${scalar.duckCanon('e')}, '\\N')), ',') || ']'`
        : duckArrayCanonical(x, scalar, dimensions),
  };
}

/**
 * PostgreSQL's canonical text of an array: `[a,b]` for one dimension, nested `[[a,b],[c,d]]` for
 * more (sub-arrays walked with generate_subscripts, so lower bounds do not matter), NULL
 * elements as `\N`.
 */
function pgArrayCanonical(x: string, scalar: Scalar, dimensions: number): string {
  const elementCanon = (e: string): string => `coalesce(${scalar.pgCanon(e)}, '\\N')`;
  if (dimensions === 1) {
    return (
      `CASE WHEN ${x} IS NULL THEN NULL ELSE '[' || coalesce((SELECT string_agg(${elementCanon('u.e')}, ',' ORDER BY u.i) ` +
      `FROM unnest(${x}) WITH ORDINALITY AS u(e, i)), '') || ']' END`
    );
  }
  const level = (depth: number, subscripts: readonly string[]): string => {
    if (depth === dimensions)
      return elementCanon(`${x}${subscripts.map((s) => `[${s}]`).join('')}`);
    const s = `s${depth + 1}`;
    return (
      `'[' || coalesce((SELECT string_agg(${level(depth + 1, [...subscripts, `g${depth + 1}.${s}`])}, ',' ORDER BY g${depth + 1}.${s}) ` +
      `FROM generate_subscripts(${x}, ${depth + 1}) AS g${depth + 1}(${s})), '') || ']'`
    );
  };
  return `CASE WHEN ${x} IS NULL THEN NULL ELSE ${level(0, [])} END`;
}

/** DuckDB's canonical text of a nested list, the same as {@link pgArrayCanonical}'s. */
function duckArrayCanonical(x: string, scalar: Scalar, dimensions: number): string {
  const level = (value: string, depth: number): string => {
    const e = `e${depth}`;
    const inner =
      depth === dimensions ? `coalesce(${scalar.duckCanon(e)}, '\\N')` : level(e, depth + 1);
    return `'[' || array_to_string(list_transform(${value}, ${e} -> ${inner}), ',') || ']'`;
  };
  return level(x, 1);
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
    `cannot travel). ${scalar.unfit ? `${scalar.unfit} ` : ''}Export a view that maps such ` +
    `values (e.g. to NULL), or correct the rows.`;
  return `CASE WHEN ${v} IS NULL THEN NULL ELSE coalesce(${load}, error(${sqlString(before)} || ${v} || ${sqlString(after)})) END`;
}

/** The catalog query that describes a table's columns in order, domains resolved. */
export const DESCRIBE_COLUMNS_SQL = `
SELECT a.attname AS name,
       format_type(b.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) AS formatted,
       b.typname, b.typtype,
       e.typname AS element_typname, e.typtype AS element_typtype,
       CASE WHEN e.oid IS NULL THEN NULL ELSE format_type(e.oid, a.atttypmod) END AS element_formatted,
       CASE WHEN t.typtype = 'd' THEN t.typndims ELSE a.attndims END AS dimensions
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
  /** Declared array dimensions (`attndims`; 0 for non-arrays and some derived tables). */
  dimensions?: number | string | null;
}

/**
 * Turns a catalog row into a {@link SourceColumn}. An array declared with several dimensions is
 * named with them (`integer[][]`: `format_type` writes one `[]` whatever the dimensions).
 */
export function sourceColumn(row: DescribedColumnRow): SourceColumn {
  const dimensions = row.element_typname ? Math.max(1, Number(row.dimensions ?? 1) || 1) : 1;
  return {
    name: row.name,
    formatted: dimensions > 1 ? `${row.formatted}${'[]'.repeat(dimensions - 1)}` : row.formatted,
    ...(dimensions > 1 ? { dimensions } : {}),
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
