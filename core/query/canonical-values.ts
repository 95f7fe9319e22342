/**
 * The canonical JSON form of a value of a catalog column type, so that a row from PostgreSQL is
 * indistinguishable from the same row read from the lake: the catalog's column types are the
 * target, and each value from either side is converted to one form (integers as numbers, or
 * strings past 2^53; decimals as strings with the column's scale; timestamps as ISO 8601 in UTC as
 * the lake engines give them; JSON columns as their text; binary as base64).
 */
import { base64Of } from '#core/query/rows';
import type { CatalogColumn } from '#ports/catalog';
import { utcDay } from '#ports/clock';
import type { QueryRow } from '#ports/query-engine';
import type { RangeColumn } from '#core/query/range-route';

/**
 * A row in the canonical form of the columns' catalog types (see the module comment); columns
 * come in projection order, keyed by name (engines may return other name cases).
 * @example
 * canonicalRow({ id: '12', amount: '5.5', occurred_at: '2025-02-15 01:02:03.5+00' }, columns);
 * // { id: 12, amount: '5.50', occurred_at: '2025-02-15T01:02:03.500Z' }
 */
export function canonicalRow(row: QueryRow, columns: readonly RangeColumn[]): QueryRow {
  const lower = new Map(Object.keys(row).map((k) => [k.toLowerCase(), k]));
  const out: QueryRow = {};
  for (const column of columns) {
    const key = column.name in row ? column.name : lower.get(column.name.toLowerCase());
    out[column.name] = canonicalValue(key === undefined ? null : row[key], column);
  }
  return out;
}

/**
 * One value in the canonical JSON form of its catalog column type.
 * @example
 * canonicalValue('123', { name: 'id', type: 'bigint', sourceType: 'bigint' }); // 123
 */
export function canonicalValue(
  value: unknown,
  column: Pick<CatalogColumn, 'type' | 'sourceType'>,
): unknown {
  if (value === null || value === undefined) return null;
  const type = column.type.toLowerCase();
  const array = /^array<(.+)>$/.exec(type);
  if (array) {
    const element = {
      type: array[1] ?? 'string',
      sourceType: column.sourceType.replace(/\[\]$/, ''),
    };
    const items = typeof value === 'string' ? parseJsonArray(value) : value;
    return Array.isArray(items) ? items.map((v) => canonicalValue(v, element)) : items;
  }
  if (
    type === 'bigint' ||
    type === 'int' ||
    type === 'integer' ||
    type === 'smallint' ||
    type === 'tinyint'
  ) {
    return canonicalInteger(value);
  }
  const decimal = /^decimal\(\d+,\s*(\d+)\)$/.exec(type);
  if (decimal) return canonicalDecimal(value, Number(decimal[1]));
  if (type === 'double' || type === 'float' || type === 'real') return canonicalFloat(value);
  if (type === 'boolean')
    return typeof value === 'string' ? value === 't' || value === 'true' : Boolean(value);
  if (type === 'timestamp') {
    return canonicalTimestamp(value, /with time zone/.test(column.sourceType));
  }
  if (type === 'date') return value instanceof Date ? utcDay(value) : String(value).slice(0, 10);
  if (type === 'binary') return canonicalBinary(value);
  if (type === 'string' && typeof value === 'object') return JSON.stringify(value);
  return typeof value === 'bigint' ? value.toString() : value;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Binary as base64, as every engine's rows carry it: a uuid the lake holds as 16 bytes
 * (`uuid_as: 'binary'`) comes from PostgreSQL as its text and from the lake as base64 of its
 * bytes; bytes (a Buffer) become base64. A base64 string is never a uuid's text (24 characters).
 */
function canonicalBinary(value: unknown): unknown {
  if (typeof value === 'string' && UUID_TEXT.test(value)) {
    return Buffer.from(value.replaceAll('-', ''), 'hex').toString('base64');
  }
  if (value instanceof Uint8Array) return base64Of(value);
  return value;
}

function parseJsonArray(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function canonicalInteger(value: unknown): unknown {
  if (typeof value === 'number') return value;
  const big =
    typeof value === 'bigint'
      ? value
      : /^-?\d+$/.test(String(value))
        ? BigInt(String(value))
        : undefined;
  if (big === undefined) return value;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

/** A decimal as a string with exactly `scale` fraction digits (no float rounding). */
function canonicalDecimal(value: unknown, scale: number): unknown {
  const text = typeof value === 'number' ? value.toFixed(scale) : String(value);
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = ''] = match;
  const digits = (fraction + '0'.repeat(scale)).slice(0, scale);
  return `${sign}${whole || '0'}${scale > 0 ? `.${digits}` : ''}`;
}

function canonicalFloat(value: unknown): unknown {
  const number = typeof value === 'number' ? value : Number(value);
  if (Number.isNaN(number)) return 'NaN';
  if (!Number.isFinite(number)) return number > 0 ? 'Infinity' : '-Infinity';
  return number;
}

const TIMESTAMP_TEXT =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A timestamp as ISO 8601 the way the lake engines' rows carry it (`#core/query/rows`):
 * milliseconds always, microseconds only when there are any, and `Z` — an instant in UTC, or the
 * wall time of a `timestamp` without time zone read as UTC, as Athena and the local engine give a
 * lake `timestamp` — `2025-02-15T01:02:03.000Z`, `2025-02-15T01:02:03.000450Z`. Accepts JS Dates
 * and the text forms of PostgreSQL, DuckDB and ISO; for a zoned value an offset other than UTC is
 * converted, a wall time keeps its digits.
 * @example
 * canonicalTimestamp('2025-02-15 09:02:03.5+08', true); // '2025-02-15T01:02:03.500Z'
 * canonicalTimestamp('2025-02-15 09:02:03.5', false); // '2025-02-15T09:02:03.500Z'
 */
export function canonicalTimestamp(value: unknown, zoned: boolean): unknown {
  if (value instanceof Date) return value.toISOString();
  const match = TIMESTAMP_TEXT.exec(String(value));
  if (!match) return value;
  const [, day = '', time = '', fraction = '', offset] = match;
  const micros = (fraction + '000000').slice(0, 6);
  const digits = micros.endsWith('000') ? micros.slice(0, 3) : micros;
  if (!zoned) return `${day}T${time}.${digits}Z`;
  if (!offset || /^(Z|[+-]00(:?00)?)$/.test(offset)) return `${day}T${time}.${digits}Z`;
  const normalized = /^[+-]\d{2}$/.test(offset)
    ? `${offset}:00`
    : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const utc = new Date(`${day}T${time}${normalized}`).toISOString();
  return `${utc.slice(0, 19)}.${digits}Z`;
}
