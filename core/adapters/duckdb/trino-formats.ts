/**
 * Format strings of Trino functions, converted to DuckDB's: MySQL date formats (`date_format`,
 * `date_parse`), Joda-Time patterns (`format_datetime`, `parse_datetime`), Teradata formats
 * (`to_char`, `to_date`, `to_timestamp`) to strftime/strptime; Java `String.format` to `printf`;
 * Java regular-expression replacements (`$1`) to RE2's (`\1`); Trino's JSONPath to DuckDB's. The
 * statement rewrite converts the constant format argument of a call once, at rewrite time.
 *
 * Each converter throws {@link FormatNotSupportedError} for what has no DuckDB equivalent, with the
 * specifier, so the user learns what to change rather than getting a different string.
 */

/** A format specifier or pattern the local engine cannot convert. */
export class FormatNotSupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatNotSupportedError';
  }
}

/** A literal text for strftime: `%` doubled. */
function literal(text: string): string {
  return text.replaceAll('%', '%%');
}

/** MySQL specifier → strftime, for formatting and parsing (`date_format`, `date_parse`). */
const MYSQL: Readonly<Record<string, string>> = {
  a: '%a',
  b: '%b',
  c: '%-m',
  d: '%d',
  e: '%-d',
  f: '%f',
  H: '%H',
  h: '%I',
  I: '%I',
  i: '%M',
  j: '%j',
  k: '%-H',
  l: '%-I',
  M: '%B',
  m: '%m',
  p: '%p',
  r: '%I:%M:%S %p',
  S: '%S',
  s: '%S',
  T: '%H:%M:%S',
  v: '%V',
  W: '%A',
  x: '%G',
  Y: '%Y',
  y: '%y',
  '%': '%%',
};

/** MySQL specifiers Trino itself rejects. */
const MYSQL_UNSUPPORTED = new Set(['D', 'U', 'u', 'V', 'w', 'X']);

/**
 * A MySQL date format (Trino's `date_format`/`date_parse`) as a strftime/strptime format.
 * @example
 * mysqlToStrftime('%m-%d-%Y %H'); // '%m-%d-%Y %H'
 * mysqlToStrftime('%i:%s'); // '%M:%S'
 */
export function mysqlToStrftime(format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i += 1) {
    const c = format.charAt(i);
    if (c !== '%' || i + 1 >= format.length) {
      out += literal(c);
      continue;
    }
    const spec = format.charAt(i + 1);
    i += 1;
    if (MYSQL_UNSUPPORTED.has(spec)) {
      throw new FormatNotSupportedError(
        `the date format specifier %${spec} is not supported by Athena either (Trino rejects %D %U %u %V %w %X); use day_of_week(x), week(x) or format_datetime(x, pattern)`,
      );
    }
    out += MYSQL[spec] ?? literal(spec);
  }
  return out;
}

/**
 * A Joda-Time pattern (Trino's `format_datetime`/`parse_datetime`) as a strftime format.
 * @example
 * jodaToStrftime("yyyy-MM-dd'T'HH:mm:ss.SSS"); // '%Y-%m-%dT%H:%M:%S.%g'
 */
