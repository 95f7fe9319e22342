/**
 * `thermocline query`, `estimate`, `catalog` and `serve`: the query service on the local runtime
 * (DuckDB over the lake, PostgreSQL for hot steps), called in-process — no HTTP — except by
 * `serve`, which puts the API handler behind the local HTTP server.
 */
import type { Command } from 'commander';
import { parseDecimal, parseWhole } from '#cli/args';
import { createContext, type CliContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { API_ROUTES, errorBody } from '#core/api/handler';
import { ThermoclineError, UsageError } from '#core/errors';
import type {
  CatalogSummary,
  EstimateResponse,
  PlanStatus,
  QueryService,
  ResultPage,
} from '#core/query/service';
import type { SqlDatabase } from '#ports/sql';
import { startLocalApi, type RunningApi } from '#runtime/local/api-runtime';
import { DEFAULT_API_PORT, localUser, readPlanFile } from '#runtime/local/local-runtime';
import { openLocalQueryService } from '#runtime/local/query-runtime';

/** Rows of a result printed as a table; the rest are counted (`--json` has the page). */
export const PRINTED_ROWS = 50;

/** How long one `submitPlan` call waits before the CLI starts polling the plan. */
const SUBMIT_WAIT_MS = 20_000;

interface QueryFlags {
  readonly plan?: string;
  readonly sql?: string;
  readonly maxScanGb?: string;
  readonly json?: boolean;
}

interface EstimateFlags {
  readonly sql?: string;
  readonly plan?: string;
  readonly json?: boolean;
}

interface ServeFlags {
  readonly port?: string;
}

/**
 * Opens the database and the local query service, runs `work`, closes both. With `json`, a
 * domain error is printed as the API's error body (`{error: {code, message, path?, estimate?}}`)
 * and sets the exit code, instead of the CLI's generic one-line error.
 */
async function withLocalService(
  context: CliContext,
  json: boolean,
  work: (service: QueryService) => Promise<void>,
): Promise<void> {
  const db = await context.openDatabase();
  try {
    const service = await openService(context, db);
    try {
      await work(service);
    } finally {
      await service.close();
    }
  } catch (error) {
    if (!json || !(error instanceof ThermoclineError)) throw error;
    printJson(errorBody(error));
    process.exitCode = error.exitCode;
  } finally {
    await db.close();
  }
}

/** The local query service over the context's lake and `db`. */
function openService(context: CliContext, db: SqlDatabase): Promise<QueryService> {
  return openLocalQueryService({ config: context.config, home: context.home, db });
}

/** The caller id of local commands and the local server: `local:<os user>`. */
function localCaller(): { id: string } {
  return { id: `local:${localUser()}` };
}

/** Submits a plan and polls until it ended (the CLI has no 202: it waits). */
async function runToEnd(service: QueryService, plan: unknown): Promise<PlanStatus> {
  let status = await service.submitPlan(plan, localCaller(), { waitMs: SUBMIT_WAIT_MS });
  let pauseMs = 100;
  while (status.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 1000);
    status = await service.getPlan(status.id);
  }
  return status;
}

/**
 * Bytes in decimal units, as Athena bills them.
 * @example
 * formatBytes(1_200_000); // '1.2 MB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/**
 * Dollars with two significant digits for small amounts, cents otherwise.
 * @example
 * formatUsd(0.000006); // '$0.0000060'
 * formatUsd(12.5); // '$12.50'
 */
export function formatUsd(cost: number): string {
  if (cost === 0) return '$0';
  const decimals = Math.min(20, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(cost)))));
  return `$${cost.toFixed(decimals)}`;
}

/** A result cell for a text table: objects as JSON, null as `-`. */
function cell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

/**
 * A result page as a text table: the first {@link PRINTED_ROWS} rows, then how many more there
 * are.
 */
export function formatRows(page: ResultPage): string[] {
  const names = page.columns.map((c) => c.name);
  const shown = page.rows.slice(0, PRINTED_ROWS);
  const lines = [
    formatTable(
      names,
      shown.map((row) => names.map((name) => cell(row[name]))),
    ),
  ];
  const more = page.totalRows - shown.length;
  if (more > 0) lines.push(`… ${more} more rows, use --json`);
  return lines;
}

