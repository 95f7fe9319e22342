/**
 * The config file and the hot database of the local runtime, for entry points that need only
 * those: the CDK app (`bin/thermocline.ts` reads the config the way the CLI does) and the library
 * (`index.ts`). Lighter than `local-runtime.ts`: no DuckDB, no lake.
 */
export { loadConfig } from '#adapters/local/config-file';
export { openDatabase } from '#adapters/open-database';
