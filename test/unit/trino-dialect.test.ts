import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_FUNCTIONS } from '#adapters/duckdb/trino-dialect';
import {
  FormatNotSupportedError,
  javaFormatToPrintf,
  javaReplacementToRe2,
  jodaToStrftime,
  jsonPathToDuckDb,
  mysqlToStrftime,
  teradataToStrftime,
} from '#adapters/duckdb/trino-formats';
import { normalizeTrinoSyntax } from '#adapters/duckdb/trino-syntax';
import { ATHENA_FUNCTIONS } from '#core/query/athena-functions';
import { jsonSafeReal, trinoInterval } from '#core/query/rows';

describe('the Trino syntax step (before DuckDB parses)', () => {
  it.each([
    // typed literals: Trino's precision and scale, zones, binary, Unicode
    [
      "SELECT DECIMAL '0000012345.1234500000'",
      "SELECT CAST('0000012345.1234500000' AS DECIMAL(20,10))",
    ],
    ["SELECT DECIMAL '-0.50'", "SELECT CAST('-0.50' AS DECIMAL(3,2))"],
    [
      "SELECT TIMESTAMP '2012-10-31 01:00 UTC'",
      "SELECT CAST('2012-10-31 01:00:00 UTC' AS TIMESTAMPTZ)",
    ],
    [
      "SELECT TIMESTAMP '2020-01-01 10:00:00.123 +02:00'",
      "SELECT CAST('2020-01-01 10:00:00.123+02:00' AS TIMESTAMPTZ)",
    ],
    ["SELECT TIMESTAMP '2012-08-08 01:00'", "SELECT CAST('2012-08-08 01:00:00' AS TIMESTAMP)"],
    ["SELECT JSON '[1, 2]'", "SELECT json_parse('[1, 2]')"],
    ["SELECT X'00 ff'", "SELECT from_hex('00ff')"],
    ["SELECT U&'a\\+01F600'", "SELECT 'a😀'"],
    ["SELECT U&'#2603 !' UESCAPE '#'", "SELECT '☃ !'"],
    // types in casts
    [
      'SELECT CAST(x AS array(row(a integer, b varchar)))',
      'SELECT CAST(x AS STRUCT(a integer, b VARCHAR)[])',
    ],
    [
      'SELECT TRY_CAST(m AS map(varchar, array(bigint)))',
      'SELECT TRY_CAST(m AS MAP(VARCHAR, bigint[]))',
    ],
    ['SELECT CAST(t AS timestamp(3) with time zone)', 'SELECT CAST(t AS TIMESTAMPTZ)'],
    ['SELECT CAST(t AS timestamp(6))', 'SELECT CAST(t AS TIMESTAMP)'],
    [
      'SELECT CAST(b AS varbinary), CAST(s AS varchar(3))',
      'SELECT CAST(b AS BLOB), CAST(s AS VARCHAR)',
    ],
    [
      'SELECT CAST(r AS row(integer, double))',
      'SELECT CAST(r AS STRUCT(field0 integer, field1 DOUBLE))',
    ],
    ['SELECT CAST(i AS interval day to second)', 'SELECT CAST(i AS INTERVAL)'],
    // if with two arguments, listagg … WITHIN GROUP
    ["SELECT if(x > 1, 'big')", "SELECT trino.if_(x > 1, 'big')"],
    [
      'SELECT listagg(v) WITHIN GROUP (ORDER BY v) FROM t',
      "SELECT listagg(v, '' ORDER BY v) FROM t",
    ],
    [
      "SELECT listagg(v, ',') WITHIN GROUP (ORDER BY v DESC) FROM t",
      "SELECT listagg(v, ',' ORDER BY v DESC) FROM t",
    ],
    // VALUES: each item a row
    ['SELECT * FROM (VALUES 1, 2) t(x)', 'SELECT * FROM (VALUES (1), (2)) t(x)'],
    [
      "VALUES ROW(1, 'a'), (2, 'b'), 1 + (2) UNION VALUES 3",
      "VALUES (1, 'a'), (2, 'b'), (1 + (2)) UNION VALUES (3)",
    ],
    ["SELECT 'a' = ANY (VALUES 'a', 'b')", "SELECT 'a' = ANY (VALUES ('a'), ('b'))"],
    // names DuckDB keeps for its keywords
    ['SELECT at, t.at, map FROM t', 'SELECT "at", t."at", "map" FROM t'],
    [
      "SELECT x AT TIME ZONE 'UTC', ARRAY[1], MAP(ARRAY['a'], ARRAY[1])",
      "SELECT x AT TIME ZONE 'UTC', ARRAY[1], MAP(ARRAY['a'], ARRAY[1])",
    ],
  ])('%s', (trino, duckdb) => {
    expect(normalizeTrinoSyntax(trino)).toBe(duckdb);
  });

  it('leaves strings, quoted names and comments alone', () => {
    const sql = `SELECT 'if(a, b) DECIMAL ''1''' AS "if", "at" -- if(x, y) X'00'\n/* TIMESTAMP '2020' */`;

    expect(normalizeTrinoSyntax(sql)).toBe(sql);
  });

  it('refuses a DECIMAL literal that is not a number, saying how to write one', () => {
    expect(() => normalizeTrinoSyntax("SELECT DECIMAL 'x1'")).toThrow(
      /DECIMAL 'x1' is not a decimal number; write DECIMAL '123\.45'/,
    );
  });
});

