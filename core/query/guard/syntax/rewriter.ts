/**
 * The syntax rewriter's driver: walks a statement's tokens, hands each construct to the rewrite of
 * its family, and keeps the map from rewritten offsets back to the statement's.
 */
import type { GuardText } from '#core/query/guard-syntax';
import { groupBy, fetchFirst, offset, unnest, valuesList } from '#core/query/guard/syntax/clauses';
import { TokenCursor } from '#core/query/guard/syntax/cursor';
import {
  atTimeZone,
  distinctFrom,
  exists,
  extractField,
  fieldAccess,
} from '#core/query/guard/syntax/expressions';
import { interval, stringLiteral, typedLiteral } from '#core/query/guard/syntax/literals';
import { cast } from '#core/query/guard/syntax/types';
import { COMPARISONS, LITERAL_TYPES } from '#core/query/guard/syntax/vocabulary';
import { filterOver, listagg, windowClause, windowSpec } from '#core/query/guard/syntax/windows';
import type { Token } from '#core/query/sql/tokenizer';

/** A piece of the rewritten text: copied from `start` in the statement, or made up there. */
interface Piece {
  readonly text: string;
  readonly start: number;
  readonly copied: boolean;
}

/** Where a construct is: inside a GROUP BY clause (empty grouping sets are rewritten there). */
export interface Context {
  readonly groupBy: boolean;
}

/** Writes the statement as the parser reads it, piece by piece. */
export class Rewriter extends TokenCursor {
  private readonly pieces: Piece[] = [];
  /** Text to write before the token at an index (an `AS` before an UNNEST alias). */
  readonly before = new Map<number, string>();

  /** The rewritten text, and the map from its offsets to the statement's (`length` long). */
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

  /** Copies the token at `index` as written. */
  copy(index: number): void {
    const token = this.tokens[index] as Token;
    this.pieces.push({ text: token.text, start: token.start, copied: true });
  }

  /** Copies tokens [from, to) as written (keywords and names only). */
  copyRange(from: number, to: number): void {
    for (let k = from; k < to; k += 1) this.copy(k);
  }

  /** Writes made-up text where the token at `index` is. */
  write(text: string, index: number): void {
    const token = this.tokens[Math.min(index, this.tokens.length - 1)];
    this.pieces.push({ text, start: token?.start ?? 0, copied: false });
  }

  /**
   * A call `name(…)` at `i`: the name and its arguments written, and the index of its `)`; only
   * the name (undefined) when the bracket does not close before `to`.
   */
  call(i: number, open: number, to: number, context: Context): number | undefined {
    const close = this.closing(open, to);
    this.copy(i);
    if (close >= to) return undefined;
    this.range(i + 1, close + 1, context);
    return close;
  }

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
    if (token.kind === 'string') return stringLiteral(this, i, to);
    if (token.kind === 'symbol' && (token.text === ')' || token.text === ']')) {
      this.copy(i);
      return fieldAccess(this, i + 1, to);
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
    const end = this.keyword(token.value, i, to, context);
    if (end !== undefined) return end;
    if (LITERAL_TYPES.has(token.value)) return typedLiteral(this, i, to);
    this.copy(i);
    return i + 1;
  }

  /** The rewrite a keyword at `i` starts, if one applies; the index after it. */
  private keyword(word: string, i: number, to: number, context: Context): number | undefined {
    const n1 = this.next(i + 1, to);
    const call = this.isSymbol(n1, '(');
    switch (word) {
      case 'is':
        return distinctFrom(this, i, to);
      case 'at':
        return atTimeZone(this, i, to);
      case 'exists':
        return exists(this, i, n1, to);
      case 'any':
      case 'some':
      case 'all':
        return this.quantified(i, n1, to);
      case 'cast':
      case 'try_cast':
        return call ? cast(this, i, n1, to, context) : undefined;
      case 'unnest':
        return call ? unnest(this, i, n1, to, context) : undefined;
      case 'listagg':
        return call ? listagg(this, i, n1, to, context) : undefined;
      case 'values':
        return valuesList(this, i, to, context);
      case 'group':
        return this.isWord(n1, 'by') ? groupBy(this, i, n1, to) : undefined;
      case 'grouping':
        return this.groupingSets(i, n1, context);
      case 'over':
        return call ? this.over(i, n1, to, context) : undefined;
      case 'window':
        return windowClause(this, i, to, context);
      case 'filter':
        return call ? filterOver(this, i, n1, to, context) : undefined;
      case 'extract':
        return call ? extractField(this, i, n1, to) : undefined;
      case 'offset':
        return offset(this, i, to);
      case 'fetch':
        return fetchFirst(this, i, to);
      case 'interval':
        return interval(this, i, to);
      default:
        return undefined;
    }
  }

  /** A quantified comparison `= ANY (subquery)`: the quantifier left out. */
  private quantified(i: number, open: number, to: number): number | undefined {
    if (!COMPARISONS.has(this.token(this.previous(i))?.text ?? '') || !this.isQuery(open, to)) {
      return undefined;
    }
    this.write(' ', i);
    return i + 1;
  }

  /** `GROUPING SETS` inside GROUP BY → `ROLLUP`. */
  private groupingSets(i: number, sets: number, context: Context): number | undefined {
    if (!context.groupBy || !this.isWord(sets, 'sets')) return undefined;
    this.write('ROLLUP', i);
    return sets + 1;
  }

  /** `OVER (…)`: the window specification rewritten. */
  private over(i: number, open: number, to: number, context: Context): number {
    this.copy(i);
    this.range(i + 1, open, context);
    return windowSpec(this, open, to, context);
  }
}
