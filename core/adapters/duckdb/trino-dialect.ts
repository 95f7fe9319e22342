/**
 * The Trino (Athena engine version 3) dialect of the local lake engine: a lake statement runs on
 * DuckDB with Trino's functions and semantics, so what a team develops locally runs unchanged on
 * Athena and gives the same result.
 *
 * How a statement is translated, in three steps:
 * 1. `normalizeTrinoSyntax` (trino-syntax.ts) rewrites the Trino syntax DuckDB's parser reads
 *    differently (typed literals, `CAST(x AS array(…))`, `if(c, a)`, `listagg … WITHIN GROUP`).
 * 2. DuckDB parses the statement and returns its parse tree as JSON (`json_serialize_sql`);
 *    {@link rewriteTrinoTree} maps every function call the user wrote through
 *    {@link LOCAL_FUNCTIONS}: a DuckDB built-in with the same semantics stays, a Trino function
 *    DuckDB lacks or implements differently becomes a `trino.*` macro (trino-macros.ts) or a
 *    rewritten expression (lambdas, constant format strings), and a function the local engine does
 *    not implement is refused with {@link LocalFunctionError}; operators get Trino's semantics
 *    (`/` and `%` on integers, division by zero, date ± interval), and so do casts.
 * 3. DuckDB turns the tree back into SQL (`json_deserialize_sql`), which then runs.
 *
 * Which function call is the user's: the parser also produces calls of its own (`count_star` for
 * `count(*)`, `date_part` for `EXTRACT`, `to_days` for `INTERVAL '1' DAY`), so a call counts as
 * the user's only when the statement's text at its position starts with its name.
 *
 * Session settings of the engine (see {@link TRINO_SETTINGS}): time zone UTC (Athena's session
 * zone) and `integer_division`, so even a `/` left as is divides integers as Trino does.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  ATHENA_FUNCTIONS,
  ATHENA_FUNCTIONS_URL,
  athenaAlternative,
} from '#core/query/athena-functions';
import {
  FormatNotSupportedError,
  javaFormatToPrintf,
  javaReplacementToRe2,
  jodaToStrftime,
  jsonPathToDuckDb,
  mysqlToStrftime,
  teradataToStrftime,
} from '#adapters/duckdb/trino-formats';
import { TRINO_ERROR_PREFIX, TRINO_MACROS, TRINO_SCHEMA } from '#adapters/duckdb/trino-macros';
import { normalizeTrinoSyntax } from '#adapters/duckdb/trino-syntax';

/** Settings of the lake engine's DuckDB instance, before its configuration is locked. */
export const TRINO_SETTINGS: readonly string[] = [
  "SET GLOBAL TimeZone = 'UTC'",
  'SET GLOBAL integer_division = true',
];

/** A function (or form of it) the statement calls that the local engine cannot run as Athena would. */
export class LocalFunctionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalFunctionError';
  }
}

/**
 * Creates the settings and the `trino.*` macros on the engine's database (once, before the
 * configuration is locked).
 * @example
 * await installTrinoDialect(setupConnection);
 */
export async function installTrinoDialect(connection: DuckDBConnection): Promise<void> {
  for (const sql of [...TRINO_SETTINGS, ...TRINO_MACROS]) await connection.run(sql);
}

/**
 * The DuckDB SQL of a Trino statement (see the module's documentation).
 * @throws LocalFunctionError when the statement calls a function, or a form of one, the local
 *   engine does not implement; other parse errors come from DuckDB as they are.
 * @example
 * await toDuckDbSql(connection, "SELECT date_format(at, '%Y-%m'), 7 / 2 FROM clicks");
 * // "SELECT strftime(\"at\", '%Y-%m'), trino.divide(7, 2) FROM clicks"
 */
export async function toDuckDbSql(connection: DuckDBConnection, sql: string): Promise<string> {
  let normalized: string;
  try {
    normalized = normalizeTrinoSyntax(sql);
  } catch (error) {
    throw new LocalFunctionError((error as Error).message);
  }
  const parse = await connection.prepare('SELECT json_serialize_sql($1::VARCHAR)');
  let serialized: string;
  try {
    parse.bindVarchar(1, normalized);
    serialized = String((await parse.runAndReadAll()).getRows()[0]?.[0] ?? '');
  } finally {
    parse.destroySync();
  }
  const tree = parseExactJson(
    serialized.replaceAll(`"query_location":${NO_LOCATION_TEXT}`, '"query_location":-1'),
  );
  if (tree.error === true) {
    throw new Error(String(tree.error_message ?? 'the statement does not parse'));
  }
  const rewritten = rewriteTrinoTree(tree, normalized);
  const json = stringifyExactJson(rewritten).replaceAll(
    '"query_location":-1',
    `"query_location":${NO_LOCATION_TEXT}`,
  );
  const print = await connection.prepare('SELECT json_deserialize_sql($1::JSON)');
  try {
    print.bindVarchar(1, json);
    return String((await print.runAndReadAll()).getRows()[0]?.[0] ?? '');
  } finally {
    print.destroySync();
  }
}

/**
 * A DuckDB error message in Trino's terms where the dialect caused it: a macro's error
 * (`Division by zero`), a macro that does not take the arguments' types.
 * @example
 * explainDuckDbError("Conversion Error: Could not convert string 'trino error: Division by zero' to INT32");
 * // 'Division by zero'
 */
