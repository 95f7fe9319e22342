/**
 * The query plan format (docs/query-api.md): ordered steps with
 * ids, each one SQL on the lake (`AthenaQuery`), SQL on the hot database (`AuroraQuery`), one
 * Parquet object (`S3ParquetRead`) or a table over a range of days across both tiers
 * (`TableRange`). A step may bind `$1…$n` to a field of an earlier step: the parameter carries that
 * field's values from all of its rows, passed as a real parameter (never spliced into SQL).
 *
 * `parsePlan` validates everything that can be checked before anything runs — shape, ids, refs,
 * the dependency graph — and throws {@link PlanValidationError} with the path of the bad field.
 * Fields of a referenced step are only known once it ran: {@link resolveBinds} checks them then.
 */
import { z } from 'zod';
import { showValue } from '#core/config/schema';
import { jsonValueProblem, MAX_JSON_DEPTH } from '#core/json-depth';
import { BindError, PlanValidationError } from '#core/query/errors';
import { formatIssuePath, issueEntries } from '#core/zod-issues';
import type { QueryColumn, QueryParam, QueryRow } from '#ports/query-engine';
import { isCalendarDay } from '#core/days';

/** Rows kept per step when the step names no `limit`. */
export const DEFAULT_STEP_LIMIT = 10_000;
/** The largest `limit` a step may ask for. */
export const MAX_STEP_LIMIT = 100_000;
/** The most steps one plan may have. */
export const MAX_PLAN_STEPS = 20;
/** The step types, exactly as the seed names them (plus `TableRange`). */
export const STEP_TYPES = ['AthenaQuery', 'AuroraQuery', 'S3ParquetRead', 'TableRange'] as const;
/** One of {@link STEP_TYPES}. */
export type StepType = (typeof STEP_TYPES)[number];

const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const BIND_KEY = /^\$[1-9][0-9]*$/;
/** Lowercase SQL identifier, as the config and the catalog name tables and columns. */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** A database name: any identifier (PostgreSQL allows mixed case and `-` quoted). */
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
/** S3 bucket naming rules (lowercase, digits, `.` and `-`, 3–63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const StepIdSchema = z.string().regex(STEP_ID, {
  error: (issue) =>
    `${showValue(issue.input)} is not a valid step id; use a letter followed by up to 31 ` +
    `letters, digits, _ or -, e.g. 's1'`,
});

const SqlSchema = z
  .string({ error: 'write the SQL of the step as a string' })
  .refine((sql) => sql.trim().length > 0, {
    error: 'the SQL is empty; write one SELECT statement',
  });

const LimitSchema = z
  .int({
    error: (issue) =>
      `${showValue(issue.input)} is not a row limit; use a whole number from 1 to ${MAX_STEP_LIMIT}`,
  })
  .min(1, {
    error: (issue) => `${showValue(issue.input)} is too small; use 1 to ${MAX_STEP_LIMIT}`,
  })
  .max(MAX_STEP_LIMIT, {
    error: (issue) =>
      `${showValue(issue.input)} is too large; a step keeps at most ${MAX_STEP_LIMIT} rows ` +
      `(aggregate in SQL, or split the plan)`,
  })
  .default(DEFAULT_STEP_LIMIT)
  .describe(`Rows kept of the step's result (default ${DEFAULT_STEP_LIMIT}).`);

/** One bind: the field (column) of an earlier step whose values a parameter carries. */
export const BindRefSchema = z.strictObject({
  ref: StepIdSchema.describe('Id of the step whose output the parameter reads.'),
  field: z
    .string({ error: "name the referenced step's column, e.g. 'memberCode'" })
    .min(1, { error: "the field is empty; name the referenced step's column" })
    .describe('Column of that step (matched case-insensitively).'),
});

