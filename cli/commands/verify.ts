import type { Command } from 'commander';
import { parseDay } from '#cli/args';
import { createContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { createProgress, type Progress } from '#cli/progress';
import { UsageError } from '#core/errors';
import { configuredTable } from '#etl/retention/purge';
import { verify, VERIFY_OK_STATUSES, type VerifyReport } from '#etl/retention/verify';

interface VerifyFlags {
  readonly from?: string;
  readonly to?: string;
  readonly table: string[];
  readonly json?: boolean;
}

/** Prints the mismatches (a table, then what to do about each) and the one-line summary. */
function printReport(report: VerifyReport, range: string): void {
  const bad = report.days.filter((d) => !VERIFY_OK_STATUSES.includes(d.status));
  if (bad.length > 0) {
    print(
      formatTable(
        ['table', 'day', 'status', 'lake rows', 'hot rows', 'detail'],
        bad.map((d) => [
          d.table,
          d.day,
          d.status,
          d.lakeRows ?? null,
          d.hotRows ?? null,
          d.detail ?? '',
        ]),
      ),
      '',
      'What to do:',
      ...bad.map((d) => `  ${d.table} ${d.day}: ${d.recovery ?? ''}`),
      '',
    );
  }
  const { summary } = report;
  print(
    `Verified ${summary.days} published table-day(s) of ${summary.tables} table(s)${range}: ` +
      `${summary.ok} ok, ${summary.purged} purged, ${summary.purging} being purged, ` +
      `${summary.mismatches} mismatch(es).`,
  );
}

/** `thermocline verify`. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'reconcile every published day (day manifests in the range) with the catalog, the lake files (present, sizes, SHA-256, rows read back) and the hot rows still in PostgreSQL (counts and checksums); print the mismatches',
    )
    .option('--from <YYYY-MM-DD>', 'first day (default: the first published day)')
    .option('--to <YYYY-MM-DD>', 'last day (default: the last published day)')
    .option(
      '--table <name>',
      'only this table (repeat for more)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Statuses: ok; purged (no hot rows left, deleted by retention after verification); purging (a purge
is under way); hot rows missing, mismatch, missing files, corrupt files (content not as published),
catalog mismatch — the mismatches.

Exit codes: 0 no mismatch; 1 a mismatch; 2 bad input; 3 database unreachable.

Examples:
  $ thermocline verify
  $ thermocline verify --from 2025-02-01 --to 2025-02-15 --table events --json`,
    )
    .action(async (flags: VerifyFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const from = flags.from ? parseDay('--from', flags.from) : undefined;
      const to = flags.to ? parseDay('--to', flags.to) : undefined;
      if (from && to && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
      for (const table of flags.table) configuredTable(context.config, table); // exit 2 first
      const json = !!flags.json;
      const db = await context.openDatabase();
      const encoder = await context.openEncoder();
      let progress: Progress | undefined;
      try {
        if (!json)
          print(`Postgres: ${db.target.description}`, `Lake:     ${context.home}/lake`, '');
        const report = await verify(
          { db, ...context.lake, encoder, config: context.config },
          {
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            ...(flags.table.length > 0 ? { tables: flags.table } : {}),
            onProgress: (done, total, label) => {
              progress ??= createProgress({ total, unit: 'table-days', quiet: json });
              progress.update(done, label.split(' ')[0] ?? label); // a line per table off a TTY
            },
          },
        );
        progress?.stop();
        progress = undefined;
        if (json) printJson(report);
        else {
          const range = from || to ? ` from ${from ?? 'the first'} to ${to ?? 'the last'}` : '';
          printReport(report, range);
        }
        if (report.summary.mismatches > 0) process.exitCode = 1;
      } finally {
        progress?.stop();
        await encoder.close();
        await db.close();
      }
    });
}
