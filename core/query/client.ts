/**
 * The programmatic client, in the seed's shape (aws-integration.md "Rust API"):
 * `executeQueryWithLimit(sql, limitBytes)` → rows plus metadata with bytes scanned and cost, and
 * `runPlan(plan)` → the finished plan. It talks to a {@link QueryService} — the local one
 * (`openLocalQueryService`) or the one behind the API handler — so scripts, the CLI and the
 * handlers share one path.
 */
import { ThermoclineError } from '#core/errors';
import type { Caller, PlanStatus, QueryService } from '#core/query/service-contract';
import type { QueryColumn, QueryRow } from '#ports/query-engine';

/** What {@link ThermoclineClient.executeQueryWithLimit} returns. */
export interface QueryWithLimitResult {
  readonly rows: readonly QueryRow[];
  readonly columns: readonly QueryColumn[];
  readonly metadata: {
    readonly bytesScanned: number;
    readonly costUsd: number;
    /** Answered from Thermocline's result cache. */
    readonly cacheHit: boolean;
    /** The estimate made before the query ran. */
    readonly estimatedBytes: number;
    /** The plan that ran the query (`GET /plans/{id}`). */
    readonly planId: string;
    readonly queryId?: string;
  };
}

/** A plan the client ran did not succeed: its code and message, and the plan's status. */
export class PlanFailedError extends ThermoclineError {
  /** HTTP status (the plan ran and failed: unprocessable). */
  readonly status = 422;
  constructor(readonly plan: PlanStatus) {
    super(
      `plan ${plan.id} failed: ${plan.error?.message ?? 'no error was recorded'}`,
      plan.error?.code ?? 'plan_failed',
      1,
    );
  }
}

/** Options of a {@link ThermoclineClient}. */
export interface ThermoclineClientOptions {
  /** First pause between polls of a running plan; doubles up to 2 s. @default 100 */
  readonly pollMs?: number;
  /** Give up waiting for a plan after this long (it keeps running). @default 15 minutes */
  readonly timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The typed client of the query service.
 * @example
 * const client = new ThermoclineClient(await openLocalQueryService({ config, home, db }));
 * const result = await client.executeQueryWithLimit(
 *   "SELECT dt, count(*) AS error_count FROM events WHERE event_type = 'apiError' AND dt BETWEEN '2025-02-01' AND '2025-02-15' GROUP BY 1 ORDER BY 1",
 *   10 * 1024 * 1024 * 1024, // 10 GiB, capped at the environment's scan cutoff
 * );
 * console.log(`Rows: ${result.rows.length}, bytes scanned: ${result.metadata.bytesScanned}`);
 */
export class ThermoclineClient {
  constructor(
    private readonly service: QueryService,
    private readonly caller: Caller = { id: 'client' },
    private readonly options: ThermoclineClientOptions = {},
  ) {}

  /**
   * Runs one lake query (an `AthenaQuery` step) under a scan limit — `limitBytes`, capped at the
   * environment's cutoff — and returns all its rows (up to the step limit of 100,000) with what it
   * cost. Refused before it runs (`ScanLimitExceededError`, 413) when the estimate is over.
   * @throws ScanLimitExceededError, SqlRejectedError, PlanValidationError before running;
   *   PlanFailedError when the query failed.
   */
  async executeQueryWithLimit(sql: string, limitBytes: number): Promise<QueryWithLimitResult> {
    const estimate = await this.service.estimate({ sql });
    const limitGb = Math.min(limitBytes / 1e9, estimate.limitGb);
    const status = await this.runPlan({
      steps: [{ id: 'q', type: 'AthenaQuery', sql, max_scan_gb: limitGb, limit: 100_000 }],
    });
    if (status.status !== 'succeeded') throw new PlanFailedError(status);
    const step = status.steps[0];
    const rows: QueryRow[] = [...(status.result?.rows ?? [])];
    let page = status.result?.nextPage;
    while (page !== undefined) {
      const next = await this.service.getPlan(status.id, { page });
      rows.push(...(next.result?.rows ?? []));
      page = next.result?.nextPage;
    }
    return {
      rows,
      columns: status.result?.columns ?? [],
      metadata: {
        bytesScanned: step?.bytesScanned ?? 0,
        costUsd: step?.costUsd ?? 0,
        cacheHit: step?.cacheHit ?? false,
        estimatedBytes: step?.estimatedBytes ?? estimate.bytes,
        planId: status.id,
      },
    };
  }

  /**
   * Submits a plan and waits until it finished (polling `getPlan`); resolves with its status,
   * `failed` included (look at `status.error`).
   * @throws the service's validation errors (400/413) before anything runs; a ThermoclineError
   *   `timeout` when it is still running after `timeoutMs`.
   */
  async runPlan(plan: unknown): Promise<PlanStatus> {
    let status = await this.service.submitPlan(plan, this.caller);
    const deadline = performance.now() + (this.options.timeoutMs ?? 15 * 60_000);
    for (let pause = this.options.pollMs ?? 100; status.status === 'running';) {
      if (performance.now() > deadline) {
        throw new ThermoclineError(
          `plan ${status.id} is still running; poll GET /plans/${status.id} for its result`,
          'timeout',
          1,
        );
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 2000);
      status = await this.service.getPlan(status.id);
    }
    return status;
  }
}
