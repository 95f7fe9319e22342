import {
  generateTable,
  plannedRows,
  sampleChecksum,
  sampleDays,
  type SampleOptions,
} from '#core/sample/generator';
import { SAMPLE_TABLES, sampleTable, type SampleTable } from '#core/sample/tables';

const OPTS: SampleOptions = { seed: 7, days: 3, scale: 0.5, endDate: '2025-01-31' };
const TIMESERIES = SAMPLE_TABLES.filter((t) => t.kind === 'timeseries');
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2}\.\d{6}\+00$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Decodes one field of PostgreSQL COPY text format (the escapes the generator can write). */
function decodeField(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, ch: string) => {
    const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' };
    return map[ch] ?? ch;
  });
}

type Row = Record<string, string | null>;

/** All rows of a table as column → decoded value. */
function rowsOf(table: SampleTable, text: string): Row[] {
  const names = table.columns.map((c) => c.name);
  return linesOf(text).map((line) => {
    const fields = line.split('\t').map(decodeField);
    return Object.fromEntries(names.map((name, i) => [name, fields[i] ?? null]));
  });
}

function linesOf(text: string): string[] {
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

const textCache = new Map<string, string>();
function tableText(name: string, opts: SampleOptions = OPTS): string {
  const key = `${name}|${JSON.stringify(opts)}`;
  let text = textCache.get(key);
  if (text === undefined) {
    text = [...generateTable(name, opts)].join('');
    textCache.set(key, text);
  }
  return text;
}

function rows(name: string, opts: SampleOptions = OPTS): Row[] {
  return rowsOf(sampleTable(name), tableText(name, opts));
}

function column(name: string, col: string): (string | null)[] {
  return rows(name).map((r) => r[col] ?? null);
}

function dayOf(timestamp: string | null): string {
  const match = TIMESTAMP.exec(timestamp ?? '');
  if (!match) throw new Error(`not a sample timestamp: ${timestamp}`);
  return match[1] as string;
}

describe('SAMPLE_TABLES', () => {
  it('lists the reference tables first, then the time-series tables', () => {
    // Prepare
    const names = SAMPLE_TABLES.map((t) => t.name);

    // Act
    const kinds = SAMPLE_TABLES.map((t) => t.kind);

    // Assess
    expect(names).toEqual([
      'agents',
      'members',
      'games',
      'affiliates',
      'workflows',
      'agent_tasks',
      'agent_metrics',
      'agent_interactions',
      'user_sessions',
      'events',
    ]);
    expect(kinds.lastIndexOf('reference')).toBeLessThan(kinds.indexOf('timeseries'));
  });

  it('gives every time-series table a timestamptz timestamp column', () => {
    // Prepare
    const tables = TIMESERIES;

    // Act
    const types = tables.map((t) => t.columns.find((c) => c.name === t.timestampColumn)?.type);

    // Assess
    expect(types).toEqual(tables.map(() => 'timestamptz'));
  });

  it('spells the events member column membercode', () => {
    // Prepare
    const events = sampleTable('events');

    // Act
    const names = events.columns.map((c) => c.name);

    // Assess
    expect(names).toContain('membercode');
  });
});

describe('sampleTable', () => {
  it('throws for an unknown table, naming it and the known tables', () => {
    // Prepare
    const name = 'evnets';

    // Act
    const act = () => sampleTable(name);

    // Assess
    expect(act).toThrow(/"evnets".*agents, members, games, affiliates, workflows/);
  });
});

describe('SampleTable.ddl', () => {
  it('creates the table in the double-quoted schema with its primary key and no foreign keys', () => {
    // Prepare
    const members = sampleTable('members');

    // Act
    const ddl = members.ddl('crm "x"');

    // Assess
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "crm ""x""".members (');
    expect(ddl).toContain('PRIMARY KEY (member_code)');
    expect(ddl).toContain('affiliate_code text,');
    expect(ddl).toContain('member_code text NOT NULL');
    expect(ddl).not.toMatch(/REFERENCES|FOREIGN KEY/i);
    expect(ddl).not.toContain('CREATE INDEX');
  });

  it('adds an index on the timestamp column of a time-series table', () => {
    // Prepare
    const events = sampleTable('events');

    // Act
    const statements = events.ddlStatements('public');

    // Assess
    expect(statements).toHaveLength(2);
    expect(statements[1]).toBe(
      'CREATE INDEX IF NOT EXISTS events_occurred_at_idx ON "public".events (occurred_at)',
    );
    expect(events.ddl('public')).toBe(statements.map((s) => `${s};\n`).join(''));
  });
});

describe('sampleDays', () => {
  it('lists the N days ending at endDate, oldest first, across a month end', () => {
    // Prepare
    const opts = { ...OPTS, days: 3, endDate: '2024-03-01' };

    // Act
    const days = sampleDays(opts);

    // Assess
    expect(days).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });
});

describe('option validation', () => {
  it.each([
    [{ days: 0 }, /days.*got 0/],
    [{ days: 3651 }, /days.*got 3651/],
    [{ days: 1.5 }, /days.*got 1\.5/],
    [{ scale: 0 }, /scale.*got 0/],
    [{ scale: -1 }, /scale.*got -1/],
    [{ scale: 101 }, /scale.*got 101/],
    [{ scale: Number.NaN }, /scale.*got NaN/],
    [{ endDate: '2025-02-30' }, /endDate.*"2025-02-30"/],
    [{ endDate: 'yesterday' }, /endDate.*"yesterday"/],
    [{ endDate: '1970-01-02', days: 5 }, /1970-01-01/],
    [{ seed: 1.5 }, /seed.*got 1\.5/],
  ])('rejects %j, showing the bad value', (override, message) => {
    // Prepare
    const opts = { ...OPTS, ...override } as SampleOptions;

    // Act
    const act = () => sampleChecksum(opts);

    // Assess
    expect(act).toThrow(message);
  });

  it('checks the options when generateTable is called, before any chunk is read', () => {
    // Prepare
    const opts = { ...OPTS, scale: 0 };

    // Act
    const act = () => generateTable('events', opts);

    // Assess
    expect(act).toThrow(/scale/);
  });

  it('rejects an unknown table in plannedRows and generateTable', () => {
    // Prepare
    const name = 'nope';

    // Act
    const acts = [() => plannedRows(name, OPTS), () => generateTable(name, OPTS)];

    // Assess
    for (const act of acts) expect(act).toThrow(/unknown sample table "nope"/);
  });
});

describe('determinism', () => {
  it('gives the same checksum for the same options', () => {
    // Prepare
    const opts = { ...OPTS, scale: 0.1 };

    // Act
    const [first, second] = [sampleChecksum(opts), sampleChecksum({ ...opts })];

    // Assess
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
  });

  it('gives another checksum for another seed', () => {
    // Prepare
    const opts = { ...OPTS, scale: 0.1 };

    // Act
    const [first, other] = [sampleChecksum(opts), sampleChecksum({ ...opts, seed: 8 })];

    // Assess
    expect(other).not.toBe(first);
  });

  it.each(TIMESERIES.map((t) => t.name))(
    'gives %s the same rows for a date whatever the number of days',
    (name) => {
      // Prepare
      const table = sampleTable(name);
      const short = { ...OPTS, days: 3 };
      const long = { ...OPTS, days: 10 };
      const linesOfDay = (opts: SampleOptions, date: string) => {
        const index = table.columns.findIndex((c) => c.name === table.timestampColumn);
        return linesOf(tableText(name, opts)).filter(
          (line) => dayOf(line.split('\t')[index] ?? null) === date,
        );
      };

      // Act
      const dates = sampleDays(short);
      const shortLines = dates.map((d) => linesOfDay(short, d));
      const longLines = dates.map((d) => linesOfDay(long, d));

      // Assess
      expect(longLines).toEqual(shortLines);
      expect(plannedRows(name, long).perDay).toMatchObject(plannedRows(name, short).perDay);
    },
  );

  it('reproduces the pinned checksum (the data set is the same on every platform)', () => {
    // Prepare
    const opts = { seed: 42, days: 2, scale: 0.05, endDate: '2025-02-15' };

    // Act
    const checksum = sampleChecksum(opts);

    // Assess: a deliberate change to the data set must update this value (and say so).
    expect(checksum).toBe('013a475416272a11cb5ac3021602fea7dad68bf2d88e314926ed54cc1d3c1dda');
  });

  it('never calls Math.random or Date.now', () => {
    // Prepare
    const random = jest.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random called');
    });
    const now = jest.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('Date.now called');
    });

    // Act
    const act = () => sampleChecksum({ ...OPTS, seed: 99, scale: 0.05 });

    // Assess
    try {
      expect(act).not.toThrow();
    } finally {
      random.mockRestore();
      now.mockRestore();
    }
  });
});

