/**
 * The catalog summary of aws-integration.md "Catalog Integration": the external sources a plan
 * may use, as JSON an LLM (or a person) can plan queries from — the lake's tables with their
 * partitions and estimated size (Athena), the hot database's synced reference tables with their
 * sync mode and last sync (Aurora), and the configured S3 sources with file counts and sizes.
 */
import { partitionTotals } from '#core/lake/partition-totals';
import { BYTES_PER_GB } from '#core/units';
import type { CatalogSummary } from '#core/query/service-contract';
import { listExternalSource } from '#core/query/external-sources';
import type { QueryServiceDeps } from '#core/query/service-deps';

const GB = BYTES_PER_GB;

/** GB to 6 decimals (the seed shows whole numbers; a small local lake needs the decimals). */
function gb(bytes: number): number {
  return Math.round((bytes / GB) * 1e6) / 1e6;
}

/**
 * The catalog summary from the catalog, the config's sync mappings, the last sync times and a
 * listing of every S3 source.
 * @example
 * const summary = await catalogSummary(deps);
 * summary.external_sources.athena.tables; // ['agent_tasks', …, 'events']
 */
export async function catalogSummary(
  deps: Pick<
    QueryServiceDeps,
    | 'config'
    | 'environment'
    | 'catalog'
    | 'bucket'
    | 'lastSyncTimes'
    | 'lakeDatabase'
    | 'hotDatabase'
  >,
): Promise<CatalogSummary> {
  const [athena, aurora, s3Sources] = await Promise.all([
    athenaPart(deps),
    auroraPart(deps),
    s3Part(deps),
  ]);
  return { external_sources: { athena, aurora, s3_sources: s3Sources } };
}

async function athenaPart(
  deps: Pick<QueryServiceDeps, 'config' | 'environment' | 'catalog' | 'lakeDatabase'>,
): Promise<CatalogSummary['external_sources']['athena']> {
  const tables = (await deps.catalog.listTables()).sort((a, b) => a.name.localeCompare(b.name));
  const details = await Promise.all(
    tables.map(async (table) => {
      const partitions = await deps.catalog.listPartitions(table.name);
      const { rows, bytes, lastPublishedAt } = partitionTotals(partitions);
      return {
        table: table.name,
        partition_keys: table.partitionKeys,
        partitions: partitions.length,
        rows,
        bytes,
        last_published_at: lastPublishedAt,
      };
    }),
  );
  return {
    enabled: true,
    database: deps.lakeDatabase ?? deps.catalog.description,
    tables: details.map((d) => d.table),
    estimated_data_gb: gb(details.reduce((sum, d) => sum + d.bytes, 0)),
    retention_days: deps.config.environments[deps.environment].lifecycle.expire_after_days,
    details,
  };
}

async function auroraPart(
  deps: Pick<QueryServiceDeps, 'config' | 'lastSyncTimes' | 'hotDatabase'>,
): Promise<CatalogSummary['external_sources']['aurora']> {
  // Sync state is informative here: a database without it (no sync ran yet) is not an error.
  const synced = deps.lastSyncTimes ? await deps.lastSyncTimes().catch(() => ({})) : {};
  const details = deps.config.mappings.map((mapping) => {
    const state = (synced as Record<string, { lastSyncAt: string | null; mode: string | null }>)[
      mapping.table
    ];
    return {
      table: mapping.table,
      sync_mode: mapping.sync_mode,
      last_sync: state?.lastSyncAt ?? null,
    };
  });
  const modes = [...new Set(details.map((d) => d.sync_mode))];
  const lastSync = details.reduce<string | null>(
    (max, d) => (d.last_sync !== null && (max === null || d.last_sync > max) ? d.last_sync : max),
    null,
  );
  return {
    enabled: true,
    database: deps.hotDatabase ?? 'postgres',
    tables: details.map((d) => d.table),
    sync_mode: modes.length === 1 ? (modes[0] as string) : modes.length === 0 ? 'none' : 'mixed',
    last_sync: lastSync,
    details,
  };
}

async function s3Part(
  deps: Pick<QueryServiceDeps, 'config' | 'bucket'>,
): Promise<CatalogSummary['external_sources']['s3_sources']> {
  return Promise.all(
    deps.config.s3_sources.map(async (source) => {
      const listing = await listExternalSource(deps.bucket(source.bucket), source);
      return {
        bucket: listing.bucket,
        prefix: listing.prefix,
        file_count: listing.files,
        total_size_gb: gb(listing.bytes),
        ...(listing.eventTypes ? { event_types: listing.eventTypes } : {}),
      };
    }),
  );
}
