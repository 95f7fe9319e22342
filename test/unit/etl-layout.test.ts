import { TableSchema, type TableConfig } from '#core/config/schema';
import {
  dayManifestKey,
  dayOfPartition,
  escapePathValue,
  NULL_PARTITION,
  partFileName,
  partitionKeys,
  partitionPrefix,
  partitionValues,
  versionPrefix,
} from '#etl/layout';
import { daysBetween } from '#core/days';
import { lastClosedDay } from '#etl/run';
import { dayBounds, sourceChecksumSql, sourceSelect } from '#etl/sql';
import { planColumn, type ColumnPlan } from '#etl/types';

const agentTasks: TableConfig = TableSchema.parse({
  name: 'agent_tasks',
  primary_key: ['id'],
  timestamp_column: 'created_at',
  partition_layout: 'ymd',
});

const events: TableConfig = TableSchema.parse({
  name: 'events',
  primary_key: ['id'],
  timestamp_column: 'occurred_at',
  partition_layout: 'event_type/dt',
});

const orders: TableConfig = TableSchema.parse({
  name: 'orders',
  primary_key: ['id'],
  timestamp_column: 'placed_at',
  partition_layout: 'event_type/dt',
  partition_column: 'channel',
});

function withLag(table: TableConfig, days: number): TableConfig {
  return { ...table, export_lag_days: days };
}

const plans: ColumnPlan[] = [
  planColumn('agent_tasks', { name: 'id', formatted: 'uuid', typname: 'uuid', typtype: 'b' }),
  planColumn('agent_tasks', {
    name: 'code',
    formatted: 'character(3)',
    typname: 'bpchar',
    typtype: 'b',
  }),
];

describe('partitionKeys', () => {
  test('layout ymd is partitioned by year, month and day', () => {
    // Prepare
    const table = agentTasks;

    // Act
    const keys = partitionKeys(table);

    // Assess
    expect(keys).toEqual(['year', 'month', 'day']);
  });

  test('layout event_type/dt is partitioned by event_type, then dt', () => {
    // Prepare
    const table = events;

    // Act
    const keys = partitionKeys(table);

    // Assess
    expect(keys).toEqual(['event_type', 'dt']);
  });

  test('layout event_type/dt leads with the configured partition column', () => {
    // Prepare
    const table = orders;

    // Act
    const keys = partitionKeys(table);

    // Assess
    expect(keys).toEqual(['channel', 'dt']);
  });
});

describe('partitionValues', () => {
  test('a ymd day splits into year, month and day', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const values = partitionValues(agentTasks, day);

    // Assess
    expect(values).toEqual(['2025', '02', '15']);
  });

  test('a ymd day ignores a partition value', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const values = partitionValues(agentTasks, day, 'Login');

    // Assess
    expect(values).toEqual(['2025', '02', '15']);
  });

  test('an event_type/dt day leads with the value, then the whole day', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const values = partitionValues(events, day, 'Login');

    // Assess
    expect(values).toEqual(['Login', '2025-02-15']);
  });

  test('a NULL value becomes Hive’s default partition', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const values = partitionValues(events, day, null);

    // Assess
    expect(values).toEqual(['__HIVE_DEFAULT_PARTITION__', '2025-02-15']);
  });

  test('a missing value becomes Hive’s default partition', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const values = partitionValues(events, day);

    // Assess
    expect(values).toEqual([NULL_PARTITION, '2025-02-15']);
  });
});

