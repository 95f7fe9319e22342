/**
 * Partition predicates: the conjunctive constraints of a WHERE on a table's partition keys, and
 * the pruning rule a partitioned lake table's time key must meet.
 */
import type {
  GuardEngine,
  PartitionOp,
  PartitionPredicate,
  PartitionValue,
} from '#core/query/guard/analysis';
import { identName, isNode, type Node } from '#core/query/guard/ast';
import {
  findSource,
  type Occurrence,
  type Scope,
  type Source,
  type TableInfo,
} from '#core/query/guard/scope';

/**
 * The conjunctive partition predicates of `where` for each base table of the scope, and the
 * pruning rule (cost control): a partitioned lake table must be filtered on its time key —
 * `dt`, or `year` of a year/month/day table. A bounded filter (=, IN, BETWEEN, or both a lower
 * and an upper bound) passes; a one-sided one passes with a warning (the scan estimate, checked
 * against the limit before anything runs, is what stops a query that reads too much); none is
 * rejected. Filters on the other keys (`event_type`, `month`, `day`) only prune.
 */
export function partitionFilters(
  where: unknown,
  scope: Scope,
  engine: GuardEngine,
  reject: (message: string) => never,
  warn: (message: string) => void,
): void {
  const conjuncts = splitAnd(where);
  for (const source of scope.sources) {
    const occurrence = source.occurrence;
    if (!occurrence || occurrence.table.partitionKeys.length === 0) continue;
    for (const conjunct of conjuncts) {
      const found = predicate(conjunct, source, scope);
      if (!found) continue;
      const ops = occurrence.restricted.get(found.key) ?? new Set<PartitionOp>();
      ops.add(found.op);
      occurrence.restricted.set(found.key, ops);
      if (found.predicate) occurrence.predicates.push(found.predicate);
    }
    if (engine !== 'lake') continue;
    const table = occurrence.table;
    const timeKey = timeKeyOf(table.partitionKeys);
    if (timeKey === undefined) {
      // Not a layout Thermocline writes: every key must be restricted.
      if (table.partitionKeys.some((k) => !occurrence.restricted.has(k))) {
        reject(missingFilterMessage(table, [...table.partitionKeys]));
      }
      continue;
    }
    const ops = occurrence.restricted.get(timeKey);
    if (!ops) reject(missingFilterMessage(table, [timeKey]));
    if (!isBounded(ops)) warn(unboundedWarning(table, timeKey, ops));
  }
}

/** A restriction of one partition key of `source` by `conjunct`, if it is one. */
function predicate(
  conjunct: Node,
  source: Source,
  scope: Scope,
): { key: string; op: PartitionOp; predicate?: PartitionPredicate } | undefined {
  if (conjunct.type !== 'binary_expr') return undefined;
  const operator = String(conjunct.operator ?? '').toUpperCase();
  const op = OPERATORS[operator];
  if (!op) return undefined;
  let keySide = partitionKeyOf(conjunct.left, source, scope);
  let valueSide = conjunct.right;
  let flipped = false;
  if (!keySide && op !== 'in' && op !== 'between') {
    keySide = partitionKeyOf(conjunct.right, source, scope);
    valueSide = conjunct.left;
    flipped = true;
  }
  if (!keySide) return undefined;
  const values =
    op === 'in' || op === 'between'
      ? isNode(valueSide) && Array.isArray(valueSide.value)
        ? valueSide.value.map(constantValue)
        : [undefined]
      : [constantValue(valueSide)];
  if (values.some((v) => v === undefined)) return undefined;
  if (op === 'between' && values.length !== 2) return undefined;
  const usable = values.filter((v): v is PartitionValue => v !== OTHER);
  const direction = flipped ? FLIP[op] : op;
  if (usable.length !== values.length) return { key: keySide, op: direction };
  return {
    key: keySide,
    op: direction,
    predicate: { key: keySide, op: direction, values: usable },
  };
}

/** The partition key `node` names, if it is a column of `source`'s table that is a key. */
function partitionKeyOf(node: unknown, source: Source, scope: Scope): string | undefined {
  if (!isNode(node) || node.type !== 'column_ref' || !source.occurrence) return undefined;
  const column = identName(node.column)?.toLowerCase();
  if (!column || !source.occurrence.table.partitionKeys.includes(column)) return undefined;
  const qualifier = identName(node.table)?.toLowerCase();
  if (qualifier !== undefined) return findSource(qualifier, scope) === source ? column : undefined;
  return column;
}

