/**
 * Quotes an SQL identifier for PostgreSQL (and DuckDB/Athena, which share the rule).
 * @example
 * quoteIdent('agent_tasks'); // '"agent_tasks"'
 * quoteIdent('we"ird'); // '"we""ird"'
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}: it must be non-empty text`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A schema-qualified, quoted table name.
 * @example
 * qualify('public', 'events'); // '"public"."events"'
 */
export function qualify(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** What {@link createTableIfMissing} runs statements with. */
interface Queryable {
  query(sql: string, params?: readonly unknown[]): Promise<unknown>;
}

/**
 * Runs a `CREATE TABLE IF NOT EXISTS …` that may race with the same statement in another process
 * (two first runs on a fresh database). PostgreSQL's IF NOT EXISTS check is not atomic with the
 * create: the loser fails with 42P07 (duplicate_table), 42710 (duplicate_object: the table's row
 * type) or 23505 (unique violation in the catalog), meaning the table is there — what the caller
 * wanted.
 * @example
 * await createTableIfMissing(db, `CREATE TABLE IF NOT EXISTS ${qualify(schema, 'log')} (id int)`);
 */
export async function createTableIfMissing(db: Queryable, ddl: string): Promise<void> {
  try {
    await db.query(ddl);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '42P07' && code !== '42710' && code !== '23505') throw error;
  }
}
