import {
  ConfigError,
  configJsonSchema,
  defaultConfig,
  environmentConfig,
  formatConfigIssues,
  resolveConfig,
  tableConfig,
  type ConfigIssue,
} from '#core/config/resolve';
import { scheduleExpressionProblem, type TableConfigInput } from '#core/config/schema';

const SOURCE = 'thermocline.config.json';

/** The issues `resolveConfig` reports for `file`; fails the test when it does not throw. */
function issuesOf(file: unknown): ConfigIssue[] {
  try {
    resolveConfig(file, SOURCE);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected resolveConfig to throw a ConfigError');
}

function orders(overrides: Partial<Record<keyof TableConfigInput, unknown>> = {}): object {
  return {
    name: 'orders',
    primary_key: ['id'],
    timestamp_column: 'created_at',
    partition_layout: 'ymd',
    ...overrides,
  };
}

function players(overrides: Record<string, unknown> = {}): object {
  return {
    table: 'players',
    entity_type: 'Player',
    key_column: 'player_code',
    properties: [{ column: 'nickname', property: 'nickname' }],
    sync_mode: 'incremental',
    ...overrides,
  };
}

const TABLE_KEYS =
  'name, primary_key, timestamp_column, partition_layout, partition_column, export_lag_days, ' +
  'hot_window_days, hot_retention_days, recheck_days, on_schema_change, max_rows_per_task, uuid_as, numeric_as';

describe('defaultConfig', () => {
  it('has the six time-series tables of the sample, in order', () => {
    // Act
    const config = defaultConfig();

    // Assess
    expect(config.tables.map((t) => [t.name, t.timestamp_column])).toEqual([
      ['workflows', 'created_at'],
      ['agent_tasks', 'created_at'],
      ['agent_metrics', 'recorded_at'],
      ['agent_interactions', 'created_at'],
      ['user_sessions', 'started_at'],
      ['events', 'occurred_at'],
    ]);
  });

  it('lays out events by event_type/dt and every other table by ymd', () => {
    // Act
    const layouts = defaultConfig().tables.map((t) => [
      t.name,
      t.partition_layout,
      t.partition_column,
    ]);

    // Assess
    expect(layouts.filter(([name]) => name !== 'events')).toEqual(
      layouts.filter(([name]) => name !== 'events').map(([name]) => [name, 'ymd', null]),
    );
    expect(layouts).toContainEqual(['events', 'event_type/dt', 'event_type']);
  });

  it('gives every table the default days: exported after 1, hot for 30, deleted after 90', () => {
    // Act
    const days = defaultConfig().tables.map((t) => [
      t.export_lag_days,
      t.hot_window_days,
      t.hot_retention_days,
    ]);

    // Assess
    expect(new Set(days.map((d) => d.join('/')))).toEqual(new Set(['1/30/90']));
  });

  it('has a mapping for each of the four reference tables', () => {
    // Act
    const mappings = defaultConfig().mappings;

    // Assess
    expect(mappings.map((m) => [m.table, m.entity_type, m.key_column, m.sync_mode])).toEqual([
      ['agents', 'Agent', 'id', 'incremental'],
      ['members', 'Member', 'member_code', 'incremental'],
      ['games', 'Game', 'game_code', 'full'],
      ['affiliates', 'Affiliate', 'affiliate_code', 'incremental'],
    ]);
    expect(new Set(mappings.map((m) => m.sync_key))).toEqual(new Set(['updated_at']));
  });

  it("maps members' columns to the seed's properties", () => {
    // Act
    const members = defaultConfig().mappings.find((m) => m.table === 'members');

    // Assess
    expect(members?.properties).toEqual([
      { column: 'registration_date', property: 'registered_at' },
      { column: 'total_deposit', property: 'total_deposit' },
      { column: 'account_status', property: 'status' },
      { column: 'email_verified', property: 'email_verified' },
      { column: 'phone_verified', property: 'phone_verified' },
    ]);
  });

  it('has the four environments, with Aurora growing from 2 to 16 ACUs', () => {
    // Act
    const { environments } = defaultConfig();

    // Assess
    expect(Object.keys(environments)).toEqual(['local', 'dev', 'staging', 'prod']);
    expect(Object.values(environments).map((e) => e.aurora)).toEqual([
      { min_acu: 0.5, max_acu: 2 },
      { min_acu: 0.5, max_acu: 2 },
      { min_acu: 0.5, max_acu: 4 },
      { min_acu: 0.5, max_acu: 16 },
    ]);
  });

  it('protects and keeps a year of logs in prod only', () => {
    // Act
    const { environments } = defaultConfig();

    // Assess
    expect(
      Object.values(environments).map((e) => [e.deletion_protection, e.log_retention_days]),
    ).toEqual([
      [false, 30],
      [false, 30],
      [false, 30],
      [true, 365],
    ]);
  });

  it('schedules ETL at 02:00 UTC, incremental sync every 15 minutes, the jobs on and the crawler off', () => {
    // Act
    const { schedules } = defaultConfig().environments.dev;

    // Assess
    expect(schedules).toEqual({
      etl: { expression: 'cron(0 2 * * ? *)', enabled: true },
      incremental_sync: { expression: 'rate(15 minutes)', enabled: true },
      full_sync: { expression: 'cron(0 3 * * ? *)', enabled: true },
      retention: { expression: 'cron(0 4 * * ? *)', enabled: true },
      crawler: { expression: 'cron(0 5 * * ? *)', enabled: false },
    });
  });

  it('has a 10 GB scan cutoff, no alert email, no replication and the 90/365/730 lifecycle', () => {
    // Act
    const prod = defaultConfig().environments.prod;

    // Assess
    expect([
      prod.scan_cutoff_gb,
      prod.alert_email,
      prod.replication_bucket,
      prod.lifecycle,
    ]).toEqual([
      10,
      null,
      null,
      {
        glacier_after_days: 90,
        archive_storage_class: 'glacier_instant_retrieval',
        deep_archive_after_days: 365,
        expire_after_days: 730,
      },
    ]);
  });

  it('rejects a replication bucket that is not a bucket name, showing the value', () => {
    // Act
    const act = () =>
      resolveConfig({ environments: { prod: { replication_bucket: 'Lake_Replica' } } }, 'file');

    // Assess
    expect(act).toThrow(
      /file: environments\.prod\.replication_bucket: 'Lake_Replica' is not an S3 bucket name/,
    );
  });

  it.each([
    [
      { lake_statement_timeout_seconds: 841 },
      /query\.lake_statement_timeout_seconds: must be at most 840, got 841/,
    ],
    [{ max_concurrent_plans: 0 }, /query\.max_concurrent_plans: must be at least 1, got 0/],
    [{ max_queued_plans: -1 }, /query\.max_queued_plans: must be at least 0, got -1/],
  ])('rejects query limits out of range: %j', (query, message) => {
    // Act
    const act = () => resolveConfig({ query }, 'file');

    // Assess
    expect(act).toThrow(message);
  });

  it('rejects an S3 source prefix without a trailing slash', () => {
    // Act
    const act = () =>
      resolveConfig({ s3_sources: [{ bucket: 'exports', prefix: 'events' }] }, 'file');

    // Assess
    expect(act).toThrow(
      /file: s3_sources\[0\]\.prefix: prefix 'events' must be empty or end with '\/'/,
    );
  });

  it('takes the sample S3 source and the query defaults (100 h cache, 30 s / 300 s timeouts, 4 plans + 16 queued, $5/TB)', () => {
    // Act
    const config = defaultConfig();

    // Assess
    expect([config.s3_sources.map((s) => s.bucket), config.query]).toEqual([
      ['thermocline-sample-exports'],
      {
        cache_expire_seconds: 360000,
        statement_timeout_seconds: 30,
        lake_statement_timeout_seconds: 300,
        wait_seconds: 5,
        max_concurrent_plans: 4,
        max_queued_plans: 16,
        price_per_tb_usd: 5,
      },
    ]);
  });

  it('returns a fresh object each time', () => {
    // Prepare
    const first = defaultConfig();
    first.environments.prod.scan_cutoff_gb = 99;

    // Act
    const second = defaultConfig();

    // Assess
    expect(second.environments.prod.scan_cutoff_gb).toBe(10);
  });
});

describe('resolveConfig: strict objects and messages', () => {
  it('names an unknown key by its path and lists the allowed keys', () => {
    // Act
    const issues = issuesOf({
      tables: [{ ...orders({ partition_layout: undefined }), partiton_layout: 'ymd' }],
    });

    // Assess
    expect(issues).toContainEqual({
      path: 'tables[0].partiton_layout',
      message: `unknown key; allowed keys: ${TABLE_KEYS}`,
    });
  });

  it('reports each unknown key of one object separately', () => {
    // Act
    const issues = issuesOf({ colour: 1, size: 2 });

    // Assess
    expect(issues.map((i) => i.path)).toEqual(['colour', 'size']);
  });

  it('shows a bad enum value and the allowed values', () => {
    // Act
    const issues = issuesOf({
      tables: [orders({ name: 'a' }), orders({ name: 'b' }), orders({ partition_layout: 'daily' })],
    });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[2].partition_layout',
        message: "'daily' is not allowed; allowed values: 'ymd', 'event_type/dt'",
      },
    ]);
  });

  it('says what type was expected and what was received', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { scan_cutoff_gb: '20' } } });

    // Assess
    expect(issues).toEqual([
      {
        path: 'environments.prod.scan_cutoff_gb',
        message: "expected a number, received string '20'",
      },
    ]);
  });

  it('says a required key is missing', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ timestamp_column: undefined })] });

    // Assess
    expect(issues).toEqual([
      { path: 'tables[0].timestamp_column', message: 'required; expected a string' },
    ]);
  });

  it('rejects a file that is not a JSON object', () => {
    // Act
    const issues = issuesOf([]);

    // Assess
    expect(issues).toEqual([{ path: '', message: 'expected an object, received an array' }]);
  });

  it('accepts a $schema key for editor completion', () => {
    // Act
    const config = resolveConfig({ $schema: './thermocline.schema.json' }, SOURCE);

    // Assess
    expect(config.tables).toHaveLength(6);
  });
});

