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
  const scanner = new JsonScanner(text);
  try {
    scanner.value();
    scanner.skipSpace();
    if (scanner.i < text.length) scanner.fail('the end of the file after the value');
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
}

/**
 * A recursive-descent scan of one JSON text: each method consumes one production from `i` on and
 * throws a {@link JsonSyntaxError} at the first character that does not fit.
 */
class JsonScanner {
  /** Offset of the next character to read. */
  i = 0;

  constructor(private readonly text: string) {}

  /** Any JSON value, after optional white space. */
  value(): void {
    this.skipSpace();
    const c = this.text[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.i)) return void (this.i += literal.length);
    }
    JSON_NUMBER.lastIndex = this.i;
    const number = JSON_NUMBER.exec(this.text);
    if (number) return void (this.i += number[0].length);
    this.fail('a value (object, array, string, number, true, false or null)');
  }

  skipSpace(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  fail(expected: string, note = ''): never {
    throw new JsonSyntaxError(this.i, `expected ${expected}, found ${this.found()}${note}`);
  }

  /** The character at `i` as the messages show it, or the end of the file. */
  private found(): string {
    const { text, i } = this;
    return i >= text.length
      ? 'the end of the file'
      : JSON.stringify(text[i]).replace(/^"|"$/g, "'");
  }

  /** The note for a comma right before `close`. */
  private trailingComma(close: string): string {
    return this.text[this.i] === close ? ' (JSON allows no comma before a closing bracket)' : '';
  }

  private string(): void {
    const { text } = this;
    this.i++; // opening quote
    for (;;) {
      const c = text[this.i];
      if (c === undefined) this.fail("a closing '\"'");
      else if (c === '"') return void this.i++;
      else if (c < ' ') this.fail('no control character inside a string', ' (write \\n or \\t)');
      else if (c === '\\') {
        this.i++;
        const escape = text[this.i];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(this.i + 1, this.i + 5))) {
            this.fail('4 hex digits after \\u');
          }
          this.i += 5;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) this.i++;
        else this.fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else this.i++;
    }
  }

  private object(): void {
    const { text } = this;
    this.i++;
    this.skipSpace();
    if (text[this.i] === '}') return void this.i++;
    for (;;) {
      this.skipSpace();
      if (text[this.i] !== '"') this.fail('a double-quoted property name', this.trailingComma('}'));
      this.string();
      this.skipSpace();
      if (text[this.i] !== ':') this.fail("':' after a property name");
      this.i++;
      this.value();
      this.skipSpace();
      if (text[this.i] === '}') return void this.i++;
      if (text[this.i] !== ',') this.fail("',' or '}' after a property value");
      this.i++;
    }
  }

  private array(): void {
    const { text } = this;
    this.i++;
    this.skipSpace();
    if (text[this.i] === ']') return void this.i++;
    for (;;) {
      this.skipSpace();
      if (text[this.i] === ']') this.fail('a value', this.trailingComma(']'));
      this.value();
      this.skipSpace();
      if (text[this.i] === ']') return void this.i++;
      if (text[this.i] !== ',') this.fail("',' or ']' after an array element");
      this.i++;
    }
  }
}
