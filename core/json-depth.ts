/**
 * How deep the API's JSON may nest, checked without recursion: a body or a plan nested thousands
 * of levels deep would otherwise overflow the stack of whatever walks it next (the validator, an
 * error message's `JSON.stringify`) and answer 500. The request body's text is scanned before
 * `JSON.parse` (`core/api/json-body.ts`), a plan given as a value before it is validated
 * (`core/query/query-plan.ts`), both against {@link MAX_JSON_DEPTH}.
 */

/**
 * The deepest nesting of arrays and objects the API reads: 64 levels. A plan needs 5
 * (`{"steps": [{"bind": {"$1": {"ref": …}}}]}`), an estimate request 6 (`{"plan": …}`).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Offset of the `[` or `{` that opens level `limit + 1` of a JSON text, or undefined when the text
 * nests no deeper than `limit`. One pass over the characters, strings skipped (escapes included),
 * no recursion; the text need not be valid JSON (its brackets are counted as written).
 * @example
 * jsonTextTooDeepAt('[[[1]]]', 2); // 2
 * jsonTextTooDeepAt('{"a": "[[[["}', 2); // undefined
 */
export function jsonTextTooDeepAt(text: string, limit = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > limit) return i;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Where a value nests too deeply, or holds too many values to walk. */
export type JsonValueProblem =
  | { readonly kind: 'too_deep'; readonly path: readonly (string | number)[] }
  | { readonly kind: 'too_many_values'; readonly values: number };

/**
 * Checks a value (parsed JSON, or an object built by a program) without recursion: the path of the
 * first array or object at level `limit + 1` (a value that contains itself is found this way too),
 * or `too_many_values` once more than `maxValues` values were visited (shared sub-objects count
 * once per path, so a small object graph cannot make the walk exponential). Undefined when fine.
 * @example
 * jsonValueProblem({ steps: [[[1]]] }, { limit: 3 }); // { kind: 'too_deep', path: ['steps', 0, 0] }
 */
export function jsonValueProblem(
  value: unknown,
  options: { readonly limit?: number; readonly maxValues?: number } = {},
): JsonValueProblem | undefined {
  const limit = options.limit ?? MAX_JSON_DEPTH;
  const maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
  // Each entry: a value, its depth (1 for the outermost container) and its parent entry, so the
  // path of a deep value is rebuilt only when one is found.
  interface Entry {
    readonly value: unknown;
    readonly depth: number;
    readonly key: string | number | undefined;
    readonly parent: Entry | undefined;
  }
  const pending: Entry[] = [{ value, depth: 1, key: undefined, parent: undefined }];
  let visited = 0;
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    visited++;
    if (visited > maxValues) return { kind: 'too_many_values', values: visited };
    const current = entry.value;
    if (typeof current !== 'object' || current === null) continue;
    if (entry.depth > limit) return { kind: 'too_deep', path: pathOf(entry) };
    const children: [string | number, unknown][] = Array.isArray(current)
      ? current.map((item, index) => [index, item])
      : Object.entries(current);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i] as [string | number, unknown];
      pending.push({ value: child, depth: entry.depth + 1, key, parent: entry });
    }
  }
  return undefined;

  function pathOf(entry: Entry): (string | number)[] {
    const path: (string | number)[] = [];
    for (let e: Entry | undefined = entry; e?.key !== undefined; e = e.parent) path.push(e.key);
    return path.reverse();
  }
}

/** Values {@link jsonValueProblem} visits at most by default: as many as a 1 MiB body can hold. */
const DEFAULT_MAX_VALUES = 1024 * 1024;