describe('ConfigError', () => {
  it('lists every issue on its own line, prefixed by the source, then a hint', () => {
    // Prepare
    const file = { tables: [orders({ name: 'Orders', export_lag_days: 0 })] };

    // Act
    const act = () => resolveConfig(file, SOURCE);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(() => act()).toThrow(
      new RegExp(
        [
          `^${SOURCE}: tables\\[0\\]\\.name: 'Orders' is not a valid SQL identifier`,
          `${SOURCE}: tables\\[0\\]\\.export_lag_days: must be at least 1, got 0`,
          `Fix ${SOURCE}; docs/configuration\\.md lists every key`,
        ].join('.*\\n'),
      ),
    );
  });

  it('carries the issues with their paths and a usage exit code', () => {
    // Act
    let caught: unknown;
    try {
      resolveConfig({ use_sample_defaults: 'yes' }, SOURCE);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toMatchObject({
      issues: [
        { path: 'use_sample_defaults', message: "expected true or false, received string 'yes'" },
      ],
      source: SOURCE,
      exitCode: 2,
    });
  });

  it('formats issues without a path as source: message', () => {
    // Act
    const text = formatConfigIssues('defaults', [
      { path: '', message: 'whole file' },
      { path: 'tables[1].name', message: 'part' },
    ]);

    // Assess
    expect(text).toBe('defaults: whole file\ndefaults: tables[1].name: part');
  });
});

describe('resolveConfig: table rules', () => {
  it.each([
    ['an upper-case letter', 'Orders'],
    ['a leading digit', '1orders'],
    ['a hyphen', 'order-lines'],
    ['64 characters', 'o'.repeat(64)],
  ])('rejects a table name with %s', (_case, name) => {
    // Act
    const issues = issuesOf({ tables: [orders({ name })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[0].name',
        message:
          `'${name}' is not a valid SQL identifier; use lowercase letters, digits and _, ` +
          'starting with a letter or _, at most 63 characters',
      },
    ]);
  });

  it('accepts a 63-character name', () => {
    // Act
    const config = resolveConfig({ tables: [orders({ name: 'o'.repeat(63) })] }, SOURCE);

    // Assess
    expect(config.tables.at(-1)?.name).toHaveLength(63);
  });

  it('checks each primary key column is an identifier', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ primary_key: ['id', 'Tenant'] })] });

    // Assess
    expect(issues.map((i) => i.path)).toEqual(['tables[0].primary_key[1]']);
  });

  it('requires a non-empty primary key', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ primary_key: [] })] });

    // Assess
    expect(issues).toEqual([{ path: 'tables[0].primary_key', message: 'must not be empty' }]);
  });

  it("defaults the partition column of an 'event_type/dt' table to event_type", () => {
    // Act
    const config = resolveConfig(
      { tables: [orders({ partition_layout: 'event_type/dt' })] },
      SOURCE,
    );

    // Assess
    expect(tableConfig(config, 'orders').partition_column).toBe('event_type');
  });

  it("keeps a named partition column of an 'event_type/dt' table", () => {
    // Act
    const config = resolveConfig(
      { tables: [orders({ partition_layout: 'event_type/dt', partition_column: 'kind' })] },
      SOURCE,
    );

    // Assess
    expect(tableConfig(config, 'orders').partition_column).toBe('kind');
  });

  it("requires a partition column for 'event_type/dt' when it is set to null", () => {
    // Act
    const issues = issuesOf({
      tables: [orders({ partition_layout: 'event_type/dt', partition_column: null })],
    });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[0].partition_column',
        message:
          "layout 'event_type/dt' needs a partition column; name one, or omit the key to use 'event_type'",
      },
    ]);
  });

  it("rejects a partition column for layout 'ymd'", () => {
    // Act
    const issues = issuesOf({ tables: [orders({ partition_column: 'kind' })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[0].partition_column',
        message:
          "'kind' is not used by layout 'ymd'; remove partition_column (or set it to null), " +
          "or use layout 'event_type/dt'",
      },
    ]);
  });

  it('requires export_lag_days to be at least 1', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ export_lag_days: 0 })] });

    // Assess
    expect(issues).toEqual([
      { path: 'tables[0].export_lag_days', message: 'must be at least 1, got 0' },
    ]);
  });

  it('requires whole days', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ hot_retention_days: 90.5 })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[0].hot_retention_days',
        message: 'expected an integer, received number 90.5',
      },
    ]);
  });

  it('requires hot_window_days to be at least 0', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ hot_window_days: -1 })] });

    // Assess
    expect(issues).toContainEqual({
      path: 'tables[0].hot_window_days',
      message: 'must be at least 0, got -1',
    });
  });

  it('requires export_lag_days ≤ hot_window_days ≤ hot_retention_days, naming all three', () => {
    // Act
    const issues = issuesOf({
      tables: [orders({ export_lag_days: 2, hot_window_days: 40, hot_retention_days: 30 })],
    });

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('tables[0]');
    expect(issues[0]?.message).toMatch(
      /^export_lag_days \(2\) ≤ hot_window_days \(40\) ≤ hot_retention_days \(30\) must hold/,
    );
  });

  it('accepts equal days (a table that is never hot beyond its export)', () => {
    // Act
    const config = resolveConfig(
      { tables: [orders({ export_lag_days: 3, hot_window_days: 3, hot_retention_days: 3 })] },
      SOURCE,
    );

    // Assess
    expect(tableConfig(config, 'orders').hot_retention_days).toBe(3);
  });

  it('rejects two tables with the same name', () => {
    // Act
    const issues = issuesOf({ tables: [orders(), orders()] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[1].name',
        message: "duplicate table name 'orders' (also at index 0); each must be unique",
      },
    ]);
  });
});

