/**
 * `thermocline status` (the console's coverage as text: lag, failed and late table-days per
 * table) and `thermocline runs` (the run history). Both read what the console's `GET /coverage`
 * and `GET /runs` answer, from the same {@link Insights}.
 */
import type { Command } from 'commander';
import { parseWhole } from '#cli/args';
import { createContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { formatSeconds } from '#cli/progress';
import { localRunHistory, openLocalInsights } from '#runtime/local/insights';
import type { CoverageReport, RunsReport } from '#ports/insights';

/**
 * The coverage for people: one line per table (lag, newest exported day, counts), then the
 * failed and late table-days by name.
 */
export function describeCoverage(report: CoverageReport): string[] {
  const lines = [
    `Coverage of ${report.days.length} days (${report.days[0]} to ${report.days.at(-1)}):`,
    formatTable(
      ['table', 'lag (days)', 'last exported', 'exported', 'hot only', 'purged', 'failed', 'late'],
      report.tables.map((t) => [
        t.table,
        t.lagDays,
        t.lastExportedDay ?? 'never',
        t.counts.exported,
        t.counts.hot,
        t.counts.purged,
        t.counts.failed,
        t.counts.late,
      ]),
    ),
  ];
  for (const [code, name] of [
    ['F', 'failed'],
    ['L', 'late'],
  ] as const) {
    const items = report.tables.flatMap((t) =>
      [...t.states].flatMap((state, i) => (state === code ? [`${t.table} ${report.days[i]}`] : [])),
    );
    if (items.length > 0) lines.push('', `${name} (${items.length}): ${items.join(', ')}`);
  }
  lines.push(
    '',
    report.failed + report.late === 0
      ? 'Every closed day is in the lake.'
      : `${report.failed} failed and ${report.late} late table-days: thermocline etl run --date D (or backfill) exports them again.`,
  );
  return lines;
}

/** The run history for people: a row per run, then how many lines were damaged. */
export function describeRuns(report: RunsReport): string[] {
  if (report.runs.length === 0) {
    return ['No runs recorded yet (thermocline etl run, sync and purge record theirs).'];
  }
  const lines = [
    formatTable(
      ['started', 'kind', 'status', 'duration', 'rows', 'done', 'failed', 'error'],
      report.runs.map((r) => [
        r.startedAt.replace('T', ' ').slice(0, 19),
        r.kind,
        r.status,
        formatSeconds(r.durationMs / 1000),
        r.rows,
        r.done.length,
        r.failed.length,
        (r.error ?? r.failed[0]?.error ?? '').slice(0, 80),
      ]),
    ),
  ];
  if (report.damaged > 0) {
    lines.push(`warning: ${report.damaged} damaged line(s) of the run history were skipped`);
  }
  return lines;
}

/** Registers `status` and `runs`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'coverage of the lake: per table the lag in closed days and the exported, hot-only, purged, failed and late table-days (what the console shows)',
    )
    .option('--days <n>', 'days back from today (default 120, at most 731)')
    .option('--json', 'print the coverage as JSON (as GET /coverage)')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline status
  $ thermocline status --days 30 --json

Exit codes: 0 every closed day is in the lake, 1 some table-days failed or are late, 3 database unreachable.`,
    )
    .action(async (flags: { days?: string; json?: boolean }, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const days = flags.days === undefined ? 120 : parseWhole('--days', flags.days, 1, 731);
      const db = await context.openDatabase();
      try {
        const insights = openLocalInsights({ config: context.config, home: context.home, db });
        const report = await insights.coverage({ days });
        if (flags.json) printJson(report);
        else print(...describeCoverage(report));
        if (report.failed + report.late > 0) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });

  program
    .command('runs')
    .description(
      'the run history: ETL, backfill, catch-up (npm start), sync and retention runs with their state, duration, rows and errors',
    )
    .option('--limit <n>', 'newest runs to show (default 20)')
    .option('--json', 'print the runs as JSON (as GET /runs)')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline runs
  $ thermocline runs --limit 100 --json`,
    )
    .action(async (flags: { limit?: string; json?: boolean }, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const limit = flags.limit === undefined ? 20 : parseWhole('--limit', flags.limit, 1, 100_000);
      const report = await localRunHistory(context.home).list({ limit });
      if (flags.json) printJson(report);
      else print(...describeRuns(report));
    });
}
