/**
 * The first step of the Trino dialect for DuckDB: Trino syntax DuckDB's parser reads differently
 * or not at all, rewritten token by token before DuckDB parses the statement (the second step,
 * on DuckDB's parse tree, is in `trino-dialect.ts`). A small lexer follows Trino's lexical rules —
 * `'…'` strings with `''`, `X'…'` binary and `U&'…'` Unicode strings, `"…"` identifiers, `--` and
 * `/* *\/` comments — and rewrites:
 *
 * - typed literals: `DECIMAL '1.20'` → `CAST('1.20' AS DECIMAL(3,2))` (Trino's precision and
 *   scale: DuckDB would make it DECIMAL(18,3)), `TIMESTAMP '2012-10-31 01:00 UTC'` →
 *   `CAST('2012-10-31 01:00:00 UTC' AS TIMESTAMPTZ)` (a zone makes it a timestamp with time zone),
 *   `JSON '[1]'` → `json_parse('[1]')`, `X'00ff'` → `from_hex('00ff')`, `U&'\+01F600'` → the
 *   string itself;
 * - types in `CAST(x AS …)` and `TRY_CAST(x AS …)`: `array(integer)` → `INTEGER[]`,
 *   `row(a integer)` → `STRUCT(a INTEGER)`, `timestamp(3) with time zone` → `TIMESTAMPTZ`,
 *   `timestamp(3)` → `TIMESTAMP`, `varbinary` → `BLOB`, `interval day to second` → `INTERVAL`;
 * - `if(c, a)` → `trino.if_(c, a)`: DuckDB's parser takes IF with three arguments only;
 * - `listagg(x, ',') WITHIN GROUP (ORDER BY y)` → `listagg(x, ',' ORDER BY y)` (with Trino's
 *   default separator, the empty string, when none is given);
 * - `VALUES 1, 2` → `VALUES (1), (2)`, `VALUES ROW(1, 'a')` → `VALUES (1, 'a')`: each item of a
 *   Trino VALUES list is a row (DuckDB takes only parenthesised rows).
 *
 * Everything else is copied verbatim, so DuckDB reports positions close to the user's text.
 */

/** One lexical token. */
interface Token {
  readonly kind: 'space' | 'comment' | 'string' | 'ident' | 'quoted' | 'number' | 'symbol';
  /** The token's text as written. */
  readonly text: string;
  /** For strings: the value; for identifiers: the lowercased name; for quoted names: the name. */
  readonly value: string;
  /** For strings: `X` (binary), `U&` (Unicode) or empty. */
  readonly prefix?: string;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/u;
const IDENT_PART = /[A-Za-z0-9_\u0080-\uffff]/u;

/** Splits `sql` into tokens by Trino's lexical rules. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (k: number): string => sql.charAt(k);
  const quoted = (start: number, quote: string): number => {
    let k = start + 1;
    while (k < sql.length) {
      if (at(k) === quote && at(k + 1) === quote) k += 2;
      else if (at(k) === quote) return k + 1;
      else k += 1;
    }
    return sql.length;
  };
  while (i < sql.length) {
    const c = at(i);
    let end = i + 1;
    let token: Token;
    if (/\s/u.test(c)) {
      while (end < sql.length && /\s/u.test(at(end))) end += 1;
      token = { kind: 'space', text: sql.slice(i, end), value: ' ' };
    } else if (c === '-' && at(i + 1) === '-') {
      end = sql.indexOf('\n', i);
      end = end < 0 ? sql.length : end;
      token = { kind: 'comment', text: sql.slice(i, end), value: '' };
    } else if (c === '/' && at(i + 1) === '*') {
      end = sql.indexOf('*/', i + 2);
      end = end < 0 ? sql.length : end + 2;
      token = { kind: 'comment', text: sql.slice(i, end), value: '' };
    } else if ((c === 'X' || c === 'x') && at(i + 1) === "'") {
      end = quoted(i + 1, "'");
      token = string(sql.slice(i, end), 'X');
    } else if ((c === 'U' || c === 'u') && at(i + 1) === '&' && at(i + 2) === "'") {
      end = quoted(i + 2, "'");
      token = string(sql.slice(i, end), 'U&');
    } else if (c === "'") {
      end = quoted(i, "'");
      token = string(sql.slice(i, end), '');
    } else if (c === '"') {
      end = quoted(i, '"');
      const text = sql.slice(i, end);
      token = { kind: 'quoted', text, value: text.slice(1, -1).replaceAll('""', '"') };
    } else if (IDENT_START.test(c)) {
      while (end < sql.length && IDENT_PART.test(at(end))) end += 1;
      const text = sql.slice(i, end);
      token = { kind: 'ident', text, value: text.toLowerCase() };
    } else if (/[0-9.]/u.test(c) && /[0-9]/u.test(c + at(i + 1))) {
      const match = /^(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/u.exec(sql.slice(i));
      end = i + (match?.[0].length ?? 1);
      token = { kind: 'number', text: sql.slice(i, end), value: sql.slice(i, end) };
    } else {
      const two = sql.slice(i, i + 2);
      if (['->', '<=', '>=', '<>', '!=', '||', '::'].includes(two)) end = i + 2;
      token = { kind: 'symbol', text: sql.slice(i, end), value: sql.slice(i, end) };
    }
    tokens.push(token);
    i = end;
  }
  return tokens;
}

