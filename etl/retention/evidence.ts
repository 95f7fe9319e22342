/**
 * What retention and verify know about one published table-day: the day manifest (the commit
 * record of the export), whether the catalog still points at the partitions it published, whether
 * their files are all there, and the row count and checksum of the hot rows PostgreSQL still holds
 * for the day — computed with the export's own checksum SQL under the export's settings, so equal
 * means "the same rows, column for column" (etl/sql.ts, the type contract).
 */
import type { TableConfig } from '#core/config/schema';
import { quoteIdent } from '#core/sql/ident';
import { EXPORT_SETTINGS, type DayManifest } from '#etl/export';
import { dayManifestKey, dayOfPartition } from '#etl/layout';
import { dayBounds, pgRowCanonical, sourceChecksumSql } from '#etl/sql';
import type { ColumnPlan } from '#etl/types';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';
import type { SqlDatabase, SqlSession } from '#ports/sql';

/** Rows and the order-independent checksum sum of a set of rows (`${rows}:${sum}` as text). */
export interface RowsChecksum {
  readonly rows: number;
  readonly sum: bigint;
}

/**
 * The checksum text the day manifest records: `${rows}:${sum}`.
 * @example
 * checksumText({ rows: 2, sum: 10n }); // '2:10'
 */
export function checksumText(value: RowsChecksum): string {
  return `${value.rows}:${value.sum}`;
}

/**
 * Adds two checksums (the sum is order-independent, so the rows already deleted and the rows still
 * hot add up to the day as exported).
 * @example
 * addChecksums({ rows: 1, sum: 3n }, { rows: 2, sum: 4n }); // { rows: 3, sum: 7n }
 */
export function addChecksums(a: RowsChecksum, b: RowsChecksum): RowsChecksum {
  return { rows: a.rows + b.rows, sum: a.sum + b.sum };
}

/** A day manifest read from the lake, or why there is none to trust. */
export type ManifestRead =
  | { readonly manifest: DayManifest; readonly problem?: undefined }
  | { readonly manifest?: undefined; readonly problem: string };

/**
 * Reads `table/_manifests/<day>.json`.
 * @example
 * const { manifest, problem } = await readDayManifest(store, 'agent_tasks', '2025-02-15');
 */
export async function readDayManifest(
  store: ObjectStore,
  table: string,
  day: string,
): Promise<ManifestRead> {
  const key = dayManifestKey(table, day);
  const text = await store.getText(key);
  if (text === undefined) return { problem: `no manifest (${key})` };
  try {
    const manifest = JSON.parse(text) as DayManifest;
    if (
      typeof manifest.run_id !== 'string' ||
      typeof manifest.rows !== 'number' ||
      typeof manifest.checksum !== 'string' ||
      !Array.isArray(manifest.partitions)
    ) {
      return {
        problem: `unreadable manifest ${key}: run_id, rows, checksum or partitions missing`,
      };
    }
    return { manifest };
  } catch (error) {
    return { problem: `unreadable manifest ${key}: ${(error as Error).message}` };
  }
}

/**
 * A table's catalog partitions grouped by the day they belong to (one listing per table).
 * @example
 * const byDay = await partitionsByDay(catalog, events);
 * byDay.get('2025-02-15'); // [{ values: ['Login', '2025-02-15'], location: 'events/…/v=…/', … }, …]
 */
export async function partitionsByDay(
  catalog: Catalog,
  table: TableConfig,
): Promise<Map<string, CatalogPartition[]>> {
  const byDay = new Map<string, CatalogPartition[]>();
  for (const partition of await catalog.listPartitions(table.name)) {
    const day = dayOfPartition(table, partition.values);
    byDay.set(day, [...(byDay.get(day) ?? []), partition]);
  }
  return byDay;
}

/**
 * Why the catalog does not serve exactly the partitions the manifest published, or undefined when
 * it does (same partitions, each at the manifest's version folder).
 * @example
 * catalogProblem(manifest, byDay.get(manifest.day) ?? []); // undefined when current
 */
