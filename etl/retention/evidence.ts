/**
 * What retention and verify know about one published table-day: the day manifest (the commit
 * record of the export), whether the catalog still points at the partitions it published, whether
 * their files are all there, whether their content is still what was published (SHA-256 recorded
 * at publish; where DuckDB can read them, the rows read back), and the row count and checksum of
 * the hot rows PostgreSQL still holds for the day — computed with the export's own checksum SQL
 * under the export's settings, so equal means "the same rows, column for column" (etl/sql.ts, the
 * type contract).
 */
import type { TableConfig } from '#core/config/schema';
import { quoteIdent } from '#core/sql/ident';
import {
  catalogTableOf,
  EXPORT_SETTINGS,
  partitionColumnOf,
  type DayManifest,
  type PartitionManifest,
  type PublishedFile,
} from '#etl/export';
import { dayManifestKey, dayOfPartition, NULL_PARTITION } from '#etl/layout';
import { dayBounds, duckRowCanonical, pgRowCanonical, sourceChecksumSql } from '#etl/sql';
import type { ColumnPlan } from '#etl/types';
import type { Catalog, CatalogPartition } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetEncoder, RowChecksum } from '#ports/parquet-encoder';
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

/** A published partition with the files its `_manifest.json` lists. */
export interface PartitionFiles {
  readonly partition: DayManifest['partitions'][number];
  readonly files: readonly PublishedFile[];
}

/** What the listing of a day's version folders found. */
export interface FilesCheck {
  readonly partitions: readonly PartitionFiles[];
  /**
   * Why the files are not as published: a `_manifest.json` missing or unreadable, a file missing
   * or of another size, a file no manifest lists that readers would read, files whose
   * rows do not add up to the day manifest's partition; undefined when none.
   */
  readonly problem?: string;
}

/**
 * Lists the files of the manifest's partitions from each version folder's `_manifest.json` and
 * one listing of the folder, and checks that they are all there with their published sizes.
 * @example
 * (await checkFiles(store, manifest)).problem; // 'agent_tasks/…/v=…/part-00000.parquet is missing'
 */
export async function checkFiles(store: ObjectStore, manifest: DayManifest): Promise<FilesCheck> {
  const problems: string[] = [];
  const partitions: PartitionFiles[] = [];
  for (const partition of manifest.partitions) {
    const key = `${partition.location}_manifest.json`;
    const files = parseFiles(await store.getText(key));
    if (!files) {
      problems.push(`${key} is missing or unreadable`);
      continue;
    }
    partitions.push({ partition, files });
    const present = new Map((await store.list(partition.location)).map((o) => [o.key, o.bytes]));
    for (const file of files) {
      const bytes = present.get(file.key);
      if (bytes === undefined) problems.push(`${file.key} is missing`);
      else if (bytes !== file.bytes) {
        problems.push(`${file.key} has ${bytes} bytes, ${file.bytes} were published`);
      }
    }
    // Athena reads every file of the folder but those named `_…` or `.…`.
    for (const object of present.keys()) {
      const name = object.slice(partition.location.length);
      const read = !name.startsWith('_') && !name.startsWith('.');
      if (read && !files.some((f) => f.key === object)) {
        problems.push(`${object} is not in ${key} (readers would see its rows)`);
      }
    }
    const rows = files.reduce((n, f) => n + f.rows, 0);
    if (rows !== partition.rows) {
      problems.push(
        `${key} lists files of ${rows} rows, the day manifest published ${partition.rows}`,
      );
    }
  }
  return problems.length > 0 ? { partitions, problem: problems.join('; ') } : { partitions };
}