describe('plannedRows', () => {
  it.each(TIMESERIES.map((t) => t.name))(
    'matches the lines generated for %s, day by day',
    (name) => {
      // Prepare
      const table = sampleTable(name);
      const planned = plannedRows(name, OPTS);

      // Act
      const counted: Record<string, number> = {};
      for (const row of rows(name)) {
        const day = dayOf(row[table.timestampColumn as string] ?? null);
        counted[day] = (counted[day] ?? 0) + 1;
      }

      // Assess
      expect(counted).toEqual(planned.perDay);
      expect(Object.keys(planned.perDay)).toEqual(sampleDays(OPTS));
      expect(planned.total).toBe(linesOf(tableText(name)).length);
    },
  );

  it('sizes the tables from the scale, with weekday variation and at least one row a day', () => {
    // Prepare
    const week = { ...OPTS, days: 14, scale: 1 };
    const tiny = { ...OPTS, days: 14, scale: 0.0001 };

    // Act
    const events = Object.values(plannedRows('events', week).perDay);
    const tinyEvents = Object.values(plannedRows('events', tiny).perDay);

    // Assess
    expect(plannedRows('agents', OPTS)).toEqual({ total: 12, perDay: {} });
    expect(plannedRows('members', OPTS).total).toBe(2500);
    expect(plannedRows('games', OPTS).total).toBe(150);
    expect(plannedRows('affiliates', OPTS).total).toBe(25);
    expect(Math.min(...events)).toBeGreaterThan(2000);
    expect(Math.max(...events)).toBeLessThan(4500);
    expect(new Set(events).size).toBeGreaterThan(7);
    expect(tinyEvents.every((n) => n === 1)).toBe(true);
  });
});

