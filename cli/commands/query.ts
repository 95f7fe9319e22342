/**
 * `thermocline query`, `estimate`, `catalog` and `costs`: the query service on the local runtime
 * (DuckDB over the lake, PostgreSQL for hot steps), called in-process — no HTTP — or, with
 * `--api URL`, a query API over HTTP through the typed client (SigV4-signed for a deployed API).
 * Printing is in `query-format.ts`; `serve` is in `serve.ts`.
 */
import type { Command } from 'commander';
import { parseDecimal } from '#cli/args';
import { createContext, type GlobalOptions } from '#cli/context';
import { print, printJson } from '#cli/output';
import {
  describeCatalog,
  describeCosts,
  describeEstimate,
  describePlan,
} from '#cli/commands/query-format';
import { localUser, readPlanFile } from '#runtime/local/local-runtime';
import { regionOfApiUrl, sigV4Signer } from '#runtime/local/remote';
import { openLocalQueryService } from '#runtime/local/query-runtime';
import { errorBody } from '#core/api/handler';
import {
  ApiHttpError,
  ThermoclineHttpClient,
  type EstimateRequest,
} from '#core/client/http-client';
import { ThermoclineError, UsageError } from '#core/errors';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
  QueryService,
} from '#core/query/service-contract';

/** How long one `submitPlan` call waits before the CLI starts polling the plan. */
const SUBMIT_WAIT_MS = 20_000;

/** Flags every command here takes: where the API is, and JSON output. */
interface ApiFlags {
  readonly api?: string;
  readonly region?: string;
  readonly json?: boolean;
}

interface QueryFlags extends ApiFlags {
  readonly plan?: string;
  readonly sql?: string;
  readonly maxScanGb?: string;
}

interface EstimateFlags extends ApiFlags {
  readonly sql?: string;
  readonly plan?: string;
}

interface CostsFlags extends ApiFlags {
  readonly month?: string;
}

/** What the commands call: the local service in-process, or a query API over HTTP. */
interface QueryBackend {
  /** Submits a plan and waits until it ended (the CLI has no 202: it polls). */
  runPlan(plan: unknown): Promise<PlanStatus>;
  estimate(body: EstimateRequest): Promise<EstimateResponse>;
  catalog(): Promise<CatalogSummary>;
  costs(month?: string): Promise<CostReport>;
}

/** The caller id of local commands and the local server: `local:<os user>`. */
function localCaller(): { id: string } {
  return { id: `local:${localUser()}` };
}

/** Submits a plan and polls until it ended. */
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

/** Host names of this machine: a query API there is the local server, called unsigned. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The HTTP client for `--api URL`: unsigned for the local server (127.0.0.1, localhost), else
 * SigV4-signed with the standard credential chain for the region of `--region`, of the
 * execute-api URL, or of AWS_REGION / AWS_DEFAULT_REGION.
 * @example
 * apiClient('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/', undefined, process.env);
 */
export function apiClient(
  url: string,
  region: string | undefined,
  env: NodeJS.ProcessEnv,
): ThermoclineHttpClient {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new UsageError(
      `--api '${url}' is not a URL; give the stack output ApiUrl, e.g. ` +
        `https://abc123.execute-api.eu-west-1.amazonaws.com/v1/, or http://127.0.0.1:3000`,
    );
  }
  if (LOOPBACK.has(host)) return new ThermoclineHttpClient({ baseUrl: url });
  const signingRegion = region ?? regionOfApiUrl(url) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!signingRegion) {
    throw new UsageError(
      `cannot tell the region of --api ${url} (not an execute-api URL); give --region, e.g. --region eu-west-1`,
    );
  }
  return new ThermoclineHttpClient({
    baseUrl: url,
    signer: sigV4Signer({ region: signingRegion }),
  });
}

/**
 * Runs `work` against the query API of `--api` when given, else against the local service
 * (opened over the context's database and lake, closed after). With `--json`, a domain error is
 * printed as the API's error body (`{error: {code, message, path?, estimate?}}`) and sets the
 * exit code, instead of the CLI's generic one-line error.
 */
async function withBackend(
  command: Command,
  flags: ApiFlags,
  work: (backend: QueryBackend) => Promise<void>,
): Promise<void> {
  try {
    if (flags.api !== undefined) {
      const client = apiClient(flags.api, flags.region, process.env);
      await work({
        runPlan: (plan) => client.runPlan(plan),
        estimate: (body) => client.estimate(body),
        catalog: () => client.catalog(),
        costs: (month) => client.costs(month ? { month } : {}),
      });
      return;
    }
    if (flags.region !== undefined) throw new UsageError('--region goes with --api URL');
    const context = createContext(command.optsWithGlobals<GlobalOptions>());
    const db = await context.openDatabase();
    try {
      const service = await openLocalQueryService({
        config: context.config,
        home: context.home,
        db,
      });
      try {
        await work({
          runPlan: (plan) => runToEnd(service, plan),
          estimate: (body) => service.estimate(body),
          catalog: () => service.catalog(),
          costs: (month) => service.costs(month ? { month } : {}),
        });
      } finally {
        await service.close();
      }
    } finally {
      await db.close();
    }
  } catch (error) {
    if (!flags.json || !(error instanceof ThermoclineError)) throw error;
    printJson(
      error instanceof ApiHttpError
        ? { error: { code: error.code, message: error.message, ...error.details } }
        : errorBody(error),
    );
    process.exitCode = error.exitCode;
  }
}

