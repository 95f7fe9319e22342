/**
 * The Trino functions of the local lake engine that are DuckDB macros: each `trino.<name>` macro
 * is an Athena (Trino) function with Trino's semantics, written in DuckDB SQL over DuckDB's
 * built-ins. Overloads by type (DuckDB picks the closest typed overload, casting implicitly, and
 * the untyped one last) give Trino's per-type behaviour: integer division for integers, a date
 * from `date_add` on a date, and so on. The statement rewrite (`trino-dialect.ts`) points calls at
 * these macros; they are created once, in the `trino` schema of the engine's in-memory database,
 * before the configuration is locked.
 *
 * The macros are plain expressions over their arguments: no table, file or setting is read, and
 * user SQL cannot create, replace or call them by name (the SQL guard rejects DDL and
 * schema-qualified function calls). Where Trino raises an error, a macro fails a cast of the
 * message `'trino error: <message>'` — deterministic, so `try(…)` catches it, as Trino's `TRY`
 * does; the engine reports the message alone.
 */

/** The schema of the macros. */
export const TRINO_SCHEMA = 'trino';

/** The prefix of an error a macro raises (see {@link trinoError}). */
export const TRINO_ERROR_PREFIX = 'trino error: ';

/** An expression that fails with `message` when evaluated, typed as `type`. */
function trinoError(message: string, type = 'INTEGER'): string {
  return `CAST('${TRINO_ERROR_PREFIX}${message.replaceAll("'", "''")}' AS ${type})`;
}

const INTEGER_TYPES = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT'];
const WHITESPACE = `chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)`;

/** `CAST(x AS T)` from an integer type, for each of them. */
function integerOverloads(body: (type: string) => string, params = '(a, b)'): string[] {
  return INTEGER_TYPES.map((type) => {
    const typed = params.replace(/\b(a|b)\b/gu, `$1 ${type}`);
    return `${typed} AS ${body(type)}`;
  });
}

/** `CREATE MACRO trino.name overload, overload, …`. */
function macro(name: string, ...overloads: string[]): string {
  return `CREATE MACRO ${TRINO_SCHEMA}.${name} ${overloads.join(',\n  ')}`;
}

/** A day-to-second or year-to-month interval of `n` `unit`s (date_add's units). */
const INTERVAL_OF = `CASE lower(unit)
    WHEN 'millisecond' THEN to_milliseconds(CAST(n AS BIGINT))
    WHEN 'second' THEN to_seconds(CAST(n AS BIGINT))
    WHEN 'minute' THEN to_minutes(CAST(n AS BIGINT))
    WHEN 'hour' THEN to_hours(CAST(n AS BIGINT))
    WHEN 'day' THEN to_days(CAST(n AS INTEGER))
    WHEN 'week' THEN to_weeks(CAST(n AS INTEGER))
    WHEN 'month' THEN to_months(CAST(n AS INTEGER))
    WHEN 'quarter' THEN to_months(CAST(n AS INTEGER) * 3)
    WHEN 'year' THEN to_years(CAST(n AS INTEGER))
    ELSE ${trinoError("'unit' is not a valid date and time unit: write millisecond, second, minute, hour, day, week, month, quarter or year", 'INTERVAL')} END`;

/** The parts of an RFC 2396 URL, by regular expression. */
const URL_AUTHORITY = `regexp_extract(url, '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)', 1)`;

/**
 * The statements that create the macros, in order (later macros may call earlier ones).
 * @example
 * for (const sql of TRINO_MACROS) await connection.run(sql);
 */
