import { defaultConfig } from '#core/config/resolve';
import { UsageError } from '#core/errors';
import { planSync } from '#etl/sync/plan';

// The sample mappings: agents, members, affiliates incremental; games full.
const mappings = defaultConfig().mappings;
const onDemand = [
  ...mappings,
  {
    table: 'providers',
    entity_type: 'Provider',
    key_column: 'code',
    properties: [{ column: 'name', property: 'name' }],
    sync_mode: 'on_demand' as const,
    sync_key: 'updated_at',
  },
];

describe('planSync', () => {
  it('syncs each mapping in its own sync_mode when no mode is given, on_demand ones left out', () => {
    const plan = planSync(onDemand, {});

    expect(plan.items).toEqual([
      { table: 'agents', mode: 'incremental' },
      { table: 'members', mode: 'incremental' },
      { table: 'games', mode: 'full' },
      { table: 'affiliates', mode: 'incremental' },
    ]);
    expect(plan.skipped.map((s) => s.table)).toEqual(['providers']);
  });

  it('syncs only the incremental mappings in an incremental run (the 15-minute schedule)', () => {
    const plan = planSync(mappings, { mode: 'incremental' });

    expect(plan.items.map((i) => i.table)).toEqual(['agents', 'members', 'affiliates']);
    expect(plan.skipped).toEqual([
      expect.objectContaining({ table: 'games', reason: expect.stringMatching(/daily full sync/) }),
    ]);
  });

  it('syncs the full and incremental mappings in a full run (the daily schedule)', () => {
    const plan = planSync(mappings, { mode: 'full' });

    expect(plan.items).toEqual(mappings.map((m) => ({ table: m.table, mode: 'full' })));
  });

  it("syncs a named mapping in the run's mode whatever its own", () => {
    const plan = planSync(mappings, { mode: 'incremental', tables: ['games'] });

    expect(plan).toEqual({ items: [{ table: 'games', mode: 'incremental' }], skipped: [] });
  });

  it('leaves out a named on_demand mapping without a mode, saying how to sync it', () => {
    const plan = planSync(onDemand, { tables: ['providers'] });

    expect(plan.items).toEqual([]);
    expect(plan.skipped[0]?.reason).toMatch(/give --mode full or incremental/);
  });

  it('refuses a table without a mapping, listing the mapped ones', () => {
    expect(() => planSync(mappings, { tables: ['member'] })).toThrow(
      new UsageError(
        "table 'member' has no sync mapping; mapped tables: agents, members, games, affiliates",
      ),
    );
  });

  it('refuses a mode other than full or incremental', () => {
    const input = { mode: 'on_demand' } as unknown as { mode: 'full' };

    expect(() => planSync(mappings, input)).toThrow(
      /sync mode 'on_demand' is not one of full, incremental/,
    );
  });
});
