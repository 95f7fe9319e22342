/**
 * The export engine: one table-day from PostgreSQL to Parquet in the lake, validated against the
 * source and published atomically. All I/O goes through ports (SQL source, encoder, object store,
 * catalog, clock); the Lambda handler and the CLI bind them to AWS or local adapters.
 *
 * Steps, and what a failure at each leaves behind:
 * 1. describe the columns (an unsupported type fails here, before anything is written);
 * 2. in one REPEATABLE READ, READ ONLY transaction: stream `COPY … TO STDOUT (FORMAT csv)` into
 *    the encoder (Parquet in scratch space);
 * 3. still in that snapshot — so a concurrent writer cannot make them disagree — checksum the
 *    rows in PostgreSQL while the encoder checksums the Parquet files, and compare rows and sums
 *    per partition;
 * 4. upload the files into a new version folder `v=<run>/` of each partition, with a
 *    `_manifest.json` listing each file's size, rows and SHA-256 (of the bytes uploaded: the
 *    files step 3 validated) — invisible to readers, who follow the catalog;
 * 5. commit: point the catalog's partitions at the new versions (and drop partitions the day no
 *    longer has), then write the day manifest `table/_manifests/<day>.json`;
 * 6. clean: delete versions other than the new one and the one it replaced (kept for queries
 *    already running), including folders of runs that died before their commit — never the one
 *    the catalog names when the clean runs (it is read again first).
 * A crash before step 5 leaves the previous version current and complete; the next run of the
 * day cleans the dead run's folder. A re-run writes the same rows again as a new version.
 *
 * The whole export holds the table-day's lease (`etl/lease.ts`): a second export of the same
 * table-day, or a retention purge of it, waits for it (see {@link EXPORT_LEASE_WAIT_MS}) — so no
 * run can delete a folder that another one is about to publish. The lease is confirmed right
 * before the commit: a run that lost it commits nothing.
 */
import { randomBytes } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import type { TableConfig } from '#core/config/schema';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';
import type { Clock } from '#ports/clock';
import { anonymousProcess, type ProcessInfo } from '#ports/process';
import type { ObjectStore } from '#ports/object-store';
import type {
  EncodedBatch,
  EncodedFile,
  ParquetEncoder,
  RowChecksum,
} from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import {
  dayManifestKey,
  partFileName,
  partitionKeys,
  partitionPrefix,
  partitionValues,
  dayOfPartition,
  versionPrefix,
} from '#etl/layout';
import {
  copyCsv,
  duckRowCanonical,
  sourceChecksumSql,
  sourceSelect,
  type DayRange,
} from '#etl/sql';
import { acquireLease, type Lease } from '#etl/lease';
import { refuseIfPurged } from '#etl/retention/log';
import {
  describeChange,
  evolveTable,
  schemaHashOf,
  SchemaChangeError,
  type SchemaEvolution,
} from '#etl/schema-change';
import {
  DESCRIBE_COLUMNS_SQL,
  planColumn,
  sourceColumn,
  typeOptionsOf,
  type ColumnPlan,
  type DescribedColumnRow,
} from '#etl/types';

/** What the engine works with. */
export interface ExportDeps {
  readonly db: SqlDatabase;
  readonly encoder: ParquetEncoder;
  readonly store: ObjectStore;
  readonly catalog: Catalog;
  readonly clock: Clock;
  /**
   * This process, recorded with the table-day's lease; a lease whose process is known to have
   * ended is taken over at once. @default a process that cannot tell (leases free by expiry)
   */
  readonly processInfo?: ProcessInfo;
  /** Test hook: called after each data file is uploaded, before the commit. */
  readonly afterFileUpload?: (key: string) => void | Promise<void>;
}

