/**
 * The config file and the hot database of the local runtime, for entry points that need only
 * those: the CDK app (`bin/thermocline.ts` reads the config the way the CLI does) and the library
 * (`index.ts`). Lighter than `local-runtime.ts`: no DuckDB, no lake.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export { loadConfig } from '#adapters/local/config-file';
export { openDatabase } from '#adapters/open-database';

/** The package's version (its package.json), for `thermocline --version`. */
export function packageVersion(): string {
  const text = readFileSync(resolve(__dirname, '../../package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
