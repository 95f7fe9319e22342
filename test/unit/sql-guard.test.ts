import { SqlRejectedError, SqlTooLongError } from '#core/query/errors';
import {
  guardSql,
  MAX_SQL_BOOLEAN_OPERATORS,
  MAX_SQL_LENGTH,
  type GuardOptions,
  type SqlAnalysis,
} from '#core/query/guard';
import { normalizeGuardSyntax } from '#core/query/guard-syntax';
import type { CatalogTable } from '#ports/catalog';
import { CORPUS, CORPUS_TABLES, corpusCase, corpusCatalogTable } from '#test/support/athena-corpus';

function table(name: string, columns: string[], partitionKeys: string[]): CatalogTable {
  return {
    name,
    columns: columns.map((c) => ({ name: c, type: 'string', sourceType: 'text' })),
    partitionKeys,
    location: `${name}/`,
    schemaHash: 'h',
  };
}

const lakeTables = [
  table('events', ['id', 'membercode', 'occurred_at', 'payload'], ['event_type', 'dt']),
  table('agent_tasks', ['id', 'agent_id', 'status', 'created_at'], ['year', 'month', 'day']),
  table('agents', ['agent_id', 'name'], []),
];
const lake: GuardOptions = { engine: 'lake', lakeTables, hotTables: ['members'] };
const hot: GuardOptions = { engine: 'hot', lakeTables, hotTables: ['members', 'games'] };

const SEED_ATHENA =
  "SELECT memberCode, count(*) FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2024-11-01' AND '2024-11-30' GROUP BY 1";
const SEED_AURORA = 'SELECT member_code, total_deposit FROM members WHERE member_code = ANY($1)';

/** The SqlRejectedError guardSql throws. */
function rejected(sql: string, options: GuardOptions): SqlRejectedError {
  try {
    guardSql(sql, options);
  } catch (error) {
    if (error instanceof SqlRejectedError) return error;
    throw error;
  }
  throw new Error(`the guard accepted: ${sql}`);
}

function only(analysis: SqlAnalysis, name: string): SqlAnalysis['tables'][number] | undefined {
  return analysis.tables.find((t) => t.name === name);
}

describe('guardSql accepts', () => {
  it("the seed's AthenaQuery, with its columns and partition predicates", () => {
    const analysis = guardSql(SEED_ATHENA, lake);

    expect(analysis.tables).toEqual([
      expect.objectContaining({
        name: 'events',
        columns: ['dt', 'event_type', 'membercode'],
        partitionPredicates: [
          { key: 'event_type', op: 'eq', values: ['GameOpened'] },
          { key: 'dt', op: 'between', values: ['2024-11-01', '2024-11-30'] },
        ],
      }),
    ]);
    expect(analysis.warnings).toEqual([]);
  });

  it("the seed's AuroraQuery with its $1 parameter", () => {
    const analysis = guardSql(SEED_AURORA, hot);

    expect(analysis.paramCount).toBe(1);
    expect(analysis.tables.map((t) => t.name)).toEqual(['members']);
  });

  it('WITH … SELECT, reading the filters inside the CTE (CTE names are not tables)', () => {
    const analysis = guardSql(
      "WITH logins AS (SELECT membercode FROM events WHERE event_type = 'Login' AND dt >= '2025-02-01') SELECT membercode FROM logins",
      lake,
    );

    expect(analysis.tables.map((t) => t.name)).toEqual(['events']);
    expect(only(analysis, 'events')?.partitionPredicates).toEqual([
      { key: 'event_type', op: 'eq', values: ['Login'] },
      { key: 'dt', op: 'ge', values: ['2025-02-01'] },
    ]);
  });

  it('UNION ALL, keeping each branch as an occurrence of the table', () => {
    const analysis = guardSql(
      "SELECT id FROM events WHERE event_type = 'Login' AND dt = '2025-02-01' UNION ALL SELECT id FROM events WHERE event_type = 'Logout' AND dt = '2025-02-01'",
      lake,
    );

    const events = only(analysis, 'events');
    expect(events?.occurrences).toHaveLength(2);
    expect(events?.partitionPredicates).toEqual([{ key: 'dt', op: 'eq', values: ['2025-02-01'] }]);
  });

  it('$n parameters as partition filters', () => {
    const analysis = guardSql(
      'SELECT id FROM events WHERE event_type IN ($1, $2) AND dt BETWEEN $3 AND $4',
      lake,
    );

    expect(analysis.paramCount).toBe(4);
    expect(only(analysis, 'events')?.partitionPredicates).toEqual([
      { key: 'event_type', op: 'in', values: [{ param: 1 }, { param: 2 }] },
      { key: 'dt', op: 'between', values: [{ param: 3 }, { param: 4 }] },
    ]);
  });

  it('a comparison written constant first, flipping it', () => {
    const analysis = guardSql(
      "SELECT id FROM agent_tasks WHERE '2025' <= year AND status = 'done'",
      lake,
    );

    expect(only(analysis, 'agent_tasks')?.partitionPredicates).toEqual([
      { key: 'year', op: 'ge', values: ['2025'] },
    ]);
  });

  it('Trino functions and lambdas', () => {
    const analysis = guardSql(
      "SELECT try_cast(id AS bigint) AS n, filter(ARRAY[1, 2], x -> x > 1) AS f FROM events WHERE event_type = 'a' AND dt = '2025-02-01'",
      lake,
    );

    expect(only(analysis, 'events')?.columns).toEqual(['dt', 'event_type', 'id']);
  });

  it('a correlated scalar subquery, attributing columns through aliases', () => {
    const analysis = guardSql(
      "SELECT a.name, (SELECT max(e.occurred_at) FROM events e WHERE e.membercode = a.agent_id AND e.event_type = 'x' AND e.dt = '2025-02-01') AS last FROM agents a",
      lake,
    );

    expect(only(analysis, 'agents')?.columns).toEqual(['agent_id', 'name']);
    expect(only(analysis, 'events')?.columns).toEqual([
      'dt',
      'event_type',
      'membercode',
      'occurred_at',
    ]);
  });

  it('a trailing semicolon and comment', () => {
    expect(guardSql('SELECT name FROM agents; -- all agents', lake).tables).toHaveLength(1);
  });

  it('a hot table qualified with public', () => {
    expect(guardSql('SELECT member_code FROM public.members', hot).tables[0]?.name).toBe('members');
  });
});

