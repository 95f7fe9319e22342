/**
 * Schema evolution: what an export does when PostgreSQL's columns no longer match the lake
 * table's. The export compares the columns it is about to write (their lake types, by the type
 * contract) with the lake table's recorded columns, and the table's `on_schema_change` decides:
 *
 * | Change | `fail` (default) | `append_new_columns` | `sync_all_columns` |
 * | --- | --- | --- | --- |
 * | new column | error | added; older partitions read NULL | added |
 * | widened type (int → bigint, decimal(10,2) → decimal(14,2)) | error | table widened; older partitions cast | widened |
 * | dropped or renamed column | error | error | dropped from the table (a rename is a drop and an add) |
 * | incompatible type (string → int, binary → string) | error | error | error |
 *
 * A change of the PostgreSQL type that keeps the lake type (varchar(20) → text: both string), or
 * narrows it (bigint → int, which the lake's bigint still holds), does not change the lake table:
 * it is exported under every policy. Types only ever widen. Each partition records the columns
 * its files hold, so readers cast a widened column and read NULL for one its files lack.
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_ON_SCHEMA_CHANGE,
  type SchemaChangePolicy,
  type TableConfig,
} from '#core/config/schema';
import { ThermoclineError } from '#core/errors';
import type { CatalogColumn, CatalogTable } from '#ports/catalog';

/** One change the export makes to the lake table. */
export type ColumnChange =
  | { readonly kind: 'added'; readonly column: CatalogColumn }
  | { readonly kind: 'widened'; readonly from: CatalogColumn; readonly to: CatalogColumn }
  | { readonly kind: 'dropped'; readonly column: CatalogColumn };

/** The lake table an export leaves, and what changed in it. */
export interface SchemaEvolution {
  readonly table: CatalogTable;
  readonly changes: readonly ColumnChange[];
}

/** The table config key that fixes a {@link SchemaChangeError}, or none (incompatible types). */
export type SchemaChangeKey = 'on_schema_change' | 'uuid_as' | 'numeric_as' | undefined;

/**
 * PostgreSQL's columns changed in a way the table's `on_schema_change` does not allow, or that no
 * policy allows: a configuration or source error (exit code 2), found before anything is
 * written. The message names the table, each column and what to set.
 */
export class SchemaChangeError extends ThermoclineError {
  constructor(
    message: string,
    /** The table. */
    readonly table: string,
    /** The config key to change, when one fixes it. */
    readonly key: SchemaChangeKey,
  ) {
    super(message, 'schema_change', 2);
  }
}

/**
 * The schema hash of a column list (names, lake types and PostgreSQL types).
 * @example
 * schemaHashOf([{ name: 'id', type: 'bigint', sourceType: 'bigint' }]); // 16 hex digits
 */
export function schemaHashOf(columns: readonly CatalogColumn[]): string {
  return createHash('sha256').update(JSON.stringify(columns)).digest('hex').slice(0, 16);
}

const INTEGERS = ['tinyint', 'smallint', 'int', 'bigint'];

/**
 * Whether a lake column of type `from` can be read as `to` exactly, `to` being wider: smallint →
 * int → bigint, float → double, decimal(p,s) → decimal(p',s') with no fewer fraction or integer
 * digits, and arrays of those element by element — the widenings Athena casts a partition's
 * column to its table's (and DuckDB reads the same way locally).
 * @example
 * widens('int', 'bigint'); // true
 * widens('decimal(10,2)', 'decimal(14,2)'); // true
 * widens('decimal(10,2)', 'decimal(10,3)'); // false: an integer digit fewer
 */
export function widens(from: string, to: string): boolean {
  if (from === to) return false;
  const a = INTEGERS.indexOf(from);
  const b = INTEGERS.indexOf(to);
  if (a >= 0 && b >= 0) return a < b;
  if (from === 'float' && to === 'double') return true;
  const d1 = decimal(from);
  const d2 = decimal(to);
  if (d1 && d2) return d2.scale >= d1.scale && d2.precision - d2.scale >= d1.precision - d1.scale;
  const e1 = /^array<(.+)>$/.exec(from)?.[1];
  const e2 = /^array<(.+)>$/.exec(to)?.[1];
  return e1 !== undefined && e2 !== undefined && widens(e1, e2);
}