describe('resolveConfig: schema-change policy and type choices', () => {
  it('leaves on_schema_change, uuid_as and numeric_as unset by default (fail, string, exact text)', () => {
    // Act
    const table = tableConfig(resolveConfig({ tables: [orders()] }, SOURCE), 'orders');

    // Assess
    expect(table.on_schema_change).toBeUndefined();
    expect(table.uuid_as).toBeUndefined();
    expect(table.numeric_as).toBeUndefined();
  });

  it.each(['fail', 'append_new_columns', 'sync_all_columns'])(
    'accepts on_schema_change %s',
    (policy) => {
      // Act
      const config = resolveConfig({ tables: [orders({ on_schema_change: policy })] }, SOURCE);

      // Assess
      expect(tableConfig(config, 'orders').on_schema_change).toBe(policy);
    },
  );

  it('shows a bad on_schema_change and the allowed policies', () => {
    // Act
    const issues = issuesOf({ tables: [orders({ on_schema_change: 'append' })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[0].on_schema_change',
        message:
          "'append' is not allowed; allowed values: 'fail', 'append_new_columns', 'sync_all_columns'",
      },
    ]);
  });

  it("accepts uuid_as 'binary' and rejects anything but string or binary", () => {
    // Act
    const config = resolveConfig({ tables: [orders({ uuid_as: 'binary' })] }, SOURCE);
    const issues = issuesOf({ tables: [orders({ uuid_as: 'text' })] });

    // Assess
    expect(tableConfig(config, 'orders').uuid_as).toBe('binary');
    expect(issues).toEqual([
      {
        path: 'tables[0].uuid_as',
        message: "'text' is not allowed; allowed values: 'string', 'binary'",
      },
    ]);
  });

  it.each(['decimal(38,10)', 'decimal(1,0)', 'decimal(12,12)'])(
    'accepts numeric_as %s',
    (numericAs) => {
      // Act
      const config = resolveConfig({ tables: [orders({ numeric_as: numericAs })] }, SOURCE);

      // Assess
      expect(tableConfig(config, 'orders').numeric_as).toBe(numericAs);
    },
  );

  it.each([
    'decimal(39,2)',
    'decimal(10,11)',
    'decimal(0,0)',
    'numeric(10,2)',
    'decimal',
    'double',
  ])('rejects numeric_as %s, saying what Parquet and Athena hold', (numericAs) => {
    // Act
    const issues = issuesOf({ tables: [orders({ numeric_as: numericAs })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'tables[0].numeric_as',
        message:
          `'${numericAs}' is not a decimal type Parquet and Athena hold exactly; write ` +
          "'decimal(p,s)' with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p, e.g. 'decimal(38,10)'",
      },
    ]);
  });

  it('describes the three keys in the JSON Schema', () => {
    // Act
    const schema = JSON.stringify(configJsonSchema());

    // Assess
    expect(schema).toContain('sync_all_columns');
    expect(schema).toContain("How uuid columns are exported: 'string' (default");
    expect(schema).toContain('Export unconstrained numeric columns as this decimal');
  });
});

