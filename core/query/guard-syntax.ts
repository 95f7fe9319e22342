/**
 * Athena (Trino) syntax the guard's parser (node-sql-parser) does not read, rewritten into forms
 * it does — for the guard's analysis only: the statement the engine runs is the user's, unchanged.
 *
 * Every rewrite keeps what the guard checks in plain sight: each table reference, function call,
 * subquery, column and `$n` parameter of the statement stays in the rewritten text, where the
 * parser and the guard's rules (one read-only SELECT, deny lists, known tables, the
 * partition-filter rule, Athena's function list) see it. Rewrites only replace keywords, types and
 * literals, move a window frame's offset or a FILTER's condition into the window's ORDER BY, and
 * wrap a VALUES list in a SELECT. Functions they add — `from_hex`, `json_parse`, `chr` — are Athena's own.
 * Anything the rewriter does not recognise is left as written, for the parser to accept or refuse.
 *
 * The lexer follows the rules the guard's lexical check already uses (PostgreSQL's, which DuckDB
 * shares, and Trino's for `'…'` strings, `"…"` names and comments), so a string, name or comment
 * is where the engine sees it. Plain string literals that contain a backslash are rewritten
 * without it (`'a\b'` → `('a' || chr(92) || 'b')`): the parser reads a backslash as an escape,
 * the engines do not, so the parser must never see one.
 *
 * Rewrites, Trino → what the parser reads:
 * - `X'00ff'` → `from_hex('00ff')`; `U&'\2603'` [`UESCAPE '!'`] → the decoded string; `JSON '[1]'`
 *   → `json_parse('[1]')`; `BIGINT '1'`, `REAL '1.5'`, `VARBINARY 'x'` … → `CAST('…' AS type)`;
 *   `INTERVAL '1 02:00:00' DAY TO SECOND` → `INTERVAL '1 02:00:00' DAY`;
 * - types in `CAST`/`TRY_CAST` the parser does not know (`array(…)`, `map(…)`, `row(…)`,
 *   `varbinary`, `double precision`, `interval … to …`, `ipaddress`, …) → `VARCHAR`;
 * - `a IS [NOT] DISTINCT FROM b` → `a <> b` (`a = b`); `x AT TIME ZONE 'z'` → `x * 'z'`;
 * - `EXISTS (subquery)` → `NOT NOT EXISTS (subquery)`; `a = ANY|SOME|ALL (subquery)` → `a = (…)`;
 * - `UNNEST(…) WITH ORDINALITY [AS] t(…)` → `UNNEST(…) AS t(…)`;
 * - `listagg(x, ',') WITHIN GROUP (ORDER BY y) [FILTER (WHERE c)]` → `listagg(x, ',') OVER
 *   (ORDER BY y[, (c)])`;
 * - `GROUPING SETS (…)` → `ROLLUP (…)`, an empty grouping set `()` → `(NULL)`;
 * - window frames: `RANGE`/`GROUPS` → `ROWS`, an offset that is not an integer
 *   (`INTERVAL '1' DAY PRECEDING`) → `1 PRECEDING` with the expression added to the window's
 *   ORDER BY; `FILTER (WHERE c) OVER (…)` → `OVER (… ORDER BY …, (c))`; `OVER (w ORDER BY …)`,
 *   refining the named window w → `OVER (ORDER BY …)`;
 * - `EXTRACT(DAY_OF_WEEK FROM x)` and the other Trino fields the parser does not know →
 *   `EXTRACT(DAY FROM x)`;
 * - `OFFSET n ROWS` → `OFFSET n`; `FETCH FIRST|NEXT [n] ROW|ROWS ONLY|WITH TIES` → `LIMIT n`;
 * - `VALUES 1, 2` → `VALUES (1), (2)`, and VALUES as a query (`WITH t AS (VALUES …)`,
 *   `= ANY (VALUES …)`, `… UNION VALUES …`) → `SELECT * FROM (VALUES …) AS _values`;
 * - row field access `(expr).field`, `CAST(… AS ROW(…)).field` → `(expr)`.
 */

import { tokenize, type Token } from '#core/query/sql/tokenizer';

/** The rewritten text, and where each of its offsets comes from in the statement. */
export interface GuardText {
  /** The statement as the guard's parser reads it. */
  readonly text: string;
  /** The statement offset a rewritten-text offset comes from (for parse error positions). */
  sourceOffset(offset: number): number;
  /**
   * Where a string literal that still holds a backslash starts in the statement (an unterminated
   * one): the parser would read it differently from the engines, so the guard refuses it.
   */
  readonly backslashAt: number | undefined;
}

/**
 * A string literal the parser reads as the engines do: quotes doubled, and no backslash (the
 * parser would take one as an escape) — `a\b` is `('a' || chr(92) || 'b')`.
 */
