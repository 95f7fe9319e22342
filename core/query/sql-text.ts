/**
 * Placeholders and names for the engine adapters: finds the positional placeholders `$1`, `$2`, …
 * and the identifiers of a statement outside string literals, quoted identifiers and comments (as
 * the query layer's tokenizer, `sql/tokenizer.ts`, reads them), so the adapters can rewrite
 * placeholders to their engine's form (Athena `?`, Data API `:p1`) from the statement's
 * structure, never from parameter values.
 */

import { tokenize, type Token } from '#core/query/sql/tokenizer';

/** One lexical piece of a statement. */
type Piece =
  | { readonly kind: 'placeholder'; readonly index: number; readonly text: string }
  | {
      readonly kind: 'identifier';
      readonly name: string;
      readonly quoted: boolean;
      readonly text: string;
    }
  | { readonly kind: 'star'; readonly text: string }
  | { readonly kind: 'other'; readonly text: string };

/** Words after which a `*` is a select-all, not a multiplication. */
const STAR_BEFORE = new Set(['select', 'distinct', 'all']);
/**
 * A word as the adapters count names outside literals: an identifier character run, or one other
 * character. A letter after digits starts a name (`1e5` reads as `1` and `e5`).
 */
const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*|[\s\S]/g;

/** Splits `sql` into pieces; literals and comments are `other` pieces kept verbatim. */
function lex(sql: string): Piece[] {
  const pieces: Piece[] = [];
  let code = '';
  const flush = (): void => {
    for (const [text] of code.matchAll(WORD)) pieces.push(codePiece(text, pieces));
    code = '';
  };
  for (const token of tokenize(sql, { astralDollarTags: true })) {
    const isCode = ['space', 'ident', 'number', 'symbol'].includes(token.kind);
    if (isCode) {
      code += token.text;
    } else {
      flush();
      pieces.push(...literalPieces(token));
    }
  }
  flush();
  return pieces;
}

/** A word of code: an identifier, a select-all `*`, or another character. */
function codePiece(text: string, before: readonly Piece[]): Piece {
  if (/^[A-Za-z_\u0080-\uffff]/.test(text)) {
    return { kind: 'identifier', name: text.toLowerCase(), quoted: false, text };
  }
  if (text === '*') return { kind: isSelectAll(before) ? 'star' : 'other', text };
  return { kind: 'other', text };
}

/** The pieces of a string, quoted name, parameter or comment (a string's prefix is a name). */
function literalPieces(token: Token): Piece[] {
  const { text } = token;
  if (token.kind === 'param') {
    return [{ kind: 'placeholder', index: Number(text.slice(1)), text }];
  }
  if (token.kind === 'quoted') {
    const name = text.slice(1, -1).replaceAll('""', '"');
    return [{ kind: 'identifier', name, quoted: true, text }];
  }
  const prefix = token.kind === 'string' && token.prefix !== '$' ? (token.prefix ?? '') : '';
  if (prefix === '') return [{ kind: 'other', text }];
  const letter = text.charAt(0);
  const name: Piece = {
    kind: 'identifier',
    name: letter.toLowerCase(),
    quoted: false,
    text: letter,
  };
  const rest = text.slice(prefix.length);
  return prefix === 'U&'
    ? [name, { kind: 'other', text: '&' }, { kind: 'other', text: rest }]
    : [name, { kind: 'other', text: rest }];
}

/** A `*` is a select-all after SELECT, DISTINCT, ALL, `,` or `.` (`t.*`). */
function isSelectAll(before: readonly Piece[]): boolean {
  for (let k = before.length - 1; k >= 0; k -= 1) {
    const piece = before[k];
    if (!piece || (piece.kind === 'other' && /^\s+$/.test(piece.text))) continue;
    if (piece.kind === 'other' && /^\s/.test(piece.text)) continue;
    if (piece.kind === 'other' && (piece.text.startsWith('--') || piece.text.startsWith('/*'))) {
      continue;
    }
    if (piece.kind === 'identifier' && !piece.quoted) return STAR_BEFORE.has(piece.name);
    return piece.kind === 'other' && (piece.text === ',' || piece.text === '.');
  }
  return false;
}

/**
 * Replaces every positional placeholder `$n` outside literals, quoted identifiers and comments
 * with what `replace` returns for it. `occurrence` counts placeholders from 0 in text order (a
 * `$1` used twice is two occurrences).
 * @example
 * rewritePlaceholders("SELECT * FROM t WHERE a = $1 AND b = '$2'", () => '?');
 * // "SELECT * FROM t WHERE a = ? AND b = '$2'"
 */
export function rewritePlaceholders(
  sql: string,
  replace: (index: number, occurrence: number) => string,
): string {
  let occurrence = 0;
  return lex(sql)
    .map((piece) =>
      piece.kind === 'placeholder' ? replace(piece.index, occurrence++) : piece.text,
    )
    .join('');
}

/**
 * The placeholder numbers of a statement in text order, repeats included.
 * @example
 * placeholders('SELECT $2, $1, $2'); // [2, 1, 2]
 */
export function placeholders(sql: string): number[] {
  return lex(sql).flatMap((piece) => (piece.kind === 'placeholder' ? [piece.index] : []));
}

/** The identifiers a statement mentions and whether it selects `*` (or `t.*`) anywhere. */
export interface IdentifierUse {
  /** Unquoted identifiers lower-cased, quoted ones as written. */
  readonly names: ReadonlySet<string>;
  readonly selectAll: boolean;
}

/**
 * The identifiers of a statement outside literals and comments, and whether it selects `*`: an
 * over-approximation of the columns it reads (a name that is also an alias or another table's
 * column counts too), used where no parsed column list is at hand.
 * @example
 * identifierUse("SELECT id FROM events WHERE dt = 'x'"); // { names: {select, id, from, events, where, dt}, selectAll: false }
 */
export function identifierUse(sql: string): IdentifierUse {
  const names = new Set<string>();
  let selectAll = false;
  for (const piece of lex(sql)) {
    if (piece.kind === 'identifier') names.add(piece.name);
    if (piece.kind === 'star') selectAll = true;
  }
  return { names, selectAll };
}