export function jodaToStrftime(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charAt(i);
    if (c === "'") {
      if (pattern.charAt(i + 1) === "'") {
        out += "'";
        i += 2;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      const close = end < 0 ? pattern.length : end;
      out += literal(pattern.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    if (!/[A-Za-z]/u.test(c)) {
      out += literal(c);
      i += 1;
      continue;
    }
    let n = 1;
    while (pattern.charAt(i + n) === c) n += 1;
    out += jodaField(c, n);
    i += n;
  }
  return out;
}

function jodaField(letter: string, count: number): string {
  const padded = (short: string, long: string): string => (count >= 2 ? long : short);
  switch (letter) {
    case 'y':
    case 'Y':
      return count === 2 ? '%y' : '%Y';
    case 'x':
      return '%G';
    case 'w':
      return padded('%-V', '%V');
    case 'e':
      return '%u';
    case 'E':
      return count >= 4 ? '%A' : '%a';
    case 'D':
      return count >= 3 ? '%j' : '%-j';
    case 'M':
      if (count >= 4) return '%B';
      if (count === 3) return '%b';
      return padded('%-m', '%m');
    case 'd':
      return padded('%-d', '%d');
    case 'a':
      return '%p';
    case 'h':
      return padded('%-I', '%I');
    case 'H':
      return padded('%-H', '%H');
    case 'm':
      return padded('%-M', '%M');
    case 's':
      return padded('%-S', '%S');
    case 'S':
      if (count === 3) return '%g';
      if (count === 6) return '%f';
      if (count === 9) return '%n';
      break;
    case 'z':
      return '%Z';
    default:
      break;
  }
  throw new FormatNotSupportedError(
    `the Joda-Time pattern letter '${letter.repeat(count)}' has no equivalent in the local engine; ` +
      `use y, M, d, H, h, m, s, SSS, a, E, D, w, x or e (or quote literal text with '…')`,
  );
}

/** Teradata format elements (Trino's `to_char`, `to_date`, `to_timestamp`), longest first. */
const TERADATA: readonly (readonly [string, string])[] = [
  ['yyyy', '%Y'],
  ['hh24', '%H'],
  ['yy', '%y'],
  ['mm', '%m'],
  ['dd', '%d'],
  ['hh', '%I'],
  ['mi', '%M'],
  ['ss', '%S'],
];

/**
 * A Teradata date format as a strftime format: `yyyy yy mm dd hh hh24 mi ss` and the separators
 * `- / , . ; :` and space.
 * @example
 * teradataToStrftime('yyyy-mm-dd hh24:mi:ss'); // '%Y-%m-%d %H:%M:%S'
 */
export function teradataToStrftime(format: string): string {
  let out = '';
  let i = 0;
  const lower = format.toLowerCase();
  outer: while (i < format.length) {
    for (const [element, spec] of TERADATA) {
      if (lower.startsWith(element, i)) {
        out += spec;
        i += element.length;
        continue outer;
      }
    }
    const c = format.charAt(i);
    if (!/[-/,.;: ]/u.test(c)) {
      throw new FormatNotSupportedError(
        `'${format.slice(i)}' is not a Teradata date format element; use yyyy, yy, mm, dd, hh, hh24, mi, ss and - / , . ; : or space`,
      );
    }
    out += c;
    i += 1;
  }
  return out;
}

/**
 * A Java regular-expression replacement (`$1` a group, `\$` a dollar) as an RE2 one (`\1`).
 * @example
 * javaReplacementToRe2('3c$2 '); // '3c\\2 '
 */
export function javaReplacementToRe2(replacement: string): string {
  let out = '';
  for (let i = 0; i < replacement.length; i += 1) {
    const c = replacement.charAt(i);
    if (c === '\\' && i + 1 < replacement.length) {
      const next = replacement.charAt(i + 1);
      out += next === '\\' ? '\\\\' : next;
      i += 1;
    } else if (c === '$') {
      const group = /^\d/u.exec(replacement.slice(i + 1))?.[0];
      if (group === undefined) {
        throw new FormatNotSupportedError(
          `the replacement ${JSON.stringify(replacement)} uses a named group (\${name}) or a bare $, which the local engine does not support; use $1 … $9, or \\$ for a dollar sign`,
        );
      }
      out += `\\${group}`;
      i += 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** One argument of a `printf` call built from a Java format: which argument, as what type. */
export interface PrintfArgument {
  /** 0-based index into the call's value arguments. */
  readonly index: number;
  /** The DuckDB cast it needs (`VARCHAR`, `BIGINT`, `DOUBLE`), so printf accepts it. */
  readonly cast: 'VARCHAR' | 'BIGINT' | 'DOUBLE';
  /** `upper` for `%S`, `%B`. */
  readonly upper?: boolean;
}

/**
 * A Java `String.format` format as a `printf` format, with the arguments it takes in order
 * (`%2$s` picks the second; each conversion casts its value so printf accepts it).
 * @example
 * javaFormatToPrintf('%2$s %1$s'); // { format: '%s %s', args: [{index: 1, cast: 'VARCHAR'}, {index: 0, cast: 'VARCHAR'}] }
 */
export function javaFormatToPrintf(format: string): { format: string; args: PrintfArgument[] } {
  const spec = /%(\d+\$)?([-#+ 0,(]*)(\d+)?(\.\d+)?([a-zA-Z%])/gu;
  let out = '';
  let last = 0;
  let next = 0;
  const args: PrintfArgument[] = [];
  for (const match of format.matchAll(spec)) {
    out += format.slice(last, match.index);
    last = match.index + match[0].length;
    const [, position, flags = '', width = '', precision = '', conversion = ''] = match;
    if (conversion === '%') {
      out += '%%';
      continue;
    }
    if (conversion === 'n') {
      out += '\n';
      continue;
    }
    if (/[(#]/u.test(flags)) {
      throw new FormatNotSupportedError(
        `the format flag in '${match[0]}' is not supported by the local engine; use -, +, 0, space or ,`,
      );
    }
    const index = position ? Number(position.slice(0, -1)) - 1 : next++;
    const printfFlags = flags;
    switch (conversion) {
      case 's':
      case 'S':
      case 'b':
      case 'B':
        out += `%${printfFlags}${width}${precision}s`;
        args.push({ index, cast: 'VARCHAR', upper: conversion === 'S' || conversion === 'B' });
        break;
      case 'd':
        out += `%${printfFlags}${width}d`;
        args.push({ index, cast: 'BIGINT' });
        break;
      case 'x':
      case 'X':
      case 'o':
        out += `%${printfFlags}${width}${conversion}`;
        args.push({ index, cast: 'BIGINT' });
        break;
      case 'f':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        out += `%${printfFlags}${width}${precision}${conversion}`;
        args.push({ index, cast: 'DOUBLE' });
        break;
      default:
        throw new FormatNotSupportedError(
          `the format conversion '${match[0]}' is not supported by the local engine (date and time conversions %t… included); use %s, %d, %x, %f, %e or %%, or date_format for dates`,
        );
    }
  }
  out += format.slice(last);
  return { format: out, args };
}

/**
 * Trino's JSONPath as DuckDB's: `$["book name"]` and `$.store[book]` become `$."book name"` and
 * `$.store."book"`; indexes and plain members stay.
 * @example
 * jsonPathToDuckDb('$.store["book name"][0]'); // '$.store."book name"[0]'
 */
export function jsonPathToDuckDb(path: string): string {
  return path.replace(
    /\[\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))\s*\]/gu,
    (_, quoted: string | undefined, bare: string | undefined) =>
      `."${(quoted ?? bare ?? '').replaceAll('"', '\\"')}"`,
  );
}
