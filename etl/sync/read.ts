/**
 * Reading a mapping's candidate rows from PostgreSQL into Parquet: one REPEATABLE READ, READ ONLY
 * transaction takes the snapshot, records its transaction fence, and pages through the rows with
 * a cursor (`FETCH` — plain SQL, so the RDS Data API, which has no COPY, serves it too; pages are
 * sized to stay under its 1 MiB response limit). Each page becomes CSV text that the Parquet
 * encoder types by the ETL's type contract, as it types COPY's output.
 */
import { Readable } from 'node:stream';
import { qualify, quoteIdent } from '#core/sql/ident';
import { EXPORT_SETTINGS } from '#etl/export';
import type { EncodeColumn, EncodedBatch, ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlSession } from '#ports/sql';
import type { SyncDeps } from '#etl/sync/run';
import { DELETED_COLUMN, SOFT_DELETE_COLUMN, type MappingPlan } from '#etl/sync/mapping';

/** Most rows per FETCH. */
export const DEFAULT_PAGE_ROWS = 5000;

/** Rows of the first FETCH, which measures how wide the rows are. */
const FIRST_PAGE_ROWS = 100;

/**
 * Bytes a FETCH may return, as the Data API serializes it (the field's text plus about 24 bytes of
 * JSON framing): half of the Data API's 1 MiB response limit, over which it fails the statement
 * and drops the transaction. Pages are sized from the widest row seen so far.
 */
const PAGE_BUDGET_BYTES = 512 * 1024;
const FIELD_FRAMING_BYTES = 24;

/**
 * A fence older than this many transactions is not used (`age()` compares 32-bit xids, which
 * wrap after 2^31): the sync then reads every row, and the dedupe keeps it exact.
 */
const MAX_FENCE_DISTANCE = 1_000_000_000;

const CURSOR = 'thermocline_sync_rows';

/** Which rows to read: everything, or what may have changed since the last sync. */
export type CandidateFilter =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'since';
      /** The last watermark (ISO 8601), or null when no row had a sync key. */
      readonly watermark: string | null;
      /** The last sync's fence (xid8 text), or null when none was recorded. */
      readonly fence: string | null;
      /** Re-read window below the watermark, in seconds. */
      readonly overlapSeconds: number;
    };

/** What a read found. */
export interface CandidateRead {
  /** The candidate rows as Parquet (undefined when no row matched). */
  readonly batch?: EncodedBatch;
  readonly rows: number;
  /** The highest sync key read (ISO 8601, microseconds), or null when none. */
  readonly maxSyncKey: string | null;
  /** `pg_snapshot_xmin` of the read's snapshot: every later commit has an xid at or above it. */
  readonly fence: string;
  /** Whether the rows were read since the last sync's fence (false: fence missing or too old). */
  readonly fenced: boolean;
}

/** SQL string literal. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The candidate filter as SQL. `since`: rows whose sync key is at or above the watermark minus
 * the overlap, OR whose last writing transaction is at or after the fence (`age()` of the row's
 * xmin no greater than the fence's) — a long transaction that committed after the last sync with
 * an old sync key still qualifies.
 */
export function candidateWhere(
  plan: MappingPlan,
  filter: CandidateFilter,
  fenceUsable: boolean,
): string {
  if (filter.kind === 'all') return 'true';
  const conditions: string[] = [];
  if (filter.watermark !== null) {
    const sk = quoteIdent(plan.syncKey.source);
    const mark =
      plan.syncKey.typname === 'timestamp'
        ? `(${literal(filter.watermark)}::timestamptz AT TIME ZONE 'UTC')`
        : `${literal(filter.watermark)}::timestamptz`;
    conditions.push(`${sk} >= ${mark} - make_interval(secs => ${filter.overlapSeconds})`);
  }
  if (filter.fence !== null && fenceUsable) {
    if (!/^\d+$/.test(filter.fence)) throw new Error(`invalid xmin fence '${filter.fence}'`);
    conditions.push(`age(xmin) <= age(${literal(filter.fence)}::xid8::xid)`);
  }
  // No watermark and no usable fence: nothing bounds the change set, so read every row.
  return conditions.length === 0 ? 'true' : `(${conditions.join(' OR ')})`;
}

/** The SELECT of candidate rows: every mapped column as its text, plus the deleted flag. */
export function candidateSelect(plan: MappingPlan, where: string, schema: string): string {
  const columns = plan.columns.map((c, i) => `(${c.plan.pgExtract})::text AS c${i}`);
  const deleted = plan.softDelete
    ? `(${quoteIdent(SOFT_DELETE_COLUMN)} IS NOT NULL)::text`
    : `'false'`;
  const sk = quoteIdent(plan.syncKey.source);
  return (
    `SELECT ${columns.join(', ')}, ${deleted} AS d, ` +
    `(extract(epoch FROM ${sk}) * 1000000)::bigint::text AS e ` +
    `FROM ${qualify(schema, plan.mapping.table)} WHERE ${where}`
  );
}

/** The encoder's columns for a candidate row (the lake names, typed by the contract). */
export function candidateColumns(plan: MappingPlan): EncodeColumn[] {
  return [
    ...plan.columns.map((c) => ({ name: c.lakeName, load: c.plan.load })),
    { name: DELETED_COLUMN, load: (v: string) => `CAST(${v} AS BOOLEAN)` },
  ];
}