export function explainDuckDbError(message: string): string {
  const raised = new RegExp(`'${TRINO_ERROR_PREFIX}((?:[^']|'')*)'`, 'u').exec(message);
  if (raised?.[1] !== undefined) return raised[1].replaceAll("''", "'");
  const macro = /Macro (?:trino\.)?(\w+)\(\) does not support the supplied arguments/u.exec(
    message,
  );
  if (macro?.[1]) {
    return `${macro[1]}() does not accept arguments of these types (as on Athena); check the function's signature at https://trino.io/docs/current/functions/list.html`;
  }
  return message.replace(/\btrino\.(\w+)/gu, '$1');
}

// ---------------------------------------------------------------------------------------------
// The parse tree

type Json = Record<string, unknown>;

/** DuckDB's "no location" (the largest uint64), which JSON numbers in JS cannot hold exactly. */
const NO_LOCATION_TEXT = '18446744073709551615';

/**
 * JSON.parse, keeping numbers JS cannot hold exactly as they are (`7.0` stays a double for DuckDB,
 * `9223372036854775807` stays exact): such a number becomes a marked string, which
 * {@link stringifyExactJson} writes back as the number.
 */
/** The mark of a number kept as its JSON text: a NUL, which no SQL text holds. */
const EXACT_MARK = String.fromCharCode(0);

function parseExactJson(text: string): Json {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/gu, (token) => {
    if (token.startsWith('"')) return token;
    const exact = /^-?\d+$/u.test(token) && Number.isSafeInteger(Number(token));
    // a NUL (escaped in JSON text) marks it: no SQL text holds one
    return exact ? token : `"\\u0000${token}"`;
  });
  return JSON.parse(marked) as Json;
}

function stringifyExactJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000([^"]*)"/gu, '$1');
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the dialect does with one Trino function. */
export type LocalFunction =
  /** DuckDB's built-in of the same name has Trino's semantics. */
  | 'native'
  /** `trino.<name>` (a macro of the same name). */
  | 'macro'
  /** A DuckDB built-in or macro under another name (keeps FILTER, ORDER BY, DISTINCT). */
  | { readonly rename: string; readonly schema?: string; readonly maxArgs?: number }
  /** A rewrite of the call. */
  | { readonly rewrite: (call: Json, context: Context) => Json };

interface Context {
  /** The statement's text as DuckDB parsed it, for positions. */
  readonly sql: Buffer;
}

const fn = (name: string, children: unknown[], schema = ''): Json => ({
  class: 'FUNCTION',
  type: 'FUNCTION',
  alias: '',
  query_location: -1,
  function_name: name,
  schema,
  children,
  filter: null,
  order_bys: { type: 'ORDER_MODIFIER', orders: [] },
  distinct: false,
  is_operator: false,
  export_state: false,
  catalog: '',
});

const trinoFn = (name: string, children: unknown[]): Json => fn(name, children, TRINO_SCHEMA);

const varchar = (value: string): Json => ({
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  query_location: -1,
  value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value },
});

const columnRef = (...names: string[]): Json => ({
  class: 'COLUMN_REF',
  type: 'COLUMN_REF',
  alias: '',
  query_location: -1,
  column_names: names,
});

const lambda = (parameter: string, body: unknown): Json => ({
  class: 'LAMBDA',
  type: 'LAMBDA',
  alias: '',
  query_location: -1,
  lhs: columnRef(parameter),
  expr: body,
});

const arrayExtract = (value: unknown, index: unknown): Json => ({
  class: 'OPERATOR',
  type: 'ARRAY_EXTRACT',
  alias: '',
  query_location: -1,
  children: [value, index],
});

const integer = (value: number): Json => ({
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  query_location: -1,
  value: { type: { id: 'INTEGER', type_info: null }, is_null: false, value },
});

function children(call: Json): Json[] {
  return Array.isArray(call.children) ? (call.children as Json[]) : [];
}

/** The value of a VARCHAR constant, or undefined. */
function constantString(node: unknown): string | undefined {
  if (!isJson(node) || node.class !== 'CONSTANT' || !isJson(node.value)) return undefined;
  const value = node.value;
  const type = isJson(value.type) ? value.type.id : undefined;
  return type === 'VARCHAR' && value.is_null !== true && typeof value.value === 'string'
    ? value.value
    : undefined;
}

/** The parameter names of a lambda (`x`, `(k, v)`), or undefined when `node` is not a lambda. */
function lambdaParameters(node: unknown): string[] | undefined {
  if (!isJson(node) || node.class !== 'LAMBDA') return undefined;
  const lhs = node.lhs;
  const name = (ref: unknown): string =>
    isJson(ref) && Array.isArray(ref.column_names) ? String(ref.column_names[0] ?? '') : '';
  if (isJson(lhs) && lhs.class === 'FUNCTION' && lhs.function_name === 'row') {
    return children(lhs).map(name);
  }
  return [name(lhs)];
}

/** `body` with the column references to `names` replaced by `values` (lambda parameters). */
function substitute(body: unknown, replacements: ReadonlyMap<string, Json>): unknown {
  if (Array.isArray(body)) return body.map((item) => substitute(item, replacements));
  if (!isJson(body)) return body;
  if (
    body.class === 'COLUMN_REF' &&
    Array.isArray(body.column_names) &&
    body.column_names.length >= 1
  ) {
    const [first, ...rest] = body.column_names as string[];
    const replacement = first === undefined ? undefined : replacements.get(first);
    if (replacement) {
      return rest.length === 0
        ? replacement
        : rest.reduce<Json>(
            (value, field) => fn('struct_extract', [value, varchar(field)]),
            replacement,
          );
    }
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) out[key] = substitute(value, replacements);
  return out;
}

