import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Catalog, CatalogPartition, CatalogTable } from '#ports/catalog';

interface CatalogFile {
  format: 1;
  tables: Record<string, CatalogTable & { partitions: Record<string, CatalogPartition> }>;
}

/** Options of a {@link FileCatalog}. */
export interface FileCatalogOptions {
  /**
   * How long a change waits for another writer's lock file before it fails, naming the lock.
   * @default 20_000 - twenty seconds, far longer than any change holds the lock
   */
  readonly lockWaitMs?: number;
}

/**
 * The catalog in a local JSON file (the local runtime's Glue): tables, schemas, partitions with
 * their current version, rows and bytes. Every change is a read-modify-write under a lock file,
 * written to a temporary file and renamed, so readers see the old or the new catalog, never half.
 * @example
 * const catalog = new FileCatalog('.thermocline/catalog.json');
 * await catalog.listPartitions('agent_tasks');
 */
export class FileCatalog implements Catalog {
  readonly path: string;
  readonly description: string;
  private readonly lockWaitMs: number;

  constructor(path: string, options: FileCatalogOptions = {}) {
    this.path = resolve(path);
    this.description = this.path;
    this.lockWaitMs = options.lockWaitMs ?? 20_000;
  }

  async ensureTable(table: CatalogTable): Promise<void> {
    await this.update((file) => {
      const existing = file.tables[table.name];
      file.tables[table.name] = { ...table, partitions: existing?.partitions ?? {} };
    });
  }

  async getTable(name: string): Promise<CatalogTable | undefined> {
    const table = (await this.read()).tables[name];
    return table ? withoutPartitions(table) : undefined;
  }

  async listTables(): Promise<CatalogTable[]> {
    return Object.values((await this.read()).tables).map(withoutPartitions);
  }

  async putPartitions(table: string, partitions: readonly CatalogPartition[]): Promise<void> {
    await this.update((file) => {
      const entry = file.tables[table];
      if (!entry) throw new Error(`catalog ${this.path} has no table '${table}': ensure it first`);
      for (const partition of partitions) entry.partitions[keyOf(partition.values)] = partition;
    });
  }

  async deletePartitions(table: string, values: readonly (readonly string[])[]): Promise<void> {
    await this.update((file) => {
      const entry = file.tables[table];
      for (const v of values) if (entry) delete entry.partitions[keyOf(v)];
    });
  }

  async getPartition(
    table: string,
    values: readonly string[],
  ): Promise<CatalogPartition | undefined> {
    return (await this.read()).tables[table]?.partitions[keyOf(values)];
  }

  async listPartitions(table: string): Promise<CatalogPartition[]> {
    const entry = (await this.read()).tables[table];
    return entry ? Object.values(entry.partitions).sort(byValues) : [];
  }

  private async read(): Promise<CatalogFile> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as CatalogFile;
      if (parsed.format !== 1 || typeof parsed.tables !== 'object') {
        throw new Error(`unknown catalog format in ${this.path}`);
      }
      return parsed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, tables: {} };
      throw error;
    }
  }

  private async update(change: (file: CatalogFile) => void): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const lock = `${this.path}.lock`;
    const started = Date.now();
    for (;;) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (Date.now() - started > this.lockWaitMs) {
          throw new Error(
            `catalog ${this.path} is locked by ${lock}; if no Thermocline process is running, delete it`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    try {
      const file = await this.read();
      change(file);
      const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`);
      await rename(temporary, this.path);
    } finally {
      await rm(lock, { force: true });
    }
  }
}

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

function withoutPartitions(entry: CatalogTable & { partitions?: unknown }): CatalogTable {
  const { partitions: _partitions, ...table } = entry;
  return table;
}
