import type { Command } from 'commander';
import { parseDay, parseDecimal, parseWhole } from '#cli/args';
import { createContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { createProgress } from '#cli/progress';
import { loadSample, type LoadReport } from '#core/sample/load';
import { sampleDays, type SampleOptions } from '#core/sample/generator';
import { utcDay, type Clock } from '#ports/clock';
import type { SqlDatabase } from '#ports/sql';
import { daysBefore } from '#core/days';

/** Defaults of the sample data set: 120 days ending today, scale 1, seed 42. */
export const SAMPLE_DEFAULTS = { days: 120, scale: 1, seed: 42 } as const;

/** The sample flags shared by `seed` and `up`. */
export interface SampleFlags {
  readonly days?: string;
  readonly scale?: string;
  readonly seed?: string;
  readonly end?: string;
}

/** Registers `--days`, `--scale`, `--seed`, `--end` on a command. */
export function withSampleFlags(command: Command): Command {
  return command
    .option('--days <n>', `days of data, ending at --end (default ${SAMPLE_DEFAULTS.days})`)
    .option('--scale <x>', `size factor; 1 ≈ 6,300 rows a day (default ${SAMPLE_DEFAULTS.scale})`)
    .option('--seed <n>', `generator seed: same seed, same data (default ${SAMPLE_DEFAULTS.seed})`)
    .option('--end <YYYY-MM-DD>', 'last day of data, UTC (default: today)');
}

/** Turns validated flags into generator options. */
export function sampleOptions(flags: SampleFlags, clock: Clock): SampleOptions {
  return {
    days: flags.days ? parseWhole('--days', flags.days, 1, 3650) : SAMPLE_DEFAULTS.days,
    scale: flags.scale ? parseDecimal('--scale', flags.scale, 0, 100) : SAMPLE_DEFAULTS.scale,
    seed: flags.seed ? parseWhole('--seed', flags.seed, 0, 2 ** 31 - 1) : SAMPLE_DEFAULTS.seed,
    endDate: flags.end ? parseDay('--end', flags.end) : utcDay(clock.now()),
  };
}

/** Loads the sample with a progress display. */
export async function seedWithProgress(
  db: SqlDatabase,
  options: SampleOptions & { reset?: boolean },
  quiet: boolean,
): Promise<LoadReport> {
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    return await loadSample(db, {
      ...options,
      onProgress: (p) => {
        progress ??= createProgress({ total: p.totalRows, unit: 'rows', quiet });
        progress.update(p.rows, p.table);
      },
    });
  } finally {
    progress?.stop();
  }
}

/** Text lines of a load report. */
export function describeLoad(report: LoadReport, options: SampleOptions): string[] {
  const rate = Math.round(report.rows / Math.max(report.seconds, 1e-9));
  return [
    `Loaded the sample data set (seed ${options.seed}, ${options.days} days to ${options.endDate}, scale ${options.scale}):`,
    formatTable(
      ['table', 'rows'],
      report.tables.map((t) => [t.name, t.rows]),
    ),
    `${report.rows} rows in ${report.seconds.toFixed(1)} s (${rate} rows/s, COPY)`,
  ];
}

/** `thermocline seed`: create the sample tables and load them with COPY. */
export function registerSeed(program: Command): void {
  withSampleFlags(
    program
      .command('seed')
      .description('create the sample tables and load the deterministic sample data set with COPY'),
  )
    .option('--reset', 'drop and reload sample tables that already exist')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline seed                              # 120 days ending today, scale 1
  $ thermocline seed --days 120 --scale 1
  $ thermocline seed --reset --days 30 --scale 0.2 --seed 7 --end 2025-02-15 --json`,
    )
    .action(async (flags: SampleFlags & { reset?: boolean; json?: boolean }, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const options = sampleOptions(flags, context.clock);
      const db = await context.openDatabase();
      try {
        if (!flags.json) print(`Postgres: ${db.target.description}`);
        const report = await seedWithProgress(db, { ...options, reset: flags.reset }, !!flags.json);
        if (flags.json) {
          printJson({ database: db.target, schema: db.schema, sample: options, ...report });
        } else {
          print(...describeLoad(report, options));
          if ((await context.lake.catalog.listTables()).length > 0) {
            const days = sampleDays(options);
            const yesterday = daysBefore(context.clock.now(), 1);
            const last = days.at(-1) ?? yesterday;
            print(
              `The lake still holds days exported from the data this replaced: run 'thermocline backfill --from ${days[0]} --to ${last < yesterday ? last : yesterday}' to replace them.`,
            );
          }
        }
      } finally {
        await db.close();
      }
    });
}
