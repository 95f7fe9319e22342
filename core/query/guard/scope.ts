/** Scopes of a statement: the FROM items of each SELECT, and the tables behind them. */
import type { PartitionOp, PartitionPredicate } from '#core/query/guard/analysis';

/** A table a FROM item names, as the guard knows it. */
export interface TableInfo {
  readonly name: string;
  /** Known columns (lake), or undefined (hot: names only). */
  readonly columns: readonly string[] | undefined;
  readonly partitionKeys: readonly string[];
}

/** One place the statement reads a base table, and what it learns there. */
export interface Occurrence {
  readonly table: TableInfo;
  readonly columns: Set<string>;
  predicates: PartitionPredicate[];
  /** Per partition key, the comparisons that restrict it (with values or not). */
  restricted: Map<string, Set<PartitionOp>>;
}

/** A FROM item of a scope: a base table (with its occurrence), a CTE, a subquery or a function. */
export interface Source {
  readonly alias: string;
  /** The table's own name (for a qualifier that names the table behind an odd alias). */
  readonly tableName?: string;
  readonly occurrence?: Occurrence;
}

/** The FROM items of one SELECT, inside those of the SELECTs around it. */
export interface Scope {
  readonly sources: Source[];
  readonly parent: Scope | undefined;
}

/** The source a qualifier names: an alias in this or an outer scope, else a table's name. */
export function findSource(qualifier: string, scope: Scope): Source | undefined {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const byAlias = s.sources.find((src) => src.alias === qualifier);
    if (byAlias) return byAlias;
  }
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const byTable = s.sources.find((src) => src.tableName === qualifier);
    if (byTable) return byTable;
  }
  return undefined;
}

/** Whether `column` is a column (or a partition key) of `table`. */
export function has(table: TableInfo, column: string): boolean {
  return table.partitionKeys.includes(column) || (table.columns ?? []).includes(column);
}