describe('resolveConfig: mapping rules', () => {
  it('requires a PascalCase entity type', () => {
    // Act
    const issues = issuesOf({ mappings: [players({ entity_type: 'player' })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'mappings[0].entity_type',
        message:
          "'player' is not a valid entity type; use PascalCase letters and digits, e.g. 'Member'",
      },
    ]);
  });

  it('requires at least one property', () => {
    // Act
    const issues = issuesOf({ mappings: [players({ properties: [] })] });

    // Assess
    expect(issues).toEqual([{ path: 'mappings[0].properties', message: 'must not be empty' }]);
  });

  it('checks property columns and names are identifiers', () => {
    // Act
    const issues = issuesOf({
      mappings: [players({ properties: [{ column: 'Nick', property: 'nick name' }] })],
    });

    // Assess
    expect(issues.map((i) => i.path)).toEqual([
      'mappings[0].properties[0].column',
      'mappings[0].properties[0].property',
    ]);
  });

  it('rejects two properties with the same name', () => {
    // Act
    const issues = issuesOf({
      mappings: [
        players({
          properties: [
            { column: 'nickname', property: 'name' },
            { column: 'full_name', property: 'name' },
          ],
        }),
      ],
    });

    // Assess
    expect(issues).toEqual([
      {
        path: 'mappings[0].properties[1].property',
        message: "duplicate property 'name' (also at index 0); each must be unique",
      },
    ]);
  });

  it('shows a bad sync mode and the allowed modes', () => {
    // Act
    const issues = issuesOf({ mappings: [players({ sync_mode: 'daily' })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'mappings[0].sync_mode',
        message: "'daily' is not allowed; allowed values: 'full', 'incremental', 'on_demand'",
      },
    ]);
  });

  it('defaults the sync key to updated_at', () => {
    // Act
    const config = resolveConfig({ mappings: [players()] }, SOURCE);

    // Assess
    expect(config.mappings.find((m) => m.table === 'players')?.sync_key).toBe('updated_at');
  });

  it('allows one mapping per table', () => {
    // Act
    const issues = issuesOf({ mappings: [players(), players({ entity_type: 'Gamer' })] });

    // Assess
    expect(issues).toEqual([
      {
        path: 'mappings[1].table',
        message: "duplicate mapping for table 'players' (also at index 0); each must be unique",
      },
    ]);
  });
});

