/**
 * What the query service runs on — {@link QueryServiceDeps}: ports and settings only, filled by the
 * composition roots (`runtime/local`, `runtime/aws`) and shared by the service, the plan state
 * machine's tasks and the catalog summary.
 */
import type { EnvironmentName, ThermoclineConfig } from '#core/config/schema';
import type { LedgerEntry } from '#core/query/ledger';
import type { PlanLauncher } from '#core/query/plan-launcher';
import type { Catalog } from '#ports/catalog';
import type { Clock } from '#ports/clock';
import type { ObjectStore } from '#ports/object-store';
import type { ParquetObjectReader } from '#ports/parquet-reader';
import type { HotQueryEngine, LakeQueryEngine } from '#ports/query-engine';

/** Last sync per reference table (`lastSyncTimes(db)` of the sync engine). */
export type LastSyncTimes = Readonly<
  Record<string, { readonly lastSyncAt: string | null; readonly mode: string | null }>
>;

/** What the query service runs on: ports and settings only. */
export interface QueryServiceDeps {
  readonly config: ThermoclineConfig;
  /** The environment whose `scan_cutoff_gb` and lifecycle apply. */
  readonly environment: EnvironmentName;
  readonly catalog: Catalog;
  /** Athena, or DuckDB over the lake's files locally. */
  readonly lakeEngine: LakeQueryEngine;
  /** The RDS Data API, or `pg` locally. */
  readonly hotEngine: HotQueryEngine;
  /**
   * The results store (the lake's `_query/` prefix): plan states, step outputs, archived results,
   * the cost ledger and the result cache.
   */
  readonly results: ObjectStore;
  /** The lake bucket's name: `S3ParquetRead` may read it (and the configured S3 sources). */
  readonly lakeBucket: string;
  /** A bucket, rooted at its first key (`S3ParquetRead`, the S3 sources' listings). */
  bucket(name: string): ObjectStore;
  /** Reads a Parquet object of a bucket (`S3ParquetRead`). */
  readonly readParquet: ParquetObjectReader;
  /** Tables `AuroraQuery` steps may read: the configured tables and the mapped ones. */
  readonly hotTables: readonly string[];
  /** The sync engine's last sync per reference table, for the catalog summary. */
  readonly lastSyncTimes?: () => Promise<LastSyncTimes>;
  readonly launcher: PlanLauncher;
  readonly clock: Clock;
  /** Called with every ledger entry (AWS: CloudWatch EMF metrics, see `ledgerMetrics`). */
  readonly metrics?: (entry: LedgerEntry) => void;
  /** The lake's database, for the catalog summary and the cache key (Glue database on AWS). */
  readonly lakeDatabase?: string;
  /** The hot database's name, for the catalog summary and `AuroraQuery` `database` checks. */
  readonly hotDatabase?: string;
  /** Called last by `close()`, after the engines (e.g. to close what the composition opened). */
  readonly onClose?: () => Promise<void>;
  /**
   * Aborts when the service stops (`close({ cancel: true })`): the engines stop the queries of
   * the steps running then (locally; on AWS a step ends with its Lambda).
   */
  readonly signal?: AbortSignal;
  /**
   * Rewrites an error message a plan records, e.g. local paths as lake-relative keys (the local
   * runtime). @default the message as it is
   */
  readonly redact?: (message: string) => string;
}

/**
 * The tables `AuroraQuery` steps may read: the configured time-series tables and the tables of
 * the sync mappings.
 * @example
 * hotTableNames(defaultConfig()); // ['workflows', …, 'events', 'agents', 'members', 'games', 'affiliates']
 */
export function hotTableNames(config: ThermoclineConfig): string[] {
  return [
    ...new Set([...config.tables.map((t) => t.name), ...config.mappings.map((m) => m.table)]),
  ];
}