/** Binds of a step: `$1…$n` (contiguous from `$1`) to fields of earlier steps. */
export const BindSchema = z
  .record(
    z.string().regex(BIND_KEY, {
      error: (issue) =>
        `${showValue(issue.input)} is not a parameter name; use $1, $2, … as in the SQL`,
    }),
    BindRefSchema,
  )
  .superRefine((bind, ctx) => {
    const numbers = Object.keys(bind)
      .filter((k) => BIND_KEY.test(k))
      .map((k) => Number(k.slice(1)))
      .sort((a, b) => a - b);
    const missing = numbers.length > 0 ? firstGap(numbers) : undefined;
    if (missing !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          `parameters must be numbered from $1 without gaps; found ${numbers.map((n) => `$${n}`).join(', ')}, ` +
          `missing $${missing}`,
      });
    }
  })
  .describe('Parameters `$n` bound to fields of other steps.');

function firstGap(sorted: readonly number[]): number | undefined {
  for (const [i, n] of sorted.entries()) if (n !== i + 1) return i + 1;
  return undefined;
}

const ColumnListSchema = z
  .array(
    z.string().regex(SQL_IDENTIFIER, {
      error: (issue) =>
        `${showValue(issue.input)} is not a column name; use lowercase letters, digits and _`,
    }),
  )
  .min(1, { error: 'the column list is empty; name at least one column, or omit columns' });

const DaySchema = z.string().refine((day) => isCalendarDay(day), {
  error: (issue) => `${showValue(issue.input)} is not a day; write YYYY-MM-DD, e.g. '2025-02-15'`,
});

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: (issue) =>
    `${showValue(issue.input)} is not a filter value; use a string, number or boolean, or a list of them`,
});

/** SQL on the lake: Athena on AWS, DuckDB over the lake's files locally. */
export const AthenaQueryStepSchema = z.strictObject({
  id: StepIdSchema,
  type: z.literal('AthenaQuery'),
  sql: SqlSchema,
  max_scan_gb: z
    .number({
      error: (issue) => `${showValue(issue.input)} is not a number of GB; write e.g. 1 or 0.5`,
    })
    .positive({
      error: (issue) => `${showValue(issue.input)} must be more than 0 GB; write e.g. 1 or 0.5`,
    })
    .optional()
    .describe("Refuse the step when its estimate exceeds this (default the environment's cutoff)."),
  bind: BindSchema.optional(),
  limit: LimitSchema,
});

/** SQL on the hot database: the RDS Data API on AWS, `pg` locally. */
export const AuroraQueryStepSchema = z.strictObject({
  id: StepIdSchema,
  type: z.literal('AuroraQuery'),
  sql: SqlSchema,
  bind: BindSchema.optional(),
  database: z
    .string()
    .regex(DATABASE_NAME, {
      error: (issue) =>
        `${showValue(issue.input)} is not a database name; use letters, digits, _ or -, e.g. 'crm'`,
    })
    .optional()
    .describe('Database name, for messages and the Data API (default the configured one).'),
  limit: LimitSchema,
});

/** One Parquet object, read footer first with range reads (S3 or the local lake directory). */
export const S3ParquetReadStepSchema = z.strictObject({
  id: StepIdSchema,
  type: z.literal('S3ParquetRead'),
  bucket: z.string().regex(BUCKET, {
    error: (issue) =>
      `${showValue(issue.input)} is not an S3 bucket name; use 3–63 lowercase letters, digits, . or -`,
  }),
  key: z
    .string({ error: "write the object's key as a string, e.g. 'events/2025/02/15.parquet'" })
    .min(1, { error: "the key is empty; write the object's key" })
    .refine(isPlainKey, {
      error: (issue) =>
        `${showValue(issue.input)} is not an object key; write it as the key is stored: ` +
        `without a leading /, empty or .. segments, backslashes, control characters or ` +
        `URL-encoding (%2e, %2f, %5c)`,
    }),
  columns: z
    .array(z.string().min(1, { error: 'a column name is empty' }))
    .min(1, { error: 'the column list is empty; name at least one column, or omit columns' })
    .optional()
    .describe('Columns to read (default all).'),
  limit: LimitSchema,
});