function decimal(type: string): { precision: number; scale: number } | undefined {
  const match = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : undefined;
}

/**
 * The lake table after exporting `source` (the columns the export writes, as
 * `catalogTableOf` describes them) into `lake` (the table as the catalog has it, or undefined for
 * a new table), under the table's `on_schema_change`. Throws {@link SchemaChangeError} listing
 * every column at fault when the policy does not allow the change, or no policy does.
 * @example
 * evolveTable(config, lakeTable, sourceTable);
 * // { table: { …, columns: [...lake columns, { name: 'discount', … }] }, changes: [{ kind: 'added', … }] }
 */
export function evolveTable(
  config: Pick<TableConfig, 'name' | 'on_schema_change'>,
  lake: CatalogTable | undefined,
  source: CatalogTable,
): SchemaEvolution {
  if (!lake) return { table: source, changes: [] };
  const policy = config.on_schema_change ?? DEFAULT_ON_SCHEMA_CHANGE;
  const lakeByName = new Map(lake.columns.map((c) => [c.name, c]));
  const sourceByName = new Map(source.columns.map((c) => [c.name, c]));
  const changes: ColumnChange[] = [];
  const incompatible: Incompatible[] = [];
  /** The table's column for each source column: its type never narrows. */
  const merged = new Map<string, CatalogColumn>();
  for (const column of source.columns) {
    const held = lakeByName.get(column.name);
    if (!held) {
      changes.push({ kind: 'added', column });
      merged.set(column.name, column);
    } else if (held.type === column.type || widens(column.type, held.type)) {
      merged.set(column.name, { ...column, type: held.type });
    } else if (widens(held.type, column.type)) {
      changes.push({ kind: 'widened', from: held, to: column });
      merged.set(column.name, column);
    } else {
      incompatible.push({ from: held, to: column });
    }
  }
  const dropped = lake.columns.filter((c) => !sourceByName.has(c.name));
  for (const column of dropped) changes.push({ kind: 'dropped', column });

  if (incompatible.length > 0) throw incompatibleError(config.name, incompatible);
  const refused = changes.filter(
    (c) => policy === 'fail' || (policy === 'append_new_columns' && c.kind === 'dropped'),
  );
  if (refused.length > 0) throw policyError(config.name, policy, refused, changes);

  const columns =
    policy === 'sync_all_columns'
      ? source.columns.map((c) => merged.get(c.name) ?? c)
      : [
          ...lake.columns.map((c) => merged.get(c.name) ?? c),
          ...source.columns.filter((c) => !lakeByName.has(c.name)),
        ];
  return {
    table: { ...lake, columns, schemaHash: schemaHashOf(columns) },
    changes,
  };
}

/**
 * One line per change, for reports and logs.
 * @example
 * describeChange({ kind: 'added', column: { name: 'discount', type: 'decimal(10,2)', sourceType: 'numeric(10,2)' } });
 * // "added column 'discount' decimal(10,2)"
 */
export function describeChange(change: ColumnChange): string {
  switch (change.kind) {
    case 'added':
      return `added column '${change.column.name}' ${change.column.type}`;
    case 'widened':
      return `widened column '${change.to.name}' from ${change.from.type} to ${change.to.type}`;
    case 'dropped':
      return `dropped column '${change.column.name}' ${change.column.type}`;
  }
}

interface Incompatible {
  readonly from: CatalogColumn;
  readonly to: CatalogColumn;
}

/** `int (PostgreSQL integer)`: a lake type with the PostgreSQL type it came from. */
function typed(column: CatalogColumn): string {
  return column.sourceType ? `${column.type} (PostgreSQL ${column.sourceType})` : column.type;
}