function string(text: string, prefix: string): Token {
  const body = text.slice(prefix.length + 1, text.endsWith("'") ? -1 : undefined);
  return { kind: 'string', text, value: body.replaceAll("''", "'"), prefix };
}

/** A string literal in SQL (quotes doubled). */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The statement with the Trino syntax DuckDB reads differently rewritten (see the module's
 * documentation).
 * @throws Error with a message for the user when a literal is malformed.
 * @example
 * normalizeTrinoSyntax("SELECT DECIMAL '1.20', if(x > 1, 'big')");
 * // "SELECT CAST('1.20' AS DECIMAL(3,2)), trino.if_(x > 1, 'big')"
 */
export function normalizeTrinoSyntax(sql: string): string {
  const tokens = tokenize(sql);
  return rewrite(tokens, 0, tokens.length);
}

/** The text of tokens[from, to) with the rewrites applied. */
function rewrite(tokens: readonly Token[], from: number, to: number): string {
  let out = '';
  let i = from;
  while (i < to) {
    const token = tokens[i] as Token;
    const next = nextSignificant(tokens, i + 1, to);
    const nextToken = next < to ? tokens[next] : undefined;
    if (token.kind === 'string' && token.prefix === 'X') {
      out += `from_hex(${sqlLiteral(token.value.replace(/\s+/gu, ''))})`;
      i += 1;
    } else if (token.kind === 'string' && token.prefix === 'U&') {
      // `U&'…' UESCAPE '#'`: another escape character than the backslash
      const escape = nextToken?.value === 'uescape' ? nextSignificant(tokens, next + 1, to) : to;
      const custom = escape < to && tokens[escape]?.kind === 'string' && !tokens[escape]?.prefix;
      out += sqlLiteral(unicodeString(token.value, custom ? tokens[escape]?.value : undefined));
      i = custom ? escape + 1 : i + 1;
    } else if (token.kind === 'ident' && token.value === 'values' && !isQualified(tokens, i)) {
      const end = valuesEnd(tokens, i + 1, to);
      out += token.text + valuesRows(tokens, i + 1, end);
      i = end;
    } else if (token.kind === 'ident' && needsQuotes(token.value, nextToken, tokens, next, to)) {
      out += `"${token.text}"`;
      i += 1;
    } else if (token.kind === 'ident' && nextToken?.kind === 'string' && !nextToken.prefix) {
      const literal = typedLiteral(token.value, nextToken.value);
      if (literal !== undefined && !isQualified(tokens, i)) {
        out += literal;
        i = next + 1;
      } else {
        out += token.text;
        i += 1;
      }
    } else if (token.kind === 'ident' && nextToken?.text === '(' && !isQualified(tokens, i)) {
      const close = matchingParen(tokens, next, to);
      if ((token.value === 'cast' || token.value === 'try_cast') && close < to) {
        out += `${token.text}(${castBody(tokens, next + 1, close)})`;
        i = close + 1;
      } else if (token.value === 'if') {
        out += `trino.if_(${rewrite(tokens, next + 1, close)})`;
        i = Math.min(close + 1, to);
      } else if (token.value === 'listagg' && close < to) {
        const within = withinGroup(tokens, close + 1, to);
        if (within) {
          const args = rewrite(tokens, next + 1, close);
          const separator = topLevelCommas(tokens, next + 1, close) === 0 ? ", ''" : '';
          out += `${token.text}(${args}${separator} ${rewrite(tokens, within.orderFrom, within.orderTo)})`;
          i = within.end;
        } else {
          out += token.text;
          i += 1;
        }
      } else {
        out += token.text;
        i += 1;
      }
    } else {
      out += token.text;
      i += 1;
    }
  }
  return out;
}

