/**
 * A sync mapping planned against its PostgreSQL table: which source column becomes which lake
 * column, typed by the ETL's type contract (`etl/types.ts`), and the two lake tables it feeds —
 * `ref_<table>` (current state) and `ref_<table>_changes` (history of deltas).
 */
import { createHash } from 'node:crypto';
import { defaultConfig } from '#core/config/resolve';
import { DEFAULT_UUID_AS, type MappingConfig } from '#core/config/schema';
import { referenceTableNames } from '#core/contracts/lake-names';
import { UsageError } from '#core/errors';
import { quoteIdent } from '#core/sql/ident';
import {
  DEFAULT_TYPE_OPTIONS,
  DESCRIBE_COLUMNS_SQL,
  planColumn,
  sourceColumn,
  type ColumnPlan,
  type DescribedColumnRow,
} from '#etl/types';
import type { CatalogColumn, CatalogTable } from '#ports/catalog';
import type { RewriteColumn } from '#ports/parquet-rewriter';
import type { SqlDatabase } from '#ports/sql';

/** The lake column holding the mapping's key_column value (typed as the source column). */
export const KEY_COLUMN = 'key';
/** The lake column holding the sync_key value of the row's version. */
export const SYNC_KEY_COLUMN = '_sync_key';
/** True on a tombstone (a deleted key) in the changes table; always false in the current state. */
export const DELETED_COLUMN = '_deleted';
/** When the row's version reached the lake (the sync run's instant). */
export const SYNCED_AT_COLUMN = '_synced_at';
/** The sync run that wrote the row's version. */
export const RUN_ID_COLUMN = '_run_id';
/** The partition key of the changes table: the UTC day of the sync run. */
export const CHANGES_PARTITION_KEY = 'dt';
/** A source column that, when the table has it, marks soft-deleted rows (NOT NULL = deleted). */
export const SOFT_DELETE_COLUMN = 'deleted_at';

const RESERVED = [KEY_COLUMN, SYNC_KEY_COLUMN, DELETED_COLUMN, SYNCED_AT_COLUMN, RUN_ID_COLUMN];
/** Sync key types the watermark (a timestamptz) and its overlap window work with. */
const SYNC_KEY_TYPES = new Set(['timestamptz', 'timestamp']);

/** One lake column fed from one source column. */
export interface MappedColumn {
  /** Name in the lake (`key`, a property, `_sync_key`). */
  readonly lakeName: string;
  /** Name in PostgreSQL. */
  readonly source: string;
  /** The type contract's plan of the source column. */
  readonly plan: ColumnPlan;
}

/** A mapping planned against its table. */
export interface MappingPlan {
  readonly mapping: MappingConfig;
  /** `ref_<table>`: the current state, one row per live key. */
  readonly lakeTable: string;
  /** `ref_<table>_changes`: every delta row, tombstones included, by sync day. */
  readonly changesTable: string;
  /** The key, then the properties in mapping order, then the sync key. */
  readonly columns: readonly MappedColumn[];
  readonly key: MappedColumn;
  readonly syncKey: MappedColumn & { readonly typname: 'timestamptz' | 'timestamp' };
  /** Whether the table has a `deleted_at` column (soft deletes become tombstones). */
  readonly softDelete: boolean;
  /** Catalog entries of both lake tables. */
  readonly currentCatalog: CatalogTable;
  readonly changesCatalog: CatalogTable;
  /** Columns of a lake row with DuckDB types (content columns, then the metadata columns). */
  readonly lakeColumns: readonly RewriteColumn[];
}

/**
 * The mappings a sync uses: the given ones, or the built-in sample mappings.
 * @example
 * syncMappings({}).map((m) => m.table); // ['agents', 'members', 'games', 'affiliates']
 */
export function syncMappings(deps: {
  readonly mappings?: readonly MappingConfig[];
}): readonly MappingConfig[] {
  return deps.mappings ?? defaultConfig().mappings;
}

/** The lake table names of a mapping (`ref_<table>`, `ref_<table>_changes`). */
export const lakeTableNames = referenceTableNames;

/**
 * Describes the mapping's table and plans every mapped column by the type contract; throws a
 * {@link UsageError} naming the mapping when a column is missing, a property name is reserved,
 * or the sync key is not a timestamp. A uuid column is the canonical lowercase text (the
 * contract's default) unless `existing` — the current-state lake table as the catalog has it —
 * already holds that column as 16-byte binary (published before uuids became text): the sync
 * keeps the form its lake tables have, so their history keeps reading.
 * @example
 * const plan = await planMapping(db, mappingConfig);
 * plan.lakeTable; // 'ref_members'
 * plan.columns.map((c) => c.lakeName); // ['key', 'registered_at', …, '_sync_key']
 */
