/**
 * The cost ledger: one record per query a plan step ran — bytes scanned, dollars, engine time,
 * whether the result cache or the engine's own result reuse answered, who asked and for which
 * plan — and the monthly totals by caller that `GET /costs` reports.
 *
 * *Decision — an object-store ledger, one small JSON object per record*, under
 * `_ledger/<YYYY-MM>/<instant>-<plan>-<step>.json` in the results store (the lake bucket's
 * `_query/` prefix on AWS, `THERMOCLINE_HOME/lake/_query/` locally), plus CloudWatch metrics (EMF,
 * through `QueryServiceDeps.metrics`) on AWS for the dashboard and the cost-spike alarm:
 * - the same port and the same code in both runtimes — no DynamoDB table that exists only on AWS
 *   and needs a second, local implementation;
 * - records are immutable and never updated, so concurrent plans never contend: there is no
 *   read-modify-write of a counter, hence no lost update;
 * - a month is a key prefix: its totals are one listing plus one GET per record (fine for
 *   thousands of queries a month; beyond that, the same objects are JSON that Athena can query);
 * - the underscore keeps the prefix invisible to Athena and Glue, like the day manifests.
 * Only queries that finished are recorded (Athena does not bill failed queries).
 */
import { UsageError } from '#core/errors';
import type { CostReport } from '#core/query/service-contract';
import type { MetricDatum } from '#ports/metrics';
import type { ObjectStore } from '#ports/object-store';

/** Prefix of the ledger in the results store. */
export const LEDGER_PREFIX = '_ledger/';
/** Athena bills at least 10 MB per query, rounded up to whole megabytes (10^6 bytes). */
const MIN_BILLED_BYTES = 10_000_000;
const MEGABYTE = 1_000_000;
const TERABYTE = 1e12;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** One query of one plan step. */
export interface LedgerEntry {
  /** When the query finished (ISO 8601). */
  readonly at: string;
  readonly planId: string;
  readonly stepId: string;
  /** The caller's identity (IAM principal on AWS, `local:<user>` locally). */
  readonly caller: string;
  /** `athena`, `duckdb`, `postgres`, `rds-data`, `parquet`. */
  readonly engine: string;
  readonly bytesScanned: number;
  readonly costUsd: number;
  readonly engineMs: number;
  /** Answered from Thermocline's result cache (then bytes and cost are 0). */
  readonly cacheHit: boolean;
  /** Answered from the engine's own result reuse (Athena). */
  readonly reused: boolean;
  readonly queryId?: string;
}

/**
 * What a lake query costs: nothing when it scanned nothing (answered by reuse or the cache), else
 * Athena's rule — bytes rounded up to whole megabytes, at least 10 MB — at `pricePerTbUsd`
 * dollars per terabyte (10^12 bytes).
 * @example
 * queryCostUsd(0, 5); // 0
 * queryCostUsd(1, 5); // 0.00005 (the 10 MB minimum)
 * queryCostUsd(2e12, 5); // 10
 */
export function queryCostUsd(bytes: number, pricePerTbUsd: number): number {
  if (bytes <= 0) return 0;
  const billed = Math.max(MIN_BILLED_BYTES, Math.ceil(bytes / MEGABYTE) * MEGABYTE);
  return (billed / TERABYTE) * pricePerTbUsd;
}

/**
 * The ledger key of an entry: month folder, then the instant (so a listing is in time order),
 * plan and step.
 * @example
 * ledgerKey({ at: '2025-02-15T02:00:00.123Z', planId: 'p1', stepId: 's1', … });
 * // '_ledger/2025-02/20250215T020000123Z-p1-s1.json'
 */
export function ledgerKey(entry: Pick<LedgerEntry, 'at' | 'planId' | 'stepId'>): string {
  const instant = entry.at.replace(/[-:]/g, '').replace('.', '');
  return `${LEDGER_PREFIX}${entry.at.slice(0, 7)}/${instant}-${entry.planId}-${entry.stepId}.json`;
}

/**
 * Records one query: writes its ledger object and hands it to `metrics` (EMF on AWS).
 * @example
 * await recordQuery(results, { at: new Date().toISOString(), planId, stepId: 's1', caller: 'local:ann',
 *   engine: 'duckdb', bytesScanned: 1234, costUsd: 0.00005, engineMs: 12, cacheHit: false, reused: false });
 */