/**
 * Words DuckDB's parser keeps from column names (its reserved and type-or-function keywords) that
 * Trino allows as plain identifiers: `SELECT at FROM events` must reach DuckDB as `"at"`.
 */
const DUCKDB_RESERVED_NAMES = new Set([
  'analyse',
  'analyze',
  'anti',
  'array',
  'asof',
  'at',
  'authorization',
  'binary',
  'check',
  'collation',
  'column',
  'columns',
  'concurrently',
  'constraint',
  'default',
  'foreign',
  'freeze',
  'generated',
  'glob',
  'isnull',
  'lambda',
  'map',
  'notnull',
  'overlaps',
  'pivot',
  'positional',
  'primary',
  'qualify',
  'references',
  'returning',
  'semi',
  'show',
  'similar',
  'struct',
  'summarize',
  'unique',
  'unpack',
  'verbose',
]);

/** Whether an identifier is one of those words used as a name (not as the keyword or function). */
function needsQuotes(
  name: string,
  next: Token | undefined,
  tokens: readonly Token[],
  nextIndex: number,
  to: number,
): boolean {
  if (!DUCKDB_RESERVED_NAMES.has(name)) return false;
  if (next?.text === '(') return false;
  if (name === 'array' && next?.text === '[') return false;
  if (name === 'at' && next?.value === 'time') {
    const zone = tokens[nextSignificant(tokens, nextIndex + 1, to)];
    if (zone?.value === 'zone') return false;
  }
  return true;
}

/** The index of the next token that is not space or a comment (or `to`). */
function nextSignificant(tokens: readonly Token[], from: number, to: number): number {
  let k = from;
  while (k < to && (tokens[k]?.kind === 'space' || tokens[k]?.kind === 'comment')) k += 1;
  return k;
}

/** Whether the identifier at `i` follows a `.` (a qualified name, not a keyword or function). */
function isQualified(tokens: readonly Token[], i: number): boolean {
  let k = i - 1;
  while (k >= 0 && (tokens[k]?.kind === 'space' || tokens[k]?.kind === 'comment')) k -= 1;
  return tokens[k]?.text === '.';
}

/** The index of the `)` that closes the `(` at `open` (or `to` when unbalanced). */
function matchingParen(tokens: readonly Token[], open: number, to: number): number {
  let depth = 0;
  for (let k = open; k < to; k += 1) {
    const text = tokens[k]?.kind === 'symbol' ? tokens[k]?.text : undefined;
    if (text === '(') depth += 1;
    else if (text === ')') {
      depth -= 1;
      if (depth === 0) return k;
    }
  }
  return to;
}

/** Commas at depth 0 in tokens[from, to). */
function topLevelCommas(tokens: readonly Token[], from: number, to: number): number {
  let depth = 0;
  let commas = 0;
  for (let k = from; k < to; k += 1) {
    const text = tokens[k]?.kind === 'symbol' ? tokens[k]?.text : undefined;
    if (text === '(' || text === '[') depth += 1;
    else if (text === ')' || text === ']') depth -= 1;
    else if (text === ',' && depth === 0) commas += 1;
  }
  return commas;
}

/** Where a VALUES list starting at `from` ends: a clause at depth 0, a `)` closing, or `;`. */
function valuesEnd(tokens: readonly Token[], from: number, to: number): number {
  const ends = new Set(['union', 'intersect', 'except', 'order', 'limit', 'offset', 'fetch']);
  let depth = 0;
  for (let k = from; k < to; k += 1) {
    const token = tokens[k] as Token;
    if (token.kind === 'symbol' && (token.text === '(' || token.text === '[')) depth += 1;
    else if (token.kind === 'symbol' && (token.text === ')' || token.text === ']')) {
      if (depth === 0) return k;
      depth -= 1;
    } else if (
      depth === 0 &&
      (token.text === ';' || (token.kind === 'ident' && ends.has(token.value)))
    ) {
      return k;
    }
  }
  return to;
}