describe('guardSql warns', () => {
  it('on SELECT *, counting every column of the table', () => {
    const analysis = guardSql(
      "SELECT * FROM events WHERE event_type = 'Login' AND dt = '2025-02-01'",
      lake,
    );

    expect(analysis.warnings).toEqual([
      expect.stringMatching(/SELECT \* on events reads all 6 columns/),
    ]);
    expect(only(analysis, 'events')?.columns).toEqual([
      'dt',
      'event_type',
      'id',
      'membercode',
      'occurred_at',
      'payload',
    ]);
  });

  it('on t.*', () => {
    const analysis = guardSql('SELECT m.* FROM members m', hot);

    expect(analysis.warnings).toEqual([expect.stringMatching(/SELECT \* on members/)]);
  });

  it('not on count(*)', () => {
    expect(guardSql('SELECT count(*) FROM agents', lake).warnings).toEqual([]);
  });
});

describe('guardSql rejects', () => {
  it.each([
    ['DELETE', 'DELETE FROM members WHERE member_code = $1', /found DELETE/],
    ['UPDATE', "UPDATE members SET name = 'x'", /found UPDATE/],
    ['INSERT', 'INSERT INTO members SELECT * FROM members', /found INSERT/],
    ['DROP', 'DROP TABLE members', /found DROP TABLE/],
    ['TRUNCATE', 'TRUNCATE TABLE members', /found TRUNCATE/],
    ['ALTER', 'ALTER TABLE members ADD COLUMN x int', /found ALTER/],
    ['GRANT', 'GRANT SELECT ON members TO bob', /found GRANT/],
    ['SET', 'SET search_path = x', /found SET/],
    ['CALL', 'CALL refresh()', /found CALL/],
  ])('%s on the hot database', (_, sql, message) => {
    expect(rejected(sql, hot).message).toMatch(message);
  });

  it('CREATE TABLE AS (CTAS)', () => {
    expect(rejected('CREATE TABLE copy AS SELECT * FROM members', hot).message).toMatch(
      /found CREATE TABLE … AS SELECT \(CTAS\)/,
    );
  });

  it('CTAS on the lake', () => {
    expect(rejected('CREATE TABLE x AS SELECT name FROM agents', lake).message).toMatch(
      /found CREATE TABLE … AS SELECT \(CTAS\)/,
    );
  });

  it('several statements', () => {
    expect(rejected('SELECT name FROM agents; SELECT name FROM agents', lake).message).toMatch(
      /more after the ';'/,
    );
  });

  it('a second statement hidden from the parser by a backslash before a quote', () => {
    expect(
      rejected("SELECT 'a\\'; DELETE FROM members; --' AS x FROM members", hot).message,
    ).toMatch(/ends with a backslash/);
  });

  it("'//' on the lake (a comment to the parser, division to DuckDB)", () => {
    expect(rejected('SELECT 1 // 2 FROM agents', lake).message).toMatch(/'\/\/'/);
  });

  it('UNLOAD', () => {
    expect(
      rejected(
        "UNLOAD (SELECT name FROM agents) TO 's3://bucket/x/' WITH (format = 'PARQUET')",
        lake,
      ).message,
    ).toMatch(/does not parse/);
  });

  it('SELECT INTO', () => {
    expect(rejected('SELECT * INTO copy FROM members', hot).message).toMatch(/SELECT … INTO/);
  });

  it('FOR UPDATE', () => {
    expect(rejected('SELECT name FROM members FOR UPDATE', hot).message).toMatch(
      /does not parse at line 1, column 30, near 'UPDATE'.*no .*locking clauses/,
    );
  });

  it('EXPLAIN ANALYZE', () => {
    expect(rejected('EXPLAIN ANALYZE SELECT name FROM members', hot).message).toMatch(
      /does not parse/,
    );
  });

  it('pg_sleep on the hot database', () => {
    expect(rejected('SELECT pg_sleep(10)', hot).message).toMatch(
      /the function pg_sleep\(\) is not allowed/,
    );
  });

  it('a function that runs SQL given as text', () => {
    expect(rejected("SELECT query_to_xml('SELECT 1', true, true, '')", hot).message).toMatch(
      /query_to_xml\(\)/,
    );
  });

  it("DuckDB's file readers on the lake", () => {
    expect(rejected("SELECT * FROM read_csv('/etc/passwd')", lake).message).toMatch(
      /read_csv\(\) is not allowed/,
    );
  });

  it('an unknown lake table, listing the known ones', () => {
    expect(rejected("SELECT id FROM evnts WHERE dt = '2025-02-01'", lake).message).toMatch(
      /table 'evnts' is not in the lake catalog; known tables: agent_tasks, agents, events/,
    );
  });

  it('a hot table in a lake query, saying where it is', () => {
    expect(rejected('SELECT member_code FROM members', lake).message).toMatch(
      /'members' is a hot table: use an AuroraQuery step/,
    );
  });

  it('an unknown hot table, listing the known ones', () => {
    expect(rejected('SELECT * FROM pg_user', hot).message).toMatch(
      /table 'pg_user' is not a hot table plans may read; known tables: games, members/,
    );
  });

  it('another schema on the hot database', () => {
    expect(rejected('SELECT usename FROM pg_catalog.pg_user', hot).message).toMatch(
      /schema 'pg_catalog' is not readable/,
    );
  });

  it('a schema-qualified lake table', () => {
    expect(rejected('SELECT name FROM lake.agents', lake).message).toMatch(
      /without a database or schema/,
    );
  });

  it('a query on events without a filter on its time key dt', () => {
    expect(rejected("SELECT id FROM events WHERE event_type = 'Login'", lake).message).toMatch(
      /queries on partitioned table 'events' must filter on its partition key dt in WHERE, e\.g\. … WHERE dt BETWEEN '2025-02-01' AND '2025-02-15'/,
    );
  });

  it('a year/month/day table without year', () => {
    expect(rejected("SELECT id FROM agent_tasks WHERE month = '02'", lake).message).toMatch(
      /partition key year in WHERE, e\.g\. … WHERE year = '2025'/,
    );
  });

  it('a partition filter under a top-level OR', () => {
    expect(
      rejected("SELECT id FROM agent_tasks WHERE year = '2025' OR status = 'done'", lake).message,
    ).toMatch(/partition key year/);
  });

  it('a column the lake table does not have', () => {
    expect(
      rejected("SELECT e.memberCod FROM events e WHERE event_type = 'a' AND dt = 'b'", lake)
        .message,
    ).toMatch(/column 'membercod' is not a column of events; its columns: event_type, dt, id/);
  });

  it('SQL that does not parse, with where', () => {
    expect(rejected('SELEC name FROM agents', lake).message).toMatch(
      /does not parse at line 1, column 7, near 'name FROM agents'/,
    );
  });

  it('a cast of a parameter with ::, saying how to write it', () => {
    expect(rejected('SELECT name FROM members WHERE id = $1::int', hot).message).toMatch(
      /CAST\(\$1 AS type\)/,
    );
  });

  it('with the path and status 400', () => {
    const error = rejected('DROP TABLE members', { ...hot, path: 'steps[1].sql' });

    expect(error.path).toBe('steps[1].sql');
    expect(error.message.startsWith('steps[1].sql: ')).toBe(true);
    expect([error.status, error.exitCode, error.code]).toEqual([400, 2, 'sql_rejected']);
  });
});

