/**
 * The retention rule as a pure function: given what is known about one old table-day (its day
 * manifest, the catalog, the files and their content, the hot rows' count and checksum, the
 * retention log), may its hot rows be deleted? Everything that is not a positive proof that the
 * lake holds exactly these rows holds the day, with a reason and the command that resolves it.
 */
import type { DayManifest } from '#etl/export';
import {
  addChecksums,
  checksumText,
  type ContentCheck,
  type ManifestRead,
  type RowsChecksum,
} from '#etl/retention/evidence';
import type { RetentionLogEntry } from '#etl/retention/log';

/** What is known about one table-day that still has hot rows. */
export interface DayFacts {
  readonly table: string;
  readonly day: string;
  readonly manifest: ManifestRead;
  /** Why the catalog does not serve the manifest's partitions (undefined: it does). */
  readonly catalogProblem?: string;
  /** Which published files are missing (undefined: all there). */
  readonly filesProblem?: string;
  /** What reading the files back found; undefined when not checked (the day is held). */
  readonly content?: Exclude<ContentCheck, { status: 'stopped' }>;
  /** The hot rows of the day now; undefined when not computed (the day is held before). */
  readonly hot?: RowsChecksum;
  /** The retention log's entry for the day, if any. */
  readonly log?: RetentionLogEntry;
}

/** The verdict on one day. */
export type DayDecision =
  | {
      readonly verdict: 'delete';
      /** A resumed day: the log's deleted rows count towards the manifest and are kept. */
      readonly keepDeleted: boolean;
    }
  | { readonly verdict: 'hold'; readonly reason: string; readonly recovery: string };

/**
 * The recovery command that re-exports one table-day (while its rows are still hot).
 * @example
 * backfillCommand('events', '2025-02-15'); // 'thermocline backfill --from 2025-02-15 --to 2025-02-15 --table events'
 */
export function backfillCommand(table: string, day: string): string {
  return `thermocline backfill --from ${day} --to ${day} --table ${table}`;
}

/**
 * The command that reconciles one table-day.
 * @example
 * verifyCommand('events', '2025-02-15'); // 'thermocline verify --from 2025-02-15 --to 2025-02-15 --table events'
 */
export function verifyCommand(table: string, day: string): string {
  return `thermocline verify --from ${day} --to ${day} --table ${table}`;
}

/**
 * Whether a day's hot rows may be deleted. Held when: there is no (readable) manifest; the
 * catalog does not point at the manifest's partitions; a published file is missing; a file's
 * content is not what was published, or cannot be checked (no hash recorded and no way to read
 * its rows back); the hot rows
 * (plus, for a resumed purge of the same data, the rows the log says are already deleted) differ
 * from the manifest in count or checksum; rows arrived after the day was purged; or the day was
 * re-published after a partial purge. The lake side is judged first ({@link lakeHold}), then the
 * hot rows ({@link hotRowsDecision}).
 * @example
 * decideDay({ table: 'events', day: '2025-02-15', manifest: { problem: 'no manifest (…)' } });
 * // { verdict: 'hold', reason: 'no manifest (…): the day was never published', recovery: 'thermocline backfill …' }
 */
export function decideDay(facts: DayFacts): DayDecision {
  const { table, day, manifest: read } = facts;
  if (!read.manifest) {
    return hold(
      read.problem.startsWith('no manifest')
        ? `${read.problem}: the day was never published`
        : read.problem,
      backfillCommand(table, day),
    );
  }
  return lakeHold(facts, read.manifest) ?? hotRowsDecision(facts, read.manifest);
}

/** The verdict that holds a day, with why and what resolves it. */
function hold(reason: string, recovery: string): DayDecision {
  return { verdict: 'hold', reason, recovery };
}

/**
 * Holds the day when the lake does not serve what the manifest published: the catalog points
 * elsewhere, a file is missing, a file's content changed or cannot be checked. Undefined when
 * none of these is known.
 */
