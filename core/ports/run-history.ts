/**
 * The run history: one record per execution of the ETL, sync or retention work (the local
 * state-machine runs and the catch-up export `npm start` does), newest last. Locally a JSON-lines
 * file, `THERMOCLINE_HOME/runs.jsonl` ({@link FileRunHistory}); the console's `GET /runs` and
 * `thermocline runs` read it, and `GET /coverage` takes failed table-days from it.
 */

/** What ran: `etl` (the nightly state machine), `backfill`, `catch-up` (`npm start`), `sync`, `retention`. */
export type RunKind = 'etl' | 'backfill' | 'catch-up' | 'sync' | 'retention';

/** How a run ended: every item done, some failed (`partial`), or the execution failed. */
export type RunStatus = 'succeeded' | 'partial' | 'failed';

/** A table-day (or, for sync and retention, a table with `day` `*`) a run published or purged. */
export interface RunItem {
  readonly table: string;
  readonly day: string;
  readonly rows: number;
}

/** A table-day (or a table) a run failed on, with the error as the run reported it. */
export interface RunFailure {
  readonly table: string;
  readonly day: string;
  readonly error: string;
}

/** One execution. */
export interface RunRecord {
  /** Unique per run, sortable by start time. */
  readonly id: string;
  readonly kind: RunKind;
  readonly status: RunStatus;
  /** ISO instants. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** Rows exported, synced or deleted. */
  readonly rows: number;
  /** Bytes written to the lake (0 for retention). */
  readonly bytes: number;
  /** The items done (table-days exported, mappings synced, table-days purged). */
  readonly done: readonly RunItem[];
  readonly failed: readonly RunFailure[];
  /** The execution's own error when it failed as a whole. */
  readonly error?: string;
}

/** Runs read back, newest first, and how many stored lines could not be read. */
export interface RunListing {
  readonly runs: RunRecord[];
  /** Lines of the history that are not a run record (a torn write, an edit); skipped. */
  readonly damaged: number;
}

/** Where runs are recorded and read back. */
export interface RunHistory {
  /** Where it lives, for messages (`/home/ana/.thermocline/runs.jsonl`). */
  readonly description: string;
  /** Appends one run. */
  append(run: RunRecord): Promise<void>;
  /** The runs, newest first; at most `limit` of them (all by default). */
  list(options?: { readonly limit?: number }): Promise<RunListing>;
}