// Issue 16: a bounded filter on the time key is enough; other partition keys only prune.
describe('the partition-filter rule', () => {
  const dtForms = [
    ["dt = '2026-01-19'", [{ key: 'dt', op: 'eq', values: ['2026-01-19'] }]],
    [
      "dt IN ('2026-01-19', '2026-01-20')",
      [{ key: 'dt', op: 'in', values: ['2026-01-19', '2026-01-20'] }],
    ],
    [
      "dt BETWEEN '2026-01-01' AND '2026-01-31'",
      [{ key: 'dt', op: 'between', values: ['2026-01-01', '2026-01-31'] }],
    ],
    [
      "dt >= '2026-01-01' AND dt < '2026-02-01'",
      [
        { key: 'dt', op: 'ge', values: ['2026-01-01'] },
        { key: 'dt', op: 'lt', values: ['2026-02-01'] },
      ],
    ],
    [
      "'2026-01-31' >= dt AND dt > '2026-01-01'",
      [
        { key: 'dt', op: 'le', values: ['2026-01-31'] },
        { key: 'dt', op: 'gt', values: ['2026-01-01'] },
      ],
    ],
    ['dt BETWEEN $1 AND $2', [{ key: 'dt', op: 'between', values: [{ param: 1 }, { param: 2 }] }]],
  ] as const;

  it.each(dtForms)(
    'accepts events WHERE %s without event_type, and no warning',
    (where, predicates) => {
      const analysis = guardSql(`SELECT count(*) AS n FROM events WHERE ${where}`, lake);

      expect(only(analysis, 'events')?.partitionPredicates).toEqual(predicates);
      expect(analysis.warnings).toEqual([]);
    },
  );

  it('keeps a filter on event_type as pruning, next to dt', () => {
    const analysis = guardSql(
      "SELECT count(*) AS n FROM events WHERE dt = '2026-01-19' AND event_type IN ('Login', 'Logout')",
      lake,
    );

    expect(only(analysis, 'events')?.partitionPredicates).toEqual([
      { key: 'dt', op: 'eq', values: ['2026-01-19'] },
      { key: 'event_type', op: 'in', values: ['Login', 'Logout'] },
    ]);
  });

  it('accepts a dt compared with a constant it cannot read (a function of constants)', () => {
    const analysis = guardSql(
      'SELECT count(*) AS n FROM events WHERE dt = CAST(current_date AS varchar)',
      lake,
    );

    expect(analysis.warnings).toEqual([]);
  });

  it.each([
    ["year = '2026'"],
    ["year = '2026' AND month = '01'"],
    ["year IN ('2025', '2026') AND month = '12' AND day = '31'"],
    ["year BETWEEN '2025' AND '2026'"],
    ["year >= '2025' AND year <= '2026'"],
  ])('accepts year/month/day tables WHERE %s', (where) => {
    const analysis = guardSql(`SELECT count(*) AS n FROM agent_tasks WHERE ${where}`, lake);

    expect(analysis.warnings).toEqual([]);
  });

  it.each([
    ["events WHERE dt >= '2026-01-01'", 'dt', 'events', 'upper'],
    ["events WHERE dt < '2026-01-01' AND event_type = 'Login'", 'dt', 'events', 'lower'],
    ["agent_tasks WHERE year > '2024'", 'year', 'agent_tasks', 'upper'],
  ])('accepts a one-sided time filter (%s) with a warning', (from, key, name, missing) => {
    const analysis = guardSql(`SELECT count(*) AS n FROM ${from}`, lake);

    expect(analysis.warnings).toEqual([
      expect.stringContaining(
        `the filter on ${key} of ${name} has no ${missing} bound, so the query reads every partition on that side; it runs only while its scan estimate is within the limit`,
      ),
    ]);
  });

  it.each([
    ["SELECT count(*) FROM events WHERE event_type = 'Login'", /partition key dt/],
    ['SELECT count(*) FROM events', /partition key dt/],
    ["SELECT count(*) FROM agent_tasks WHERE month = '01' AND day = '19'", /partition key year/],
    [
      "SELECT count(*) FROM events WHERE dt = '2026-01-19' OR event_type = 'Login'",
      /partition key dt/,
    ],
    ['SELECT count(*) FROM events WHERE dt IS NOT NULL', /partition key dt/],
    ["SELECT count(*) FROM events WHERE dt <> '2026-01-19'", /partition key dt/],
  ])('rejects %s', (sql, message) => {
    expect(rejected(sql, lake).message).toMatch(message);
  });

  it('applies to each occurrence: a join needs the time key on both tables', () => {
    expect(
      rejected(
        "SELECT count(*) FROM events e JOIN agent_tasks t ON t.id = e.id WHERE e.dt = '2026-01-19'",
        lake,
      ).message,
    ).toMatch(/'agent_tasks' must filter on its partition key year/);
    expect(
      guardSql(
        "SELECT count(*) FROM events e JOIN agent_tasks t ON t.id = e.id WHERE e.dt = '2026-01-19' AND t.year = '2026'",
        lake,
      ).warnings,
    ).toEqual([]);
  });
});

