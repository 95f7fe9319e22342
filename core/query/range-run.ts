/**
 * Running a routed `TableRange` step: both sides at once, their rows unioned with the same column
 * names and types (`#core/query/canonical-values`), at most the step's limit rows, with each
 * side's statistics.
 */
import { queryCostUsd } from '#core/query/ledger';
import type {
  HotQueryEngine,
  LakeQueryEngine,
  QueryColumn,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';
import { canonicalRow } from '#core/query/canonical-values';
import { buildHotQuery, buildLakeQuery } from '#core/query/range-sql';
import type { DayRange, RoutedRange } from '#core/query/range-route';

/** One side of a routed run, for the step's statistics. */
export interface RangePart {
  readonly tier: 'hot' | 'lake';
  readonly engine: string;
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  readonly bytesScanned: number;
  readonly estimatedBytes?: number;
  readonly costUsd: number;
  readonly engineMs: number;
  readonly reused?: boolean;
  readonly queryId?: string;
}

/** The union of both sides. */
export interface RangeResult {
  readonly columns: readonly QueryColumn[];
  /** Lake rows (older days) first, then hot rows; each side ordered by timestamp and key. */
  readonly rows: readonly QueryRow[];
  /** Rows both sides returned (each side is capped at the step's limit). */
  readonly totalRows: number;
  readonly truncated: boolean;
  readonly parts: readonly RangePart[];
  readonly warnings: readonly string[];
}

/** What running a routed step needs. */
export interface RangeEngines {
  readonly lakeEngine: LakeQueryEngine;
  readonly hotEngine: HotQueryEngine;
  readonly pricePerTbUsd: number;
  /** The lake side's scan limit, in bytes. */
  readonly maxScanBytes: number;
  /** The hot side's statement timeout. */
  readonly timeoutMs: number;
  /** The lake side's statement timeout. @default none */
  readonly lakeTimeoutMs?: number;
  /** Stops both sides (the service is stopping). */
  readonly signal?: AbortSignal;
}

/**
 * Runs both sides of a routed step at once and unions them: same column names, the catalog's
 * types, canonical values; at most the step's limit rows.
 * @example
 * const result = await runRoutedRange(routed, { lakeEngine, hotEngine, pricePerTbUsd: 5, maxScanBytes: 10e9, timeoutMs: 30_000 });
 */
export async function runRoutedRange(
  routed: RoutedRange,
  engines: RangeEngines,
): Promise<RangeResult> {
  const { split } = routed;
  const lakeRun = async (): Promise<{ part: RangePart; rows: QueryRow[] } | undefined> => {
    if (!split.lake) return undefined;
    if (routed.scan.partitions.length === 0) {
      return { part: emptyPart('lake', engines.lakeEngine.name, split.lake), rows: [] };
    }
    const query = buildLakeQuery(routed, split.lake);
    const result = await engines.lakeEngine.run({
      sql: query.sql,
      params: query.params,
      maxScanBytes: engines.maxScanBytes,
      scans: [routed.scan],
      ...(engines.lakeTimeoutMs === undefined ? {} : { timeoutMs: engines.lakeTimeoutMs }),
      ...(engines.signal ? { signal: engines.signal } : {}),
    });
    return {
      part: {
        ...partOf('lake', engines.lakeEngine.name, split.lake, result),
        estimatedBytes: routed.estimate.bytes,
        costUsd: result.reused ? 0 : queryCostUsd(result.bytesScanned, engines.pricePerTbUsd),
      },
      rows: result.rows.map((row) => canonicalRow(row, routed.columns)),
    };
  };
  const hotRun = async (): Promise<{ part: RangePart; rows: QueryRow[] } | undefined> => {
    if (!split.hot) return undefined;
    const query = buildHotQuery(routed, split.hot);
    const result = await engines.hotEngine.run({
      sql: query.sql,
      params: query.params,
      timeoutMs: engines.timeoutMs,
      ...(engines.signal ? { signal: engines.signal } : {}),
    });
    return {
      part: partOf('hot', engines.hotEngine.name, split.hot, result),
      rows: result.rows.map((row) => canonicalRow(row, routed.columns)),
    };
  };
  const sides = (await Promise.all([lakeRun(), hotRun()])).filter((s) => s !== undefined);
  const all = sides.flatMap((s) => s.rows);
  const limit = routed.step.limit;
  return {
    columns: routed.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: all.slice(0, limit),
    totalRows: all.length,
    truncated: all.length > limit || sides.some((s) => s.rows.length >= limit),
    parts: sides.map((s) => s.part),
    warnings: routed.warnings,
  };
}

function emptyPart(tier: 'hot' | 'lake', engine: string, days: DayRange): RangePart {
  return {
    tier,
    engine,
    from: days.from,
    to: days.to,
    rows: 0,
    bytesScanned: 0,
    costUsd: 0,
    engineMs: 0,
  };
}

function partOf(
  tier: 'hot' | 'lake',
  engine: string,
  days: DayRange,
  result: QueryResult,
): RangePart {
  return {
    tier,
    engine,
    from: days.from,
    to: days.to,
    rows: result.rows.length,
    bytesScanned: result.bytesScanned,
    costUsd: 0,
    engineMs: result.engineMs,
    reused: result.reused,
    ...(result.queryId === undefined ? {} : { queryId: result.queryId }),
  };
}
