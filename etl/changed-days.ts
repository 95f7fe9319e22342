/**
 * The nightly changed-days pass: rows updated or inserted late for a day the lake already holds
 * (`completed_at` filled in later, a late event) leave that day stale until it is exported again.
 * After the nightly export, the ETL state machine compares, for each table's recent days still
 * hot, the hot rows' count and checksum (the export's own checksum SQL, one grouped query per
 * table) with the day manifest's, and re-exports the days that differ — through the same
 * ExportTableDay task, so the re-export is validated and published atomically like any other.
 *
 * A day is left out when it has no manifest (never exported: not this pass's business), when
 * retention has begun deleting it (the lake is the copy to keep), or when this run exported it.
 */
import { tableConfig } from '#core/config/resolve';
import {
  DEFAULT_RECHECK_DAYS,
  type TableConfig,
  type ThermoclineConfig,
} from '#core/config/schema';
import { qualify, quoteIdent } from '#core/sql/ident';
import { planTable } from '#etl/export';
import { readDayManifest, withExportSettings } from '#etl/retention/evidence';
import { readRetentionLog } from '#etl/retention/log';
import { daysBetween } from '#core/days';
import { dayBounds, pgRowCanonical } from '#etl/sql';
import type { ObjectStore } from '#ports/object-store';
import type { SqlDatabase } from '#ports/sql';
import { addDays, utcDay } from '#core/days';

/** The days of one table the pass compares (inclusive, UTC days). */
export interface RecheckWindow {
  readonly table: string;
  readonly from: string;
  readonly to: string;
}

/** Input of the FindChangedDays task. */
export interface FindChangedDaysInput {
  readonly recheck: readonly RecheckWindow[];
  /** The table-days this run exported (their manifests are fresh: not compared). */
  readonly exported: readonly { readonly table: string; readonly day: string }[];
}

/** A day whose hot rows no longer match what the lake holds. */
export interface ChangedDay {
  readonly table: string;
  readonly day: string;
  /** `${rows}:${sum}` of the day manifest (what the lake holds). */
  readonly lake: string;
  /** `${rows}:${sum}` of the hot rows now. */
  readonly hot: string;
}

/** Output of the FindChangedDays task: the days to re-export, and what was compared. */
export interface FindChangedDaysOutput {
  /** The Map's items: one `{ table, day }` per changed day. */
  readonly items: { readonly table: string; readonly day: string }[];
  readonly changed: ChangedDay[];
  /** Table-days compared. */
  readonly checked: number;
}

/** What the pass reads: the hot database and the lake's day manifests. */
export interface ChangedDaysDeps {
  readonly db: SqlDatabase;
  readonly store: ObjectStore;
}

/**
 * The windows the nightly run re-checks: per table, the `recheck_days` days before `lastDay`
 * (the day the run exports), not older than the table's hot retention (rows deleted by
 * retention are not late changes). Empty for tables with `recheck_days` 0.
 * @example
 * recheckWindows([agentTasks], new Map([['agent_tasks', '2025-02-15']]), new Date('2025-02-16T02:00:00Z'));
 * // [{ table: 'agent_tasks', from: '2025-02-08', to: '2025-02-14' }]
 */
export function recheckWindows(
  tables: readonly TableConfig[],
  lastDays: ReadonlyMap<string, string>,
  now: Date,
): RecheckWindow[] {
  const windows: RecheckWindow[] = [];
  for (const table of tables) {
    const last = lastDays.get(table.name);
    const days = table.recheck_days ?? DEFAULT_RECHECK_DAYS;
    if (!last || days === 0) continue;
    const to = addDays(last, -1);
    const byWindow = addDays(last, -days);
    const byRetention = addDays(utcDay(now), -table.hot_retention_days + 1);
    const from = byWindow > byRetention ? byWindow : byRetention;
    if (from <= to) windows.push({ table: table.name, from, to });
  }
  return windows;
}

/**
 * FindChangedDays: compares each window's hot days with their manifests and returns the days to
 * re-export.
 * @example
 * const { items, changed } = await findChangedDays(deps, config, { recheck, exported: [] });
 */
export async function findChangedDays(
  deps: ChangedDaysDeps,
  config: ThermoclineConfig,
  input: FindChangedDaysInput,
): Promise<FindChangedDaysOutput> {
  const exported = new Set(input.exported.map((item) => `${item.table} ${item.day}`));
  const changed: ChangedDay[] = [];
  let checked = 0;
  for (const window of input.recheck) {
    const table = tableConfig(config, window.table);
    const purging = await readRetentionLog(deps.db, table.name);
    const hot = await hotChecksumsByDay(deps.db, table, window.from, window.to);
    for (const day of daysBetween(window.from, window.to)) {
      if (exported.has(`${table.name} ${day}`) || purging.has(day)) continue;
      const { manifest } = await readDayManifest(deps.store, table.name, day);
      if (!manifest) continue;
      checked++;
      const now = hot.get(day) ?? '0:0';
      if (now !== manifest.checksum) {
        changed.push({ table: table.name, day, lake: manifest.checksum, hot: now });
      }
    }
  }
  return { items: changed.map(({ table, day }) => ({ table, day })), changed, checked };
}

/**
 * `${rows}:${sum}` of each day's hot rows in `[from, to]`, in one grouped query under the
 * export's settings — the same sum as the export's per-day checksum (`sourceChecksumSql`).
 */
async function hotChecksumsByDay(
  db: SqlDatabase,
  table: TableConfig,
  from: string,
  to: string,
): Promise<Map<string, string>> {
  const plans = await planTable(db, table);
  const ts = quoteIdent(table.timestamp_column);
  const sql = `SELECT to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::bigint AS n,
       coalesce(sum(('x' || substr(md5(${pgRowCanonical(plans)}), 1, 15))::bit(60)::bigint), 0)::text AS s
  FROM ${qualify(db.schema, table.name)}
 WHERE ${ts} >= TIMESTAMPTZ '${dayBounds(from).start}' AND ${ts} < TIMESTAMPTZ '${dayBounds(to).end}'
 GROUP BY 1`;
  const rows = await withExportSettings(db, async (session) => {
    await session.query('SET TRANSACTION READ ONLY');
    return session.query<{ day: string; n: string; s: string }>(sql);
  });
  return new Map(rows.map((row) => [row.day, `${Number(row.n)}:${row.s}`]));
}