/** A lambda over `fresh` that evaluates `lambdaNode`'s body with its parameters bound to `values`. */
function rebind(lambdaNode: Json, fresh: string, values: readonly Json[]): Json {
  const parameters = lambdaParameters(lambdaNode) ?? [];
  const replacements = new Map(parameters.map((p, i) => [p, values[i] ?? integer(0)] as const));
  return lambda(fresh, substitute(lambdaNode.expr, replacements));
}

function unsupported(name: string, why: string): never {
  if (!ATHENA_FUNCTIONS.has(name)) {
    const alternative = athenaAlternative(name);
    throw new LocalFunctionError(
      `${name}() does not exist on Athena (engine version 3)` +
        (alternative ? `; use ${alternative} instead` : `; see ${ATHENA_FUNCTIONS_URL}`),
    );
  }
  throw new LocalFunctionError(
    `${name}() ${why}; it runs on Athena but not on the local engine — see "Athena parity" in docs/query-api.md for what differs`,
  );
}

/** The lambda argument at `index`, or a clear error. */
function lambdaArgument(name: string, call: Json, index: number, arity: number): Json {
  const node = children(call)[index];
  const parameters = lambdaParameters(node);
  if (!isJson(node) || parameters?.length !== arity) {
    throw new LocalFunctionError(
      `${name}() takes a lambda with ${arity} parameter${arity === 1 ? '' : 's'} as argument ${index + 1}, e.g. ${arity === 1 ? 'x -> …' : '(k, v) -> …'}`,
    );
  }
  return node;
}

/** A call whose format argument (at `index`) must be a constant, converted by `convert`. */
function withFormat(
  name: string,
  target: (args: Json[]) => Json,
  index: number,
  convert: (format: string) => string,
): LocalFunction {
  return {
    rewrite: (call) => {
      const args = [...children(call)];
      const format = constantString(args[index]);
      if (format === undefined) {
        return unsupported(name, 'with a format that is not a constant string');
      }
      try {
        args[index] = varchar(convert(format));
      } catch (error) {
        if (error instanceof FormatNotSupportedError) throw new LocalFunctionError(error.message);
        throw error;
      }
      return target(args);
    },
  };
}

/** A JSON function whose path (argument 2) is converted to DuckDB's when it is a constant. */
function jsonPath(macroName: string, stripMode = false): LocalFunction {
  return {
    rewrite: (call) => {
      const args = [...children(call)];
      const path = constantString(args[1]);
      if (path !== undefined) {
        const bare = stripMode ? path.replace(/^\s*(lax|strict)\s+/iu, '') : path;
        args[1] = varchar(jsonPathToDuckDb(bare));
      }
      return trinoFn(macroName, args);
    },
  };
}

/** A map or array function applying a two-parameter lambda (k, v) to each map entry. */
function mapEntries(
  name: string,
  build: (entry: Json, body: Json) => Json,
  filter: boolean,
): LocalFunction {
  return {
    rewrite: (call) => {
      const [map] = children(call);
      const f = lambdaArgument(name, call, 1, 2);
      const entry = '__trino_entry';
      const bound = rebind(f, entry, [
        fn('struct_extract', [columnRef(entry), varchar('key')]),
        fn('struct_extract', [columnRef(entry), varchar('value')]),
      ]);
      const entries = fn('map_entries', [map]);
      const body = filter ? bound : lambda(entry, build(columnRef(entry), bound.expr as Json));
      return fn('map_from_entries', [
        fn(filter ? 'list_filter' : 'list_transform', [entries, body]),
      ]);
    },
  };
}

/** Functions whose result is a map, for cardinality(). */
const MAP_RESULTS = new Set([
  'map',
  'map_from_entries',
  'map_concat',
  'histogram',
  'map_agg',
  'multimap_agg',
  'multimap_from_entries',
  'split_to_map',
  'array_histogram',
]);

/**
 * Every Trino function the local engine runs, and how. A function not listed here is refused
 * with {@link LocalFunctionError} (the guard has already refused anything Athena lacks).
 */
