/**
 * The query service on the local runtime — the composition root of the local query side, like
 * `cli/context.ts` for the ETL: the catalog file, the file-system lake, DuckDB over the lake's
 * Parquet files in place of Athena, `pg` (read-only, as the reader role) in place of the RDS Data
 * API, and the plan state machine — the same `plan.asl.json` CDK deploys — run in-process in the
 * background with every Task bound to the function the Lambda handler calls (`planTask`).
 *
 * *Decision — results under `THERMOCLINE_HOME/lake/_query/`*: plan states, step outputs, archived
 * results, the ledger and the cache live under the lake's `_query/` prefix, exactly where they
 * live in the lake bucket on AWS, so one layout serves both runtimes; the leading underscore keeps
 * them out of Athena's and Glue's sight, like the day manifests.
 *
 * As a composition root it takes two things from `etl/`: the plan definition
 * (`etl/state-machines`, a JSON document) and the sync engine's `lastSyncTimes` for the catalog
 * summary — the only imports from outside `core/` here.
 */
import { join } from 'node:path';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { openLocalBucket, openLocalLake } from '#adapters/local/local-lake';
import { runLocalStateMachine, type LocalTaskHandler } from '#adapters/local/local-state-machine';
import { createPgHotEngine, ensureReaderRole } from '#adapters/pg/pg-query-engine';
import type { EnvironmentName, ThermoclineConfig } from '#core/config/schema';
import { failPlan, planTask, type PlanTaskInput } from '#core/query/runner';
import { readPlanState } from '#core/query/plan-store';
import {
  createQueryService,
  hotTableNames,
  type LastSyncTimes,
  type PlanLauncher,
  type QueryServiceDeps,
} from '#core/query/runtime';
import type { QueryService } from '#core/query/service';
import { PLAN_DEFINITION, PLAN_PLACEHOLDERS, localDefinition } from '#etl/state-machines/index';
import { lastSyncTimes } from '#etl/sync/run';
import { systemClock, type Clock } from '#ports/clock';
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
}

/**
 * Runs plans in this process: each `start` runs the plan definition in the background with
 * `aws-local-stepfunctions`; `close` waits for the runs still going.
 */
export class LocalPlanLauncher implements PlanLauncher {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly run: (planId: string) => Promise<void>) {}

  async start(planId: string): Promise<void> {
    const execution: Promise<void> = this.run(planId)
      .catch(() => undefined)
      .finally(() => this.running.delete(execution));
    this.running.add(execution);
  }

  async close(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/**
 * The task handlers of the plan definition, by state name, each the function the Lambda calls.
 * @example
 * await runLocalStateMachine(definition, planTaskHandlers(deps), { planId });
 */
export function planTaskHandlers(deps: QueryServiceDeps): Record<string, LocalTaskHandler> {
  const task = (input: PlanTaskInput): Promise<unknown> => planTask(deps, input);
  return {
    LoadPlan: task as LocalTaskHandler,
    RunStep: task as LocalTaskHandler,
    FinishPlan: task as LocalTaskHandler,
    FailPlan: task as LocalTaskHandler,
  };
}

/**
 * The query service's ports on the local runtime (the service itself: {@link openLocalQueryService}).
 * Creates the reader role the hot engine runs as, when the database allows it.
 */
export async function localQueryServiceDeps(
  options: LocalQueryServiceOptions,
): Promise<QueryServiceDeps> {
  const { config, home, db } = options;
  const lake = openLocalLake(home);
  const hotTables = hotTableNames(config);
  // The reader role is defence in depth behind the SQL guard; without the privilege to create
  // it, the hot engine still runs every query in a READ ONLY transaction.
  await ensureReaderRole(db, db.schema, hotTables).catch(() => undefined);
  const lakeEngine = await createDuckDbQueryEngine(lake.store);
  const definition = localDefinition(PLAN_DEFINITION, PLAN_PLACEHOLDERS);
  const retryPauseMs = options.retryPauseMs ?? 200;
  const launcher = new LocalPlanLauncher(async (planId) => {
    const execution = await runLocalStateMachine(
      definition,
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
  });
  const deps: QueryServiceDeps = {
    config,
    environment: options.environment ?? 'local',
    catalog: lake.catalog,
    lakeEngine,
    hotEngine: createPgHotEngine(db),
    results: new FsObjectStore(join(home, 'lake', '_query')),
    lakeBucket: LOCAL_LAKE_BUCKET,
    bucket: (name) => (name === LOCAL_LAKE_BUCKET ? lake.store : openLocalBucket(home, name)),
    hotTables,
    lastSyncTimes: options.lastSyncTimes ?? (() => lastSyncTimes(db)),
    launcher,
    clock: options.clock ?? systemClock,
    lakeDatabase: `thermocline_${options.environment ?? 'local'}`,
    hotDatabase: databaseName(db),
  };
  return deps;
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