/** Tuning of the written files. */
export interface ExportOptions {
  /** Close a file past this size. @default 128 MiB */
  readonly targetFileBytes?: number;
  /** Rows per row group (DuckDB holds one per thread in memory). @default 122,880 */
  readonly rowGroupRows?: number;
  /** Called with the CSV bytes streamed so far. */
  readonly onBytes?: (bytes: number) => void;
  /**
   * How long to wait for another run that holds the table-day. @default {@link EXPORT_LEASE_WAIT_MS}
   */
  readonly leaseWaitMs?: number;
}

/**
 * How long an export waits for another run that holds its table-day: half a minute more than a
 * lease lives unrenewed, so a holder that was killed never fails the export (its lease expires
 * within the wait), while a live one still exporting after it fails the export with
 * `LeaseHeldError` naming it. A holder that ends within the wait frees the table-day, and the
 * waiting run then exports the day again (a re-run: the same rows as a new version).
 */
export const EXPORT_LEASE_WAIT_MS = 90_000;

/** What one table-day export did. */
export interface TableDayResult {
  readonly table: string;
  readonly day: string;
  readonly runId: string;
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly partitions: number;
  readonly checksum: string;
  /**
   * What the export changed in the lake table's columns under its `on_schema_change`, e.g.
   * `added column 'discount' decimal(10,2)` (empty when nothing changed).
   */
  readonly schemaChanges: readonly string[];
  readonly seconds: number;
  /** Seconds per step: extract + encode, both checksums (concurrently), upload + commit. */
  readonly steps: { readonly encode: number; readonly checksums: number; readonly publish: number };
}

/** The export failed validation: the files do not hold what the source holds. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The day manifest (`table/_manifests/<day>.json`). */
export interface DayManifest {
  readonly format: 1;
  readonly table: string;
  readonly day: string;
  readonly layout: TableConfig['partition_layout'];
  readonly run_id: string;
  readonly rows: number;
  /** `${rows}:${sum}` — rows and the sum of 60-bit md5 row hashes of the canonical row text. */
  readonly checksum: string;
  readonly bytes: number;
  readonly files: number;
  readonly schema_hash: string;
  readonly source_query: string;
  readonly published_at: string;
  readonly partitions: readonly {
    readonly values: readonly string[];
    readonly location: string;
    readonly rows: number;
    readonly bytes: number;
    readonly checksum: string;
    /** Compressed bytes per column over the partition's files (Parquet footers), for estimates. */
    readonly column_bytes?: Readonly<Record<string, number>>;
  }[];
}

/** A data file as a partition's `_manifest.json` lists it. */
export interface PublishedFile {
  readonly key: string;
  readonly bytes: number;
  readonly rows: number;
  /**
   * Hex SHA-256 of the file's bytes as uploaded (the file the export validated). Absent in
   * partitions published before content hashes were recorded.
   */
  readonly sha256?: string;
}

/** A partition's `_manifest.json` (in its version folder). */
export interface PartitionManifest {
  readonly format: 1;
  readonly table: string;
  readonly day: string;
  readonly partition: Readonly<Record<string, string | undefined>>;
  readonly run_id: string;
  readonly rows: number;
  readonly checksum: string;
  readonly files: readonly PublishedFile[];
  readonly bytes: number;
  readonly schema_hash: string;
  readonly columns: readonly {
    readonly name: string;
    readonly source_type: string;
    readonly athena_type: string;
    readonly parquet_type: string;
  }[];
  readonly source_query: string;
  readonly published_at: string;
}

const DEFAULT_FILE_BYTES = 128 * 2 ** 20;

/**
 * Output settings the extraction and the checksum depend on, fixed for the transaction whatever
 * the server or role defaults are: shortest-exact floats, ISO dates, hex bytea, ISO 8601
 * intervals (the load expressions and canonical texts of the type contract assume them).
 * Retention and verify (`etl/retention/`) checksum hot rows under the same settings.
 * @example
 * for (const setting of EXPORT_SETTINGS) await session.query(setting);
 */