describe("guardSql on the lake: only Athena's functions (what passes locally runs on Athena)", () => {
  it('accepts the Trino functions Athena users write daily', () => {
    const sql =
      "SELECT date_format(from_iso8601_timestamp(payload), '%Y-%m-%d'), date_add('day', -1, current_date), " +
      "regexp_like(payload, '^a'), json_extract_scalar(payload, '$.a'), approx_distinct(id), " +
      "element_at(transform(split(payload, ','), x -> upper(x)), -1), url_extract_host(payload), " +
      "to_hex(to_utf8(payload)), try(CAST(id AS bigint)), if(id IS NULL, 'none', 'some') " +
      "FROM events WHERE event_type = 'Login' AND dt = '2025-02-01'";

    expect(guardSql(sql, lake).tables).toHaveLength(1);
  });

  it.each([
    [
      "SELECT strftime(now(), '%Y')",
      /strftime\(\) does not exist on Athena.*use date_format\(timestamp, '%Y-%m-%d'\) or format_datetime/,
    ],
    [
      'SELECT list_extract(ARRAY[1, 2], 1)',
      /list_extract\(\) does not exist on Athena.*use element_at\(array, index\) or array\[index\]/,
    ],
    ['SELECT epoch(now())', /epoch\(\) does not exist on Athena.*use to_unixtime\(timestamp\)/],
    [
      "SELECT string_agg(name, ',') FROM agents",
      /string_agg\(\) does not exist on Athena.*listagg/,
    ],
    [
      'SELECT frobnicate(1)',
      /frobnicate\(\) does not exist on Athena.*https:\/\/trino\.io\/docs\/current\/functions\/list\.html/,
    ],
  ])('rejects a function Athena does not have, naming the one to use: %s', (sql, message) => {
    expect(rejected(sql, lake).message).toMatch(message);
  });

  it('rejects a schema-qualified function call', () => {
    expect(rejected("SELECT trino.date_add('day', 1, now())", lake).message).toMatch(
      /write functions without a catalog or schema in lake queries: date_add\(\) instead of trino\.date_add\(\)/,
    );
  });

  it("rejects DuckDB's file readers even when qualified with a schema", () => {
    expect(rejected("SELECT main.read_text('/etc/passwd')", lake).message).toMatch(
      /read_text\(\) is not allowed in lake queries/,
    );
  });

  it("leaves hot SQL to PostgreSQL's functions", () => {
    expect(guardSql("SELECT string_agg(member_code, ',') FROM members", hot).tables).toHaveLength(
      1,
    );
  });
});

