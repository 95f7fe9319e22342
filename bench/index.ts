// `npm run bench -- <name> [--flags]`: benchmarks that print JSON figures (the last line is one
// JSON object). Never timed assertions: the figures go to docs/benchmarks.md. Each bench's module
// is loaded only when it runs, so a measured child process (`etl-phase`) holds no other bench's
// code in its peak RSS.

type Bench = (args: string[]) => Promise<Record<string, unknown>>;

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand (tsx's CommonJS hook) */
const benches: Record<string, () => Bench> = {
  api: () => (require('./api') as typeof import('./api')).benchApi,
  seed: () => (require('./seed') as typeof import('./seed')).benchSeed,
  bundles: () => (require('./bundles') as typeof import('./bundles')).benchBundles,
  console: () => (require('./console') as typeof import('./console')).benchConsole,
  // `--chunks N`: the day in one task against the same day in N chunks (bench/etl-chunks.ts).
  etl: () => (args) =>
    args.includes('--chunks')
      ? (require('./etl-chunks') as typeof import('./etl-chunks')).benchEtlChunks(args)
      : (require('./etl') as typeof import('./etl')).benchEtl(args),
  'etl-chunk-task': () =>
    (require('./etl-chunks') as typeof import('./etl-chunks')).benchEtlChunkTask,
  'etl-phase': () => (require('./etl') as typeof import('./etl')).benchEtlPhase,
  start: () => (require('./start') as typeof import('./start')).benchStart,
  sync: () => (require('./sync') as typeof import('./sync')).benchSync,
};
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name ? benches[name] : undefined;
  if (!load) {
    process.stderr.write(
      `usage: npm run bench -- <${Object.keys(benches).join('|')}> [flags]; got '${name ?? ''}'\n`,
    );
    process.exitCode = 2;
    return;
  }
  const figures = await load()(args);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

void main();
