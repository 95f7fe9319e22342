/**
 * The query service on the local runtime — the composition root of the local query side, like
 * `local-runtime.ts` for the ETL: the catalog file, the file-system lake, DuckDB over the lake's
 * Parquet files in place of Athena, `pg` (read-only, as the reader role) in place of the RDS Data
 * API, and the plan state machine — the same `plan.asl.json` CDK deploys — run in-process in the
 * background with every Task bound to the function the Lambda handler calls (`planTask`).
 *
 * *Decision — results under `THERMOCLINE_HOME/lake/_query/`*: plan states, step outputs, archived
 * results, the ledger and the cache live under the lake's `_query/` prefix, exactly where they
 * live in the lake bucket on AWS, so one layout serves both runtimes; the leading underscore keeps
 * them out of Athena's and Glue's sight, like the day manifests.
 *
 * As a composition root it takes a few things from `etl/`: the plan definition
 * (`etl/state-machines`, a JSON document, bound to its tasks in `state-machines.ts`), the sync
 * engine's `lastSyncTimes` for the catalog summary, and the lake layout's names (a partition's
 * day, a mapping's lake tables) for the command that restores a damaged partition — the only
 * imports from outside `core/` here.
 */
import { join, resolve, sep } from 'node:path';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { openLocalBucket, openLocalLake } from '#adapters/local/local-lake';
import { readParquetObject } from '#adapters/hyparquet/parquet-read';
import { createPgHotEngine, ensureReaderRole } from '#adapters/pg/pg-query-engine';
import type { EnvironmentName, ThermoclineConfig } from '#core/config/schema';
import { failPlan } from '#core/query/plan-tasks';
import { readPlanState } from '#core/query/plan-store';
import { createQueryService } from '#core/query/query-service';
import { hotTableNames, type LastSyncTimes, type QueryServiceDeps } from '#core/query/service-deps';
import { PlanLaunchError, TooManyPlansError, type PlanLauncher } from '#core/query/plan-launcher';
import type { QueryService } from '#core/query/service-contract';
import { dayOfPartition } from '#etl/layout';
import { lakeTableNames } from '#etl/sync/mapping';
import { lastSyncTimes } from '#etl/sync/run';
import { systemClock, type Clock } from '#ports/clock';
import { planTaskHandlers, runMachine } from '#runtime/local/state-machines';
import type { SqlDatabase } from '#ports/sql';

/** The lake bucket's name in the local runtime (what `S3ParquetRead` names to read the lake). */
export const LOCAL_LAKE_BUCKET = 'thermocline-lake';

/** Options of {@link openLocalQueryService}. */
export interface LocalQueryServiceOptions {
  readonly config: ThermoclineConfig;
  /** THERMOCLINE_HOME: the lake is `home/lake`, the catalog `home/catalog.json`. */
  readonly home: string;
  /** The hot database (AuroraQuery steps, the hot side of TableRange steps). */
  readonly db: SqlDatabase;
  /** The environment whose scan cutoff and lifecycle apply. @default 'local' */
  readonly environment?: EnvironmentName;
  /** "Today" for the hot window and the ledger. @default the system clock */
  readonly clock?: Clock;
  /** Last sync per reference table, for the catalog summary. @default the sync state in `db` */
  readonly lastSyncTimes?: () => Promise<LastSyncTimes>;
  /** Pause between Retry attempts of a plan task. @default 200 ms */
  readonly retryPauseMs?: number;
  /** Where the lake is: `AWS_ENDPOINT_URL_S3`, `THERMOCLINE_LAKE_BUCKET`, … @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options of a {@link LocalPlanLauncher}. */
export interface LocalPlanLauncherOptions {
  /** Runs one plan to its end (the plan state machine in-process). */
  readonly run: (planId: string) => Promise<void>;
  /** Plans that run at once (`query.max_concurrent_plans`). @default 4 */
  readonly maxRunning?: number;
  /** Plans that may wait for a run slot (`query.max_queued_plans`). @default 16 */
  readonly maxQueued?: number;
  /** Marks a queued plan failed when the launcher closes with `cancel` before it ran. */
  readonly dropQueued?: (planId: string) => Promise<void>;
}

/**
 * Runs plans in this process: each `start` runs the plan definition in the background with
 * `aws-local-stepfunctions` — at most `maxRunning` at once; the next `maxQueued` wait in arrival
 * order (their state says `running`, every step `pending`), and beyond that `start` throws
 * {@link TooManyPlansError}. `close` waits for the runs still going; `close({ cancel: true })`
 * aborts {@link LocalPlanLauncher.signal} first (the engines stop the running queries) and fails
 * the queued plans.
 * @example
 * const launcher = new LocalPlanLauncher({ run: (id) => runPlan(id), maxRunning: 4, maxQueued: 16 });
 */
export class LocalPlanLauncher implements PlanLauncher {
  private readonly running = new Set<Promise<void>>();
  private readonly queue: string[] = [];
  private readonly stopping = new AbortController();
  private readonly maxRunning: number;
  private readonly maxQueued: number;

