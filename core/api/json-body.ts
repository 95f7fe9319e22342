/**
 * Request bodies of the query API: at most 1 MiB of JSON nested at most {@link MAX_JSON_DEPTH}
 * levels deep, with a parse error that says where the JSON breaks (line, column, position) so a
 * user can fix it.
 */
import { ThermoclineError } from '#core/errors';
import { jsonTextTooDeepAt, MAX_JSON_DEPTH } from '#core/json-depth';
import { firstJsonErrorPosition, lineAndColumn } from '#core/json-syntax';

export { MAX_JSON_DEPTH } from '#core/json-depth';

/** The largest request body the API reads: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The request body is not valid JSON. HTTP 400, code `bad_json`; `position` is the offset of the
 * first character that breaks the JSON (the body's length when it ends too early).
 * @example
 * parseJsonBody('{"sql": }'); // throws BadJsonError: … line 1, column 9 (position 8) …
 */
export class BadJsonError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 400;
  constructor(
    message: string,
    /** Offset of the offending character in the body, in UTF-16 code units. */
    readonly position: number,
  ) {
    super(message, 'bad_json', 2);
  }
}

/**
 * The request body is larger than {@link MAX_BODY_BYTES}. HTTP 413, code `body_too_large`.
 * @example
 * throw new BodyTooLargeError(2_000_000);
 */
export class BodyTooLargeError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 413;
  constructor(bytes: number) {
    super(
      `the request body has ${bytes} bytes, over the limit of ${MAX_BODY_BYTES} (1 MiB); ` +
        `send a smaller plan (results are read with GET /plans/{id}, not sent)`,
      'body_too_large',
      2,
    );
  }
}

/**
 * The request body nests arrays and objects deeper than {@link MAX_JSON_DEPTH} levels. HTTP 400,
 * code `body_too_deep`; `position` is the offset of the bracket that opens the level too many.
 * Checked on the text before it is parsed, so nothing walks the deep value.
 * @example
 * parseJsonBody('['.repeat(10_000)); // throws BodyTooDeepError: … deeper than 64 levels …
 */
export class BodyTooDeepError extends ThermoclineError {
  /** HTTP status of the API answer. */
  readonly status = 400;
  /** The deepest nesting accepted. */
  readonly limit = MAX_JSON_DEPTH;
  constructor(
    /** Offset of the bracket that opens level {@link MAX_JSON_DEPTH} + 1. */
    readonly position: number,
    where: { readonly line: number; readonly column: number },
  ) {
    super(
      `the request body nests arrays and objects deeper than the limit of ${MAX_JSON_DEPTH} ` +
        `levels (level ${MAX_JSON_DEPTH + 1} opens at line ${where.line}, column ${where.column}, ` +
        `position ${position}); a plan needs 5 levels ({"steps": [{"bind": {"$1": {"ref": …}}}]}): ` +
        `send the plan's fields as documented, without extra nesting`,
      'body_too_deep',
      2,
    );
  }
}

/**
 * Parses a JSON request body. An empty body or a syntax error throws {@link BadJsonError} naming
 * the line, column and position of the first bad character (or of a `__proto__` key, refused);
 * a body nested deeper than
 * {@link MAX_JSON_DEPTH} throws {@link BodyTooDeepError} before it is parsed.
 * @example
 * parseJsonBody('{"sql": "SELECT 1"}'); // { sql: 'SELECT 1' }
 */
export function parseJsonBody(text: string, example = '{"sql": "SELECT …"}'): unknown {
  if (text.trim() === '') {
    throw new BadJsonError(`the request body is empty; send a JSON document, e.g. ${example}`, 0);
  }
  const tooDeep = jsonTextTooDeepAt(text);
  if (tooDeep !== undefined) throw new BodyTooDeepError(tooDeep, lineAndColumn(text, tooDeep));
  let forbidden: string | undefined;
  let parsed: unknown;
  try {
    // `__proto__` as a key would set the prototype of the object a validator copies it into
    // (the field then vanishes, or supplies inherited values): refused instead.
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') forbidden ??= key;
      return value;
    });
  } catch (error) {
    const position = firstJsonErrorPosition(text);
    const { line, column } = lineAndColumn(text, position);
    const found =
      position >= text.length ? 'the end of the body' : JSON.stringify(text.charAt(position));
    throw new BadJsonError(
      `the request body is not valid JSON: unexpected ${found} at line ${line}, column ${column} ` +
        `(position ${position}) — ${(error as Error).message}; fix the JSON there (check quotes, ` +
        `commas and brackets), e.g. ${example}`,
      position,
    );
  }
  if (forbidden !== undefined) {
    const position = Math.max(0, text.indexOf(`"${forbidden}"`));
    const { line, column } = lineAndColumn(text, position);
    throw new BadJsonError(
      `the request body has the key "${forbidden}" (line ${line}, column ${column}), which no ` +
        `request uses; remove it, e.g. ${example}`,
      position,
    );
  }
  return parsed;
}