export const LOCAL_FUNCTIONS: Readonly<Record<string, LocalFunction>> = {
  // math
  abs: 'native',
  acos: 'native',
  asin: 'native',
  atan: 'native',
  atan2: 'native',
  cbrt: 'macro',
  ceil: 'native',
  ceiling: 'native',
  cos: 'native',
  cosh: 'native',
  cosine_distance: 'macro',
  cosine_similarity: 'macro',
  degrees: 'native',
  e: 'macro',
  exp: 'native',
  floor: 'native',
  from_base: 'macro',
  infinity: 'macro',
  is_finite: 'macro',
  is_infinite: 'macro',
  is_nan: 'macro',
  ln: 'native',
  log: 'macro',
  log10: 'native',
  log2: 'native',
  mod: 'macro',
  nan: 'macro',
  pi: 'native',
  pow: 'native',
  power: 'native',
  radians: 'native',
  rand: { rename: 'random', schema: TRINO_SCHEMA },
  random: 'macro',
  round: 'macro',
  sign: 'native',
  sin: 'native',
  sinh: 'native',
  sqrt: 'native',
  tan: 'native',
  tanh: 'native',
  to_base: 'macro',
  truncate: 'macro',
  width_bucket: 'macro',
  // bitwise
  bit_count: 'macro',
  bitwise_and: 'macro',
  bitwise_and_agg: { rename: 'bit_and' },
  bitwise_left_shift: 'macro',
  bitwise_not: 'macro',
  bitwise_or: 'macro',
  bitwise_or_agg: { rename: 'bit_or' },
  bitwise_right_shift: 'macro',
  bitwise_right_shift_arithmetic: 'macro',
  bitwise_xor: 'macro',
  // comparison and conditional
  coalesce: 'native',
  greatest: {
    rewrite: (call) =>
      trinoFn('null_if_any_null', [
        fn('list_value', children(call)),
        fn('greatest', children(call)),
      ]),
  },
  least: {
    rewrite: (call) =>
      trinoFn('null_if_any_null', [fn('list_value', children(call)), fn('least', children(call))]),
  },
  nullif: 'native',
  try: 'native',
  // conversion
  format: {
    rewrite: (call) => {
      const [formatArg, ...values] = children(call);
      const format = constantString(formatArg);
      if (format === undefined)
        return unsupported('format', 'with a format that is not a constant string');
      let converted: ReturnType<typeof javaFormatToPrintf>;
      try {
        converted = javaFormatToPrintf(format);
      } catch (error) {
        if (error instanceof FormatNotSupportedError) throw new LocalFunctionError(error.message);
        throw error;
      }
      const args = converted.args.map((arg) => {
        const value = values[arg.index];
        if (value === undefined) {
          throw new LocalFunctionError(
            `format(${JSON.stringify(format)}, …) needs an argument for conversion ${arg.index + 1}`,
          );
        }
        const cast = trinoFn(`cast_${arg.cast.toLowerCase()}`, [value]);
        return arg.upper ? fn('upper', [cast]) : cast;
      });
      return fn('printf', [varchar(converted.format), ...args]);
    },
  },
  parse_data_size: 'macro',
  typeof: 'macro',
  // strings
  chr: 'native',
  codepoint: 'macro',
  concat: {
    rewrite: (call) => {
      const [first, ...rest] = children(call);
      if (first === undefined) return unsupported('concat', 'without arguments');
      return rest.reduce<Json>(
        (left, right) => ({ ...fn('||', [left, right]), is_operator: true }),
        first,
      );
    },
  },
  concat_ws: {
    rewrite: (call) => (children(call).length === 2 ? trinoFn('concat_ws', children(call)) : call),
  },
  ends_with: 'native',
  hamming_distance: 'macro',
  length: 'macro',
  levenshtein_distance: 'macro',
  lower: 'native',
  lpad: 'native',
  ltrim: 'macro',
  luhn_check: 'macro',
  normalize: {
    rewrite: (call) =>
      children(call).length === 1
        ? trinoFn('normalize', children(call))
        : unsupported('normalize', 'with a form other than NFC'),
  },
  position: 'native',
  replace: 'macro',
  reverse: 'macro',
  rpad: 'native',
  rtrim: 'macro',
  split: 'macro',
  split_part: 'macro',
  split_to_map: 'macro',
  starts_with: 'native',
  strpos: 'macro',
  substr: 'macro',
  substring: { rename: 'substr', schema: TRINO_SCHEMA },
  translate: 'native',
  trim: 'macro',
  upper: 'native',
  to_utf8: 'macro',
  from_utf8: {
    rewrite: (call) =>
      children(call).length === 1
        ? trinoFn('from_utf8', children(call))
        : unsupported('from_utf8', 'with a replacement character'),
  },
  // regular expressions
  regexp_count: 'macro',
  regexp_extract: 'macro',
  regexp_extract_all: 'native',
  regexp_like: 'macro',
  regexp_position: 'macro',
  regexp_replace: {
    rewrite: (call) => {
      const args = children(call);
      if (args.length === 2) return trinoFn('regexp_replace', args);
      const [s, p, r] = args;
      if (lambdaParameters(r)) return unsupported('regexp_replace', 'with a lambda');
      const replacement = constantString(r);
      if (replacement === undefined) return trinoFn('regexp_replace_dynamic', args);
      try {
        return fn('regexp_replace', [
          s,
          p,
          varchar(javaReplacementToRe2(replacement)),
          varchar('g'),
        ]);
      } catch (error) {
        if (error instanceof FormatNotSupportedError) throw new LocalFunctionError(error.message);
        throw error;
      }
    },
  },
  regexp_split: 'macro',
  // JSON
  is_json_scalar: 'macro',
  json_array_contains: 'macro',
  json_array_get: 'macro',
  json_array_length: 'macro',
  json_exists: jsonPath('json_exists', true),
  json_extract: jsonPath('json_extract'),
  json_extract_scalar: jsonPath('json_extract_scalar'),
  json_format: 'macro',
  json_parse: 'macro',
  json_query: jsonPath('json_query', true),
  json_size: jsonPath('json_size'),
  json_value: jsonPath('json_value', true),
  // arrays
  all_match: {
    rewrite: (call) =>
      trinoFn('all_match_values', [
        fn('list_transform', [children(call)[0], lambdaArgument('all_match', call, 1, 1)]),
      ]),
  },
  any_match: {
    rewrite: (call) =>
      trinoFn('any_match_values', [
        fn('list_transform', [children(call)[0], lambdaArgument('any_match', call, 1, 1)]),
      ]),
  },
  array_distinct: 'macro',
  array_except: 'macro',
  array_first: 'macro',
  array_histogram: 'macro',
  array_intersect: 'macro',
  array_join: 'macro',
  array_last: 'macro',
  array_max: 'macro',
  array_min: 'macro',
  array_position: 'macro',
  array_remove: 'macro',
  array_sort: {
    rewrite: (call) =>
      children(call).length === 1
        ? trinoFn('array_sort', children(call))
        : unsupported('array_sort', 'with a comparator lambda'),
  },
  array_union: 'macro',
  arrays_overlap: 'macro',
  cardinality: {
    rewrite: (call) => {
      const [value] = children(call);
      const producer =
        isJson(value) && value.class === 'FUNCTION' ? String(value.function_name) : '';
      return trinoFn(
        MAP_RESULTS.has(producer) ? 'cardinality_map' : 'cardinality_list',
        children(call),
      );
    },
  },
  contains: 'macro',
  contains_sequence: 'macro',
  element_at: { rewrite: (call) => arrayExtract(children(call)[0], children(call)[1]) },
  filter: {
    rewrite: (call) => fn('list_filter', [children(call)[0], lambdaArgument('filter', call, 1, 1)]),
  },
  flatten: 'native',
  ngrams: 'macro',
  none_match: {
    rewrite: (call) =>
      trinoFn('none_match_values', [
        fn('list_transform', [children(call)[0], lambdaArgument('none_match', call, 1, 1)]),
      ]),
  },
  reduce: {
    rewrite: (call) => {
      const [array, initial] = children(call);
      const input = lambdaArgument('reduce', call, 2, 2);
      const output = lambdaArgument('reduce', call, 3, 1);
      const state = fn('list_reduce', [array, input, initial]);
      return arrayExtract(fn('list_transform', [fn('list_value', [state]), output]), integer(1));
    },
  },
  repeat: 'macro',
  sequence: 'macro',
  slice: 'macro',
  transform: {
    rewrite: (call) =>
      fn('list_transform', [children(call)[0], lambdaArgument('transform', call, 1, 1)]),
  },
  trim_array: 'macro',
  zip: {
    rewrite: (call) => {
      const pair = '__trino_zipped';
      const fields = children(call).map((_, i) =>
        fn('struct_extract_at', [columnRef(pair), integer(i + 1)]),
      );
      return fn('list_transform', [fn('list_zip', children(call)), lambda(pair, namedRow(fields))]);
    },
  },
  zip_with: {
    rewrite: (call) => {
      const [left, right] = children(call);
      const f = lambdaArgument('zip_with', call, 2, 2);
      const pair = '__trino_pair';
      return fn('list_transform', [
        fn('list_zip', [left, right]),
        rebind(f, pair, [
          fn('struct_extract_at', [columnRef(pair), integer(1)]),
          fn('struct_extract_at', [columnRef(pair), integer(2)]),
        ]),
      ]);
    },
  },
  // maps
  map: 'native',
  map_concat: 'native',
  map_entries: 'native',
  map_filter: mapEntries('map_filter', (entry, body) => body, true),
  map_from_entries: 'native',
  map_keys: 'native',
  map_values: 'native',
  multimap_from_entries: 'macro',
  transform_keys: mapEntries(
    'transform_keys',
    (entry, body) =>
      fn('struct_pack', [
        { ...body, alias: 'key' },
        { ...fn('struct_extract', [entry, varchar('value')]), alias: 'value' },
      ]),
    false,
  ),
  transform_values: mapEntries(
    'transform_values',
    (entry, body) =>
      fn('struct_pack', [
        { ...fn('struct_extract', [entry, varchar('key')]), alias: 'key' },
        { ...body, alias: 'value' },
      ]),
    false,
  ),
  // aggregates
  any_value: 'native',
  approx_distinct: { rename: 'approx_count_distinct', maxArgs: 1 },
  approx_percentile: {
    rewrite: (call) => {
      if (children(call).length !== 2) return unsupported('approx_percentile', 'with weights');
      return { ...call, function_name: 'quantile_disc' };
    },
  },
  arbitrary: 'native',
  array_agg: 'native',
  avg: 'native',
  bool_and: 'native',
  bool_or: 'native',
  corr: 'native',
  count: 'native',
  count_if: 'native',
  covar_pop: 'native',
  covar_samp: 'native',
  every: { rename: 'bool_and' },
  geometric_mean: 'native',
  histogram: 'native',
  kurtosis: 'native',
  listagg: {
    rewrite: (call) => {
      const orders = isJson(call.order_bys) ? call.order_bys.orders : undefined;
      if (!Array.isArray(orders) || orders.length === 0) {
        throw new LocalFunctionError(
          "listagg() needs WITHIN GROUP (ORDER BY …) on Athena: write listagg(x, ',') WITHIN GROUP (ORDER BY x)",
        );
      }
      return { ...call, function_name: 'string_agg' };
    },
  },
  map_agg: 'macro',
  max: 'native',
  max_by: 'native',
  min: 'native',
  min_by: 'native',
  multimap_agg: 'macro',
  regr_intercept: 'native',
  regr_slope: 'native',
  skewness: 'native',
  stddev: 'native',
  stddev_pop: 'native',
  stddev_samp: 'native',
  sum: 'native',
  var_pop: 'native',
  var_samp: 'native',
  variance: 'native',
  // window
  cume_dist: 'native',
  dense_rank: 'native',
  first_value: 'native',
  lag: 'native',
  last_value: 'native',
  lead: 'native',
  nth_value: 'native',
  ntile: 'native',
  percent_rank: 'native',
  rank: 'native',
  row_number: 'native',
  // date and time
  at_timezone: 'macro',
  current_date: 'native',
  current_timestamp: 'native',
  current_timezone: 'macro',
  date: 'macro',
  date_add: 'macro',
  date_diff: 'macro',
  date_format: withFormat('date_format', (args) => fn('strftime', args), 1, mysqlToStrftime),
  date_parse: withFormat('date_parse', (args) => fn('strptime', args), 1, mysqlToStrftime),
  date_trunc: 'macro',
  day: 'native',
  day_of_month: 'macro',
  day_of_week: 'macro',
  day_of_year: 'macro',
  dow: 'macro',
  doy: 'macro',
  format_datetime: withFormat('format_datetime', (args) => fn('strftime', args), 1, jodaToStrftime),
  from_iso8601_date: 'macro',
  from_iso8601_timestamp: 'macro',
  from_iso8601_timestamp_nanos: 'macro',
  from_unixtime: 'macro',
  from_unixtime_nanos: 'macro',
  hour: 'native',
  human_readable_seconds: 'macro',
  last_day_of_month: 'macro',
  localtimestamp: 'native',
  millisecond: 'macro',
  minute: 'native',
  month: 'native',
  now: 'native',
  parse_datetime: withFormat(
    'parse_datetime',
    (args) => trinoFn('to_timestamptz', [fn('strptime', args)]),
    1,
    jodaToStrftime,
  ),
  parse_duration: 'macro',
  quarter: 'native',
  second: 'native',
  timezone_hour: 'native',
  timezone_minute: 'native',
  to_char: withFormat('to_char', (args) => fn('strftime', args), 1, teradataToStrftime),
  to_date: withFormat(
    'to_date',
    (args) => trinoFn('date', [fn('strptime', args)]),
    1,
    teradataToStrftime,
  ),
  to_iso8601: 'macro',
  to_milliseconds: 'macro',
  to_timestamp: withFormat('to_timestamp', (args) => fn('strptime', args), 1, teradataToStrftime),
  to_unixtime: 'macro',
  week: 'native',
  week_of_year: 'macro',
  with_timezone: 'macro',
  year: 'native',
  year_of_week: 'macro',
  yow: 'macro',
  // binary
  from_base64: 'native',
  from_base64url: 'macro',
  from_hex: 'macro',
  md5: 'macro',
  sha1: 'macro',
  sha256: 'macro',
  to_base64: 'native',
  to_base64url: 'macro',
  to_hex: 'macro',
  // URLs
  url_decode: 'macro',
  url_encode: 'macro',
  url_extract_fragment: 'macro',
  url_extract_host: 'macro',
  url_extract_parameter: 'macro',
  url_extract_path: 'macro',
  url_extract_port: 'macro',
  url_extract_protocol: 'macro',
  url_extract_query: 'macro',
  // other
  grouping: 'native',
  row: 'native',
  unnest: 'native',
  uuid: 'native',
};

