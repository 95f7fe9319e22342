/**
 * Clauses: `UNNEST … WITH ORDINALITY`, VALUES lists, GROUP BY with grouping sets, `OFFSET n
 * ROWS` and `FETCH FIRST`.
 */
import type { Context, Rewriter } from '#core/query/guard/syntax/rewriter';
import { CLAUSE_KEYWORDS, NOT_AN_ALIAS } from '#core/query/guard/syntax/vocabulary';

/** `UNNEST(…) [WITH ORDINALITY] [AS] alias` → `UNNEST(…) AS alias`. */
export function unnest(r: Rewriter, i: number, open: number, to: number, context: Context): number {
  const close = r.call(i, open, to, context);
  if (close === undefined) return i + 1;
  let end = close + 1;
  const withWord = r.next(end, to);
  const ordinality = r.next(withWord + 1, to);
  if (r.isWord(withWord, 'with') && r.isWord(ordinality, 'ordinality')) {
    r.range(end, withWord, context);
    end = ordinality + 1;
  }
  const alias = r.next(end, to);
  const name = r.token(alias);
  if ((name?.kind === 'ident' && !NOT_AN_ALIAS.has(name.value)) || name?.kind === 'quoted') {
    r.before.set(alias, ' AS ');
  }
  return end;
}

/**
 * `VALUES 1, 2` → `VALUES (1), (2)`; VALUES as a query (at the start, in a subquery or CTE, after
 * a set operation — not a FROM item) → `SELECT * FROM (VALUES …) AS _values`.
 */
export function valuesList(r: Rewriter, i: number, to: number, context: Context): number {
  const end = r.scan(
    i + 1,
    to,
    (t) => (t.kind === 'ident' && CLAUSE_KEYWORDS.has(t.value)) || t.text === ';',
  );
  const p = r.previous(i);
  const pp = r.previous(p);
  const fromItem =
    r.isSymbol(p, '(') && (r.isWord(pp, 'from', 'join', 'lateral') || r.isSymbol(pp, ','));
  const setOperation =
    r.isWord(p, 'union', 'intersect', 'except') ||
    (r.isWord(p, 'all', 'distinct') && r.isWord(pp, 'union', 'intersect', 'except'));
  const query = !fromItem && (p < 0 || r.isSymbol(p, '(') || setOperation);
  if (query) r.write('SELECT * FROM (', i);
  r.copy(i);
  let k = i + 1;
  while (k < end) {
    const first = r.next(k, end);
    r.range(k, first, context);
    if (first >= end) break;
    const comma = r.scan(first, end, (t) => t.text === ',');
    const last = r.previous(comma);
    const grouped = r.isSymbol(first, '(') && r.closing(first, comma) === last;
    if (grouped) {
      r.range(first, last + 1, context);
    } else {
      r.write('(', first);
      r.range(first, last + 1, context);
      r.write(')', last);
    }
    r.range(last + 1, Math.min(comma + 1, end), context);
    k = comma + 1;
  }
  if (query) r.write(') AS _values ', end);
  return end;
}

/** `GROUP BY` elements: GROUPING SETS as ROLLUP, `()` as `(NULL)`. */
export function groupBy(r: Rewriter, i: number, by: number, to: number): number {
  r.copyRange(i, by + 1);
  const end = r.scan(
    by + 1,
    to,
    (t) => (t.kind === 'ident' && CLAUSE_KEYWORDS.has(t.value)) || t.text === ';',
  );
  r.range(by + 1, end, { groupBy: true });
  return end;
}

/** `OFFSET n ROW|ROWS` → `OFFSET n`. */
export function offset(r: Rewriter, i: number, to: number): number {
  const count = r.next(i + 1, to);
  const rows = r.next(count + 1, to);
  r.copy(i);
  if (r.isCount(count) && r.isWord(rows, 'row', 'rows')) {
    r.range(i + 1, count + 1, { groupBy: false });
    return rows + 1;
  }
  return i + 1;
}

/** `FETCH FIRST|NEXT [n] ROW|ROWS ONLY|WITH TIES` → `LIMIT n`. */
export function fetchFirst(r: Rewriter, i: number, to: number): number {
  const first = r.next(i + 1, to);
  let k = r.next(first + 1, to);
  let count = '1';
  if (r.isCount(k)) {
    count = r.token(k)?.text ?? '1';
    k = r.next(k + 1, to);
  }
  const ending = r.next(k + 1, to);
  const ties = r.next(ending + 1, to);
  if (r.isWord(first, 'first', 'next') && r.isWord(k, 'row', 'rows')) {
    if (r.isWord(ending, 'only')) {
      r.write(`LIMIT ${count}`, i);
      return ending + 1;
    }
    if (r.isWord(ending, 'with') && r.isWord(ties, 'ties')) {
      r.write(`LIMIT ${count}`, i);
      return ties + 1;
    }
  }
  r.copy(i);
  return i + 1;
}