export const EXPORT_SETTINGS = [
  'SET LOCAL extra_float_digits = 3',
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL bytea_output = 'hex'",
  "SET LOCAL IntervalStyle = 'iso_8601'",
];

/** A row of the source checksum query. */
interface SourceRow extends Record<string, unknown> {
  k: string | null;
  n: string;
  s: string;
}
const DEFAULT_ROW_GROUP_ROWS = 122_880;

/**
 * Describes a table's columns and plans their export (throws on an unsupported type, and with
 * {@link SourceMismatchError} when the table or a column its config names is missing).
 * @example
 * const plans = await planTable(db, tableConfig(config, 'agent_tasks'));
 */
export async function planTable(db: SqlDatabase, table: TableConfig): Promise<ColumnPlan[]> {
  const rows = await db.query<DescribedColumnRow>(DESCRIBE_COLUMNS_SQL, [db.schema, table.name]);
  const mismatch = sourceMismatch(db, table, rows);
  if (mismatch) throw new SourceMismatchError(mismatch.message, mismatch.key);
  const options = typeOptionsOf(table);
  return rows.map((row) => planColumn(table.name, sourceColumn(row), options));
}

/** The table, or a column its config names, is not in PostgreSQL: a configuration error. */
export class SourceMismatchError extends Error {
  constructor(
    message: string,
    /** The table config key at fault: `name`, `timestamp_column`, `primary_key`, `partition_column`. */
    readonly key: string,
  ) {
    super(message);
    this.name = 'SourceMismatchError';
  }
}

/**
 * Checks every table config against PostgreSQL before a run (the CLI's preflight): the table
 * exists and has the columns its config names, and — given the lake's catalog — its columns
 * match the lake table's as its `on_schema_change` requires (docs/type-contract.md "Schema changes"). Returns
 * one problem per table at fault, with the config key that fixes it (`''` when none does: an
 * incompatible type change).
 * @example
 * const problems = await checkTablesInSource(db, config.tables, catalog); // [] when all is well
 */
export async function checkTablesInSource(
  db: SqlDatabase,
  tables: readonly TableConfig[],
  catalog?: Catalog,
): Promise<{ table: string; key: string; message: string }[]> {
  const problems: { table: string; key: string; message: string }[] = [];
  for (const table of tables) {
    const rows = await db.query<DescribedColumnRow>(DESCRIBE_COLUMNS_SQL, [db.schema, table.name]);
    const mismatch = sourceMismatch(db, table, rows);
    if (mismatch) {
      problems.push({ table: table.name, ...mismatch });
      continue;
    }
    if (!catalog) continue;
    try {
      const options = typeOptionsOf(table);
      const plans = rows.map((row) => planColumn(table.name, sourceColumn(row), options));
      evolveTable(table, await catalog.getTable(table.name), catalogTableOf(table, plans));
    } catch (error) {
      if (!(error instanceof SchemaChangeError)) continue; // the export reports it
      problems.push({ table: table.name, key: error.key ?? '', message: error.message });
    }
  }
  return problems;
}

function sourceMismatch(
  db: SqlDatabase,
  table: TableConfig,
  rows: readonly DescribedColumnRow[],
): { key: string; message: string } | undefined {
  if (rows.length === 0) {
    return {
      key: 'name',
      message: `table '${db.schema}.${table.name}' does not exist in ${db.target.description}; create it, or remove it from the config`,
    };
  }
  const names = rows.map((r) => r.name);
  const named: [string, string][] = [
    ['timestamp_column', table.timestamp_column],
    ...table.primary_key.map((c): [string, string] => ['primary_key', c]),
    ...partitionColumnOf(table).map((c): [string, string] => ['partition_column', c]),
  ];
  for (const [key, column] of named) {
    if (!names.includes(column)) {
      return {
        key,
        message: `table '${table.name}' has no column '${column}' named in its config (${key}); its columns: ${names.join(', ')}`,
      };
    }
  }
  return undefined;
}

