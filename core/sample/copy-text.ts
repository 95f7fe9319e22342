/**
 * Encoding of values for PostgreSQL `COPY ... FROM STDIN` in the default text format:
 * fields separated by a tab, rows ended by a newline, NULL written as `\N`, and backslash, tab,
 * newline and carriage return inside a value written as `\\`, `\t`, `\n`, `\r`.
 *
 * Array columns take an array literal (`{a,"b c",NULL}`), which is then COPY-escaped like any
 * other text, so a backslash inside an array element ends up doubled twice.
 */

/** The text-format spelling of NULL. */
export const COPY_NULL = '\\N';

const NEEDS_COPY_ESCAPE = /[\\\t\n\r]/;
const COPY_ESCAPES = /[\\\t\n\r]/g;
const COPY_ESCAPE_MAP: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

function assertNoNul(value: string): void {
  if (value.includes('\u0000')) {
    throw new Error(
      `PostgreSQL text cannot contain the NUL character (U+0000), found in ${JSON.stringify(value.slice(0, 60))}; remove it before encoding`,
    );
  }
}

/**
 * Escapes one text value for the COPY text format (not NULL: see {@link copyField}).
 *
 * @throws Error when the value contains U+0000, which PostgreSQL text cannot store.
 * @example
 * escapeCopyText('a\tb\\c'); // 'a\\tb\\\\c'
 */
export function escapeCopyText(value: string): string {
  if (!NEEDS_COPY_ESCAPE.test(value)) {
    if (value.includes('\u0000')) assertNoNul(value);
    return value;
  }
  assertNoNul(value);
  return value.replace(COPY_ESCAPES, (ch) => COPY_ESCAPE_MAP[ch] as string);
}

/** A value a COPY field can be built from. */
export type CopyValue = string | number | bigint | boolean | null | undefined;

/**
 * Encodes one field: `null`/`undefined` → `\N`, booleans → `t`/`f`, numbers and bigints in their
 * decimal form, strings COPY-escaped.
 *
 * @throws Error for a non-finite number (NaN or Infinity is never sample data).
 * @example
 * copyField(null); // '\\N'
 * copyField(true); // 't'
 * copyField('x\ny'); // 'x\\ny'
 */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return COPY_NULL;
  switch (typeof value) {
    case 'string':
      return escapeCopyText(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return value.toString();
    default:
      if (!Number.isFinite(value)) {
        throw new Error(`copyField(): ${value} is not a finite number; pass a finite number`);
      }
      return String(value);
  }
}

/**
 * Encodes a whole row: fields joined by tabs, ended by a newline.
 *
 * @example
 * copyLine(['a b', null, 3]); // 'a b\t\\N\t3\n'
 */
export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyField(values[i]);
  }
  return line + '\n';
}

// White space as PostgreSQL's array parser sees it (scanner_isspace), not Unicode's.
const ARRAY_ELEMENT_NEEDS_QUOTES = /[{}",\\ \t\n\r\v\f]/;

/**
 * Writes a one-dimensional PostgreSQL array literal, quoting elements the way `array_out` does:
 * an element is double-quoted when it is empty, is `NULL` in any case, or contains a brace,
 * comma, double quote, backslash or white space; inside quotes `"` and `\` are backslash-escaped.
 * `null` elements become an unquoted `NULL`. The result is NOT COPY-escaped: see
 * {@link copyArray}.
 *
 * @example
 * arrayLiteral(['a', 'b c', null, '']); // '{a,"b c",NULL,""}'
 */
export function arrayLiteral(elements: ReadonlyArray<string | number | null>): string {
  let out = '{';
  for (let i = 0; i < elements.length; i++) {
    if (i > 0) out += ',';
    const element = elements[i];
    if (element === null || element === undefined) {
      out += 'NULL';
    } else if (typeof element === 'number') {
      if (!Number.isFinite(element)) {
        throw new Error(`arrayLiteral(): element ${i} is ${element}; pass finite numbers`);
      }
      out += String(element);
    } else if (
      element === '' ||
      ARRAY_ELEMENT_NEEDS_QUOTES.test(element) ||
      element.toUpperCase() === 'NULL'
    ) {
      out += '"' + element.replace(/["\\]/g, (ch) => '\\' + ch) + '"';
    } else {
      out += element;
    }
  }
  return out + '}';
}

/**
 * An array field ready for a COPY text line: {@link arrayLiteral} then {@link escapeCopyText};
 * `null` (the whole array) → `\N`.
 *
 * @example
 * copyArray(['x\\y']); // '{"x\\\\\\\\y"}' (the backslash, quoted for the array, then for COPY)
 */
export function copyArray(elements: ReadonlyArray<string | number | null> | null): string {
  if (elements === null) return COPY_NULL;
  return escapeCopyText(arrayLiteral(elements));
}