/** One CSV field as PostgreSQL's `FORMAT csv` writes it: NULL empty, text always quoted. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  return `"${String(value).replaceAll('"', '""')}"`;
}

/** Microseconds since the epoch → ISO 8601 with microseconds. */
export function microsToIso(micros: bigint): string {
  let ms = micros / 1000n;
  if (micros < 0n && micros % 1000n !== 0n) ms -= 1n;
  const rest = micros - ms * 1000n;
  const base = new Date(Number(ms)).toISOString(); // …T10:00:00.123Z
  return `${base.slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

type PageRow = Record<string, string | null>;

/**
 * Reads the candidate rows in one snapshot and encodes them as Parquet: the snapshot and its
 * fence ({@link takeSnapshot}), a cursor over the candidate SELECT, its pages encoded
 * ({@link encodePages}), the cursor closed.
 * @example
 * const read = await readCandidates(deps, plan, { kind: 'all' }, 5000);
 * read.rows; // every row of the table
 */
export async function readCandidates(
  deps: Pick<SyncDeps, 'db' | 'encoder'>,
  plan: MappingPlan,
  filter: CandidateFilter,
  pageRows: number = DEFAULT_PAGE_ROWS,
): Promise<CandidateRead> {
  return deps.db.transaction(async (session) => {
    const { fence, fenceUsable } = await takeSnapshot(session, filter);
    const select = candidateSelect(plan, candidateWhere(plan, filter, fenceUsable), deps.db.schema);
    await session.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${select}`);
    const tally: PageTally = { rows: 0, max: null, widest: 0 };
    const batch = await encodePages(session, deps.encoder, plan, pageRows, tally);
    await session.query(`CLOSE ${CURSOR}`);
    return {
      ...(batch ? { batch } : {}),
      rows: tally.rows,
      maxSyncKey: tally.max === null ? null : microsToIso(tally.max),
      fence,
      fenced: fenceUsable,
    } satisfies CandidateRead;
  });
}

/**
 * Starts the REPEATABLE READ, READ ONLY snapshot under the export's settings. Resolves to its
 * fence, and whether the last sync's fence may bound the read (recorded, and not too old).
 */
async function takeSnapshot(
  session: SqlSession,
  filter: CandidateFilter,
): Promise<{ fence: string; fenceUsable: boolean }> {
  await session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  for (const setting of EXPORT_SETTINGS) await session.query(setting);
  // The first query takes the snapshot; its xmin is the fence the next sync reads from.
  const [snapshot] = await session.query<{ fence: string; distance: string | null }>(
    `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS fence,
              (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - $1::numeric)::text AS distance`,
    [filter.kind === 'since' ? filter.fence : null],
  );
  const fence = snapshot?.fence ?? '0';
  const fenceUsable =
    filter.kind === 'since' &&
    filter.fence !== null &&
    snapshot?.distance !== null &&
    Number(snapshot?.distance) <= MAX_FENCE_DISTANCE;
  return { fence, fenceUsable };
}

/** What the pages turned into CSV so far hold: rows, the highest sync key, the widest row. */
interface PageTally {
  rows: number;
  /** The highest sync key, in microseconds since the epoch. */
  max: bigint | null;
  /** Bytes of the widest row, as the Data API serializes it. */
  widest: number;
}

/**
 * Fetches the open cursor's pages — a small first one, then pages sized from the widest row seen
 * — and encodes them as Parquet as the encoder consumes them; undefined when no row matched.
 */
async function encodePages(
  session: SqlSession,
  encoder: Pick<ParquetEncoder, 'encodeCsv'>,
  plan: MappingPlan,
  pageRows: number,
  tally: PageTally,
): Promise<EncodedBatch | undefined> {
  const fetch = (rows: number): Promise<PageRow[]> =>
    session.query<PageRow>(`FETCH FORWARD ${rows} FROM ${CURSOR}`);
  const nextSize = (): number =>
    Math.max(1, Math.min(pageRows, Math.floor(PAGE_BUDGET_BYTES / Math.max(1, tally.widest))));
  const firstSize = Math.min(pageRows, FIRST_PAGE_ROWS);
  const first = await fetch(firstSize);
  if (first.length === 0) return undefined;
  const pages = async function* (): AsyncGenerator<string> {
    let page = first;
    let asked = firstSize;
    for (;;) {
      yield pageToCsv(plan, page, tally);
      if (page.length < asked) return;
      asked = nextSize();
      page = await fetch(asked);
      if (page.length === 0) return;
    }
  };
  return encoder.encodeCsv(Readable.from(pages()), candidateColumns(plan), {
    targetFileBytes: 128 * 2 ** 20,
    rowGroupRows: 122_880,
  });
}

/** One page as the CSV the encoder takes; counts its rows, sync keys and widths into `tally`. */
function pageToCsv(plan: MappingPlan, page: readonly PageRow[], tally: PageTally): string {
  let text = '';
  for (const row of page) {
    let bytes = 0;
    for (const value of Object.values(row)) {
      bytes += (value === null ? 4 : value.length) + FIELD_FRAMING_BYTES;
    }
    if (bytes > tally.widest) tally.widest = bytes;
    const fields: string[] = [];
    for (let i = 0; i < plan.columns.length; i += 1) fields.push(csvField(row[`c${i}`]));
    fields.push(csvField(row.d));
    text += `${fields.join(',')}\n`;
    const e = row.e;
    if (e !== null && e !== undefined) {
      const micros = BigInt(e);
      if (tally.max === null || micros > tally.max) tally.max = micros;
    }
  }
  tally.rows += page.length;
  return text;
}
