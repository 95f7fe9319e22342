/**
 * The one SQL tokenizer of the query layer, shared by the guard's lexical check, its syntax
 * rewriter and the adapters' placeholder rewriting (`sql-text.ts`). It follows the engines' own
 * lexical rules (PostgreSQL's, which DuckDB shares, and Trino's): `'…'` with `''`, `E'…'` with
 * backslash escapes, `X'…'` and `U&'…'`, `$tag$…$tag$`, `"…"` with `""`, `-- …` and nested
 * `/* … *\/` comments, `$n` parameters, numbers and the two-character operators.
 */

/** What a token is. */
export type TokenKind =
  'space' | 'comment' | 'string' | 'ident' | 'quoted' | 'number' | 'param' | 'symbol';

/** One lexical token, with where it starts in the statement. */
export interface Token {
  readonly kind: TokenKind;
  /** The token's text as written. */
  readonly text: string;
  /** Identifiers: the lowercased name; strings: the value (quotes undoubled); others: the text. */
  readonly value: string;
  /** Strings: `X` (binary), `U&` (Unicode), `E` (escape), `$` (dollar-quoted) or empty. */
  readonly prefix?: string;
  /** Offset of the token in the statement. */
  readonly start: number;
  /** Plain, `X` and `U&` strings and quoted names: whether the closing quote is there. */
  readonly closed?: boolean;
}

/** How to read what the engines' rules leave open. */
export interface TokenizeOptions {
  /**
   * Whether a `$tag$` may hold characters outside the Basic Multilingual Plane (read per UTF-16
   * code unit, as PostgreSQL reads bytes). The guard's lexers do not take them (such a tag is
   * then no string, and the parser refuses it); the placeholder rewriting does.
   * @default false
   */
  readonly astralDollarTags?: boolean;
}

/** A character that may start an unquoted identifier. */
export const IDENT_START = /[A-Za-z_\u0080-\uffff]/u;
/** A character that may continue an unquoted identifier. */
export const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/u;
const TWO_CHAR_SYMBOLS = new Set(['->', '<=', '>=', '<>', '!=', '||', '::', '=>']);
// Sticky (`y`) patterns, matched at an offset without copying the rest of the statement.
const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/uy;
const DOLLAR_TAG_UNITS = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/uy;

/** The match of the sticky `pattern` at `at` in `text`, if any. */
function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

/**
 * Splits `sql` into tokens; their texts, joined, are `sql`.
 * @example
 * tokenize("a = 'x'").map((t) => t.kind); // ['ident', 'space', 'symbol', 'space', 'string']
 */
export function tokenize(sql: string, options: TokenizeOptions = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const token = readToken(sql, i, options);
    tokens.push(token);
    i = token.start + token.text.length;
  }
  return tokens;
}

/** The token starting at `i`. */
function readToken(sql: string, i: number, options: TokenizeOptions): Token {
  const c = sql.charAt(i);
  const next = sql.charAt(i + 1);
  const identBefore = i > 0 && IDENT_PART.test(sql.charAt(i - 1));
  if (/\s/u.test(c)) {
    let end = i + 1;
    while (end < sql.length && /\s/u.test(sql.charAt(end))) end += 1;
    return { kind: 'space', text: sql.slice(i, end), value: ' ', start: i };
  }
  if (c === '-' && next === '-') {
    const newline = sql.indexOf('\n', i);
    const end = newline < 0 ? sql.length : newline;
    return { kind: 'comment', text: sql.slice(i, end), value: '', start: i };
  }
  if (c === '/' && next === '*') {
    return { kind: 'comment', text: sql.slice(i, blockCommentEnd(sql, i)), value: '', start: i };
  }
  const prefixed = identBefore ? undefined : prefixedString(sql, i);
  if (prefixed) return prefixed;
  if (c === "'") return quotedString(sql, i, i, '');
  if (c === '"') {
    const { end, closed } = quotedEnd(sql, i, '"');
    const text = sql.slice(i, end);
    const value = text.slice(1, closed ? -1 : undefined).replaceAll('""', '"');
    return { kind: 'quoted', text, value, start: i, closed };
  }
  if (c === '$' && !identBefore) return dollar(sql, i, options);
  if (IDENT_START.test(c)) {
    let end = i + 1;
    while (end < sql.length && IDENT_PART.test(sql.charAt(end))) end += 1;
    const text = sql.slice(i, end);
    return { kind: 'ident', text, value: text.toLowerCase(), start: i };
  }
  if (/[0-9]/u.test(c) || (c === '.' && /[0-9]/u.test(next))) {
    const match = matchAt(NUMBER, sql, i);
    const text = sql.slice(i, i + (match?.[0].length ?? 1));
    return { kind: 'number', text, value: text, start: i };
  }
  const text = sql.slice(i, TWO_CHAR_SYMBOLS.has(sql.slice(i, i + 2)) ? i + 2 : i + 1);
  return { kind: 'symbol', text, value: text, start: i };
}

