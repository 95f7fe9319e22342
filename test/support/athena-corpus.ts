/**
 * The Athena corpus (test/fixtures/athena-corpus.json) and the lake tables its statements read,
 * shared by the parity test (which runs every statement on the local engine) and the guard's
 * unit test (which runs every statement through the guard with the same catalog).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogTable } from '#ports/catalog';

/** One statement of the corpus: Athena's column types and the rows as Athena's text. */
export interface CorpusCase {
  readonly sql: string;
  readonly types: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly note?: string;
  /**
   * A valid Athena statement the guard refuses on purpose: the rule that refuses it (matched
   * against the guard's message) and why. The parity test runs it without the guard.
   */
  readonly guard?: { readonly rejects: string; readonly reason: string };
}

/** A case as the fixture writes it: `[sql, type, text]` for one value, or the full object. */
export type RawCase = [string, string, string | null] | CorpusCase;

/** The statements of one Trino documentation page. */
export interface CorpusFamily {
  readonly family: string;
  readonly doc: string;
  readonly cases: readonly RawCase[];
}

/** The corpus as read from the fixture. */
export const CORPUS = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/athena-corpus.json'), 'utf8'),
) as { families: CorpusFamily[] };

/** A case in its full form. */
export function corpusCase(raw: RawCase): CorpusCase {
  if (!Array.isArray(raw)) return raw;
  const [sql, type, text] = raw;
  return { sql, types: [type], rows: [[text]] };
}

/** The days of the partitioned `events` table. */
export const CORPUS_DAYS = ['2025-02-14', '2025-02-15'] as const;

/** A lake table of the corpus: name, catalog columns, partition keys, rows as DuckDB SQL. */
export interface CorpusTable {
  readonly name: string;
  /** [name, Glue type, source type] */
  readonly columns: readonly (readonly [string, string, string])[];
  readonly partitionKeys: readonly string[];
  readonly partitions: readonly { readonly values: readonly string[]; readonly select: string }[];
}

/** TPC-H's 25 nations and 5 regions, the tables of the SELECT page's examples. */
const NATIONS = [
  'ALGERIA:0',
  'ARGENTINA:1',
  'BRAZIL:1',
  'CANADA:1',
  'EGYPT:4',
  'ETHIOPIA:0',
  'FRANCE:3',
  'GERMANY:3',
  'INDIA:2',
  'INDONESIA:2',
  'IRAN:4',
  'IRAQ:4',
  'JAPAN:2',
  'JORDAN:4',
  'KENYA:0',
  'MOROCCO:0',
  'MOZAMBIQUE:0',
  'PERU:1',
  'CHINA:2',
  'ROMANIA:3',
  'SAUDI ARABIA:4',
  'VIETNAM:2',
  'RUSSIA:3',
  'UNITED KINGDOM:3',
  'UNITED STATES:1',
];

/** The lake tables of the corpus. */
export const CORPUS_TABLES: readonly CorpusTable[] = [
  {
    name: 'customers',
    columns: [
      ['customer', 'string', 'text'],
      ['region', 'string', 'text'],
      ['since', 'date', 'date'],
    ],
    partitionKeys: [],
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
    partitionKeys: [],
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
    partitionKeys: [],
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
    // The SELECT page's `shipping` table of its GROUPING SETS, CUBE and ROLLUP examples.
    name: 'shipments',
    columns: [
      ['origin_state', 'string', 'text'],
      ['origin_zip', 'int', 'integer'],
      ['destination_state', 'string', 'text'],
      ['destination_zip', 'int', 'integer'],
      ['package_weight', 'int', 'integer'],
    ],
    partitionKeys: [],
    partitions: [
      {
        values: [],
        select: `SELECT * FROM (VALUES ('California', 94131, 'New Jersey', 8648, 13),
                  ('California', 94131, 'New Jersey', 8540, 42), ('New Jersey', 7081, 'Connecticut', 6708, 225),
                  ('California', 90210, 'Connecticut', 6927, 1337), ('California', 94131, 'Colorado', 80302, 5),
                  ('New York', 10002, 'New Jersey', 8540, 3))
                  t(origin_state, origin_zip, destination_state, destination_zip, package_weight)`,
      },
    ],
  },
  {
    name: 'nation',
    columns: [
      ['nationkey', 'bigint', 'bigint'],
      ['name', 'string', 'text'],
      ['regionkey', 'bigint', 'bigint'],
    ],
    partitionKeys: [],
    partitions: [
      {
        values: [],
        select: `SELECT nationkey::BIGINT AS nationkey, name, regionkey::BIGINT AS regionkey FROM (VALUES
                  ${NATIONS.map((n, key) => `(${key}, '${n.split(':')[0]}', ${n.split(':')[1]})`).join(', ')})
                  t(nationkey, name, regionkey)`,
      },
    ],
  },
  {
    name: 'region',
    columns: [
      ['regionkey', 'bigint', 'bigint'],
      ['name', 'string', 'text'],
    ],
    partitionKeys: [],
    partitions: [
      {
        values: [],
        select: `SELECT regionkey::BIGINT AS regionkey, name FROM (VALUES (0, 'AFRICA'), (1, 'AMERICA'),
                  (2, 'ASIA'), (3, 'EUROPE'), (4, 'MIDDLE EAST')) t(regionkey, name)`,
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
    partitionKeys: ['dt'],
    partitions: [
      {
        values: [CORPUS_DAYS[0]],
        select: `SELECT id::BIGINT AS id, kind, "at"::TIMESTAMPTZ AS "at" FROM (VALUES
                   (1, 'Login', '2025-02-14 00:03:00+00'), (2, 'GameOpened', '2025-02-14 00:10:00+00'),
                   (3, 'Login', '2025-02-14 23:59:00+00')) t(id, kind, "at")`,
      },
      {
        values: [CORPUS_DAYS[1]],
        select: `SELECT id::BIGINT AS id, kind, "at"::TIMESTAMPTZ AS "at" FROM (VALUES
                   (4, 'Login', '2025-02-15 01:00:00+00')) t(id, kind, "at")`,
      },
    ],
  },
];

/** The catalog entry of a corpus table. */
export function corpusCatalogTable(table: CorpusTable): CatalogTable {
  return {
    name: table.name,
    columns: table.columns.map(([name, type, sourceType]) => ({ name, type, sourceType })),
    partitionKeys: table.partitionKeys,
    location: `${table.name}/`,
    schemaHash: table.name,
  };
}
