/**
 * How `query`, `estimate`, `catalog` and `costs` print their answers for people: plans, result
 * pages, estimates, the catalog summary and the cost ledger's totals as text tables.
 */
import { formatTable } from '#cli/output';
import type {
  CatalogSummary,
  CostReport,
  EstimateResponse,
  PlanStatus,
  ResultPage,
} from '#core/query/service-contract';

/** Rows of a result printed as a table; the rest are counted (`--json` has the page). */
export const PRINTED_ROWS = 50;

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

/** The cost ledger's totals of a month for people: the totals line, then one row per caller. */
export function describeCosts(report: CostReport): string[] {
  const lines = [
    `${report.month}: ${report.queries} quer${report.queries === 1 ? 'y' : 'ies'}, ` +
      `${formatBytes(report.bytesScanned)} scanned, ${formatUsd(report.costUsd)}, ` +
      `${report.cacheHits} answered from the cache.`,
  ];
  if (report.byCaller.length > 0) {
    lines.push(
      '',
      formatTable(
        ['caller', 'queries', 'scanned', 'cost'],
        report.byCaller.map((c) => [
          c.caller,
          c.queries,
          formatBytes(c.bytesScanned),
          formatUsd(c.costUsd),
        ]),
      ),
    );
  }
  return lines;
}