/** The predicates that hold for every occurrence of a table (those of its first that all have). */
export function commonPredicates(occurrences: readonly Occurrence[]): PartitionPredicate[] {
  const [first, ...rest] = occurrences;
  return (first?.predicates ?? []).filter((p) =>
    rest.every((o) => o.predicates.some((q) => samePredicate(p, q))),
  );
}

/** A constant the guard cannot compare with partition values. */
const OTHER = Symbol('other constant');

const OPERATORS: Readonly<Record<string, PartitionOp>> = {
  '=': 'eq',
  IN: 'in',
  BETWEEN: 'between',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

const FLIP: Readonly<Record<PartitionOp, PartitionOp>> = {
  eq: 'eq',
  in: 'in',
  between: 'between',
  lt: 'gt',
  le: 'ge',
  gt: 'lt',
  ge: 'le',
};

/** Top-level AND conjuncts (an OR, or anything else, is one conjunct). */
function splitAnd(where: unknown): Node[] {
  if (!isNode(where)) return [];
  if (where.type === 'binary_expr' && String(where.operator).toUpperCase() === 'AND') {
    return [...splitAnd(where.left), ...splitAnd(where.right)];
  }
  return [where];
}

/**
 * A comparison's constant side: a string literal, `$n`, OTHER for a constant the guard cannot
 * compare (a number, a date literal, a function of constants — still a restriction), or
 * undefined when it reads columns (not a restriction).
 */
function constantValue(node: unknown): PartitionValue | typeof OTHER | undefined {
  if (!isNode(node)) return undefined;
  if (
    (node.type === 'single_quote_string' || node.type === 'string') &&
    typeof node.value === 'string'
  ) {
    return node.value;
  }
  if (node.type === 'var' && node.prefix === '$' && typeof node.name === 'number') {
    return { param: node.name };
  }
  if (node.type === 'null' || node.type === 'bool') return undefined;
  return readsColumns(node) ? undefined : OTHER;
}

function readsColumns(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(readsColumns);
  if (!isNode(value)) return false;
  if (value.type === 'column_ref' || value.type === 'select' || isNode(value.ast)) return true;
  return Object.values(value).some(readsColumns);
}

/**
 * The partition key that bounds a table's scan in time: `dt` (layout `<column>=X/dt=D/`) or
 * `year` (layout `year=/month=/day=`); undefined for other layouts.
 */
function timeKeyOf(keys: readonly string[]): string | undefined {
  if (keys.includes('dt')) return 'dt';
  if (keys.length === 3 && keys[0] === 'year' && keys[1] === 'month' && keys[2] === 'day') {
    return 'year';
  }
  return undefined;
}

/** =, IN, BETWEEN, or both a lower and an upper bound. */
function isBounded(ops: ReadonlySet<PartitionOp>): boolean {
  if (ops.has('eq') || ops.has('in') || ops.has('between')) return true;
  return (ops.has('lt') || ops.has('le')) && (ops.has('gt') || ops.has('ge'));
}

function unboundedWarning(table: TableInfo, key: string, ops: ReadonlySet<PartitionOp>): string {
  const missing = ops.has('gt') || ops.has('ge') ? 'upper' : 'lower';
  const example = key === 'dt' ? `dt BETWEEN '2025-02-01' AND '2025-02-15'` : `year = '2025'`;
  return (
    `the filter on ${key} of ${table.name} has no ${missing} bound, so the query reads every ` +
    `partition on that side; it runs only while its scan estimate is within the limit — add ` +
    `an ${missing} bound (e.g. ${example}) to read fewer days`
  );
}

function missingFilterMessage(table: TableInfo, required: readonly string[]): string {
  const keys = required.join(' and ');
  const example =
    required.length === 1 && required[0] === 'year'
      ? `WHERE year = '2025' (AND month = '02' to read less)`
      : required.length === 1 && required[0] === 'dt'
        ? `WHERE dt BETWEEN '2025-02-01' AND '2025-02-15'`
        : `WHERE ${required.map((k) => `${k} = '<value>'`).join(' AND ')}`;
  return (
    `queries on partitioned table '${table.name}' must filter on its partition ` +
    `key${required.length > 1 ? 's' : ''} ${keys} in WHERE, e.g. … ${example} (with =, IN, ` +
    `BETWEEN, or both a lower and an upper bound with <, <=, >, >=; values or $n parameters, ` +
    `ANDed with the rest of the WHERE) — it bounds the days the query scans`
  );
}

function samePredicate(a: PartitionPredicate, b: PartitionPredicate): boolean {
  return a.key === b.key && a.op === b.op && JSON.stringify(a.values) === JSON.stringify(b.values);
}
