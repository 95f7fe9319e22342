/**
 * zod issues as `{ path, message }` entries: the one formatter behind the query plan's
 * `PlanValidationError` and the config's `ConfigError`. Each caller keeps its own wording (a
 * `describe` function) and says how paths are written.
 */
import type { z } from 'zod';

/** One problem of a validated value: where (`steps[1].bind.$1.ref`) and what to do about it. */
export interface IssueEntry {
  /** The path of the bad value; `''` for the value itself. */
  readonly path: string;
  readonly message: string;
}

/** How {@link formatIssuePath} writes a path. */
export interface IssuePathOptions {
  /**
   * Write a key that is not an identifier as `["a key"]` (the config's paths).
   * @default false - every key as `.key` (the plan's paths: `bind.$1`)
   */
  readonly quoteKeys?: boolean;
}

/** How {@link issueEntries} turns issues into entries. */
export interface IssueEntryOptions extends IssuePathOptions {
  /**
   * One entry per unknown key, at the key's own path (`tables[0].nmae`).
   * @default false - one entry per `unrecognized_keys` issue, at the object's path
   */
  readonly entryPerUnknownKey?: boolean;
  /**
   * The message of an issue.
   * @default - zod's `issue.message`
   */
  readonly describe?: (issue: z.core.$ZodIssue) => string;
}

/**
 * A zod path as written in error messages: `['steps', 1, 'bind', '$1', 'ref']` →
 * `steps[1].bind.$1.ref`.
 * @example
 * formatIssuePath(['tables', 2, 'partition_layout']); // 'tables[2].partition_layout'
 * formatIssuePath(['env', 'my env'], { quoteKeys: true }); // 'env["my env"]'
 */
export function formatIssuePath(
  path: readonly PropertyKey[],
  options: IssuePathOptions = {},
): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (options.quoteKeys && !/^[A-Za-z_$][\w$]*$/.test(String(key))) {
      out += `[${JSON.stringify(String(key))}]`;
    } else out += `${out ? '.' : ''}${String(key)}`;
  }
  return out;
}

/**
 * The issues of a failed `safeParse` as entries, in zod's order.
 * @example
 * const result = schema.safeParse(value);
 * if (!result.success) issueEntries(result.error.issues, { quoteKeys: true });
 */
export function issueEntries(
  issues: readonly z.core.$ZodIssue[],
  options: IssueEntryOptions = {},
): IssueEntry[] {
  const describe = options.describe ?? ((issue: z.core.$ZodIssue) => issue.message);
  return issues.flatMap((issue) =>
    options.entryPerUnknownKey && issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: formatIssuePath([...issue.path, key], options),
          message: describe(issue),
        }))
      : [{ path: formatIssuePath(issue.path, options), message: describe(issue) }],
  );
}
