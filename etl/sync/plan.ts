/**
 * Which mappings a sync run syncs, and in which mode — the state machine's PlanSync step, also
 * used by `runSync`.
 */
import type { MappingConfig, SyncMode } from '#core/config/schema';
import { UsageError } from '#core/errors';

/** The modes a run can ask for. */
export const RUN_MODES = ['full', 'incremental'] as const;

/** Input of PlanSync (the state machine's input): a mode and/or some mappings. */
export interface SyncPlanInput {
  readonly mode?: 'full' | 'incremental';
  readonly tables?: readonly string[];
}

/** One mapping to sync (an item of the state machine's Map). */
export interface SyncItem {
  readonly table: string;
  readonly mode: 'full' | 'incremental';
}

/** A mapping the run leaves out, and why. */
export interface SkippedMapping {
  readonly table: string;
  /** The mapping's own sync_mode. */
  readonly mode: SyncMode;
  readonly reason: string;
}

/** Output of PlanSync. */
export interface SyncPlan {
  readonly items: SyncItem[];
  readonly skipped: SkippedMapping[];
}

/**
 * Plans a run. Mode unset: each mapping in its own sync_mode (on_demand ones skipped). Mode
 * `incremental` (the 15-minute schedule): the incremental mappings. Mode `full` (the daily
 * schedule): the full and incremental mappings. A mapping named in `tables` runs in the run's
 * mode (or its own) whatever its sync_mode — but an on_demand one needs a mode.
 * @example
 * planSync(config.mappings, { mode: 'incremental' });
 * // { items: [{ table: 'agents', mode: 'incremental' }, { table: 'members', … }, …], skipped: [{ table: 'games', … }] }
 */
export function planSync(mappings: readonly MappingConfig[], input: SyncPlanInput = {}): SyncPlan {
  const mode = input.mode;
  if (mode !== undefined && !(RUN_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(
      `sync mode '${String(mode)}' is not one of ${RUN_MODES.join(', ')}; on_demand mappings are ` +
        'fetched by key (thermocline sync --table T --keys k1,k2), not synced',
    );
  }
  const known = mappings.map((m) => m.table);
  const named = input.tables === undefined ? undefined : [...new Set(input.tables)];
  for (const table of named ?? []) {
    if (!known.includes(table)) {
      throw new UsageError(
        `table '${table}' has no sync mapping; mapped tables: ${known.join(', ') || '(none)'}`,
      );
    }
  }
  const items: SyncItem[] = [];
  const skipped: SkippedMapping[] = [];
  for (const mapping of mappings) {
    const own = mapping.sync_mode;
    if (named !== undefined) {
      if (!named.includes(mapping.table)) continue;
      const chosen = mode ?? (own === 'on_demand' ? undefined : own);
      if (chosen === undefined) {
        skipped.push({
          table: mapping.table,
          mode: own,
          reason:
            'sync_mode on_demand: fetched by key, not synced; give --mode full or incremental to sync it anyway',
        });
      } else {
        items.push({ table: mapping.table, mode: chosen });
      }
      continue;
    }
    if (own === 'on_demand') {
      skipped.push({
        table: mapping.table,
        mode: own,
        reason: 'sync_mode on_demand: fetched by key when needed, never synced by a schedule',
      });
    } else if (mode === 'incremental' && own === 'full') {
      skipped.push({
        table: mapping.table,
        mode: own,
        reason: 'sync_mode full: synced by the daily full sync, not the incremental one',
      });
    } else {
      items.push({ table: mapping.table, mode: mode ?? own });
    }
  }
  return { items, skipped };
}
