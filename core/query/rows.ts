/**
 * JSON-safe values, shared by every query engine adapter: what a result row may hold once it
 * leaves an engine (see `QueryRow` in core/ports/query-engine.ts). Integers beyond 2^53 and
 * decimals become strings, instants ISO 8601 strings in UTC with `Z`, dates `YYYY-MM-DD`, binary
 * base64, non-finite floats the strings `NaN`, `Infinity`, `-Infinity` (JSON has no such numbers),
 * REAL values their shortest decimal, intervals Trino's text (`2 03:00:00.000`, `3-5`). The
 * lake engines render the same query the same way; docs/query-api.md "Athena parity" has the whole contract.
 */

const MICROS_PER_MILLI = 1000n;

/**
 * An integer as a JSON number when it is exact as one, else as its decimal string.
 * @example
 * jsonSafeInteger(42n); // 42
 * jsonSafeInteger(2n ** 60n); // '1152921504606846976'
 */
export function jsonSafeInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/**
 * An integer given as text (PostgreSQL's int8, Athena's bigint) as a number when exact, else the
 * text itself.
 * @example
 * jsonSafeIntegerText('7'); // 7
 * jsonSafeIntegerText('9007199254740993'); // '9007199254740993'
 */
export function jsonSafeIntegerText(text: string): number | string {
  if (!/^-?\d+$/.test(text)) return text;
  return jsonSafeInteger(BigInt(text));
}

/**
 * A float as JSON can carry it: finite numbers as they are, NaN and ±Infinity as strings.
 * @example
 * jsonSafeFloat(Number.NaN); // 'NaN'
 */
export function jsonSafeFloat(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/**
 * A 32-bit float (REAL) as JSON can carry it, written with the fewest digits that read back as
 * the same float — as Athena (Java's Float.toString) writes it: `0.1`, not `0.10000000149011612`.
 * @example
 * jsonSafeReal(Math.fround(0.1)); // 0.1
 */
export function jsonSafeReal(value: number): number | string {
  if (!Number.isFinite(value)) return jsonSafeFloat(value);
  for (let digits = 1; digits <= 9; digits += 1) {
    const shortest = Number(value.toPrecision(digits));
    if (Math.fround(shortest) === value) return shortest;
  }
  return value;
}

/**
 * An interval as Trino writes it: day to second as `D HH:MM:SS.mmm` (`2 03:00:00.000`), year to
 * month as `Y-M` (`3-5`). An interval with both months and days or time (DuckDB allows it, Trino
 * does not) is written as `<months>-<rest>` months first: `1 month 2 days` → `0-1 2 00:00:00.000`.
 * @example
 * trinoInterval(0, 2, 10_800_000_000n); // '2 03:00:00.000'
 * trinoInterval(41, 0, 0n); // '3-5'
 */
export function trinoInterval(months: number, days: number, micros: bigint): string {
  const yearMonth = (m: number): string =>
    `${m < 0 ? '-' : ''}${Math.trunc(Math.abs(m) / 12)}-${Math.abs(m) % 12}`;
  if (months !== 0 && days === 0 && micros === 0n) return yearMonth(months);
  const total = BigInt(days) * 86_400_000_000n + micros;
  const sign = total < 0n ? '-' : '';
  const abs = total < 0n ? -total : total;
  const millis = abs / 1000n;
  const pad = (n: bigint, width = 2): string => n.toString().padStart(width, '0');
  const dayToSecond =
    `${sign}${millis / 86_400_000n} ${pad((millis / 3_600_000n) % 24n)}:` +
    `${pad((millis / 60_000n) % 60n)}:${pad((millis / 1000n) % 60n)}.${pad(millis % 1000n, 3)}`;
  return months === 0 ? dayToSecond : `${yearMonth(months)} ${dayToSecond}`;
}

/**
 * An instant given as microseconds since the Unix epoch, as ISO 8601 in UTC: milliseconds
 * always, microseconds only when there are any (`2025-02-15T00:00:00.000Z`,
 * `2025-02-15T00:00:00.000123Z`).
 * @example
 * isoFromEpochMicros(1739577600000000n); // '2025-02-15T00:00:00.000Z'
 */
export function isoFromEpochMicros(micros: bigint): string {
  let millis = micros / MICROS_PER_MILLI;
  let rest = micros % MICROS_PER_MILLI;
  if (rest < 0n) {
    millis -= 1n;
    rest += MICROS_PER_MILLI;
  }
  const date = new Date(Number(millis));
  if (Number.isNaN(date.getTime())) return micros.toString();
  const iso = date.toISOString();
  return rest === 0n ? iso : `${iso.slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

/**
 * A date given as days since 1970-01-01, as `YYYY-MM-DD`.
 * @example
 * isoDateFromEpochDays(20134); // '2025-02-15'
 */
export function isoDateFromEpochDays(days: number): string {
  const date = new Date(days * 86_400_000);
  return Number.isNaN(date.getTime()) ? String(days) : date.toISOString().slice(0, 10);
}

/**
 * Binary as base64.
 * @example
 * base64Of(new Uint8Array([1, 2, 3])); // 'AQID'
 */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Any JS value an engine driver returns, made JSON-safe: bigint (exact number or string), Date
 * (ISO 8601 with `Z`; an invalid Date → null), binary (base64), non-finite numbers (strings),
 * arrays and plain objects converted member by member. Strings, booleans, finite numbers and
 * null pass through; undefined becomes null.
 * @example
 * jsonSafe({ n: 5n, at: new Date(0), raw: new Uint8Array([255]) });
 * // { n: 5, at: '1970-01-01T00:00:00.000Z', raw: '/w==' }
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return jsonSafeFloat(value);
    case 'bigint':
      return jsonSafeInteger(value);
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return base64Of(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (ArrayBuffer.isView(value))
    return Array.from(value as unknown as ArrayLike<unknown>, jsonSafe);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
}