describe('generateTable', () => {
  it.each(SAMPLE_TABLES.map((t) => t.name))(
    'writes %s as whole lines with one field per column',
    (name) => {
      // Prepare
      const table = sampleTable(name);

      // Act
      const chunks = [...generateTable(name, OPTS)];

      // Assess
      for (const chunk of chunks) {
        expect(chunk.endsWith('\n')).toBe(true);
        expect(chunk.length).toBeLessThan(64 * 1024 + 4096);
      }
      const widths = new Set(linesOf(chunks.join('')).map((l) => l.split('\t').length));
      expect([...widths]).toEqual([table.columns.length]);
    },
  );

  it('yields chunks of about 64 KB', () => {
    // Prepare
    const name = 'events';

    // Act
    const chunks = [...generateTable(name, OPTS)];

    // Assess
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(65536);
  });

  it.each(SAMPLE_TABLES.map((t) => t.name))('gives %s unique primary keys', (name) => {
    // Prepare
    const table = sampleTable(name);

    // Act
    const keys = rows(name, { ...OPTS, days: 5 }).map((r) =>
      table.primaryKey.map((k) => r[k]).join('|'),
    );

    // Assess
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(SAMPLE_TABLES.filter((t) => t.columns[0]?.type === 'uuid').map((t) => t.name))(
    'gives %s unique v4-shaped uuids',
    (name) => {
      // Prepare
      const ids = column(name, 'id');

      // Act
      const malformed = ids.filter((id) => !UUID_V4.test(id ?? ''));

      // Assess
      expect(malformed).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    },
  );

  it('gives agent_metrics int8 ids unique across days', () => {
    // Prepare
    const ids = rows('agent_metrics', { ...OPTS, days: 5 }).map((r) => Number(r.id));

    // Act
    const distinct = new Set(ids);

    // Assess
    expect(ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
    expect(distinct.size).toBe(ids.length);
  });

  it('writes NULL only in nullable columns and never in NOT NULL ones', () => {
    // Prepare
    const violations: string[] = [];

    // Act
    for (const table of SAMPLE_TABLES) {
      for (const row of rows(table.name)) {
        for (const c of table.columns) {
          if (!c.nullable && row[c.name] === null) violations.push(`${table.name}.${c.name}`);
        }
      }
    }

    // Assess
    expect([...new Set(violations)]).toEqual([]);
  });

  it('writes timestamps as YYYY-MM-DD HH:MM:SS.ffffff+00', () => {
    // Prepare
    const bad: string[] = [];

    // Act
    for (const table of SAMPLE_TABLES) {
      const names = table.columns.filter((c) => c.type === 'timestamptz').map((c) => c.name);
      for (const row of rows(table.name)) {
        for (const name of names) {
          const value = row[name];
          if (value !== null && value !== undefined && !TIMESTAMP.test(value)) bad.push(value);
        }
      }
    }

    // Assess
    expect(bad).toEqual([]);
  });

  it('writes jsonb columns that parse as JSON objects', () => {
    // Prepare
    const bad: string[] = [];

    // Act
    for (const table of SAMPLE_TABLES) {
      const names = table.columns.filter((c) => c.type === 'jsonb').map((c) => c.name);
      for (const row of rows(table.name)) {
        for (const name of names) {
          try {
            const parsed: unknown = JSON.parse(row[name] ?? 'null');
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
              bad.push(`${table.name}.${name}: ${row[name]}`);
            }
          } catch {
            bad.push(`${table.name}.${name}: ${row[name]}`);
          }
        }
      }
    }

    // Assess
    expect(bad).toEqual([]);
  });

  it('writes numeric, bool, date and char(2) values in their PostgreSQL text forms', () => {
    // Prepare
    const checks: Record<string, RegExp> = {
      'numeric(14,2)': /^\d{1,12}\.\d{2}$/,
      'numeric(12,6)': /^\d{1,6}\.\d{6}$/,
      'numeric(5,2)': /^\d{1,3}\.\d{2}$/,
      'numeric(5,4)': /^\d\.\d{4}$/,
      bool: /^[tf]$/,
      date: /^\d{4}-\d{2}-\d{2}$/,
      'char(2)': /^[A-Z]{2}$/,
      int2: /^-?\d+$/,
      int4: /^-?\d+$/,
      int8: /^-?\d+$/,
      float8: /^-?\d+(\.\d+)?$/,
      'text[]': /^\{.*\}$/,
    };
    const bad: string[] = [];

    // Act
    for (const table of SAMPLE_TABLES) {
      for (const row of rows(table.name)) {
        for (const c of table.columns) {
          const value = row[c.name];
          const check = checks[c.type];
          if (check && value !== null && value !== undefined && !check.test(value)) {
            bad.push(`${table.name}.${c.name}=${value}`);
          }
        }
      }
    }

    // Assess
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('exercises escaping and Unicode in agent_interactions messages', () => {
    // Prepare
    const text = tableText('agent_interactions', { ...OPTS, scale: 1 });

    // Act
    const messages = rowsOf(sampleTable('agent_interactions'), text).map((r) => r.message ?? '');

    // Assess
    expect(messages.some((m) => m.includes('\t'))).toBe(true);
    expect(messages.some((m) => m.includes('\n'))).toBe(true);
    expect(messages.some((m) => m.includes('\\'))).toBe(true);
    expect(messages.some((m) => m.includes('\r'))).toBe(true);
    expect(messages.some((m) => /[\u3040-\u30ff]/.test(m))).toBe(true);
    expect(messages.some((m) => /\p{Extended_Pictographic}/u.test(m))).toBe(true);
    expect(messages.some((m) => /[àéíñß]/.test(m))).toBe(true);
  });
});

describe('referential consistency', () => {
  it('gives every event a membercode that exists in members', () => {
    // Prepare
    const members = new Set(column('members', 'member_code'));

    // Act
    const missing = column('events', 'membercode').filter((code) => !members.has(code));

    // Assess
    expect(members.size).toBe(2500);
    expect(missing).toEqual([]);
  });

  it('sets game_code (existing in games) exactly for GameOpened and BetPlaced', () => {
    // Prepare
    const games = new Set(column('games', 'game_code'));

    // Act
    const wrong = rows('events').filter((r) => {
      const needsGame = r.event_type === 'GameOpened' || r.event_type === 'BetPlaced';
      return needsGame ? !games.has(r.game_code ?? null) : r.game_code !== null;
    });

    // Assess
    expect(wrong).toEqual([]);
  });

  it('sets amount exactly for BetPlaced, Deposit and Withdrawal', () => {
    // Prepare
    const withAmount = new Set(['BetPlaced', 'Deposit', 'Withdrawal']);

    // Act
    const wrong = rows('events').filter(
      (r) => withAmount.has(r.event_type ?? '') !== (r.amount !== null),
    );

    // Assess
    expect(wrong).toEqual([]);
  });

  it('uses all eight event types with realistic payloads', () => {
    // Prepare
    const events = rows('events');

    // Act
    const types = new Set(events.map((r) => r.event_type));
    const login = events.find((r) => r.event_type === 'Login');
    const error = events.find((r) => r.event_type === 'apiError');

    // Assess
    expect([...types].sort()).toEqual(
      [
        'BetPlaced',
        'Deposit',
        'GameOpened',
        'Login',
        'Logout',
        'PageView',
        'Withdrawal',
        'apiError',
      ].sort(),
    );
    expect(Object.keys(JSON.parse(login?.payload ?? '{}') as object)).toEqual(
      expect.arrayContaining(['device', 'app_version', 'ip_country']),
    );
    expect(Object.keys(JSON.parse(error?.payload ?? '{}') as object)).toEqual(
      expect.arrayContaining(['endpoint', 'status', 'error_code', 'latency_ms']),
    );
  });

  it('refers only to existing sessions, and to the member of the session', () => {
    // Prepare
    const sessions = new Map(rows('user_sessions').map((s) => [s.id, s.user_id]));

    // Act
    const wrong = rows('events').filter(
      (r) => r.session_id !== null && sessions.get(r.session_id ?? null) !== r.membercode,
    );

    // Assess
    expect(wrong).toEqual([]);
  });

  it('refers only to existing agents, workflows and affiliates', () => {
    // Prepare
    const agents = new Set(column('agents', 'id'));
    const workflows = new Set(column('workflows', 'id'));
    const affiliates = new Set(column('affiliates', 'affiliate_code'));

    // Act
    const missing = [
      ...column('workflows', 'agent_id').filter((id) => !agents.has(id)),
      ...column('agent_tasks', 'agent_id').filter((id) => !agents.has(id)),
      ...column('agent_tasks', 'workflow_id').filter((id) => !workflows.has(id)),
      ...column('agent_metrics', 'agent_id').filter((id) => !agents.has(id)),
      ...column('agent_interactions', 'from_agent_id').filter((id) => !agents.has(id)),
      ...column('agent_interactions', 'to_agent_id').filter((id) => !agents.has(id)),
      ...column('agent_interactions', 'workflow_id').filter(
        (id) => id !== null && !workflows.has(id),
      ),
      ...column('members', 'affiliate_code').filter((c) => c !== null && !affiliates.has(c)),
    ];

    // Assess
    expect(missing).toEqual([]);
  });

  it('gives authenticated sessions a member as user_id', () => {
    // Prepare
    const members = new Set(column('members', 'member_code'));

    // Act
    const wrong = rows('user_sessions').filter(
      (s) => (s.is_authenticated === 't') !== members.has(s.user_id ?? null),
    );

    // Assess
    expect(wrong).toEqual([]);
  });
});

describe('row consistency', () => {
  it('sets workflows.completed_at exactly for finished workflows, after created_at', () => {
    // Prepare
    const finished = new Set(['completed', 'failed', 'cancelled']);

    // Act
    const wrong = rows('workflows').filter((r) =>
      finished.has(r.status ?? '')
        ? r.completed_at === null || (r.completed_at ?? '') <= (r.created_at ?? '')
        : r.completed_at !== null,
    );

    // Assess
    expect(wrong).toEqual([]);
  });

  it('sets agent_tasks.error exactly for failed tasks and orders their timestamps', () => {
    // Prepare
    const tasks = rows('agent_tasks');

    // Act
    const wrong = tasks.filter((r) => {
      if ((r.status === 'failed') !== (r.error !== null)) return true;
      if (r.started_at !== null && (r.started_at ?? '') < (r.created_at ?? '')) return true;
      if (r.completed_at !== null && (r.completed_at ?? '') < (r.started_at ?? '')) return true;
      const last = r.completed_at ?? r.started_at ?? r.created_at;
      return r.updated_at !== last;
    });

    // Assess
    expect(wrong).toEqual([]);
  });

  it('keeps user_sessions.duration_s consistent with ended_at', () => {
    // Prepare
    const micros = (ts: string) => {
      const [date, time] = ts.replace('+00', '').split(' ') as [string, string];
      const [hms, frac] = time.split('.') as [string, string];
      return Date.parse(`${date}T${hms}Z`) * 1000 + Number(frac);
    };

    // Act
    const wrong = rows('user_sessions').filter((s) =>
      s.ended_at === null
        ? s.duration_s !== null
        : micros(s.ended_at ?? '') - micros(s.started_at ?? '') !== Number(s.duration_s) * 1e6,
    );

    // Assess
    expect(wrong).toEqual([]);
  });

  it('puts reference updated_at within the sample days and created_at before it', () => {
    // Prepare
    const days = new Set(sampleDays(OPTS));
    const wrong: string[] = [];

    // Act
    for (const name of ['agents', 'members', 'games', 'affiliates']) {
      for (const r of rows(name)) {
        if (!days.has(dayOf(r.updated_at ?? null))) wrong.push(`${name} ${r.updated_at}`);
        if (r.created_at !== undefined && (r.created_at ?? '') >= (r.updated_at ?? '')) {
          wrong.push(`${name} ${r.created_at} >= ${r.updated_at}`);
        }
      }
    }

    // Assess
    expect(wrong).toEqual([]);
  });

  it('keeps members.registration_date on the day of created_at', () => {
    // Prepare
    const members = rows('members');

    // Act
    const wrong = members.filter((m) => m.registration_date !== dayOf(m.created_at ?? null));

    // Assess
    expect(wrong).toEqual([]);
  });
});
