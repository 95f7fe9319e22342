/**
 * Athena's function list, for the SQL guard: a lake statement may call only functions Athena
 * (engine version 3) has, so what passes locally — where DuckDB stands in for Athena — is valid on
 * Athena too. Athena engine version 3 takes its functions from Trino; the list is the Trino
 * documentation's "List of functions and operators" (https://trino.io/docs/current/functions/list.html)
 * plus Athena's own `invoker_principal`, and the SQL forms the guard's parser reports as function
 * calls (`ROW(…)`, `ROLLUP`, `CUBE`, `UNNEST`, `current_date`, …). Names are lowercase.
 *
 * For names Athena does not have but DuckDB or PostgreSQL users write out of habit (`strftime`,
 * `list_extract`, `epoch`, …), {@link athenaAlternative} names the Athena function to use.
 */

/** The function list of Trino's documentation, which Athena engine version 3 follows. */
const TRINO_FUNCTIONS = `
abs acos all_match any_match any_value approx_distinct approx_most_frequent approx_percentile
approx_set arbitrary array_agg array_distinct array_except array_first array_histogram
array_intersect array_join array_last array_max array_min array_position array_remove array_sort
array_union arrays_overlap asin at_timezone atan atan2 avg
bar beta_cdf bing_tile bing_tile_at bing_tile_coordinates bing_tile_polygon bing_tile_quadkey
bing_tile_zoom_level bing_tiles_around bit_count bitwise_and bitwise_and_agg bitwise_left_shift
bitwise_not bitwise_or bitwise_or_agg bitwise_right_shift bitwise_right_shift_arithmetic
bitwise_xor bool_and bool_or
cardinality cast cbrt ceil ceiling char2hexint checksum chr classify classifier coalesce codepoint
collect color combinations concat concat_ws contains contains_sequence convex_hull_agg corr cos
cosh cosine_distance cosine_similarity count count_if covar_pop covar_samp crc32 cume_dist
current_date current_groups current_time current_timestamp current_timezone current_user
date date_add date_diff date_format date_parse date_trunc day day_of_month day_of_week
day_of_year degrees dense_rank dow doy
e element element_at empty_approx_set ends_with evaluate_classifier_predictions every extract exp
features filter first first_value flatten floor format format_datetime format_number from_base
from_base32 from_base64 from_base64url from_big_endian_32 from_big_endian_64
from_encoded_polyline from_geojson_geometry from_hex from_ieee754_32 from_ieee754_64
from_iso8601_date from_iso8601_timestamp from_iso8601_timestamp_nanos from_unixtime
from_unixtime_nanos from_utf8 fusion
geometric_mean geometry_collect_agg geometry_from_hadoop_shape geometry_invalid_reason
geometry_nearest_points geometry_to_bing_tiles geometry_union geometry_union_agg
great_circle_distance greatest
hamming_distance hash_counts histogram hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 hour
human_readable_seconds
if index infinity intersection intersection_cardinality inverse_beta_cdf inverse_normal_cdf
is_finite is_infinite is_json_scalar is_nan
jaccard_index json json_array json_array_contains json_array_get json_array_length json_exists
json_extract json_extract_scalar json_format json_object json_parse json_query json_scalar
json_serialize json_size json_value
kurtosis
lag last last_day_of_month last_value lead learn_classifier learn_libsvm_classifier
learn_libsvm_regressor learn_regressor least length levenshtein_distance line_interpolate_point
line_interpolate_points line_locate_point listagg ln localtime localtimestamp log log10 log2 lower
lpad ltrim luhn_check
make_set_digest map map_agg map_concat map_entries map_filter map_from_entries map_keys map_union
map_values map_zip_with match_number max max_by md5 merge merge_set_digest millisecond min min_by
minute mod month multimap_agg multimap_from_entries murmur3
nan next ngrams none_match normal_cdf normalize now nth_value ntile nullif numeric_histogram
objectid objectid_timestamp
parse_datetime parse_duration parse_data_size percent_rank permute pi position pow power prev
qdigest_agg quarter
radians rand random rank reduce reduce_agg regexp_count regexp_extract regexp_extract_all
regexp_like regexp_position regexp_replace regexp_split regress regr_intercept regr_slope render
repeat replace reverse rgb round row_number rpad rtrim
second sequence set sha1 sha256 sha512 shuffle sign simplify_geometry sin sinh skewness slice
soundex spatial_partitioning spatial_partitions split split_part split_to_map split_to_multimap
spooky_hash_v2_32 spooky_hash_v2_64 sqrt st_area st_asbinary st_asewkb st_asewkt st_astext
st_boundary st_buffer st_centroid st_collect st_contains st_convexhull st_coorddim st_crosses
st_difference st_dimension st_disjoint st_distance st_endpoint st_envelope st_envelopeaspts
st_equals st_exteriorring st_force2d st_force3d st_geometries st_geometryfromtext st_geometryn
st_geometrytype st_geomfrombinary st_geomfromewkt st_geomfromkml st_interiorringn
st_interiorrings st_intersection st_intersects st_isclosed st_isempty st_isring st_issimple
st_isvalid st_length st_linefromtext st_linemerge st_linestring st_makeline st_makepolygon
st_minimumboundingcircle st_multi st_multipoint st_normalize st_numgeometries st_numinteriorring
st_numpoints st_orientedenvelope st_overlaps st_point st_pointn st_pointonsurface st_points
st_polygon st_polygonize st_relate st_reduceprecision st_setsrid st_srid st_startpoint
st_symdifference st_touches st_transform st_union st_voronoipolygons st_within st_x st_xmax
st_xmin st_y st_ymax st_ymin st_z starts_with stddev stddev_pop stddev_samp strpos substr
substring sum
tan tanh tdigest_agg theta_sketch_cardinality theta_sketch_union timestamp_objectid timezone
timezone_hour timezone_minute title_case to_base to_base32 to_base64 to_base64url
to_big_endian_32 to_big_endian_64 to_char to_date to_encoded_polyline to_geojson_geometry
to_geometry to_hex to_ieee754_32 to_ieee754_64 to_iso8601 to_milliseconds to_spherical_geography
to_timestamp to_unixtime to_utf8 transform transform_keys transform_values translate trim
trim_array truncate try try_cast typeof
upper url_decode url_encode url_extract_fragment url_extract_host url_extract_parameter
url_extract_path url_extract_port url_extract_protocol url_extract_query uuid
value_at_quantile values_at_quantiles var_pop var_samp variance version
week week_of_year width_bucket wilson_interval_lower wilson_interval_upper with_timezone word_stem
xxhash64
year year_of_week yow
zip zip_with
`;

