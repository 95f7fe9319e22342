/**
 * The tables of the sample data set: their columns (in COPY order), keys, timestamp columns and
 * PostgreSQL DDL. Reference tables come first, so {@link SAMPLE_TABLES} is also the load order.
 *
 * There are no foreign keys: retention deletes hot rows of old days, and the lake keeps them.
 */

import { quoteIdent } from '#core/sql/ident';

/** `reference`: small, synced, no time partition. `timeseries`: tiered to the lake by day. */
export type SampleTableKind = 'reference' | 'timeseries';

/** One column: its name and PostgreSQL type as written in the DDL. */
export interface SampleColumn {
  /** Column name (lower case, never needs quoting). */
  readonly name: string;
  /**
   * PostgreSQL type: one of `uuid`, `text`, `text[]`, `jsonb`, `timestamptz`, `date`, `bool`,
   * `int2`, `int4`, `int8`, `float8`, `char(2)`, `numeric(p,s)`.
   */
  readonly type: string;
  /** Whether the generator ever writes NULL here (the DDL says NOT NULL otherwise). */
  readonly nullable: boolean;
}

/** A table of the sample data set. */
export interface SampleTable {
  /** Table name (lower case, never needs quoting). */
  readonly name: string;
  /** Reference (synced) or time-series (tiered by day). */
  readonly kind: SampleTableKind;
  /** Primary key columns. */
  readonly primaryKey: readonly string[];
  /** The column that puts a time-series row in its UTC day; absent for reference tables. */
  readonly timestampColumn?: string;
  /** Columns in COPY order. */
  readonly columns: readonly SampleColumn[];
  /**
   * `CREATE TABLE IF NOT EXISTS` (and, for time-series tables, `CREATE INDEX IF NOT EXISTS` on
   * the timestamp column) in the given schema, as one SQL text of `;`-terminated statements
   * (fine for the simple query protocol; see {@link SampleTable.ddlStatements} for one-statement
   * APIs such as the RDS Data API or extended-protocol queries).
   *
   * @example
   * sampleTable('events').ddl('public'); // 'CREATE TABLE IF NOT EXISTS "public".events (…'
   */
  ddl(schema: string): string;
  /** The statements of {@link SampleTable.ddl}, one per element, without trailing `;`. */
  ddlStatements(schema: string): string[];
}

type ColumnSpec = readonly [name: string, type: string, nullable?: 'null'];

function defineTable(spec: {
  name: string;
  kind: SampleTableKind;
  primaryKey: readonly string[];
  timestampColumn?: string;
  columns: readonly ColumnSpec[];
}): SampleTable {
  const columns: SampleColumn[] = spec.columns.map(([name, type, nullable]) => ({
    name,
    type,
    nullable: nullable === 'null',
  }));
  const names = new Set(columns.map((c) => c.name));
  for (const key of [...spec.primaryKey, ...(spec.timestampColumn ? [spec.timestampColumn] : [])]) {
    if (!names.has(key)) throw new Error(`sample table ${spec.name}: no column named ${key}`);
  }
  const ddlStatements = (schema: string): string[] => {
    const qualified = `${quoteIdent(schema)}.${spec.name}`;
    const lines = columns.map((c) => `  ${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
    lines.push(`  PRIMARY KEY (${spec.primaryKey.join(', ')})`);
    const statements = [`CREATE TABLE IF NOT EXISTS ${qualified} (\n${lines.join(',\n')}\n)`];
    if (spec.timestampColumn) {
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${spec.name}_${spec.timestampColumn}_idx ` +
          `ON ${qualified} (${spec.timestampColumn})`,
      );
    }
    return statements;
  };
  const table: SampleTable = {
    name: spec.name,
    kind: spec.kind,
    primaryKey: spec.primaryKey,
    columns,
    ddlStatements,
    ddl: (schema: string): string =>
      ddlStatements(schema)
        .map((statement) => `${statement};\n`)
        .join(''),
  };
  if (spec.timestampColumn) return { ...table, timestampColumn: spec.timestampColumn };
  return table;
}