/** Parser-made EXTRACT fields whose DuckDB meaning differs: Trino's DOW is ISO (1 = Monday). */
const EXTRACT_FIELDS: Readonly<Record<string, string>> = {
  dow: 'isodow',
  day_of_week: 'isodow',
  doy: 'doy',
  day_of_year: 'doy',
  yow: 'isoyear',
  year_of_week: 'isoyear',
  day_of_month: 'day',
  week_of_year: 'week',
};

/** Interval constructors the parser makes from `INTERVAL '…' unit`. */
const INTERVAL_CONSTRUCTORS = new Set([
  'to_years',
  'to_months',
  'to_weeks',
  'to_days',
  'to_hours',
  'to_minutes',
  'to_seconds',
  'to_milliseconds',
  'to_microseconds',
]);

/**
 * The parse tree (`json_serialize_sql`'s output) with Trino's semantics (see the module's
 * documentation); `sql` is the statement it was parsed from.
 * @throws LocalFunctionError for a function the local engine does not implement.
 */
export function rewriteTrinoTree(tree: Json, sql: string): Json {
  const context: Context = { sql: Buffer.from(sql, 'utf8') };
  const rewritten = rewriteNode(tree, context) as Json;
  const statements = Array.isArray(rewritten.statements) ? rewritten.statements : [];
  for (const statement of statements) {
    if (isJson(statement) && isJson(statement.node)) nameColumns(statement.node);
  }
  return rewritten;
}

