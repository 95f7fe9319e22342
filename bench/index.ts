// `npm run bench -- <name> [--flags]`: benchmarks that print JSON figures (the last line is one
// JSON object). Never timed assertions: the figures go to docs/benchmarks.md.
import { benchApi } from './api';
import { benchBundles } from './bundles';
import { benchConsole } from './console';
import { benchEtl, benchEtlPhase } from './etl';
import { benchEtlChunks, benchEtlChunkTask } from './etl-chunks';
import { benchSeed } from './seed';
import { benchSync } from './sync';

const benches: Record<string, (args: string[]) => Promise<Record<string, unknown>>> = {
  api: benchApi,
  seed: benchSeed,
  bundles: benchBundles,
  console: benchConsole,
  // `--chunks N`: the day in one task against the same day in N chunks (bench/etl-chunks.ts).
  etl: (args) => (args.includes('--chunks') ? benchEtlChunks(args) : benchEtl(args)),
  'etl-chunk-task': benchEtlChunkTask,
  'etl-phase': benchEtlPhase,
  sync: benchSync,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const bench = name ? benches[name] : undefined;
  if (!bench) {
    process.stderr.write(
      `usage: npm run bench -- <${Object.keys(benches).join('|')}> [flags]; got '${name ?? ''}'\n`,
    );
    process.exitCode = 2;
    return;
  }
  const figures = await bench(args);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

void main();
