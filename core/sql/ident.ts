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