describe('partitionPrefix', () => {
  test('a ymd partition is table/year=/month=/day=/', () => {
    // Prepare
    const values = ['2025', '02', '15'];

    // Act
    const prefix = partitionPrefix(agentTasks, values);

    // Assess
    expect(prefix).toBe('agent_tasks/year=2025/month=02/day=15/');
  });

  test('an event_type/dt partition is table/event_type=X/dt=YYYY-MM-DD/', () => {
    // Prepare
    const values = ['Login', '2025-02-15'];

    // Act
    const prefix = partitionPrefix(events, values);

    // Assess
    expect(prefix).toBe('events/event_type=Login/dt=2025-02-15/');
  });

  test('the leading segment is named after the configured partition column', () => {
    // Prepare
    const values = ['web', '2025-02-15'];

    // Act
    const prefix = partitionPrefix(orders, values);

    // Assess
    expect(prefix).toBe('orders/channel=web/dt=2025-02-15/');
  });

  test('the NULL partition keeps Hive’s name unescaped', () => {
    // Prepare
    const values = partitionValues(events, '2025-02-15', null);

    // Act
    const prefix = partitionPrefix(events, values);

    // Assess
    expect(prefix).toBe('events/event_type=__HIVE_DEFAULT_PARTITION__/dt=2025-02-15/');
  });

  test.each([
    ['a slash', 'Login/Retry', 'Login%2FRetry'],
    ['an equals sign', 'a=b', 'a%3Db'],
    ['a space', 'Page View', 'Page%20View'],
    ['a percent sign', '100%', '100%25'],
    ['an escape look-alike', '%2F', '%252F'],
    ['a two-byte letter', 'Café', 'Caf%C3%A9'],
    ['CJK characters', '登录', '%E7%99%BB%E5%BD%95'],
    ['a character outside the BMP', 'Win🎉', 'Win%F0%9F%8E%89'],
  ])('a value with %s is escaped as %%XX of its UTF-8 bytes', (_what, value, escaped) => {
    // Prepare
    const values = [value, '2025-02-15'];

    // Act
    const prefix = partitionPrefix(events, values);

    // Assess
    expect(prefix).toBe(`events/event_type=${escaped}/dt=2025-02-15/`);
  });

  test('letters, digits, dot, underscore and hyphen are not escaped', () => {
    // Prepare
    const value = 'Login_v2.1-beta';

    // Act
    const escaped = escapePathValue(value);

    // Assess
    expect(escaped).toBe('Login_v2.1-beta');
  });

  test('an escaped value decodes back to the value', () => {
    // Prepare
    const value = 'a/b = 50% off? #1 «café» 🎉';

    // Act
    const escaped = escapePathValue(value);

    // Assess
    expect(decodeURIComponent(escaped)).toBe(value);
  });

  test('an escaped value stays one path segment', () => {
    // Prepare
    const values = ['../x/=y/ z', '2025-02-15'];

    // Act
    const prefix = partitionPrefix(events, values);

    // Assess
    expect(prefix.split('/')).toEqual(['events', expect.any(String), 'dt=2025-02-15', '']);
  });
});

describe('object keys', () => {
  test('versionPrefix is a v=<run id>/ folder inside the partition', () => {
    // Prepare
    const partition = 'agent_tasks/year=2025/month=02/day=15/';

    // Act
    const prefix = versionPrefix(partition, '20250216T020000Z-ab12');

    // Assess
    expect(prefix).toBe('agent_tasks/year=2025/month=02/day=15/v=20250216T020000Z-ab12/');
  });

  test('dayManifestKey is in the table’s _manifests folder', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const key = dayManifestKey('agent_tasks', day);

    // Assess
    expect(key).toBe('agent_tasks/_manifests/2025-02-15.json');
  });

  test.each([
    [0, 'part-00000.parquet'],
    [7, 'part-00007.parquet'],
    [12345, 'part-12345.parquet'],
    [123456, 'part-123456.parquet'],
  ])('partFileName(%p) is %p', (index, name) => {
    // Prepare
    const n = index;

    // Act
    const file = partFileName(n);

    // Assess
    expect(file).toBe(name);
  });

  test("names a chunk's files after the chunk, so the chunks of a day share a version folder", () => {
    expect(partFileName(0, 2)).toBe('part-c0002-00000.parquet');
    expect(partFileName(13, 0)).toBe('part-c0000-00013.parquet');
  });
});

describe('dayOfPartition', () => {
  test('a ymd partition’s day joins year, month and day', () => {
    // Prepare
    const values = ['2025', '02', '15'];

    // Act
    const day = dayOfPartition(agentTasks, values);

    // Assess
    expect(day).toBe('2025-02-15');
  });

  test('an event_type/dt partition’s day is its dt value', () => {
    // Prepare
    const values = ['Login', '2025-02-15'];

    // Act
    const day = dayOfPartition(events, values);

    // Assess
    expect(day).toBe('2025-02-15');
  });

  test('the day of the NULL partition of a day is that day', () => {
    // Prepare
    const values = partitionValues(events, '2024-02-29', null);

    // Act
    const day = dayOfPartition(events, values);

    // Assess
    expect(day).toBe('2024-02-29');
  });
});

