/** The words and types the syntax rewrites recognise. */

/** Types of Trino the parser knows (as the top-level name of a type; parameters aside). */
export const PARSER_TYPES = new Set([
  'boolean',
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'real',
  'double',
  'decimal',
  'varchar',
  'char',
  'json',
  'date',
  'time',
  'timestamp',
  'uuid',
]);

/** Trino's type names (Athena engine version 3), beyond the parameterised array, map and row. */
export const TRINO_TYPES = new Set([
  ...PARSER_TYPES,
  'varbinary',
  'interval',
  'ipaddress',
  'hyperloglog',
  'p4hyperloglog',
  'qdigest',
  'tdigest',
  'setdigest',
  'geometry',
  'sphericalgeography',
  'bingtile',
]);

/** Types a typed literal (`BIGINT '1'`) may name: the parser's, and two it reads as strings. */
export const LITERAL_TYPES = new Set([...PARSER_TYPES, 'varbinary', 'ipaddress']);

/** Typed literals the parser reads as written (when their string has no backslash). */
export const PARSER_LITERAL_TYPES = new Set(['date', 'time', 'timestamp']);

/** EXTRACT fields of Trino the parser does not know (it knows YEAR … SECOND, DOW, DOY). */
export const EXTRACT_FIELDS = [
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'year_of_week',
  'yow',
  'timezone_hour',
  'timezone_minute',
];

export /** The units of an interval literal. */
const INTERVAL_UNITS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second']);

/** Comparison operators (before a quantified `ANY`/`SOME`/`ALL`). */
export const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** Keywords that end a VALUES list, a GROUP BY clause, or follow a FROM item instead of an alias. */
export const CLAUSE_KEYWORDS = new Set([
  'union',
  'intersect',
  'except',
  'order',
  'limit',
  'offset',
  'fetch',
  'having',
  'window',
]);

/** Words after a FROM item that are not its alias. */
export const NOT_AN_ALIAS = new Set([
  ...CLAUSE_KEYWORDS,
  'as',
  'cross',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'natural',
  'on',
  'using',
  'where',
  'group',
  'with',
]);
