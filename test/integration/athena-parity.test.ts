/**
 * Athena parity of the local lake engine: every statement of the corpus
 * (test/fixtures/athena-corpus.json — Trino's documented examples, one table per function family)
 * passes the SQL guard and runs on the DuckDB lake engine with the result Athena returns, compared
 * as the JSON both engines' rows carry: Athena's text goes through the Athena adapter's own
 * conversion (athenaValue), so each case checks the rendering contract as well as the value.
 * Arrays and maps, which Athena returns as text, are compared as that text.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { athenaValue } from '#adapters/aws/athena-query-engine';
import { createDuckDbQueryEngine } from '#adapters/duckdb/duckdb-query-engine';
import { openLocalLake } from '#adapters/local/local-lake';
import { guardSql } from '#core/query/guard';
import type { CatalogPartition, CatalogTable } from '#ports/catalog';
import type { LakeQueryEngine, LakeTableScan } from '#ports/query-engine';

/** One statement of the corpus: Athena's column types and the rows as Athena's text. */
interface Case {
  readonly sql: string;
  readonly types: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly note?: string;
}

type RawCase = [string, string, string | null] | Case;

interface Family {
  readonly family: string;
  readonly doc: string;
  readonly cases: readonly RawCase[];
}

const corpus = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/athena-corpus.json'), 'utf8'),
) as { families: Family[] };

function normalized(raw: RawCase): Case {
  if (!Array.isArray(raw)) return raw;
  const [sql, type, text] = raw;
  return { sql, types: [type], rows: [[text]] };
}

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

const DAYS = ['2025-02-14', '2025-02-15'];

/** The lake tables of the corpus: name, catalog columns, partition keys, rows as DuckDB SQL. */
const TABLES: readonly {
  readonly name: string;
  readonly columns: readonly [string, string, string][];
  readonly partitions: readonly { readonly values: readonly string[]; readonly select: string }[];
}[] = [
  {
    name: 'customers',
    columns: [
      ['customer', 'string', 'text'],
      ['region', 'string', 'text'],
      ['since', 'date', 'date'],
    ],
    partitions: [
      {
        values: [],
        select: `SELECT * FROM (VALUES ('C1', 'EU', DATE '2024-01-15'), ('C2', 'US', DATE '2024-03-01'),
                  ('C3', 'EU', DATE '2024-06-30')) t(customer, region, since)`,
      },
    ],
  },
  {
    name: 'orders',
    columns: [
      ['order_id', 'bigint', 'bigint'],
      ['customer', 'string', 'text'],
      ['amount', 'decimal(10,2)', 'numeric(10,2)'],
      ['placed_at', 'timestamp', 'timestamp with time zone'],
      ['tags', 'array<string>', 'text[]'],
    ],
    partitions: [
      {
        values: [],
        select: `SELECT order_id::BIGINT AS order_id, customer, amount::DECIMAL(10,2) AS amount,
                   placed_at::TIMESTAMPTZ AS placed_at, tags::VARCHAR[] AS tags FROM (VALUES
                   (1, 'C1', 12.50, '2025-02-14 08:00:00+00', ['new', 'gift']),
                   (2, 'C2', 99.99, '2025-02-14 09:30:00+00', ['vip']),
                   (3, 'C1', 5.00, '2025-02-15 10:00:00+00', []),
                   (4, 'C3', 42.00, '2025-02-15 11:15:00+00', ['gift']),
                   (5, 'C4', 7.25, '2025-02-16 12:00:00+00', NULL),
                   (6, 'C2', 15.00, '2025-02-16 13:45:00+00', ['new'])
                 ) t(order_id, customer, amount, placed_at, tags)`,
      },
    ],
  },
  {
    name: 'shipping',
    columns: [
      ['origin_state', 'string', 'text'],
      ['origin_zip', 'string', 'text'],
      ['packages', 'int', 'integer'],
      ['total_cost', 'int', 'integer'],
    ],
    partitions: [
      {
        values: [],
        select: `SELECT * FROM (VALUES ('California', '94131', 25, 100), ('California', 'P332a', 5, 72),
                  ('California', '94025', 0, 155), ('New Jersey', '08544', 225, 490))
                  t(origin_state, origin_zip, packages, total_cost)`,
      },
    ],
  },
  {
    name: 'events',
    columns: [
      ['id', 'bigint', 'bigint'],
      ['kind', 'string', 'text'],
      ['at', 'timestamp', 'timestamp with time zone'],
    ],
    partitions: [
      {
        values: [DAYS[0] as string],
        select: `SELECT id::BIGINT AS id, kind, "at"::TIMESTAMPTZ AS "at" FROM (VALUES
                   (1, 'Login', '2025-02-14 00:03:00+00'), (2, 'GameOpened', '2025-02-14 00:10:00+00'),
                   (3, 'Login', '2025-02-14 23:59:00+00')) t(id, kind, "at")`,
      },
      {
        values: [DAYS[1] as string],
        select: `SELECT id::BIGINT AS id, kind, "at"::TIMESTAMPTZ AS "at" FROM (VALUES
                   (4, 'Login', '2025-02-15 01:00:00+00')) t(id, kind, "at")`,
      },
    ],
  },
];

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
      for (const table of TABLES) {
        const keys = table.name === 'events' ? ['dt'] : [];
        lakeTables.push({
          name: table.name,
          columns: table.columns.map(([name, type, sourceType]) => ({ name, type, sourceType })),
          partitionKeys: keys,
          location: `${table.name}/`,
          schemaHash: table.name,
        });
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

  it('holds at least 150 statements', () => {
    expect(corpus.families.reduce((n, f) => n + f.cases.length, 0)).toBeGreaterThanOrEqual(150);
  });

  describe.each(corpus.families)('$family ($doc)', ({ cases }) => {
    it.each(cases.map(normalized))('$sql', async ({ sql, types, rows }) => {
      const analysis = guardSql(sql, { engine: 'lake', lakeTables, hotTables: [] });
      const scans: LakeTableScan[] = analysis.tables.map((t) => ({
        table: lakeTables.find((table) => table.name === t.name) as CatalogTable,
        partitions: partitions.get(t.name) ?? [],
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
