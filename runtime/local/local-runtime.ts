/**
 * The local runtime — the composition root of everything the CLI runs outside the query side
 * (that is `query-runtime.ts`): the config file, THERMOCLINE_HOME, the hot database (a server
 * from `DATABASE_URL`, or the embedded one), the file-system lake and its catalog file, DuckDB for
 * Parquet, this process for the leases. Commands ask it for what they work with and never import
 * an adapter themselves; the state machines' task bindings are in `state-machines.ts`.
 */
import { resolve } from 'node:path';
import type { ThermoclineConfig } from '#core/config/schema';
import { loadConfig } from '#adapters/local/config-file';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { writeLakeViews, type LakeViewsOptions } from '#adapters/duckdb/lake-views';
import { assertWritableHome } from '#adapters/local/home';
import { openLocalBucket, openLocalLake } from '#adapters/local/local-lake';
import { localProcess } from '#adapters/local/local-process';
import { openDatabase } from '#adapters/open-database';
import type { ExportDeps } from '#etl/export';
import { systemClock, type Clock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import { silentProgress, type ProgressFactory } from '#ports/progress';
import type { SqlDatabase } from '#ports/sql';

// What the CLI needs of the local adapters beyond the runtime object: its error classification
// for a home it cannot write, the plan file reader, and the local API server's defaults.
export { fileSystemError } from '#adapters/local/home';
export { readPlanFile } from '#adapters/local/plan-file';
export { DEFAULT_API_PORT, localUser } from '#adapters/local/http-server';
export type { LakeViewsReport } from '#adapters/duckdb/lake-views';

/** Where the local runtime's config and state are. */
export interface LocalRuntimeOptions {
  /** `--config`: the config file. @default `thermocline.config.json` in the working directory, when present */
  readonly config?: string;
  /** `--home`: THERMOCLINE_HOME. @default the THERMOCLINE_HOME variable, then `./.thermocline` */
  readonly home?: string;
  /** How long work shows its progress. @default nothing shown */
  readonly progress?: ProgressFactory;
}

/** What a command works with: validated config, local state, the clock, the hot database. */
export interface LocalRuntime {
  readonly config: ThermoclineConfig & { readonly source: string };
  /** THERMOCLINE_HOME, absolute. */
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  openDatabase(): Promise<SqlDatabase>;
  /**
   * The local lake: files under `home/lake` (or the S3 bucket `AWS_ENDPOINT_URL_S3` and
   * `THERMOCLINE_LAKE_BUCKET` name), the catalog in `home/catalog.json`.
   */
  readonly lake: ReturnType<typeof openLocalLake>;
  /**
   * The export engine's ports on the local runtime: the file-system lake, the catalog file,
   * DuckDB, and this process (pid and host) for the table-day leases. Close the encoder when done.
   */
  exportDeps(db: SqlDatabase): Promise<ExportDeps>;
  /** A DuckDB Parquet encoder (close it when done). */
  openEncoder(): Promise<ParquetEncoder>;
  /** A local stand-in for an S3 bucket: the files under `home/s3/<bucket>`. */
  openBucket(bucket: string): ReturnType<typeof openLocalBucket>;
  /** Writes the DuckDB views file over the lake's current files (`thermocline lake views`). */
  writeLakeViews(options: LakeViewsOptions): ReturnType<typeof writeLakeViews>;
  /** Creates a progress display for long work (the CLI's bars; nothing by default). */
  readonly progress: ProgressFactory;
}

/**
 * Reads the config (failing at start on a bad key) and resolves THERMOCLINE_HOME:
 * `--home`, then the THERMOCLINE_HOME variable, then `./.thermocline`. The hot tables live in
 * the schema THERMOCLINE_SCHEMA (default `public`).
 * @example
 * const runtime = createLocalRuntime({ home: '.thermocline' });
 * const db = await runtime.openDatabase();
 */
export function createLocalRuntime(
  options: LocalRuntimeOptions,
  env: NodeJS.ProcessEnv = process.env,
): LocalRuntime {
  const config = loadConfig({
    configPath: options.config,
    cwd: process.cwd(),
    env,
  });
  const home = resolve(options.home ?? env.THERMOCLINE_HOME ?? '.thermocline');
  const lake = openLocalLake(home, env);
  return {
    lake,
    config,
    home,
    env,
    clock: systemClock,
    openDatabase: () => openDatabase({ env, home, schema: env.THERMOCLINE_SCHEMA || 'public' }),
    exportDeps: async (db) => {
      await assertWritableHome(home); // a read-only or full home fails here, with its cause
      return {
        db,
        ...lake,
        encoder: await createDuckDbEncoder(),
        clock: systemClock,
        processInfo: localProcess(),
        afterFileUpload: faultHook(env.THERMOCLINE_FAULT),
      };
    },
    openEncoder: () => createDuckDbEncoder(),
    openBucket: (bucket) => openLocalBucket(home, bucket),
    writeLakeViews: (viewsOptions) => writeLakeViews(lake, viewsOptions),
    progress: options.progress ?? silentProgress,
  };
}

/**
 * Fault injection for the crash tests: THERMOCLINE_FAULT=kill-after-upload kills the process
 * (SIGKILL: no cleanup runs) right after the first data file of an export is uploaded, before
 * the commit.
 */
function faultHook(fault: string | undefined): ((key: string) => void) | undefined {
  if (fault !== 'kill-after-upload') return undefined;
  return () => {
    process.kill(process.pid, 'SIGKILL');
  };
}
