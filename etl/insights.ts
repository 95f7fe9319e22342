/**
 * The console's data ({@link Insights}) from the ports: the hot tables' days (PostgreSQL), the
 * lake's partitions (the catalog), the run history and the cost ledger. The pure parts —
 * {@link computeCoverage}, {@link dailyCostReport} — are what the unit tests pin down.
 */
import { ThermoclineError } from '#core/errors';
import type { TableConfig, ThermoclineConfig } from '#core/config/schema';
import { checkMonth, ledgerEntries, type LedgerEntry } from '#core/query/ledger';
import { partitionTotals } from '#core/lake/partition-totals';
import { qualify, quoteIdent } from '#core/sql/ident';
import { dayOfPartition } from '#etl/layout';
import { addDays, DAY_MS, dayStartMs, daysBetween } from '#core/days';
import { lastClosedDay } from '#etl/run';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';
import { utcDay, type Clock } from '#ports/clock';
import {
  DAY_STATES,
  STATE_CODES,
  type CoverageReport,
  type DailyCostReport,
  type DayState,
  type Insights,
  type TableColumn,
  type TableCoverage,
  type TableDetail,
  type TableListing,
} from '#ports/insights';
import type { ObjectStore } from '#ports/object-store';
import type { RunHistory, RunRecord } from '#ports/run-history';
import type { SqlDatabase } from '#ports/sql';

/**
 * Hours after a day's export became due (its end plus the table's `export_lag_days`) before a day
 * still hot only counts as late: the nightly run starts at 02:00 UTC and has an hour to finish.
 */
export const LATE_AFTER_HOURS = 3;

/** The most days `GET /coverage` and `GET /costs/daily` cover (two years). */
export const MAX_WINDOW_DAYS = 731;

/** A table the catalog and the config do not know: 404. */
export class UnknownTableError extends ThermoclineError {
  readonly status = 404;
  constructor(name: string, known: readonly string[]) {
    super(
      `table '${name}' is not in the catalog; known tables: ${known.join(', ') || 'none (run thermocline etl run)'}`,
      'not_found',
      2,
    );
  }
}

/** What one table contributes to the coverage. */
export interface TableDays {
  readonly table: Pick<TableConfig, 'name' | 'export_lag_days'>;
  /** Rows per day in the hot tables. */
  readonly hot: ReadonlyMap<string, number>;
  /** Days in the lake, with when they were published. */
  readonly lake: ReadonlyMap<string, string>;
  /** Days whose latest export in the run history failed, with the instant of that run. */
  readonly failed: ReadonlyMap<string, string>;
}

/**
 * The state of one table-day (see {@link DayState}).
 * @example
 * dayState({ inLake: false, hotRows: 10, failedAt: undefined, due: true }); // 'late'
 */
export function dayState(facts: {
  readonly inLake: boolean;
  readonly hotRows: number;
  readonly failedAt: string | undefined;
  readonly due: boolean;
}): DayState {
  if (facts.inLake) return facts.hotRows > 0 ? 'exported' : 'purged';
  if (facts.failedAt !== undefined) return 'failed';
  if (facts.hotRows === 0) return 'none';
  return facts.due ? 'late' : 'hot';
}

/**
 * Coverage of `days` (oldest first) for each table at `now`: a state per table-day, the newest
 * exported day, the lag in closed days, the counts.
 * @example
 * computeCoverage([{ table, hot, lake, failed }], daysBetween('2025-02-01', '2025-02-14'), now);
 */
