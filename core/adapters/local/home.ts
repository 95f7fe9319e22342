import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ThermoclineError } from '#core/errors';

/** THERMOCLINE_HOME (or a folder in it) cannot be written: the real cause, and what to do. */
export class HomeNotWritableError extends ThermoclineError {
  constructor(
    message: string,
    /** The file-system error code behind it: EROFS, EACCES, ENOSPC, ENOTDIR, … */
    readonly fsCode: string,
  ) {
    super(message, 'home_not_writable', 2);
  }
}

const CAUSES: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'a part of the path is a file, not a folder',
};

/**
 * Creates `dir` (and its parents) like `mkdir -p`, but when it fails says why: Node's recursive
 * mkdir reports ENOENT for a read-only or full file system, so the nearest existing ancestor is
 * probed for the real cause (EROFS, EACCES, ENOSPC, …).
 * @example
 * await makeDirectory('.thermocline/lake');
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw await explain(dir, error as NodeJS.ErrnoException);
  }
}

/**
 * Checks that THERMOCLINE_HOME can be written before work starts (creating it when missing): a
 * small probe file is written and removed. A read-only, full or foreign home fails here with its
 * real cause and the fix — not halfway through a run.
 * @example
 * await assertWritableHome(context.home);
 */
export async function assertWritableHome(home: string): Promise<void> {
  await makeDirectory(home);
  const probe = join(home, `.write-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await writeFile(probe, 'thermocline');
  } catch (error) {
    throw await explain(home, error as NodeJS.ErrnoException);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/**
 * The {@link HomeNotWritableError} for a file-system error code (EROFS, EACCES, ENOSPC, …) met
 * while writing under `dir`, or undefined for other codes.
 * @example
 * homeError('.thermocline/pgdata', 'ENOSPC')?.message; // 'cannot write to …: no space left …'
 */
export function homeError(
  dir: string,
  code: string,
  where = dir,
): HomeNotWritableError | undefined {
  const cause = CAUSES[code];
  if (!cause) return undefined;
  return new HomeNotWritableError(
    `cannot write to ${dir}: ${cause} (${code}${where === dir ? '' : ` at ${where}`}). ` +
      (code === 'ENOSPC' || code === 'EDQUOT'
        ? 'Free some space there, or set THERMOCLINE_HOME (or --home) to a folder on another disk.'
        : 'Set THERMOCLINE_HOME (or --home) to a folder you can write, or fix its permissions.'),
    code,
  );
}

/**
 * A file-system error met anywhere under THERMOCLINE_HOME, in the same words as
 * {@link homeError} when its code is one of a read-only, full or forbidden place; else undefined.
 * @example
 * fileSystemError(error, '.thermocline') ?? error;
 */
export function fileSystemError(error: unknown, home: string): HomeNotWritableError | undefined {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  // Only the codes a write alone meets: EACCES or ENOTDIR may come from reading a user's file.
  return code && WRITE_ONLY_CODES.has(code) ? homeError(path ?? home, code) : undefined;
}

const WRITE_ONLY_CODES = new Set(['EROFS', 'ENOSPC', 'EDQUOT']);

async function explain(dir: string, error: NodeJS.ErrnoException): Promise<Error> {
  // mkdir -p through a file fails with EEXIST: the path runs through a file.
  let code = error.code === 'EEXIST' ? 'ENOTDIR' : (error.code ?? 'UNKNOWN');
  let where = dir;
  if (code === 'ENOENT') {
    // Find the nearest ancestor that exists and try to create the next folder there ourselves.
    let child = dir;
    let parent = dirname(dir);
    while (parent !== child && !(await exists(parent))) {
      child = parent;
      parent = dirname(parent);
    }
    try {
      await mkdir(child);
      await rm(child, { recursive: true, force: true });
    } catch (probeError) {
      code = (probeError as NodeJS.ErrnoException).code ?? code;
      where = parent;
    }
  }
  return homeError(dir, code, where) ?? error;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
