/**
 * The `S3ParquetRead` plan step's reader: one Parquet object read with hyparquet over the object
 * store's range reads, so the same code reads S3 (ranged GETs) and the local file-system lake.
 * The footer is read first, then only the column chunks of the requested columns and of the row
 * groups up to the limit.
 */
import {
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type ParquetParsers,
  type SchemaElement,
  type SchemaTree,
} from 'hyparquet';
import { ObjectNotFoundError, QueryFailedError } from '#core/query/engine-errors';
import {
  base64Of,
  isoDateFromEpochDays,
  isoFromEpochMicros,
  jsonSafe,
  jsonSafeReal,
} from '#core/query/rows';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetObjectReader, ParquetReadOptions } from '#ports/parquet-reader';
import type { QueryColumn, QueryResult, QueryRow } from '#ports/query-engine';

/**
 * Bytes read from the end of the object first: the footer of most files fits (one request), and
 * a larger footer costs one more.
 */
const FOOTER_FETCH_BYTES = 64 * 1024;

const ENGINE = 'parquet';

/**
 * Timestamps and dates as ISO strings straight from their integers (no Date rounding); a UUID
 * column (16 bytes, `uuid_as: 'binary'`) as the base64 of its bytes, as Athena reads it (binary).
 */
const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (millis: bigint) => isoFromEpochMicros(BigInt(millis) * 1000n),
  timestampFromMicroseconds: (micros: bigint) => isoFromEpochMicros(BigInt(micros)),
  timestampFromNanoseconds: (nanos: bigint) => isoFromEpochMicros(BigInt(nanos) / 1000n),
  dateFromDays: (days: number) => isoDateFromEpochDays(days),
  uuidFromBytes: (bytes: Uint8Array) => base64Of(bytes),
};

/**
 * Reads one Parquet object: hyparquet over an AsyncBuffer built on `store.head` and
 * `store.getRange`. `bytesScanned` is what was actually fetched (footer plus column chunks);
 * values are JSON-safe (int64 as a number when exact, decimals as exact strings, timestamps ISO
 * 8601 with `Z`, dates `YYYY-MM-DD`, binary base64 — a 16-byte UUID column included, typed
 * `binary` as Glue and Athena type it); column types are the file's in Athena's words (`bigint`,
 * `decimal(12,6)`, `timestamp`, `string`, …).
 * @throws ObjectNotFoundError (404) when the key is not there; QueryFailedError (400) for a file
 * that is not Parquet or a column it does not have.
 * @example
 * const result = await readParquetObject(bucket, 'events/Login/2025-02-15.parquet', {
 *   columns: ['membercode', 'occurred_at'], limit: 100,
 * });
 * result.bytesScanned; // bytes fetched: the footer and two columns' chunks
 */
export const readParquetObject: ParquetObjectReader = async (
  store: ObjectStore,
  key: string,
  options: ParquetReadOptions = {},
): Promise<QueryResult> => {
  const started = performance.now();
  const info = await store.head(key);
  if (!info) throw new ObjectNotFoundError(store.locate(key));
  const { file, fetched } = countingBuffer(store, key, info.bytes);
  const metadata = await readMetadata(file, store, key);
  const top = parquetSchema(metadata).children;
  const selected = selectedColumns(top, options.columns, store, key);
  const limit = options.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new QueryFailedError(ENGINE, `limit ${limit} is not an integer >= 0`, 400);
  }
  const rows = await readRows(file, metadata, top, selected, limit);
  const byName = new Map(top.map((c) => [c.element.name, c]));
  const columns: QueryColumn[] = selected.map((name) => ({
    name,
    type: typeName(byName.get(name)),
  }));
  return {
    columns,
    rows,
    bytesScanned: fetched(),
    engineMs: Math.round(performance.now() - started),
    reused: false,
  };
};

/** An AsyncBuffer over `store.getRange` of an object of `byteLength` bytes, counting what it fetched. */
function countingBuffer(
  store: ObjectStore,
  key: string,
  byteLength: number,
): { file: AsyncBuffer; fetched: () => number } {
  let fetched = 0;
  const file: AsyncBuffer = {
    byteLength,
    slice: async (start: number, end?: number) => {
      const stop = Math.min(end ?? byteLength, byteLength);
      const bytes = await store.getRange(key, start, Math.max(0, stop - start));
      fetched += bytes.byteLength;
      return bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer;
    },
  };
  return { file, fetched: () => fetched };
}

/** The file's footer; a QueryFailedError (400) when it is not a readable Parquet file. */
async function readMetadata(
  file: AsyncBuffer,
  store: ObjectStore,
  key: string,
): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(file, {
      initialFetchSize: FOOTER_FETCH_BYTES,
      parsers: PARSERS,
    });
  } catch (error) {
    throw new QueryFailedError(
      ENGINE,
      `${store.locate(key)} is not a readable Parquet file (${error instanceof Error ? error.message : String(error)})`,
      400,
    );
  }
}

/** The columns to read: the requested ones (each one the file has, else 400), or all of them. */
function selectedColumns(
  top: readonly SchemaTree[],
  requested: ParquetReadOptions['columns'],
  store: ObjectStore,
  key: string,
): string[] {
  const names = top.map((c) => c.element.name);
  const selected = requested ? [...requested] : names;
  const unknown = selected.filter((c) => !names.includes(c));
  if (unknown.length > 0) {
    throw new QueryFailedError(
      ENGINE,
      `${store.locate(key)} has no column ${unknown.map((c) => `'${c}'`).join(', ')}; its columns: ${names.join(', ')}`,
      400,
      undefined,
      "name only those columns in the step's columns",
    );
  }
  return selected;
}