function literal(value: string): string {
  const quote = (part: string): string => `'${part.replaceAll("'", "''")}'`;
  if (!value.includes('\\')) return quote(value);
  const parts = value.split('\\');
  const pieces: string[] = [];
  parts.forEach((part, k) => {
    if (part !== '') pieces.push(quote(part));
    if (k < parts.length - 1) pieces.push('chr(92)');
  });
  return `(${pieces.join(' || ')})`;
}

/** The value of a `U&'…'` string: `\XXXX` and `\+XXXXXX` code points, `\\` the escape itself. */
function unicodeValue(body: string, escape: string): string {
  const e = escape.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  const pattern = new RegExp(`${e}(${e}|\\+[0-9A-Fa-f]{6}|[0-9A-Fa-f]{4})`, 'gu');
  return body.replace(pattern, (_, code: string) => {
    if (code === escape) return escape;
    const point = parseInt(code.replace('+', ''), 16);
    return point <= 0x10ffff ? String.fromCodePoint(point) : '';
  });
}

/** Types of Trino the parser knows (as the top-level name of a type; parameters aside). */
const PARSER_TYPES = new Set([
  'boolean',
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'real',
  'double',
  'decimal',
  'varchar',
  'char',
  'json',
  'date',
  'time',
  'timestamp',
  'uuid',
]);

/** Trino's type names (Athena engine version 3), beyond the parameterised array, map and row. */
const TRINO_TYPES = new Set([
  ...PARSER_TYPES,
  'varbinary',
  'interval',
  'ipaddress',
  'hyperloglog',
  'p4hyperloglog',
  'qdigest',
  'tdigest',
  'setdigest',
  'geometry',
  'sphericalgeography',
  'bingtile',
]);

/** Types a typed literal (`BIGINT '1'`) may name: the parser's, and two it reads as strings. */
const LITERAL_TYPES = new Set([...PARSER_TYPES, 'varbinary', 'ipaddress']);

/** Typed literals the parser reads as written (when their string has no backslash). */
const PARSER_LITERAL_TYPES = new Set(['date', 'time', 'timestamp']);

/** EXTRACT fields of Trino the parser does not know (it knows YEAR … SECOND, DOW, DOY). */
const EXTRACT_FIELDS = [
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'year_of_week',
  'yow',
  'timezone_hour',
  'timezone_minute',
];

const INTERVAL_UNITS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second']);

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** Keywords that end a VALUES list, a GROUP BY clause, or follow a FROM item instead of an alias. */
const CLAUSE_KEYWORDS = new Set([
  'union',
  'intersect',
  'except',
  'order',
  'limit',
  'offset',
  'fetch',
  'having',
  'window',
]);

const NOT_AN_ALIAS = new Set([
  ...CLAUSE_KEYWORDS,
  'as',
  'cross',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'natural',
  'on',
  'using',
  'where',
  'group',
  'with',
]);

/** A piece of the rewritten text: copied from `start` in the statement, or made up there. */
interface Piece {
  readonly text: string;
  readonly start: number;
  readonly copied: boolean;
}

/** Where a construct is: inside a GROUP BY clause (empty grouping sets are rewritten there). */
interface Context {
  readonly groupBy: boolean;
}

/**
 * The statement as the guard's parser reads it (see the module's documentation), with the map
 * from its offsets back to the statement's.
 * @example
 * normalizeGuardSyntax("SELECT CAST(x AS array(integer)), a IS DISTINCT FROM b FROM t").text;
 * // "SELECT CAST(x AS VARCHAR), a <> b FROM t"
 */
export function normalizeGuardSyntax(sql: string): GuardText {
  const rewriter = new Rewriter(tokenize(sql));
  rewriter.range(0, rewriter.tokens.length, { groupBy: false });
  const result = rewriter.result(sql.length);
  const left = tokenize(result.text).find(
    (t) => t.kind === 'string' && t.prefix === '' && t.text.includes('\\'),
  );
  return {
    ...result,
    backslashAt: left === undefined ? undefined : result.sourceOffset(left.start),
  };
}

class Rewriter {
  private readonly pieces: Piece[] = [];
  /** Text to write before the token at an index (an `AS` before an UNNEST alias). */
  private readonly before = new Map<number, string>();

  constructor(readonly tokens: readonly Token[]) {}