/**
 * The column a table's files do not hold because it is in their folder's path (`event_type/dt`
 * with a `partition_column`), or none.
 * @example
 * partitionColumnOf(events); // ['event_type']
 */
export function partitionColumnOf(table: TableConfig): string[] {
  return table.partition_layout === 'event_type/dt' && table.partition_column
    ? [table.partition_column]
    : [];
}

/**
 * The catalog entry of the columns an export writes: its columns without the partition column,
 * keys, schema hash. The lake table is this, evolved from what the catalog had (see
 * `etl/schema-change.ts`); each partition records these columns as its own.
 */
export function catalogTableOf(table: TableConfig, plans: readonly ColumnPlan[]): CatalogTable {
  const inFiles = plans.filter((p) => !partitionColumnOf(table).includes(p.name));
  const columns = inFiles.map((p) => ({
    name: p.name,
    type: p.athenaType,
    sourceType: p.sourceType,
  }));
  return {
    name: table.name,
    columns,
    partitionKeys: partitionKeys(table),
    location: `${table.name}/`,
    schemaHash: schemaHashOf(columns),
  };
}

/**
 * Exports one table-day and publishes it atomically (see the module comment for the steps).
 * @example
 * const result = await exportTableDay(deps, tableConfig(config, 'agent_tasks'), '2025-02-15');
 * result.rows; // rows now in the lake for that day
 */
export async function exportTableDay(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  options: ExportOptions = {},
): Promise<TableDayResult> {
  const held = await startExport(deps, table, day, options);
  try {
    return await exportLeased(deps, table, day, options, held);
  } finally {
    await held.lease.release();
  }
}

/** What a run holds once started: its columns, id and the table-day's lease. */
export interface HeldExport {
  readonly started: number;
  readonly plans: ColumnPlan[];
  readonly runId: string;
  readonly lease: Lease;
  readonly evolution: SchemaEvolution;
}

/**
 * Step 1 and the lease: plans the columns (a schema change the table's on_schema_change refuses
 * fails here, before anything is written), names the run and takes the table-day's lease.
 */
export async function startExport(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  options: ExportOptions,
): Promise<HeldExport> {
  const started = performance.now();
  const plans = await planTable(deps.db, table);
  const evolution = evolveTable(
    table,
    await deps.catalog.getTable(table.name),
    catalogTableOf(table, plans),
  );
  const runId = newRunId(deps.clock);
  const lease = await acquireLease(deps.db, {
    table: table.name,
    day,
    runId,
    purpose: 'export',
    process: deps.processInfo ?? UNNAMED_PROCESS,
    waitMs: options.leaseWaitMs ?? EXPORT_LEASE_WAIT_MS,
  });
  return { started, plans, runId, lease, evolution };
}

const UNNAMED_PROCESS = anonymousProcess('an unnamed process');

/** Steps 2–6 of {@link exportTableDay}, while its run holds the table-day's lease. */
export async function exportLeased(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  options: ExportOptions,
  held: HeldExport,
): Promise<TableDayResult> {
  const { started, plans, runId } = held;
  const catalogTable = catalogTableOf(table, plans);
  const select = sourceSelect(deps.db.schema, table, plans, day);
  const lap = stopwatch();
  const { batch, source, lake, encodeSeconds, checksumSeconds } = await extractAndEncode(
    deps,
    table,
    day,
    plans,
    select,
    options,
    lap,
  );
  try {
    validate(table.name, day, source, lake);
    const run: Run = {
      deps,
      table,
      day,
      runId,
      publishedAt: deps.clock.now().toISOString(),
      catalogTable,
      plans,
      select,
    };
    const uploads = await uploadPartitions(run, batch.files, lake);
    const { partitions, before, vanished, manifest } = await commitDay(run, held.lease, uploads, [
      ...lake.values(),
    ]);
    await cleanOldVersions(deps, table, partitions, before, vanished);
    return {
      table: table.name,
      day,
      runId,
      rows: manifest.rows,
      files: manifest.files,
      bytes: manifest.bytes,
      partitions: partitions.length,
      checksum: manifest.checksum,
      schemaChanges: held.evolution.changes.map(describeChange),
      seconds: (performance.now() - started) / 1000,
      steps: { encode: encodeSeconds, checksums: checksumSeconds, publish: lap() },
    };
  } finally {
    await batch.dispose();
  }
}