describe('Trino format strings as DuckDB formats', () => {
  it('MySQL date formats (date_format, date_parse) as strftime', () => {
    expect(mysqlToStrftime('%m-%d-%Y %H')).toBe('%m-%d-%Y %H');
    expect(mysqlToStrftime('%W, %M %e, %Y %l:%i %p %% 100%')).toBe(
      '%A, %B %-d, %Y %-I:%M %p %% 100%%',
    );
    expect(mysqlToStrftime('%T %r %c/%k %x-%v')).toBe('%H:%M:%S %I:%M:%S %p %-m/%-H %G-%V');
  });

  it.each(['%D', '%U', '%u', '%V', '%w', '%X'])(
    'MySQL %s, which Trino rejects too, with what to use instead',
    (spec) => {
      expect(() => mysqlToStrftime(`%Y ${spec}`)).toThrow(FormatNotSupportedError);
      expect(() => mysqlToStrftime(`%Y ${spec}`)).toThrow(/use day_of_week\(x\), week\(x\)/);
    },
  );

  it('Joda-Time patterns (format_datetime, parse_datetime) as strftime', () => {
    expect(jodaToStrftime("yyyy-MM-dd'T'HH:mm:ss.SSS")).toBe('%Y-%m-%dT%H:%M:%S.%g');
    expect(jodaToStrftime('EEEE, MMMM d, yyyy h:mm a')).toBe('%A, %B %-d, %Y %-I:%M %p');
    expect(jodaToStrftime("EEE MMM yy ''D'' xxxx-ww e 100%")).toBe("%a %b %y '%-j' %G-%V %u 100%%");
  });

  it('a Joda letter with no DuckDB equivalent, naming it', () => {
    expect(() => jodaToStrftime('yyyy G')).toThrow(/pattern letter 'G' has no equivalent/);
  });

  it('Teradata formats (to_char, to_date, to_timestamp) as strftime', () => {
    expect(teradataToStrftime('yyyy-mm-dd hh24:mi:ss')).toBe('%Y-%m-%d %H:%M:%S');
    expect(teradataToStrftime('dd/mm/yy hh:mi')).toBe('%d/%m/%y %I:%M');
    expect(() => teradataToStrftime('yyyy-month')).toThrow(
      /'month' is not a Teradata date format element/,
    );
  });

  it("Java regular-expression replacements as RE2's", () => {
    expect(javaReplacementToRe2('3c$2 ')).toBe('3c\\2 ');
    expect(javaReplacementToRe2('\\$1 costs \\\\ $1')).toBe('$1 costs \\\\ \\1');
    expect(() => javaReplacementToRe2('${name}')).toThrow(/named group/);
  });

  it('Java String.format as printf, with positional arguments and casts', () => {
    expect(javaFormatToPrintf('%2$s %3$s %1$s')).toEqual({
      format: '%s %s %s',
      args: [
        { index: 1, cast: 'VARCHAR', upper: false },
        { index: 2, cast: 'VARCHAR', upper: false },
        { index: 0, cast: 'VARCHAR', upper: false },
      ],
    });
    expect(javaFormatToPrintf('%,.2f|%03d|%-7s|%%|%x')).toEqual({
      format: '%,.2f|%03d|%-7s|%%|%x',
      args: [
        { index: 0, cast: 'DOUBLE' },
        { index: 1, cast: 'BIGINT' },
        { index: 2, cast: 'VARCHAR', upper: false },
        { index: 3, cast: 'BIGINT' },
      ],
    });
    expect(() => javaFormatToPrintf('%1$tA')).toThrow(/date and time conversions/);
  });

  it("Trino's JSONPath brackets as DuckDB's quoted members", () => {
    expect(jsonPathToDuckDb('$.store["book name"][0].author')).toBe(
      '$.store."book name"[0].author',
    );
    expect(jsonPathToDuckDb('$.store[book]')).toBe('$.store."book"');
    expect(jsonPathToDuckDb('$[2]')).toBe('$[2]');
  });
});

describe('the JSON rendering both lake engines share', () => {
  it('a REAL with the fewest digits that read back as it, as Athena writes it', () => {
    expect(jsonSafeReal(Math.fround(0.1))).toBe(0.1);
    expect(jsonSafeReal(Math.fround(3.4028235e38))).toBe(3.4028235e38);
    expect(jsonSafeReal(Number.NaN)).toBe('NaN');
  });

  it('intervals as Trino writes them: day to second, year to month', () => {
    expect(trinoInterval(0, 2, 10_800_000_000n)).toBe('2 03:00:00.000');
    expect(trinoInterval(0, 2, -10_800_000_000n)).toBe('1 21:00:00.000');
    expect(trinoInterval(0, 0, 43_000n)).toBe('0 00:00:00.043');
    expect(trinoInterval(41, 0, 0n)).toBe('3-5');
    expect(trinoInterval(0, -1, 0n)).toBe('-1 00:00:00.000');
  });
});

describe("the docs' list of the functions the local engine runs (docs/query-api.md)", () => {
  it('is the dialect’s own list, every name an Athena function', () => {
    const docs = readFileSync(join(__dirname, '../../docs/query-api.md'), 'utf8');
    const table = /<!-- local-functions:start -->([\s\S]*?)<!-- local-functions:end -->/u.exec(
      docs,
    )?.[1];
    const listed = [...(table ?? '').matchAll(/`([a-z0-9_]+)`/gu)].map((m) => m[1] as string);

    expect([...listed].sort()).toEqual(Object.keys(LOCAL_FUNCTIONS).sort());
    expect(listed.filter((name) => !ATHENA_FUNCTIONS.has(name))).toEqual([]);
  });
});
