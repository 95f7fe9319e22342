/**
 * Expressions the parser does not read: `IS [NOT] DISTINCT FROM`, `AT TIME ZONE`, `EXISTS`,
 * Trino's EXTRACT fields and row field access.
 */
import type { Rewriter } from '#core/query/guard/syntax/rewriter';
import { EXTRACT_FIELDS } from '#core/query/guard/syntax/vocabulary';

/** `IS [NOT] DISTINCT FROM` → `<>` (`=`). */
export function distinctFrom(r: Rewriter, i: number, to: number): number {
  let k = r.next(i + 1, to);
  const not = r.isWord(k, 'not');
  if (not) k = r.next(k + 1, to);
  const from = r.next(k + 1, to);
  if (r.isWord(k, 'distinct') && r.isWord(from, 'from')) {
    r.write(not ? ' = ' : ' <> ', i);
    return from + 1;
  }
  r.copy(i);
  return i + 1;
}

/** `AT TIME ZONE` before a zone string or an interval → `*`: both operands stay. */
export function atTimeZone(r: Rewriter, i: number, to: number): number {
  const time = r.next(i + 1, to);
  const zone = r.next(time + 1, to);
  const value = r.next(zone + 1, to);
  const literalZone = r.token(value)?.kind === 'string' || r.isWord(value, 'interval');
  if (r.isWord(time, 'time') && r.isWord(zone, 'zone') && literalZone) {
    r.write(' * ', i);
    return zone + 1;
  }
  r.copy(i);
  return i + 1;
}

/** `EXISTS (subquery)` → `NOT NOT EXISTS (subquery)`, which the parser reads. */
export function exists(r: Rewriter, i: number, open: number, to: number): number {
  if (r.isQuery(open, to) && !r.isWord(r.previous(i), 'not')) r.write('NOT NOT ', i);
  r.copy(i);
  return i + 1;
}

/** `EXTRACT(field FROM x)` with a Trino field the parser does not know: the field as DAY. */
export function extractField(r: Rewriter, i: number, open: number, to: number): number {
  const field = r.next(open + 1, to);
  const from = r.next(field + 1, to);
  r.copy(i);
  if (!r.isWord(field, ...EXTRACT_FIELDS) || !r.isWord(from, 'from')) return i + 1;
  r.range(i + 1, field, { groupBy: false });
  r.write('DAY', field);
  return field + 1;
}

/** After `)` or `]`: a row field access `.field[.field…]` is left out (not a function call). */
export function fieldAccess(r: Rewriter, from: number, to: number): number {
  let k = from;
  let end = from;
  for (;;) {
    const dot = r.next(k, to);
    const name = r.next(dot + 1, to);
    const kind = r.token(name)?.kind;
    if (!r.isSymbol(dot, '.') || (kind !== 'ident' && kind !== 'quoted')) break;
    k = name + 1;
    end = k;
  }
  if (end === from || r.isSymbol(r.next(end, to), '(')) return from;
  return end;
}
