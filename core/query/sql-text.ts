/**
 * A small SQL lexer for the engine adapters: finds the positional placeholders `$1`, `$2`, … and
 * the identifiers of a statement outside string literals, quoted identifiers and comments, so the
 * adapters can rewrite placeholders to their engine's form (Athena `?`, Data API `:p1`) from the
 * statement's structure, never from parameter values. It knows PostgreSQL's and Trino's lexical
 * rules: `'…'` with `''`, `E'…'` with backslash escapes, `$tag$…$tag$`, `"…"` with `""`,
 * `-- …` and nested `/* … *\/` comments.
 */

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

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
/** Words after which a `*` is a select-all, not a multiplication. */
const STAR_BEFORE = new Set(['select', 'distinct', 'all']);

/** Splits `sql` into pieces; literals and comments are `other` pieces kept verbatim. */
function lex(sql: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  const isIdentPart = (at: number): boolean => at >= 0 && IDENT_PART.test(sql.charAt(at));
  const push = (piece: Piece): void => {
    pieces.push(piece);
    i += piece.text.length;
  };
  while (i < sql.length) {
    const c = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      push({ kind: 'other', text: sql.slice(i, end < 0 ? sql.length : end) });
    } else if (c === '/' && next === '*') {
      push({ kind: 'other', text: sql.slice(i, blockCommentEnd(sql, i)) });
    } else if (c === "'") {
      const backslash =
        (sql.charAt(i - 1) === 'E' || sql.charAt(i - 1) === 'e') && !isIdentPart(i - 2);
      push({ kind: 'other', text: sql.slice(i, quotedEnd(sql, i, "'", backslash)) });
    } else if (c === '"') {
      const text = sql.slice(i, quotedEnd(sql, i, '"', false));
      push({
        kind: 'identifier',
        name: text.slice(1, -1).replaceAll('""', '"'),
        quoted: true,
        text,
      });
    } else if (c === '$' && /\d/.test(next) && !isIdentPart(i - 1)) {
      const text = /^\$\d+/.exec(sql.slice(i))?.[0] ?? '$';
      push({ kind: 'placeholder', index: Number(text.slice(1)), text });
    } else if (c === '$' && !isIdentPart(i - 1) && DOLLAR_TAG.test(sql.slice(i))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i))?.[0] ?? '$$';
      const close = sql.indexOf(tag, i + tag.length);
      push({ kind: 'other', text: sql.slice(i, close < 0 ? sql.length : close + tag.length) });
    } else if (IDENT_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && IDENT_PART.test(sql.charAt(end))) end += 1;
      const text = sql.slice(i, end);
      push({ kind: 'identifier', name: text.toLowerCase(), quoted: false, text });
    } else if (c === '*') {
      push({ kind: isSelectAll(pieces) ? 'star' : 'other', text: c });
    } else {
      push({ kind: 'other', text: c });
    }
  }
  return pieces;
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

function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth += 1;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

function quotedEnd(sql: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (backslash && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql.charAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return sql.length;
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