export const TRINO_MACROS: readonly string[] = [
  `CREATE SCHEMA IF NOT EXISTS ${TRINO_SCHEMA}`,

  // ---- operators -------------------------------------------------------------------------
  // Integer division truncates and fails on zero; decimal division fails on zero; floating-point
  // division follows IEEE 754 (Infinity, NaN).
  // Decimals take the DOUBLE overload (DuckDB divides decimals as doubles; a typed DECIMAL
  // parameter would cast its argument to DECIMAL(18,3)). DuckDB's integer_division setting makes
  // x / 0 NULL for doubles too, hence the explicit IEEE results.
  macro(
    'divide',
    ...integerOverloads(
      (t) =>
        `CASE WHEN b = 0 THEN ${trinoError('Division by zero', t)} ELSE CAST(a // b AS ${t}) END`,
    ),
    `(a DOUBLE, b DOUBLE) AS CASE WHEN b = 0 THEN CAST(CASE WHEN a > 0 THEN 'Infinity' WHEN a < 0 THEN '-Infinity' ELSE 'NaN' END AS DOUBLE) ELSE a / b END`,
    `(a, b) AS a / b`,
  ),
  macro(
    'mod',
    ...integerOverloads(
      (t) =>
        `CASE WHEN b = 0 THEN ${trinoError('Division by zero', t)} ELSE CAST(a % b AS ${t}) END`,
    ),
    `(a, b) AS a % b`,
  ),
  // date ± interval is a date (DuckDB makes it a timestamp).
  macro(
    'add',
    `(a DATE, b INTERVAL) AS CAST(a + b AS DATE)`,
    `(a INTERVAL, b DATE) AS CAST(a + b AS DATE)`,
    `(a, b) AS a + b`,
  ),
  macro('subtract', `(a DATE, b INTERVAL) AS CAST(a - b AS DATE)`, `(a, b) AS a - b`),

  // ---- conditional and conversion -------------------------------------------------------------
  macro('if_', `(c, a) AS CASE WHEN c THEN a END`, `(c, a, b) AS CASE WHEN c THEN a ELSE b END`),
  // CAST(double AS integer) rounds half away from zero (DuckDB rounds half to even); a string
  // must be an integer.
  ...INTEGER_TYPES.filter((t) => t !== 'HUGEINT').map((t) =>
    macro(
      `cast_${t.toLowerCase()}`,
      `(x DOUBLE) AS CAST(round(x) AS ${t})`,
      `(x VARCHAR) AS CASE WHEN regexp_matches(x, '^\\s*[+-]?\\d+\\s*$') THEN CAST(trim(x) AS ${t}) ELSE ${trinoError('Cannot cast the string to an integer: it has a fraction or is not a number', t)} END`,
      `(x) AS CAST(x AS ${t})`,
    ),
  ),
  // CAST(… AS varchar): timestamps with milliseconds, as Trino writes timestamp(3).
  macro(
    'cast_varchar',
    `(x VARCHAR) AS x`,
    `(x DATE) AS CAST(x AS VARCHAR)`,
    `(x TIMESTAMP) AS strftime(x, '%Y-%m-%d %H:%M:%S.%g')`,
    `(x TIMESTAMP WITH TIME ZONE) AS strftime(x, '%Y-%m-%d %H:%M:%S.%g') || ' UTC'`,
    `(x) AS CAST(x AS VARCHAR)`,
  ),
  macro('cast_double', `(x) AS CAST(x AS DOUBLE)`),
  macro('to_timestamptz', `(x) AS CAST(x AS TIMESTAMP WITH TIME ZONE)`),
  // greatest and least are NULL when any argument is (DuckDB skips NULLs).
  macro(
    'null_if_any_null',
    `(vs, result) AS CASE WHEN list_count(vs) < len(vs) THEN NULL ELSE result END`,
  ),
  macro(
    'typeof',
    `(x) AS lower(regexp_replace(regexp_replace(regexp_replace(regexp_replace(typeof(x),
      '^FLOAT$', 'real'), '^TIMESTAMP WITH TIME ZONE$', 'timestamp(3) with time zone'),
      '^TIMESTAMP$', 'timestamp(3)'), '^BLOB$', 'varbinary'))`,
  ),

  // ---- math ------------------------------------------------------------------------------
  // Refined by one Newton step: DuckDB's cbrt(27) is 3.0000000000000004, Java's is 3.0.
  macro(
    'cbrt',
    `(x) AS CASE WHEN CAST(x AS DOUBLE) = 0 OR NOT isfinite(CAST(x AS DOUBLE)) THEN cbrt(x)
      ELSE cbrt(x) - (cbrt(x) * cbrt(x) * cbrt(x) - x) / (3 * cbrt(x) * cbrt(x)) END`,
  ),
  macro('e', `() AS exp(1)`),
  macro('infinity', `() AS CAST('Infinity' AS DOUBLE)`),
  macro('nan', `() AS CAST('NaN' AS DOUBLE)`),
  macro('is_finite', `(x) AS isfinite(x)`),
  macro('is_infinite', `(x) AS isinf(x)`),
  macro('is_nan', `(x) AS isnan(x)`),
  macro('log', `(b, x) AS ln(x) / ln(b)`),
  // round(x, d) and truncate(x, d) keep a decimal's scale (DuckDB narrows it): adding the
  // decimal zero x - x widens the scale back, in the branch a decimal takes. Trino's round of an
  // integer to d places returns it unchanged.
  macro(
    'round',
    `(x) AS round(x)`,
    ...INTEGER_TYPES.map((t) => `(x ${t}, d) AS x`),
    `(x, d) AS CASE WHEN starts_with(typeof(x), 'DECIMAL') THEN round(x, d) + (x - x) ELSE round(x, d) END`,
  ),
  macro(
    'truncate',
    `(x) AS trunc(x)`,
    `(x, d) AS CASE WHEN starts_with(typeof(x), 'DECIMAL') THEN trunc(x, d) + (x - x) ELSE trunc(x, d) END`,
  ),
  macro(
    'random',
    `() AS random()`,
    `(n) AS CAST(floor(random() * n) AS BIGINT)`,
    `(m, n) AS CAST(m + floor(random() * (n - m)) AS BIGINT)`,
  ),
  macro(
    'width_bucket',
    `(x, bins) AS CAST(len(list_filter(bins, b -> b <= x)) AS BIGINT)`,
    `(x, lo, hi, n) AS CAST(CASE WHEN x < lo THEN 0 WHEN x >= hi THEN n + 1
      ELSE floor((CAST(x AS DOUBLE) - lo) * n / (hi - lo)) + 1 END AS BIGINT)`,
  ),
  macro(
    'from_base',
    `(s, radix) AS CASE WHEN starts_with(s, '-') THEN -1 ELSE 1 END * list_reduce(
      list_transform(string_split(lower(ltrim(s, '-')), ''),
        c -> CASE WHEN strpos('0123456789abcdefghijklmnopqrstuvwxyz', c) BETWEEN 1 AND radix
          THEN CAST(strpos('0123456789abcdefghijklmnopqrstuvwxyz', c) - 1 AS BIGINT)
          ELSE ${trinoError('Not a valid base-n number', 'BIGINT')} END),
      (acc, d) -> acc * radix + d, CAST(0 AS BIGINT))`,
  ),
  macro(
    'to_base',
    `(x, radix) AS CASE WHEN x < 0 THEN '-' || lower(to_base(-x, radix)) ELSE lower(to_base(x, radix)) END`,
  ),
  macro('cosine_similarity', `(a, b) AS list_cosine_similarity(a, b)`),
  macro('cosine_distance', `(a, b) AS list_cosine_distance(a, b)`),
  macro(
    'bit_count',
    `(x, bits) AS CAST(CASE WHEN bits >= 64 THEN bit_count(CAST(x AS BIGINT))
      ELSE bit_count(CAST(x AS BIGINT) & ((CAST(1 AS BIGINT) << bits) - 1)) END AS BIGINT)`,
  ),
  macro('bitwise_and', `(a, b) AS CAST(a AS BIGINT) & CAST(b AS BIGINT)`),
  macro('bitwise_or', `(a, b) AS CAST(a AS BIGINT) | CAST(b AS BIGINT)`),
  macro('bitwise_xor', `(a, b) AS xor(CAST(a AS BIGINT), CAST(b AS BIGINT))`),
  macro('bitwise_not', `(a) AS ~CAST(a AS BIGINT)`),
  macro('bitwise_left_shift', `(v, s) AS CASE WHEN s >= 64 THEN v - v ELSE v << s END`),
  macro('bitwise_right_shift', `(v, s) AS CASE WHEN s >= 64 THEN v - v ELSE v >> s END`),
  macro(
    'bitwise_right_shift_arithmetic',
    `(v, s) AS CASE WHEN s >= 64 THEN CASE WHEN v < 0 THEN v - v - 1 ELSE v - v END ELSE v >> s END`,
  ),
  macro('bitwise_and_agg', `(x) AS bit_and(CAST(x AS BIGINT))`),
  macro('bitwise_or_agg', `(x) AS bit_or(CAST(x AS BIGINT))`),

  // ---- strings ---------------------------------------------------------------------------
  macro('codepoint', `(s) AS CAST(unicode(s) AS INTEGER)`),
  macro(
    'concat_ws',
    `(sep, x VARCHAR[]) AS array_to_string(x, sep)`,
    `(sep, x) AS concat_ws(sep, x)`,
  ),
  macro('hamming_distance', `(a, b) AS CAST(hamming(a, b) AS BIGINT)`),
  macro('levenshtein_distance', `(a, b) AS CAST(levenshtein(a, b) AS BIGINT)`),
  macro(
    'length',
    `(s VARCHAR) AS CAST(length(s) AS BIGINT)`,
    `(s BLOB) AS CAST(octet_length(s) AS BIGINT)`,
  ),
  macro('trim', `(s) AS trim(s, ${WHITESPACE})`, `(s, chars) AS trim(s, chars)`),
  macro('ltrim', `(s) AS ltrim(s, ${WHITESPACE})`, `(s, chars) AS ltrim(s, chars)`),
  macro('rtrim', `(s) AS rtrim(s, ${WHITESPACE})`, `(s, chars) AS rtrim(s, chars)`),
  macro(
    'replace',
    `(s, search) AS replace(s, search, '')`,
    `(s, search, r) AS replace(s, search, r)`,
  ),
  macro(
    'reverse',
    `(s VARCHAR) AS reverse(s)`,
    `(s BLOB) AS unhex(array_to_string(list_reverse(regexp_extract_all(hex(s), '..')), ''))`,
    `(x) AS list_reverse(x)`,
  ),
  macro(
    'split',
    `(s, d) AS string_split(s, d)`,
    `(s, d, n) AS CASE WHEN n <= 0 THEN ${trinoError('Limit must be positive', 'VARCHAR[]')}
      WHEN len(string_split(s, d)) <= n THEN string_split(s, d)
      ELSE list_append(string_split(s, d)[1:n - 1], array_to_string(string_split(s, d)[n:], d)) END`,
  ),
  macro(
    'split_part',
    `(s, d, i) AS CASE WHEN i <= 0 THEN ${trinoError('Index must be greater than zero', 'VARCHAR')}
      WHEN i <= len(string_split(s, d)) THEN split_part(s, d, i) END`,
  ),
  macro(
    'split_to_map',
    `(s, entry, kv) AS map_from_entries(list_transform(string_split(s, entry),
      p -> CASE WHEN strpos(p, kv) > 0 THEN {'key': substr(p, 1, strpos(p, kv) - 1), 'value': substr(p, strpos(p, kv) + length(kv))}
        ELSE {'key': ${trinoError('Key-value delimiter must appear exactly once in each entry', 'VARCHAR')}, 'value': NULL} END))`,
  ),
  macro(
    'strpos',
    `(s, sub) AS CAST(strpos(s, sub) AS BIGINT)`,
    `(s, sub, n) AS CAST(CASE
      WHEN n = 0 THEN ${trinoError("'instance' must be a positive or negative number", 'BIGINT')}
      WHEN n > 0 AND len(string_split(s, sub)) > n THEN length(array_to_string(string_split(s, sub)[1:n], sub)) + 1
      WHEN n < 0 AND len(string_split(s, sub)) > -n
        THEN length(array_to_string(string_split(s, sub)[1:len(string_split(s, sub)) + n], sub)) + 1
      ELSE 0 END AS BIGINT)`,
  ),
  macro(
    'substr',
    `(s, start) AS CASE WHEN start = 0 OR abs(start) > length(s) THEN '' ELSE substring(s, start) END`,
    `(s, start, n) AS CASE WHEN start = 0 OR abs(start) > length(s) THEN '' ELSE substring(s, start, n) END`,
  ),
  macro(
    'luhn_check',
    `(s) AS CASE WHEN NOT regexp_matches(s, '^[0-9]+$') THEN NULL ELSE list_sum(list_transform(
      list_reverse(list_transform(string_split(s, ''), c -> CAST(c AS INTEGER))),
      (d, i) -> CASE WHEN i % 2 = 0 THEN CASE WHEN d * 2 > 9 THEN d * 2 - 9 ELSE d * 2 END ELSE d END)) % 10 = 0 END`,
  ),
  macro('normalize', `(s) AS nfc_normalize(s)`),
  macro('to_utf8', `(s) AS encode(s)`),
  macro('from_utf8', `(b) AS decode(b)`),

  // ---- regular expressions (DuckDB's are RE2; Trino's Java's) ------------------------------
  macro('regexp_like', `(s, p) AS regexp_matches(s, p)`),
  macro('regexp_count', `(s, p) AS CAST(len(regexp_extract_all(s, p)) AS BIGINT)`),
  macro(
    'regexp_extract',
    `(s, p) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p) END`,
    `(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END`,
  ),
  macro('regexp_split', `(s, p) AS regexp_split_to_array(s, p)`),
  // The 1-based position of the n-th match at or after `start`, -1 when there is none: the length
  // of the text before it (the pieces between matches, and the matches before it) plus one.
  macro(
    'regexp_position_n',
    `(s, p, start, n) AS CAST(CASE
      WHEN start < 1 OR n < 1 THEN ${trinoError('start and occurrence must be positive', 'BIGINT')}
      WHEN len(regexp_extract_all(substr(s, start), p)) < n THEN -1
      ELSE start + length(array_to_string(regexp_split_to_array(substr(s, start), p)[1:n], ''))
        + length(array_to_string(regexp_extract_all(substr(s, start), p)[1:n - 1], '')) END AS BIGINT)`,
  ),
  macro(
    'regexp_position',
    `(s, p) AS trino.regexp_position_n(s, p, 1, 1)`,
    `(s, p, start) AS trino.regexp_position_n(s, p, start, 1)`,
    `(s, p, start, n) AS trino.regexp_position_n(s, p, start, n)`,
  ),
  macro('regexp_replace', `(s, p) AS regexp_replace(s, p, '', 'g')`),
  // A replacement that is not a constant: Java's $n group references become RE2's \\n.
  macro(
    'regexp_replace_dynamic',
    `(s, p, r) AS regexp_replace(s, p, regexp_replace(r, '\\$(\\d)', '\\\\\\1', 'g'), 'g')`,
  ),

  // ---- JSON ------------------------------------------------------------------------------
  macro(
    'json_extract_scalar',
    `(j, path) AS CASE WHEN json_type(j, path) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, path) END`,
  ),
  macro('json_extract', `(j, path) AS json_extract(j, path)`),
  macro('json_parse', `(s) AS json(s)`),
  macro('json_format', `(j) AS CAST(j AS VARCHAR)`),
  macro('json_array_length', `(j) AS CAST(json_array_length(j) AS BIGINT)`),
  macro('json_array_contains', `(j, v) AS list_contains(json_extract(j, '$[*]'), to_json(v))`),
  macro(
    'json_array_get',
    `(j, i) AS CASE WHEN json_type(j, '$[' || CASE WHEN i < 0 THEN '#' || i ELSE CAST(i AS VARCHAR) END || ']') = 'VARCHAR'
      THEN json_extract_string(j, '$[' || CASE WHEN i < 0 THEN '#' || i ELSE CAST(i AS VARCHAR) END || ']')
      ELSE CAST(json_extract(j, '$[' || CASE WHEN i < 0 THEN '#' || i ELSE CAST(i AS VARCHAR) END || ']') AS VARCHAR) END`,
  ),
  macro(
    'json_size',
    `(j, path) AS CAST(CASE json_type(j, path) WHEN 'ARRAY' THEN json_array_length(j, path)
      WHEN 'OBJECT' THEN len(json_keys(j, path)) WHEN NULL THEN NULL ELSE 0 END AS BIGINT)`,
  ),
  macro('is_json_scalar', `(j) AS json_type(j) NOT IN ('OBJECT', 'ARRAY')`),
  macro('json_value', `(j, path) AS trino.json_extract_scalar(j, path)`),
  macro('json_query', `(j, path) AS CAST(json_extract(j, path) AS VARCHAR)`),
  macro('json_exists', `(j, path) AS json_exists(j, path)`),

  // ---- arrays ----------------------------------------------------------------------------
  macro('contains', `(a, e) AS list_contains(a, e)`),
  macro('array_distinct', `(a) AS list_filter(a, (e, i) -> list_position(a, e) = i)`),
  macro('array_union', `(a, b) AS trino.array_distinct(list_concat(a, b))`),
  macro(
    'array_intersect',
    `(a, b) AS trino.array_distinct(list_filter(a, e -> list_contains(b, e)))`,
  ),
  macro(
    'array_except',
    `(a, b) AS trino.array_distinct(list_filter(a, e -> NOT list_contains(b, e)))`,
  ),
  macro('array_max', `(a) AS CASE WHEN list_count(a) < len(a) THEN NULL ELSE list_max(a) END`),
  macro('array_min', `(a) AS CASE WHEN list_count(a) < len(a) THEN NULL ELSE list_min(a) END`),
  macro('array_position', `(a, e) AS CAST(coalesce(list_position(a, e), 0) AS BIGINT)`),
  macro('array_remove', `(a, e) AS list_filter(a, v -> v IS NULL OR v <> e)`),
  macro('array_sort', `(a) AS list_sort(a, 'ASC', 'NULLS LAST')`),
  macro('arrays_overlap', `(a, b) AS list_has_any(a, b)`),
  macro(
    'array_join',
    `(a, d) AS array_to_string(a, d)`,
    `(a, d, r) AS array_to_string(list_transform(a, e -> coalesce(CAST(e AS VARCHAR), r)), d)`,
  ),
  macro('array_first', `(a) AS a[1]`),
  macro('array_last', `(a) AS a[-1]`),
  macro(
    'array_histogram',
    `(a) AS map_from_entries(list_transform(trino.array_distinct(list_filter(a, e -> e IS NOT NULL)),
      k -> {'key': k, 'value': CAST(len(list_filter(a, e -> e = k)) AS BIGINT)}))`,
  ),
  macro('cardinality_list', `(a) AS CAST(len(a) AS BIGINT)`),
  macro('cardinality_map', `(m) AS CAST(len(map_keys(m)) AS BIGINT)`),
  macro(
    'slice',
    `(a, start, n) AS CASE WHEN start = 0 THEN list_slice(a, ${trinoError('SQL array indices start at 1')}, 0)
      WHEN n < 0 THEN list_slice(a, ${trinoError('length must be greater than or equal to 0')}, 0) WHEN start > 0
      THEN list_slice(a, start, start + n - 1)
      ELSE list_slice(a, len(a) + start + 1, len(a) + start + n) END`,
  ),
  macro('trim_array', `(a, n) AS list_slice(a, 1, len(a) - n)`),
  macro('repeat', `(e, n) AS list_transform(range(n), i -> e)`),
  macro(
    'ngrams',
    `(a, n) AS list_transform(range(0, greatest(len(a) - n, 0) + 1), i -> list_slice(a, i + 1, i + n))`,
  ),
  macro(
    'contains_sequence',
    `(a, s) AS len(s) = 0 OR list_contains(list_transform(range(0, greatest(len(a) - len(s) + 1, 0)), i -> list_slice(a, i + 1, i + len(s))), s)`,
  ),
  macro(
    'sequence',
    `(a DATE, b DATE) AS CAST(generate_series(CAST(a AS TIMESTAMP), CAST(b AS TIMESTAMP), to_days(CASE WHEN a <= b THEN 1 ELSE -1 END)) AS DATE[])`,
    `(a, b) AS generate_series(CAST(a AS BIGINT), CAST(b AS BIGINT), CASE WHEN a <= b THEN 1 ELSE -1 END)`,
    `(a DATE, b DATE, step) AS CAST(generate_series(CAST(a AS TIMESTAMP), CAST(b AS TIMESTAMP), step) AS DATE[])`,
    `(a TIMESTAMP, b TIMESTAMP, step) AS generate_series(a, b, step)`,
    `(a, b, step) AS generate_series(CAST(a AS BIGINT), CAST(b AS BIGINT), CAST(step AS BIGINT))`,
  ),
  // any_match / all_match / none_match over the predicate's values (the rewrite applies the
  // lambda with list_transform): true, false, or NULL when undecided by NULLs.
  macro(
    'any_match_values',
    `(t) AS CASE WHEN list_contains(t, true) THEN true WHEN list_count(t) < len(t) THEN NULL ELSE false END`,
  ),
  macro(
    'all_match_values',
    `(t) AS CASE WHEN list_contains(t, false) THEN false WHEN list_count(t) < len(t) THEN NULL ELSE true END`,
  ),
  macro(
    'none_match_values',
    `(t) AS CASE WHEN list_contains(t, true) THEN false WHEN list_count(t) < len(t) THEN NULL ELSE true END`,
  ),

  // ---- maps ------------------------------------------------------------------------------
  macro(
    'multimap_from_entries',
    `(a) AS map_from_entries(list_transform(trino.array_distinct(list_transform(a, e -> struct_extract_at(e, 1))),
      k -> {'key': k, 'value': list_transform(list_filter(a, e -> struct_extract_at(e, 1) = k), e -> struct_extract_at(e, 2))}))`,
  ),

  // ---- aggregates ------------------------------------------------------------------------
  macro('every', `(x) AS bool_and(x)`),
  macro('approx_distinct', `(x) AS approx_count_distinct(x)`, `(x, e) AS approx_count_distinct(x)`),
  macro('approx_percentile', `(x, p) AS quantile_disc(x, p)`),
  macro(
    'map_agg',
    `(k, v) AS map_from_entries(list({'key': k, 'value': v}) FILTER (WHERE k IS NOT NULL))`,
  ),
  macro(
    'multimap_agg',
    `(k, v) AS trino.multimap_from_entries(list(row(k, v)) FILTER (WHERE k IS NOT NULL))`,
  ),

  // ---- date and time ---------------------------------------------------------------------
  macro('current_timezone', `() AS 'UTC'`),
  macro('date', `(x) AS CAST(x AS DATE)`),
  macro('last_day_of_month', `(x) AS last_day(x)`),
  macro('from_iso8601_timestamp', `(s) AS CAST(s AS TIMESTAMP WITH TIME ZONE)`),
  macro('from_iso8601_timestamp_nanos', `(s) AS CAST(s AS TIMESTAMP WITH TIME ZONE)`),
  macro(
    'from_iso8601_date',
    `(s) AS CASE
      WHEN regexp_matches(s, '^\\d{4}-W\\d{2}(-\\d)?$') THEN CAST(
        make_date(CAST(s[1:4] AS INTEGER), 1, 4)
        - to_days(CAST(isodow(make_date(CAST(s[1:4] AS INTEGER), 1, 4)) AS INTEGER) - 1)
        + to_days((CAST(s[7:8] AS INTEGER) - 1) * 7 + coalesce(CAST(nullif(s[10:10], '') AS INTEGER), 1) - 1) AS DATE)
      WHEN regexp_matches(s, '^\\d{4}-\\d{3}$') THEN CAST(make_date(CAST(s[1:4] AS INTEGER), 1, 1)
        + to_days(CAST(s[6:8] AS INTEGER) - 1) AS DATE)
      ELSE CAST(s AS DATE) END`,
  ),
  // Trino's from_unixtime keeps milliseconds, rounded.
  macro(
    'unixtime_instant',
    `(x) AS CAST(make_timestamp(CAST(round(x * 1000) AS BIGINT) * 1000) AS TIMESTAMP WITH TIME ZONE)`,
  ),
  macro(
    'from_unixtime',
    `(x) AS trino.unixtime_instant(x)`,
    `(x, zone) AS timezone(zone, trino.unixtime_instant(x))`,
    `(x, h, m) AS make_timestamp(CAST(round(x * 1000) AS BIGINT) * 1000) + to_hours(CAST(h AS BIGINT)) + to_minutes(CAST(m AS BIGINT))`,
  ),
  macro(
    'from_unixtime_nanos',
    `(x) AS CAST(make_timestamp(CAST(x AS BIGINT) // 1000) AS TIMESTAMP WITH TIME ZONE)`,
  ),
  macro('to_unixtime', `(x) AS epoch(x)`),
  macro('to_milliseconds', `(i) AS CAST(round(epoch(i) * 1000) AS BIGINT)`),
  macro(
    'to_iso8601',
    `(x DATE) AS strftime(x, '%Y-%m-%d')`,
    `(x TIMESTAMP) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%g')`,
    `(x TIMESTAMP WITH TIME ZONE) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  ),
  // Zone-aware values are wall-clock times locally (docs/query-api.md, "Known differences").
  macro('at_timezone', `(x, zone) AS timezone(zone, CAST(x AS TIMESTAMP WITH TIME ZONE))`),
  macro('with_timezone', `(x, zone) AS CAST(x AS TIMESTAMP)`),
  macro(
    'date_trunc',
    `(unit, x DATE) AS CAST(date_trunc(unit, x) AS DATE)`,
    `(unit, x) AS date_trunc(unit, x)`,
  ),
  macro('interval_of', `(unit, n) AS ${INTERVAL_OF}`),
  macro(
    'date_add',
    `(unit, n, x DATE) AS CASE WHEN lower(unit) IN ('millisecond', 'second', 'minute', 'hour')
      THEN ${trinoError("'unit' is not a valid DATE field: use day, week, month, quarter or year", 'DATE')}
      ELSE CAST(x + trino.interval_of(unit, n) AS DATE) END`,
    `(unit, n, x) AS x + trino.interval_of(unit, n)`,
  ),
  macro('date_diff', `(unit, a, b) AS date_sub(lower(unit), a, b)`),
  macro('day_of_month', `(x) AS day(x)`),
  macro('day_of_week', `(x) AS isodow(x)`),
  macro('dow', `(x) AS isodow(x)`),
  macro('day_of_year', `(x) AS dayofyear(x)`),
  macro('doy', `(x) AS dayofyear(x)`),
  macro('week_of_year', `(x) AS week(x)`),
  macro('year_of_week', `(x) AS isoyear(x)`),
  macro('yow', `(x) AS isoyear(x)`),
  macro('millisecond', `(x) AS millisecond(x) % 1000`),
  macro(
    'parse_duration',
    `(s) AS to_milliseconds(CAST(round(
      CAST(regexp_extract(s, '^\\s*(\\d+(?:\\.\\d+)?)\\s*([a-z]+)\\s*$', 1) AS DOUBLE) *
      CASE regexp_extract(s, '^\\s*(\\d+(?:\\.\\d+)?)\\s*([a-z]+)\\s*$', 2)
        WHEN 'ns' THEN 0.000001 WHEN 'us' THEN 0.001 WHEN 'ms' THEN 1 WHEN 's' THEN 1000
        WHEN 'm' THEN 60000 WHEN 'h' THEN 3600000 WHEN 'd' THEN 86400000
        ELSE ${trinoError('Not a valid duration: write a number and a unit (ns, us, ms, s, m, h, d)', 'DOUBLE')} END) AS BIGINT))`,
  ),
  macro(
    'human_readable_seconds',
    `(x) AS CASE WHEN x IS NULL THEN NULL ELSE coalesce(nullif(concat_ws(', ',
      CASE WHEN CAST(round(x) AS BIGINT) // 604800 > 0 THEN (CAST(round(x) AS BIGINT) // 604800) || ' week' || CASE WHEN CAST(round(x) AS BIGINT) // 604800 = 1 THEN '' ELSE 's' END END,
      CASE WHEN CAST(round(x) AS BIGINT) % 604800 // 86400 > 0 THEN (CAST(round(x) AS BIGINT) % 604800 // 86400) || ' day' || CASE WHEN CAST(round(x) AS BIGINT) % 604800 // 86400 = 1 THEN '' ELSE 's' END END,
      CASE WHEN CAST(round(x) AS BIGINT) % 86400 // 3600 > 0 THEN (CAST(round(x) AS BIGINT) % 86400 // 3600) || ' hour' || CASE WHEN CAST(round(x) AS BIGINT) % 86400 // 3600 = 1 THEN '' ELSE 's' END END,
      CASE WHEN CAST(round(x) AS BIGINT) % 3600 // 60 > 0 THEN (CAST(round(x) AS BIGINT) % 3600 // 60) || ' minute' || CASE WHEN CAST(round(x) AS BIGINT) % 3600 // 60 = 1 THEN '' ELSE 's' END END,
      CASE WHEN CAST(round(x) AS BIGINT) % 60 > 0 THEN (CAST(round(x) AS BIGINT) % 60) || ' second' || CASE WHEN CAST(round(x) AS BIGINT) % 60 = 1 THEN '' ELSE 's' END END
    ), ''), '0 seconds') END`,
  ),

  // ---- binary ----------------------------------------------------------------------------
  macro('from_hex', `(s) AS unhex(s)`),
  macro('to_hex', `(b) AS to_hex(b)`),
  macro('to_base64url', `(b) AS replace(replace(to_base64(b), '+', '-'), '/', '_')`),
  macro('from_base64url', `(s) AS from_base64(replace(replace(s, '-', '+'), '_', '/'))`),
  macro('md5', `(b BLOB) AS unhex(md5(b))`),
  macro('sha1', `(b BLOB) AS unhex(sha1(b))`),
  macro('sha256', `(b BLOB) AS unhex(sha256(b))`),

  // ---- URLs (RFC 2396: [protocol:][//host[:port]][path][?query][#fragment]) ---------------
  macro(
    'url_extract_protocol',
    `(url) AS CASE WHEN regexp_matches(url, '^[A-Za-z][A-Za-z0-9+.-]*:') THEN regexp_extract(url, '^([A-Za-z][A-Za-z0-9+.-]*):', 1) END`,
  ),
  macro(
    'url_extract_host',
    `(url) AS CASE WHEN regexp_matches(url, '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//') THEN nullif(regexp_extract(${URL_AUTHORITY}, '^(?:[^@]*@)?(\\[[^\\]]*\\]|[^:]*)', 1), '') END`,
  ),
  macro(
    'url_extract_port',
    `(url) AS CAST(nullif(regexp_extract(${URL_AUTHORITY}, ':(\\d+)$', 1), '') AS BIGINT)`,
  ),
  macro(
    'url_extract_path',
    `(url) AS regexp_extract(url, '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?([^?#]*)', 1)`,
  ),
  macro(
    'url_extract_query',
    `(url) AS CASE WHEN regexp_matches(url, '^[^#]*\\?') THEN regexp_extract(url, '^[^#]*?\\?([^#]*)', 1) END`,
  ),
  macro(
    'url_extract_fragment',
    `(url) AS CASE WHEN strpos(url, '#') > 0 THEN substr(url, strpos(url, '#') + 1) END`,
  ),
  macro(
    'url_extract_parameter',
    `(url, name) AS list_transform(list_filter(string_split(trino.url_extract_query(url), '&'),
      p -> split_part(p, '=', 1) = name), p -> CASE WHEN strpos(p, '=') > 0 THEN substr(p, strpos(p, '=') + 1) ELSE '' END)[1]`,
  ),
  macro(
    'url_encode',
    `(s) AS replace(replace(replace(url_encode(s), '%20', '+'), '%2A', '*'), '~', '%7E')`,
  ),
  macro('url_decode', `(s) AS url_decode(replace(s, '+', ' '))`),

  // ---- misc ------------------------------------------------------------------------------
  macro(
    'parse_data_size',
    `(s) AS CAST(floor(CAST(regexp_extract(s, '^\\s*(\\d+(?:\\.\\d+)?)\\s*([kMGTPEZY]?B)\\s*$', 1) AS DOUBLE) *
      power(1024, CASE regexp_extract(s, '^\\s*(\\d+(?:\\.\\d+)?)\\s*([kMGTPEZY]?B)\\s*$', 2)
        WHEN 'B' THEN 0 WHEN 'kB' THEN 1 WHEN 'MB' THEN 2 WHEN 'GB' THEN 3 WHEN 'TB' THEN 4
        WHEN 'PB' THEN 5 WHEN 'EB' THEN 6 WHEN 'ZB' THEN 7 WHEN 'YB' THEN 8
        ELSE ${trinoError('Not a valid data size: write a number and a unit (B, kB, MB, GB, TB, PB, EB, ZB, YB)', 'INTEGER')} END)) AS DECIMAL(38, 0))`,
  ),
];