/** Seconds since the previous call (or since it was made), for the export's step timings. */
export function stopwatch(): () => number {
  let mark = performance.now();
  return () => {
    const now = performance.now();
    const seconds = (now - mark) / 1000;
    mark = now;
    return seconds;
  };
}

/**
 * Steps 2–3 (of the day, or of one `range` of it): extract and encode in one snapshot; then, still in it, the source checksum
 * (PostgreSQL's CPU) and the files' checksum (DuckDB's) at the same time. Refuses a day
 * retention has purged. The encoded files are disposed of when a checksum fails.
 */
export async function extractAndEncode(
  deps: ExportDeps,
  table: TableConfig,
  day: string,
  plans: ColumnPlan[],
  select: string,
  options: ExportOptions,
  lap: () => number,
  range?: DayRange,
): Promise<{
  batch: EncodedBatch;
  source: Map<string | null, RowChecksum>;
  lake: Map<string | null, RowChecksum>;
  encodeSeconds: number;
  checksumSeconds: number;
}> {
  const groupBy = partitionColumnOf(table)[0];
  return deps.db.transaction(async (session) => {
    await session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    for (const setting of EXPORT_SETTINGS) await session.query(setting);
    // A day retention has (partly) deleted from PostgreSQL must not be replaced by what is left.
    // Checked in the export's own snapshot, first: each purge batch updates the log in the
    // transaction that deletes, so this snapshot sees either a whole day or the purge (a purge
    // that starts after the snapshot leaves the snapshot's rows whole).
    await refuseIfPurged(
      { schema: deps.db.schema, query: (sql, params) => session.query(sql, params) },
      table.name,
      day,
    );
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        options.onBytes?.(bytes);
        done(null, chunk);
      },
    });
    // pipeline(): a failure downstream also destroys the COPY stream.
    const counted = pipeline(session.copyTo(copyCsv(select)), counter, () => undefined);
    const encoded = await deps.encoder.encodeCsv(counted, plans, {
      partitionBy: groupBy,
      targetFileBytes: options.targetFileBytes ?? DEFAULT_FILE_BYTES,
      rowGroupRows: options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS,
    });
    const encodeSeconds = lap();
    try {
      const [sourceRows, fileSums] = await Promise.all([
        session.query<SourceRow>(
          sourceChecksumSql(deps.db.schema, table, plans, day, groupBy, range),
        ),
        deps.encoder.checksum(
          encoded.files.map((f) => f.path),
          duckRowCanonical(plans),
          groupBy ? { groupBy } : {},
        ),
      ]);
      return {
        batch: encoded,
        source: new Map(sourceRows.map((r) => [r.k, { rows: Number(r.n), sum: r.s }])),
        lake: fileSums,
        encodeSeconds,
        checksumSeconds: lap(),
      };
    } catch (error) {
      await encoded.dispose();
      throw error;
    }
  });
}

/** Step 4: uploads each partition's files into a new version folder. */
async function uploadPartitions(
  run: Run,
  files: EncodedBatch['files'],
  lake: ReadonlyMap<string | null, RowChecksum>,
): Promise<Upload[]> {
  const uploads: Upload[] = [];
  for (const [key, group] of groupFiles(run.table, files)) {
    uploads.push(await uploadPartition(run, key, group, lake.get(key ?? null)));
  }
  return uploads;
}

