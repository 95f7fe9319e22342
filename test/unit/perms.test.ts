import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_READ_ACTIONS, CATALOG_WRITE_ACTIONS, QUERY_EXECUTION_ACTIONS } from '#lib/perms';

const ROOT = join(__dirname, '..', '..');

/** The IAM actions of the SDK commands an adapter sends: `new GetTableCommand` is `glue:GetTable`. */
function commandActions(file: string, service: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const names = [...source.matchAll(/new (\w+)Command\b/g)].map((m) => `${service}:${m[1]}`);
  return [...new Set(names)].sort();
}

describe('the granted actions cover the calls the adapters make', () => {
  test('the catalog write grant covers every Glue call of the GlueCatalog adapter', () => {
    const calls = commandActions('core/adapters/aws/glue-catalog.ts', 'glue');

    expect(calls.length).toBeGreaterThan(5);
    expect(calls.filter((a) => !(CATALOG_WRITE_ACTIONS as readonly string[]).includes(a))).toEqual(
      [],
    );
  });

  test('the catalog read grant is the write grant without its writes', () => {
    const writes = /:(Create|Update|Delete|Batch(Create|Update|Delete))/;

    expect([...CATALOG_READ_ACTIONS].sort()).toEqual(
      CATALOG_WRITE_ACTIONS.filter((a) => !writes.test(a)).sort(),
    );
  });

  test('the query execution grant covers every Athena call of the Athena engine', () => {
    const calls = commandActions('core/adapters/aws/athena-query-engine.ts', 'athena');

    expect(calls).toContain('athena:StartQueryExecution');
    expect(
      calls.filter((a) => !(QUERY_EXECUTION_ACTIONS as readonly string[]).includes(a)),
    ).toEqual([]);
  });
});
