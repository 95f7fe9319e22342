import { qualify, quoteIdent } from '#core/sql/ident';
import type { ThermoclineConfig } from '#core/config/schema';
import type { SqlDatabase } from '#ports/sql';

/** One hot table as `npm start` shows it. */
export interface TableSummary {
  readonly table: string;
  /** `timeseries`: tiered by day; `reference`: synced by a mapping. */
  readonly kind: 'timeseries' | 'reference';
  readonly exists: boolean;
  readonly rows: number;
  /** First and last UTC day of the timestamp column (the sync key for reference tables); null when empty. */
  readonly firstDay: string | null;
  readonly lastDay: string | null;
}

/**
 * Row counts and UTC day ranges of every configured table (tiered tables first, then the
 * tables of the sync mappings), as they are in the hot database now.
 * @example
 * for (const t of await summarizeTables(db, config)) console.log(t.table, t.rows, t.firstDay, t.lastDay);
 */
export async function summarizeTables(
  db: SqlDatabase,
  config: ThermoclineConfig,
): Promise<TableSummary[]> {
  const wanted = [
    ...config.tables.map((t) => ({
      table: t.name,
      kind: 'timeseries' as const,
      ts: t.timestamp_column,
    })),
    ...config.mappings
      .filter((m) => !config.tables.some((t) => t.name === m.table))
      .map((m) => ({ table: m.table, kind: 'reference' as const, ts: m.sync_key })),
  ];
  const existing = new Set(
    (
      await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)`,
        [db.schema, wanted.map((w) => w.table)],
      )
    ).map((r) => r.table_name),
  );
  const summaries: TableSummary[] = [];
  for (const { table, kind, ts } of wanted) {
    if (!existing.has(table)) {
      summaries.push({ table, kind, exists: false, rows: 0, firstDay: null, lastDay: null });
      continue;
    }
    const range = ts
      ? `, to_char(min(${quoteIdent(ts)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first_day,
           to_char(max(${quoteIdent(ts)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS last_day`
      : '';
    const [row] = await db.query<{ rows: string; first_day?: string; last_day?: string }>(
      `SELECT count(*) AS rows${range} FROM ${qualify(db.schema, table)}`,
    );
    summaries.push({
      table,
      kind,
      exists: true,
      rows: Number(row?.rows ?? 0),
      firstDay: row?.first_day ?? null,
      lastDay: row?.last_day ?? null,
    });
  }
  return summaries;
}