/** Adds `--api URL` and `--region R` to a command. */
function withApiOptions(command: Command): Command {
  return command
    .option(
      '--api <url>',
      'call this query API over HTTP instead of the local engines: the stack output ApiUrl (SigV4-signed with your AWS credentials) or http://127.0.0.1:3000',
    )
    .option('--region <region>', 'with --api: the region to sign for (default: from the URL)');
}

/** Registers `query`, `estimate`, `catalog` and `costs`. */
export function registerQuery(program: Command): void {
  registerQueryCommand(program);
  registerEstimate(program);
  registerCatalog(program);
  registerCosts(program);
}

/**
 * The plan `query` runs: the file of `--plan`, or `--sql` as a one-step plan with its
 * `--max-scan-gb`.
 */
async function planOfFlags(flags: QueryFlags): Promise<unknown> {
  const maxScanGb =
    flags.maxScanGb === undefined
      ? undefined
      : parseDecimal('--max-scan-gb', flags.maxScanGb, 0, 1e6);
  return flags.plan !== undefined
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
}

/** `query`: runs a plan, or one lake SQL statement as a one-step plan. */
function registerQueryCommand(program: Command): void {
  withApiOptions(program.command('query'))
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
  $ thermocline query --plan top-members.json --api https://abc123.execute-api.eu-west-1.amazonaws.com/v1/

Exit codes: 0 ok, 1 the plan failed, 2 bad input (plan, SQL, over the scan limit), 3 database
(or, with --api, the API) unreachable.`,
    )
    .action(async (flags: QueryFlags, command: Command) => {
      if ((flags.plan === undefined) === (flags.sql === undefined)) {
        throw new UsageError('give exactly one of --plan FILE or --sql "SELECT …"');
      }
      if (flags.plan !== undefined && flags.maxScanGb !== undefined) {
        throw new UsageError(
          '--max-scan-gb goes with --sql; in a plan, set max_scan_gb on each AthenaQuery step',
        );
      }
      const plan = await planOfFlags(flags);
      await withBackend(command, flags, async (backend) => {
        const status = await backend.runPlan(plan);
        if (flags.json) printJson(status);
        else print(...describePlan(status));
        if (status.status === 'failed') process.exitCode = 1;
      });
    });
}

/** `estimate`: the scan estimate of a lake statement or a plan. */
function registerEstimate(program: Command): void {
  withApiOptions(program.command('estimate'))
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
      if ((flags.plan === undefined) === (flags.sql === undefined)) {
        throw new UsageError('give exactly one of --sql "SELECT …" or --plan FILE');
      }
      const body: EstimateRequest =
        flags.plan !== undefined
          ? { plan: await readPlanFile(flags.plan) }
          : { sql: flags.sql ?? '' };
      await withBackend(command, flags, async (backend) => {
        const estimate = await backend.estimate(body);
        if (flags.json) printJson(estimate);
        else print(...describeEstimate(estimate));
      });
    });
}

/** `catalog`: what can be queried. */
function registerCatalog(program: Command): void {
  withApiOptions(program.command('catalog'))
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
    .action(async (flags: ApiFlags, command: Command) => {
      await withBackend(command, flags, async (backend) => {
        const summary = await backend.catalog();
        if (flags.json) printJson(summary);
        else print(...describeCatalog(summary));
      });
    });
}

/** `costs`: the cost ledger's totals of a month. */
function registerCosts(program: Command): void {
  withApiOptions(program.command('costs'))
    .description(
      "the cost ledger's totals of a month: queries, bytes scanned, dollars, cache hits, per caller",
    )
    .option('--month <YYYY-MM>', 'the month (default: the current one, UTC)')
    .option('--json', 'print the totals as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ thermocline costs
  $ thermocline costs --month 2025-02 --json
  $ thermocline costs --api https://abc123.execute-api.eu-west-1.amazonaws.com/v1/`,
    )
    .action(async (flags: CostsFlags, command: Command) => {
      if (flags.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(flags.month)) {
        throw new UsageError(`--month must be YYYY-MM, e.g. 2025-02; got '${flags.month}'`);
      }
      await withBackend(command, flags, async (backend) => {
        const report = await backend.costs(flags.month);
        if (flags.json) printJson(report);
        else print(...describeCosts(report));
      });
    });
}
