/**
 * The query service contract: what the API handler, the local HTTP server, the CLI and the
 * programmatic client call. One implementation (`createQueryService`, `#core/query/query-service`)
 * binds it to AWS or local adapters; the surfaces never talk to an engine themselves.
 */
import type { QueryColumn, QueryRow } from '#ports/query-engine';

/** Who asked: the IAM principal on AWS (requestContext.identity.userArn), `local:<user>` locally. */
export interface Caller {
  readonly id: string;
}

/** Per-step statistics of a plan run. */
export interface StepStats {
  readonly id: string;
  readonly type: string;
  readonly status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  /** `athena`, `duckdb`, `postgres`, `rds-data`, `parquet`, or `hot+lake` for a routed step. */
  readonly engine?: string;
  readonly rows?: number;
  readonly bytesScanned?: number;
  readonly estimatedBytes?: number;
  readonly costUsd?: number;
  /** Answered from Thermocline's result cache. */
  readonly cacheHit?: boolean;
  /** Answered from the engine's own result reuse (Athena). */
  readonly reused?: boolean;
  readonly durationMs?: number;
  readonly warnings?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
  /** Rows the query returned before the step's `limit` was applied. */
  readonly totalRows?: number;
  /** A routed (`TableRange`) step: what each tier read. */
  readonly parts?: readonly {
    readonly tier: 'hot' | 'lake';
    readonly engine: string;
    /** The tier's days, inclusive. */
    readonly from: string;
    readonly to: string;
    readonly rows: number;
    readonly bytesScanned: number;
    readonly estimatedBytes?: number;
    readonly costUsd: number;
    readonly engineMs: number;
  }[];
}

/** One page of a step's (or the plan's output step's) rows. */
export interface ResultPage {
  readonly step: string;
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  readonly totalRows: number;
  /** Pass as `page` to get the next page; absent on the last page. */
  readonly nextPage?: string;
  /** Where the whole result is archived (lake results prefix), once the plan finished. */
  readonly archivedAt?: string;
}

/** A plan's state as `GET /plans/{id}` returns it. */
export interface PlanStatus {
  readonly id: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly caller: string;
  readonly submittedAt: string;
  readonly finishedAt?: string;
  readonly steps: readonly StepStats[];
  /** Totals over the steps. */
  readonly bytesScanned: number;
  readonly costUsd: number;
  /** The output step's first page (or the requested page) once succeeded. */
  readonly result?: ResultPage;
  readonly warnings: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

/** A scan estimate for one SQL statement or every lake step of a plan. */
export interface EstimateResponse {
  readonly bytes: number;
  readonly gb: number;
  readonly costUsd: number;
  /** The limit it was checked against (the step's max_scan_gb or the environment's cutoff). */
  readonly limitGb: number;
  readonly withinLimit: boolean;
  readonly tables: readonly {
    readonly table: string;
    readonly partitions: number;
    readonly partitionsTotal: number;
    readonly bytes: number;
    readonly columns: readonly string[];
  }[];
  readonly warnings: readonly string[];
}

/** Monthly totals of the cost ledger. */
export interface CostReport {
  readonly month: string;
  readonly queries: number;
  readonly bytesScanned: number;
  readonly costUsd: number;
  readonly cacheHits: number;
  readonly byCaller: readonly {
    readonly caller: string;
    readonly queries: number;
    readonly bytesScanned: number;
    readonly costUsd: number;
  }[];
}

/** The seed's catalog summary ("Catalog Integration"). */
export interface CatalogSummary {
  readonly external_sources: {
    readonly athena: {
      readonly enabled: boolean;
      readonly database: string;
      readonly tables: readonly string[];
      readonly estimated_data_gb: number;
      readonly retention_days: number | null;
      readonly details: readonly {
        readonly table: string;
        readonly partition_keys: readonly string[];
        readonly partitions: number;
        readonly rows: number;
        readonly bytes: number;
        readonly last_published_at: string | null;
      }[];
    };
    readonly aurora: {
      readonly enabled: boolean;
      readonly database: string;
      readonly tables: readonly string[];
      readonly sync_mode: string;
      readonly last_sync: string | null;
      readonly details: readonly {
        readonly table: string;
        readonly sync_mode: string;
        readonly last_sync: string | null;
      }[];
    };
    readonly s3_sources: readonly {
      readonly bucket: string;
      readonly prefix: string;
      readonly file_count: number;
      readonly total_size_gb: number;
      readonly event_types?: readonly string[];
    }[];
  };
}

/** The query service. Every method throws ThermoclineError subclasses with a code and a message. */
export interface QueryService {
  /**
   * Validates (400), guards (400), estimates (413 over the limit) and starts a plan; resolves when
   * it finished or after `waitMs`, whichever is first (status `running` then).
   */
  submitPlan(
    plan: unknown,
    caller: Caller,
    options?: { readonly waitMs?: number },
  ): Promise<PlanStatus>;
  /** A plan's status and a page of its output (404 when unknown). */
  getPlan(
    id: string,
    options?: { readonly page?: string; readonly step?: string },
  ): Promise<PlanStatus>;
  /** Estimate for `{sql}` (a lake statement) or `{plan}` without running anything. */
  estimate(body: unknown): Promise<EstimateResponse>;
  catalog(): Promise<CatalogSummary>;
  /** Ledger totals for `month` (YYYY-MM, default the current month). */
  costs(options?: { readonly month?: string }): Promise<CostReport>;
  /**
   * Waits for the plans still running in this process, then closes the engines. With `cancel`
   * (a server stopping), stops them instead: their running queries are interrupted, they and the
   * plans waiting for a slot fail.
   */
  close(options?: { readonly cancel?: boolean }): Promise<void>;
}
