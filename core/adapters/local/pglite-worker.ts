import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PgWireServer } from '#adapters/local/pg-wire-server';

/** What the embedded database's worker thread is started with. */
export interface PgliteWorkerData {
  readonly dataDir: string;
  readonly host: string;
}

/** Messages from the worker: ready (with the port), stopped, or failed. */
export type PgliteWorkerMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };

// PGlite runs its WebAssembly Postgres synchronously on the thread that calls it; in a worker
// thread it neither blocks the CLI's event loop nor competes with it for one core.
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker must run as a worker thread');
  const { dataDir, host } = workerData as PgliteWorkerData;
  const post = (message: PgliteWorkerMessage): void => port.postMessage(message);
  try {
    const db = await PGlite.create(dataDir);
    const server = new PgWireServer(db);
    const listening = await server.start({ host, port: 0 });
    port.on('message', (message: unknown) => {
      if (message !== 'stop') return;
      void server
        .stop()
        .then(() => db.close())
        .then(() => post({ type: 'stopped' }))
        .catch((error: unknown) => post({ type: 'failed', message: describe(error) }))
        .finally(() => port.close());
    });
    post({ type: 'ready', port: listening });
  } catch (error) {
    post({ type: 'failed', message: describe(error) });
    port.close();
  }
}

/** WASI errno numbers PGlite's file system reports, by the POSIX code they stand for. */
const WASI_ERRNO: Readonly<Record<number, string>> = {
  2: 'EACCES',
  19: 'EDQUOT',
  44: 'ENOENT',
  51: 'ENOSPC',
  63: 'EPERM',
  69: 'EROFS',
};

/**
 * PGlite's file-system errors are plain objects (`{ name: 'ErrnoError', errno: 51 }`), not
 * Errors: say what they hold, starting with the POSIX code (`ENOSPC: …`) when it is known.
 */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const errno = (error as { errno?: unknown } | null)?.errno;
  const code = typeof errno === 'number' ? WASI_ERRNO[errno] : undefined;
  if (code) return `${code}: PGlite's file system failed (errno ${String(errno)})`;
  if (error && typeof error === 'object') {
    try {
      return JSON.stringify(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}

void main();