function incompatibleError(table: string, columns: readonly Incompatible[]): SchemaChangeError {
  const first = columns[0];
  const key = first ? keyOf(first) : undefined;
  const lines = columns.map((c) => {
    const what = `column '${c.to.name}' changed type from ${typed(c.from)} in the lake to ${typed(c.to)}`;
    return `${what}: ${advice(table, c)}`;
  });
  return new SchemaChangeError(
    `cannot export ${table}: ${lines.join('; ')}. An incompatible type change is an error under ` +
      `every on_schema_change: the lake could not read the partitions already exported as the ` +
      `new type. Nothing was exported.`,
    table,
    key,
  );
}

/** The config key that fixes an incompatible change, when one does. */
function keyOf(change: Incompatible): SchemaChangeKey {
  const uuid = /^uuid(\[\])*$/.test(change.to.sourceType);
  if (uuid && /binary/.test(change.from.type) !== /binary/.test(change.to.type)) return 'uuid_as';
  if (/^numeric(\[\])*$/.test(change.to.sourceType)) return 'numeric_as';
  return undefined;
}

function advice(table: string, change: Incompatible): string {
  const key = keyOf(change);
  if (key === 'uuid_as') {
    return /binary/.test(change.from.type)
      ? `the lake holds this uuid as 16-byte binary (exported before uuids became text by ` +
          `default); set uuid_as: 'binary' on table '${table}' to keep exporting it as binary — ` +
          `the lake stays as it is (Athena cannot read binary partitions as text, so the column ` +
          `cannot change form)`
      : `the lake holds this uuid as text; remove uuid_as: 'binary' from table '${table}'`;
  }
  if (key === 'numeric_as') {
    const held = decimal(change.from.type.replace(/^(array<)+/, '').replace(/>+$/, ''));
    return held
      ? `the lake column is a decimal and unconstrained numeric exports as exact text; set ` +
          `numeric_as: 'decimal(38,${held.scale})' on table '${table}' to keep a decimal (widened ` +
          `to 38 digits), or declare the column numeric(p,s) again`
      : `the lake column holds the exact text of an unconstrained numeric; remove numeric_as ` +
          `from table '${table}'`;
  }
  return (
    `change the column back, or add a column of the new type under another name (and drop the ` +
    `old one with on_schema_change: 'sync_all_columns')`
  );
}

function nameOf(change: ColumnChange): string {
  return change.kind === 'widened' ? change.to.name : change.column.name;
}

function policyError(
  table: string,
  policy: SchemaChangePolicy,
  refused: readonly ColumnChange[],
  all: readonly ColumnChange[],
): SchemaChangeError {
  const dropped = refused.filter((c) => c.kind === 'dropped').map(nameOf);
  const added = all.filter((c) => c.kind === 'added').map(nameOf);
  const list = refused.map((c) => {
    switch (c.kind) {
      case 'added':
        return `new column '${c.column.name}' ${typed(c.column)} is not in the lake table`;
      case 'widened':
        return `column '${c.to.name}' widened from ${typed(c.from)} to ${typed(c.to)}`;
      case 'dropped':
        return `lake column '${c.column.name}' ${c.column.type} is no longer in PostgreSQL (dropped or renamed)`;
    }
  });
  const renamed =
    dropped.length === 1 && added.length > 0
      ? ` ('${dropped.join('')}' may have been renamed to ${added.map((n) => `'${n}'`).join(' or ')})`
      : '';
  const what =
    dropped.length > 0
      ? `A dropped or renamed column is never applied silently: a rename would turn its history ` +
        `into NULLs under the new name${renamed}. Set on_schema_change: 'sync_all_columns' on ` +
        `table '${table}' to make the lake's columns PostgreSQL's (a dropped column leaves the ` +
        `lake table; a rename is a drop and an add, and the new name reads NULL for the days ` +
        `exported before), or restore the column in PostgreSQL.`
      : `Set on_schema_change: 'append_new_columns' (or 'sync_all_columns') on table '${table}' ` +
        `to add new columns and widen types in the lake — days exported before read NULL in a ` +
        `new column and are cast to a widened type — or undo the change in PostgreSQL.`;
  return new SchemaChangeError(
    `cannot export ${table}: its columns in PostgreSQL differ from the lake table's and ` +
      `on_schema_change is '${policy}': ${list.join('; ')}. ${what} Nothing was exported.`,
    table,
    'on_schema_change',
  );
}