/** An `E'…'`, `X'…'` or `U&'…'` string at `i` (not after an identifier character), if one. */
function prefixedString(sql: string, i: number): Token | undefined {
  const c = sql.charAt(i);
  const next = sql.charAt(i + 1);
  if ((c === 'E' || c === 'e') && next === "'") {
    let end = i + 2;
    while (end < sql.length) {
      if (sql.charAt(end) === '\\') end += 2;
      else if (sql.charAt(end) === "'" && sql.charAt(end + 1) === "'") end += 2;
      else if (sql.charAt(end) === "'") break;
      else end += 1;
    }
    end = Math.min(end + 1, sql.length);
    return { kind: 'string', text: sql.slice(i, end), value: '', prefix: 'E', start: i };
  }
  if ((c === 'X' || c === 'x') && next === "'") return quotedString(sql, i, i + 1, 'X');
  if ((c === 'U' || c === 'u') && next === '&' && sql.charAt(i + 2) === "'") {
    return quotedString(sql, i, i + 2, 'U&');
  }
  return undefined;
}

/** A `'…'` string whose quote opens at `open` (after its prefix, from `start`). */
function quotedString(sql: string, start: number, open: number, prefix: string): Token {
  const { end, closed } = quotedEnd(sql, open, "'");
  const body = sql.slice(open + 1, closed ? end - 1 : end);
  const value = body.replaceAll("''", "'");
  return { kind: 'string', text: sql.slice(start, end), value, prefix, start, closed };
}

/** The end of a quoted run opening at `open` (a doubled quote continues it). */
function quotedEnd(sql: string, open: number, quote: string): { end: number; closed: boolean } {
  let k = open + 1;
  while (k < sql.length) {
    if (sql.charAt(k) === quote && sql.charAt(k + 1) === quote) k += 2;
    else if (sql.charAt(k) === quote) return { end: k + 1, closed: true };
    else k += 1;
  }
  return { end: sql.length, closed: false };
}

/** The end of the (nested) block comment starting at `start`; the end of `sql` if unclosed. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 1;
  let end = start + 2;
  while (end < sql.length && depth > 0) {
    const pair = sql.slice(end, end + 2);
    if (pair === '/*' || pair === '*/') {
      depth += pair === '/*' ? 1 : -1;
      end += 2;
    } else {
      end += 1;
    }
  }
  return end;
}

/** At a `$` not after an identifier character: a `$n` parameter, a `$tag$` string or a symbol. */
function dollar(sql: string, i: number, options: TokenizeOptions): Token {
  if (/^\$\d/u.test(sql.slice(i, i + 2))) {
    let end = i + 1;
    while (end < sql.length && /\d/u.test(sql.charAt(end))) end += 1;
    return { kind: 'param', text: sql.slice(i, end), value: sql.slice(i, end), start: i };
  }
  const tag = matchAt(options.astralDollarTags ? DOLLAR_TAG_UNITS : DOLLAR_TAG, sql, i);
  if (!tag) return { kind: 'symbol', text: '$', value: '$', start: i };
  const close = sql.indexOf(tag[0], i + tag[0].length);
  const end = close < 0 ? sql.length : close + tag[0].length;
  return { kind: 'string', text: sql.slice(i, end), value: '', prefix: '$', start: i };
}
