import { BindError, PlanValidationError } from '#core/query/errors';
import { MAX_JSON_DEPTH } from '#core/json-depth';
import { parsePlan, resolveBinds, stepOrder, type StepOutput } from '#core/query/query-plan';

const athena = (id: string, extra: object = {}): object => ({
  id,
  type: 'AthenaQuery',
  sql: "SELECT membercode FROM events WHERE event_type = 'Login' AND dt = '2025-02-15'",
  ...extra,
});
const aurora = (id: string, ref?: string, extra: object = {}): object => ({
  id,
  type: 'AuroraQuery',
  sql: 'SELECT member_code FROM members WHERE member_code = ANY($1)',
  ...(ref ? { bind: { $1: { ref, field: 'memberCode' } } } : {}),
  ...extra,
});

/** The PlanValidationError parsePlan throws for `input`. */
function invalid(input: unknown, options = {}): PlanValidationError {
  try {
    parsePlan(input, options);
  } catch (error) {
    if (error instanceof PlanValidationError) return error;
    throw error;
  }
  throw new Error('parsePlan accepted the plan');
}

describe('parsePlan', () => {
  it("accepts the seed's plan and fills in the defaults", () => {
    const plan = parsePlan({
      steps: [athena('s1', { max_scan_gb: 5 }), aurora('s2', 's1', { database: 'crm' })],
    });

    expect(plan.output).toBe('s2');
    expect(plan.steps.map((s) => s.limit)).toEqual([10_000, 10_000]);
  });

  it('accepts all four step types', () => {
    const plan = parsePlan({
      steps: [
        athena('a'),
        aurora('b'),
        {
          id: 'c',
          type: 'S3ParquetRead',
          bucket: 'w88-analytics',
          key: 'events/Login/2025-01-15.parquet',
        },
        {
          id: 'd',
          type: 'TableRange',
          table: 'events',
          from: '2025-02-01',
          to: '2025-02-15',
          columns: ['id', 'membercode'],
          filters: { event_type: ['Login', 'Logout'] },
        },
      ],
      output: 'a',
    });

    expect(plan.steps.map((s) => s.type)).toEqual([
      'AthenaQuery',
      'AuroraQuery',
      'S3ParquetRead',
      'TableRange',
    ]);
    expect(plan.output).toBe('a');
  });

  it('names the four step types for an unknown type', () => {
    const error = invalid({ steps: [athena('s1'), { id: 's2', type: 'Athena', sql: 'SELECT 1' }] });

    expect(error.path).toBe('steps[1].type');
    expect(error.message).toMatch(
      /'Athena' is not a step type; use one of AthenaQuery, AuroraQuery, S3ParquetRead, TableRange/,
    );
  });

  it('points at a missing field', () => {
    const error = invalid({ steps: [{ id: 's1', type: 'AthenaQuery' }] });

    expect(error.path).toBe('steps[0].sql');
    expect(error.message).toMatch(/'sql' is missing/);
  });

  it('shows a bad max_scan_gb and what to write', () => {
    const error = invalid({
      steps: [athena('s1'), athena('s2'), athena('s3', { max_scan_gb: -2 })],
    });

    expect(error.path).toBe('steps[2].max_scan_gb');
    expect(error.message).toMatch(/-2 must be more than 0 GB/);
  });

  it('refuses a max_scan_gb over the environment cutoff', () => {
    const error = invalid({ steps: [athena('s1', { max_scan_gb: 50 })] }, { scanCutoffGb: 10 });

    expect(error.path).toBe('steps[0].max_scan_gb');
    expect(error.message).toMatch(/50 GB is over the environment's scan cutoff of 10 GB/);
  });

  it('refuses a limit over 100000 rows', () => {
    const error = invalid({ steps: [athena('s1', { limit: 100_001 })] });

    expect(error.path).toBe('steps[0].limit');
  });

  it('refuses an unknown field, naming it', () => {
    const error = invalid({ steps: [athena('s1', { maxScanGb: 1 })] });

    expect(error.path).toBe('steps[0]');
    expect(error.message).toMatch(/unknown field 'maxScanGb'/);
  });

  it('refuses a bad step id', () => {
    const error = invalid({ steps: [athena('1st')] });

    expect(error.path).toBe('steps[0].id');
    expect(error.message).toMatch(/'1st' is not a valid step id/);
  });

  it('refuses a duplicate step id, naming the first', () => {
    const error = invalid({ steps: [athena('s1'), athena('s1')] });

    expect(error.path).toBe('steps[1].id');
    expect(error.message).toMatch(/'s1' is already the id of steps\[0\]/);
  });

  it('refuses a plan without steps', () => {
    const error = invalid({ steps: [] });

    expect(error.path).toBe('steps');
  });

  it('refuses more than 20 steps', () => {
    const error = invalid({ steps: Array.from({ length: 21 }, (_, i) => athena(`s${i}`)) });

    expect(error.path).toBe('steps');
    expect(error.message).toMatch(/21 steps, more than 20/);
  });

  it('refuses a bind to an unknown step, listing the known ids', () => {
    const error = invalid({ steps: [athena('s1'), aurora('s2', 's9')] });

    expect(error.path).toBe('steps[1].bind.$1.ref');
    expect(error.message).toMatch(/'s9' is not a step of the plan; bind to one of s1, s2/);
  });

  it('refuses a dependency cycle, naming it', () => {
    const error = invalid({ steps: [aurora('s1', 's2'), aurora('s2', 's1')] });

    expect(error.path).toBe('steps[1].bind.$1.ref');
    expect(error.message).toMatch(/cycle s1 → s2 → s1/);
  });

  it('refuses a step bound to itself', () => {
    const error = invalid({ steps: [aurora('s1', 's1')] });

    expect(error.message).toMatch(/cycle s1 → s1/);
  });

  it('accepts a bind to a later step when there is no cycle', () => {
    const plan = parsePlan({ steps: [aurora('s2', 's1'), athena('s1')] });

    expect(plan.steps.map((s) => s.id)).toEqual(['s2', 's1']);
  });

  it('refuses bind keys that skip a number', () => {
    const error = invalid({
      steps: [
        athena('s1'),
        aurora('s2', undefined, {
          bind: { $1: { ref: 's1', field: 'a' }, $3: { ref: 's1', field: 'b' } },
        }),
      ],
    });

    expect(error.path).toBe('steps[1].bind');
    expect(error.message).toMatch(/found \$1, \$3, missing \$2/);
  });

  it('refuses a bind key that is not $n', () => {
    const error = invalid({
      steps: [athena('s1'), aurora('s2', undefined, { bind: { p1: { ref: 's1', field: 'a' } } })],
    });

    expect(error.path).toBe('steps[1].bind.p1');
    expect(error.message).toMatch(/'p1' is not a parameter name; use \$1, \$2/);
  });

  it('refuses an unknown output step', () => {
    const error = invalid({ steps: [athena('s1')], output: 's2' });

    expect(error.path).toBe('output');
    expect(error.message).toMatch(/'s2' is not a step of the plan; use one of s1/);
  });

  it('refuses a TableRange day that does not exist', () => {
    const error = invalid({
      steps: [
        { id: 'r', type: 'TableRange', table: 'events', from: '2025-02-30', to: '2025-03-01' },
      ],
    });

    expect(error.path).toBe('steps[0].from');
    expect(error.message).toMatch(/'2025-02-30' is not a day; write YYYY-MM-DD/);
  });

  it('refuses a TableRange that ends before it starts', () => {
    const error = invalid({
      steps: [
        { id: 'r', type: 'TableRange', table: 'events', from: '2025-02-03', to: '2025-02-01' },
      ],
    });

    expect(error.path).toBe('steps[0].to');
  });

  it('refuses a TableRange table that is not configured, listing the tables', () => {
    const error = invalid(
      {
        steps: [
          { id: 'r', type: 'TableRange', table: 'evnts', from: '2025-02-01', to: '2025-02-01' },
        ],
      },
      { tables: ['events', 'agent_tasks'] },
    );

    expect(error.path).toBe('steps[0].table');
    expect(error.message).toMatch(/use one of agent_tasks, events/);
  });

  it('refuses something that is not a plan', () => {
    const error = invalid('SELECT 1');

    expect(error.path).toBe('');
    expect(error.message).toMatch(/is not a plan; write a JSON object/);
  });

  describe('nesting, checked before the plan is validated (no stack overflow)', () => {
    /** `[[…[]…]]` nested `levels` deep, built without recursion. */
    const nested = (levels: number): unknown[] => {
      const outer: unknown[] = [];
      let inner = outer;
      for (let i = 1; i < levels; i++) {
        const next: unknown[] = [];
        inner.push(next);
        inner = next;
      }
      return outer;
    };

    it.each([
      [
        'a bind',
        (deep: unknown) => ({ steps: [athena('s1', { bind: { $1: deep } })] }),
        'steps[0].bind.$1',
      ],
      [
        'a limit',
        (deep: unknown) => ({ steps: [athena('s1', { limit: deep })] }),
        'steps[0].limit[0]',
      ],
      ['the steps', (deep: unknown) => ({ steps: deep }), 'steps[0][0][0]'],
    ])('refuses 10,000 levels in %s with plan_invalid and the path', (_name, plan, path) => {
      const error = invalid(plan(nested(10_000)));

      expect(error.path).toBe(path);
      expect(error.message).toMatch(
        /deeper than the limit of 64 levels \(or contains itself\) here; a plan needs 5 levels/,
      );
    });

    it('refuses a plan that contains itself', () => {
      const step: Record<string, unknown> = athena('s1') as Record<string, unknown>;
      step.bind = { $1: step };

      expect(invalid({ steps: [step] }).message).toMatch(/deeper than the limit of 64 levels/);
    });

    it(`validates a plan nested ${MAX_JSON_DEPTH} levels deep as usual`, () => {
      // plan → steps → step → bind → $1: four levels above the nested value.
      const error = invalid({
        steps: [athena('s1', { bind: { $1: nested(MAX_JSON_DEPTH - 4) } })],
      });

      expect(error.path).toBe('steps[0].bind.$1');
      expect(error.message).not.toMatch(/levels/);
    });
  });

  it('carries status 400 and exit code 2', () => {
    const error = invalid({ steps: [] });

    expect([error.status, error.exitCode, error.code]).toEqual([400, 2, 'plan_invalid']);
  });
});

describe('stepOrder', () => {
  it('runs steps after the steps they bind to', () => {
    const plan = parsePlan({ steps: [aurora('s3', 's2'), aurora('s2', 's1'), athena('s1')] });

    expect(stepOrder(plan).map((s) => s.id)).toEqual(['s1', 's2', 's3']);
  });

  it('keeps plan order among steps that are ready', () => {
    const plan = parsePlan({
      steps: [athena('a'), aurora('b', 'd'), athena('c'), athena('d')],
    });

    expect(stepOrder(plan).map((s) => s.id)).toEqual(['a', 'c', 'd', 'b']);
  });
});

describe('resolveBinds', () => {
  const plan = parsePlan({ steps: [athena('s1'), aurora('s2', 's1')] });
  const s2 = plan.steps[1];
  const output = (rows: StepOutput['rows'], name = 'membercode'): Map<string, StepOutput> =>
    new Map([['s1', { columns: [{ name, type: 'varchar' }], rows }]]);

  it("passes the field's distinct values over all rows, in order of first appearance", () => {
    const params = resolveBinds(
      s2!,
      output([
        { membercode: 'M2' },
        { membercode: 'M1' },
        { membercode: 'M2' },
        { membercode: 'M3' },
      ]),
    );

    expect(params).toEqual([['M2', 'M1', 'M3']]);
  });

  it('drops NULLs', () => {
    const params = resolveBinds(s2!, output([{ membercode: null }, { membercode: 'M1' }, {}]));

    expect(params).toEqual([['M1']]);
  });

  it('matches the field case-insensitively (memberCode binds membercode)', () => {
    const params = resolveBinds(s2!, output([{ membercode: 'M1' }]));

    expect(params).toEqual([['M1']]);
  });

  it('passes an empty list when the referenced step returned no rows', () => {
    expect(resolveBinds(s2!, output([]))).toEqual([[]]);
  });

  it('throws BindError listing the columns when the field is not one of them', () => {
    const run = (): unknown => resolveBinds(s2!, output([{ member: 'M1' }], 'member'));

    expect(run).toThrow(BindError);
    expect(run).toThrow(/step 's1' has no column 'memberCode'; bind one of its columns: member/);
  });

  it('throws BindError when the referenced step has no output', () => {
    expect(() => resolveBinds(s2!, new Map())).toThrow(/step 's1' has no output to bind/);
  });

  it('throws BindError for a column of lists', () => {
    expect(() => resolveBinds(s2!, output([{ membercode: ['M1'] }]))).toThrow(
      /holds lists .*; bind a column of scalar values/,
    );
  });

  it('answers no parameters for a step without binds', () => {
    expect(resolveBinds(plan.steps[0]!, new Map())).toEqual([]);
  });

  it('carries status 422', () => {
    try {
      resolveBinds(s2!, new Map());
    } catch (error) {
      expect((error as BindError).status).toBe(422);
    }
    expect.assertions(1);
  });
});

describe('parsePlan refuses S3ParquetRead keys that could name another place', () => {
  it.each([
    ['/etc/passwd.parquet'],
    ['../outside/secret.parquet'],
    ['events/../../x.parquet'],
    ['%2e%2e%2f%2e%2e%2fx.parquet'],
    ['..%2F..%2Fx.parquet'],
    ['events%5cx.parquet'],
    ['..\\..\\x.parquet'],
    ['events/a\u0000.parquet'],
    ['events/a\n.parquet'],
    ['....//....//x.parquet'],
    ['events/'],
  ])('%j', (key) => {
    const error = invalid({
      steps: [{ id: 'r', type: 'S3ParquetRead', bucket: 'thermocline-lake', key }],
    });

    expect(error.message).toMatch(/is not an object key; write it as the key is stored/);
  });

  it('accepts a key with dots, spaces and a percent sign that encodes nothing special', () => {
    const plan = parsePlan({
      steps: [
        {
          id: 'r',
          type: 'S3ParquetRead',
          bucket: 'thermocline-lake',
          key: 'events/v=1.2/a b/100%25 done....parquet',
        },
      ],
    });

    expect(plan.steps).toHaveLength(1);
  });
});
