import { randomBytes } from 'node:crypto';
import {
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isProcessAlive, ownerPid } from '#adapters/local/local-process';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';

interface CatalogFile {
  format: 1;
  tables: Record<string, CatalogTable & { partitions: Record<string, CatalogPartition> }>;
}

/** Options of a {@link FileCatalog}. */
export interface FileCatalogOptions {
  /**
   * How long a change waits for a live writer's lock file before it fails, naming the lock (the
   * lock of a process that no longer runs is taken over at once).
   * @default 20_000 - twenty seconds, far longer than any change holds the lock
   */
  readonly lockWaitMs?: number;
}

/**
 * The catalog in a local JSON file (the local runtime's Glue): tables, schemas, partitions with
 * their current version, rows and bytes. Every change is a read-modify-write under a lock file,
 * written to a temporary file and renamed, so readers see the old or the new catalog, never half.
 * A lock or temporary file left by a killed process (its pid no longer runs) is removed by the
 * next change. The parsed file is kept between calls while the file on disk is the same one
 * (inode, size, modification and change times): a read of an unchanged catalog costs a `stat`,
 * not a parse of the whole file; callers get copies, never the kept objects.
 * @example
 * const catalog = new FileCatalog('.thermocline/catalog.json');
 * await catalog.listPartitions('agent_tasks');
 */
export class FileCatalog implements Catalog {
  readonly path: string;
  readonly description: string;
  private readonly lockWaitMs: number;
  /** Whether an update of this object already removed dead processes' temporary files. */
  private swept = false;
  /** The file as last read or written, and the identity of the file on disk it was. */
  private kept: { readonly identity: string; readonly file: CatalogFile } | undefined;

  constructor(path: string, options: FileCatalogOptions = {}) {
    this.path = resolve(path);
    this.description = this.path;
    this.lockWaitMs = options.lockWaitMs ?? 20_000;
  }

  /**
   * Creates or replaces the table's entry. When its columns change, each partition that does not
   * record its own columns yet (published before partitions did) gets the columns the table had
   * until now — the ones its files hold — in the same atomic write.
   */
  async ensureTable(table: CatalogTable): Promise<void> {
    await this.update((file) => {
      const existing = file.tables[table.name];
      const partitions = existing?.partitions ?? {};
      // The same entry again (each export of a table ensures it): the file stays as it is.
      if (existing && sameJson({ ...existing, partitions: {} }, { ...table, partitions: {} })) {
        return false;
      }
      if (existing && JSON.stringify(existing.columns) !== JSON.stringify(table.columns)) {
        for (const [key, partition] of Object.entries(partitions)) {
          if (!partition.columns) partitions[key] = { ...partition, columns: existing.columns };
        }
      }
      file.tables[table.name] = { ...asWritten(table), partitions };
      return true;
    });
  }

  async getTable(name: string): Promise<CatalogTable | undefined> {
    const table = (await this.read()).tables[name];
    return table ? structuredClone(withoutPartitions(table)) : undefined;
  }

  async listTables(): Promise<CatalogTable[]> {
    return structuredClone(Object.values((await this.read()).tables).map(withoutPartitions));
  }

  async putPartitions(table: string, partitions: readonly CatalogPartition[]): Promise<void> {
    await this.update((file) => {
      const entry = file.tables[table];
      if (!entry) throw new Error(`catalog ${this.path} has no table '${table}': ensure it first`);
      for (const partition of partitions) {
        entry.partitions[keyOf(partition.values)] = asWritten(partition);
      }
      return true;
    });
  }

  async deletePartitions(table: string, values: readonly (readonly string[])[]): Promise<void> {
    await this.update((file) => {
      const entry = file.tables[table];
      for (const v of values) if (entry) delete entry.partitions[keyOf(v)];
      return true;
    });
  }

  async getPartition(
    table: string,
    values: readonly string[],
  ): Promise<CatalogPartition | undefined> {
    const partition = (await this.read()).tables[table]?.partitions[keyOf(values)];
    return partition ? structuredClone(partition) : undefined;
  }

