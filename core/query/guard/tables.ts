/** The tables a statement may read: the lake catalog's, or the hot tables a plan may read. */
import type { GuardOptions } from '#core/query/guard/analysis';
import type { TableInfo } from '#core/query/guard/scope';
import type { CatalogTable } from '#ports/catalog';

/** Resolves a statement's table names against the engine's list, refusing unknown ones. */
export class KnownTables {
  private readonly lake: Map<string, CatalogTable>;

  constructor(
    private readonly options: GuardOptions,
    private readonly reject: (message: string) => never,
  ) {
    this.lake = new Map(options.lakeTables.map((t) => [t.name.toLowerCase(), t]));
  }

  /** A base table, known to the engine's list. */
  resolve(name: string, schema: string | undefined): TableInfo {
    if (this.options.engine === 'lake') {
      if (schema !== undefined) {
        this.reject(
          `write lake tables without a database or schema: '${name}' instead of '${schema}.${name}'`,
        );
      }
      const table = this.lake.get(name);
      if (!table) {
        this.reject(
          `table '${name}' is not in the lake catalog; known tables: ${this.lakeNames()}` +
            (this.options.hotTables.includes(name)
              ? ` ('${name}' is a hot table: use an AuroraQuery step)`
              : ''),
        );
      }
      return {
        name,
        columns: table.columns.map((c) => c.name.toLowerCase()),
        partitionKeys: table.partitionKeys.map((k) => k.toLowerCase()),
      };
    }
    const allowedSchema = (this.options.hotSchema ?? 'public').toLowerCase();
    if (schema !== undefined && schema.toLowerCase() !== allowedSchema) {
      this.reject(
        `schema '${schema}' is not readable; plans read only the tables ${this.hotNames()} ` +
          `(unqualified, or qualified with ${allowedSchema})`,
      );
    }
    if (!this.options.hotTables.map((t) => t.toLowerCase()).includes(name)) {
      this.reject(
        `table '${name}' is not a hot table plans may read; known tables: ${this.hotNames()}` +
          (this.lake.has(name) ? ` ('${name}' is in the lake: use an AthenaQuery step)` : ''),
      );
    }
    return { name, columns: undefined, partitionKeys: [] };
  }

  private hotNames(): string {
    return [...this.options.hotTables].sort().join(', ') || '(none)';
  }

  lakeNames(): string {
    return [...this.lake.keys()].sort().join(', ') || '(none)';
  }
}