/** A plan's outcome for people: a summary line, per-step stats, the output rows, warnings. */
export function describePlan(status: PlanStatus): string[] {
  const seconds =
    status.finishedAt !== undefined
      ? ` in ${((Date.parse(status.finishedAt) - Date.parse(status.submittedAt)) / 1000).toFixed(1)} s`
      : '';
  const lines = [
    `Plan ${status.id} ${status.status}${seconds}: ${status.steps.length} ` +
      `step${status.steps.length === 1 ? '' : 's'}, ` +
      `${formatBytes(status.bytesScanned)} scanned, ${formatUsd(status.costUsd)}.`,
    '',
    formatTable(
      ['step', 'type', 'engine', 'status', 'rows', 'scanned', 'cost', 'cache', 'ms'],
      status.steps.map((s) => [
        s.id,
        s.type,
        s.engine,
        s.status,
        s.rows,
        s.bytesScanned === undefined ? null : formatBytes(s.bytesScanned),
        s.costUsd === undefined ? null : formatUsd(s.costUsd),
        s.cacheHit ? 'hit' : s.reused ? 'reused' : s.cacheHit === false ? 'miss' : null,
        s.durationMs === undefined ? null : Math.round(s.durationMs),
      ]),
    ),
  ];
  if (status.result) {
    lines.push('', `Result of ${status.result.step} (${status.result.totalRows} rows):`);
    lines.push(...formatRows(status.result));
  }
  const warnings = [
    ...status.warnings,
    ...status.steps.flatMap((s) => (s.warnings ?? []).map((w) => `${s.id}: ${w}`)),
  ];
  for (const warning of new Set(warnings)) lines.push(`warning: ${warning}`);
  for (const step of status.steps) {
    if (step.error) lines.push(`${step.id} failed: ${step.error.code}: ${step.error.message}`);
  }
  if (status.error && !status.steps.some((s) => s.error?.message === status.error?.message)) {
    lines.push(`plan failed: ${status.error.code}: ${status.error.message}`);
  }
  return lines;
}

/**
 * An estimate for people: one line per table ("~1.2 MB, $0.0000060, 3 of 90 partitions", the
 * table's share of the estimate's cost), the total against the limit, warnings.
 */