  async listPartitions(table: string): Promise<CatalogPartition[]> {
    const entry = (await this.read()).tables[table];
    return entry ? structuredClone(Object.values(entry.partitions)).sort(byValues) : [];
  }

  /**
   * The catalog file, parsed — the kept one while the file on disk is the one it was read from or
   * written as. Never mutated by the caller but {@link update} (under the lock).
   */
  private async read(): Promise<CatalogFile> {
    let text: string;
    let identity: string;
    try {
      // The identity and the text of one open file: a writer renames a new file in its place.
      const handle = await open(this.path, 'r');
      try {
        identity = identityOf(await handle.stat({ bigint: true }));
        if (this.kept?.identity === identity) return this.kept.file;
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, tables: {} };
      throw error;
    }
    let parsed: Partial<CatalogFile> | null;
    try {
      parsed = JSON.parse(text) as Partial<CatalogFile> | null;
    } catch (error) {
      throw this.damaged(text.trim() === '' ? 'it is empty' : (error as Error).message);
    }
    if (parsed?.format !== 1 || typeof parsed.tables !== 'object' || parsed.tables === null) {
      throw this.damaged(`unknown catalog format (expected {"format": 1, "tables": {…}})`);
    }
    this.kept = { identity, file: parsed as CatalogFile };
    return parsed as CatalogFile;
  }

  /**
   * The error for a catalog file that cannot be read as one (never replaced by an empty catalog:
   * that would unpublish every day, and let retention and the next export act on nothing).
   */
  private damaged(why: string): Error {
    return new Error(
      `catalog ${this.path} is damaged: ${why}. Nothing was changed. Restore the file from a ` +
        `backup, or move it aside and re-export the days still hot with \`thermocline backfill ` +
        `--from D --to D\` (the lake's version folders and _manifests/ are untouched)`,
    );
  }