describe('lastClosedDay', () => {
  test.each([
    ['the day before, with lag 1', 1, '2025-02-16T02:00:00Z', '2025-02-15'],
    ['the last day of the month, with lag 1 at midnight', 1, '2025-03-01T00:00:00Z', '2025-02-28'],
    ['the leap day, with lag 1', 1, '2024-03-01T23:59:59.999Z', '2024-02-29'],
    ['the last day of the year, with lag 1', 1, '2025-01-01T00:30:00Z', '2024-12-31'],
    ['three days back, with lag 3', 3, '2025-02-16T02:00:00Z', '2025-02-13'],
    ['a day in the previous month, with lag 3', 3, '2025-03-02T12:00:00Z', '2025-02-27'],
    ['a day across a leap day, with lag 3', 3, '2024-03-02T12:00:00Z', '2024-02-28'],
    ['a day in the previous year, with lag 3', 3, '2025-01-02T23:00:00Z', '2024-12-30'],
  ])('is %s', (_what, lag, now, expected) => {
    // Prepare
    const table = withLag(agentTasks, lag);

    // Act
    const day = lastClosedDay(table, new Date(now));

    // Assess
    expect(day).toBe(expected);
  });

  test('uses the UTC day, not the local one', () => {
    // Prepare
    const now = new Date('2025-02-16T00:30:00+05:00');

    // Act
    const day = lastClosedDay(withLag(agentTasks, 1), now);

    // Assess
    expect(day).toBe('2025-02-14');
  });
});

describe('daysBetween', () => {
  test('lists every day across a month end, both ends included', () => {
    // Prepare
    const [from, to] = ['2025-01-30', '2025-02-02'];

    // Act
    const days = daysBetween(from, to);

    // Assess
    expect(days).toEqual(['2025-01-30', '2025-01-31', '2025-02-01', '2025-02-02']);
  });

  test('lists every day across a leap day', () => {
    // Prepare
    const [from, to] = ['2024-02-28', '2024-03-01'];

    // Act
    const days = daysBetween(from, to);

    // Assess
    expect(days).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });

  test('lists the days across a year end', () => {
    // Prepare
    const [from, to] = ['2024-12-31', '2025-01-01'];

    // Act
    const days = daysBetween(from, to);

    // Assess
    expect(days).toEqual(['2024-12-31', '2025-01-01']);
  });

  test('one day when from and to are the same', () => {
    // Prepare
    const [from, to] = ['2025-02-15', '2025-02-15'];

    // Act
    const days = daysBetween(from, to);

    // Assess
    expect(days).toEqual(['2025-02-15']);
  });

  test('no days when from is after to', () => {
    // Prepare
    const [from, to] = ['2025-02-16', '2025-02-15'];

    // Act
    const days = daysBetween(from, to);

    // Assess
    expect(days).toEqual([]);
  });

  test('a whole year has 365 days, a leap year 366', () => {
    // Prepare
    const years = [
      ['2025-01-01', '2025-12-31'],
      ['2024-01-01', '2024-12-31'],
    ] as const;

    // Act
    const counts = years.map(([from, to]) => daysBetween(from, to).length);

    // Assess
    expect(counts).toEqual([365, 366]);
  });
});

describe('dayBounds', () => {
  test.each([
    ['an ordinary day', '2025-02-15', '2025-02-16'],
    ['a month end', '2025-01-31', '2025-02-01'],
    ['February of a common year', '2025-02-28', '2025-03-01'],
    ['the day before a leap day', '2024-02-28', '2024-02-29'],
    ['a leap day', '2024-02-29', '2024-03-01'],
    ['a year end', '2024-12-31', '2025-01-01'],
  ])('of %s runs from its UTC midnight to the next', (_what, day, next) => {
    // Prepare
    const input = day;

    // Act
    const bounds = dayBounds(input);

    // Assess
    expect(bounds).toEqual({ start: `${day} 00:00:00+00`, end: `${next} 00:00:00+00` });
  });
});

