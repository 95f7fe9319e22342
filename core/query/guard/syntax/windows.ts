/**
 * Windows: frames, named windows, `FILTER (WHERE …) OVER` and `listagg … WITHIN GROUP`, in forms
 * the parser reads.
 */
import type { Context, Rewriter } from '#core/query/guard/syntax/rewriter';

/** `listagg(…) WITHIN GROUP (ORDER BY …)` → `listagg(…) OVER (ORDER BY …)`. */
export function listagg(
  r: Rewriter,
  i: number,
  open: number,
  to: number,
  context: Context,
): number {
  const close = r.call(i, open, to, context);
  if (close === undefined) return i + 1;
  const within = r.next(close + 1, to);
  const group = r.next(within + 1, to);
  const spec = r.next(group + 1, to);
  if (!r.isWord(within, 'within') || !r.isWord(group, 'group') || !r.isSymbol(spec, '(')) {
    return close + 1;
  }
  r.range(close + 1, within, context);
  r.write('OVER ', within);
  // A FILTER after it: its condition goes into the OVER's ORDER BY (the parser takes no
  // FILTER after OVER).
  const specClose = r.closing(spec, to);
  const filter = r.next(specClose + 1, to);
  const open2 = r.next(filter + 1, to);
  const where = r.next(open2 + 1, to);
  const filterClose = r.closing(open2, to);
  if (
    specClose < to &&
    r.isWord(filter, 'filter') &&
    r.isSymbol(open2, '(') &&
    r.isWord(where, 'where') &&
    filterClose < to
  ) {
    windowSpec(r, spec, to, context, [[where + 1, r.previous(filterClose) + 1]]);
    return filterClose + 1;
  }
  return spec;
}

/** `WINDOW w AS (…), v AS (…)`: each specification's frame rewritten. */
export function windowClause(r: Rewriter, i: number, to: number, context: Context): number {
  let k = i;
  let name = r.next(k + 1, to);
  let as = r.next(name + 1, to);
  let open = r.next(as + 1, to);
  if (!(r.token(name)?.kind === 'ident' && r.isWord(as, 'as') && r.isSymbol(open, '('))) {
    r.copy(i);
    return i + 1;
  }
  for (;;) {
    r.copyRange(k, open);
    k = windowSpec(r, open, to, context);
    const comma = r.next(k, to);
    name = r.next(comma + 1, to);
    as = r.next(name + 1, to);
    open = r.next(as + 1, to);
    const another = r.isSymbol(comma, ',') && r.token(name)?.kind === 'ident';
    if (!(another && r.isWord(as, 'as') && r.isSymbol(open, '('))) return k;
  }
}

/**
 * A window specification `( [name] … [frame] )`: a name it refines left out, `RANGE`/`GROUPS`
 * frames as `ROWS`, an offset that is not an unsigned integer as `1`; that offset's expression
 * and the `extra` ones (a FILTER's condition) added to the ORDER BY.
 */