describe('resolveConfig: environment rules', () => {
  it('names the environments when one is unknown', () => {
    // Act
    const issues = issuesOf({ environments: { production: {} } });

    // Assess
    expect(issues).toEqual([
      {
        path: 'environments.production',
        message: 'unknown key; allowed keys: local, dev, staging, prod',
      },
    ]);
  });

  it('requires a positive scan cutoff', () => {
    // Act
    const issues = issuesOf({ environments: { dev: { scan_cutoff_gb: 0 } } });

    // Assess
    expect(issues).toEqual([
      { path: 'environments.dev.scan_cutoff_gb', message: 'must be greater than 0, got 0' },
    ]);
  });

  it('requires 6 fields in a cron expression', () => {
    // Act
    const issues = issuesOf({
      environments: { prod: { schedules: { etl: { expression: 'cron(0 2 * * *)' } } } },
    });

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('environments.prod.schedules.etl.expression');
    expect(issues[0]?.message).toMatch(/^'cron\(0 2 \* \* \*\)' has 5 fields; .* exactly 6/);
  });

  it('rejects a schedule that is neither cron nor rate', () => {
    // Act
    const issues = issuesOf({
      environments: { staging: { schedules: { retention: { expression: '0 4 * * *' } } } },
    });

    // Assess
    expect(issues[0]?.message).toMatch(/^'0 4 \* \* \*' is not an EventBridge schedule expression/);
  });

  it.each([
    ['rate(15 minutes)', undefined],
    ['rate(1 hour)', undefined],
    ['rate(2 days)', undefined],
    ['cron(0/5 8-17 ? * MON-FRI *)', undefined],
    ['rate(1 hours)', /singular/],
    ['rate(5 minute)', /plural/],
    ['rate(0 minutes)', /at least 1/],
    ['rate(15 seconds)', /not an EventBridge schedule expression/],
    ['cron(0 2 * * * *)', /exactly one of the two must be '\?'/],
    ['cron(0 2 ? * ? *)', /exactly one of the two must be '\?'/],
  ])('judges %s', (expression, problem) => {
    // Act
    const found = scheduleExpressionProblem(expression);

    // Assess
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  it('requires lifecycle days to increase, checked after the merge', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { lifecycle: { glacier_after_days: 400 } } } });

    // Assess
    expect(issues).toEqual([
      {
        path: 'environments.prod.lifecycle.deep_archive_after_days',
        message:
          'deep_archive_after_days (365) must be greater than glacier_after_days (400): lake ' +
          'objects move Standard → Glacier → Deep Archive → deleted, so the days must increase',
      },
    ]);
  });

  it('requires expiry after deep archive', () => {
    // Act
    const issues = issuesOf({ environments: { dev: { lifecycle: { expire_after_days: 365 } } } });

    // Assess
    expect(issues.map((i) => i.path)).toEqual(['environments.dev.lifecycle.expire_after_days']);
  });

  it('accepts null expiry (never delete)', () => {
    // Act
    const config = resolveConfig(
      { environments: { prod: { lifecycle: { expire_after_days: null } } } },
      SOURCE,
    );

    // Assess
    expect(config.environments.prod.lifecycle.expire_after_days).toBeNull();
  });

  it('requires ACUs in steps of 0.5', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { aurora: { max_acu: 16.2 } } } });

    // Assess
    expect(issues).toEqual([
      { path: 'environments.prod.aurora.max_acu', message: 'must be a multiple of 0.5, got 16.2' },
    ]);
  });

  it('caps max_acu at 256', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { aurora: { max_acu: 300 } } } });

    // Assess
    expect(issues).toEqual([
      { path: 'environments.prod.aurora.max_acu', message: 'must be at most 256, got 300' },
    ]);
  });

  it('rejects a negative min_acu', () => {
    // Act
    const issues = issuesOf({ environments: { dev: { aurora: { min_acu: -0.5 } } } });

    // Assess
    expect(issues).toEqual([
      { path: 'environments.dev.aurora.min_acu', message: 'must be at least 0, got -0.5' },
    ]);
  });

  it('requires min_acu ≤ max_acu, checked after the merge', () => {
    // Act
    const issues = issuesOf({ environments: { staging: { aurora: { min_acu: 8 } } } });

    // Assess
    expect(issues).toEqual([
      {
        path: 'environments.staging.aurora.min_acu',
        message: 'min_acu (8) must not exceed max_acu (4)',
      },
    ]);
  });

  it('accepts a min_acu of 0 (auto-pause)', () => {
    // Act
    const config = resolveConfig({ environments: { dev: { aurora: { min_acu: 0 } } } }, SOURCE);

    // Assess
    expect(config.environments.dev.aurora).toEqual({ min_acu: 0, max_acu: 2 });
  });

  it('rejects an alert address that is not an email', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { alert_email: 'ops' } } });

    // Assess
    expect(issues).toEqual([
      { path: 'environments.prod.alert_email', message: "'ops' is not an email address" },
    ]);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { log_retention_days: 31 } } });

    // Assess
    expect(issues[0]).toEqual({
      path: 'environments.prod.log_retention_days',
      message: expect.stringMatching(/^31 is not allowed; allowed values: 1, 3, 5, 7, 14, 30, 60,/),
    });
  });

  it('requires deletion_protection to be a boolean', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { deletion_protection: 'on' } } });

    // Assess
    expect(issues).toEqual([
      {
        path: 'environments.prod.deletion_protection',
        message: "expected true or false, received string 'on'",
      },
    ]);
  });

  it('rejects an unknown key inside an environment, listing the allowed ones', () => {
    // Act
    const issues = issuesOf({ environments: { prod: { aurora: { max_acus: 8 } } } });

    // Assess
    expect(issues).toEqual([
      {
        path: 'environments.prod.aurora.max_acus',
        message: 'unknown key; allowed keys: min_acu, max_acu',
      },
    ]);
  });
});

