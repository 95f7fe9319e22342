/**
 * `thermocline serve`: the query API handler (the one API Gateway runs) behind the local HTTP
 * server over the local query service; `up` (npm start) starts the same.
 */
import type { Command } from 'commander';
import { parseWhole } from '#cli/args';
import { createContext, type GlobalOptions } from '#cli/context';
import { print } from '#cli/output';
import { API_ROUTES } from '#core/api/handler';
import { startLocalApi, type RunningApi } from '#runtime/local/api-runtime';
import { DEFAULT_API_PORT, localUser } from '#runtime/local/local-runtime';

interface ServeFlags {
  readonly port?: string;
}

/** How long a stopping `serve` or `up` may take before the process exits anyway. */
export const STOP_DEADLINE_MS = 10_000;

/** What `serve` and `npm start` print about the running API. */
export function describeApi(api: RunningApi): string[] {
  return [
    `Console on ${api.server.url}/ (coverage, runs, costs, query, catalog)`,
    `Query API on ${api.server.url} (caller local:${localUser()}); try:`,
    ...api.examples.map((line) => `  ${line}`),
    `  # routes: ${API_ROUTES.map((r) => `${r.method} ${r.resource}`).join(', ')}`,
  ];
}

/**
 * Resolves on SIGINT or SIGTERM (Ctrl-C, `kill`), for the caller to stop what it serves. From
 * then on the process has {@link STOP_DEADLINE_MS} to end on its own: past that, or on a second
 * signal, it exits at once (code 1) saying so — a plan stuck in an engine never keeps it alive.
 */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const exitNow = (why: string): void => {
        process.stderr.write(`thermocline: ${why}; exiting now\n`);
        process.exit(1);
      };
      setTimeout(
        () => exitNow(`did not stop within ${STOP_DEADLINE_MS / 1000} s`),
        STOP_DEADLINE_MS,
      ).unref();
      process.once('SIGINT', () => exitNow('a second SIGINT'));
      process.once('SIGTERM', () => exitNow('a second SIGTERM'));
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Parses `--port`: 0 (a free port) to 65535.
 * @example
 * parsePort('3000'); // 3000
 */
export function parsePort(value: string | undefined): number {
  return value === undefined ? DEFAULT_API_PORT : parseWhole('--port', value, 0, 65535);
}

/** Registers `serve`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the query API (the handler API Gateway runs) on http://127.0.0.1:<port> until Ctrl-C',
    )
    .option('--port <n>', `port on 127.0.0.1; 0 picks a free one (default ${DEFAULT_API_PORT})`)
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline serve
  $ thermocline serve --port 3001`,
    )
    .action(async (flags: ServeFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const port = parsePort(flags.port);
      const db = await context.openDatabase();
      try {
        const api = await startLocalApi(context, db, port, { quiet: false });
        try {
          print(...describeApi(api), 'Press Ctrl-C to stop.');
          await untilStopped();
          print('Stopping.');
        } finally {
          await api.close();
        }
      } finally {
        await db.close();
      }
    });
}
