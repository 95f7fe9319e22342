import { resolve } from 'node:path';
import type { ThermoclineConfig } from '#core/config/schema';
import { loadConfig } from '#adapters/local/config-file';
import { openDatabase } from '#adapters/open-database';
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
  return {
    config,
    home,
    env,
    clock: systemClock,
    openDatabase: () => openDatabase({ env, home, schema: env.THERMOCLINE_SCHEMA || 'public' }),
  };
}