/**
 * Step 5, the commit: the catalog switches readers to the new versions — only while this run
 * still holds the table-day (a run that stalled past its lease's expiry may have been taken
 * over) — then the day's manifest is written.
 */
export async function commitDay(
  run: Run,
  lease: Lease,
  uploads: readonly Upload[],
  /** The validated checksums whose sum is the day's (per partition, or per chunk's partition). */
  checksums: readonly RowChecksum[],
): Promise<{
  partitions: CatalogPartition[];
  before: CatalogPartition[];
  vanished: CatalogPartition[];
  manifest: DayManifest;
}> {
  const { deps, table, day } = run;
  const partitions = uploads.map((u) => u.partition);
  await lease.confirm();
  const { before, vanished } = await switchPartitions(run, partitions);
  const manifest: DayManifest = {
    format: 1,
    table: table.name,
    day,
    layout: table.partition_layout,
    run_id: run.runId,
    rows: partitions.reduce((n, p) => n + p.rows, 0),
    checksum: sumChecksums(checksums),
    bytes: partitions.reduce((n, p) => n + p.bytes, 0),
    files: partitions.reduce((n, p) => n + p.files, 0),
    schema_hash: run.catalogTable.schemaHash,
    source_query: run.select,
    published_at: run.publishedAt,
    partitions: uploads.map((u) => u.manifest),
  };
  await deps.store.putText(
    dayManifestKey(table.name, day),
    JSON.stringify(manifest, null, 2),
    'application/json',
  );
  return { partitions, before, vanished, manifest };
}

/**
 * Step 6: cleans older versions (keeping the one just replaced for queries in flight); the
 * partitions the day no longer has go whole.
 */
export async function cleanOldVersions(
  deps: ExportDeps,
  table: TableConfig,
  partitions: readonly CatalogPartition[],
  before: readonly CatalogPartition[],
  vanished: readonly CatalogPartition[],
): Promise<void> {
  for (const partition of partitions) {
    const previous = before.find((p) => sameValues(p.values, partition.values));
    await cleanVersions(deps, versionsOf(table, partition.values), [
      partition.location,
      ...(previous ? [previous.location] : []),
    ]);
  }
  for (const gone of vanished) await cleanVersions(deps, versionsOf(table, gone.values), []);
}

/** What one publish works with. */
export interface Run {
  readonly deps: ExportDeps;
  readonly table: TableConfig;
  readonly day: string;
  readonly runId: string;
  readonly publishedAt: string;
  /** The columns this run writes (each of its partitions records them as its own). */
  readonly catalogTable: CatalogTable;
  readonly plans: readonly ColumnPlan[];
  readonly select: string;
}

/** One partition uploaded: its catalog entry-to-be and its line in the day manifest. */
export interface Upload {
  readonly partition: CatalogPartition;
  readonly manifest: DayManifest['partitions'][number];
}

/** Step 4 for one partition: its files and `_manifest.json` into a new version folder. */
async function uploadPartition(
  run: Run,
  key: string | null | undefined,
  files: readonly EncodedFile[],
  checksum: RowChecksum | undefined,
): Promise<Upload> {
  const values = partitionValues(run.table, run.day, key);
  const location = versionPrefix(partitionPrefix(run.table, values), run.runId);
  const uploaded = await uploadFiles(run, location, files);
  const sum = `${checksum?.rows ?? 0}:${checksum?.sum ?? '0'}`;
  return writePartitionManifest(run, values, uploaded, sum, sumColumnBytes(files));
}

/**
 * Uploads a partition's files into its version folder `location` as `part-00000.parquet`, … (with
 * a `chunk`, `part-c0002-00000.parquet`, …: the chunks of a day share the folder). Returns them as
 * the partition's manifest lists them.
 */
