/**
 * `npm run bench -- bundles`: the size of every Lambda entry point in `lambdas/` as esbuild
 * bundles it for the deploy (minified, Node 24, CommonJS, everything bundled but DuckDB's native
 * module), raw and deflated (≈ the zip Lambda loads), plus DuckDB's native library, which ships in
 * a layer. Cold starts on the API path want small bundles; the nightly export's matters less.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..');
const ZIP_TARGET_BYTES = 1024 * 1024;

/** The Lambda entry points (the other files in `lambdas/` are modules they share). */
const LAMBDA_ENTRIES = ['etl-plan', 'etl-export', 'sync', 'retention', 'plan-step', 'query-api'];
/** The functions on the API path or run every 15 minutes, whose cold starts the target is for. */
const TARGETED = new Set(['query-api', 'plan-step', 'sync']);

/** The bench (see the module comment). */
export async function benchBundles(): Promise<Record<string, unknown>> {
  const entries = LAMBDA_ENTRIES.map((name) => `${name}.ts`);
  const functions = [];
  for (const entry of entries) {
    const result = await build({
      entryPoints: [join(ROOT, 'lambdas', entry)],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      write: false,
      external: ['@duckdb/node-api'],
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    const zipped = deflateRawSync(code, { level: 9 }).length;
    functions.push({
      name: entry.replace(/\.ts$/, ''),
      bundle_bytes: code.length,
      zipped_bytes: zipped,
      targeted: TARGETED.has(entry.replace(/\.ts$/, '')),
      zipped_le_1mb: zipped <= ZIP_TARGET_BYTES,
    });
  }
  const bindings = dirname(require.resolve('@duckdb/node-bindings/package.json'));
  const platform = join(dirname(bindings), `node-bindings-${process.platform}-${process.arch}`);
  let layerBytes = 0;
  for (const file of await readdir(platform)) layerBytes += (await stat(join(platform, file))).size;
  return {
    bench: 'bundles',
    functions,
    duckdb_layer_bytes: layerBytes,
    duckdb_layer_note: `native DuckDB for ${process.platform}-${process.arch} (the arm64 build is similar); a layer, not in the bundles`,
  };
}