function lakeHold(facts: DayFacts, manifest: DayManifest): DayDecision | undefined {
  const { table, day, log } = facts;
  const backfill = backfillCommand(table, day);
  if (facts.catalogProblem) {
    return hold(
      `catalog points elsewhere: ${facts.catalogProblem} (re-run backfill --from ${day} --to ${day} to publish the day again)`,
      backfill,
    );
  }
  // A day retention has begun to delete cannot be exported again: its files must be restored.
  const partlyPurged = !!log && (log.rowsDeleted > 0 || log.status !== 'deleting');
  const lakeRecovery = partlyPurged
    ? `restore the day's files from S3 object versions (docs/retention-and-recovery.md, "Recovery procedures"), then ${verifyCommand(table, day)}`
    : backfill;
  if (facts.filesProblem) {
    return hold(
      `missing files: ${facts.filesProblem} (re-run backfill --from ${day} --to ${day} while the rows are hot, or restore the files from S3 object versions)`,
      lakeRecovery,
    );
  }
  const content = facts.content;
  if (content?.status === 'corrupt') {
    return hold(
      `corrupt files: ${content.problem} (re-run backfill --from ${day} --to ${day} while the rows are hot, or restore the files from S3 object versions)`,
      lakeRecovery,
    );
  }
  if (content?.status === 'unverifiable') {
    return hold(
      `files not verifiable: ${content.problem} (re-run backfill --from ${day} --to ${day} to publish the day again with content hashes)`,
      partlyPurged
        ? `the day is partly purged and cannot be exported again: check its lake rows against the manifest (${manifest.rows} rows, e.g. in Athena), then delete its remaining hot rows by hand (docs/retention-and-recovery.md, "Recovery procedures")`
        : backfill,
    );
  }
  return undefined;
}

/**
 * The verdict from the hot rows, once the lake side holds nothing back: held when they were not
 * checked, arrived after the purge, or (with the rows a resumed purge of the same data already
 * deleted) differ from the manifest; deleted only when they match and the files were checked.
 */
function hotRowsDecision(facts: DayFacts, manifest: DayManifest): DayDecision {
  const { table, day, log, hot } = facts;
  if (!hot) return hold('hot rows not checked', verifyCommand(table, day));

  if (log && log.status !== 'deleting') {
    return hold(
      `${hot.rows} hot rows arrived after the day was purged (run ${log.manifestRunId}, ${log.rowsDeleted} rows deleted); ` +
        `do not backfill the day: it would replace the lake's rows with these only`,
      `${verifyCommand(table, day)}; then add the rows to the lake by hand or delete them`,
    );
  }
  let already: RowsChecksum = { rows: 0, sum: 0n };
  let keepDeleted = false;
  if (log && log.rowsDeleted > 0) {
    const sameData =
      log.manifestRunId === manifest.run_id || log.checksumExpected === manifest.checksum;
    if (!sameData) {
      return hold(
        `re-published (run ${manifest.run_id}, ${manifest.rows} rows) after its purge under run ` +
          `${log.manifestRunId} (${log.rowsExpected} rows) had deleted ${log.rowsDeleted} rows: the lake's day may lack them`,
        `restore the partitions of run ${log.manifestRunId} from S3 object versions (docs/retention-and-recovery.md, "Recovery procedures"), then purge again`,
      );
    }
    already = { rows: log.rowsDeleted, sum: log.sumDeleted };
    keepDeleted = true;
  }
  const mismatch = manifestMismatch(table, day, manifest, hot, already);
  if (mismatch) return mismatch;
  if (facts.content?.status !== 'ok') {
    return hold('lake files not checked', verifyCommand(table, day));
  }
  return { verdict: 'delete', keepDeleted };
}

/**
 * Holds the day when its hot rows plus those `already` deleted differ from the manifest in
 * count or checksum; undefined when they match.
 */
function manifestMismatch(
  table: string,
  day: string,
  manifest: DayManifest,
  hot: RowsChecksum,
  already: RowsChecksum,
): DayDecision | undefined {
  const backfill = backfillCommand(table, day);
  const total = addChecksums(hot, already);
  const hotText =
    already.rows > 0 ? `${hot.rows} (+ ${already.rows} already purged)` : `${hot.rows}`;
  if (total.rows !== manifest.rows) {
    const why =
      total.rows > manifest.rows
        ? `rows added after export: re-run backfill --from ${day} --to ${day}`
        : `rows deleted from PostgreSQL after export: check them; re-run backfill --from ${day} --to ${day} only if the lake should lose them too`;
    return hold(`manifest rows ${manifest.rows} ≠ hot rows ${hotText} (${why})`, backfill);
  }
  if (checksumText(total) !== manifest.checksum) {
    return hold(
      `checksum mismatch: manifest ${manifest.checksum} ≠ hot rows ${checksumText(total)} ` +
        `(rows changed after export: re-run backfill --from ${day} --to ${day})`,
      backfill,
    );
  }
  return undefined;
}