describe('resolveConfig: environment deep merge', () => {
  it('overrides only the fields the file names', () => {
    // Act
    const config = resolveConfig(
      { environments: { prod: { scan_cutoff_gb: 20, alert_email: 'ops@example.com' } } },
      SOURCE,
    );

    // Assess
    expect(config.environments.prod).toEqual({
      ...defaultConfig().environments.prod,
      scan_cutoff_gb: 20,
      alert_email: 'ops@example.com',
    });
  });

  it('merges nested objects field by field', () => {
    // Act
    const config = resolveConfig(
      {
        environments: {
          dev: { schedules: { full_sync: { enabled: false } }, aurora: { max_acu: 8 } },
        },
      },
      SOURCE,
    );

    // Assess
    expect([config.environments.dev.schedules.full_sync, config.environments.dev.aurora]).toEqual([
      { expression: 'cron(0 3 * * ? *)', enabled: false },
      { min_acu: 0.5, max_acu: 8 },
    ]);
  });

  it('leaves the other environments at their defaults', () => {
    // Act
    const config = resolveConfig({ environments: { prod: { scan_cutoff_gb: 20 } } }, SOURCE);

    // Assess
    expect(config.environments.staging).toEqual(defaultConfig().environments.staging);
  });
});

describe('resolveConfig: tables and mappings merge', () => {
  it("replaces a default table with the file's table of the same name, in place", () => {
    // Act
    const config = resolveConfig(
      { tables: [orders({ name: 'agent_tasks', hot_window_days: 7, hot_retention_days: 14 })] },
      SOURCE,
    );

    // Assess
    expect(config.tables.map((t) => t.name)[1]).toBe('agent_tasks');
    expect(config.tables[1]).toMatchObject({ hot_window_days: 7, hot_retention_days: 14 });
    expect(config.tables).toHaveLength(6);
  });

  it('appends tables the defaults do not have', () => {
    // Act
    const config = resolveConfig({ tables: [orders()] }, SOURCE);

    // Assess
    expect(config.tables.map((t) => t.name)).toEqual([
      'workflows',
      'agent_tasks',
      'agent_metrics',
      'agent_interactions',
      'user_sessions',
      'events',
      'orders',
    ]);
  });

  it('replaces a default mapping with the file mapping for the same table', () => {
    // Act
    const config = resolveConfig(
      { mappings: [players({ table: 'games', sync_mode: 'on_demand' })] },
      SOURCE,
    );

    // Assess
    expect(config.mappings.map((m) => [m.table, m.sync_mode])).toEqual([
      ['agents', 'incremental'],
      ['members', 'incremental'],
      ['games', 'on_demand'],
      ['affiliates', 'incremental'],
    ]);
  });

  it('appends mappings for other tables', () => {
    // Act
    const config = resolveConfig({ mappings: [players()] }, SOURCE);

    // Assess
    expect(config.mappings.map((m) => m.table)).toEqual([
      'agents',
      'members',
      'games',
      'affiliates',
      'players',
    ]);
  });

  it('uses only the file tables and mappings when use_sample_defaults is false', () => {
    // Act
    const config = resolveConfig(
      { use_sample_defaults: false, tables: [orders()], mappings: [players()] },
      SOURCE,
    );

    // Assess
    expect([config.tables.map((t) => t.name), config.mappings.map((m) => m.table)]).toEqual([
      ['orders'],
      ['players'],
    ]);
  });

  it('keeps the default environments when use_sample_defaults is false', () => {
    // Act
    const config = resolveConfig({ use_sample_defaults: false }, SOURCE);

    // Assess
    expect([config.tables, config.environments]).toEqual([[], defaultConfig().environments]);
  });
});