export function describeEstimate(estimate: EstimateResponse): string[] {
  const lines = estimate.tables.map(
    (t) =>
      `${t.table}: ~${formatBytes(t.bytes)}, ` +
      `${formatUsd(estimate.bytes > 0 ? (estimate.costUsd * t.bytes) / estimate.bytes : 0)}, ` +
      `${t.partitions} of ${t.partitionsTotal} partitions` +
      (t.columns.length > 0 ? ` (columns ${t.columns.join(', ')})` : ''),
  );
  lines.push(
    `total: ~${formatBytes(estimate.bytes)}, ${formatUsd(estimate.costUsd)}; limit ${estimate.limitGb} GB: ` +
      (estimate.withinLimit
        ? 'within it'
        : 'OVER it — the query would be refused; filter on the partition keys or select fewer columns'),
  );
  for (const warning of estimate.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

/** The catalog summary for people: lake tables, hot reference tables, S3 sources. */
export function describeCatalog(summary: CatalogSummary): string[] {
  const { athena, aurora, s3_sources: sources } = summary.external_sources;
  const lines = [
    `Lake (${athena.enabled ? 'enabled' : 'disabled'}; database ${athena.database}, ` +
      `~${athena.estimated_data_gb} GB${athena.retention_days === null ? '' : `, retention ${athena.retention_days} days`}):`,
    formatTable(
      ['table', 'partition keys', 'partitions', 'rows', 'size', 'last published'],
      athena.details.map((t) => [
        t.table,
        t.partition_keys.join('/'),
        t.partitions,
        t.rows,
        formatBytes(t.bytes),
        t.last_published_at,
      ]),
    ),
    '',
    `Hot reference tables (${aurora.enabled ? 'enabled' : 'disabled'}; database ${aurora.database}, ` +
      `last sync ${aurora.last_sync ?? 'never'}):`,
    formatTable(
      ['table', 'sync mode', 'last sync'],
      aurora.details.map((t) => [t.table, t.sync_mode, t.last_sync ?? 'never']),
    ),
  ];
  lines.push('', sources.length === 0 ? 'S3 sources: none configured' : 'S3 sources:');
  if (sources.length > 0) {
    lines.push(
      formatTable(
        ['bucket', 'prefix', 'files', 'GB', 'event types'],
        sources.map((s) => [
          s.bucket,
          s.prefix,
          s.file_count,
          s.total_size_gb,
          s.event_types?.join(', '),
        ]),
      ),
    );
  }
  return lines;
}

/** How long a stopping `serve` or `up` may take before the process exits anyway. */
export const STOP_DEADLINE_MS = 10_000;

/** What `serve` and `npm start` print about the running API. */
export function describeApi(api: RunningApi): string[] {
  return [
    `Query API on ${api.server.url} (caller local:${localUser()}); try:`,
    ...api.examples.map((line) => `  ${line}`),
    `  # routes: ${API_ROUTES.map((r) => `${r.method} ${r.resource}`).join(', ')}`,
  ];
}

/**
 * Resolves on SIGINT or SIGTERM (Ctrl-C, `kill`), for the caller to stop what it serves. From
 * then on the process has {@link STOP_DEADLINE_MS} to end on its own: past that, or on a second
 * signal, it exits at once (code 1) saying so — a plan stuck in an engine never keeps it alive.
 */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const exitNow = (why: string): void => {
        process.stderr.write(`thermocline: ${why}; exiting now\n`);
        process.exit(1);
      };
      setTimeout(
        () => exitNow(`did not stop within ${STOP_DEADLINE_MS / 1000} s`),
        STOP_DEADLINE_MS,
      ).unref();
      process.once('SIGINT', () => exitNow('a second SIGINT'));
      process.once('SIGTERM', () => exitNow('a second SIGTERM'));
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Parses `--port`: 0 (a free port) to 65535.
 * @example
 * parsePort('3000'); // 3000
 */
export function parsePort(value: string | undefined): number {
  return value === undefined ? DEFAULT_API_PORT : parseWhole('--port', value, 0, 65535);
}

/** Registers `query`, `estimate`, `catalog` and `serve`. */
export function registerQuery(program: Command): void {
  program
    .command('query')
    .description(
      'run a query plan (--plan FILE) or one lake SQL statement (--sql) on the local engines: guarded, estimated, refused over the scan limit, recorded in the cost ledger',
    )
    .option('--plan <file>', 'a JSON plan: {"steps": [{"id", "type", …}, …]}')
    .option('--sql <statement>', 'one SELECT on the lake tables (filter on the partition keys)')
    .option('--max-scan-gb <n>', "with --sql: the scan limit (default: the environment's cutoff)")
    .option('--json', 'print the plan status as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline query --sql "SELECT event_type, count(*) FROM events WHERE event_type = 'Login' AND dt = '2025-02-14' GROUP BY 1"
  $ thermocline query --plan top-members.json --json

Exit codes: 0 ok, 1 the plan failed, 2 bad input (plan, SQL, over the scan limit), 3 database unreachable.`,
    )
    .action(async (flags: QueryFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      if ((flags.plan === undefined) === (flags.sql === undefined)) {
        throw new UsageError('give exactly one of --plan FILE or --sql "SELECT …"');
      }
      if (flags.plan !== undefined && flags.maxScanGb !== undefined) {
        throw new UsageError(
          '--max-scan-gb goes with --sql; in a plan, set max_scan_gb on each AthenaQuery step',
        );
      }
      const maxScanGb =
        flags.maxScanGb === undefined
          ? undefined
          : parseDecimal('--max-scan-gb', flags.maxScanGb, 0, 1e6);
      const plan =
        flags.plan !== undefined
          ? await readPlanFile(flags.plan)
          : {
              steps: [
                {
                  id: 'q',
                  type: 'AthenaQuery',
                  sql: flags.sql,
                  ...(maxScanGb === undefined ? {} : { max_scan_gb: maxScanGb }),
                },
              ],
            };
      const json = !!flags.json;
      await withLocalService(context, json, async (service) => {
        const status = await runToEnd(service, plan);
        if (json) printJson(status);
        else print(...describePlan(status));
        if (status.status === 'failed') process.exitCode = 1;
      });
    });

  program
    .command('estimate')
    .description(
      'estimate the scan of a lake SQL statement (or of a plan) from the catalog, without running it',
    )
    .option('--sql <statement>', 'one SELECT on the lake tables')
    .option('--plan <file>', 'a JSON plan: every AthenaQuery step is estimated')
    .option('--json', 'print the estimate as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline estimate --sql "SELECT membercode FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2025-02-01' AND '2025-02-14'"
  $ thermocline estimate --plan top-members.json --json`,
    )
    .action(async (flags: EstimateFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      if ((flags.plan === undefined) === (flags.sql === undefined)) {
        throw new UsageError('give exactly one of --sql "SELECT …" or --plan FILE');
      }
      const body =
        flags.plan !== undefined ? { plan: await readPlanFile(flags.plan) } : { sql: flags.sql };
      const json = !!flags.json;
      await withLocalService(context, json, async (service) => {
        const estimate = await service.estimate(body);
        if (json) printJson(estimate);
        else print(...describeEstimate(estimate));
      });
    });

  program
    .command('catalog')
    .description(
      'what can be queried: lake tables (partitions, size), hot reference tables (sync), S3 sources',
    )
    .option('--json', "print the seed's external-sources JSON")
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline catalog
  $ thermocline catalog --json`,
    )
    .action(async (flags: { json?: boolean }, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const json = !!flags.json;
      await withLocalService(context, json, async (service) => {
        const summary = await service.catalog();
        if (json) printJson(summary);
        else print(...describeCatalog(summary));
      });
    });

  program
    .command('serve')
    .description(
      'serve the query API (the handler API Gateway runs) on http://127.0.0.1:<port> until Ctrl-C',
    )
    .option('--port <n>', `port on 127.0.0.1; 0 picks a free one (default ${DEFAULT_API_PORT})`)
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline serve
  $ thermocline serve --port 3001`,
    )
    .action(async (flags: ServeFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const port = parsePort(flags.port);
      const db = await context.openDatabase();
      try {
        const api = await startLocalApi(context, db, port, { quiet: false });
        try {
          print(...describeApi(api), 'Press Ctrl-C to stop.');
          await untilStopped();
          print('Stopping.');
        } finally {
          await api.close();
        }
      } finally {
        await db.close();
      }
    });
}