/** The rows of a VALUES list, each parenthesised: `1, ROW(2, 3), (4)` → `(1), (2, 3), (4)`. */
function valuesRows(tokens: readonly Token[], from: number, to: number): string {
  let out = '';
  let start = from;
  let depth = 0;
  for (let k = from; k <= to; k += 1) {
    const text = k < to && tokens[k]?.kind === 'symbol' ? tokens[k]?.text : undefined;
    if (text === '(' || text === '[') depth += 1;
    else if (text === ')' || text === ']') depth -= 1;
    if (k < to && (text !== ',' || depth !== 0)) continue;
    const first = nextSignificant(tokens, start, k);
    let last = k - 1;
    while (last > first && (tokens[last]?.kind === 'space' || tokens[last]?.kind === 'comment')) {
      last -= 1;
    }
    const open = tokens[first]?.value === 'row' ? nextSignificant(tokens, first + 1, k) : first;
    const grouped = tokens[open]?.text === '(' && matchingParen(tokens, open, k) === last;
    out += rewrite(tokens, start, first);
    if (first >= k) out += '';
    else if (grouped) out += `(${rewrite(tokens, open + 1, last)})`;
    else out += `(${rewrite(tokens, first, last + 1)})`;
    out += rewrite(tokens, last + 1, Math.min(k + 1, to));
    start = k + 1;
  }
  return out;
}

/** `WITHIN GROUP (ORDER BY …)` after a listagg call: where its ORDER BY is and where it ends. */
function withinGroup(
  tokens: readonly Token[],
  from: number,
  to: number,
): { orderFrom: number; orderTo: number; end: number } | undefined {
  const within = nextSignificant(tokens, from, to);
  if (tokens[within]?.value !== 'within') return undefined;
  const group = nextSignificant(tokens, within + 1, to);
  if (tokens[group]?.value !== 'group') return undefined;
  const open = nextSignificant(tokens, group + 1, to);
  if (tokens[open]?.text !== '(') return undefined;
  const close = matchingParen(tokens, open, to);
  return { orderFrom: open + 1, orderTo: close, end: Math.min(close + 1, to) };
}

/** `CAST(` … `)`'s inside: the value rewritten, the type after its top-level `AS` converted. */
function castBody(tokens: readonly Token[], from: number, to: number): string {
  let depth = 0;
  for (let k = from; k < to; k += 1) {
    const token = tokens[k] as Token;
    if (token.text === '(' || token.text === '[') depth += 1;
    else if (token.text === ')' || token.text === ']') depth -= 1;
    else if (depth === 0 && token.kind === 'ident' && token.value === 'as') {
      const type = new TypeReader(tokens, k + 1, to).type();
      return `${rewrite(tokens, from, k)}AS ${type}`;
    }
  }
  return rewrite(tokens, from, to);
}

/** Reads a Trino type from tokens and writes it as DuckDB's. */
class TypeReader {
  private k: number;

  constructor(
    private readonly tokens: readonly Token[],
    from: number,
    private readonly to: number,
  ) {
    this.k = from;
  }

  /** The whole type (the rest of the range). */
  type(): string {
    const type = this.read();
    const rest = this.tokens
      .slice(this.k, this.to)
      .map((t) => t.text)
      .join('')
      .trim();
    return rest === '' ? type : `${type} ${rest}`;
  }

  private peek(): Token | undefined {
    this.k = nextSignificant(this.tokens, this.k, this.to);
    return this.k < this.to ? this.tokens[this.k] : undefined;
  }

  private take(): Token | undefined {
    const token = this.peek();
    if (token) this.k += 1;
    return token;
  }

  /** `(`…`)` arguments, each read as a type by `each`. */
  private args(each: () => string): string[] {
    const args: string[] = [];
    if (this.peek()?.text !== '(') return args;
    this.take();
    while (this.peek() && this.peek()?.text !== ')') {
      args.push(each());
      if (this.peek()?.text === ',') this.take();
    }
    this.take();
    return args;
  }

  /** A number argument list, verbatim: `(10, 2)`. */
  private numbers(): string {
    if (this.peek()?.text !== '(') return '';
    const args = this.args(() => this.take()?.text ?? '');
    return `(${args.join(', ')})`;
  }

  /** `with time zone` / `without time zone` after a time type. */
  private zone(): 'with' | 'without' | undefined {
    const save = this.k;
    const word = this.peek()?.value;
    if (word !== 'with' && word !== 'without') return undefined;
    this.take();
    if (this.take()?.value === 'time' && this.take()?.value === 'zone') return word;
    this.k = save;
    return undefined;
  }