describe('tableConfig and environmentConfig', () => {
  it('finds a table by name', () => {
    // Act
    const table = tableConfig(defaultConfig(), 'events');

    // Assess
    expect(table.timestamp_column).toBe('occurred_at');
  });

  it('names an unknown table and lists the known ones', () => {
    // Act
    const act = () => tableConfig(defaultConfig(), 'agent_taks');

    // Assess
    expect(act).toThrow(
      "table 'agent_taks' is not in the config; known tables: workflows, agent_tasks, " +
        'agent_metrics, agent_interactions, user_sessions, events',
    );
  });

  it('finds an environment by name', () => {
    // Act
    const prod = environmentConfig(defaultConfig(), 'prod');

    // Assess
    expect(prod.aurora.max_acu).toBe(16);
  });

  it('names an unknown environment and lists the allowed ones', () => {
    // Act
    const act = () => environmentConfig(defaultConfig(), 'production');

    // Assess
    expect(act).toThrow(
      "environment 'production' is not known; allowed environments: local, dev, staging, prod",
    );
  });
});

describe('configJsonSchema', () => {
  it('describes the file with strict objects and the per-table defaults', () => {
    // Act
    const schema = configJsonSchema() as {
      additionalProperties: boolean;
      properties: { tables: { items: { properties: Record<string, { default?: unknown }> } } };
    };

    // Assess
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.tables.items.properties.hot_window_days?.default).toBe(30);
  });
});
