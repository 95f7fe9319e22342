/**
 * Compaction of a reference table, as DuckDB SQL for the Parquet rewriter port: the previous
 * current state (`prev`, the files the catalog points at) ⊕ the candidate rows just read from
 * PostgreSQL (`cand`) → the delta (rows that differ from what the lake has, plus tombstones) and
 * the new current state (prev without the delta's keys, plus the delta's live rows).
 *
 * Dedupe: a candidate identical to the lake's row for its key — same sync key, same properties —
 * is not a change. So rows re-read by the overlap window, or by a rerun after a crash between
 * publish and watermark commit, never appear twice; and a candidate that differs is taken even
 * when its sync key is not newer (the source row is the truth at the read's snapshot: a long
 * transaction may commit an older `updated_at` after a newer one was synced).
 */
import { quoteIdent } from '#core/sql/ident';
import type { ObjectStore } from '#ports/object-store';
import type { RewriteRequest, RewriteValue } from '#ports/parquet-rewriter';
import {
  DELETED_COLUMN,
  KEY_COLUMN,
  RUN_ID_COLUMN,
  SYNC_KEY_COLUMN,
  SYNCED_AT_COLUMN,
  type MappingPlan,
} from '#etl/sync/mapping';

/** Inputs of a merge. */
export interface MergeInput {
  readonly plan: MappingPlan;
  /** `full`: keys absent from the candidates become tombstones; `incremental`: they stay. */
  readonly mode: 'full' | 'incremental';
  /** The current state's Parquet objects (none before the first sync). */
  readonly previous: { readonly store: ObjectStore; readonly keys: readonly string[] };
  /** The candidate rows' Parquet files (local, from the encoder). */
  readonly candidates: readonly string[];
  readonly runId: string;
  /** The run's instant, ISO 8601. */
  readonly syncedAt: string;
  readonly rowGroupRows?: number;
  readonly targetFileBytes?: number;
}

/** The counts a merge reports. */
export interface MergeCounts {
  /** Live rows in the delta (new keys and changed rows). */
  readonly changed: number;
  /** Tombstones in the delta (deleted keys). */
  readonly tombstones: number;
  /** Rows of the previous current state. */
  readonly previous: number;
}

/** Names of the merge's outputs. */
export const MERGE_OUTPUTS = { current: 'current', changes: 'changes' } as const;

function duckString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The rewrite request of a merge: writes `current` and `changes` only when the delta is not empty.
 * @example
 * const result = await encoder.rewrite(mergeRequest({ plan, mode: 'incremental', previous, candidates, runId, syncedAt }));
 * mergeCounts(result.summary); // { changed: 12, tombstones: 0, previous: 5000 }
 */
export function mergeRequest(input: MergeInput): RewriteRequest {
  const { plan } = input;
  const q = quoteIdent;
  const key = q(KEY_COLUMN);
  const content = plan.columns.map((c) => c.lakeName);
  const lake = plan.lakeColumns.map((c) => q(c.name)).join(', ');
  const syncedAt = `CAST(${duckString(input.syncedAt.replace('T', ' ').replace('Z', '+00'))} AS TIMESTAMPTZ)`;
  const runId = duckString(input.runId);
  const differs = content
    .filter((name) => name !== KEY_COLUMN)
    .map((name) => `p.${q(name)} IS DISTINCT FROM c.${q(name)}`)
    .join(' OR ');
  const stamp = `${syncedAt} AS ${q(SYNCED_AT_COLUMN)}, ${runId} AS ${q(RUN_ID_COLUMN)}`;
  const deleted = q(DELETED_COLUMN);

  const changed =
    `SELECT ${content.map((n) => `c.${q(n)}`).join(', ')}, c.${deleted}, ${stamp}\n` +
    `  FROM cand1 c LEFT JOIN prev p ON p.${key} = c.${key}\n` +
    ` WHERE CASE WHEN c.${deleted} THEN p.${key} IS NOT NULL ELSE p.${key} IS NULL OR ${differs} END`;
  const vanished =
    `SELECT ${content.map((n) => `p.${q(n)}`).join(', ')}, true AS ${deleted}, ${stamp}\n` +
    `  FROM prev p WHERE NOT EXISTS (SELECT 1 FROM cand1 c WHERE c.${key} = p.${key})`;

  return {
    inputs: [
      { name: 'prev', columns: plan.lakeColumns, objects: input.previous },
      {
        name: 'cand',
        columns: [
          ...plan.columns.map((c) => ({ name: c.lakeName, type: c.plan.duckdbType })),
          { name: DELETED_COLUMN, type: 'BOOLEAN' },
        ],
        files: input.candidates,
      },
    ],
    statements: [
      // One candidate per key (a key_column that is not unique: the latest sync key wins).
      `CREATE TEMP TABLE cand1 AS SELECT * FROM cand WHERE ${key} IS NOT NULL ` +
        `QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${q(SYNC_KEY_COLUMN)} DESC NULLS LAST) = 1`,
      `CREATE TEMP TABLE delta AS ${changed}` +
        (input.mode === 'full' ? `\nUNION ALL\n${vanished}` : ''),
    ],
    summary:
      `SELECT (SELECT count(*) FROM delta WHERE NOT ${deleted})::BIGINT AS changed, ` +
      `(SELECT count(*) FROM delta WHERE ${deleted})::BIGINT AS tombstones, ` +
      `(SELECT count(*) FROM prev)::BIGINT AS previous`,
    writeIf: (summary) => mergeCounts(summary).changed + mergeCounts(summary).tombstones > 0,
    outputs: {
      [MERGE_OUTPUTS.current]:
        `SELECT ${lake} FROM prev p WHERE NOT EXISTS (SELECT 1 FROM delta d WHERE d.${key} = p.${key})\n` +
        `UNION ALL SELECT ${lake} FROM delta WHERE NOT ${deleted}\nORDER BY ${key}`,
      [MERGE_OUTPUTS.changes]: `SELECT ${lake} FROM delta ORDER BY ${key}`,
    },
    rowGroupRows: input.rowGroupRows ?? 122_880,
    targetFileBytes: input.targetFileBytes ?? 128 * 2 ** 20,
  };
}

/** The counts of a merge's summary row. */
export function mergeCounts(summary: Readonly<Record<string, RewriteValue>>): MergeCounts {
  return {
    changed: Number(summary.changed ?? 0),
    tombstones: Number(summary.tombstones ?? 0),
    previous: Number(summary.previous ?? 0),
  };
}
