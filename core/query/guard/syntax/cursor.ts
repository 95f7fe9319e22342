/** Navigation over a statement's tokens for the syntax rewrites: words, symbols, brackets. */
import type { Token } from '#core/query/sql/tokenizer';

/** A statement's tokens, read by index; spaces and comments are passed over. */
export class TokenCursor {
  constructor(readonly tokens: readonly Token[]) {}

  /** The token at `index` (undefined past the end). */
  token(index: number): Token | undefined {
    return this.tokens[index];
  }

  /** The index of the first significant token (not space or comment) at or after `from`. */
  next(from: number, to: number = this.tokens.length): number {
    let k = from;
    while (k < to && (this.tokens[k]?.kind === 'space' || this.tokens[k]?.kind === 'comment')) {
      k += 1;
    }
    return k;
  }

  /** The index of the last significant token before `from` (-1 when none). */
  previous(from: number): number {
    let k = from - 1;
    while (k >= 0 && (this.tokens[k]?.kind === 'space' || this.tokens[k]?.kind === 'comment')) {
      k -= 1;
    }
    return k;
  }

  /** Whether the token at `index` is one of `words` (an unquoted identifier, lowercased). */
  isWord(index: number, ...words: string[]): boolean {
    const token = this.tokens[index];
    return token?.kind === 'ident' && words.includes(token.value);
  }

  /** Whether the token at `index` is one of `symbols`. */
  isSymbol(index: number, ...symbols: string[]): boolean {
    const token = this.tokens[index];
    return token?.kind === 'symbol' && symbols.includes(token.text);
  }

  /** The index of the bracket closing the one at `open` (or `to` when it is not closed). */
  closing(open: number, to: number): number {
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
  scan(from: number, to: number, stop: (token: Token, index: number) => boolean): number {
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
  qualified(index: number): boolean {
    return this.isSymbol(this.previous(index), '.');
  }

  /** Whether a subquery starts at `open`: `(` then SELECT, WITH, VALUES or another `(`. */
  isQuery(open: number, to: number): boolean {
    const first = this.next(open + 1, to);
    return (
      this.isSymbol(open, '(') &&
      (this.isWord(first, 'select', 'with', 'values') || this.isSymbol(first, '('))
    );
  }

  /** Whether the token at `k` is a row count: an unsigned integer or a `$n` parameter. */
  isCount(k: number): boolean {
    const token = this.token(k);
    return (token?.kind === 'number' && /^\d+$/u.test(token.text)) || token?.kind === 'param';
  }
}
