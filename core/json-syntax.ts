/**
 * Where a JSON text breaks: the offset, line and column of the first character that makes it
 * invalid JSON (RFC 8259), and what was expected there. Used after `JSON.parse` failed, because
 * Node's messages do not always carry a position: by the query API's request bodies, plan files
 * and the config file.
 */

/** The first syntax error of a JSON text: where it is and what was expected there. */
export class JsonSyntaxError {
  constructor(
    /** Offset of the offending character, in UTF-16 code units (the length when the text ends too early). */
    readonly offset: number,
    /** What was expected and what was found, e.g. `expected ':' after a property name, found '}'`. */
    readonly message: string,
  ) {}
}

/**
 * 1-based line and column of `offset` in `text`.
 * @example
 * lineAndColumn('{\n  "a": }', 9); // { line: 2, column: 8 }
 */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/**
 * Offset of the first character that makes `text` invalid JSON. The length of `text` when the
 * JSON ends too early (or is valid); 0 when the nesting is too deep to scan (the scan recurses per
 * level: callers that parse untrusted text bound the depth first).
 * @example
 * firstJsonErrorPosition('{"sql": }'); // 8
 */
export function firstJsonErrorPosition(text: string): number {
  try {
    return findJsonSyntaxError(text)?.offset ?? text.length;
  } catch {
    return 0; // nesting deeper than the stack: no position worth showing
  }
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Where and why `text` is not JSON (RFC 8259), or `undefined` when it is. Throws a RangeError
 * when the nesting is deeper than the stack.
 * @example
 * findJsonSyntaxError('[1,]'); // JsonSyntaxError { offset: 3, message: "expected a value, found ']' (JSON allows no comma before a closing bracket)" }
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const found = (): string =>
    i >= text.length ? 'the end of the file' : JSON.stringify(text[i]).replace(/^"|"$/g, "'");
  const fail = (expected: string, note = ''): never => {
    throw new JsonSyntaxError(i, `expected ${expected}, found ${found()}${note}`);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const trailingComma = (close: string): string =>
    text[i] === close ? ' (JSON allows no comma before a closing bracket)' : '';
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("a closing '\"'");
      else if (c === '"') return void i++;
      else if (c < ' ') fail('no control character inside a string', ' (write \\n or \\t)');
      else if (c === '\\') {
        i++;
        const escape = text[i];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('4 hex digits after \\u');
          i += 5;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i++;
        else fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else i++;
    }
  };
  const object = (): void => {
    i++;
    skipSpace();
    if (text[i] === '}') return void i++;
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail('a double-quoted property name', trailingComma('}'));
      string();
      skipSpace();
      if (text[i] !== ':') fail("':' after a property name");
      i++;
      value();
      skipSpace();
      if (text[i] === '}') return void i++;
      if (text[i] !== ',') fail("',' or '}' after a property value");
      i++;
    }
  };
  const array = (): void => {
    i++;
    skipSpace();
    if (text[i] === ']') return void i++;
    for (;;) {
      skipSpace();
      if (text[i] === ']') fail('a value', trailingComma(']'));
      value();
      skipSpace();
      if (text[i] === ']') return void i++;
      if (text[i] !== ',') fail("',' or ']' after an array element");
      i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) return void (i += literal.length);
    }
    JSON_NUMBER.lastIndex = i;
    const number = JSON_NUMBER.exec(text);
    if (number) return void (i += number[0].length);
    fail('a value (object, array, string, number, true, false or null)');
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail('the end of the file after the value');
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
}
