/**
 * Literals: strings without backslashes for the parser, binary and Unicode strings decoded,
 * typed literals as casts, intervals without their `TO unit`.
 */
import type { Token } from '#core/query/sql/tokenizer';
import type { Rewriter } from '#core/query/guard/syntax/rewriter';
import {
  PARSER_TYPES,
  PARSER_LITERAL_TYPES,
  INTERVAL_UNITS,
} from '#core/query/guard/syntax/vocabulary';

/**
 * A string literal the parser reads as the engines do: quotes doubled, and no backslash (the
 * parser would take one as an escape) — `a\b` is `('a' || chr(92) || 'b')`.
 */
export function literal(value: string): string {
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

/** A string literal: binary and Unicode strings decoded, backslashes kept from the parser. */
export function stringLiteral(r: Rewriter, i: number, to: number): number {
  const token = r.tokens[i] as Token;
  if (token.prefix === 'X') {
    const hex = token.value.replace(/\s+/gu, '');
    if (/^[0-9A-Fa-f]*$/u.test(hex) && token.closed) {
      r.write(`from_hex('${hex}')`, i);
      return i + 1;
    }
  } else if (token.prefix === 'U&' && token.closed) {
    let escape = '\\';
    let end = i + 1;
    const u = r.next(i + 1, to);
    const e = r.next(u + 1, to);
    if (r.isWord(u, 'uescape') && r.token(e)?.kind === 'string' && !r.token(e)?.prefix) {
      escape = r.token(e)?.value ?? escape;
      end = e + 1;
    }
    if (escape.length === 1) {
      r.write(literal(unicodeValue(token.value, escape)), i);
      return end;
    }
  } else if (token.prefix === '' && token.closed && token.value.includes('\\')) {
    // After ESCAPE the parser takes only a literal: any escape character does for the guard.
    const escape = r.isWord(r.previous(i), 'escape');
    r.write(escape ? literal(token.value.replaceAll('\\', '!')) : literal(token.value), i);
    return i + 1;
  }
  r.copy(i);
  return i + 1;
}

/** `INTERVAL [+|-]'…' unit [TO unit]` → `INTERVAL [+|-]'…' unit`. */
export function interval(r: Rewriter, i: number, to: number): number {
  let value = r.next(i + 1, to);
  if (r.isSymbol(value, '+', '-')) value = r.next(value + 1, to);
  const unit = r.next(value + 1, to);
  const toWord = r.next(unit + 1, to);
  const last = r.next(toWord + 1, to);
  const string = r.token(value);
  if (string?.kind !== 'string' || string.prefix !== '' || !r.isWord(unit, ...INTERVAL_UNITS)) {
    r.copy(i);
    return i + 1;
  }
  if (string.value.includes('\\')) {
    // Not an interval Trino reads; for the parser, a constant string without the backslash.
    r.write(`CAST(${literal(string.value)} AS VARCHAR)`, i);
  } else {
    r.copy(i);
    r.range(i + 1, unit + 1, { groupBy: false });
  }
  return r.isWord(toWord, 'to') && r.isWord(last, ...INTERVAL_UNITS) ? last + 1 : unit + 1;
}

/** `TYPE 'text'` → `CAST('text' AS type)` (`json_parse('text')` for JSON) unless the parser reads it. */
export function typedLiteral(r: Rewriter, i: number, to: number): number {
  const type = r.tokens[i] as Token;
  let k = r.next(i + 1, to);
  if (type.value === 'double' && r.isWord(k, 'precision')) k = r.next(k + 1, to);
  const string = r.token(k);
  if (string?.kind !== 'string' || string.prefix !== '') {
    r.copy(i);
    return i + 1;
  }
  if (PARSER_LITERAL_TYPES.has(type.value) && !string.value.includes('\\')) {
    r.copy(i);
    return i + 1;
  }
  const value = literal(string.value);
  if (type.value === 'json') r.write(`json_parse(${value})`, i);
  else {
    const target = PARSER_TYPES.has(type.value) ? type.value.toUpperCase() : 'VARCHAR';
    r.write(`CAST(${value} AS ${target})`, i);
  }
  return k + 1;
}
