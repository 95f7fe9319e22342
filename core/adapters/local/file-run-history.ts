import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunHistory, RunListing, RunRecord } from '#ports/run-history';

/**
 * The run history as a JSON-lines file (one {@link RunRecord} per line, appended). A line that is
 * not a run record — a write torn by a crash, a hand edit — is skipped and counted, never fatal.
 * @example
 * const history = new FileRunHistory('/home/ana/.thermocline/runs.jsonl');
 * await history.append(run);
 * (await history.list({ limit: 20 })).runs[0]?.kind; // 'etl'
 */
export class FileRunHistory implements RunHistory {
  constructor(readonly path: string) {}

  get description(): string {
    return this.path;
  }

  async append(run: RunRecord): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(run)}\n`);
  }

  async list(options: { readonly limit?: number } = {}): Promise<RunListing> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], damaged: 0 };
      throw error;
    }
    const runs: RunRecord[] = [];
    let damaged = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const run = parseRun(line);
      if (run) runs.push(run);
      else damaged++;
    }
    runs.reverse();
    return { runs: options.limit === undefined ? runs : runs.slice(0, options.limit), damaged };
  }
}

/** A line as a run record, or undefined when it is not one. */
function parseRun(line: string): RunRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const run = value as Partial<RunRecord>;
  const ok =
    typeof run.id === 'string' &&
    typeof run.kind === 'string' &&
    typeof run.status === 'string' &&
    typeof run.startedAt === 'string' &&
    typeof run.finishedAt === 'string' &&
    typeof run.durationMs === 'number' &&
    Array.isArray(run.done) &&
    Array.isArray(run.failed);
  return ok ? (run as RunRecord) : undefined;
}
