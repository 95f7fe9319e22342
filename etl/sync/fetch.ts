/**
 * On-demand sync: the mapped properties of given keys, read now from PostgreSQL (the seed's
 * "fetch specific records when needed"), without touching the lake.
 */
import { UsageError } from '#core/errors';
import { qualify, quoteIdent } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';
import type { MappingConfig } from '#core/config/schema';
import { KEY_COLUMN, planMapping, syncMappings, type MappedColumn } from '#etl/sync/mapping';

/** Most keys one fetch takes. */
export const MAX_FETCH_KEYS = 10_000;

/** What a fetch works with. */
export interface FetchDeps {
  readonly db: SqlDatabase;
  /** @default the built-in sample mappings */
  readonly mappings?: readonly MappingConfig[];
}

/**
 * One entity: `key` (as text), each mapped property, and `_sync_key`. JSON-safe values:
 * decimals and 64-bit integers beyond 2^53 as strings, timestamps as ISO 8601 strings, dates as
 * `YYYY-MM-DD`, arrays as arrays, JSON as parsed JSON, NULL as null.
 */
export type EntityRow = Record<string, unknown>;

/** A column's value as JSON inside PostgreSQL (so every driver returns the same text). */
function jsonValue(column: MappedColumn): string {
  const x = quoteIdent(column.source);
  const type = column.plan.sourceType;
  if (/^(numeric|bigint)/.test(type)) return `to_jsonb(${x}::text)`;
  if (type.startsWith('timestamp')) {
    return type.includes('with time zone')
      ? `to_jsonb(to_char(${x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))`
      : `to_jsonb(to_char(${x}, 'YYYY-MM-DD"T"HH24:MI:SS.US'))`;
  }
  if (type === 'bytea') return `to_jsonb(encode(${x}, 'base64'))`;
  if (type === 'json' || type === 'jsonb') return `${x}::jsonb`;
  if (type.startsWith('character(')) return `to_jsonb(${x}::text)`;
  return `to_jsonb(${x})`;
}

/** 64-bit integers that fit in a double become numbers again. */
function numberIfSafe(value: unknown, type: string): unknown {
  if (type !== 'bigint' || typeof value !== 'string') return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

/**
 * The given keys' entities, straight from PostgreSQL, in the order of `keys` (keys with no row
 * are left out; compare to find them). Throws a {@link UsageError} for an unknown mapping, no
 * keys, or too many.
 * @example
 * await fetchEntities({ db }, 'members', ['M000001', 'M000002']);
 * // [{ key: 'M000001', registered_at: '2024-03-01', total_deposit: '1520.00', status: 'active', …, _sync_key: '…Z' }, …]
 */
export async function fetchEntities(
  deps: FetchDeps,
  table: string,
  keys: readonly string[],
): Promise<EntityRow[]> {
  const mappings = syncMappings(deps);
  const mapping = mappings.find((m) => m.table === table);
  if (!mapping) {
    throw new UsageError(
      `table '${table}' has no sync mapping; mapped tables: ${mappings.map((m) => m.table).join(', ')}`,
    );
  }
  const wanted = [...new Set(keys.map((k) => k.trim()).filter((k) => k !== ''))];
  if (wanted.length === 0)
    throw new UsageError('give at least one key to fetch, e.g. --keys k1,k2');
  if (wanted.length > MAX_FETCH_KEYS) {
    throw new UsageError(
      `${wanted.length} keys is more than one fetch takes (${MAX_FETCH_KEYS}); fetch in batches, or sync the table`,
    );
  }
  const plan = await planMapping(deps.db, mapping);
  const pairs = plan.columns
    .filter((c) => c.lakeName !== KEY_COLUMN)
    .map((c) => `${literal(c.lakeName)}, ${jsonValue(c)}`)
    .join(', ');
  const key = quoteIdent(plan.key.source);
  // Keys travel as one JSON text parameter: the Data API has no array parameters.
  const rows = await deps.db.query<{ k: string; e: string }>(
    `SELECT ${key}::text AS k, jsonb_build_object(${pairs})::text AS e
       FROM ${qualify(deps.db.schema, mapping.table)}
      WHERE ${key} = ANY (SELECT jsonb_array_elements_text($1::jsonb)::${keyCast(plan.key)})`,
    [JSON.stringify(wanted)],
  );
  const byKey = new Map(rows.map((row) => [row.k, row]));
  const types = new Map(plan.columns.map((c) => [c.lakeName, c.plan.sourceType]));
  return wanted.flatMap((k) => {
    const row = byKey.get(k);
    if (!row) return [];
    const properties = JSON.parse(row.e) as Record<string, unknown>;
    const entity: EntityRow = { [KEY_COLUMN]: row.k };
    for (const c of plan.columns) {
      if (c.lakeName === KEY_COLUMN) continue;
      entity[c.lakeName] = numberIfSafe(properties[c.lakeName], types.get(c.lakeName) ?? '');
    }
    return [entity];
  });
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The key column's type for the cast of the text keys (its `format_type`). */
function keyCast(key: MappedColumn): string {
  const type = key.plan.sourceType;
  if (!/^[a-z][a-z0-9 ()_,]*$/.test(type)) {
    throw new UsageError(`key column type '${type}' cannot be matched by text keys`);
  }
  return type;
}
