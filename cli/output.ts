/** Output helpers: aligned text tables for people, JSON for programs. */
import { isConnectionLoss } from '#core/transient';

/**
 * Formats rows as an aligned text table (numbers right-aligned).
 * @example
 * formatTable(['table', 'rows'], [['agents', 24]]);
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
): string {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number'),
  );
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Writes one JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes lines to stdout. */
export function print(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Sets the exit code of a run that had failures: 3 when any failed on a lost or refused database
 * connection (retries spent: the database is unreachable), else 1. Returns the code.
 * @example
 * failRun(['TransientError: Connection terminated unexpectedly']); // 3
 */
export function failRun(failureMessages: readonly string[]): 1 | 3 {
  const code = failureMessages.some(isConnectionLoss) ? 3 : 1;
  // A lost database outranks other failures; never lower a code already set.
  process.exitCode = Math.max(typeof process.exitCode === 'number' ? process.exitCode : 0, code);
  return code;
}
