/** Types: a CAST to a Trino type the parser does not know is a CAST to VARCHAR. */
import type { Token } from '#core/query/sql/tokenizer';
import { fieldAccess } from '#core/query/guard/syntax/expressions';
import type { Context, Rewriter } from '#core/query/guard/syntax/rewriter';
import { PARSER_TYPES, TRINO_TYPES, INTERVAL_UNITS } from '#core/query/guard/syntax/vocabulary';

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

/** `CAST(x AS type)`: x rewritten, a type the parser does not know written as VARCHAR. */
export function cast(r: Rewriter, i: number, open: number, to: number, context: Context): number {
  const close = r.closing(open, to);
  if (close >= to) {
    r.copy(i);
    return i + 1;
  }
  const as = r.scan(open + 1, close, (t) => t.kind === 'ident' && t.value === 'as');
  r.copy(i);
  r.range(i + 1, open + 1, context);
  if (as >= close) {
    r.range(open + 1, close + 1, context);
    return fieldAccess(r, close + 1, to);
  }
  r.range(open + 1, as + 1, context);
  const type = new TypeReader(r.tokens, as + 1, close).read();
  if (type === 'parser') r.range(as + 1, close, context);
  else if (type === 'trino') r.write(' VARCHAR', as + 1);
  else r.range(as + 1, close, context);
  r.copy(close);
  return fieldAccess(r, close + 1, to);
}