  private read(): string {
    const token = this.take();
    if (!token) return '';
    if (token.kind === 'quoted') return token.text;
    const name = token.value;
    switch (name) {
      case 'array': {
        const [element] = this.args(() => this.read());
        return `${element ?? 'VARCHAR'}[]`;
      }
      case 'map': {
        const [key, value] = this.args(() => this.read());
        return `MAP(${key ?? 'VARCHAR'}, ${value ?? 'VARCHAR'})`;
      }
      case 'row': {
        let n = 0;
        const fields = this.args(() => {
          const first = this.peek();
          const save = this.k;
          this.take();
          const second = this.peek();
          // `name type` or just `type` (an anonymous field).
          if (
            first &&
            second &&
            second.text !== ',' &&
            second.text !== ')' &&
            second.text !== '('
          ) {
            return `${first.text} ${this.read()}`;
          }
          this.k = save;
          n += 1;
          return `field${n - 1} ${this.read()}`;
        });
        return `STRUCT(${fields.join(', ')})`;
      }
      case 'timestamp':
      case 'time': {
        this.numbers();
        const zone = this.zone();
        if (name === 'time') return zone === 'with' ? 'TIMETZ' : 'TIME';
        return zone === 'with' ? 'TIMESTAMPTZ' : 'TIMESTAMP';
      }
      case 'varbinary':
        return 'BLOB';
      case 'varchar':
      case 'char':
        this.numbers();
        return 'VARCHAR';
      case 'double': {
        if (this.peek()?.value === 'precision') this.take();
        return 'DOUBLE';
      }
      case 'interval': {
        // `interval day to second`, `interval year to month`
        const save = this.k;
        const from = this.take()?.value;
        if ((from === 'day' || from === 'year') && this.peek()?.value === 'to') {
          this.take();
          this.take();
        } else {
          this.k = save;
        }
        return 'INTERVAL';
      }
      default:
        return `${token.text}${this.numbers()}`;
    }
  }
}

/** A Trino typed literal (`TYPE 'text'`) as DuckDB SQL, or undefined to leave it as written. */
function typedLiteral(type: string, text: string): string | undefined {
  switch (type) {
    case 'decimal':
      return decimalLiteral(text);
    case 'timestamp':
      return timestampLiteral(text);
    case 'json':
      return `json_parse(${sqlLiteral(text)})`;
    case 'varbinary':
      return `CAST(${sqlLiteral(text)} AS BLOB)`;
    default:
      return undefined;
  }
}

/** `DECIMAL '0012.340'` → `CAST('0012.340' AS DECIMAL(7,3))`: Trino counts every digit. */
function decimalLiteral(text: string): string {
  const match = /^\s*[+-]?(\d*)(?:\.(\d*))?\s*$/u.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) {
    throw new Error(`DECIMAL ${sqlLiteral(text)} is not a decimal number; write DECIMAL '123.45'`);
  }
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  const precision = Math.max(1, Math.min(38, whole.length + fraction.length));
  return `CAST(${sqlLiteral(text.trim())} AS DECIMAL(${precision},${Math.min(fraction.length, precision)}))`;
}

/**
 * `TIMESTAMP '2012-10-31 01:00 UTC'` → `CAST('2012-10-31 01:00:00 UTC' AS TIMESTAMPTZ)`: seconds
 * added where Trino allows leaving them out, a zone (a name or an offset) makes it a timestamp
 * with time zone.
 */
function timestampLiteral(text: string): string {
  const match =
    /^\s*(\d{4,}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}:\d{2})(:\d{2}(?:\.\d+)?)?)?\s*(.*?)\s*$/u.exec(
      text,
    );
  if (!match) return `CAST(${sqlLiteral(text)} AS TIMESTAMP)`;
  const [, day = '', hourMinute, seconds, zone = ''] = match;
  const time = hourMinute ? ` ${hourMinute}${seconds ?? ':00'}` : '';
  if (zone === '') return `CAST(${sqlLiteral(`${day}${time}`)} AS TIMESTAMP)`;
  return `CAST(${sqlLiteral(`${day}${time || ' 00:00:00'}${/^[+-]/u.test(zone) ? '' : ' '}${zone}`)} AS TIMESTAMPTZ)`;
}

/**
 * The value of a `U&'…'` string: `\XXXX` and `\+XXXXXX` code points, `\\` a backslash (with
 * `UESCAPE '#'`, `#` instead of the backslash).
 */
function unicodeString(body: string, escape = '\\'): string {
  const e = escape.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  const pattern = new RegExp(`${e}(${e}|\\+[0-9A-Fa-f]{6}|[0-9A-Fa-f]{4})`, 'gu');
  return body.replace(pattern, (_, code: string) =>
    code === escape ? escape : String.fromCodePoint(parseInt(code.replace('+', ''), 16)),
  );
}
