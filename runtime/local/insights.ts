/**
 * The console's data on the local runtime: PostgreSQL, the catalog file, the ledger under
 * `THERMOCLINE_HOME/lake/_query/` and the run history `THERMOCLINE_HOME/runs.jsonl`.
 */
import { join } from 'node:path';
import { FileRunHistory } from '#adapters/local/file-run-history';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { openLocalLake } from '#adapters/local/local-lake';
import type { ThermoclineConfig } from '#core/config/schema';
import { createInsights } from '#etl/insights';
import { systemClock, type Clock } from '#ports/clock';
import type { Insights } from '#ports/insights';
import type { SqlDatabase } from '#ports/sql';

/**
 * The run history of a THERMOCLINE_HOME.
 * @example
 * await localRunHistory(context.home).append(run);
 */
export function localRunHistory(home: string): FileRunHistory {
  return new FileRunHistory(join(home, 'runs.jsonl'));
}

/**
 * {@link Insights} over a THERMOCLINE_HOME and the hot database.
 * @example
 * const insights = openLocalInsights({ config: context.config, home: context.home, db });
 */
export function openLocalInsights(options: {
  readonly config: ThermoclineConfig;
  readonly home: string;
  readonly db: SqlDatabase;
  readonly clock?: Clock;
}): Insights {
  return createInsights({
    config: options.config,
    db: options.db,
    catalog: openLocalLake(options.home).catalog,
    ledger: new FsObjectStore(join(options.home, 'lake', '_query')),
    runHistory: localRunHistory(options.home),
    clock: options.clock ?? systemClock,
  });
}