export function catalogProblem(
  manifest: DayManifest,
  current: readonly CatalogPartition[],
): string | undefined {
  const problems: string[] = [];
  for (const published of manifest.partitions) {
    const name = published.values.join('/');
    const partition = current.find((p) => sameValues(p.values, published.values));
    if (!partition) problems.push(`partition ${name} is not in the catalog`);
    else if (partition.location !== published.location) {
      problems.push(
        `partition ${name} is at ${partition.location}, the manifest published ${published.location}`,
      );
    }
  }
  for (const partition of current) {
    if (!manifest.partitions.some((p) => sameValues(p.values, partition.values))) {
      problems.push(`partition ${partition.values.join('/')} is not in the manifest`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** The part of a partition's `_manifest.json` the file check reads. */
interface PartitionManifest {
  readonly files?: readonly { readonly key: string; readonly bytes: number }[];
}

/**
 * Which files of the manifest's partitions are missing (or have another size than published),
 * from each version folder's `_manifest.json` and one listing of the folder; undefined when all
 * are there.
 * @example
 * await filesProblem(store, manifest); // 'agent_tasks/…/v=…/part-00000.parquet is missing'
 */
export async function filesProblem(
  store: ObjectStore,
  manifest: DayManifest,
): Promise<string | undefined> {
  const problems: string[] = [];
  for (const partition of manifest.partitions) {
    const text = await store.getText(`${partition.location}_manifest.json`);
    let files: PartitionManifest['files'];
    try {
      files = text === undefined ? undefined : (JSON.parse(text) as PartitionManifest).files;
    } catch {
      files = undefined;
    }
    if (!files) {
      problems.push(`${partition.location}_manifest.json is missing or unreadable`);
      continue;
    }
    const present = new Map((await store.list(partition.location)).map((o) => [o.key, o.bytes]));
    for (const file of files) {
      const bytes = present.get(file.key);
      if (bytes === undefined) problems.push(`${file.key} is missing`);
      else if (bytes !== file.bytes) {
        problems.push(`${file.key} has ${bytes} bytes, ${file.bytes} were published`);
      }
    }
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * Runs `work` in a transaction with the export's output settings (floats, dates, bytea,
 * intervals), which the canonical row text depends on.
 */
export function withExportSettings<T>(
  db: SqlDatabase,
  work: (session: SqlSession) => Promise<T>,
): Promise<T> {
  return db.transaction(async (session) => {
    for (const setting of EXPORT_SETTINGS) await session.query(setting);
    return work(session);
  });
}

/**
 * The hot rows of a table-day: count and checksum with the export's SQL (`sourceChecksumSql`),
 * in one read-only snapshot under the export's settings.
 * @example
 * const hot = await hotChecksum(db, agentTasks, plans, '2025-02-15'); // { rows: 1200, sum: 6918…n }
 */
export async function hotChecksum(
  db: SqlDatabase,
  table: TableConfig,
  plans: readonly ColumnPlan[],
  day: string,
): Promise<RowsChecksum> {
  const [row] = await withExportSettings(db, async (session) => {
    await session.query('SET TRANSACTION READ ONLY');
    return session.query<{ n: string; s: string }>(sourceChecksumSql(db.schema, table, plans, day));
  });
  return row ? { rows: Number(row.n), sum: BigInt(row.s) } : { rows: 0, sum: 0n };
}

/**
 * PostgreSQL expression of one row's 60-bit hash — the summand of `sourceChecksumSql`, so the
 * hashes of deleted rows add up to the manifest's checksum.
 */
export function rowHashSql(plans: readonly ColumnPlan[]): string {
  return `('x' || substr(md5(${pgRowCanonical(plans)}), 1, 15))::bit(60)::bigint`;
}

/**
 * The WHERE condition of a table-day, `[day 00:00, day+1 00:00)` UTC — the export's filter.
 * @example
 * dayCondition(agentTasks, '2025-02-15'); // "created_at" >= TIMESTAMPTZ '2025-02-15 00:00:00+00' AND …
 */
export function dayCondition(table: TableConfig, day: string): string {
  const { start, end } = dayBounds(day);
  const ts = quoteIdent(table.timestamp_column);
  return `${ts} >= TIMESTAMPTZ '${start}' AND ${ts} < TIMESTAMPTZ '${end}'`;
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
