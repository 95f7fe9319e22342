/**
 * What the console shows, as data: coverage of the lake (tables × days), the run history, the
 * query costs by day, and the catalog's tables. The API's `GET /coverage`, `/runs`,
 * `/costs/daily`, `/tables` and `/tables/{name}` answer from it; an API without one answers
 * these routes 501. The logic is in `etl/insights.ts`; the local runtime wires it over
 * PostgreSQL, the catalog file, the ledger and `runs.jsonl`.
 */
import type { RunRecord } from '#ports/run-history';

/**
 * A table-day's state: `exported` (hot and in the lake), `hot` (hot only, not due yet),
 * `late` (hot only, past the nightly run that should have exported it), `failed` (not in the lake,
 * its last export failed), `purged` (in the lake only: retention deleted the hot rows), `none`
 * (no rows anywhere).
 */
export type DayState = 'exported' | 'hot' | 'late' | 'failed' | 'purged' | 'none';

/** The states in the order the console's legend shows them. */
export const DAY_STATES: readonly DayState[] = Object.freeze([
  'exported',
  'hot',
  'purged',
  'failed',
  'late',
  'none',
]);

/** One table's row of the coverage. */
export interface TableCoverage {
  readonly table: string;
  /** One state per day of {@link CoverageReport.days}, as single letters (see {@link STATE_CODES}). */
  readonly states: string;
  /** The newest day in the lake, or null. */
  readonly lastExportedDay: string | null;
  /** The newest day the nightly ETL should have exported by now. */
  readonly lastClosedDay: string;
  /** Closed days after {@link lastExportedDay} (0: up to date). */
  readonly lagDays: number;
  /** When the newest partition was published, or null. */
  readonly lastPublishedAt: string | null;
  /** Counts of each state over the window. */
  readonly counts: Readonly<Record<DayState, number>>;
}

/** Tables × days: which table-days are where. */
export interface CoverageReport {
  /** When it was computed. */
  readonly at: string;
  /** The window, oldest first (`YYYY-MM-DD`). */
  readonly days: readonly string[];
  readonly tables: readonly TableCoverage[];
  /** Table-days that failed or are late, over every table. */
  readonly failed: number;
  readonly late: number;
}

/** The one-letter code of each state in {@link TableCoverage.states} (compact for 50 × 730 cells). */
export const STATE_CODES: Readonly<Record<DayState, string>> = Object.freeze({
  exported: 'E',
  hot: 'H',
  late: 'L',
  failed: 'F',
  purged: 'P',
  none: '.',
});

/** One day × caller of the cost ledger. */
export interface DailyCost {
  readonly day: string;
  readonly caller: string;
  readonly queries: number;
  readonly bytesScanned: number;
  readonly costUsd: number;
  readonly cacheHits: number;
}

/** The ledger by day and caller. */
export interface DailyCostReport {
  /** The window, oldest first. */
  readonly from: string;
  readonly to: string;
  /** Rows by day then caller, oldest first. */
  readonly rows: readonly DailyCost[];
  readonly totals: {
    readonly queries: number;
    readonly bytesScanned: number;
    readonly costUsd: number;
    readonly cacheHits: number;
  };
}

/** A table in the catalog listing. */
export interface TableListing {
  readonly name: string;
  /** `timeseries` (exported by day), `reference` (synced), `lake` (only in the catalog). */
  readonly kind: 'timeseries' | 'reference' | 'lake';
  readonly partitionKeys: readonly string[];
  readonly columns: number;
  readonly partitions: number;
  readonly rows: number;
  readonly bytes: number;
  readonly lastPublishedAt: string | null;
}

/** A column with its PostgreSQL type and its lake (Glue/Athena) type. */
export interface TableColumn {
  readonly name: string;
  readonly postgresType: string | null;
  readonly lakeType: string | null;
}

/** A partition with its size. */
export interface TablePartition {
  readonly values: readonly string[];
  readonly rows: number;
  readonly bytes: number;
  readonly files: number;
  readonly publishedAt: string;
}

/** One table of the catalog, in full. */
export interface TableDetail extends TableListing {
  readonly location: string | null;
  readonly columnTypes: readonly TableColumn[];
  /** Newest first. */
  readonly partitionList: readonly TablePartition[];
}

/** The run history as the API answers it. */
export interface RunsReport {
  readonly runs: readonly RunRecord[];
  /** Lines of the history that could not be read (skipped). */
  readonly damaged: number;
}

/** The console's data. */
export interface Insights {
  /** Coverage over the last `days` days (default 120) up to today. */
  coverage(options?: { readonly days?: number }): Promise<CoverageReport>;
  /** The newest `limit` runs (default 100). */
  runs(options?: { readonly limit?: number }): Promise<RunsReport>;
  /** The ledger by day and caller over the last `days` days (default 30). */
  dailyCosts(options?: { readonly days?: number }): Promise<DailyCostReport>;
  tables(): Promise<TableListing[]>;
  /** @throws UnknownTableError (404) naming the known tables */
  table(name: string): Promise<TableDetail>;
}