export function computeCoverage(
  tables: readonly TableDays[],
  days: readonly string[],
  now: Date,
): CoverageReport {
  let failed = 0;
  let late = 0;
  const dueBefore = now.getTime() - LATE_AFTER_HOURS * 3_600_000;
  const starts = days.map(dayStartMs);
  const rows = tables.map((t): TableCoverage => {
    const counts = Object.fromEntries(DAY_STATES.map((s) => [s, 0])) as Record<DayState, number>;
    let states = '';
    for (const [i, day] of days.entries()) {
      const dueAt = (starts[i] ?? 0) + t.table.export_lag_days * DAY_MS;
      const state = dayState({
        inLake: t.lake.has(day),
        hotRows: t.hot.get(day) ?? 0,
        failedAt: t.failed.get(day),
        due: dueAt <= dueBefore,
      });
      counts[state]++;
      states += STATE_CODES[state];
    }
    failed += counts.failed;
    late += counts.late;
    const lakeDays = [...t.lake.keys()].sort();
    const lastExportedDay = lakeDays.at(-1) ?? null;
    const closed = lastClosedDay(t.table as TableConfig, now);
    const lagDays =
      lastExportedDay === null
        ? daysBetween(days[0] ?? closed, closed).length
        : Math.max(0, Math.round((Date.parse(closed) - Date.parse(lastExportedDay)) / DAY_MS));
    let lastPublishedAt: string | null = null;
    for (const at of t.lake.values())
      if (lastPublishedAt === null || at > lastPublishedAt) lastPublishedAt = at;
    return {
      table: t.table.name,
      states,
      lastExportedDay,
      lastClosedDay: closed,
      lagDays,
      lastPublishedAt,
      counts,
    };
  });
  return { at: now.toISOString(), days, tables: rows, failed, late };
}

/**
 * Table-days whose latest export in the history failed (a later successful export clears them).
 * `runs` newest first, as the history lists them.
 * @example
 * failedTableDays(runs).get('agent_tasks')?.get('2025-02-14'); // '2025-02-15T02:00:12.000Z'
 */
