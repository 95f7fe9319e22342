/**
 * The sample's external S3 source: a few closed days of the sample `events` written as
 * `events/<EventType>/<YYYY-MM-DD>.parquet` into a bucket (locally `THERMOCLINE_HOME/s3/<bucket>/`,
 * see `openLocalBucket`), the layout of the default `s3_sources` entry, so `thermocline catalog`
 * lists it and an `S3ParquetRead` step can read it. The rows leave PostgreSQL with COPY and are
 * encoded by the Parquet encoder port (DuckDB), partitioned by event type.
 */
import { UsageError } from '#core/errors';
import { qualify } from '#core/sql/ident';
import type { ObjectStore } from '#ports/object-store';
import type { EncodeColumn, ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { addDays } from '#core/days';

/** Options of {@link writeSampleExternalSource}. */
export interface SampleExternalSourceOptions {
  /** How many closed days (UTC) before the latest event's day to write. */
  readonly days: number;
  /** Encodes the rows (the DuckDB encoder adapter). */
  readonly encoder: ParquetEncoder;
  /** Key prefix in the bucket. @default 'events/' */
  readonly prefix?: string;
  /** The sample table. @default 'events' */
  readonly table?: string;
}

/** What {@link writeSampleExternalSource} wrote. */
export interface SampleExternalSourceReport {
  /** Keys written, in order. */
  readonly keys: readonly string[];
  readonly bytes: number;
  readonly rows: number;
  /** The days written (`YYYY-MM-DD`). */
  readonly days: readonly string[];
}

/** The columns of the export files: portable types (ids and JSON as text, exact decimals). */
const COLUMNS: readonly (EncodeColumn & { readonly select: string })[] = [
  { name: 'id', select: 'id::text', load: (v) => v },
  { name: 'membercode', select: 'membercode', load: (v) => v },
  { name: 'game_code', select: 'game_code', load: (v) => v },
  { name: 'amount', select: 'amount', load: (v) => `TRY_CAST(${v} AS DECIMAL(14,2))` },
  { name: 'session_id', select: 'session_id::text', load: (v) => v },
  { name: 'payload', select: 'payload::text', load: (v) => v },
  { name: 'occurred_at', select: 'occurred_at', load: (v) => `TRY_CAST(${v} AS TIMESTAMPTZ)` },
  { name: 'event_type', select: 'event_type', load: (v) => v },
];

/**
 * Writes the last `days` closed days of the sample events to `store` as one Parquet file per
 * event type and day: `<prefix><EventType>/<YYYY-MM-DD>.parquet` (the event type only in the
 * path, like the seed's external source). A day is closed when a later event exists. Re-running
 * replaces the same keys.
 * @example
 * await writeSampleExternalSource(db, openLocalBucket(home, 'thermocline-sample-exports'), { days: 3, encoder });
 * // keys: ['events/GameOpened/2025-02-12.parquet', 'events/Login/2025-02-12.parquet', …]
 */
export async function writeSampleExternalSource(
  db: SqlDatabase,
  store: ObjectStore,
  options: SampleExternalSourceOptions,
): Promise<SampleExternalSourceReport> {
  if (!Number.isSafeInteger(options.days) || options.days < 1 || options.days > 366) {
    throw new UsageError(`days ${options.days} is not valid; use a whole number from 1 to 366`);
  }
  const prefix = options.prefix ?? 'events/';
  const table = qualify(db.schema, options.table ?? 'events');
  const [latest] = await db.query<{ day: string | null }>(
    `SELECT to_char(max(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM ${table}`,
  );
  if (!latest?.day) {
    throw new UsageError(`${table} has no rows; load the sample first ('thermocline seed')`);
  }
  const days = closedDaysBefore(latest.day, options.days);
  const keys: string[] = [];
  let bytes = 0;
  let rows = 0;
  for (const day of days) {
    await db.transaction(async (session) => {
      await session.query("SET LOCAL TimeZone = 'UTC'");
      await session.query("SET LOCAL DateStyle = 'ISO, YMD'");
      const csv = session.copyTo(
        `COPY (SELECT ${COLUMNS.map((c) => c.select).join(', ')} FROM ${table}
                WHERE occurred_at >= TIMESTAMPTZ '${day} 00:00:00+00'
                  AND occurred_at < TIMESTAMPTZ '${day} 00:00:00+00' + interval '1 day'
                ORDER BY occurred_at, id) TO STDOUT (FORMAT csv)`,
      );
      const batch = await options.encoder.encodeCsv(csv, COLUMNS, {
        partitionBy: 'event_type',
        targetFileBytes: 64 * 2 ** 20,
        rowGroupRows: 122_880,
      });
      try {
        for (const file of batch.files) {
          const key = `${prefix}${file.partitionValue ?? 'unknown'}/${day}.parquet`;
          const written = await store.putFile(key, file.path);
          keys.push(key);
          bytes += written.bytes;
          rows += file.rows;
        }
      } finally {
        await batch.dispose();
      }
    });
  }
  return { keys, bytes, rows, days };
}

/** The `count` days before `day` (exclusive), oldest first. */
function closedDaysBefore(day: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(day, i - count));
}