const AGENTS = defineTable({
  name: 'agents',
  kind: 'reference',
  primaryKey: ['id'],
  columns: [
    ['id', 'uuid'],
    ['name', 'text'],
    ['agent_type', 'text'],
    ['model', 'text'],
    ['status', 'text'],
    ['capabilities', 'text[]'],
    ['config', 'jsonb'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
});

const MEMBERS = defineTable({
  name: 'members',
  kind: 'reference',
  primaryKey: ['member_code'],
  columns: [
    ['member_code', 'text'],
    ['registration_date', 'date'],
    ['total_deposit', 'numeric(14,2)'],
    ['account_status', 'text'],
    ['email_verified', 'bool'],
    ['phone_verified', 'bool', 'null'],
    ['affiliate_code', 'text', 'null'],
    ['country', 'char(2)'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
});

const GAMES = defineTable({
  name: 'games',
  kind: 'reference',
  primaryKey: ['game_code'],
  columns: [
    ['game_code', 'text'],
    ['name', 'text'],
    ['provider', 'text'],
    ['category', 'text'],
    ['rtp', 'numeric(5,2)'],
    ['is_active', 'bool'],
    ['tags', 'text[]'],
    ['launched_on', 'date'],
    ['updated_at', 'timestamptz'],
  ],
});

const AFFILIATES = defineTable({
  name: 'affiliates',
  kind: 'reference',
  primaryKey: ['affiliate_code'],
  columns: [
    ['affiliate_code', 'text'],
    ['name', 'text'],
    ['commission_rate', 'numeric(5,4)'],
    ['country', 'char(2)'],
    ['status', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
});

const WORKFLOWS = defineTable({
  name: 'workflows',
  kind: 'timeseries',
  primaryKey: ['id'],
  timestampColumn: 'created_at',
  columns: [
    ['id', 'uuid'],
    ['agent_id', 'uuid'],
    ['name', 'text'],
    ['status', 'text'],
    ['priority', 'int2'],
    ['step_count', 'int4'],
    ['metadata', 'jsonb'],
    ['created_at', 'timestamptz'],
    ['completed_at', 'timestamptz', 'null'],
  ],
});

const AGENT_TASKS = defineTable({
  name: 'agent_tasks',
  kind: 'timeseries',
  primaryKey: ['id'],
  timestampColumn: 'created_at',
  columns: [
    ['id', 'uuid'],
    ['workflow_id', 'uuid'],
    ['agent_id', 'uuid'],
    ['task_type', 'text'],
    ['status', 'text'],
    ['attempt', 'int4'],
    ['tokens', 'int8'],
    ['cost_usd', 'numeric(12,6)'],
    ['input', 'jsonb'],
    ['error', 'text', 'null'],
    ['created_at', 'timestamptz'],
    ['started_at', 'timestamptz', 'null'],
    ['completed_at', 'timestamptz', 'null'],
    ['updated_at', 'timestamptz'],
  ],
});

const AGENT_METRICS = defineTable({
  name: 'agent_metrics',
  kind: 'timeseries',
  primaryKey: ['id'],
  timestampColumn: 'recorded_at',
  columns: [
    ['id', 'int8'],
    ['agent_id', 'uuid'],
    ['metric_name', 'text'],
    ['value', 'float8'],
    ['labels', 'jsonb'],
    ['recorded_at', 'timestamptz'],
  ],
});

const AGENT_INTERACTIONS = defineTable({
  name: 'agent_interactions',
  kind: 'timeseries',
  primaryKey: ['id'],
  timestampColumn: 'created_at',
  columns: [
    ['id', 'uuid'],
    ['from_agent_id', 'uuid'],
    ['to_agent_id', 'uuid'],
    ['workflow_id', 'uuid', 'null'],
    ['interaction_type', 'text'],
    ['message', 'text'],
    ['tokens', 'int4'],
    ['latency_ms', 'int4'],
    ['created_at', 'timestamptz'],
  ],
});

const USER_SESSIONS = defineTable({
  name: 'user_sessions',
  kind: 'timeseries',
  primaryKey: ['id'],
  timestampColumn: 'started_at',
  columns: [
    ['id', 'uuid'],
    ['user_id', 'text'],
    ['started_at', 'timestamptz'],
    ['ended_at', 'timestamptz', 'null'],
    ['duration_s', 'int4', 'null'],
    ['page_views', 'int4'],
    ['is_authenticated', 'bool'],
    ['user_agent', 'text'],
    ['country', 'char(2)'],
  ],
});

const EVENTS = defineTable({
  name: 'events',
  kind: 'timeseries',
  primaryKey: ['id'],
  timestampColumn: 'occurred_at',
  columns: [
    ['id', 'uuid'],
    ['event_type', 'text'],
    // Spelled `membercode` so the seed's Athena SQL `SELECT memberCode ...` works unquoted.
    ['membercode', 'text'],
    ['game_code', 'text', 'null'],
    ['amount', 'numeric(14,2)', 'null'],
    ['session_id', 'uuid', 'null'],
    ['payload', 'jsonb'],
    ['occurred_at', 'timestamptz'],
  ],
});

/**
 * The sample tables in load order: the reference tables (agents, members, games, affiliates),
 * then the time-series tables (workflows, agent_tasks, agent_metrics, agent_interactions,
 * user_sessions, events).
 *
 * @example
 * for (const table of SAMPLE_TABLES) await sql.exec(table.ddl('public'));
 */
export const SAMPLE_TABLES: readonly SampleTable[] = Object.freeze([
  AGENTS,
  MEMBERS,
  GAMES,
  AFFILIATES,
  WORKFLOWS,
  AGENT_TASKS,
  AGENT_METRICS,
  AGENT_INTERACTIONS,
  USER_SESSIONS,
  EVENTS,
]);

/** The names of {@link SAMPLE_TABLES}, in load order. */
export const SAMPLE_TABLE_NAMES: readonly string[] = Object.freeze(
  SAMPLE_TABLES.map((t) => t.name),
);

/**
 * The sample table called `name`.
 *
 * @throws Error naming the known tables when there is no such table.
 * @example
 * sampleTable('events').timestampColumn; // 'occurred_at'
 */
export function sampleTable(name: string): SampleTable {
  const table = SAMPLE_TABLES.find((t) => t.name === name);
  if (!table) {
    throw new Error(
      `unknown sample table ${JSON.stringify(name)}; known tables: ${SAMPLE_TABLE_NAMES.join(', ')}`,
    );
  }
  return table;
}
