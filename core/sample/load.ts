import { ConflictError } from '#core/errors';
import { qualify, quoteIdent } from '#core/sql/ident';
import type { SqlDatabase } from '#ports/sql';
import { generateTable, plannedRows, type SampleOptions } from '#core/sample/generator';
import { SAMPLE_TABLES } from '#core/sample/tables';

/** Progress of a load, reported after every COPY batch. */
export interface LoadProgress {
  readonly table: string;
  /** Rows loaded so far, all tables. */
  readonly rows: number;
  /** Rows the whole load will have. */
  readonly totalRows: number;
}

/** What {@link loadSample} loaded. */
export interface LoadReport {
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
  readonly rows: number;
  readonly seconds: number;
}

/** Options of {@link loadSample}. */
export interface LoadOptions extends SampleOptions {
  /** Drop and reload sample tables that already exist. @default false (refuse) */
  readonly reset?: boolean;
  /** Bytes of COPY text per statement; bounds the memory of the embedded server. @default 4 MiB */
  readonly batchBytes?: number;
  readonly onProgress?: (progress: LoadProgress) => void;
}

/**
 * Creates the sample tables in `db.schema` and loads the deterministic sample data set with
 * COPY (never row inserts), in one transaction: a failure leaves nothing half-written.
 * @example
 * const report = await loadSample(db, { seed: 42, days: 120, scale: 1, endDate: '2025-02-15' });
 * report.tables; // [{ name: 'agents', rows: 24 }, …]
 */
export async function loadSample(db: SqlDatabase, options: LoadOptions): Promise<LoadReport> {
  const started = performance.now();
  const totalRows = SAMPLE_TABLES.reduce((sum, t) => sum + plannedRows(t.name, options).total, 0);
  const batchBytes = options.batchBytes ?? 4 * 1024 * 1024;

  const existing = await existingSampleTables(db);
  if (existing.length > 0 && !options.reset) {
    throw new ConflictError(
      `the sample tables already exist in schema '${db.schema}' (${existing.join(', ')}); ` +
        `run 'thermocline seed --reset' to drop and reload them`,
    );
  }

  const tables = await db.transaction(async (session) => {
    await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(db.schema)}`);
    const loaded: { name: string; rows: number }[] = [];
    let rows = 0;
    for (const table of SAMPLE_TABLES) {
      await session.query(`DROP TABLE IF EXISTS ${qualify(db.schema, table.name)}`);
      for (const statement of table.ddlStatements(db.schema)) await session.query(statement);
      const copy = `COPY ${qualify(db.schema, table.name)} (${table.columns
        .map((c) => quoteIdent(c.name))
        .join(', ')}) FROM STDIN`;
      let tableRows = 0;
      for (const batch of batches(generateTable(table.name, options), batchBytes)) {
        tableRows += await session.copyFrom(copy, batch);
        options.onProgress?.({ table: table.name, rows: rows + tableRows, totalRows });
      }
      rows += tableRows;
      loaded.push({ name: table.name, rows: tableRows });
    }
    return loaded;
  });
  for (const table of SAMPLE_TABLES) await db.query(`ANALYZE ${qualify(db.schema, table.name)}`);
  return {
    tables,
    rows: tables.reduce((sum, t) => sum + t.rows, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The sample tables that exist in `db.schema`, in load order. */
export async function existingSampleTables(db: SqlDatabase): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)`,
    [db.schema, SAMPLE_TABLES.map((t) => t.name)],
  );
  const found = new Set(rows.map((r) => r.table_name));
  return SAMPLE_TABLES.map((t) => t.name).filter((name) => found.has(name));
}

/** Groups text chunks into batches of about `bytes` each. */
function* batches(chunks: Iterable<string>, bytes: number): Generator<string[]> {
  let batch: string[] = [];
  let size = 0;
  for (const chunk of chunks) {
    batch.push(chunk);
    size += chunk.length;
    if (size >= bytes) {
      yield batch;
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield batch;
}