export async function uploadFiles(
  run: Run,
  location: string,
  files: readonly EncodedFile[],
  chunk?: number,
): Promise<PublishedFile[]> {
  const uploaded: PublishedFile[] = [];
  for (const [index, file] of files.entries()) {
    const objectKey = `${location}${partFileName(index, chunk)}`;
    const stored = await run.deps.store.putFile(objectKey, file.path);
    // The hash of the bytes uploaded — the file the validation above read: retention checks
    // the lake's files against it before it deletes hot rows.
    uploaded.push({ key: objectKey, bytes: stored.bytes, rows: file.rows, sha256: stored.sha256 });
    await run.deps.afterFileUpload?.(objectKey);
  }
  return uploaded;
}

/**
 * Writes a partition's `_manifest.json` into its version folder (of `uploaded`'s files, with the
 * validated checksum `rows:sum`): the partition's catalog entry-to-be and its line in the day
 * manifest.
 */
export async function writePartitionManifest(
  run: Run,
  values: string[],
  uploaded: readonly PublishedFile[],
  checksum: string,
  columnBytes: Record<string, number> | undefined,
): Promise<Upload> {
  const { deps, table, day, runId } = run;
  const location = versionPrefix(partitionPrefix(table, values), runId);
  const rows = uploaded.reduce((n, f) => n + f.rows, 0);
  const bytes = uploaded.reduce((n, f) => n + f.bytes, 0);
  const manifest: PartitionManifest = {
    format: 1,
    table: table.name,
    day,
    partition: Object.fromEntries(partitionKeys(table).map((k, i) => [k, values[i]])),
    run_id: runId,
    rows,
    checksum,
    files: uploaded,
    bytes,
    schema_hash: run.catalogTable.schemaHash,
    columns: run.plans.map((p) => ({
      name: p.name,
      source_type: p.sourceType,
      athena_type: p.athenaType,
      parquet_type: p.parquetType,
    })),
    source_query: run.select,
    published_at: run.publishedAt,
  };
  await deps.store.putText(
    `${location}_manifest.json`,
    JSON.stringify(manifest, null, 2),
    'application/json',
  );
  return {
    partition: {
      values,
      location,
      rows,
      bytes,
      files: uploaded.length,
      ...(columnBytes ? { columnBytes } : {}),
      columns: run.catalogTable.columns,
      runId,
      publishedAt: run.publishedAt,
    },
    manifest: {
      values,
      location,
      rows,
      bytes,
      checksum,
      ...(columnBytes ? { column_bytes: columnBytes } : {}),
    },
  };
}

/**
 * Compressed bytes per column summed over a partition's files (the scan estimate's input);
 * undefined when the encoder did not report them for every file.
 */
export function sumColumnBytes(
  files: readonly Pick<EncodedFile, 'columnBytes'>[],
): Record<string, number> | undefined {
  if (files.length === 0 || files.some((f) => f.columnBytes === undefined)) return undefined;
  const total: Record<string, number> = {};
  for (const file of files) {
    for (const [column, bytes] of Object.entries(file.columnBytes ?? {})) {
      total[column] = (total[column] ?? 0) + bytes;
    }
  }
  return total;
}

/**
 * Step 5's commit point: points the day's partitions at their new versions and drops the ones the
 * day no longer has. Returns the day's partitions as they were before, and the dropped ones.
 */
