import { hasDotDot, lakeRoot } from '#adapters/aws/lake-location';
import {
  BatchCreatePartitionCommand,
  BatchDeletePartitionCommand,
  BatchGetPartitionCommand,
  BatchUpdatePartitionCommand,
  CreateTableCommand,
  GetPartitionCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  UpdateTableCommand,
  type Column,
  type ErrorDetail,
  type GlueClient,
  type Partition,
  type PartitionInput,
  type StorageDescriptor,
  type Table,
  type TableInput,
} from '@aws-sdk/client-glue';
import { UsageError } from '#core/errors';
import type { Catalog, CatalogColumn, CatalogPartition, CatalogTable } from '#ports/catalog';

/** Options of {@link GlueCatalog}. */
export interface GlueCatalogOptions {
  /** The Glue database that holds the lake's tables, e.g. `thermocline_lake`. */
  readonly database: string;
  /** The lake bucket: table and partition locations are `s3://bucket/prefix…`. */
  readonly bucket: string;
  /**
   * Key prefix of the lake inside the bucket: `''` or a prefix ending with `/`, e.g. `lake/`.
   * @default '' - the lake is the whole bucket
   */
  readonly prefix?: string;
}

/** Table parameter: the {@link CatalogTable.schemaHash} the table was last written with. */
const SCHEMA_HASH = 'thermocline.schema_hash';
/** Table parameter: JSON object of column name → PostgreSQL type. */
const SOURCE_TYPES = 'thermocline.source_types';
const ROWS = 'thermocline.rows';
const BYTES = 'thermocline.bytes';
const FILES = 'thermocline.files';
const RUN_ID = 'thermocline.run_id';
const PUBLISHED_AT = 'thermocline.published_at';
/** Partition parameter: JSON object of column name → compressed bytes of its chunks. */
const COLUMN_BYTES = 'thermocline.column_bytes';

const INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';
const SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const COMMENT_PREFIX = 'postgres ';

/** Glue limits: BatchGetPartition takes 1000 values lists, the batch writes 100 partitions. */
const GET_BATCH = 1000;
const WRITE_BATCH = 100;
/** Glue limit: BatchDeletePartition takes 25 partitions. */
const DELETE_BATCH = 25;
/** Attempts at a BatchGetPartition whose answer leaves `UnprocessedKeys`. */
const UNPROCESSED_ATTEMPTS = 5;

/**
 * The lake's catalog in the AWS Glue Data Catalog, as Athena reads it: external Parquet tables
 * (Hive Parquet SerDe, Snappy) whose partitions are registered one by one.
 *
 * Partition projection is deliberately not used. Each publish writes the partition's data to a
 * new version folder (`…/day=15/v=<run>/`) and then switches the partition's Glue location to that
 * folder; old versions are removed later. Projection derives every partition's location from one
 * fixed template (`storage.location.template`), which cannot point each partition at its own
 * current version folder. The location switch in {@link GlueCatalog.putPartitions} is what makes a
 * publish atomic for readers: a query sees either the old folder or the new one, never a mix.
 *
 * Table parameters carry what Glue has no field for: `thermocline.schema_hash` (the schema the
 * table was written with) and `thermocline.source_types` (column → PostgreSQL type, also kept in
 * each column's comment as `postgres <type>`). Partition parameters carry `thermocline.rows`,
 * `thermocline.bytes`, `thermocline.files`, `thermocline.run_id`, `thermocline.published_at`,
 * `thermocline.column_bytes` (JSON: column → compressed bytes of its chunks, for scan estimates;
 * absent on partitions published before it was recorded), and `numRows` for engines that read it.
 * @example
 * const catalog = new GlueCatalog(new GlueClient({}), {
 *   database: 'thermocline_lake',
 *   bucket: 'thermocline-lake',
 *   prefix: 'lake/',
 * });
 * await catalog.ensureTable(table);
 * await catalog.putPartitions('agent_tasks', [
 *   {
 *     values: ['2025', '02', '15'],
 *     location: 'agent_tasks/year=2025/month=02/day=15/v=r1/',
 *     rows: 1200,
 *     bytes: 48213,
 *     files: 1,
 *     runId: 'r1',
 *     publishedAt: '2025-02-16T03:00:00.000Z',
 *   },
 * ]);
 */