  result(length: number): Omit<GuardText, 'backslashAt'> {
    const text = this.pieces.map((p) => p.text).join('');
    const starts: number[] = [];
    let offset = 0;
    for (const piece of this.pieces) {
      starts.push(offset);
      offset += piece.text.length;
    }
    const pieces = this.pieces;
    return {
      text,
      sourceOffset(at: number): number {
        let lo = 0;
        let hi = pieces.length - 1;
        if (hi < 0 || at >= text.length) return length;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if ((starts[mid] as number) <= at) lo = mid;
          else hi = mid - 1;
        }
        const piece = pieces[lo] as Piece;
        return piece.copied ? piece.start + (at - (starts[lo] as number)) : piece.start;
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Output

  private copy(index: number): void {
    const token = this.tokens[index] as Token;
    this.pieces.push({ text: token.text, start: token.start, copied: true });
  }

  /** Copies tokens [from, to) as written (keywords and names only). */
  private copyRange(from: number, to: number): void {
    for (let k = from; k < to; k += 1) this.copy(k);
  }

  private write(text: string, index: number): void {
    const token = this.tokens[Math.min(index, this.tokens.length - 1)];
    this.pieces.push({ text, start: token?.start ?? 0, copied: false });
  }

  // -------------------------------------------------------------------------------------------
  // Navigation

  private token(index: number): Token | undefined {
    return this.tokens[index];
  }

  /** The index of the first significant token (not space or comment) at or after `from`. */
  private next(from: number, to: number = this.tokens.length): number {
    let k = from;
    while (k < to && (this.tokens[k]?.kind === 'space' || this.tokens[k]?.kind === 'comment')) {
      k += 1;
    }
    return k;
  }

  /** The index of the last significant token before `from` (-1 when none). */
  private previous(from: number): number {
    let k = from - 1;
    while (k >= 0 && (this.tokens[k]?.kind === 'space' || this.tokens[k]?.kind === 'comment')) {
      k -= 1;
    }
    return k;
  }

  private isWord(index: number, ...words: string[]): boolean {
    const token = this.tokens[index];
    return token?.kind === 'ident' && words.includes(token.value);
  }

  private isSymbol(index: number, ...symbols: string[]): boolean {
    const token = this.tokens[index];
    return token?.kind === 'symbol' && symbols.includes(token.text);
  }

  /** The index of the bracket closing the one at `open` (or `to` when it is not closed). */
  private closing(open: number, to: number): number {
    let depth = 0;
    for (let k = open; k < to; k += 1) {
      const token = this.tokens[k] as Token;
      if (token.kind !== 'symbol') continue;
      if (token.text === '(' || token.text === '[') depth += 1;
      else if (token.text === ')' || token.text === ']') {
        depth -= 1;
        if (depth === 0) return k;
      }
    }
    return to;
  }

  /**
   * The first index in [from, to) at bracket depth 0 where `stop` holds for the token, or `to`
   * (also at a closing bracket of an enclosing level).
   */
  private scan(from: number, to: number, stop: (token: Token, index: number) => boolean): number {
    let depth = 0;
    for (let k = from; k < to; k += 1) {
      const token = this.tokens[k] as Token;
      if (token.kind === 'symbol' && (token.text === '(' || token.text === '[')) depth += 1;
      else if (token.kind === 'symbol' && (token.text === ')' || token.text === ']')) {
        if (depth === 0) return k;
        depth -= 1;
      } else if (depth === 0 && stop(token, k)) return k;
    }
    return to;
  }

  /** Whether the identifier at `index` follows a `.` (part of a qualified name). */
  private qualified(index: number): boolean {
    return this.isSymbol(this.previous(index), '.');
  }

  // -------------------------------------------------------------------------------------------
  // Rewriting

  /** Writes tokens [from, to) with the rewrites applied. */
  range(from: number, to: number, context: Context): void {
    let i = from;
    while (i < to) {
      const pending = this.before.get(i);
      if (pending !== undefined) {
        this.write(pending, i);
        this.before.delete(i);
      }
      i = this.one(i, to, context);
    }
  }

  /** Writes the construct starting at token `i`; returns the index after it. */
  private one(i: number, to: number, context: Context): number {
    const token = this.tokens[i] as Token;
    if (token.kind === 'string') return this.string(i, to);
    if (token.kind === 'symbol' && (token.text === ')' || token.text === ']')) {
      this.copy(i);
      return this.fieldAccess(i + 1, to);
    }
    if (token.kind === 'symbol' && token.text === '(' && context.groupBy) {
      // An empty grouping set: where a grouping element starts (not a call's empty arguments).
      const close = this.next(i + 1, to);
      const before = this.previous(i);
      if (
        this.isSymbol(close, ')') &&
        (this.isWord(before, 'by') || this.isSymbol(before, ',', '('))
      ) {
        this.write('(NULL)', i);
        return close + 1;
      }
    }
    if (token.kind !== 'ident' || this.qualified(i)) {
      this.copy(i);
      return i + 1;
    }
    const n1 = this.next(i + 1, to);
    switch (token.value) {
      case 'is':
        return this.distinct(i, to);
      case 'at':
        return this.atTimeZone(i, to);
      case 'exists':
        return this.exists(i, n1, to);
      case 'any':
      case 'some':
      case 'all':
        // a quantified comparison: `= ANY (subquery)`
        if (COMPARISONS.has(this.token(this.previous(i))?.text ?? '') && this.isQuery(n1, to)) {
          this.write(' ', i);
          return i + 1;
        }
        break;
      case 'cast':
      case 'try_cast':
        if (this.isSymbol(n1, '(')) return this.cast(i, n1, to, context);
        break;
      case 'unnest':
        if (this.isSymbol(n1, '(')) return this.unnest(i, n1, to, context);
        break;
      case 'listagg':
        if (this.isSymbol(n1, '(')) return this.listagg(i, n1, to, context);
        break;
      case 'values':
        return this.values(i, to, context);
      case 'group':
        if (this.isWord(n1, 'by')) return this.groupBy(i, n1, to);
        break;
      case 'grouping':
        if (context.groupBy && this.isWord(n1, 'sets')) {
          this.write('ROLLUP', i);
          return n1 + 1;
        }
        break;
      case 'over':
        if (this.isSymbol(n1, '(')) {
          this.copy(i);
          this.range(i + 1, n1, context);
          return this.windowSpec(n1, to, context);
        }
        break;
      case 'window':
        return this.windowClause(i, to, context);
      case 'filter':
        if (this.isSymbol(n1, '(')) {
          const end = this.filterOver(i, n1, to, context);
          if (end !== undefined) return end;
        }
        break;
      case 'extract':
        if (this.isSymbol(n1, '(')) return this.extract(i, n1, to);
        break;
      case 'offset':
        return this.offset(i, to);
      case 'fetch':
        return this.fetch(i, to);
      case 'interval':
        return this.interval(i, to);
      default:
        break;
    }
    if (LITERAL_TYPES.has(token.value)) return this.typedLiteral(i, to);
    this.copy(i);
    return i + 1;
  }

  /** A string literal: binary and Unicode strings decoded, backslashes kept from the parser. */
  private string(i: number, to: number): number {
    const token = this.tokens[i] as Token;
    if (token.prefix === 'X') {
      const hex = token.value.replace(/\s+/gu, '');
      if (/^[0-9A-Fa-f]*$/u.test(hex) && token.closed) {
        this.write(`from_hex('${hex}')`, i);
        return i + 1;
      }
    } else if (token.prefix === 'U&' && token.closed) {
      let escape = '\\';
      let end = i + 1;
      const u = this.next(i + 1, to);
      const e = this.next(u + 1, to);
      if (this.isWord(u, 'uescape') && this.token(e)?.kind === 'string' && !this.token(e)?.prefix) {
        escape = this.token(e)?.value ?? escape;
        end = e + 1;
      }
      if (escape.length === 1) {
        this.write(literal(unicodeValue(token.value, escape)), i);
        return end;
      }
    } else if (token.prefix === '' && token.closed && token.value.includes('\\')) {
      // After ESCAPE the parser takes only a literal: any escape character does for the guard.
      const escape = this.isWord(this.previous(i), 'escape');
      this.write(escape ? literal(token.value.replaceAll('\\', '!')) : literal(token.value), i);
      return i + 1;
    }
    this.copy(i);
    return i + 1;
  }

  /** `IS [NOT] DISTINCT FROM` → `<>` (`=`). */
  private distinct(i: number, to: number): number {
    let k = this.next(i + 1, to);
    const not = this.isWord(k, 'not');
    if (not) k = this.next(k + 1, to);
    const from = this.next(k + 1, to);
    if (this.isWord(k, 'distinct') && this.isWord(from, 'from')) {
      this.write(not ? ' = ' : ' <> ', i);
      return from + 1;
    }
    this.copy(i);
    return i + 1;
  }

  /** `AT TIME ZONE` before a zone string or an interval → `*`: both operands stay. */
  private atTimeZone(i: number, to: number): number {
    const time = this.next(i + 1, to);
    const zone = this.next(time + 1, to);
    const value = this.next(zone + 1, to);
    const literalZone = this.token(value)?.kind === 'string' || this.isWord(value, 'interval');
    if (this.isWord(time, 'time') && this.isWord(zone, 'zone') && literalZone) {
      this.write(' * ', i);
      return zone + 1;
    }
    this.copy(i);
    return i + 1;
  }

  /** Whether a subquery starts at `open`: `(` then SELECT, WITH, VALUES or another `(`. */
  private isQuery(open: number, to: number): boolean {
    const first = this.next(open + 1, to);
    return (
      this.isSymbol(open, '(') &&
      (this.isWord(first, 'select', 'with', 'values') || this.isSymbol(first, '('))
    );
  }

  /** `EXISTS (subquery)` → `NOT NOT EXISTS (subquery)`, which the parser reads. */
  private exists(i: number, open: number, to: number): number {
    if (this.isQuery(open, to) && !this.isWord(this.previous(i), 'not')) this.write('NOT NOT ', i);
    this.copy(i);
    return i + 1;
  }

  /** `CAST(x AS type)`: x rewritten, a type the parser does not know written as VARCHAR. */
  private cast(i: number, open: number, to: number, context: Context): number {
    const close = this.closing(open, to);
    if (close >= to) {
      this.copy(i);
      return i + 1;
    }
    const as = this.scan(open + 1, close, (t) => t.kind === 'ident' && t.value === 'as');
    this.copy(i);
    this.range(i + 1, open + 1, context);
    if (as >= close) {
      this.range(open + 1, close + 1, context);
      return this.fieldAccess(close + 1, to);
    }
    this.range(open + 1, as + 1, context);
    const type = new TypeReader(this.tokens, as + 1, close).read();
    if (type === 'parser') this.range(as + 1, close, context);
    else if (type === 'trino') this.write(' VARCHAR', as + 1);
    else this.range(as + 1, close, context);
    this.copy(close);
    return this.fieldAccess(close + 1, to);
  }

  /** `UNNEST(…) [WITH ORDINALITY] [AS] alias` → `UNNEST(…) AS alias`. */
  private unnest(i: number, open: number, to: number, context: Context): number {
    const close = this.closing(open, to);
    if (close >= to) {
      this.copy(i);
      return i + 1;
    }
    this.copy(i);
    this.range(i + 1, close + 1, context);
    let end = close + 1;
    const withWord = this.next(end, to);
    const ordinality = this.next(withWord + 1, to);
    if (this.isWord(withWord, 'with') && this.isWord(ordinality, 'ordinality')) {
      this.range(end, withWord, context);
      end = ordinality + 1;
    }
    const alias = this.next(end, to);
    const name = this.token(alias);
    if ((name?.kind === 'ident' && !NOT_AN_ALIAS.has(name.value)) || name?.kind === 'quoted') {
      this.before.set(alias, ' AS ');
    }
    return end;
  }

  /** `listagg(…) WITHIN GROUP (ORDER BY …)` → `listagg(…) OVER (ORDER BY …)`. */
  private listagg(i: number, open: number, to: number, context: Context): number {
    const close = this.closing(open, to);
    if (close >= to) {
      this.copy(i);
      return i + 1;
    }
    this.copy(i);
    this.range(i + 1, close + 1, context);
    const within = this.next(close + 1, to);
    const group = this.next(within + 1, to);
    const spec = this.next(group + 1, to);
    if (
      !this.isWord(within, 'within') ||
      !this.isWord(group, 'group') ||
      !this.isSymbol(spec, '(')
    ) {
      return close + 1;
    }
    this.range(close + 1, within, context);
    this.write('OVER ', within);
    // A FILTER after it: its condition goes into the OVER's ORDER BY (the parser takes no
    // FILTER after OVER).
    const specClose = this.closing(spec, to);
    const filter = this.next(specClose + 1, to);
    const open2 = this.next(filter + 1, to);
    const where = this.next(open2 + 1, to);
    const filterClose = this.closing(open2, to);
    if (
      specClose < to &&
      this.isWord(filter, 'filter') &&
      this.isSymbol(open2, '(') &&
      this.isWord(where, 'where') &&
      filterClose < to
    ) {
      this.windowSpec(spec, to, context, [[where + 1, this.previous(filterClose) + 1]]);
      return filterClose + 1;
    }
    return spec;
  }

  /**
   * `VALUES 1, 2` → `VALUES (1), (2)`; VALUES as a query (at the start, in a subquery or CTE, after
   * a set operation — not a FROM item) → `SELECT * FROM (VALUES …) AS _values`.
   */
  private values(i: number, to: number, context: Context): number {
    const end = this.scan(
      i + 1,
      to,
      (t) => (t.kind === 'ident' && CLAUSE_KEYWORDS.has(t.value)) || t.text === ';',
    );
    const p = this.previous(i);
    const pp = this.previous(p);
    const fromItem =
      this.isSymbol(p, '(') &&
      (this.isWord(pp, 'from', 'join', 'lateral') || this.isSymbol(pp, ','));
    const setOperation =
      this.isWord(p, 'union', 'intersect', 'except') ||
      (this.isWord(p, 'all', 'distinct') && this.isWord(pp, 'union', 'intersect', 'except'));
    const query = !fromItem && (p < 0 || this.isSymbol(p, '(') || setOperation);
    if (query) this.write('SELECT * FROM (', i);
    this.copy(i);
    let k = i + 1;
    while (k < end) {
      const first = this.next(k, end);
      this.range(k, first, context);
      if (first >= end) break;
      const comma = this.scan(first, end, (t) => t.text === ',');
      const last = this.previous(comma);
      const grouped = this.isSymbol(first, '(') && this.closing(first, comma) === last;
      if (grouped) {
        this.range(first, last + 1, context);
      } else {
        this.write('(', first);
        this.range(first, last + 1, context);
        this.write(')', last);
      }
      this.range(last + 1, Math.min(comma + 1, end), context);
      k = comma + 1;
    }
    if (query) this.write(') AS _values ', end);
    return end;
  }

  /** `GROUP BY` elements: GROUPING SETS as ROLLUP, `()` as `(NULL)`. */
  private groupBy(i: number, by: number, to: number): number {
    this.copyRange(i, by + 1);
    const end = this.scan(
      by + 1,
      to,
      (t) => (t.kind === 'ident' && CLAUSE_KEYWORDS.has(t.value)) || t.text === ';',
    );
    this.range(by + 1, end, { groupBy: true });
    return end;
  }

  /** `WINDOW w AS (…), v AS (…)`: each specification's frame rewritten. */
  private windowClause(i: number, to: number, context: Context): number {
    let k = i;
    let name = this.next(k + 1, to);
    let as = this.next(name + 1, to);
    let open = this.next(as + 1, to);
    if (!(
      this.token(name)?.kind === 'ident' &&
      this.isWord(as, 'as') &&
      this.isSymbol(open, '(')
    )) {
      this.copy(i);
      return i + 1;
    }
    for (;;) {
      this.copyRange(k, open);
      k = this.windowSpec(open, to, context);
      const comma = this.next(k, to);
      name = this.next(comma + 1, to);
      as = this.next(name + 1, to);
      open = this.next(as + 1, to);
      const another = this.isSymbol(comma, ',') && this.token(name)?.kind === 'ident';
      if (!(another && this.isWord(as, 'as') && this.isSymbol(open, '('))) return k;
    }
  }

  /**
   * A window specification `( [name] … [frame] )`: a name it refines left out, `RANGE`/`GROUPS`
   * frames as `ROWS`, an offset that is not an unsigned integer as `1`; that offset's expression
   * and the `extra` ones (a FILTER's condition) added to the ORDER BY.
   */
  private windowSpec(
    open: number,
    to: number,
    context: Context,
    extra: readonly (readonly [number, number])[] = [],
  ): number {
    const close = this.closing(open, to);
    if (close >= to) {
      this.copy(open);
      return open + 1;
    }
    const first = this.next(open + 1, close);
    const named =
      (this.token(first)?.kind === 'ident' || this.token(first)?.kind === 'quoted') &&
      !this.isWord(first, 'partition', 'order', 'rows', 'range', 'groups');
    const body = named ? first + 1 : open + 1;
    const frame = this.scan(
      body,
      close,
      (t, k) => t.kind === 'ident' && this.isFrameStart(k, close),
    );
    const bounds = frame < close ? this.frameBounds(frame, close) : [];
    if (bounds === undefined) {
      this.range(open, close + 1, context);
      return close + 1;
    }
    const end = frame < close ? frame : close;
    this.copy(open);
    this.range(body, end, context);
    const moved = [
      ...extra,
      ...bounds.flatMap((b) => (b.expression && !b.integer ? [b.expression] : [])),
    ];
    if (moved.length > 0) {
      const ordered = this.scan(
        body,
        end,
        (t, k) => t.value === 'order' && this.isWord(this.next(k + 1, end), 'by'),
      );
      this.write(ordered < end ? ', ' : ' ORDER BY ', end);
      moved.forEach(([from, until], n) => {
        if (n > 0) this.write(', ', from);
        this.write('(', from);
        this.range(from, until, context);
        this.write(')', until);
      });
      this.write(' ', end);
    }
    let k = end;
    if (frame < close) {
      this.write('ROWS', frame);
      k = frame + 1;
    }
    for (const bound of bounds) {
      if (bound.expression && !bound.integer) {
        const [from, until] = bound.expression;
        this.range(k, from, context);
        this.write('1 ', from);
        k = until;
      }
      this.range(k, bound.end, context);
      k = bound.end;
    }
    this.range(k, close + 1, context);
    return close + 1;
  }

  /**
   * `FILTER (WHERE c) OVER (…)`, which the parser does not read: the FILTER left out, its
   * condition added to the window's ORDER BY.
   */
  private filterOver(i: number, open: number, to: number, context: Context): number | undefined {
    const where = this.next(open + 1, to);
    const close = this.closing(open, to);
    const over = this.next(close + 1, to);
    const spec = this.next(over + 1, to);
    if (!this.isWord(where, 'where') || close >= to) return undefined;
    if (!this.isWord(over, 'over') || !this.isSymbol(spec, '(')) return undefined;
    const condition = this.previous(close) + 1;
    this.write(' ', i);
    this.copy(over);
    this.range(over + 1, spec, context);
    return this.windowSpec(spec, to, context, [[where + 1, condition]]);
  }

  /** `EXTRACT(field FROM x)` with a Trino field the parser does not know: the field as DAY. */
  private extract(i: number, open: number, to: number): number {
    const field = this.next(open + 1, to);
    const from = this.next(field + 1, to);
    this.copy(i);
    if (!this.isWord(field, ...EXTRACT_FIELDS) || !this.isWord(from, 'from')) return i + 1;
    this.range(i + 1, field, { groupBy: false });
    this.write('DAY', field);
    return field + 1;
  }

  /** Whether the token at `k` starts a window frame (`ROWS|RANGE|GROUPS` then a bound). */
  private isFrameStart(k: number, close: number): boolean {
    if (!this.isWord(k, 'rows', 'range', 'groups')) return false;
    const before = this.previous(k);
    if (this.isWord(before, 'by') || this.isSymbol(before, ',')) return false;
    const after = this.next(k + 1, close);
    if (this.isWord(after, 'between', 'unbounded', 'current')) return true;
    return (
      this.scan(
        k + 1,
        close,
        (t) => t.kind === 'ident' && (t.value === 'preceding' || t.value === 'following'),
      ) < close
    );
  }

  /** The bounds of the frame starting at `frame`, or undefined when it is not one. */
  private frameBounds(
    frame: number,
    close: number,
  ): { end: number; expression?: [number, number]; integer: boolean }[] | undefined {
    const bound = (
      from: number,
    ): { end: number; expression?: [number, number]; integer: boolean } | undefined => {
      const first = this.next(from, close);
      if (this.isWord(first, 'unbounded') || this.isWord(first, 'current')) {
        const second = this.next(first + 1, close);
        if (!this.isWord(second, 'preceding', 'following', 'row')) return undefined;
        return { end: second + 1, integer: false };
      }
      const side = this.scan(
        first,
        close,
        (t) => t.kind === 'ident' && (t.value === 'preceding' || t.value === 'following'),
      );
      if (side >= close || side === first) return undefined;
      const last = this.previous(side);
      const integer = last === first && /^\d+$/u.test(this.token(first)?.text ?? '');
      return { end: side + 1, expression: [first, last + 1], integer };
    };
    const first = this.next(frame + 1, close);
    if (!this.isWord(first, 'between')) {
      const single = bound(frame + 1);
      return single ? [single] : undefined;
    }
    const low = bound(first + 1);
    if (!low) return undefined;
    const and = this.next(low.end, close);
    if (!this.isWord(and, 'and')) return undefined;
    const high = bound(and + 1);
    return high ? [low, high] : undefined;
  }

  /** `OFFSET n ROW|ROWS` → `OFFSET n`. */
  private offset(i: number, to: number): number {
    const count = this.next(i + 1, to);
    const rows = this.next(count + 1, to);
    this.copy(i);
    if (this.isCount(count) && this.isWord(rows, 'row', 'rows')) {
      this.range(i + 1, count + 1, { groupBy: false });
      return rows + 1;
    }
    return i + 1;
  }

  /** `FETCH FIRST|NEXT [n] ROW|ROWS ONLY|WITH TIES` → `LIMIT n`. */
  private fetch(i: number, to: number): number {
    const first = this.next(i + 1, to);
    let k = this.next(first + 1, to);
    let count = '1';
    if (this.isCount(k)) {
      count = this.token(k)?.text ?? '1';
      k = this.next(k + 1, to);
    }
    const ending = this.next(k + 1, to);
    const ties = this.next(ending + 1, to);
    if (this.isWord(first, 'first', 'next') && this.isWord(k, 'row', 'rows')) {
      if (this.isWord(ending, 'only')) {
        this.write(`LIMIT ${count}`, i);
        return ending + 1;
      }
      if (this.isWord(ending, 'with') && this.isWord(ties, 'ties')) {
        this.write(`LIMIT ${count}`, i);
        return ties + 1;
      }
    }
    this.copy(i);
    return i + 1;
  }

  private isCount(k: number): boolean {
    const token = this.token(k);
    return (token?.kind === 'number' && /^\d+$/u.test(token.text)) || token?.kind === 'param';
  }

  /** `INTERVAL [+|-]'…' unit [TO unit]` → `INTERVAL [+|-]'…' unit`. */
  private interval(i: number, to: number): number {
    let value = this.next(i + 1, to);
    if (this.isSymbol(value, '+', '-')) value = this.next(value + 1, to);
    const unit = this.next(value + 1, to);
    const toWord = this.next(unit + 1, to);
    const last = this.next(toWord + 1, to);
    const string = this.token(value);
    if (
      string?.kind !== 'string' ||
      string.prefix !== '' ||
      !this.isWord(unit, ...INTERVAL_UNITS)
    ) {
      this.copy(i);
      return i + 1;
    }
    if (string.value.includes('\\')) {
      // Not an interval Trino reads; for the parser, a constant string without the backslash.
      this.write(`CAST(${literal(string.value)} AS VARCHAR)`, i);
    } else {
      this.copy(i);
      this.range(i + 1, unit + 1, { groupBy: false });
    }
    return this.isWord(toWord, 'to') && this.isWord(last, ...INTERVAL_UNITS) ? last + 1 : unit + 1;
  }

  /** `TYPE 'text'` → `CAST('text' AS type)` (`json_parse('text')` for JSON) unless the parser reads it. */
  private typedLiteral(i: number, to: number): number {
    const type = this.tokens[i] as Token;
    let k = this.next(i + 1, to);
    if (type.value === 'double' && this.isWord(k, 'precision')) k = this.next(k + 1, to);
    const string = this.token(k);
    if (string?.kind !== 'string' || string.prefix !== '') {
      this.copy(i);
      return i + 1;
    }
    if (PARSER_LITERAL_TYPES.has(type.value) && !string.value.includes('\\')) {
      this.copy(i);
      return i + 1;
    }
    const value = literal(string.value);
    if (type.value === 'json') this.write(`json_parse(${value})`, i);
    else {
      const target = PARSER_TYPES.has(type.value) ? type.value.toUpperCase() : 'VARCHAR';
      this.write(`CAST(${value} AS ${target})`, i);
    }
    return k + 1;
  }

  /** After `)` or `]`: a row field access `.field[.field…]` is left out (not a function call). */
  private fieldAccess(from: number, to: number): number {
    let k = from;
    let end = from;
    for (;;) {
      const dot = this.next(k, to);
      const name = this.next(dot + 1, to);
      const kind = this.token(name)?.kind;
      if (!this.isSymbol(dot, '.') || (kind !== 'ident' && kind !== 'quoted')) break;
      k = name + 1;
      end = k;
    }
    if (end === from || this.isSymbol(this.next(end, to), '(')) return from;
    return end;
  }
}

/** Reads a Trino type: whether the parser knows it, it is Trino's, or neither. */
class TypeReader {
  private k: number;
  private parserKnows = true;

  constructor(
    private readonly tokens: readonly Token[],
    from: number,
    private readonly to: number,
  ) {
    this.k = from;
  }

  /** 'parser' (the parser reads it), 'trino' (a Trino type it does not), 'unknown'. */
  read(): 'parser' | 'trino' | 'unknown' {
    const ok = this.type();
    if (!ok || this.peek() !== undefined) return 'unknown';
    return this.parserKnows ? 'parser' : 'trino';
  }

  private peek(): Token | undefined {
    while (
      this.k < this.to &&
      (this.tokens[this.k]?.kind === 'space' || this.tokens[this.k]?.kind === 'comment')
    ) {
      this.k += 1;
    }
    return this.k < this.to ? this.tokens[this.k] : undefined;
  }

  private take(): Token | undefined {
    const token = this.peek();
    if (token) this.k += 1;
    return token;
  }

  private word(...words: string[]): boolean {
    const token = this.peek();
    if (token?.kind === 'ident' && words.includes(token.value)) {
      this.k += 1;
      return true;
    }
    return false;
  }

  private symbol(text: string): boolean {
    const token = this.peek();
    if (token?.kind === 'symbol' && token.text === text) {
      this.k += 1;
      return true;
    }
    return false;
  }

  /** `(n[, n])` after a type name, if any; false when malformed. */
  private numbers(): boolean {
    if (!this.symbol('(')) return true;
    do {
      if (this.take()?.kind !== 'number') return false;
    } while (this.symbol(','));
    return this.symbol(')');
  }

  private zone(): boolean {
    if (!this.word('with', 'without')) return true;
    return this.word('time') && this.word('zone');
  }

  private type(): boolean {
    const token = this.take();
    if (token?.kind !== 'ident') return false;
    const name = token.value;
    if (name === 'array' || name === 'map' || name === 'row') {
      this.parserKnows = false;
      if (!this.symbol('(')) return false;
      do {
        if (name === 'row') {
          // `name type` or just `type`
          const save = this.k;
          const first = this.take();
          const second = this.peek();
          const named =
            (first?.kind === 'ident' || first?.kind === 'quoted') &&
            second !== undefined &&
            second.text !== ',' &&
            second.text !== ')' &&
            second.text !== '(';
          if (!named) this.k = save;
        }
        if (!this.type()) return false;
      } while (this.symbol(','));
      return this.symbol(')');
    }
    if (!TRINO_TYPES.has(name)) return false;
    if (!PARSER_TYPES.has(name)) this.parserKnows = false;
    switch (name) {
      case 'double':
        if (this.word('precision')) this.parserKnows = false;
        return true;
      case 'timestamp':
      case 'time':
        return this.numbers() && this.zone();
      case 'interval':
        if (!this.word(...INTERVAL_UNITS)) return false;
        return !this.word('to') || this.word(...INTERVAL_UNITS);
      default:
        return this.numbers();
    }
  }
}