async function switchPartitions(
  run: Run,
  partitions: readonly CatalogPartition[],
): Promise<{ before: CatalogPartition[]; vanished: CatalogPartition[] }> {
  const { catalog } = run.deps;
  // The lake table as it is now, evolved with this run's columns: another run of the table may
  // have changed it since this one started (a change its policy refuses commits nothing).
  const lake = evolveTable(run.table, await catalog.getTable(run.table.name), run.catalogTable);
  await catalog.ensureTable(lake.table);
  const before = (await catalog.listPartitions(run.table.name)).filter(
    (p) => dayOfPartition(run.table, p.values) === run.day,
  );
  if (partitions.length > 0) await catalog.putPartitions(run.table.name, partitions);
  const vanished = before.filter(
    (old) => !partitions.some((p) => sameValues(p.values, old.values)),
  );
  if (vanished.length > 0) {
    await catalog.deletePartitions(
      run.table.name,
      vanished.map((p) => p.values),
    );
  }
  return { before, vanished };
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** A partition whose version folders {@link cleanVersions} deletes. */
export interface VersionedPartition {
  /** The catalog table and the partition's values (`[]` for an unpartitioned table). */
  readonly table: string;
  readonly values: readonly string[];
  /** Key prefix of its version folders `v=<run>/`, e.g. `events/event_type=Login/dt=2025-02-15/`. */
  readonly prefix: string;
}

function versionsOf(table: TableConfig, values: readonly string[]): VersionedPartition {
  return { table: table.name, values, prefix: partitionPrefix(table, values) };
}

/**
 * Deletes every version folder of a partition but `keep` and the one the catalog names when the
 * folders are deleted (read again right before) — including folders of runs that died before their
 * commit (stale staging), with what the store's writers left there when they died.
 * @example
 * await cleanVersions({ store, catalog }, { table: 'events', values: ['Login', '2025-02-15'], prefix: 'events/event_type=Login/dt=2025-02-15/' }, [newLocation, oldLocation]);
 */
export async function cleanVersions(
  lake: { readonly store: ObjectStore; readonly catalog: Catalog },
  partition: VersionedPartition,
  keep: readonly string[],
): Promise<number> {
  const { store, catalog } = lake;
  await store.sweep?.(partition.prefix);
  const versions = new Set<string>();
  for (const object of await store.list(partition.prefix)) {
    const rest = object.key.slice(partition.prefix.length);
    const folder = rest.split('/')[0];
    if (folder?.startsWith('v=')) versions.add(`${partition.prefix}${folder}/`);
  }
  const current = await catalog.getPartition(partition.table, partition.values);
  let deleted = 0;
  for (const version of versions) {
    if (!keep.includes(version) && version !== current?.location) {
      deleted += await store.deletePrefix(version);
    }
  }
  return deleted;
}

export function validate(
  table: string,
  day: string,
  source: Map<string | null, RowChecksum>,
  lake: Map<string | null, RowChecksum>,
): void {
  const keys = new Set([...source.keys(), ...lake.keys()]);
  for (const key of keys) {
    const want = source.get(key) ?? { rows: 0, sum: '0' };
    const got = lake.get(key) ?? { rows: 0, sum: '0' };
    if (want.rows !== got.rows || want.sum !== got.sum) {
      const where = key === null ? '' : ` partition '${key}'`;
      throw new ValidationError(
        `export of ${table} ${day}${where} does not match the source: PostgreSQL has ${want.rows} rows ` +
          `(checksum ${want.sum}), the Parquet files have ${got.rows} rows (checksum ${got.sum}). ` +
          `Nothing was published; the previous version stays current. Re-run the day; if it persists, ` +
          `report it with the table's column types.`,
      );
    }
  }
}

/** Files by partition value (one group, keyed undefined, for layout ymd). */
export function groupFiles(
  table: TableConfig,
  files: readonly EncodedFile[],
): Map<string | null | undefined, EncodedFile[]> {
  const groups = new Map<string | null | undefined, EncodedFile[]>();
  for (const file of files) {
    const key = table.partition_layout === 'ymd' ? undefined : (file.partitionValue ?? null);
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return groups;
}

export function sumChecksums(parts: readonly RowChecksum[]): string {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const sum = parts.reduce((n, p) => n + BigInt(p.sum), 0n);
  return `${rows}:${sum}`;
}

/**
 * A run id: the clock's instant to the second and six random hex digits.
 * @example
 * newRunId(fixedClock('2025-02-16T02:00:00Z')); // '20250216T020000Z-1a2b3c'
 */
export function newRunId(clock: Clock): string {
  const stamp = clock
    .now()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