/**
 * Athena's names for the result's unnamed columns: an expression without an alias is `_col<i>`
 * (its position), a column keeps its name — DuckDB would name it after the expression's text,
 * which the rewrite changes.
 */
function nameColumns(node: Json): void {
  if (node.type === 'SET_OPERATION_NODE' && isJson(node.left)) {
    nameColumns(node.left);
    return;
  }
  if (node.type !== 'SELECT_NODE' || !Array.isArray(node.select_list)) return;
  for (const [i, item] of (node.select_list as unknown[]).entries()) {
    if (!isJson(item)) continue;
    if (item.class === 'STAR') return;
    if (item.alias === '' && item.class !== 'COLUMN_REF') item.alias = `_col${i}`;
  }
}

function rewriteNode(node: unknown, context: Context): unknown {
  if (Array.isArray(node)) return node.map((item) => rewriteNode(item, context));
  if (!isJson(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    // A lambda's parameters (`(s, x) ->` parses as a row) are names, not expressions.
    out[key] = node.class === 'LAMBDA' && key === 'lhs' ? value : rewriteNode(value, context);
  }
  if (out.type === 'TABLE_FUNCTION') return rewriteUnnest(out);
  const rewritten = rewriteExpression(out, context);
  // A replaced expression keeps the user's alias (`CAST(x AS JSON) AS j`).
  return typeof out.alias === 'string' && out.alias !== '' && rewritten.alias !== out.alias
    ? { ...rewritten, alias: out.alias }
    : rewritten;
}

function rewriteExpression(node: Json, context: Context): Json {
  switch (node.class) {
    case 'CONSTANT':
      return rewriteConstant(node);
    case 'FUNCTION':
      return rewriteFunction(node, context);
    case 'WINDOW':
      return rewriteWindow(node);
    case 'CAST':
      return rewriteCast(node, context);
    default:
      return node;
  }
}

/** The statement's text from the node's position (a little of it), or '' without a position. */
function textAt(node: Json, context: Context): string {
  const location = node.query_location;
  if (typeof location !== 'number' || location < 0 || location >= context.sql.length) return '';
  return context.sql.subarray(location, location + 200).toString('utf8');
}

/**
 * A floating-point constant (`1.5e0`) as a cast of its text: DuckDB writes it back as `1.5`,
 * which it would read as a decimal.
 */
function rewriteConstant(constant: Json): Json {
  const value = constant.value;
  if (!isJson(value) || !isJson(value.type) || value.is_null === true) return constant;
  const id = value.type.id;
  if (id !== 'DOUBLE' && id !== 'FLOAT') return constant;
  const raw = String(value.value);
  const text = raw.startsWith(EXACT_MARK) ? raw.slice(EXACT_MARK.length) : raw;
  return {
    class: 'CAST',
    type: 'OPERATOR_CAST',
    alias: constant.alias ?? '',
    query_location: -1,
    child: varchar(text),
    cast_type: { id, type_info: null },
    try_cast: false,
  };
}

/** Whether the statement's text at the node's position matches `pattern`. */
function writtenAs(node: Json, context: Context, pattern: RegExp): boolean {
  return pattern.test(textAt(node, context));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

function rewriteFunction(call: Json, context: Context): Json {
  const name = String(call.function_name ?? '').toLowerCase();
  if (call.is_operator === true) return rewriteOperator(call, name);
  // ROW(…) and (a, b): Trino's anonymous row fields are field0, field1, … (DuckDB's are all "").
  if (name === 'row') return namedRow(children(call));
  const written = textAt(call, context);
  const userWritten = new RegExp(
    `^((?:"?[\\w$]+"?\\s*\\.\\s*)*)"?${escapeRegExp(name)}"?\\s*\\(`,
    'iu',
  ).exec(written);
  if (!userWritten) return call.schema === TRINO_SCHEMA ? call : rewriteParserCall(call, name);
  const schema = userWritten[1] ? String(call.schema ?? '') : '';
  if (schema !== '') {
    // The syntax step writes `trino.if_(…)`; any other qualified call is refused (Athena's
    // functions are unqualified, and DuckDB's own, `main.read_text`, must not run).
    if (schema === TRINO_SCHEMA && name === 'if_') return call;
    if (!Object.hasOwn(LOCAL_FUNCTIONS, name))
      unsupported(name, 'is not implemented by the local engine');
    throw new LocalFunctionError(
      `write functions without a catalog or schema: ${name}() instead of ${schema}.${name}()`,
    );
  }
  const local = Object.hasOwn(LOCAL_FUNCTIONS, name) ? LOCAL_FUNCTIONS[name] : undefined;
  if (local === undefined) {
    return unsupported(name, 'is not implemented by the local engine');
  }
  if (local === 'native') return call;
  if (local === 'macro') return { ...call, function_name: name, schema: TRINO_SCHEMA };
  if ('rename' in local) {
    const kept =
      local.maxArgs === undefined ? children(call) : children(call).slice(0, local.maxArgs);
    return { ...call, function_name: local.rename, schema: local.schema ?? '', children: kept };
  }
  return local.rewrite(call, context);
}

/**
 * `UNNEST(a, b, …)` in FROM, and `UNNEST(map)`: Trino zips several arrays (NULLs filling the
 * shorter ones) and expands a map to key and value columns; DuckDB's UNNEST table function takes
 * one array. They become a subquery of select-list unnests, which DuckDB zips the same way
 * (`WITH ORDINALITY` adds the position). One array stays DuckDB's own.
 */
function rewriteUnnest(ref: Json): Json {
  const call = ref.function;
  if (!isJson(call) || String(call.function_name).toLowerCase() !== 'unnest') return ref;
  const args = children(call);
  const isMap = (node: Json): boolean =>
    node.class === 'FUNCTION' && MAP_RESULTS.has(String(node.function_name));
  if (args.length === 1 && !isMap(args[0] as Json)) return ref;
  const columns = args.flatMap((arg) =>
    isMap(arg) ? [fn('map_keys', [arg]), fn('map_values', [arg])] : [arg],
  );
  const select = columns.map((column, i) => ({ ...fn('unnest', [column]), alias: `f${i}` }));
  if (ref.with_ordinality === 'WITH_ORDINALITY') {
    const longest = fn(
      'greatest',
      columns.map((column) => fn('len', [column])),
    );
    select.push({
      ...fn('unnest', [
        fn('range', [integer(1), { ...fn('+', [longest, integer(1)]), is_operator: true }]),
      ]),
      alias: `f${columns.length}`,
    });
  }
  return {
    type: 'SUBQUERY',
    alias: ref.alias ?? '',
    sample: null,
    query_location: -1,
    subquery: {
      node: {
        type: 'SELECT_NODE',
        modifiers: [],
        cte_map: { map: [] },
        select_list: select,
        from_table: { type: 'EMPTY', alias: '', sample: null, query_location: -1 },
        where_clause: null,
        group_expressions: [],
        group_sets: [],
        aggregate_handling: 'STANDARD_HANDLING',
        having: null,
        sample: null,
        qualify: null,
      },
      named_param_map: [],
    },
    column_name_alias: ref.column_name_alias ?? [],
  };
}

/** A struct with Trino's names for anonymous row fields: field0, field1, … */
function namedRow(values: readonly Json[]): Json {
  return fn(
    'struct_pack',
    values.map((value, i) => ({ ...value, alias: `field${i}` })),
  );
}

/** Whether `node` is a ROW(…) the rewrite named field0, field1, … */
function isAnonymousRow(node: unknown): boolean {
  return (
    isJson(node) &&
    node.class === 'FUNCTION' &&
    node.function_name === 'struct_pack' &&
    children(node).every((c, i) => c.alias === `field${i}`)
  );
}

/** Calls the parser made: EXTRACT fields with Trino's meaning, AT TIME ZONE as at_timezone. */
function rewriteParserCall(call: Json, name: string): Json {
  const args = children(call);
  if (name === 'date_part') {
    const field = constantString(args[0])?.toLowerCase();
    const mapped = field === undefined ? undefined : EXTRACT_FIELDS[field];
    if (mapped) return { ...call, children: [varchar(mapped), ...args.slice(1)] };
    return call;
  }
  if (name === 'timezone' && args.length === 2) {
    return trinoFn('at_timezone', [args[1], args[0]]);
  }
  return call;
}

function isParameter(node: unknown): boolean {
  return isJson(node) && node.class === 'PARAMETER';
}

/** Whether `node` is an interval: `INTERVAL '1' DAY`, a cast to INTERVAL, date_add's interval. */
function isInterval(node: unknown): boolean {
  if (!isJson(node)) return false;
  if (node.class === 'FUNCTION') {
    const name = String(node.function_name ?? '');
    return (
      (node.schema !== TRINO_SCHEMA && INTERVAL_CONSTRUCTORS.has(name)) ||
      (node.schema === TRINO_SCHEMA && name === 'interval_of')
    );
  }
  if (node.class === 'CAST') return isJson(node.cast_type) && node.cast_type.id === 'INTERVAL';
  if (node.class === 'CONSTANT') {
    return isJson(node.value) && isJson(node.value.type) && node.value.type.id === 'INTERVAL';
  }
  return false;
}

/** `/` and `%` with Trino's semantics; `+`/`-` of a date and an interval stay dates. */
function rewriteOperator(call: Json, name: string): Json {
  const args = children(call);
  if (args.length !== 2) return call;
  const plain = { ...call, is_operator: false, schema: TRINO_SCHEMA };
  switch (name) {
    case '/':
      return args.some(isParameter) ? call : { ...plain, function_name: 'divide' };
    case '%':
      return args.some(isParameter) ? call : { ...plain, function_name: 'mod' };
    case '+':
      return args.some(isInterval) ? { ...plain, function_name: 'add' } : call;
    case '-':
      return args.some(isInterval) ? { ...plain, function_name: 'subtract' } : call;
    default:
      return call;
  }
}

/** A window function or an aggregate used as one: only DuckDB built-ins can run with OVER. */
function rewriteWindow(window: Json): Json {
  const name = String(window.function_name ?? '').toLowerCase();
  const local = Object.hasOwn(LOCAL_FUNCTIONS, name) ? LOCAL_FUNCTIONS[name] : undefined;
  if (local === 'native') return window;
  if (local !== undefined && local !== 'macro' && 'rename' in local && local.schema === undefined) {
    return { ...window, function_name: local.rename };
  }
  return unsupported(name, 'as a window function (with OVER)');
}

/** The DuckDB type name of a cast, or undefined for a type with parameters or children. */
function castTypeId(cast: Json): string | undefined {
  const type = cast.cast_type;
  if (!isJson(type)) return undefined;
  if (type.id === 'UNBOUND' && isJson(type.type_info)) {
    return String(type.type_info.name ?? '').toUpperCase();
  }
  return typeof type.id === 'string' ? type.id : undefined;
}

const INTEGER_CASTS: Readonly<Record<string, string>> = {
  TINYINT: 'cast_tinyint',
  SMALLINT: 'cast_smallint',
  INTEGER: 'cast_integer',
  BIGINT: 'cast_bigint',
};

/** CAST and TRY_CAST written by the user: Trino's conversions to JSON, varchar and integers. */
function rewriteCast(cast: Json, context: Context): Json {
  if (!writtenAs(cast, context, /^(try_)?cast\s*\(/iu)) return cast;
  if (isJson(cast.cast_type) && cast.cast_type.id === 'STRUCT' && isAnonymousRow(cast.child)) {
    // CAST(ROW(1, 'a') AS ROW(x bigint, y varchar)) names the fields by position, as DuckDB
    // does for its unnamed row() (not for a struct whose names differ).
    const row = cast.child as Json;
    return {
      ...cast,
      child: fn(
        'row',
        children(row).map((c) => ({ ...c, alias: '' })),
        'main',
      ),
    };
  }
  const id = castTypeId(cast);
  const value = cast.child;
  const guarded = (expression: Json): Json =>
    cast.try_cast === true ? fn('try', [expression]) : expression;
  if (id === 'JSON') return guarded(fn('to_json', [value]));
  if (id === 'VARCHAR') return guarded(trinoFn('cast_varchar', [value]));
  const integerMacro = id === undefined ? undefined : INTEGER_CASTS[id];
  if (integerMacro) return guarded(trinoFn(integerMacro, [value]));
  return cast;
}
