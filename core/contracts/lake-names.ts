/**
 * Names in the lake that more than one side relies on, defined once: the sync writes its
 * reference tables under {@link REFERENCE_TABLE_PREFIX} and the Pipeline stack grants the sync
 * function write access to exactly that prefix.
 */

/** Key prefix (and table-name prefix) of the sync's reference tables in the lake. */
export const REFERENCE_TABLE_PREFIX = 'ref_';

/**
 * The two lake tables a synced table feeds: its current state and its history of deltas.
 * @example
 * referenceTableNames('members'); // { current: 'ref_members', changes: 'ref_members_changes' }
 */
export function referenceTableNames(table: string): { current: string; changes: string } {
  const current = `${REFERENCE_TABLE_PREFIX}${table}`;
  return { current, changes: `${current}_changes` };
}
