/**
 * Athena parity of the local lake engine: every statement of the corpus
 * (test/fixtures/athena-corpus.json — Trino's documented examples, one table per function family)
 * passes the SQL guard (but the few it refuses on purpose, each saying why — the guard's own
 * corpus test checks both) and runs on the DuckDB lake engine with the result Athena returns, compared
 * as the JSON both engines' rows carry: Athena's text goes through the Athena adapter's own
 * conversion (athenaValue), so each case checks the rendering contract as well as the value.
 * Arrays and maps, which Athena returns as text, are compared as that text.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { athenaValue } from '#adapters/aws/athena-query-engine';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { openLocalLake } from '#adapters/local/local-lake';
import { guardSql } from '#core/query/guard';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import type { LakeQueryEngine, LakeTableScan } from '#ports/query-engine';
import {
  CORPUS,
  CORPUS_TABLES,
  corpusCase,
  corpusCatalogTable,
  type CorpusCase,
} from '#test/support/athena-corpus';

/** Athena's text of an array, map or row, from the local engine's JSON of it. */
function athenaText(value: unknown, type: string): string {
  if (value === null || value === undefined) return 'NULL';
  if (type === 'map' && Array.isArray(value)) {
    return `{${value
      .map((entry) => {
        const { key, value: item } = entry as { key: unknown; value: unknown };
        return `${athenaText(key, '')}=${athenaText(item, '')}`;
      })
      .join(', ')}}`;
  }
  if (Array.isArray(value)) {
    const elementType = type === 'map' ? '' : type;
    return `[${value.map((item) => athenaText(item, elementType)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${athenaText(v, '')}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** The local value as the corpus states it: JSON for scalars, Athena's text for arrays and maps. */
function comparable(value: unknown, type: string): unknown {
  return type === 'array' || type === 'map' ? athenaText(value, type) : value;
}

/** The expected value: Athena's text through the Athena adapter, or the text of an array or map. */
function expected(text: string | null, type: string): unknown {
  if (text === null) return type === 'array' || type === 'map' ? 'NULL' : null;
  return type === 'array' || type === 'map' ? text : athenaValue(text, type);
}

describe('Athena parity: the corpus runs locally with Athena’s documented results', () => {
  let home: string;
  let engine: LakeQueryEngine;
  const lakeTables: CatalogTable[] = [];
  const partitions = new Map<string, CatalogPartition[]>();

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'thermocline-athena-parity-'));
    const { store } = openLocalLake(home);
    const writer = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      for (const table of CORPUS_TABLES) {
        const keys = table.partitionKeys;
        lakeTables.push(corpusCatalogTable(table));
        const kept: CatalogPartition[] = [];
        for (const partition of table.partitions) {
          const folder = partition.values.map((v, i) => `${keys[i] ?? 'k'}=${v}/`).join('');
          const location = `${table.name}/${folder}v1/`;
          const file = store.locate(`${location}part-0.parquet`);
          await mkdir(dirname(file), { recursive: true });
          await writer.run(`COPY (${partition.select}) TO '${file}' (FORMAT parquet)`);
          kept.push({
            values: partition.values,
            location,
            rows: 0,
            bytes: 0,
            files: 1,
            runId: 'corpus',
            publishedAt: '2025-02-16T00:00:00.000Z',
          });
        }
        partitions.set(table.name, kept);
      }
    } finally {
      writer.closeSync();
    }
    engine = await createDuckDbQueryEngine(store);
  });

  afterAll(async () => {
    await engine?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('holds at least 500 statements', () => {
    expect(CORPUS.families.reduce((n, f) => n + f.cases.length, 0)).toBeGreaterThanOrEqual(500);
  });

  describe.each(CORPUS.families)('$family ($doc)', ({ cases }) => {
    it.each(cases.map(corpusCase))('$sql', async ({ sql, types, rows, guard }: CorpusCase) => {
      // A statement the guard refuses on purpose (see the guard's corpus test) reads every table.
      const read = guard
        ? lakeTables.map((t) => t.name)
        : guardSql(sql, { engine: 'lake', lakeTables, hotTables: [] }).tables.map((t) => t.name);
      const scans: LakeTableScan[] = read.map((name) => ({
        table: lakeTables.find((table) => table.name === name) as CatalogTable,
        partitions: partitions.get(name) ?? [],
      }));

      const result = await engine.run({ sql, params: [], maxScanBytes: 1e12, scans });

      const actual = result.rows.map((row) =>
        result.columns.map((column, i) => comparable(row[column.name], types[i] ?? '')),
      );
      const wanted = rows.map((row) => row.map((text, i) => expected(text, types[i] ?? '')));
      expect(actual).toEqual(wanted);
    });
  });
});
