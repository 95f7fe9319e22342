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
        .catch((error: unknown) => post({ type: 'failed', message: String(error) }))
        .finally(() => port.close());
    });
    post({ type: 'ready', port: listening });
  } catch (error) {
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    port.close();
  }
}

void main();
