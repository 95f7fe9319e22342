import { resolve } from 'node:path';
import type { ThermoclineConfig } from '#core/config/schema';
import { loadConfig } from '#adapters/local/config-file';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { assertWritableHome } from '#adapters/local/home';
import { openLocalLake } from '#adapters/local/local-lake';
import { localProcess } from '#adapters/local/local-process';
import { openDatabase } from '#adapters/open-database';
import type { ExportDeps } from '#etl/export';
import { systemClock, type Clock } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';

/** Global options every command accepts. */
export interface GlobalOptions {
  readonly config?: string;
  readonly home?: string;
}

/** What a command works with: validated config, local state, the clock, the hot database. */
export interface CliContext {
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
}

/**
 * Reads the config (failing at start on a bad key) and resolves THERMOCLINE_HOME:
 * `--home`, then the THERMOCLINE_HOME variable, then `./.thermocline`. The hot tables live in
 * the schema THERMOCLINE_SCHEMA (default `public`).
 */
export function createContext(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): CliContext {
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