/** A table over days, inclusive: the hot window from PostgreSQL, the rest from the lake. */
export const TableRangeStepSchema = z.strictObject({
  id: StepIdSchema,
  type: z.literal('TableRange'),
  table: z.string().regex(SQL_IDENTIFIER, {
    error: (issue) => `${showValue(issue.input)} is not a table name; use the configured name`,
  }),
  from: DaySchema.describe('First day, YYYY-MM-DD (UTC).'),
  to: DaySchema.describe('Last day, YYYY-MM-DD (UTC), inclusive.'),
  columns: ColumnListSchema.optional().describe('Columns to return (default all).'),
  filters: z
    .record(
      z.string().regex(SQL_IDENTIFIER, {
        error: (issue) =>
          `${showValue(issue.input)} is not a column name; use lowercase letters, digits and _`,
      }),
      z.union([
        ScalarSchema,
        z.array(ScalarSchema).min(1, { error: 'the value list is empty; give at least one value' }),
      ]),
    )
    .optional()
    .describe('column = value, or column IN (values), all ANDed.'),
  limit: LimitSchema,
});

const StepSchema = z.discriminatedUnion(
  'type',
  [AthenaQueryStepSchema, AuroraQueryStepSchema, S3ParquetReadStepSchema, TableRangeStepSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `${showValue((issue.input as { type?: unknown } | undefined)?.type)} is not a step type; ` +
          `use one of ${STEP_TYPES.join(', ')}`
        : undefined,
  },
);

/**
 * A plan: `{"steps": [...], "output"?: "<step id>"}`, 1–20 steps with unique ids. The output
 * defaults to the last step. Only shape, ids and the output are checked here; {@link parsePlan}
 * adds the dependency graph.
 * @example
 * PlanSchema.parse({ steps: [{ id: 's1', type: 'AuroraQuery', sql: 'SELECT 1 AS one' }] });
 * // { steps: [{ …, limit: 10000 }], output: 's1' }
 */
export const PlanSchema = z
  .strictObject({
    steps: z
      .array(StepSchema, { error: 'write the steps as a list: {"steps": [{"id": "s1", …}]}' })
      .min(1, { error: 'the plan has no steps; add at least one' })
      .max(MAX_PLAN_STEPS, {
        error: (issue) =>
          `the plan has ${(issue.input as unknown[]).length} steps, more than ${MAX_PLAN_STEPS}; ` +
          `split it into several plans`,
      }),
    output: StepIdSchema.optional().describe("Id of the step whose rows are the plan's result."),
  })
  .superRefine((plan, ctx) => {
    const seen = new Map<string, number>();
    for (const [index, step] of plan.steps.entries()) {
      const first = seen.get(step.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'id'],
          message: `'${step.id}' is already the id of steps[${first}]; step ids must be unique`,
        });
      } else {
        seen.set(step.id, index);
      }
      if (
        step.type === 'TableRange' &&
        isCalendarDay(step.from) &&
        isCalendarDay(step.to) &&
        step.from > step.to
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'to'],
          message: `'${step.to}' is before from '${step.from}'; the range is from ≤ to, both inclusive`,
        });
      }
    }
    if (plan.output !== undefined && !seen.has(plan.output)) {
      ctx.addIssue({
        code: 'custom',
        path: ['output'],
        message: `'${plan.output}' is not a step of the plan; use one of ${[...seen.keys()].join(', ')}`,
      });
    }
  })
  .transform((plan) => ({
    steps: plan.steps,
    output: plan.output ?? (plan.steps[plan.steps.length - 1] as { id: string }).id,
  }));

/** A validated plan: every step's `limit` and the plan's `output` filled in. */
export type Plan = z.output<typeof PlanSchema>;
/** A plan as a user writes it. */
export type QueryPlanInput = z.input<typeof PlanSchema>;
/** One step of a {@link Plan}. */
export type PlanStep = Plan['steps'][number];
/** A validated `AthenaQuery` step. */
export type AthenaQueryStep = z.output<typeof AthenaQueryStepSchema>;
/** A validated `AuroraQuery` step. */
export type AuroraQueryStep = z.output<typeof AuroraQueryStepSchema>;
/** A validated `S3ParquetRead` step. */
export type S3ParquetReadStep = z.output<typeof S3ParquetReadStepSchema>;
/** A validated `TableRange` step. */
export type TableRangeStep = z.output<typeof TableRangeStepSchema>;
/**
 * Whether `key` names an object as stored, with no way to mean another place once a store maps it
 * to a path or URL: no leading `/`, no empty or `..` segment, no backslash or control character,
 * no URL-encoded `.`, `/` or `\`.
 */
