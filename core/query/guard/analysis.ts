/** What the guard checks a statement against, and what it learns about an accepted one. */
import type { CatalogTable } from '#ports/catalog';

/** Which engine the SQL is for: the lake (Athena, DuckDB locally) or the hot database (PostgreSQL). */
export type GuardEngine = 'lake' | 'hot';

/** What the guard checks a statement against. */
export interface GuardOptions {
  readonly engine: GuardEngine;
  /** The lake's tables (the catalog's): names, columns and partition keys. */
  readonly lakeTables: readonly CatalogTable[];
  /** The hot tables a plan may read (names, lowercase). */
  readonly hotTables: readonly string[];
  /** The only schema a hot table may be qualified with. @default 'public' */
  readonly hotSchema?: string;
  /** Where the SQL came from, for messages (`steps[0].sql`). @default 'sql' */
  readonly path?: string;
}

/** The comparison of a partition predicate. */
export type PartitionOp = 'eq' | 'in' | 'between' | 'lt' | 'le' | 'gt' | 'ge';

/** A value of a partition predicate: a string literal, or the `$n` parameter. */
export type PartitionValue = string | { readonly param: number };

/**
 * One conjunctive constraint on a partition key in a WHERE clause (`dt BETWEEN '…' AND '…'`,
 * `event_type IN ('Login', $1)`). `between` has two values (low, high); `in` one or more; the
 * others one.
 */
export interface PartitionPredicate {
  readonly key: string;
  readonly op: PartitionOp;
  readonly values: readonly PartitionValue[];
}

/** One place where the statement reads a table (a UNION of two event types reads it twice). */
export interface TableOccurrence {
  /** Lowercased columns this occurrence references (every column with `*`). */
  readonly columns: readonly string[];
  readonly partitionPredicates: readonly PartitionPredicate[];
}

/** A table the statement reads. */
export interface AnalyzedTable {
  readonly name: string;
  /**
   * Lowercased columns of the table the statement references, partition keys included (all of
   * them when `*` is used). For hot tables, whose columns the guard does not know, best effort.
   */
  readonly columns: readonly string[];
  /**
   * Partition predicates that hold for every occurrence of the table (each occurrence's own are
   * in `occurrences`). Only literal strings and `$n` parameters; an OR does not count.
   */
  readonly partitionPredicates: readonly PartitionPredicate[];
  /** Each place the statement reads the table, in statement order. */
  readonly occurrences: readonly TableOccurrence[];
}

/** What the guard learned about an accepted statement. */
export interface SqlAnalysis {
  readonly sql: string;
  readonly engine: GuardEngine;
  readonly statement: 'select';
  /** The tables read, in order of first appearance (CTE names are not tables). */
  readonly tables: readonly AnalyzedTable[];
  /** E.g. `SELECT *` — returned with the result, not errors. */
  readonly warnings: readonly string[];
  /** The highest `$n` the statement uses (0 without parameters). */
  readonly paramCount: number;
}
