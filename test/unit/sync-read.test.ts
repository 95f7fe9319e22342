import { defaultConfig } from '#core/config/resolve';
import type { MappingConfig } from '#core/config/schema';
import { planColumn } from '#etl/types';
import type { MappedColumn, MappingPlan } from '#etl/sync/mapping';
import { candidateSelect, candidateWhere, microsToIso } from '#etl/sync/read';

const members = defaultConfig().mappings.find((m) => m.table === 'members') as MappingConfig;

function column(
  source: string,
  lakeName: string,
  typname: string,
  formatted = typname,
): MappedColumn {
  return {
    source,
    lakeName,
    plan: planColumn('members', { name: source, formatted, typname, typtype: 'b' }),
  };
}

/** Just the parts of a plan the read uses. */
function plan(syncType: 'timestamptz' | 'timestamp', softDelete = false): MappingPlan {
  const key = column('member_code', 'key', 'text');
  const syncKey = column(
    'updated_at',
    '_sync_key',
    syncType,
    syncType === 'timestamptz' ? 'timestamp with time zone' : 'timestamp without time zone',
  );
  return {
    mapping: members,
    columns: [key, column('account_status', 'status', 'text'), syncKey],
    key,
    syncKey: { ...syncKey, typname: syncType },
    softDelete,
  } as unknown as MappingPlan;
}

const since = {
  kind: 'since' as const,
  watermark: '2025-02-15T10:00:00.000000Z',
  fence: '7301',
  overlapSeconds: 300,
};

describe('the candidate filter of an incremental read', () => {
  it('re-reads the overlap below the watermark, or anything written since the fence', () => {
    expect(candidateWhere(plan('timestamptz'), since, true)).toBe(
      `("updated_at" >= '2025-02-15T10:00:00.000000Z'::timestamptz - make_interval(secs => 300) ` +
        `OR age(xmin) <= age('7301'::xid8::xid))`,
    );
  });

  it('compares a timestamp without time zone in UTC', () => {
    expect(candidateWhere(plan('timestamp'), since, true)).toContain(
      `"updated_at" >= ('2025-02-15T10:00:00.000000Z'::timestamptz AT TIME ZONE 'UTC') - make_interval(secs => 300)`,
    );
  });

  it('leaves the fence out when it is too old to compare', () => {
    expect(candidateWhere(plan('timestamptz'), since, false)).not.toContain('xmin');
  });

  it('reads every row when neither a watermark nor a fence bounds the changes', () => {
    expect(candidateWhere(plan('timestamptz'), { ...since, watermark: null }, false)).toBe('true');
  });

  it('refuses a fence that is not a transaction id', () => {
    expect(() =>
      candidateWhere(plan('timestamptz'), { ...since, fence: "1'; DROP" }, true),
    ).toThrow(/invalid xmin fence/);
  });
});

describe('the candidate SELECT', () => {
  it('reads every mapped column as text, the deleted flag and the sync key in microseconds', () => {
    expect(candidateSelect(plan('timestamptz'), 'true', 'crm')).toBe(
      `SELECT ("member_code")::text AS c0, ("account_status")::text AS c1, ("updated_at")::text AS c2, ` +
        `'false' AS d, (extract(epoch FROM "updated_at") * 1000000)::bigint::text AS e ` +
        `FROM "crm"."members" WHERE true`,
    );
  });

  it('flags soft-deleted rows when the table has deleted_at', () => {
    expect(candidateSelect(plan('timestamptz', true), 'true', 'crm')).toContain(
      `("deleted_at" IS NOT NULL)::text AS d`,
    );
  });
});

describe('microsToIso', () => {
  it('keeps microseconds', () => {
    expect(microsToIso(1_739_613_600_123_456n)).toBe('2025-02-15T10:00:00.123456Z');
  });

  it('rounds instants before 1970 down, not toward zero', () => {
    expect(microsToIso(-1n)).toBe('1969-12-31T23:59:59.999999Z');
  });
});