  constructor(private readonly options: LocalPlanLauncherOptions) {
    this.maxRunning = options.maxRunning ?? 4;
    this.maxQueued = options.maxQueued ?? 16;
  }

  /** Aborts when the launcher closes with `cancel`: what the engines' queries listen to. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  async start(planId: string): Promise<void> {
    if (this.stopping.signal.aborted) {
      throw new PlanLaunchError(`plan ${planId} was not started: the query service is stopping`);
    }
    if (this.running.size < this.maxRunning) {
      this.launch(planId);
    } else if (this.queue.length < this.maxQueued) {
      this.queue.push(planId);
    } else {
      throw new TooManyPlansError(this.running.size, this.queue.length);
    }
  }

  async close(options: { readonly cancel?: boolean } = {}): Promise<void> {
    if (options.cancel) {
      this.stopping.abort();
      const dropped = this.queue.splice(0);
      await Promise.all(dropped.map((id) => this.options.dropQueued?.(id).catch(() => undefined)));
    }
    // A run that ends starts the next queued plan before its own promise settles.
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private launch(planId: string): void {
    const execution: Promise<void> = this.options
      .run(planId)
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(execution);
        const next = this.queue.shift();
        if (next !== undefined) this.launch(next);
      });
    this.running.add(execution);
  }
}

/**
 * The query service's ports on the local runtime (the service itself: {@link openLocalQueryService}).
 * Creates the reader role the hot engine runs as, when the database allows it.
 */
export async function localQueryServiceDeps(
  options: LocalQueryServiceOptions,
): Promise<QueryServiceDeps> {
  const { config, home, db } = options;
  const lake = openLocalLake(home, options.env ?? process.env);
  const hotTables = hotTableNames(config);
  // The reader role is defence in depth behind the SQL guard; without the privilege to create
  // it, the hot engine still runs every query in a READ ONLY transaction.
  await ensureReaderRole(db, db.schema, hotTables).catch(() => undefined);
  const lakeEngine = await createDuckDbQueryEngine(lake.store, {
    repairHint: (table, values) => repairCommand(config, table, values),
  });
  const retryPauseMs = options.retryPauseMs ?? 200;
  const launcher = new LocalPlanLauncher({
    maxRunning: config.query.max_concurrent_plans,
    maxQueued: config.query.max_queued_plans,
    run: async (planId) => {
      const execution = await runMachine(
        'plan',
        planTaskHandlers(deps),
        { planId },
        { retryPauseMs },
      );
      // FailPlan itself may have failed (e.g. the disk is full): leave no plan running forever.
      const state = await readPlanState(deps.results, planId).catch(() => undefined);
      if (execution.status === 'FAILED' && state?.status === 'running') {
        await failPlan(deps, planId, {
          Error: execution.error?.error ?? 'Error',
          Cause: execution.error?.cause ?? '',
        });
      }
    },
    dropQueued: async (planId) => {
      await failPlan(deps, planId, {
        Error: 'QueryCancelledError',
        Cause: 'the query service stopped before the plan ran; submit it again',
      });
    },
  });
  const deps: QueryServiceDeps = {
    config,
    environment: options.environment ?? 'local',
    catalog: lake.catalog,
    lakeEngine,
    hotEngine: createPgHotEngine(db),
    signal: launcher.signal,
    redact: localPathRedactor(home),
    results: new FsObjectStore(join(home, 'lake', '_query')),
    lakeBucket: lake.bucket,
    bucket: (name) =>
      lake.openBucket(name) ?? (name === lake.bucket ? lake.store : openLocalBucket(home, name)),
    readParquet: readParquetObject,
    hotTables,
    lastSyncTimes: options.lastSyncTimes ?? (() => lastSyncTimes(db)),
    launcher,
    clock: options.clock ?? systemClock,
    lakeDatabase: `thermocline_${options.environment ?? 'local'}`,
    hotDatabase: databaseName(db),
  };
  return deps;
}

/**
 * The command that restores a damaged lake partition: the backfill of its day for a configured
 * table, a full sync for a reference table's current state; undefined for other tables (the
 * engine's generic hint).
 * @example
 * repairCommand(config, 'events', ['Login', '2025-02-14']);
 * // 'thermocline backfill --table events --from 2025-02-14 --to 2025-02-14'
 */
export function repairCommand(
  config: ThermoclineConfig,
  table: string,
  values: readonly string[],
): string | undefined {
  const tiered = config.tables.find((t) => t.name === table);
  if (tiered) {
    const day = dayOfPartition(tiered, values);
    return `thermocline backfill --table ${table} --from ${day} --to ${day}`;
  }
  for (const mapping of config.mappings) {
    const names = lakeTableNames(mapping.table);
    if (table === names.current) return `thermocline sync --mode full --table ${mapping.table}`;
    if (table === names.changes) {
      return (
        `restore the missing files from the object store's version history; the history of ` +
        `${mapping.table} cannot be exported again (its current state ${names.current} is unaffected)`
      );
    }
  }
  return undefined;
}

/**
 * Rewrites local paths in a recorded error message: the lake directory's as lake-relative keys,
 * an S3 source folder's as `s3://<bucket>/…`, anything else under the home as
 * `$THERMOCLINE_HOME/…`.
 * @example
 * localPathRedactor('/work/.thermocline')("can't read /work/.thermocline/lake/events/x.parquet");
 * // "can't read events/x.parquet"
 */
export function localPathRedactor(home: string): (message: string) => string {
  const root = resolve(home);
  return (message) =>
    message
      .replaceAll(`${join(root, 'lake')}${sep}`, '')
      .replaceAll(`${join(root, 's3')}${sep}`, 's3://')
      .replaceAll(root, '$THERMOCLINE_HOME');
}

/** The database name in the connection URL (`postgres://…/name`), `postgres` when none. */
function databaseName(db: SqlDatabase): string {
  const match = /\/([^/?]+)(\?.*)?$/.exec(db.target.url.replace(/^[a-z]+:\/\/[^/]*/, ''));
  return match?.[1] ? decodeURIComponent(match[1]) : 'postgres';
}

/**
 * Opens the query service over the local lake (DuckDB), PostgreSQL (`db`, read-only) and the
 * in-process plan state machine. `close()` waits for plans still running, then closes the
 * engines (not `db`: the caller opened it).
 * @example
 * const db = await ctx.openDatabase();
 * const service = await openLocalQueryService({ config: ctx.config, home: ctx.home, db });
 * const status = await service.submitPlan(plan, { id: 'local:ann' });
 * await service.close();
 */
export async function openLocalQueryService(
  options: LocalQueryServiceOptions,
): Promise<QueryService> {
  return createQueryService(await localQueryServiceDeps(options));
}
