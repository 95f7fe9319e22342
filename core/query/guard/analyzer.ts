/**
 * The guard's analysis of a parsed SELECT: one walk of the AST that finds the tables, columns,
 * functions, parameters and partition predicates, and applies the guard's rules to them.
 */
import type { AnalyzedTable, GuardOptions } from '#core/query/guard/analysis';
import {
  aliasName,
  functionName,
  functionQualifier,
  identName,
  isNode,
  selectOf,
  STATEMENT_TYPES,
  type Node,
} from '#core/query/guard/ast';
import {
  checkExtractField,
  checkFunction,
  checkLimitOrder,
  LAKE_FROM_FUNCTIONS,
} from '#core/query/guard/function-rules';
import { notSelectMessage } from '#core/query/guard/messages';
import { commonPredicates, partitionFilters } from '#core/query/guard/partition-predicates';
import {
  findSource,
  has,
  type Occurrence,
  type Scope,
  type Source,
  type TableInfo,
} from '#core/query/guard/scope';
import { KnownTables } from '#core/query/guard/tables';

/** Walks the AST once: tables, columns, functions, parameters, partition predicates. */
export class Analyzer {
  maxParam = 0;
  private readonly occurrences: Occurrence[] = [];
  private readonly warned = new Set<string>();
  private readonly known: KnownTables;

  constructor(
    private readonly options: GuardOptions,
    private readonly reject: (message: string) => never,
  ) {
    this.known = new KnownTables(options, reject);
  }

  /** One SELECT (with its CTEs and its UNION/INTERSECT/EXCEPT chain). */
  statement(node: Node, parent: Scope | undefined, ctes: ReadonlySet<string>): void {
    if (node.type !== 'select') this.reject(notSelectMessage(node));
    const into = node.into;
    if (isNode(into) && (into.position != null || into.expr != null)) {
      this.reject(
        'SELECT … INTO creates a table; only read-only SELECT may run — remove INTO (results come back with the plan)',
      );
    }
    for (const key of ['locking_read', 'for_update', 'lock']) {
      if (node[key] != null && node[key] !== false) {
        this.reject('locking clauses (FOR UPDATE, FOR SHARE) are not allowed; remove them');
      }
    }
    if (this.options.engine === 'lake') checkLimitOrder(node, this.reject);
    const visible = new Set(ctes);
    for (const cte of Array.isArray(node.with) ? node.with : []) {
      if (!isNode(cte)) continue;
      const name = (identName(cte.name) ?? '').toLowerCase();
      visible.add(name);
      const body = isNode(cte.stmt) && isNode(cte.stmt.ast) ? cte.stmt.ast : cte.stmt;
      if (!isNode(body)) continue;
      if (body.type !== 'select' && typeof body.type === 'string')
        this.reject(notSelectMessage(body));
      this.statement(selectOf(body) ?? body, parent, visible);
    }

    const scope: Scope = { sources: [], parent };
    const from = Array.isArray(node.from) ? node.from.filter(isNode) : [];
    for (const item of from) this.source(item, scope, visible);
    for (const item of from) {
      if (item.on != null) this.walk(item.on, scope, visible);
      if (Array.isArray(item.using)) {
        for (const column of item.using) this.column(undefined, identName(column), scope);
      }
    }
    for (const [key, value] of Object.entries(node)) {
      if (['with', 'from', '_next', 'into', 'set_op', 'type'].includes(key)) continue;
      this.walk(value, scope, visible);
    }
    partitionFilters(node.where, scope, this.options.engine, this.reject, (message) =>
      this.warned.add(message),
    );

    if (isNode(node._next)) this.statement(node._next, parent, visible);
  }

  /** One FROM item: a table, a CTE, a subquery, or a table function. */
  private source(item: Node, scope: Scope, ctes: ReadonlySet<string>): void {
    const sub = selectOf(item.expr);
    if (sub) {
      const lateral = String(item.prefix ?? '').toUpperCase() === 'LATERAL';
      this.statement(sub, lateral ? scope : scope.parent, ctes);
      scope.sources.push({ alias: aliasName(item.as) ?? '' });
      return;
    }
    if (isNode(item.expr) && isNode(item.expr.ast) && typeof item.expr.ast.type === 'string') {
      this.reject(notSelectMessage(item.expr.ast));
    }
    const tableName = identName(item.table);
    if (tableName === undefined || item.expr != null) {
      // A table function (unnest, generate_series, …) or another construct: walk it.
      if (isNode(item.expr) && (item.expr.type === 'function' || item.expr.type === 'aggr_func')) {
        const name = functionName(item.expr);
        if (this.options.engine === 'lake' && !LAKE_FROM_FUNCTIONS.has(name)) {
          this.reject(
            `the table function ${name}() is not allowed in FROM of a lake query; read the lake's ` +
              `tables (${this.known.lakeNames()}), or UNNEST an array column`,
          );
        }
      }
      this.walk(item.expr, scope, ctes);
      scope.sources.push({ alias: aliasName(item.as) ?? '' });
      return;
    }
    const name = tableName.toLowerCase();
    const schema = identName(item.db) ?? identName(item.schema);
    if (schema === undefined && ctes.has(name)) {
      scope.sources.push({ alias: aliasName(item.as) ?? name });
      return;
    }
    const table = this.known.resolve(name, schema);
    const occurrence: Occurrence = {
      table,
      columns: new Set(),
      predicates: [],
      restricted: new Map(),
    };
    this.occurrences.push(occurrence);
    scope.sources.push({ alias: aliasName(item.as) ?? name, tableName: name, occurrence });
  }