export async function planMapping(
  db: SqlDatabase,
  mapping: MappingConfig,
  existing?: CatalogTable,
): Promise<MappingPlan> {
  const rows = await describeMappedTable(db, mapping);
  const described = new Map(rows.map((row) => [row.name, row]));
  const column = columnMapper(db, mapping, rows, existing);
  checkPropertyNames(mapping);
  const key = column(mapping.key_column, 'key_column', KEY_COLUMN);
  const syncKey = column(mapping.sync_key, 'sync_key', SYNC_KEY_COLUMN);
  const syncType = described.get(mapping.sync_key)?.typname ?? '';
  checkKeyTypes(mapping, key, syncKey, syncType);
  const properties = mapping.properties.map((p) => column(p.column, 'property column', p.property));
  const columns = [key, ...properties, syncKey];
  const { current, changes } = lakeTableNames(mapping.table);
  const catalogColumns = lakeCatalogColumns(columns);
  const schemaHash = createHash('sha256')
    .update(JSON.stringify(catalogColumns))
    .digest('hex')
    .slice(0, 16);
  return {
    mapping,
    lakeTable: current,
    changesTable: changes,
    columns,
    key,
    syncKey: { ...syncKey, typname: syncType as 'timestamptz' | 'timestamp' },
    softDelete: described.has(SOFT_DELETE_COLUMN),
    currentCatalog: {
      name: current,
      columns: catalogColumns,
      partitionKeys: [],
      location: `${current}/`,
      schemaHash,
    },
    changesCatalog: {
      name: changes,
      columns: catalogColumns,
      partitionKeys: [CHANGES_PARTITION_KEY],
      location: `${changes}/`,
      schemaHash,
    },
    lakeColumns: [
      ...columns.map((c) => ({ name: c.lakeName, type: c.plan.duckdbType })),
      { name: DELETED_COLUMN, type: 'BOOLEAN' },
      { name: SYNCED_AT_COLUMN, type: 'TIMESTAMPTZ' },
      { name: RUN_ID_COLUMN, type: 'VARCHAR' },
    ],
  };
}

/** The mapping's table's columns as PostgreSQL describes them; throws when it has none. */
async function describeMappedTable(
  db: SqlDatabase,
  mapping: MappingConfig,
): Promise<DescribedColumnRow[]> {
  const rows = await db.query<DescribedColumnRow>(DESCRIBE_COLUMNS_SQL, [db.schema, mapping.table]);
  if (rows.length === 0) {
    throw new UsageError(
      `sync mapping '${mapping.table}': table '${db.schema}.${mapping.table}' does not exist in ` +
        `${db.target.description}; create it, or remove the mapping from the config`,
    );
  }
  return rows;
}

/**
 * Maps a source column to its lake column, planned by the type contract (a uuid kept binary when
 * `existing` holds it so); throws naming the table's columns when the source column is missing.
 */
function columnMapper(
  db: SqlDatabase,
  mapping: MappingConfig,
  rows: readonly DescribedColumnRow[],
  existing: CatalogTable | undefined,
): (name: string, role: string, lakeName: string) => MappedColumn {
  const described = new Map(rows.map((row) => [row.name, row]));
  const known = rows.map((r) => r.name).join(', ');
  return (name, role, lakeName) => {
    const row = described.get(name);
    if (!row) {
      throw new UsageError(
        `sync mapping '${mapping.table}': ${role} '${name}' is not a column of ${db.schema}.${mapping.table}; its columns: ${known}`,
      );
    }
    const held = existing?.columns.find((c) => c.name === lakeName)?.type;
    const uuidAs = held === 'binary' || held === 'array<binary>' ? 'binary' : DEFAULT_UUID_AS;
    return {
      lakeName,
      source: name,
      plan: planColumn(mapping.table, sourceColumn(row), { ...DEFAULT_TYPE_OPTIONS, uuidAs }),
    };
  };
}

/** Throws when a property takes a name the lake table reserves for its own columns. */
function checkPropertyNames(mapping: MappingConfig): void {
  for (const p of mapping.properties) {
    if (RESERVED.includes(p.property)) {
      throw new UsageError(
        `sync mapping '${mapping.table}': property '${p.property}' is a name the lake table reserves ` +
          `(${RESERVED.join(', ')}); rename the property`,
      );
    }
  }
}

/** Throws when the sync key is not a timestamp, or the key is not a scalar. */
function checkKeyTypes(
  mapping: MappingConfig,
  key: MappedColumn,
  syncKey: MappedColumn,
  syncType: string,
): void {
  if (!SYNC_KEY_TYPES.has(syncType)) {
    throw new UsageError(
      `sync mapping '${mapping.table}': sync_key '${mapping.sync_key}' has type '${syncKey.plan.sourceType}'; ` +
        `the watermark needs timestamptz or timestamp (e.g. an updated_at column set on every change)`,
    );
  }
  if (key.plan.athenaType.startsWith('array<') || /json/.test(key.plan.sourceType)) {
    throw new UsageError(
      `sync mapping '${mapping.table}': key_column '${mapping.key_column}' has type '${key.plan.sourceType}'; ` +
        `use a scalar column that identifies the row (its primary key)`,
    );
  }
}

/** The catalog columns of both lake tables: the mapped columns, then the metadata columns. */
function lakeCatalogColumns(columns: readonly MappedColumn[]): CatalogColumn[] {
  return [
    ...columns.map((c) => ({
      name: c.lakeName,
      type: c.plan.athenaType,
      sourceType: c.plan.sourceType,
    })),
    { name: DELETED_COLUMN, type: 'boolean', sourceType: 'boolean' },
    { name: SYNCED_AT_COLUMN, type: 'timestamp', sourceType: 'timestamp with time zone' },
    { name: RUN_ID_COLUMN, type: 'string', sourceType: 'text' },
  ];
}

/** The quoted source column of a mapped column. */
export function sourceIdent(column: MappedColumn): string {
  return quoteIdent(column.source);
}