export class GlueCatalog implements Catalog {
  /** `glue:database`, for messages. */
  readonly description: string;
  private readonly database: string;
  /** `s3://bucket/prefix`: every location in the catalog is under it. */
  private readonly root: string;

  constructor(
    private readonly client: GlueClient,
    options: GlueCatalogOptions,
  ) {
    const prefix = options.prefix ?? '';
    if (!options.database) {
      throw new UsageError("Glue database name '' is empty; pass the lake's database name");
    }
    this.root = lakeRoot(options.bucket, prefix);
    this.database = options.database;
    this.description = `glue:${this.database}`;
  }

  /**
   * GetTable, then CreateTable when Glue answers `EntityNotFoundException`, or UpdateTable when
   * the stored `thermocline.schema_hash` differs from `table.schemaHash`; otherwise nothing.
   * UpdateTable replaces the table's definition and parameters; existing partitions keep their
   * own column lists (their StorageDescriptor's, the columns their files hold) until they are
   * published again — Athena validates a Parquet partition's columns against the table's by name
   * and casts a partition's `int` to the table's `bigint` (docs/type-contract.md "Schema changes").
   */
  async ensureTable(table: CatalogTable): Promise<void> {
    checkLocation(table.location, `location of table '${table.name}'`);
    const input = this.tableInput(table);
    const existing = await this.fetchTable(table.name);
    if (existing === undefined) {
      await this.client.send(
        new CreateTableCommand({ DatabaseName: this.database, TableInput: input }),
      );
      return;
    }
    if (existing.Parameters?.[SCHEMA_HASH] === table.schemaHash) return;
    await this.client.send(
      new UpdateTableCommand({
        DatabaseName: this.database,
        TableInput: keepCurrentVersion(input, existing),
      }),
    );
  }

  /** The table from GetTable, or undefined when Glue answers `EntityNotFoundException`. */
  async getTable(name: string): Promise<CatalogTable | undefined> {
    const table = await this.fetchTable(name);
    return table === undefined ? undefined : this.toCatalogTable(table);
  }