  /** Every node below `value`: column refs, functions, parameters, nested SELECTs. */
  private walk(value: unknown, scope: Scope, ctes: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, scope, ctes);
      return;
    }
    if (!isNode(value)) return;
    if (value.type === 'select') {
      this.statement(value, scope, ctes);
      return;
    }
    if (isNode(value.ast)) {
      const inner = value.ast;
      if (typeof inner.type === 'string' && STATEMENT_TYPES.has(inner.type)) {
        this.reject(notSelectMessage(inner));
      }
      this.walk(inner, scope, ctes);
      return;
    }
    switch (value.type) {
      case 'column_ref':
        this.column(identName(value.table), identName(value.column), scope);
        return;
      case 'function':
      case 'aggr_func':
        checkFunction(
          functionName(value),
          functionQualifier(value),
          this.options.engine,
          this.reject,
        );
        break;
      case 'extract':
        if (this.options.engine === 'lake') checkExtractField(value, this.reject);
        break;
      case 'var':
        if (value.prefix === '$' && typeof value.name === 'number') {
          this.maxParam = Math.max(this.maxParam, value.name);
        }
        return;
      default:
        break;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'tableList' || key === 'columnList') continue;
      this.walk(child, scope, ctes);
    }
  }

  /** Attributes a column reference to the table(s) it reads. */
  private column(qualifier: string | undefined, name: string | undefined, scope: Scope): void {
    if (name === undefined) return;
    const column = name.toLowerCase();
    const qual = qualifier?.toLowerCase();
    if (column === '*') {
      const targets = qual
        ? [findSource(qual, scope)].filter((s): s is Source => s !== undefined)
        : scope.sources;
      for (const source of targets) {
        if (!source.occurrence) continue;
        const { table } = source.occurrence;
        for (const c of [...(table.columns ?? []), ...table.partitionKeys]) {
          source.occurrence.columns.add(c);
        }
        if (table.columns === undefined) source.occurrence.columns.add('*');
        this.warnStar(table);
      }
      return;
    }
    if (qual) {
      const source = findSource(qual, scope);
      if (source?.occurrence) {
        const { table } = source.occurrence;
        if (table.columns && !has(table, column) && !column.startsWith('$')) {
          this.reject(
            `column '${column}' is not a column of ${table.name}; its columns: ` +
              `${[...table.partitionKeys, ...table.columns].join(', ')}`,
          );
        }
        source.occurrence.columns.add(column);
        return;
      }
      if (source) return;
      // Not a table: maybe `struct_column.field` — count the struct column.
      this.unqualified(qual, scope);
      return;
    }
    this.unqualified(column, scope);
  }

  /** An unqualified column: the table(s) in the nearest scope that have it. */
  private unqualified(column: string, scope: Scope): void {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const bases = s.sources.filter((src) => src.occurrence);
      const having = bases.filter((src) => has((src.occurrence as Occurrence).table, column));
      if (having.length > 0) {
        for (const src of having) src.occurrence?.columns.add(column);
        return;
      }
      const unknown = bases.filter((src) => src.occurrence?.table.columns === undefined);
      if (unknown.length > 0 && unknown.length === bases.length) {
        for (const src of unknown) src.occurrence?.columns.add(column);
        return;
      }
      // A derived table's column, a select alias or a lambda argument: nothing to count here.
      if (s.sources.length > 0 && bases.length < s.sources.length) return;
    }
  }

  private warnStar(table: TableInfo): void {
    const message =
      this.options.engine === 'lake'
        ? `SELECT * on ${table.name} reads all ${(table.columns?.length ?? 0) + table.partitionKeys.length} ` +
          `columns and is billed for each; name only the columns you need`
        : `SELECT * on ${table.name} returns every column; name only the columns you need`;
    this.warned.add(message);
  }

  /** The tables read, in order of first appearance, each with its occurrences. */
  tables(): AnalyzedTable[] {
    const byName = new Map<string, Occurrence[]>();
    for (const occurrence of this.occurrences) {
      const list = byName.get(occurrence.table.name) ?? [];
      list.push(occurrence);
      byName.set(occurrence.table.name, list);
    }
    return [...byName].map(([name, occurrences]) => {
      const columns = new Set(occurrences.flatMap((o) => [...o.columns]));
      return {
        name,
        columns: [...columns].sort(),
        partitionPredicates: commonPredicates(occurrences),
        occurrences: occurrences.map((o) => ({
          columns: [...o.columns].sort(),
          partitionPredicates: o.predicates,
        })),
      };
    });
  }

  /** The warnings, each once. */
  warnings(): string[] {
    return [...this.warned];
  }
}