function isPlainKey(key: string): boolean {
  const segments = key.split('/');
  return (
    !segments.some((segment) => segment === '' || segment === '..') &&
    ![...key].some((c) => c === '\\' || c.charCodeAt(0) < 0x20 || c === '\u007f') &&
    !/%2e|%2f|%5c/i.test(key)
  );
}

/** A step's binds: `{"$1": {ref, field}, …}`. */
export type Bind = z.output<typeof BindSchema>;
/** One bind: `{ref, field}`. */
export type BindRef = z.output<typeof BindRefSchema>;

/** What {@link parsePlan} checks beyond the plan itself, when the caller knows it. */
export interface ParsePlanOptions {
  /** Tables `TableRange` may name (the configured time-series tables). */
  readonly tables?: readonly string[];
  /** The environment's scan cutoff: `max_scan_gb` may not exceed it. */
  readonly scanCutoffGb?: number;
}

/**
 * Validates a plan: shape and types of every step, unique ids, binds `$1…$n` contiguous, the
 * output step, refs to existing steps and no dependency cycle (a step may reference a later one
 * as long as there is no cycle). With `options`, also `TableRange` tables and `max_scan_gb`
 * against the environment's cutoff.
 * @throws PlanValidationError with the path of the first problem (`steps[2].max_scan_gb`); the
 *   message shows the bad value and what to write instead, and mentions further problems. A value
 *   nested deeper than {@link MAX_JSON_DEPTH} levels is refused first, by a walk without recursion,
 *   so no deep value reaches the validator or an error message.
 * @example
 * const plan = parsePlan({ steps: [
 *   { id: 's1', type: 'AthenaQuery', sql: "SELECT membercode FROM events WHERE event_type = 'Login' AND dt = '2025-02-15'" },
 *   { id: 's2', type: 'AuroraQuery', sql: 'SELECT * FROM members WHERE member_code = ANY($1)', bind: { $1: { ref: 's1', field: 'membercode' } } },
 * ] });
 * plan.output; // 's2'
 */
export function parsePlan(input: unknown, options: ParsePlanOptions = {}): Plan {
  checkNesting(input);
  const parsed = PlanSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw fromIssues(parsed.error.issues);
  const plan = parsed.data;
  checkGraph(plan);
  checkOptions(plan, options);
  return plan;
}

/** Path segments of a too-deep value shown in the error's path; the message says how deep. */
const SHOWN_PATH_SEGMENTS = 4;

/** Refuses a plan nested deeper than {@link MAX_JSON_DEPTH}, or too large to walk. */
function checkNesting(input: unknown): void {
  const problem = jsonValueProblem(input);
  if (problem === undefined) return;
  if (problem.kind === 'too_many_values') {
    throw new PlanValidationError(
      `the plan holds over ${problem.values - 1} values; a plan is at most ${MAX_PLAN_STEPS} ` +
        `steps of a few fields each: pass long lists of values as a bind to an earlier step`,
    );
  }
  // The path of the too-deep value is as long as the nesting: its first segments say where.
  const path = formatIssuePath(problem.path.slice(0, SHOWN_PATH_SEGMENTS));
  throw new PlanValidationError(
    `the plan nests arrays and objects deeper than the limit of ${MAX_JSON_DEPTH} levels ` +
      `(or contains itself) here; a plan needs 5 levels ` +
      `({"steps": [{"bind": {"$1": {"ref": …}}}]}): write each field as documented, without ` +
      `extra nesting`,
    path,
  );
}

function fromIssues(issues: readonly z.core.$ZodIssue[]): PlanValidationError {
  const described = issueEntries(issues, { describe: describeIssue });
  const [first, ...rest] = described;
  if (!first) return new PlanValidationError('the plan is not valid');
  const more =
    rest.length === 0
      ? ''
      : ` (and ${rest.length} more: ${rest.map((r) => `${r.path || 'plan'}: ${r.message}`).join('; ')})`;
  return new PlanValidationError(`${first.message}${more}`, first.path);
}