export async function recordQuery(
  store: ObjectStore,
  entry: LedgerEntry,
  metrics?: (entry: LedgerEntry) => void,
): Promise<void> {
  await store.putText(ledgerKey(entry), JSON.stringify(entry), 'application/json');
  metrics?.(entry);
}

/**
 * Checks a month argument.
 * @throws UsageError when it is not `YYYY-MM`.
 */
export function checkMonth(month: string): string {
  if (!MONTH.test(month)) {
    throw new UsageError(`month '${month}' is not a month; write YYYY-MM, e.g. '2025-02'`);
  }
  return month;
}

/**
 * Every ledger entry of a month, in time order.
 * @example
 * const entries = await ledgerEntries(results, '2025-02');
 */
export async function ledgerEntries(store: ObjectStore, month: string): Promise<LedgerEntry[]> {
  const objects = await store.list(`${LEDGER_PREFIX}${checkMonth(month)}/`);
  const entries: LedgerEntry[] = [];
  // Bounded parallel reads: a month may hold thousands of small objects.
  for (let i = 0; i < objects.length; i += 16) {
    const texts = await Promise.all(objects.slice(i, i + 16).map((o) => store.getText(o.key)));
    for (const text of texts) if (text !== undefined) entries.push(JSON.parse(text) as LedgerEntry);
  }
  return entries;
}

/**
 * The totals of a month's ledger, overall and by caller (callers in descending cost, then name).
 * @example
 * const report = await monthlyCosts(results, '2025-02');
 * report.byCaller[0]; // { caller: 'local:ann', queries: 3, bytesScanned: 123456, costUsd: 0.00015 }
 */
export async function monthlyCosts(store: ObjectStore, month: string): Promise<CostReport> {
  return costReport(month, await ledgerEntries(store, month));
}

/**
 * Totals of ledger entries (pure; {@link monthlyCosts} reads them first).
 * @example
 * costReport('2025-02', entries).costUsd;
 */
export function costReport(month: string, entries: readonly LedgerEntry[]): CostReport {
  const callers = new Map<string, { queries: number; bytesScanned: number; costUsd: number }>();
  let bytesScanned = 0;
  let costUsd = 0;
  let cacheHits = 0;
  for (const entry of entries) {
    bytesScanned += entry.bytesScanned;
    costUsd += entry.costUsd;
    if (entry.cacheHit) cacheHits++;
    const caller = callers.get(entry.caller) ?? { queries: 0, bytesScanned: 0, costUsd: 0 };
    caller.queries++;
    caller.bytesScanned += entry.bytesScanned;
    caller.costUsd += entry.costUsd;
    callers.set(entry.caller, caller);
  }
  return {
    month,
    queries: entries.length,
    bytesScanned,
    costUsd: roundUsd(costUsd),
    cacheHits,
    byCaller: [...callers.entries()]
      .map(([caller, totals]) => ({ caller, ...totals, costUsd: roundUsd(totals.costUsd) }))
      .sort((a, b) => b.costUsd - a.costUsd || a.caller.localeCompare(b.caller)),
  };
}

/** Dollars to 1e-9 (sums of binary fractions drift in the last digits). */
function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * The metrics one query publishes through the metrics port (on AWS: EMF, namespace `Thermocline`,
 * dimension `Environment`): `QueryCostUsd` — the name the monitoring stack's cost-spike alarm and
 * dashboard read — plus `QueryBytesScanned`, `QueryEngineMs` and `QueryCacheHits`. Unit `None`
 * (the contract's metrics set no unit).
 * @example
 * const deps = { …, metrics: (entry) => sink.publish(ledgerMetrics(entry)) };
 */
export function ledgerMetrics(entry: LedgerEntry): MetricDatum[] {
  return [
    { name: 'QueryCostUsd', value: entry.costUsd, unit: 'None' },
    { name: 'QueryBytesScanned', value: entry.bytesScanned, unit: 'None' },
    { name: 'QueryEngineMs', value: entry.engineMs, unit: 'None' },
    { name: 'QueryCacheHits', value: entry.cacheHit ? 1 : 0, unit: 'None' },
  ];
}