export function windowSpec(
  r: Rewriter,
  open: number,
  to: number,
  context: Context,
  extra: readonly (readonly [number, number])[] = [],
): number {
  const close = r.closing(open, to);
  if (close >= to) {
    r.copy(open);
    return open + 1;
  }
  const first = r.next(open + 1, close);
  const named =
    (r.token(first)?.kind === 'ident' || r.token(first)?.kind === 'quoted') &&
    !r.isWord(first, 'partition', 'order', 'rows', 'range', 'groups');
  const body = named ? first + 1 : open + 1;
  const frame = r.scan(body, close, (t, k) => t.kind === 'ident' && isFrameStart(r, k, close));
  const bounds = frame < close ? frameBounds(r, frame, close) : [];
  if (bounds === undefined) {
    r.range(open, close + 1, context);
    return close + 1;
  }
  const end = frame < close ? frame : close;
  r.copy(open);
  r.range(body, end, context);
  const moved = [
    ...extra,
    ...bounds.flatMap((b) => (b.expression && !b.integer ? [b.expression] : [])),
  ];
  if (moved.length > 0) {
    const ordered = r.scan(
      body,
      end,
      (t, k) => t.value === 'order' && r.isWord(r.next(k + 1, end), 'by'),
    );
    r.write(ordered < end ? ', ' : ' ORDER BY ', end);
    moved.forEach(([from, until], n) => {
      if (n > 0) r.write(', ', from);
      r.write('(', from);
      r.range(from, until, context);
      r.write(')', until);
    });
    r.write(' ', end);
  }
  let k = end;
  if (frame < close) {
    r.write('ROWS', frame);
    k = frame + 1;
  }
  for (const bound of bounds) {
    if (bound.expression && !bound.integer) {
      const [from, until] = bound.expression;
      r.range(k, from, context);
      r.write('1 ', from);
      k = until;
    }
    r.range(k, bound.end, context);
    k = bound.end;
  }
  r.range(k, close + 1, context);
  return close + 1;
}

/**
 * `FILTER (WHERE c) OVER (…)`, which the parser does not read: the FILTER left out, its
 * condition added to the window's ORDER BY.
 */
export function filterOver(
  r: Rewriter,
  i: number,
  open: number,
  to: number,
  context: Context,
): number | undefined {
  const where = r.next(open + 1, to);
  const close = r.closing(open, to);
  const over = r.next(close + 1, to);
  const spec = r.next(over + 1, to);
  if (!r.isWord(where, 'where') || close >= to) return undefined;
  if (!r.isWord(over, 'over') || !r.isSymbol(spec, '(')) return undefined;
  const condition = r.previous(close) + 1;
  r.write(' ', i);
  r.copy(over);
  r.range(over + 1, spec, context);
  return windowSpec(r, spec, to, context, [[where + 1, condition]]);
}

/** Whether the token at `k` starts a window frame (`ROWS|RANGE|GROUPS` then a bound). */
function isFrameStart(r: Rewriter, k: number, close: number): boolean {
  if (!r.isWord(k, 'rows', 'range', 'groups')) return false;
  const before = r.previous(k);
  if (r.isWord(before, 'by') || r.isSymbol(before, ',')) return false;
  const after = r.next(k + 1, close);
  if (r.isWord(after, 'between', 'unbounded', 'current')) return true;
  return (
    r.scan(
      k + 1,
      close,
      (t) => t.kind === 'ident' && (t.value === 'preceding' || t.value === 'following'),
    ) < close
  );
}

/** The bounds of the frame starting at `frame`, or undefined when it is not one. */
function frameBounds(
  r: Rewriter,
  frame: number,
  close: number,
): { end: number; expression?: [number, number]; integer: boolean }[] | undefined {
  const bound = (
    from: number,
  ): { end: number; expression?: [number, number]; integer: boolean } | undefined => {
    const first = r.next(from, close);
    if (r.isWord(first, 'unbounded') || r.isWord(first, 'current')) {
      const second = r.next(first + 1, close);
      if (!r.isWord(second, 'preceding', 'following', 'row')) return undefined;
      return { end: second + 1, integer: false };
    }
    const side = r.scan(
      first,
      close,
      (t) => t.kind === 'ident' && (t.value === 'preceding' || t.value === 'following'),
    );
    if (side >= close || side === first) return undefined;
    const last = r.previous(side);
    const integer = last === first && /^\d+$/u.test(r.token(first)?.text ?? '');
    return { end: side + 1, expression: [first, last + 1], integer };
  };
  const first = r.next(frame + 1, close);
  if (!r.isWord(first, 'between')) {
    const single = bound(frame + 1);
    return single ? [single] : undefined;
  }
  const low = bound(first + 1);
  if (!low) return undefined;
  const and = r.next(low.end, close);
  if (!r.isWord(and, 'and')) return undefined;
  const high = bound(and + 1);
  return high ? [low, high] : undefined;
}