describe('guardSql bounds what reaches its parser (no stack overflow, never a RangeError)', () => {
  const DAY = "SELECT id FROM events WHERE event_type = 'Login' AND dt = '2025-02-15'";
  /** `col = 'v0' <op> col = 'v1' …` with `operators` operators. */
  const chain = (column: string, operators: number, op = 'OR'): string =>
    Array.from({ length: operators + 1 }, (_, i) => `${column} = 'v${i}'`).join(` ${op} `);

  it('refuses a 160 KB WHERE clause with 413 sql_too_long, naming the length and the limit', () => {
    const sql = `${DAY} AND (${chain('membercode', 8_000)})`;
    expect(sql.length).toBeGreaterThan(160_000);

    let error: unknown;
    try {
      guardSql(sql, { ...lake, path: 'steps[0].sql' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(SqlTooLongError);
    expect(error).toMatchObject({
      status: 413,
      code: 'sql_too_long',
      length: sql.length,
      limit: 65_536,
      path: 'steps[0].sql',
    });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^steps\\[0\\]\\.sql: the SQL has ${sql.length.toLocaleString('en-US')} characters, over ` +
          `the limit of 65,536; split the statement into several steps, or pass long lists of ` +
          `values as a parameter`,
      ),
    );
  });

  it('reads a statement of exactly the longest length', () => {
    const sql = `${DAY} -- `;
    const padded = sql + 'x'.repeat(MAX_SQL_LENGTH - sql.length);

    expect(guardSql(padded, lake).tables.map((t) => t.name)).toEqual(['events']);
  });

  it.each(['lake', 'hot'] as const)(
    'refuses 1,001 ORs on the %s engine with 400 sql_rejected before parsing',
    (engine) => {
      const sql = `SELECT 1 AS one FROM members WHERE ${chain('member_code', 1_001)}`;

      const error = rejected(sql, engine === 'lake' ? { ...lake, hotTables: [] } : hot);

      expect(error.status).toBe(400);
      expect(error.message).toMatch(
        /the SQL has 1,001 AND\/OR operators, more than the 1,000 the guard accepts .*col IN \('a', 'b', …\)/,
      );
    },
  );

  it('refuses 1,001 ANDs too', () => {
    expect(
      rejected(`SELECT 1 FROM members WHERE ${chain('member_code', 1_001, 'AND')}`, hot).message,
    ).toMatch(/1,001 AND\/OR operators/);
  });

  it(`accepts ${MAX_SQL_BOOLEAN_OPERATORS} operators, BETWEEN's AND and words in strings and comments not counted`, () => {
    const sql =
      `SELECT member_code FROM members WHERE created_at BETWEEN '2025-01-01' AND '2025-02-01' ` +
      `AND (${chain('member_code', MAX_SQL_BOOLEAN_OPERATORS - 2)}) ` +
      `AND name <> 'a or b and c' -- or and or`;

    expect(guardSql(sql, hot).tables.map((t) => t.name)).toEqual(['members']);
  });

  it.each(['lake', 'hot'] as const)(
    'answers an expression nested past the stack (15,000 terms, 30 KB) with 400 sql_rejected on the %s engine',
    (engine) => {
      const sql = `${DAY} AND id = ${Array.from({ length: 15_000 }, () => '1').join('+')}`;
      expect(sql.length).toBeLessThan(MAX_SQL_LENGTH);

      const error = rejected(sql, engine === 'lake' ? lake : { ...hot, hotTables: ['events'] });

      expect(error.message).toMatch(
        /the SQL nests too deeply for the guard to check .*; write fewer nested parentheses/,
      );
    },
  );

  it('answers 3,000 nested parentheses with the same message', () => {
    const sql = `${DAY} AND ${'('.repeat(3_000)}membercode = 'x'${')'.repeat(3_000)}`;

    expect(rejected(sql, lake).message).toMatch(/nests too deeply for the guard to check/);
  });
});

// Issue 10: Athena syntax node-sql-parser does not read is rewritten for the guard's analysis
// only (core/query/guard-syntax.ts); the rules still see every table, function and subquery.
describe('guardSql on Athena syntax the parser does not read', () => {
  const accepted: [string, string, Record<string, string[]>][] = [
    [
      'casts to array, map, row, varbinary, double precision',
      "SELECT CAST(json_parse(payload) AS array(row(a integer, b map(varchar, array(bigint))))), TRY_CAST(id AS varbinary), CAST(id AS double precision) FROM events WHERE dt = '2025-02-01'",
      { events: ['dt', 'id', 'payload'] },
    ],
    [
      "X'…', U&'…' [UESCAPE], JSON '…' and typed literals",
      "SELECT to_hex(X'00ff'), U&'\\2603', U&'#2603' UESCAPE '#', JSON '[1]', BIGINT '1' + 1, REAL '1.5', VARBINARY 'a', DOUBLE PRECISION '2', name FROM agents",
      { agents: ['name'] },
    ],
    [
      'IS [NOT] DISTINCT FROM, a column on either side',
      "SELECT name FROM agents WHERE agent_id IS DISTINCT FROM name AND name IS NOT DISTINCT FROM 'x'",
      { agents: ['agent_id', 'name'] },
    ],
    [
      'AT TIME ZONE a zone name or an interval',
      "SELECT occurred_at AT TIME ZONE 'Asia/Tokyo', TIMESTAMP '2020-01-01 00:00 UTC' AT TIME ZONE INTERVAL '-08:00' HOUR TO MINUTE FROM events WHERE dt = '2025-02-01'",
      { events: ['dt', 'occurred_at'] },
    ],
    [
      'EXISTS and NOT EXISTS, correlated',
      "SELECT name FROM agents a WHERE EXISTS (SELECT 1 FROM events e WHERE e.membercode = a.agent_id AND e.dt = '2025-02-01') AND NOT EXISTS (SELECT 1 FROM agent_tasks t WHERE t.agent_id = a.agent_id AND t.year = '2025')",
      {
        agents: ['agent_id', 'name'],
        events: ['dt', 'membercode'],
        agent_tasks: ['agent_id', 'year'],
      },
    ],
    [
      '= ANY, > ALL, <> SOME of a subquery or a VALUES list',
      "SELECT name FROM agents WHERE agent_id = ANY (SELECT membercode FROM events WHERE dt = '2025-02-01') AND name > ALL (VALUES 'a', 'b') AND name <> SOME (SELECT 'x')",
      { agents: ['agent_id', 'name'], events: ['dt', 'membercode'] },
    ],
    [
      'UNNEST … WITH ORDINALITY, with or without AS',
      "SELECT a.name, t.part, t.n FROM agents a CROSS JOIN UNNEST(split(a.name, ',')) WITH ORDINALITY t(part, n)",
      { agents: ['name'] },
    ],
    [
      'listagg … WITHIN GROUP … FILTER',
      "SELECT listagg(name, ',') WITHIN GROUP (ORDER BY agent_id DESC) FILTER (WHERE name <> '') FROM agents",
      { agents: ['agent_id', 'name'] },
    ],
    [
      'GROUPING SETS with an empty set, CUBE, ROLLUP, GROUP BY ()',
      'SELECT agent_id, name, count(*) FROM agents GROUP BY GROUPING SETS ((agent_id, name), (agent_id), ()), CUBE (name), ROLLUP (agent_id)',
      { agents: ['agent_id', 'name'] },
    ],
    [
      'RANGE and GROUPS frames, interval and expression offsets',
      "SELECT sum(1) OVER (ORDER BY occurred_at RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND CURRENT ROW), sum(1) OVER (PARTITION BY membercode GROUPS BETWEEN length(payload) PRECEDING AND 1 FOLLOWING) FROM events WHERE dt = '2025-02-01'",
      { events: ['dt', 'membercode', 'occurred_at', 'payload'] },
    ],
    [
      'FILTER … OVER, and an OVER refining a named window',
      "SELECT count(*) FILTER (WHERE payload IS NOT NULL) OVER (ORDER BY id), sum(1) OVER (w ORDER BY occurred_at) FROM events WHERE dt = '2025-02-01' WINDOW w AS (PARTITION BY membercode)",
      { events: ['dt', 'id', 'membercode', 'occurred_at', 'payload'] },
    ],
    [
      'OFFSET n ROWS FETCH FIRST|NEXT n ROWS ONLY|WITH TIES',
      'SELECT name FROM agents ORDER BY name OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY',
      { agents: ['name'] },
    ],
    [
      'lambdas, with one and several arguments',
      "SELECT transform(split(name, ','), x -> upper(x)), reduce(ARRAY[1, 2], 0, (s, x) -> s + x, s -> s) FROM agents",
      { agents: ['name'] },
    ],
    [
      'TIMESTAMP, DATE and INTERVAL … TO … literals',
      "SELECT DATE '2025-02-01' + INTERVAL '1' DAY, TIMESTAMP '2025-02-01 10:00:00' - INTERVAL '1 02:00:00' DAY TO SECOND, INTERVAL '1-2' YEAR TO MONTH, name FROM agents",
      { agents: ['name'] },
    ],
    [
      'row field access and array and map subscripts',
      "SELECT CAST(ROW(id, payload) AS ROW(i varchar, p varchar)).p, (CAST(ROW(id) AS ROW(i varchar))).i, split(payload, ',')[1], MAP(ARRAY['a'], ARRAY[id])['a'] FROM events WHERE dt = '2025-02-01'",
      { events: ['dt', 'id', 'payload'] },
    ],
    [
      'VALUES lists without parentheses, and VALUES as a query',
      'WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 4) SELECT n FROM t UNION SELECT * FROM (VALUES 13, 42) UNION VALUES 7',
      {},
    ],
    [
      "EXTRACT's Trino fields",
      "SELECT extract(DAY_OF_WEEK FROM occurred_at), extract(YEAR_OF_WEEK FROM occurred_at), extract(DOW FROM occurred_at) FROM events WHERE dt = '2025-02-01'",
      { events: ['dt', 'occurred_at'] },
    ],
    [
      "strings with backslashes (the engines' reading, not the parser's)",
      "SELECT name LIKE 'a\\_%' ESCAPE '\\', 'C:\\', json_extract_scalar('{\"a\":\"b\\\"c\"}', '$.a') FROM agents",
      { agents: ['name'] },
    ],
  ];

  it.each(accepted)('%s', (_, sql, columns) => {
    const analysis = guardSql(sql, lake);

    expect(Object.fromEntries(analysis.tables.map((t) => [t.name, t.columns]))).toEqual(columns);
  });

  it('keeps the statement as written in the analysis', () => {
    const sql = "SELECT NULL IS DISTINCT FROM name, X'00' FROM agents";

    expect(guardSql(sql, lake).sql).toBe(sql);
  });

  it('reads IS NOT DISTINCT FROM a day as a partition filter, as =', () => {
    const analysis = guardSql(
      "SELECT id FROM events WHERE dt IS NOT DISTINCT FROM '2025-02-01'",
      lake,
    );

    expect(only(analysis, 'events')?.partitionPredicates).toEqual([
      { key: 'dt', op: 'eq', values: ['2025-02-01'] },
    ]);
  });

  it.each([
    ["SELECT name FROM agents WHERE EXISTS (SELECT 1 FROM events WHERE event_type = 'x')"],
    ['SELECT name FROM agents WHERE name = ANY (SELECT membercode FROM events)'],
    [
      "SELECT listagg(name, ',') WITHIN GROUP (ORDER BY name IN (SELECT membercode FROM events)) FROM agents",
    ],
    ["SELECT id FROM events WHERE dt IS DISTINCT FROM '2025-02-01'"],
  ])('still applies the partition-filter rule inside them: %s', (sql) => {
    expect(rejected(sql, lake).message).toMatch(/must filter on its partition key dt/);
  });

  it("rejects LIMIT n OFFSET m (not Trino's order), saying to write OFFSET m LIMIT n", () => {
    expect(
      rejected('SELECT name FROM agents ORDER BY name LIMIT 10 OFFSET 20', lake).message,
    ).toMatch(
      /LIMIT 10 OFFSET 20 is not Athena SQL: Athena \(Trino\) reads OFFSET before LIMIT; write OFFSET 20 LIMIT 10/,
    );
    expect(
      rejected('SELECT n FROM (SELECT name AS n FROM agents LIMIT $1 OFFSET $2)', lake).message,
    ).toMatch(/write OFFSET \$2 LIMIT \$1/);
    expect(
      guardSql('SELECT name FROM agents ORDER BY name OFFSET 20 LIMIT 10', lake).tables,
    ).toHaveLength(1);
  });

  it("rejects = ANY of an array (PostgreSQL's form, not Athena's: a subquery only)", () => {
    expect(rejected("SELECT name FROM agents WHERE name = ANY (ARRAY['a'])", lake).message).toMatch(
      /any\(\) does not exist on Athena/,
    );
  });

  it('leaves LIMIT n OFFSET m to PostgreSQL on the hot database', () => {
    expect(guardSql('SELECT member_code FROM members LIMIT 10 OFFSET 20', hot).tables).toHaveLength(
      1,
    );
  });

  it('rejects EXTRACT fields Athena does not have, naming the Athena way', () => {
    expect(
      rejected("SELECT extract(EPOCH FROM occurred_at) FROM events WHERE dt = 'x'", lake).message,
    ).toMatch(
      /EXTRACT\(EPOCH FROM …\) does not exist on Athena \(engine version 3\); use to_unixtime\(x\)/,
    );
    expect(rejected('SELECT extract(ISODOW FROM current_date)', lake).message).toMatch(
      /use day_of_week\(x\)/,
    );
  });

  it('reports a parse error at its place in the statement as written', () => {
    const sql =
      "SELECT CAST(id AS array(integer)), X'00', a IS DISTINCT FROM b\nFROM agents WHERE name = = 'a'";

    expect(rejected(sql, lake).message).toMatch(
      /does not parse at line 2, column 26, near '= 'a''/,
    );
  });

  it('still rejects a quoted name ending with a backslash, and hot strings ending with one', () => {
    expect(rejected('SELECT "a\\" FROM agents', lake).message).toMatch(
      /quoted name .* ends with a backslash/,
    );
    expect(rejected("SELECT 'a\\' FROM members", hot).message).toMatch(
      /string .* ends with a backslash/,
    );
  });

  it('rejects FETCH FIRST with a count that is not a number (left for the parser)', () => {
    expect(
      rejected('SELECT name FROM agents FETCH FIRST (SELECT count(*) FROM secrets) ROWS ONLY', lake)
        .message,
    ).toMatch(/does not parse|secrets/);
  });
});

// The rewrites must not open holes: whatever sits inside a rewritten construct — a denied
// function, an unknown table, a function Athena does not have — is still seen and refused.
describe('the text the guard parses (normalizeGuardSyntax)', () => {
  it.each([
    ['SELECT CAST(x AS array(row(a integer))) FROM t', 'SELECT CAST(x AS VARCHAR) FROM t'],
    ['SELECT CAST(x AS decimal(10, 2)) FROM t', 'SELECT CAST(x AS decimal(10, 2)) FROM t'],
    [
      "SELECT X'00 ff', JSON '[1]', BIGINT '1'",
      "SELECT from_hex('00ff'), json_parse('[1]'), CAST('1' AS BIGINT)",
    ],
    ["SELECT 'a\\b', 'it''s'", "SELECT ('a' || chr(92) || 'b'), 'it''s'"],
    ['SELECT a IS NOT DISTINCT FROM b', 'SELECT a  =  b'],
    ["SELECT x AT TIME ZONE 'UTC'", "SELECT x  *  'UTC'"],
    ['SELECT 1 WHERE EXISTS (SELECT 1)', 'SELECT 1 WHERE NOT NOT EXISTS (SELECT 1)'],
    ['SELECT x FROM UNNEST(a) WITH ORDINALITY t(x, n)', 'SELECT x FROM UNNEST(a)   AS t(x, n)'],
    [
      "SELECT sum(x) OVER (ORDER BY t RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND CURRENT ROW)",
      "SELECT sum(x) OVER (ORDER BY t , (INTERVAL '1' DAY) ROWS BETWEEN 1  PRECEDING AND CURRENT ROW)",
    ],
    ['SELECT x FROM t OFFSET 2 ROWS FETCH FIRST ROW ONLY', 'SELECT x FROM t OFFSET 2 LIMIT 1'],
    ['VALUES 1, 2', 'SELECT * FROM (VALUES (1), (2)) AS _values '],
    ['SELECT CAST(r AS ROW(a int)).a', 'SELECT CAST(r AS VARCHAR)'],
    // left as written: strings, comments, quoted names, a qualified name, a call after a field
    [
      "SELECT 'IS DISTINCT FROM' AS \"exists\" -- X'00'\n/* AT TIME ZONE */",
      "SELECT 'IS DISTINCT FROM' AS \"exists\" -- X'00'\n/* AT TIME ZONE */",
    ],
    ['SELECT t.values, (x).f(1)', 'SELECT t.values, (x).f(1)'],
  ])('%s', (sql, text) => {
    expect(normalizeGuardSyntax(sql).text).toBe(text);
  });

  it('maps each offset of the text back to the statement', () => {
    const sql = "SELECT X'00', a IS DISTINCT FROM b";
    const text = normalizeGuardSyntax(sql);

    expect(text.sourceOffset(text.text.indexOf('<>'))).toBe(sql.indexOf('IS'));
    expect(text.sourceOffset(text.text.indexOf(' b'))).toBe(sql.indexOf(' b'));
    expect(text.sourceOffset(text.text.indexOf('from_hex'))).toBe(sql.indexOf("X'00'"));
  });
});

describe('no holes: the guard still sees inside every rewritten construct', () => {
  const constructs: [string, string][] = [
    ['CAST to array', 'SELECT CAST({x} AS array(varchar)) FROM agents'],
    ['TRY_CAST to map of row', 'SELECT TRY_CAST({x} AS map(varchar, row(a integer))) FROM agents'],
    ['CAST to ROW, field access', 'SELECT CAST(ROW({x}) AS ROW(f varchar)).f FROM agents'],
    ['parenthesised field access', 'SELECT ({x}).f FROM agents'],
    ['IS DISTINCT FROM, left', 'SELECT {x} IS DISTINCT FROM name FROM agents'],
    ['IS NOT DISTINCT FROM, right', 'SELECT name FROM agents WHERE name IS NOT DISTINCT FROM {x}'],
    ['AT TIME ZONE', "SELECT {x} AT TIME ZONE 'UTC' FROM agents"],
    ['EXISTS', 'SELECT name FROM agents WHERE EXISTS (SELECT {x})'],
    ['NOT EXISTS', 'SELECT name FROM agents WHERE NOT EXISTS (SELECT {x})'],
    [
      '= ANY (subquery)',
      'SELECT name FROM agents WHERE name = ANY (SELECT name FROM agents WHERE {x})',
    ],
    ['> ALL (VALUES …)', 'SELECT name FROM agents WHERE name > ALL (VALUES {x})'],
    ['UNNEST … WITH ORDINALITY', 'SELECT t.v FROM UNNEST(ARRAY[{x}]) WITH ORDINALITY t(v, n)'],
    ['listagg argument', "SELECT listagg({x}, ',') WITHIN GROUP (ORDER BY name) FROM agents"],
    ['listagg WITHIN GROUP', "SELECT listagg(name, ',') WITHIN GROUP (ORDER BY {x}) FROM agents"],
    [
      'listagg FILTER',
      "SELECT listagg(name, ',') WITHIN GROUP (ORDER BY name) FILTER (WHERE {x} IS NULL) FROM agents",
    ],
    ['GROUPING SETS', 'SELECT count(*) FROM agents GROUP BY GROUPING SETS ((name), ({x}), ())'],
    [
      'RANGE frame offset',
      'SELECT sum(1) OVER (ORDER BY name RANGE BETWEEN {x} PRECEDING AND CURRENT ROW) FROM agents',
    ],
    [
      'GROUPS frame offset',
      'SELECT sum(1) OVER (ORDER BY name GROUPS BETWEEN CURRENT ROW AND {x} FOLLOWING) FROM agents',
    ],
    [
      'FILTER … OVER',
      'SELECT count(*) FILTER (WHERE {x} IS NULL) OVER (ORDER BY name) FROM agents',
    ],
    [
      'OVER refining a named window',
      'SELECT sum(1) OVER (w ORDER BY {x}) FROM agents WINDOW w AS (PARTITION BY name)',
    ],
    [
      'WINDOW clause frame',
      'SELECT sum(1) OVER w FROM agents WINDOW w AS (ORDER BY name RANGE {x} PRECEDING)',
    ],
    ['OFFSET … FETCH', 'SELECT {x} FROM agents OFFSET 1 ROWS FETCH FIRST 2 ROWS ONLY'],
    ['lambda body', 'SELECT transform(ARRAY[name], v -> {x}) FROM agents'],
    ['array subscript', 'SELECT (ARRAY[{x}])[1] FROM agents'],
    ['VALUES list in FROM', 'SELECT * FROM (VALUES 1, {x}) AS t(v)'],
    ['VALUES as a CTE', 'WITH t AS (VALUES {x}) SELECT * FROM t'],
    ['VALUES after UNION', 'SELECT 1 UNION VALUES {x}'],
    ['EXTRACT of a Trino field', 'SELECT extract(DAY_OF_WEEK FROM {x}) FROM agents'],
    ['typed literal next to it', "SELECT JSON '[1]', BIGINT '2', X'00', {x} FROM agents"],
    ['a string ending with a backslash before it', "SELECT 'a\\' AS s, {x} FROM agents"],
    ['LIKE … ESCAPE backslash', "SELECT {x} LIKE 'a\\_%' ESCAPE '\\' FROM agents"],
    ['INTERVAL … TO …', "SELECT INTERVAL '1 02:00:00' DAY TO SECOND, {x} FROM agents"],
  ];
  const inserts: [string, string, RegExp][] = [
    [
      'a denied function',
      "read_text('/etc/passwd')",
      /read_text\(\) is not allowed in lake queries/,
    ],
    [
      'an unknown table',
      '(name IN (SELECT name FROM secrets))',
      /table 'secrets' is not in the lake catalog/,
    ],
    [
      'a function Athena does not have',
      "strftime(now(), '%Y')",
      /strftime\(\) does not exist on Athena/,
    ],
  ];
  const cases = constructs.flatMap(([construct, template]) =>
    inserts.map(
      ([what, x, message]) => [construct, what, template.replace('{x}', x), message] as const,
    ),
  );

  it.each(cases)('%s with %s inside', (_, __, sql, message) => {
    expect(rejected(sql, lake).message).toMatch(message);
  });

  it.each([
    [
      "SELECT listagg((SELECT max(name) FROM agents), ',') WITHIN GROUP (ORDER BY name) FROM agents",
    ],
    ['SELECT TRY_CAST((SELECT max(name) FROM agents) AS array(varchar)) FROM agents'],
    ['SELECT ARRAY[name][(SELECT count(*) FROM agents)] FROM agents'],
  ])('refuses, rather than misses, a scalar subquery where the parser reads none: %s', (sql) => {
    expect(rejected(sql, lake).message).toMatch(/does not parse/);
  });
});

describe('the Athena corpus through the guard', () => {
  const catalog = CORPUS_TABLES.map(corpusCatalogTable);
  const cases = CORPUS.families.flatMap((f) => f.cases.map(corpusCase));
  const options: GuardOptions = { engine: 'lake', lakeTables: catalog, hotTables: [] };

  it.each(cases.filter((c) => !c.guard).map((c) => [c.sql]))('accepts %s', (sql) => {
    expect(guardSql(sql, options).statement).toBe('select');
  });

  // The documented exceptions: valid Athena the guard refuses on purpose, with the reason.
  it.each(cases.filter((c) => c.guard).map((c) => [c.sql, c.guard?.rejects, c.guard?.reason]))(
    'refuses %s (%s: %s)',
    (sql, rejects) => {
      expect(rejected(sql, options).message).toContain(rejects);
    },
  );

  it('has few exceptions, each with its reason', () => {
    const exceptions = cases.filter((c) => c.guard);

    expect(exceptions.length).toBeLessThanOrEqual(5);
    for (const c of exceptions) expect(c.guard?.reason.length).toBeGreaterThan(20);
  });
});