/** A readable message for a zod issue: the custom ones already say what to do. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path[issue.path.length - 1];
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return `${showValue(issue.input)} is not a plan; write a JSON object {"steps": [{"id": "s1", "type": "AthenaQuery", "sql": "…"}]}`;
  }
  if (issue.code === 'invalid_key') {
    return issue.issues[0]?.message ?? `${showValue(field)} is not a valid key`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${typeof field === 'string' ? `'${field}'` : 'a value'} is missing; ${issue.expected === 'object' ? 'write an object' : `write a ${issue.expected}`}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} (fields are snake_case, e.g. max_scan_gb)`;
  }
  if (issue.code === 'invalid_value' && field === 'type') {
    return `${showValue(issue.input)} is not a step type; use one of ${STEP_TYPES.join(', ')}`;
  }
  if (
    issue.code === 'invalid_type' &&
    !issue.message.startsWith("'") &&
    issue.input !== undefined
  ) {
    // zod's default: "Invalid input: expected string, received number"
    if (/^Invalid input/.test(issue.message)) {
      return `${showValue(issue.input)} is not a ${issue.expected}; write a ${issue.expected}`;
    }
  }
  return issue.message;
}

/** Every bind of a step in `$1…$n` order, with its position. */
function bindsOf(step: PlanStep): { key: string; index: number; ref: BindRef }[] {
  if (!('bind' in step) || !step.bind) return [];
  return Object.entries(step.bind)
    .map(([key, ref]) => ({ key, index: Number(key.slice(1)), ref }))
    .sort((a, b) => a.index - b.index);
}

/** Refs to existing steps, and no cycle (reported as `s1 → s2 → s1`). */
function checkGraph(plan: Plan): void {
  const indexOf = new Map(plan.steps.map((s, i) => [s.id, i]));
  const known = plan.steps.map((s) => s.id).join(', ');
  for (const [index, step] of plan.steps.entries()) {
    for (const { key, ref } of bindsOf(step)) {
      if (!indexOf.has(ref.ref)) {
        throw new PlanValidationError(
          `'${ref.ref}' is not a step of the plan; bind to one of ${known}`,
          `steps[${index}].bind.${key}.ref`,
        );
      }
    }
  }
  // Depth-first search; a step met again while on the stack closes a cycle.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    const index = indexOf.get(id) ?? 0;
    const step = plan.steps[index] as PlanStep;
    for (const { key, ref } of bindsOf(step)) {
      const seen = state.get(ref.ref);
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(ref.ref)), ref.ref];
        throw new PlanValidationError(
          `the binds form a cycle ${cycle.join(' → ')}; a step can only use the output of a step ` +
            `that does not depend on it — remove one of these binds`,
          `steps[${index}].bind.${key}.ref`,
        );
      }
      if (seen === undefined) visit(ref.ref);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const step of plan.steps) if (!state.has(step.id)) visit(step.id);
}

function checkOptions(plan: Plan, options: ParsePlanOptions): void {
  for (const [index, step] of plan.steps.entries()) {
    if (
      step.type === 'AthenaQuery' &&
      step.max_scan_gb !== undefined &&
      options.scanCutoffGb !== undefined &&
      step.max_scan_gb > options.scanCutoffGb
    ) {
      throw new PlanValidationError(
        `${step.max_scan_gb} GB is over the environment's scan cutoff of ${options.scanCutoffGb} GB; ` +
          `use at most ${options.scanCutoffGb}, or omit max_scan_gb to use the cutoff`,
        `steps[${index}].max_scan_gb`,
      );
    }
    if (step.type === 'TableRange' && options.tables && !options.tables.includes(step.table)) {
      throw new PlanValidationError(
        `'${step.table}' is not a configured time-series table; use one of ${[...options.tables].sort().join(', ')}`,
        `steps[${index}].table`,
      );
    }
  }
}