  /**
   * Read-modify-write under the lock; `change` returns false when it changed nothing (the file is
   * then left as it is). It changes the kept file in place: forgotten unless the write succeeds.
   */
  private async update(change: (file: CatalogFile) => boolean): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const token = await this.lock();
    try {
      if (!this.swept) {
        await this.sweepTemporaries();
        this.swept = true;
      }
      const file = await this.read();
      const kept = this.kept;
      this.kept = undefined;
      if (!change(file)) {
        this.kept = kept;
        return;
      }
      const temporary = this.temporaryName();
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`);
      await rename(temporary, this.path);
      this.kept = { identity: identityOf(await stat(this.path, { bigint: true })), file };
    } finally {
      await this.unlock(token);
    }
  }

  /**
   * Takes the lock file `<catalog>.lock` (created exclusively, holding `<pid> <token>`), waiting
   * for a live holder up to `lockWaitMs`. A lock whose pid no longer runs — left by a killed
   * process — is taken over at once: it is first renamed away (atomic, so of two processes
   * taking it over only one gets it), and its temporary files are removed.
   */
  private async lock(): Promise<string> {
    const lock = this.lockPath;
    const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
    const started = Date.now();
    for (;;) {
      try {
        await writeFile(lock, token, { flag: 'wx' });
        return token;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readLockFile(lock);
      if (holder && holder.ended) {
        if (await this.breakDeadLock(holder.text)) await this.sweepTemporaries();
        continue;
      }
      if (Date.now() - started > this.lockWaitMs) {
        const who = holder?.pid ? ` (pid ${holder.pid}, which is running)` : '';
        throw new Error(
          `catalog ${this.path} is locked by ${lock}${who}; wait for that Thermocline process to ` +
            `finish — if no Thermocline process is running, delete the lock file`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Takes a dead holder's lock (content `text`) away, one process at a time: under the breaker
   * file `<catalog>.lock.break` (created exclusively), the lock is read again and moved only while
   * it is still that dead one. Without the breaker, a process that read the dead lock could move
   * away the live lock another process had just taken in its place — and, when a third took the
   * freed name before it was put back, two processes held the lock at once and one's catalog
   * update was lost. A breaker left by a process that died in here is removed like a dead lock.
   * True when the dead lock is gone.
   */
  private async breakDeadLock(text: string): Promise<boolean> {
    const breaker = `${this.lockPath}.break`;
    const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(breaker, token, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const other = await readLockFile(breaker);
      if (other?.ended) await rm(breaker, { force: true });
      else await new Promise((r) => setTimeout(r, 5));
      return false;
    }
    try {
      if ((await readLockFile(this.lockPath))?.text !== text) return false; // already replaced
      return await this.takeOver(text);
    } finally {
      if ((await readFile(breaker, 'utf8').catch(() => undefined)) === token) {
        await rm(breaker, { force: true });
      }
    }
  }

  /**
   * Removes a dead holder's lock whose content is `text`: renames it to a temporary name and
   * checks it is still that lock (another process may have taken the dead lock over and locked
   * anew in between: that fresh lock is put back). True when the dead lock is gone.
   */
  private async takeOver(text: string): Promise<boolean> {
    const aside = this.temporaryName();
    try {
      await rename(this.lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // already gone
      throw error;
    }
    const moved = await readFile(aside, 'utf8').catch(() => text);
    if (moved !== text) {
      await link(aside, this.lockPath).catch(() => undefined);
      await rm(aside, { force: true });
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }

  /** Releases the lock when it is still this update's (a live lock is never taken over). */
  private async unlock(token: string): Promise<void> {
    const text = await readFile(this.lockPath, 'utf8').catch(() => undefined);
    if (text === token) await rm(this.lockPath, { force: true });
  }

  /**
   * Removes `<catalog>.*.tmp` files — half-written catalogs and lock files set aside — of
   * processes that no longer run (one named without a pid, written before names carried one,
   * can only be a dead update's: the lock this process holds now was free).
   */
  private async sweepTemporaries(): Promise<void> {
    const folder = dirname(this.path);
    const prefix = `${basename(this.path)}.`;
    for (const name of await readdir(folder)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const pid = ownerPid(name, prefix);
      if (pid === undefined || !isProcessAlive(pid)) await rm(join(folder, name), { force: true });
    }
  }

  /** `<catalog>.<pid>-<random>.tmp`, in the catalog's folder (a rename stays on one file system). */
  private temporaryName(): string {
    return `${this.path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }
}

/** Who holds a lock file: its pid (0 when unreadable) and whether that process has ended. */
async function readLockFile(
  path: string,
): Promise<{ text: string; pid: number; ended: boolean } | undefined> {
  let text: string;
  let modified: number;
  try {
    [text, modified] = await Promise.all([
      readFile(path, 'utf8'),
      stat(path).then((info) => info.mtimeMs),
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // just released
    throw error;
  }
  const pid = Number(/^(\d+)/.exec(text)?.[1] ?? 0);
  // Empty: its writer is between creating and writing it — or died there (then it is old).
  if (pid === 0) return { text, pid, ended: Date.now() - modified > UNREADABLE_LOCK_MS };
  return { text, pid, ended: !isProcessAlive(pid) };
}

/** A lock file without a pid is a dead writer's once this old. */
const UNREADABLE_LOCK_MS = 5_000;

/**
 * A partition's values as the key of its entry in the file: the values joined by `/`, with `%` and
 * `/` inside a value escaped so that ['a/b', 'c'] and ['a', 'b/c'] get different keys (values
 * without either character keep the plain joined key older files have).
 */
function keyOf(values: readonly string[]): string {
  return values.map((v) => v.replaceAll('%', '%25').replaceAll('/', '%2F')).join('/');
}

/** Orders partitions by their values, first value first (as the Glue catalog does). */
function byValues(a: CatalogPartition, b: CatalogPartition): number {
  for (let i = 0; i < Math.min(a.values.length, b.values.length); i += 1) {
    const x = a.values[i] ?? '';
    const y = b.values[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.values.length - b.values.length;
}

/** A file on disk as the catalog tells its versions apart (a rewrite in place changes the times). */
function identityOf(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/** A value as a read of the written file gives it back (and no longer the caller's object). */
function asWritten<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withoutPartitions(entry: CatalogTable & { partitions?: unknown }): CatalogTable {
  const { partitions: _partitions, ...table } = entry;
  return table;
}