describe('sourceSelect', () => {
  test('selects the planned columns of one UTC day, [day, next day)', () => {
    // Prepare
    const day = '2025-01-31';

    // Act
    const sql = sourceSelect('public', agentTasks, plans, day);

    // Assess
    expect(sql).toBe(
      `SELECT "id", "code"::text AS "code" FROM "public"."agent_tasks" WHERE ` +
        `"created_at" >= TIMESTAMPTZ '2025-01-31 00:00:00+00' AND ` +
        `"created_at" < TIMESTAMPTZ '2025-02-01 00:00:00+00'`,
    );
  });

  test('narrows the day to a chunk range [from, to), each bound a literal of the column type', () => {
    // Act
    const middle = sourceSelect('public', agentTasks, plans, '2025-01-31', {
      from: '2025-01-31 06:00:00.5+00',
      to: "2025-01-31 12:00:00+00'; DROP TABLE x; --",
    });
    const first = sourceSelect('public', agentTasks, plans, '2025-01-31', {
      from: null,
      to: '2025-01-31 06:00:00.5+00',
    });

    // Assess
    expect(middle).toBe(
      `SELECT "id", "code"::text AS "code" FROM "public"."agent_tasks" WHERE ` +
        `"created_at" >= TIMESTAMPTZ '2025-01-31 00:00:00+00' AND ` +
        `"created_at" < TIMESTAMPTZ '2025-02-01 00:00:00+00' AND ` +
        `"created_at" >= '2025-01-31 06:00:00.5+00' AND ` +
        `"created_at" < '2025-01-31 12:00:00+00''; DROP TABLE x; --'`,
    );
    expect(first).toMatch(
      / < TIMESTAMPTZ '2025-02-01 00:00:00\+00' AND "created_at" < '2025-01-31 06:00:00\.5\+00'$/,
    );
  });

  test('quotes the schema, table and timestamp column, doubling embedded quotes', () => {
    // Prepare
    const table = { ...agentTasks, name: 'Agent"Tasks', timestamp_column: 'Created At' };

    // Act
    const sql = sourceSelect('tenant"a', table, plans, '2025-02-15');

    // Assess
    expect(sql).toBe(
      `SELECT "id", "code"::text AS "code" FROM "tenant""a"."Agent""Tasks" WHERE ` +
        `"Created At" >= TIMESTAMPTZ '2025-02-15 00:00:00+00' AND ` +
        `"Created At" < TIMESTAMPTZ '2025-02-16 00:00:00+00'`,
    );
  });

  test('a column whose extract expression differs from its name is aliased to its quoted name', () => {
    // Prepare
    const tags = planColumn('events', {
      name: 'tags',
      formatted: 'text[]',
      typname: '_text',
      typtype: 'b',
      element: { typname: 'text', typtype: 'b', formatted: 'text' },
    });

    // Act
    const sql = sourceSelect('public', events, [tags], '2025-02-15');

    // Assess
    expect(sql).toMatch(/^SELECT to_json\("tags"\)::text AS "tags" FROM "public"\."events" WHERE/);
  });
});

describe('sourceChecksumSql', () => {
  test('without groupBy, one NULL key for the whole day', () => {
    // Prepare
    const day = '2024-02-29';

    // Act
    const sql = sourceChecksumSql('public', agentTasks, plans, day);

    // Assess
    expect(sql).toMatch(/^SELECT NULL::text AS k, count\(\*\)::bigint AS n,/);
  });

  test('with groupBy, one row per quoted column value', () => {
    // Prepare
    const day = '2024-02-29';

    // Act
    const sql = sourceChecksumSql('public', events, plans, day, 'event_type');

    // Assess
    expect(sql).toMatch(
      /^SELECT "event_type"::text AS k, count\(\*\)::bigint AS n,[^]*GROUP BY 1$/,
    );
  });

  test('reads the table-day of the select, [day, next day)', () => {
    // Prepare
    const day = '2024-02-29';

    // Act
    const sql = sourceChecksumSql('public', agentTasks, plans, day);

    // Assess
    expect(sql).toContain(
      `FROM "public"."agent_tasks" WHERE ` +
        `"created_at" >= TIMESTAMPTZ '2024-02-29 00:00:00+00' AND ` +
        `"created_at" < TIMESTAMPTZ '2024-03-01 00:00:00+00' GROUP BY 1`,
    );
  });

  test('sums 60-bit md5 hashes of each row’s canonical text, NULLs as \\N', () => {
    // Prepare
    const day = '2025-02-15';

    // Act
    const sql = sourceChecksumSql('public', agentTasks, plans, day);

    // Assess
    expect(sql).toContain(
      `coalesce(sum(('x' || substr(md5(coalesce("id"::text, '\\N') || chr(31) || ` +
        `coalesce("code"::text, '\\N')), 1, 15))::bit(60)::bigint), 0)::text AS s`,
    );
  });
});