/** The first `limit` rows (all without one) of the selected columns, their values JSON-safe. */
async function readRows(
  file: AsyncBuffer,
  metadata: FileMetaData,
  top: readonly SchemaTree[],
  selected: string[],
  limit: number | undefined,
): Promise<QueryRow[]> {
  const decimals = decimalScales(metadata);
  // A REAL (float4) with its shortest digits, as the engines render it (`0.1`, not 0.100000001…).
  const reals = new Set(
    top
      .filter((c) => c.element.type === 'FLOAT' && c.children.length === 0)
      .map((c) => c.element.name),
  );
  const totalRows = Number(metadata.num_rows);
  const rowEnd = limit === undefined ? totalRows : Math.min(limit, totalRows);
  const objects =
    rowEnd === 0 || selected.length === 0
      ? []
      : await parquetReadObjects({
          file,
          metadata: withoutDecimalAnnotations(metadata, decimals),
          columns: selected,
          rowStart: 0,
          rowEnd,
          parsers: PARSERS,
          // Only annotated byte arrays are text: bytea (plain BYTE_ARRAY) stays binary (base64).
          utf8: false,
        });
  return objects.map((object) => {
    const row: QueryRow = {};
    for (const name of selected) {
      const scale = decimals.get(name);
      const value = object[name];
      row[name] =
        scale !== undefined
          ? decimalText(value, scale)
          : reals.has(name) && typeof value === 'number'
            ? jsonSafeReal(value)
            : jsonSafe(value);
    }
    return row;
  });
}

/** Top-level decimal columns and their scales. */
function decimalScales(metadata: FileMetaData): Map<string, number> {
  const scales = new Map<string, number>();
  for (const child of parquetSchema(metadata).children) {
    const { element } = child;
    const decimal =
      element.logical_type?.type === 'DECIMAL' || element.converted_type === 'DECIMAL';
    if (decimal && child.children.length === 0) scales.set(element.name, element.scale ?? 0);
  }
  return scales;
}

/**
 * hyparquet turns decimals into JS numbers (rounding beyond 15 digits): the metadata it reads
 * with drops the decimal annotation of those columns, so their unscaled integers come through
 * and {@link decimalText} writes them exactly.
 */
function withoutDecimalAnnotations(
  metadata: FileMetaData,
  decimals: ReadonlyMap<string, number>,
): FileMetaData {
  if (decimals.size === 0) return metadata;
  const schema = metadata.schema.map((element, i): SchemaElement => {
    if (i === 0 || !decimals.has(element.name) || element.num_children) return element;
    const plain: SchemaElement = { ...element };
    delete plain.converted_type;
    delete plain.logical_type;
    return plain;
  });
  return { ...metadata, schema };
}

/** An unscaled decimal integer (number, bigint or big-endian two's complement bytes) as text. */
function decimalText(value: unknown, scale: number): string | null {
  if (value === null || value === undefined) return null;
  let unscaled: bigint;
  if (typeof value === 'bigint') unscaled = value;
  else if (typeof value === 'number') unscaled = BigInt(value);
  else if (value instanceof Uint8Array) unscaled = fromTwosComplement(value);
  else return String(value);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

function fromTwosComplement(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  if (bytes.length > 0 && value >= 1n << (bits - 1n)) value -= 1n << bits;
  return value;
}

/** A column's type in Athena's words, from its Parquet schema element. */
function typeName(tree: SchemaTree | undefined): string {
  if (!tree) return 'unknown';
  const { element, children } = tree;
  const logical = element.logical_type;
  if (logical?.type === 'LIST' || element.converted_type === 'LIST') {
    const item = children[0]?.children[0] ?? children[0];
    return `array<${typeName(item)}>`;
  }
  if (logical?.type === 'MAP' || element.converted_type === 'MAP') return 'map';
  if (children.length > 0) {
    return `struct<${children.map((c) => `${c.element.name}:${typeName(c)}`).join(',')}>`;
  }
  if (logical?.type === 'DECIMAL') return `decimal(${logical.precision},${logical.scale})`;
  if (element.converted_type === 'DECIMAL') {
    return `decimal(${element.precision ?? 38},${element.scale ?? 0})`;
  }
  if (logical?.type === 'TIMESTAMP' || element.converted_type?.startsWith('TIMESTAMP')) {
    return 'timestamp';
  }
  if (logical?.type === 'DATE' || element.converted_type === 'DATE') return 'date';
  if (logical?.type === 'UUID') return 'binary';
  if (logical?.type === 'JSON' || element.converted_type === 'JSON') return 'json';
  if (logical?.type === 'STRING' || element.converted_type === 'UTF8') return 'string';
  if (logical?.type === 'INTEGER') {
    return { 8: 'tinyint', 16: 'smallint', 32: 'int', 64: 'bigint' }[logical.bitWidth] ?? 'bigint';
  }
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      return 'int';
    case 'INT64':
      return 'bigint';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      return 'binary';
    default:
      return 'unknown';
  }
}
