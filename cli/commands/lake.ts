import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { createProgress, type Progress } from '#cli/progress';
import { UsageError } from '#core/errors';
import { catalogTables } from '#core/lake/current-files';
import { lakeTableNames } from '#etl/sync/mapping';
import type { LakeViewsReport } from '#runtime/local/local-runtime';

interface ViewsFlags {
  readonly duckdb?: string;
  readonly table: string[];
  readonly json?: boolean;
}

/** What `lake views` prints for people: the views, the total, how to open the file. */
function printViews(report: LakeViewsReport): void {
  const first = report.views[0]?.view ?? 'agent_tasks';
  print(
    formatTable(
      ['view', 'partitions', 'files', 'rows'],
      report.views.map((v) => [v.view, v.partitions, v.files, v.rows]),
    ),
    '',
    `Wrote ${report.views.length} view(s) over ${report.rows} rows to ${report.file}.`,
    `Open it:  duckdb ${shellWord(report.file)} -c 'select count(*) from ${first}'`,
    'The views read the files current now: build them again after each ETL run or sync.',
  );
}

/** `thermocline lake views`. */
export function registerLake(program: Command): void {
  const lake = program
    .command('lake')
    .description('read the lake without Thermocline: views over exactly its current files');
  lake
    .command('views')
    .description(
      'write a DuckDB database file with one view per lake table (sync ref_* tables included) over exactly the files the catalog publishes now — the correct way to read the local lake from DuckDB, where a glob over a table folder also reads replaced versions',
    )
    .requiredOption('--duckdb <file>', 'the DuckDB database file to write (replaced whole)')
    .option(
      '--table <name>',
      'only this lake table (repeat for more; default: every table in the catalog)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Each view is named like its table and reads, by absolute path, the files of each partition's
current version (the partition keys as VARCHAR columns, timestamps as UTC wall time as on
Athena), so 'select count(*)' equals the catalog's rows. The table thermocline.files lists
every file by path, for readers that take paths (Polars, Spark). The file is written under a
temporary name and renamed: re-running replaces it whole (only a file this command wrote is
replaced). The views name today's files: build them again after each ETL run or sync.

Local runtime only: the views read $THERMOCLINE_HOME/lake. On AWS, read the lake through Athena
or any Glue-catalog reader (they follow the catalog's current partitions); a views file over
s3:// keys is not supported.

Exit codes: 0 written; 1 no catalog yet, or the lake's files do not match the catalog; 2 bad
input (unknown table, a path that cannot be written or is not a views file).

Examples:
  $ thermocline lake views --duckdb lake.duckdb
  $ duckdb lake.duckdb -c 'select count(*) from agent_tasks'
  $ thermocline lake views --duckdb /tmp/tasks.duckdb --table agent_tasks --table events --json`,
    )
    .action(async (flags: ViewsFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      if (!flags.duckdb?.trim()) throw new UsageError('--duckdb needs a file path');
      const file = resolve(flags.duckdb);
      const configured = [
        ...context.config.tables.map((t) => t.name),
        ...context.config.mappings.flatMap((m) => Object.values(lakeTableNames(m.table))),
      ];
      const tables = await catalogTables(context.lake.catalog, flags.table, configured);
      const json = !!flags.json;
      if (!json)
        print(`Lake: ${context.lake.store.root} (catalog ${context.lake.catalog.path})`, '');
      let progress: Progress | undefined;
      try {
        const report = await context.writeLakeViews({
          file,
          tables,
          clock: context.clock,
          onProgress: (done, total, view) => {
            progress ??= createProgress({ total, unit: 'views', quiet: json });
            progress.update(done, view);
          },
        });
        progress?.stop();
        progress = undefined;
        if (json) printJson(report);
        else printViews(report);
      } finally {
        progress?.stop();
      }
    });
}

/** A path as one shell word (quoted when it needs to be). */
function shellWord(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
