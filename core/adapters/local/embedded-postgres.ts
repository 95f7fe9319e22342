import { readFile, rm, writeFile } from 'node:fs/promises';
import {
  assertWritableHome,
  fileSystemError,
  homeError,
  makeDirectory,
} from '#adapters/local/home';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DatabaseUnavailableError } from '#core/errors';
import { isProcessAlive } from '#adapters/local/local-process';
import type { PgliteWorkerData, PgliteWorkerMessage } from '#adapters/local/pglite-worker';

/** A running embedded PostgreSQL, reachable over the wire on a loopback port. */
export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /**
   * `owner`: this process opened PGlite and serves it; `shared`: another Thermocline process
   * (e.g. a running `thermocline up`) serves it and this one connects to that.
   */
  readonly role: 'owner' | 'shared';
  /** The pid of the process that serves the database. */
  readonly pid: number;
  /** Stops serving and closes PGlite (owner), or does nothing (shared). */
  stop(): Promise<void>;
}

interface LockFile {
  pid: number;
  port: number | null;
  dataDir: string;
  startedAt: string;
}

const HOST = '127.0.0.1';

/**
 * Opens the embedded database persisted under `home/pgdata`. PGlite allows one process per data
 * directory, so the process that opens it writes `home/postgres.json` (pid and port) and serves
 * it on a free loopback port; any other Thermocline process finds that file and connects to the
 * same server instead of opening the files a second time. A lock left by a dead process is
 * replaced.
 * @example
 * const pg = await openEmbeddedPostgres('.thermocline');
 * // postgres://postgres@127.0.0.1:${pg.port}/postgres
 * await pg.stop();
 */
export async function openEmbeddedPostgres(home: string): Promise<EmbeddedPostgres> {
  const dataDir = join(home, 'pgdata');
  const lockPath = join(home, 'postgres.json');
  await makeDirectory(home);

  for (let attempt = 0; attempt < 50; attempt++) {
    const lock = await readLock(lockPath);
    if (lock && isProcessAlive(lock.pid)) {
      if (lock.port !== null && (await answers(HOST, lock.port))) {
        return { host: HOST, port: lock.port, dataDir, role: 'shared', pid: lock.pid, stop: noop };
      }
      await delay(200); // the owner is still starting: wait for its port
      continue;
    }
    if (lock) await rm(lockPath, { force: true }); // its process is gone
    const mine: LockFile = {
      pid: process.pid,
      port: null,
      dataDir,
      startedAt: new Date().toISOString(),
    };
    try {
      await writeFile(lockPath, JSON.stringify(mine), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // lost a race: re-read
      throw fileSystemError(error, home) ?? error;
    }
    return await startOwned(lockPath, mine);
  }
  throw new DatabaseUnavailableError(
    `the embedded database at ${dataDir} is held by another process that does not serve it ` +
      `(see ${lockPath}); stop that process, or delete ${lockPath} if no Thermocline process runs`,
  );
}

async function startOwned(lockPath: string, lock: LockFile): Promise<EmbeddedPostgres> {
  const worker = new Worker(join(__dirname, 'pglite-worker.cjs'), {
    workerData: { dataDir: lock.dataDir, host: HOST } satisfies PgliteWorkerData,
  });
  const next = (): Promise<PgliteWorkerMessage> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number): void =>
        reject(new Error(`the embedded database thread exited with code ${code}`));
      worker.once('exit', onExit);
      worker.once('error', reject);
      worker.once('message', (message: PgliteWorkerMessage) => {
        worker.off('exit', onExit);
        worker.off('error', reject);
        resolve(message);
      });
    });
  try {
    const started = await next();
    if (started.type !== 'ready')
      throw new Error(started.type === 'failed' ? started.message : started.type);
    await writeFile(lockPath, JSON.stringify({ ...lock, port: started.port }));
    return {
      host: HOST,
      port: started.port,
      dataDir: lock.dataDir,
      role: 'owner',
      pid: process.pid,
      stop: async () => {
        const stopped = next();
        worker.postMessage('stop');
        const result = await stopped.catch(
          (error: Error) => ({ type: 'failed', message: error.message }) as const,
        );
        await rm(lockPath, { force: true });
        if (result.type === 'failed') {
          throw new Error(`the embedded database did not stop cleanly: ${result.message}`);
        }
      },
    };
  } catch (error) {
    await worker.terminate();
    await rm(lockPath, { force: true });
    // A read-only or full home is the usual cause: PGlite's own code, else a probe, names it.
    const code = /^(E[A-Z]+): /.exec((error as Error).message)?.[1];
    const fsError = code ? homeError(lock.dataDir, code) : undefined;
    if (fsError) throw fsError;
    await assertWritableHome(dirname(lockPath));
    throw new DatabaseUnavailableError(
      `could not open the embedded database at ${lock.dataDir}: ${(error as Error).message}. ` +
        `If the directory is damaged, move it away and run again to start an empty one.`,
    );
  }
}

/** The owner recorded in the lock file; a lock that cannot be read counts as stale (pid -1). */
async function readLock(path: string): Promise<Pick<LockFile, 'pid' | 'port'> | undefined> {
  const stale = { pid: -1, port: null };
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockFile>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, port: parsed.port ?? null } : stale;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : stale;
  }
}

/** True when something accepts TCP connections on host:port within a second. */
export function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const noop = async (): Promise<void> => undefined;