/**
 * Athena's own functions, and SQL forms the guard's parser (node-sql-parser) reports as function
 * calls: the ROW constructor, grouping elements, UNNEST, the niladic date and time values and
 * the session values.
 */
const ATHENA_EXTRAS = `
invoker_principal
row rollup cube grouping unnest
current_catalog current_schema current_path
`;

/**
 * Every function name a lake statement may call (lowercase, without schema).
 * @example
 * ATHENA_FUNCTIONS.has('date_format'); // true
 * ATHENA_FUNCTIONS.has('strftime'); // false
 */
export const ATHENA_FUNCTIONS: ReadonlySet<string> = new Set(
  `${TRINO_FUNCTIONS} ${ATHENA_EXTRAS}`.split(/\s+/).filter((name) => name !== ''),
);

/**
 * What to write on Athena instead of a DuckDB or PostgreSQL function it does not have. Keys are
 * lowercase names; values are the Athena call to use.
 */
const ALTERNATIVES: Readonly<Record<string, string>> = {
  // date and time
  strftime: "date_format(timestamp, '%Y-%m-%d') or format_datetime(timestamp, 'yyyy-MM-dd')",
  strptime: "date_parse(string, '%Y-%m-%d') or parse_datetime(string, 'yyyy-MM-dd')",
  try_strptime: "try(date_parse(string, '%Y-%m-%d'))",
  epoch: 'to_unixtime(timestamp)',
  epoch_ms: 'to_unixtime(timestamp) * 1000 (or from_unixtime(ms / 1000.0) the other way)',
  epoch_us: 'to_unixtime(timestamp) * 1000000',
  make_date: "date(format('%04d-%02d-%02d', y, m, d)) or from_iso8601_date(…)",
  make_timestamp: 'from_unixtime(seconds) or date_parse(string, format)',
  date_part: 'extract(field FROM x), or year(x), month(x), day(x), hour(x), …',
  datepart: 'extract(field FROM x), or year(x), month(x), day(x), hour(x), …',
  datediff: 'date_diff(unit, timestamp1, timestamp2)',
  date_sub: 'date_add(unit, -n, timestamp) or date_diff(unit, timestamp1, timestamp2)',
  dateadd: 'date_add(unit, n, timestamp)',
  dayofweek: 'day_of_week(x) (1 = Monday … 7 = Sunday)',
  dayofmonth: 'day_of_month(x)',
  dayofyear: 'day_of_year(x)',
  weekofyear: 'week_of_year(x)',
  isodow: 'day_of_week(x)',
  isoyear: 'year_of_week(x)',
  last_day: 'last_day_of_month(x)',
  to_days: "INTERVAL '1' DAY * n, or date_add('day', n, x)",
  age: 'date_diff(unit, timestamp1, timestamp2)',
  today: 'current_date',
  get_current_timestamp: 'current_timestamp',
  // strings
  len: 'length(string), or cardinality(array)',
  char_length: 'length(string)',
  character_length: 'length(string)',
  strlen: 'length(string)',
  instr: 'strpos(string, substring)',
  locate: 'strpos(string, substring)',
  left: 'substr(string, 1, n)',
  right: 'substr(string, -n)',
  ucase: 'upper(string)',
  lcase: 'lower(string)',
  initcap: "regexp_replace(string, '(\\w)(\\w*)', x -> upper(x[1]) || lower(x[2]))",
  string_split: 'split(string, delimiter)',
  str_split: 'split(string, delimiter)',
  string_to_array: 'split(string, delimiter)',
  string_split_regex: 'regexp_split(string, pattern)',
  regexp_split_to_array: 'regexp_split(string, pattern)',
  regexp_matches: 'regexp_like(string, pattern)',
  regexp_full_match: "regexp_like(string, '^…$')",
  string_agg:
    'listagg(x, separator) WITHIN GROUP (ORDER BY …), or array_join(array_agg(x), separator)',
  group_concat:
    'listagg(x, separator) WITHIN GROUP (ORDER BY …), or array_join(array_agg(x), separator)',
  printf: 'format(format, args…)',
  prefix: 'starts_with(string, prefix)',
  suffix: 'ends_with(string, suffix)',
  levenshtein: 'levenshtein_distance(a, b)',
  hamming: 'hamming_distance(a, b)',
  ascii: 'codepoint(string)',
  unicode: 'codepoint(string)',
  ord: 'codepoint(string)',
  encode: 'to_utf8(string)',
  decode: 'from_utf8(binary)',
  hex: 'to_hex(binary)',
  unhex: 'from_hex(string)',
  base64: 'to_base64(binary)',
  to_binary: 'to_base(x, 2)',
  nfc_normalize: 'normalize(string)',
  // conditional and conversion
  ifnull: 'coalesce(a, b)',
  nvl: 'coalesce(a, b)',
  iif: 'if(condition, a, b)',
  to_json: 'CAST(x AS JSON)',
  json_extract_string: 'json_extract_scalar(json, path)',
  json_extract_path_text: 'json_extract_scalar(json, path)',
  json_extract_path: 'json_extract(json, path)',
  from_json: 'CAST(json_parse(string) AS type)',
  json_transform: 'CAST(json_parse(string) AS type)',
  json_type: 'json_query/json_value, or is_json_scalar(json)',
  // arrays, lists and maps
  list_extract: 'element_at(array, index) or array[index]',
  list_element: 'element_at(array, index) or array[index]',
  array_extract: 'element_at(array, index) or array[index]',
  list_contains: 'contains(array, element)',
  list_has: 'contains(array, element)',
  array_contains: 'contains(array, element)',
  array_has: 'contains(array, element)',
  list_position: 'array_position(array, element)',
  array_indexof: 'array_position(array, element)',
  list_distinct: 'array_distinct(array)',
  array_unique: 'cardinality(array_distinct(array))',
  list_sort: 'array_sort(array)',
  array_reverse_sort: 'reverse(array_sort(array))',
  list_reverse: 'reverse(array)',
  array_reverse: 'reverse(array)',
  list_transform: 'transform(array, x -> …)',
  array_transform: 'transform(array, x -> …)',
  apply: 'transform(array, x -> …)',
  list_filter: 'filter(array, x -> …)',
  array_filter: 'filter(array, x -> …)',
  list_reduce: 'reduce(array, initial, (s, x) -> …, s -> s)',
  array_reduce: 'reduce(array, initial, (s, x) -> …, s -> s)',
  list_concat: 'concat(array1, array2) or array1 || array2',
  array_concat: 'concat(array1, array2) or array1 || array2',
  array_cat: 'concat(array1, array2) or array1 || array2',
  list_append: 'array || element',
  array_append: 'array || element',
  list_prepend: 'element || array',
  array_prepend: 'element || array',
  list_slice: 'slice(array, start, length)',
  array_slice: 'slice(array, start, length)',
  list_value: 'ARRAY[…]',
  list_pack: 'ARRAY[…]',
  list: 'array_agg(x)',
  array_length: 'cardinality(array)',
  list_aggregate: 'reduce(array, …) or an aggregate over UNNEST(array)',
  list_sum: 'reduce(array, 0, (s, x) -> s + x, s -> s)',
  list_max: 'array_max(array)',
  list_min: 'array_min(array)',
  list_zip: 'zip(array1, array2)',
  list_intersect: 'array_intersect(array1, array2)',
  array_intersect_agg: 'array_intersect(array1, array2)',
  list_has_any: 'arrays_overlap(array1, array2)',
  array_has_any: 'arrays_overlap(array1, array2)',
  generate_series: 'sequence(start, stop, step)',
  range: 'sequence(start, stop - 1)',
  array_to_string: 'array_join(array, delimiter)',
  list_to_string: 'array_join(array, delimiter)',
  map_extract: 'element_at(map, key)',
  map_from_arrays: 'map(keys, values)',
  struct_pack: 'CAST(ROW(…) AS ROW(name type, …))',
  struct_extract: 'row.field',
  // aggregates
  approx_count_distinct: 'approx_distinct(x)',
  approx_quantile: 'approx_percentile(x, percentage)',
  quantile: 'approx_percentile(x, percentage)',
  quantile_cont: 'approx_percentile(x, percentage)',
  quantile_disc: 'approx_percentile(x, percentage)',
  percentile_cont: 'approx_percentile(x, percentage)',
  percentile_disc: 'approx_percentile(x, percentage)',
  median: 'approx_percentile(x, 0.5)',
  mode: 'approx_most_frequent(1, x, capacity), or a GROUP BY … ORDER BY count(*) DESC',
  geomean: 'geometric_mean(x)',
  bit_and: 'bitwise_and_agg(x)',
  bit_or: 'bitwise_or_agg(x)',
  bit_xor: 'bitwise_xor(a, b)',
  string_agg_distinct: 'array_join(array_distinct(array_agg(x)), separator)',
  favg: 'avg(x)',
  fsum: 'sum(x)',
  sumkahan: 'sum(x)',
  kahan_sum: 'sum(x)',
  product: 'reduce over array_agg(x), or exp(sum(ln(x)))',
  var: 'variance(x)',
  // hashing and misc
  hash: 'xxhash64(to_utf8(string))',
  md5_number: 'from_big_endian_64(substr(md5(to_utf8(string)), 1, 8))',
  gen_random_uuid: 'uuid()',
  uuid_generate_v4: 'uuid()',
  random_uuid: 'uuid()',
  trunc: 'truncate(x) or date_trunc(unit, timestamp)',
  isnan: 'is_nan(x)',
  isinf: 'is_infinite(x)',
  isfinite: 'is_finite(x)',
  div: 'x / y (integer division for integers)',
  fdiv: 'floor(x / y)',
  fmod: 'mod(x, y)',
  ceiling_decimal: 'ceiling(x)',
  setseed: 'random()',
};

/**
 * The Athena function to use instead of `name` (a DuckDB or PostgreSQL function Athena does not
 * have), when one is known.
 * @example
 * athenaAlternative('strftime'); // "date_format(timestamp, '%Y-%m-%d') or format_datetime(…)"
 * athenaAlternative('frobnicate'); // undefined
 */
export function athenaAlternative(name: string): string | undefined {
  return Object.hasOwn(ALTERNATIVES, name) ? ALTERNATIVES[name] : undefined;
}

/** Where Athena's function list is documented, for messages. */
export const ATHENA_FUNCTIONS_URL = 'https://trino.io/docs/current/functions/list.html';
