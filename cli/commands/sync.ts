import type { Command } from 'commander';
import { join } from 'node:path';
import { createContext, type GlobalOptions } from '#cli/context';
import { failRun, formatTable, print, printJson } from '#cli/output';
import { UsageError } from '#core/errors';
import { fetchEntities, type EntityRow } from '#etl/sync/fetch';
import { planSync, type SyncPlanInput } from '#etl/sync/plan';
import { runSyncStateMachine, type SyncExecution } from '#runtime/local/sync-runtime';

interface SyncFlags {
  readonly mode?: string;
  readonly table: string[];
  readonly keys?: string;
  readonly json?: boolean;
}

/** Prints a sync run as a table (or JSON); a failed execution sets exit code 1. */
function report(result: SyncExecution, json: boolean, home: string): void {
  if (result.execution.status === 'FAILED') {
    const failures = result.summary.failed.map((f) => f.error);
    failRun(failures.length > 0 ? failures : [result.execution.error?.cause ?? '']);
  }
  if (json) {
    printJson(result);
    return;
  }
  const { synced, skipped, failed, seconds } = result.summary;
  if (synced.length > 0) {
    print(
      formatTable(
        ['table', 'lake table', 'mode', 'read', 'changed', 'deleted', 'rows', 'watermark', 's'],
        synced.map((r) => [
          r.table,
          r.lakeTable,
          r.skipped ? 'skipped' : r.mode,
          r.readRows,
          r.changedRows,
          r.tombstones,
          r.currentRows,
          r.watermark ?? '-',
          Number(r.seconds.toFixed(2)),
        ]),
      ),
    );
  }
  for (const r of synced) {
    if (r.skipped) print(`${r.table}: skipped — ${r.skipped}`);
    else if (r.note) print(`${r.table}: ${r.note}`);
  }
  for (const s of skipped) print(`${s.table}: not synced — ${s.reason}`);
  const changed = synced.reduce((n, r) => n + r.changedRows, 0);
  const deleted = synced.reduce((n, r) => n + r.tombstones, 0);
  print(
    `Synced ${synced.filter((r) => !r.skipped).length} mappings (${changed} rows changed, ${deleted} deleted) in ${seconds.toFixed(1)} s.`,
  );
  for (const failure of failed) {
    process.stderr.write(`thermocline: sync of ${failure.table} failed: ${failure.error}\n`);
  }
  if (result.execution.status === 'FAILED') {
    process.stderr.write(
      `thermocline: the sync execution failed (${result.execution.error?.error}); alert written to ${join(home, 'alerts.log')}\n`,
    );
  }
}

/** Prints fetched entities as a table (or JSON), naming the keys that have no row. */
function reportFetch(
  table: string,
  keys: readonly string[],
  rows: readonly EntityRow[],
  json: boolean,
): void {
  const found = new Set(rows.map((r) => String(r.key)));
  const missing = keys.filter((k) => !found.has(k));
  if (json) {
    printJson({ table, keys, rows, missing });
    return;
  }
  if (rows.length > 0) {
    const headers = Object.keys(rows[0] ?? {});
    print(
      formatTable(
        headers,
        rows.map((row) =>
          headers.map((h) => {
            const value = row[h];
            return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
          }),
        ),
      ),
    );
  }
  if (missing.length > 0) print(`No row in ${table} for: ${missing.join(', ')}`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseMode(value: string | undefined): 'full' | 'incremental' | undefined {
  if (value === undefined) return undefined;
  if (value === 'full' || value === 'incremental') return value;
  throw new UsageError(
    `--mode must be full or incremental; got '${value}' (on_demand mappings: --table T --keys k1,k2)`,
  );
}

/** `thermocline sync`. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description(
      "sync reference tables (the config's mappings) to the lake: ref_<table> holds the current state, ref_<table>_changes every delta",
    )
    .option(
      '--mode <mode>',
      "full (every row, detects deletes) or incremental (changes since the watermark); default: each mapping's sync_mode",
    )
    .option('--table <name>', 'only this mapping (repeat for more)', collect, [])
    .option('--keys <k1,k2>', 'with one --table: fetch these keys now from PostgreSQL (on-demand)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline sync                                   # each mapping in its own sync_mode
  $ thermocline sync --mode full --table members --json
  $ thermocline sync --table members --keys M0000001,M0000002`,
    )
    .action(async (flags: SyncFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const json = !!flags.json;
      const mode = parseMode(flags.mode);
      if (flags.keys !== undefined) {
        if (flags.table.length !== 1) {
          throw new UsageError(
            `--keys needs exactly one --table; got ${flags.table.length} (${flags.table.join(', ') || 'none'})`,
          );
        }
        if (mode) throw new UsageError('--keys fetches on demand; leave out --mode');
      }
      const input: SyncPlanInput = {
        ...(mode ? { mode } : {}),
        ...(flags.table.length > 0 ? { tables: flags.table } : {}),
      };
      if (flags.keys === undefined) planSync(context.config.mappings, input); // bad input: exit 2
      const db = await context.openDatabase();
      try {
        if (flags.keys !== undefined) {
          const table = flags.table[0] ?? '';
          const keys = flags.keys
            .split(',')
            .map((k) => k.trim())
            .filter((k) => k !== '');
          const rows = await fetchEntities({ db, mappings: context.config.mappings }, table, keys);
          reportFetch(table, keys, rows, json);
          return;
        }
        if (!json) {
          print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`);
        }
        report(await runSyncStateMachine(context, db, input, json), json, context.home);
      } finally {
        await db.close();
      }
    });
}
