/**
 * The CLI's view of the local runtime: its global options (`--config`, `--home`) and progress
 * bars handed to `runtime/local`, which alone decides which adapter fills which port.
 */
import { createProgress } from '#cli/progress';
import { createLocalRuntime, type LocalRuntime } from '#runtime/local/local-runtime';

/** Global options every command accepts. */
export interface GlobalOptions {
  readonly config?: string;
  readonly home?: string;
}

/** What a command works with: the local runtime, with the CLI's progress bars. */
export type CliContext = LocalRuntime;

/**
 * Reads the config (failing at start on a bad key) and resolves THERMOCLINE_HOME:
 * `--home`, then the THERMOCLINE_HOME variable, then `./.thermocline`. The hot tables live in
 * the schema THERMOCLINE_SCHEMA (default `public`).
 */
export function createContext(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): CliContext {
  return createLocalRuntime({ ...options, progress: createProgress }, env);
}