/** The files of a `_manifest.json`, or undefined when it is missing or not one. */
function parseFiles(text: string | undefined): PublishedFile[] | undefined {
  if (text === undefined) return undefined;
  try {
    const files = (JSON.parse(text) as Partial<PartitionManifest>).files;
    const valid =
      Array.isArray(files) &&
      files.every(
        (f) =>
          typeof f?.key === 'string' &&
          typeof f.bytes === 'number' &&
          typeof f.rows === 'number' &&
          (f.sha256 === undefined || typeof f.sha256 === 'string'),
      );
    return valid ? files : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What reading a day's published files back found:
 * - `ok`: every file has the SHA-256 recorded at publish, and (where a Parquet reader is given)
 *   the rows read back from the files have the manifest's count and checksum;
 * - `corrupt`: a file's content changed, or its rows cannot be read or differ from the manifest;
 * - `unverifiable`: files published before hashes were recorded, and no way to read their rows
 *   here (no Parquet reader, or the table's columns changed since);
 * - `stopped`: `stop()` said to stop before the check was done (the purge's deadline).
 */
export type ContentCheck =
  | { readonly status: 'ok'; readonly checked: string }
  | { readonly status: 'corrupt' | 'unverifiable'; readonly problem: string }
  | { readonly status: 'stopped' };

/** What {@link checkContent} reads with. */
export interface ContentCheckDeps {
  readonly store: ObjectStore;
  /**
   * Reads rows back from the files (the export's validation: count and checksum), given the
   * paths `store.locate()` returns — so only where the encoder can open them (the local lake).
   * Without it only the recorded hashes are checked.
   */
  readonly encoder?: Pick<ParquetEncoder, 'checksum'>;
}

/**
 * Checks the content of a day's published files (after {@link checkFiles} found them all):
 * streams each file and compares its SHA-256 with the one recorded at publish; then, with an
 * encoder and while the table's columns are those the day was published with, reads the rows
 * back per partition and compares their count and checksum with the manifest's — what the
 * export's validation computed before publishing. Files without a recorded hash (published
 * before hashes were) are checked by the rows alone, and are `unverifiable` without them.
 * @example
 * await checkContent({ store, encoder }, table, plans, manifest, files.partitions);
 * // { status: 'ok', checked: 'sha256 of 1 file(s); rows of 1 partition(s) read back' }
 */
export async function checkContent(
  deps: ContentCheckDeps,
  table: TableConfig,
  plans: readonly ColumnPlan[],
  manifest: DayManifest,
  partitions: readonly PartitionFiles[],
  stop: () => boolean = () => false,
): Promise<ContentCheck> {
  const hashed = await checkHashes(deps.store, partitions, stop);
  if ('status' in hashed) return hashed;
  const hashes = `sha256 of ${hashed.hashed} file(s)`;

  const sameColumns = catalogTableOf(table, plans).schemaHash === manifest.schema_hash;
  if (!deps.encoder || !sameColumns) {
    if (hashed.unhashed === 0) return { status: 'ok', checked: hashes };
    return {
      status: 'unverifiable',
      problem:
        `${hashed.unhashed} file(s) were published without a content hash (before hashes were recorded) ` +
        (deps.encoder
          ? `and the table's columns changed since (schema ${manifest.schema_hash}), so their rows cannot be read back to check them`
          : 'and this runtime has no Parquet reader to read their rows back'),
    };
  }
  const reader = { store: deps.store, encoder: deps.encoder };
  return checkRowsReadBack(reader, table, plans, manifest, partitions, stop, hashes);
}

/** How many files matched their recorded SHA-256, and how many have none recorded. */
interface HashCount {
  readonly hashed: number;
  readonly unhashed: number;
}

/**
 * Streams each file that has a recorded SHA-256 and compares the two: `corrupt` naming every file
 * missing or changed, `stopped` when `stop()` says so before a file, else the counts.
 */
async function checkHashes(
  store: ObjectStore,
  partitions: readonly PartitionFiles[],
  stop: () => boolean,
): Promise<ContentCheck | HashCount> {
  const problems: string[] = [];
  let hashed = 0;
  let unhashed = 0;
  for (const file of partitions.flatMap((p) => p.files)) {
    if (file.sha256 === undefined) {
      unhashed += 1;
      continue;
    }
    if (stop()) return { status: 'stopped' };
    const now = await store.sha256(file.key);
    if (!now) problems.push(`${file.key} is missing`);
    else if (now.sha256 !== file.sha256) {
      problems.push(
        `${file.key} changed after it was published (sha256 ${now.sha256.slice(0, 12)}…, ` +
          `published ${file.sha256.slice(0, 12)}…)`,
      );
    } else hashed += 1;
  }
  if (problems.length > 0) return { status: 'corrupt', problem: problems.join('; ') };
  return { hashed, unhashed };
}

/**
 * Reads the rows of each partition's files back and compares their count and checksum with the
 * partition's, then the day's total with the day manifest's; `hashes` says which hashes were
 * checked (for the `ok` text).
 */
async function checkRowsReadBack(
  deps: Required<ContentCheckDeps>,
  table: TableConfig,
  plans: readonly ColumnPlan[],
  manifest: DayManifest,
  partitions: readonly PartitionFiles[],
  stop: () => boolean,
  hashes: string,
): Promise<ContentCheck> {
  const problems: string[] = [];
  const canonical = duckRowCanonical(plans);
  const [column] = partitionColumnOf(table);
  let total: RowsChecksum = { rows: 0, sum: 0n };
  for (const { partition, files } of partitions) {
    if (stop()) return { status: 'stopped' };
    const value = partition.values[0];
    const columns = column ? { [column]: value === NULL_PARTITION ? null : (value ?? null) } : {};
    let sums: Map<string | null, RowChecksum>;
    try {
      sums = await deps.encoder.checksum(
        files.map((f) => deps.store.locate(f.key)),
        canonical,
        { columns },
      );
    } catch (error) {
      const message = String((error as Error).message ?? error).split('\n')[0];
      problems.push(`the Parquet files of ${partition.location} cannot be read: ${message}`);
      continue;
    }
    const got = sums.get(null) ?? { rows: 0, sum: '0' };
    const read = { rows: got.rows, sum: BigInt(got.sum) };
    if (checksumText(read) !== partition.checksum) {
      problems.push(
        `the files of ${partition.location} hold rows ${checksumText(read)}, the manifest published ${partition.checksum}`,
      );
    }
    total = addChecksums(total, read);
  }
  if (problems.length === 0 && checksumText(total) !== manifest.checksum) {
    problems.push(
      `the partitions hold rows ${checksumText(total)}, the day manifest published ${manifest.checksum}`,
    );
  }
  if (problems.length > 0) return { status: 'corrupt', problem: problems.join('; ') };
  return {
    status: 'ok',
    checked: `${hashes}; rows of ${partitions.length} partition(s) read back`,
  };
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