  /**
   * Every Thermocline table of the database (GetTables, following `NextToken`). Tables without a
   * `thermocline.schema_hash` parameter were not made by Thermocline and are left out.
   */
  async listTables(): Promise<CatalogTable[]> {
    const tables: CatalogTable[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetTablesCommand({ DatabaseName: this.database, NextToken: token }),
      );
      for (const table of page.TableList ?? []) {
        if (table.Parameters?.[SCHEMA_HASH] === undefined) continue;
        tables.push(this.toCatalogTable(table));
      }
      token = page.NextToken;
    } while (token);
    return tables;
  }

  /**
   * Points each partition at its new version folder: BatchGetPartition (1000 per call) finds
   * which exist, then BatchCreatePartition registers the new ones and BatchUpdatePartition
   * switches the existing ones (100 per call). Each partition's StorageDescriptor lists its own
   * columns ({@link CatalogPartition.columns}, with their PostgreSQL types in the comments), or
   * the table's when it names none. Each partition switches atomically; a call that
   * fails midway leaves earlier partitions switched, so a publish is retried as a whole. Throws,
   * naming the table, the partition values and Glue's error code and message, when any entry of
   * a batch fails.
   */
  async putPartitions(table: string, partitions: readonly CatalogPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    const glueTable = await this.fetchTable(table);
    if (glueTable === undefined) {
      throw new Error(
        `table '${table}' is not in ${this.description}; create it with ensureTable before putting partitions`,
      );
    }
    const keys = (glueTable.PartitionKeys ?? []).map((k) => k.Name ?? '');
    if (keys.length === 0) {
      await this.switchUnpartitioned(table, glueTable, partitions);
      return;
    }
    const seen = new Set<string>();
    for (const partition of partitions) {
      const id = valuesId(partition.values);
      const key = valuesKey(partition.values);
      if (partition.values.length !== keys.length) {
        throw new UsageError(
          `partition ${id} of ${this.name(table)} has ${partition.values.length} values; ` +
            `the table is partitioned by ${keys.length} keys (${keys.join(', ')})`,
        );
      }
      if (seen.has(key)) {
        throw new UsageError(`partition ${id} of ${this.name(table)} is given twice; pass it once`);
      }
      seen.add(key);
      checkLocation(partition.location, `location of partition ${id} of ${this.name(table)}`);
    }
    const columns = glueTable.StorageDescriptor?.Columns ?? [];
    const existing = await this.existingPartitions(table, partitions);
    const created = partitions.filter((p) => !existing.has(valuesKey(p.values)));
    const updated = partitions.filter((p) => existing.has(valuesKey(p.values)));
    for (const batch of chunks(created, WRITE_BATCH)) {
      const response = await this.client.send(
        new BatchCreatePartitionCommand({
          DatabaseName: this.database,
          TableName: table,
          PartitionInputList: batch.map((p) => this.partitionInput(columns, p)),
        }),
      );
      this.throwOnErrors(
        table,
        'creating',
        (response.Errors ?? []).map((e) => [e.PartitionValues, e.ErrorDetail]),
      );
    }
    for (const batch of chunks(updated, WRITE_BATCH)) {
      const response = await this.client.send(
        new BatchUpdatePartitionCommand({
          DatabaseName: this.database,
          TableName: table,
          Entries: batch.map((p) => ({
            PartitionValueList: [...p.values],
            PartitionInput: this.partitionInput(columns, p),
          })),
        }),
      );
      this.throwOnErrors(
        table,
        'updating',
        (response.Errors ?? []).map((e) => [e.PartitionValueList, e.ErrorDetail]),
      );
    }
  }

  /**
   * Removes partitions with BatchDeletePartition, 25 per call. A partition Glue does not have is
   * already gone and is not an error (its `EntityNotFoundException` entry is ignored); any other
   * failed entry throws, naming the table, the values and Glue's error code and message. The data
   * files are not touched: the caller removes them from the object store.
   */
  async deletePartitions(table: string, values: readonly (readonly string[])[]): Promise<void> {
    for (const batch of chunks(values, DELETE_BATCH)) {
      const response = await this.client.send(
        new BatchDeletePartitionCommand({
          DatabaseName: this.database,
          TableName: table,
          PartitionsToDelete: batch.map((v) => ({ Values: [...v] })),
        }),
      );
      this.throwOnErrors(
        table,
        'deleting',
        (response.Errors ?? [])
          .filter((e) => e.ErrorDetail?.ErrorCode !== 'EntityNotFoundException')
          .map((e) => [e.PartitionValues, e.ErrorDetail]),
      );
    }
  }

  /** The partition from GetPartition, or undefined when Glue answers `EntityNotFoundException`. */
  async getPartition(
    table: string,
    values: readonly string[],
  ): Promise<CatalogPartition | undefined> {
    if (values.length === 0) return this.unpartitionedCurrent(table);
    try {
      const response = await this.client.send(
        new GetPartitionCommand({
          DatabaseName: this.database,
          TableName: table,
          PartitionValues: [...values],
        }),
      );
      return response.Partition === undefined
        ? undefined
        : this.toCatalogPartition(table, response.Partition);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every partition of the table (GetPartitions, following `NextToken`), sorted by values. */
  async listPartitions(table: string): Promise<CatalogPartition[]> {
    const partitions: CatalogPartition[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetPartitionsCommand({
          DatabaseName: this.database,
          TableName: table,
          ExcludeColumnSchema: true,
          NextToken: token,
        }),
      );
      for (const partition of page.Partitions ?? []) {
        partitions.push(this.toCatalogPartition(table, partition));
      }
      token = page.NextToken;
    } while (token);
    if (partitions.length === 0) {
      const current = await this.unpartitionedCurrent(table);
      if (current) return [current];
    }
    return partitions.sort((a, b) => compareValues(a.values, b.values));
  }

  /**
   * An unpartitioned table (no partition keys, e.g. the sync's `ref_<table>` current state) has
   * one partition, with values `[]`: Glue has no partition objects for it, so its location is
   * the table's own `StorageDescriptor.Location`, switched with UpdateTable — atomic for Athena
   * like a partition switch — and its rows, bytes, files, run id and publish time are table
   * parameters. Throws unless exactly one partition with values `[]` is given.
   */
  private async switchUnpartitioned(
    table: string,
    glueTable: Table,
    partitions: readonly CatalogPartition[],
  ): Promise<void> {
    const [partition] = partitions;
    if (partitions.length !== 1 || partition === undefined || partition.values.length !== 0) {
      throw new UsageError(
        `${this.name(table)} has no partition keys: give exactly one partition with values [] ` +
          `(its location becomes the table's); got ${partitions.map((p) => valuesId(p.values)).join(', ')}`,
      );
    }
    checkLocation(partition.location, `location of ${this.name(table)}`);
    const { Parameters: partitionParameters } = this.partitionInput([], partition);
    await this.client.send(
      new UpdateTableCommand({
        DatabaseName: this.database,
        TableInput: {
          Name: table,
          TableType: glueTable.TableType ?? 'EXTERNAL_TABLE',
          Parameters: { ...glueTable.Parameters, ...partitionParameters },
          PartitionKeys: [],
          StorageDescriptor: storageDescriptor(
            glueTable.StorageDescriptor?.Columns ?? [],
            this.root + partition.location,
          ),
        },
      }),
    );
  }

  /** The one partition of an unpartitioned table once a version was switched in, else undefined. */
  private async unpartitionedCurrent(table: string): Promise<CatalogPartition | undefined> {
    let glueTable: Table | undefined;
    try {
      const response = await this.client.send(
        new GetTableCommand({ DatabaseName: this.database, Name: table }),
      );
      glueTable = response?.Table;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if (!glueTable || (glueTable.PartitionKeys ?? []).length > 0) return undefined;
    if (glueTable.Parameters?.[RUN_ID] === undefined) return undefined;
    // Its files hold the table's columns: the table's StorageDescriptor is not a partition's own.
    return this.toCatalogPartition(table, {
      Values: [],
      StorageDescriptor: { ...glueTable.StorageDescriptor, Columns: undefined },
      Parameters: glueTable.Parameters,
    });
  }

  private async fetchTable(name: string): Promise<Table | undefined> {
    try {
      const response = await this.client.send(
        new GetTableCommand({ DatabaseName: this.database, Name: name }),
      );
      return response.Table;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Keys (see {@link valuesKey}) of the given partitions that Glue already has. */
  private async existingPartitions(
    table: string,
    partitions: readonly CatalogPartition[],
  ): Promise<Set<string>> {
    const existing = new Set<string>();
    for (const batch of chunks(partitions, GET_BATCH)) {
      let toGet = batch.map((p) => ({ Values: [...p.values] }));
      for (let attempt = 1; toGet.length > 0; attempt += 1) {
        if (attempt > UNPROCESSED_ATTEMPTS) {
          throw new Error(
            `Glue left ${toGet.length} partitions of ${this.name(table)} unprocessed after ` +
              `${UNPROCESSED_ATTEMPTS} BatchGetPartition attempts (first: ${valuesId(toGet[0]?.Values ?? [])}); retry the publish`,
          );
        }
        if (attempt > 1) await sleep(100 * 2 ** (attempt - 2));
        const response = await this.client.send(
          new BatchGetPartitionCommand({
            DatabaseName: this.database,
            TableName: table,
            PartitionsToGet: toGet,
          }),
        );
        for (const partition of response.Partitions ?? []) {
          existing.add(valuesKey(partition.Values ?? []));
        }
        toGet = (response.UnprocessedKeys ?? []).map((k) => ({ Values: k.Values ?? [] }));
      }
    }
    return existing;
  }

  private tableInput(table: CatalogTable): TableInput {
    const sourceTypes = Object.fromEntries(table.columns.map((c) => [c.name, c.sourceType]));
    return {
      Name: table.name,
      TableType: 'EXTERNAL_TABLE',
      Parameters: {
        classification: 'parquet',
        EXTERNAL: 'TRUE',
        'parquet.compression': 'SNAPPY',
        [SCHEMA_HASH]: table.schemaHash,
        [SOURCE_TYPES]: JSON.stringify(sourceTypes),
      },
      PartitionKeys: table.partitionKeys.map((key) => ({ Name: key, Type: 'string' })),
      StorageDescriptor: storageDescriptor(
        table.columns.map(glueColumn),
        this.root + table.location,
      ),
    };
  }

  private partitionInput(columns: readonly Column[], partition: CatalogPartition): PartitionInput {
    const own = partition.columns?.map(glueColumn);
    return {
      Values: [...partition.values],
      StorageDescriptor: storageDescriptor(
        own ?? columns.map((c) => ({ Name: c.Name, Type: c.Type, Comment: c.Comment })),
        this.root + partition.location,
      ),
      Parameters: {
        [ROWS]: String(partition.rows),
        [BYTES]: String(partition.bytes),
        [FILES]: String(partition.files),
        [RUN_ID]: partition.runId,
        [PUBLISHED_AT]: partition.publishedAt,
        ...(partition.columnBytes ? { [COLUMN_BYTES]: JSON.stringify(partition.columnBytes) } : {}),
        numRows: String(partition.rows),
      },
    };
  }

  private toCatalogTable(table: Table): CatalogTable {
    const name = table.Name ?? '';
    const parameters = table.Parameters ?? {};
    const sourceTypes = parseSourceTypes(parameters[SOURCE_TYPES]);
    const columns = catalogColumns(table.StorageDescriptor?.Columns ?? [], sourceTypes);
    return {
      name,
      columns,
      partitionKeys: (table.PartitionKeys ?? []).map((k) => k.Name ?? ''),
      location: this.relative(table.StorageDescriptor?.Location, `table ${this.name(name)}`),
      schemaHash: parameters[SCHEMA_HASH] ?? '',
    };
  }

  private toCatalogPartition(table: string, partition: Partition): CatalogPartition {
    const values = partition.Values ?? [];
    const what = `partition ${valuesId(values)} of ${this.name(table)}`;
    const parameters = partition.Parameters ?? {};
    const columnBytes = parseColumnBytes(parameters[COLUMN_BYTES]);
    const glueColumns = partition.StorageDescriptor?.Columns ?? [];
    return {
      values,
      location: this.relative(partition.StorageDescriptor?.Location, what),
      rows: count(parameters, ROWS, what),
      bytes: count(parameters, BYTES, what),
      files: count(parameters, FILES, what),
      ...(columnBytes ? { columnBytes } : {}),
      ...(glueColumns.length > 0 ? { columns: catalogColumns(glueColumns, {}) } : {}),
      runId: parameters[RUN_ID] ?? '',
      publishedAt: parameters[PUBLISHED_AT] ?? '',
    };
  }

  /** The location relative to the lake root, ending with `/`. */
  private relative(url: string | undefined, what: string): string {
    if (url === undefined || !url.startsWith(this.root)) {
      throw new Error(
        `${what} is at '${url ?? '(no location)'}', outside the lake root ${this.root}; ` +
          'fix its location in Glue or drop it',
      );
    }
    const location = url.slice(this.root.length);
    return location === '' || location.endsWith('/') ? location : `${location}/`;
  }

  private throwOnErrors(
    table: string,
    action: string,
    errors: readonly (readonly [string[] | undefined, ErrorDetail | undefined])[],
  ): void {
    const first = errors[0];
    if (first === undefined) return;
    const [values, detail] = first;
    const more = errors.length > 1 ? `; ${errors.length - 1} more failed` : '';
    throw new Error(
      `${action} partition ${valuesId(values ?? [])} of ${this.name(table)} failed: ` +
        `${detail?.ErrorCode ?? 'unknown error'} (${detail?.ErrorMessage ?? 'no message'})${more}; ` +
        'partitions before it may already be switched: retry the publish',
    );
  }

  private name(table: string): string {
    return `glue table ${this.database}.${table}`;
  }
}

/** A catalog column as Glue stores it: its PostgreSQL type in the comment (`postgres <type>`). */
function glueColumn(column: CatalogColumn): Column {
  return { Name: column.name, Type: column.type, Comment: COMMENT_PREFIX + column.sourceType };
}

/**
 * Glue columns back as catalog columns: the PostgreSQL type from `sourceTypes` (the table's
 * `thermocline.source_types`), else from the comment.
 */
function catalogColumns(
  columns: readonly Column[],
  sourceTypes: Readonly<Record<string, string>>,
): CatalogColumn[] {
  return columns.map((c) => {
    const column = c.Name ?? '';
    const fromComment = c.Comment?.startsWith(COMMENT_PREFIX)
      ? c.Comment.slice(COMMENT_PREFIX.length)
      : undefined;
    return {
      name: column,
      type: c.Type ?? '',
      sourceType: sourceTypes[column] ?? fromComment ?? '',
    };
  });
}

function storageDescriptor(columns: Column[], location: string): StorageDescriptor {
  return {
    Columns: columns,
    Location: location,
    InputFormat: INPUT_FORMAT,
    OutputFormat: OUTPUT_FORMAT,
    SerdeInfo: { SerializationLibrary: SERDE, Parameters: { 'serialization.format': '1' } },
  };
}

/**
 * An UpdateTable input that keeps an unpartitioned table's current version (its location and
 * version parameters, see `switchUnpartitioned`) instead of pointing it back at the table root.
 */
function keepCurrentVersion(input: TableInput, existing: Table): TableInput {
  const parameters = existing.Parameters ?? {};
  if ((input.PartitionKeys ?? []).length > 0 || parameters[RUN_ID] === undefined) return input;
  const version = Object.fromEntries(
    [ROWS, BYTES, FILES, RUN_ID, PUBLISHED_AT, COLUMN_BYTES, 'numRows'].flatMap((key) =>
      parameters[key] === undefined ? [] : [[key, parameters[key]]],
    ),
  );
  return {
    ...input,
    Parameters: { ...input.Parameters, ...version },
    StorageDescriptor: {
      ...input.StorageDescriptor,
      Location: existing.StorageDescriptor?.Location ?? input.StorageDescriptor?.Location,
    },
  };
}

function checkLocation(location: string, what: string): void {
  if (location.startsWith('/') || hasDotDot(location) || !location.endsWith('/')) {
    throw new UsageError(
      `${what} '${location}' is not valid; use a key prefix relative to the lake root ending with '/', e.g. 'agent_tasks/'`,
    );
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'EntityNotFoundException';
}

/** A partition's values for messages, e.g. `[2025, 02, 15]`. */
function valuesId(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

/** A partition's values as an unambiguous set key. */
function valuesKey(values: readonly string[]): string {
  return JSON.stringify(values);
}

function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function parseSourceTypes(json: string | undefined): Record<string, string> {
  if (json === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}

/**
 * `thermocline.column_bytes` back to an object; undefined when absent or not an object of
 * whole numbers (the estimate then counts the partition whole — never an error for a reader).
 */
function parseColumnBytes(json: string | undefined): Record<string, number> | undefined {
  if (json === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const entries = Object.entries(parsed);
    if (!entries.every(([, v]) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
      return undefined;
    }
    return Object.fromEntries(entries) as Record<string, number>;
  } catch {
    return undefined;
  }
}

function count(parameters: Record<string, string>, key: string, what: string): number {
  const text = parameters[key];
  if (text === undefined) return 0;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${what} has parameter ${key}='${text}'; expected a whole number >= 0`);
  }
  return value;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
