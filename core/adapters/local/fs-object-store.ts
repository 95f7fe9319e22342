import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  copyFile,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isProcessAlive, ownerPid } from '#adapters/local/local-process';
import type { ObjectInfo, ObjectStore, StoredObject } from '#ports/object-store';

/** Temporary files are named `.tmp-<pid>-<random>` in the folder of the object they become. */
const TEMPORARY = '.tmp-';

/**
 * A temporary file named without a pid (written before names carried one) counts as a dead
 * writer's once untouched this long: a put lives for one copy.
 */
const UNOWNED_TEMPORARY_MS = 3_600_000;

/**
 * The object store on a local directory: the local runtime's data lake. Objects appear
 * atomically: each is written to a hidden temporary name in its folder (`.tmp-<pid>-<random>`,
 * never listed), then renamed; {@link FsObjectStore.sweep} removes those of processes that died.
 * @example
 * const lake = new FsObjectStore('.thermocline/lake');
 * await lake.putText('agent_tasks/_manifests/2025-02-15.json', '{}');
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Copies the file to a temporary name, hashes the copy (the bytes stored), then renames it. */
  async putFile(key: string, path: string): Promise<StoredObject> {
    const target = this.pathOf(key);
    const temporary = await this.temporaryFor(target);
    let stored: { bytes: number; sha256: string };
    try {
      await copyFile(path, temporary);
      stored = await hashFile(temporary);
      await rename(temporary, target);
    } catch (error) {
      await this.discard(temporary);
      throw error;
    }
    return { key, ...stored };
  }

  async putText(key: string, text: string): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    const temporary = await this.temporaryFor(target);
    try {
      await writeFile(temporary, text);
      await rename(temporary, target);
    } catch (error) {
      await this.discard(temporary);
      throw error;
    }
    return { key, bytes: Buffer.byteLength(text) };
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const handle = await open(this.pathOf(key), 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async sha256(key: string): Promise<StoredObject | undefined> {
    try {
      return { key, ...(await hashFile(this.pathOf(key))) };
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, bytes: info.size } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // Walk the deepest existing folder of the prefix, then filter by the full prefix.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const start = this.pathOf(folder || '.');
    const entries = await readdir(start, { recursive: true, withFileTypes: true }).catch(
      (error: unknown) => {
        if (isMissing(error)) return [];
        throw error;
      },
    );
    const objects: ObjectInfo[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith(TEMPORARY)) continue;
      const path = join(entry.parentPath, entry.name);
      const key = relative(this.root, path).split(sep).join('/');
      if (key.startsWith(prefix)) objects.push({ key, bytes: (await stat(path)).size });
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (const object of objects) await rm(this.pathOf(object.key), { force: true });
    const folders = new Set(objects.map((object) => dirname(this.pathOf(object.key))));
    for (const folder of folders) await this.pruneEmptyFolders(folder);
    return objects.length;
  }

  /**
   * Removes the temporary files under `prefix` whose writer has ended (its pid no longer runs;
   * one named without a pid once untouched for an hour), then the folders that leaves empty. A
   * live writer's file is never touched.
   * @example
   * await lake.sweep('agent_tasks/year=2025/month=02/day=15/'); // 1: a killed run's half copy
   */
  async sweep(prefix: string): Promise<number> {
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const entries = await readdir(this.pathOf(folder || '.'), {
      recursive: true,
      withFileTypes: true,
    }).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    const emptied = new Set<string>();
    let removed = 0;
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.startsWith(TEMPORARY)) continue;
      const path = join(entry.parentPath, entry.name);
      if (!relative(this.root, path).split(sep).join('/').startsWith(prefix)) continue;
      if (!(await writerEnded(entry.name, path))) continue;
      await rm(path, { force: true });
      removed += 1;
      emptied.add(entry.parentPath);
    }
    for (const parent of emptied) await this.pruneEmptyFolders(parent);
    return removed;
  }

  locate(key: string): string {
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    if (key.startsWith('/') || key.split('/').some((part) => part === '..')) {
      throw new Error(`invalid lake key '${key}': keys are relative and have no '..' segments`);
    }
    return join(this.root, ...key.split('/'));
  }

  private async temporaryFor(target: string): Promise<string> {
    await mkdir(dirname(target), { recursive: true });
    return join(dirname(target), `${TEMPORARY}${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Removes a failed put's temporary file, and the folders that leaves empty: a put that failed
   * (a full disk) in a new version folder would otherwise leave that folder behind, empty, which
   * no listing shows and so no clean removes.
   */
  private async discard(temporary: string): Promise<void> {
    await rm(temporary, { force: true });
    await this.pruneEmptyFolders(dirname(temporary)).catch(() => undefined);
  }

  /**
   * Removes `folder` and then its parents while they are empty, stopping below the lake root.
   * `rmdir` refuses a folder that is not empty (also one a concurrent put has just written to),
   * which ends the climb; a folder an earlier climb already removed ends it too.
   */
  private async pruneEmptyFolders(folder: string): Promise<void> {
    while (folder.startsWith(`${this.root}${sep}`)) {
      try {
        await rmdir(folder);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
        throw error;
      }
      folder = dirname(folder);
    }
  }
}

/** Size and SHA-256 of a file, read as a stream. */
async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Whether the process that wrote temporary file `name` at `path` has ended. */
async function writerEnded(name: string, path: string): Promise<boolean> {
  const pid = ownerPid(name, TEMPORARY);
  if (pid !== undefined) return !isProcessAlive(pid);
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > UNOWNED_TEMPORARY_MS;
}

/** Whether a file-system error means "no such object": the path, or a folder on it, is missing. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