/**
 * The steps in an order that runs every step after the steps it binds to: topological, and
 * stable — among the steps ready to run, plan order.
 * @example
 * stepOrder(parsePlan({ steps: [s2BindsToS1, s1] })).map((s) => s.id); // ['s1', 's2']
 */
export function stepOrder(plan: Plan): PlanStep[] {
  const done = new Set<string>();
  const order: PlanStep[] = [];
  const pending = [...plan.steps];
  while (pending.length > 0) {
    const next = pending.findIndex((step) => bindsOf(step).every((b) => done.has(b.ref.ref)));
    if (next === -1) {
      // parsePlan rules cycles out; a hand-built plan may still have one.
      throw new PlanValidationError(
        `steps ${pending.map((s) => s.id).join(', ')} depend on each other in a cycle; validate the plan with parsePlan`,
        'steps',
      );
    }
    const [step] = pending.splice(next, 1) as [PlanStep];
    done.add(step.id);
    order.push(step);
  }
  return order;
}

/** What {@link resolveBinds} needs of a finished step: its columns and all its rows. */
export interface StepOutput {
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
}

/**
 * The parameters of a step, `$1…$n` in order: each is the list of the bound field's values over
 * ALL rows of the referenced step — distinct, NULLs dropped, in order of first appearance (the
 * seed's `member_code = ANY($1)`). The field is matched against the step's columns exactly, else
 * case-insensitively (the seed binds `memberCode`; PostgreSQL and DuckDB return unquoted names
 * lowercased as `membercode`).
 * @throws BindError when the referenced step has no output yet, has no such column (listing its
 *   columns), the name matches several columns only by case, or a value is not a scalar.
 * @example
 * resolveBinds(s2, new Map([['s1', { columns: [{ name: 'membercode', type: 'varchar' }],
 *   rows: [{ membercode: 'M1' }, { membercode: 'M1' }, { membercode: null }, { membercode: 'M2' }] }]]));
 * // [['M1', 'M2']]
 */
export function resolveBinds(
  step: PlanStep,
  outputs: ReadonlyMap<string, StepOutput>,
): QueryParam[] {
  return bindsOf(step).map(({ key, ref }) => {
    const path = `${step.id}.bind.${key}`;
    const output = outputs.get(ref.ref);
    if (!output) {
      throw new BindError(
        `step '${ref.ref}' has no output to bind (it has not run or failed); run it before '${step.id}'`,
        `${path}.ref`,
      );
    }
    const column = matchColumn(output.columns, ref.field);
    if (column === undefined || Array.isArray(column)) {
      const names = output.columns.map((c) => c.name).join(', ') || '(none)';
      throw new BindError(
        column === undefined
          ? `step '${ref.ref}' has no column '${ref.field}'; bind one of its columns: ${names} ` +
              `(matched case-insensitively)`
          : `'${ref.field}' matches several columns of step '${ref.ref}' by case only ` +
              `(${column.join(', ')}); write the exact name`,
        `${path}.field`,
      );
    }
    const seen = new Set<string>();
    const values: (string | number | boolean)[] = [];
    for (const row of output.rows) {
      const value = row[column];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new BindError(
          `column '${column}' of step '${ref.ref}' holds ${Array.isArray(value) ? 'lists' : 'objects'} ` +
            `(${JSON.stringify(value).slice(0, 60)}); bind a column of scalar values`,
          `${path}.field`,
        );
      }
      const identity = `${typeof value}:${String(value)}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      values.push(value);
    }
    return values;
  });
}

/** The column's exact name, the names it matches only by case (ambiguous), or undefined. */
function matchColumn(
  columns: readonly QueryColumn[],
  field: string,
): string | string[] | undefined {
  if (columns.some((c) => c.name === field)) return field;
  const matches = columns.filter((c) => c.name.toLowerCase() === field.toLowerCase());
  if (matches.length === 1) return (matches[0] as QueryColumn).name;
  return matches.length === 0 ? undefined : matches.map((c) => c.name);
}

/** The ids a step binds to, `$1…$n` order, duplicates kept. */
export function stepDependencies(step: PlanStep): string[] {
  return bindsOf(step).map((b) => b.ref.ref);
}