export function failedTableDays(runs: readonly RunRecord[]): Map<string, Map<string, string>> {
  const seen = new Set<string>();
  const failed = new Map<string, Map<string, string>>();
  for (const run of runs) {
    if (run.kind === 'sync' || run.kind === 'retention') continue;
    for (const item of run.done) seen.add(`${item.table}\u0000${item.day}`);
    for (const failure of run.failed) {
      const key = `${failure.table}\u0000${failure.day}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const days = failed.get(failure.table) ?? new Map<string, string>();
      days.set(failure.day, run.finishedAt);
      failed.set(failure.table, days);
    }
  }
  return failed;
}

/**
 * The ledger's entries from `from` to `to` (inclusive days) summed by day and caller.
 * @example
 * dailyCostReport(entries, '2025-02-01', '2025-02-28').rows[0]; // { day, caller, queries, bytesScanned, costUsd, cacheHits }
 */
export function dailyCostReport(
  entries: readonly LedgerEntry[],
  from: string,
  to: string,
): DailyCostReport {
  const cells = new Map<
    string,
    {
      day: string;
      caller: string;
      queries: number;
      bytesScanned: number;
      costUsd: number;
      cacheHits: number;
    }
  >();
  const totals = { queries: 0, bytesScanned: 0, costUsd: 0, cacheHits: 0 };
  for (const entry of entries) {
    const day = entry.at.slice(0, 10);
    if (day < from || day > to) continue;
    const key = `${day}\u0000${entry.caller}`;
    const cell = cells.get(key) ?? {
      day,
      caller: entry.caller,
      queries: 0,
      bytesScanned: 0,
      costUsd: 0,
      cacheHits: 0,
    };
    cell.queries++;
    cell.bytesScanned += entry.bytesScanned;
    cell.costUsd += entry.costUsd;
    if (entry.cacheHit) cell.cacheHits++;
    cells.set(key, cell);
    totals.queries++;
    totals.bytesScanned += entry.bytesScanned;
    totals.costUsd += entry.costUsd;
    if (entry.cacheHit) totals.cacheHits++;
  }
  const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;
  return {
    from,
    to,
    rows: [...cells.values()]
      .map((c) => ({ ...c, costUsd: round(c.costUsd) }))
      .sort((a, b) => a.day.localeCompare(b.day) || a.caller.localeCompare(b.caller)),
    totals: { ...totals, costUsd: round(totals.costUsd) },
  };
}

/**
 * The `days`-day window ending today, oldest first.
 * @example
 * windowDays(new Date('2025-02-14T10:00:00Z'), 3); // ['2025-02-12', '2025-02-13', '2025-02-14']
 */
export function windowDays(now: Date, days: number): string[] {
  const to = utcDay(now);
  return daysBetween(addDays(to, -(days - 1)), to);
}

/** The ports {@link createInsights} reads. */
export interface InsightsDeps {
  readonly config: ThermoclineConfig;
  readonly db: SqlDatabase;
  readonly catalog: Catalog;
  /** Where the cost ledger lives (the query results store). */
  readonly ledger: ObjectStore;
  readonly runHistory: RunHistory;
  readonly clock: Clock;
}

/**
 * The console's data over `deps`.
 * @example
 * const insights = createInsights({ config, db, catalog, ledger: results, runHistory, clock });
 * (await insights.coverage({ days: 120 })).tables[0]?.lagDays; // 0
 */
export function createInsights(deps: InsightsDeps): Insights {
  return {
    coverage: (options = {}) => coverage(deps, options.days ?? 120),
    runs: (options = {}) => deps.runHistory.list({ limit: options.limit ?? 100 }),
    dailyCosts: (options = {}) => dailyCosts(deps, options.days ?? 30),
    tables: async () => {
      const known = await knownTables(deps);
      return Promise.all(known.map(async (t) => (await listing(deps, t.name, t.kind)).listing));
    },
    table: (name) => tableDetail(deps, name),
  };
}

/** `GET /coverage`: each configured table's days of the window, hot, in the lake and failed. */
async function coverage(deps: InsightsDeps, windowLength: number): Promise<CoverageReport> {
  const now = deps.clock.now();
  const days = windowDays(now, windowLength);
  const from = days[0] ?? utcDay(now);
  const existing = await existingTables(
    deps.db,
    deps.config.tables.map((t) => t.name),
  );
  const failed = failedTableDays((await deps.runHistory.list()).runs);
  const tables: TableDays[] = [];
  for (const table of deps.config.tables) {
    const partitions = (await deps.catalog.getTable(table.name))
      ? await deps.catalog.listPartitions(table.name)
      : [];
    tables.push({
      table,
      hot: existing.has(table.name) ? await hotDays(deps.db, table, from) : new Map(),
      lake: lakeDays(table, partitions),
      failed: failed.get(table.name) ?? new Map(),
    });
  }
  return computeCoverage(tables, days, now);
}

/** `GET /costs/daily`: the ledger's entries of the window's months, by day and caller. */
async function dailyCosts(deps: InsightsDeps, windowLength: number): Promise<DailyCostReport> {
  const days = windowDays(deps.clock.now(), windowLength);
  const from = days[0] ?? '';
  const to = days.at(-1) ?? '';
  const months = [...new Set(days.map((d) => checkMonth(d.slice(0, 7))))];
  const entries = (await Promise.all(months.map((m) => ledgerEntries(deps.ledger, m)))).flat();
  return dailyCostReport(entries, from, to);
}

/** Which of `names` are tables of the hot database's schema. */
async function existingTables(db: SqlDatabase, names: readonly string[]): Promise<Set<string>> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)`,
    [db.schema, [...names]],
  );
  return new Set(rows.map((r) => r.table_name));
}

/** Hot rows per UTC day of `table` from `from` on. */
async function hotDays(
  db: SqlDatabase,
  table: TableConfig,
  from: string,
): Promise<Map<string, number>> {
  const ts = quoteIdent(table.timestamp_column);
  const rows = await db.query<{ day: string; rows: string }>(
    `SELECT to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS rows
       FROM ${qualify(db.schema, table.name)}
      WHERE ${ts} >= $1::timestamptz
      GROUP BY 1`,
    [`${from}T00:00:00Z`],
  );
  return new Map(rows.map((r) => [r.day, Number(r.rows)]));
}

/** The lake's days of `table`, each with its newest publication. */
function lakeDays(
  table: TableConfig,
  partitions: readonly CatalogPartition[],
): Map<string, string> {
  const days = new Map<string, string>();
  for (const p of partitions) {
    const day = dayOfPartition(table, p.values);
    const at = days.get(day);
    if (at === undefined || p.publishedAt > at) days.set(day, p.publishedAt);
  }
  return days;
}

/** A table as `GET /tables` lists it, with its partitions. */
async function listing(
  deps: InsightsDeps,
  name: string,
  kind: TableListing['kind'],
): Promise<{ listing: TableListing; partitions: CatalogPartition[] }> {
  const table = await deps.catalog.getTable(name);
  const partitions = table ? await deps.catalog.listPartitions(name) : [];
  return {
    listing: {
      name,
      kind,
      partitionKeys: table?.partitionKeys ?? [],
      columns: table?.columns.length ?? 0,
      partitions: partitions.length,
      ...partitionTotals(partitions),
    },
    partitions,
  };
}

/** The configured time-series tables, then the catalog's others (synced references, the rest). */
async function knownTables(
  deps: InsightsDeps,
): Promise<{ name: string; kind: TableListing['kind'] }[]> {
  const names = new Map<string, TableListing['kind']>();
  for (const t of deps.config.tables) names.set(t.name, 'timeseries');
  for (const table of await deps.catalog.listTables()) {
    if (names.has(table.name)) continue;
    const synced = deps.config.mappings.some(
      (m) => `ref_${m.table}` === table.name || m.table === table.name,
    );
    names.set(table.name, synced ? 'reference' : 'lake');
  }
  return [...names].map(([name, kind]) => ({ name, kind }));
}

/** `GET /tables/{name}`: the listing, columns with both tiers' types, partitions newest first. */
async function tableDetail(deps: InsightsDeps, name: string): Promise<TableDetail> {
  const known = await knownTables(deps);
  const kind = known.find((t) => t.name === name)?.kind;
  if (!kind) {
    throw new UnknownTableError(
      name,
      known.map((t) => t.name),
    );
  }
  const { listing: summary, partitions } = await listing(deps, name, kind);
  const lake = await deps.catalog.getTable(name);
  const hotName =
    deps.config.tables.find((t) => t.name === name)?.name ??
    deps.config.mappings.find((m) => `ref_${m.table}` === name)?.table ??
    name;
  return {
    ...summary,
    location: lake?.location ?? null,
    columnTypes: columnTypes(lake, await hotColumns(deps.db, hotName)),
    partitionList: partitions
      .map((p) => ({
        values: p.values,
        rows: p.rows,
        bytes: p.bytes,
        files: p.files,
        publishedAt: p.publishedAt,
      }))
      .sort((a, b) => b.values.join('/').localeCompare(a.values.join('/'))),
  };
}

/** The columns of hot table `name` with their PostgreSQL types, in table order. */
async function hotColumns(
  db: SqlDatabase,
  name: string,
): Promise<{ column_name: string; data_type: string }[]> {
  return db.query<{ column_name: string; data_type: string }>(
    `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS data_type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [db.schema, name],
  );
}

/** Each column with its PostgreSQL and lake types (null where a tier lacks it). */
function columnTypes(
  lake: CatalogTable | undefined,
  hot: readonly { column_name: string; data_type: string }[],
): TableColumn[] {
  const columns = new Map<string, { postgresType: string | null; lakeType: string | null }>();
  for (const c of lake?.columns ?? []) {
    columns.set(c.name, { postgresType: c.sourceType || null, lakeType: c.type });
  }
  for (const c of hot) {
    const known = columns.get(c.column_name);
    columns.set(c.column_name, { postgresType: c.data_type, lakeType: known?.lakeType ?? null });
  }
  for (const key of lake?.partitionKeys ?? []) {
    const known = columns.get(key);
    if (!known?.lakeType) {
      columns.set(key, {
        postgresType: known?.postgresType ?? null,
        lakeType: 'string (partition key)',
      });
    }
  }
  return [...columns].map(([column, types]) => ({ name: column, ...types }));
}
