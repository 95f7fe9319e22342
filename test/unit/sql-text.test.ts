import { identifierUse, placeholders, rewritePlaceholders } from '#core/query/sql-text';

describe('rewritePlaceholders', () => {
  it('rewrites $n outside literals, quoted identifiers and comments only', () => {
    const sql = `SELECT $1, '$2', E'it\\'s $3', $tag$ $4 $tag$, "col$5", a$6 /* $7 /* $8 */ */ FROM t -- $9
WHERE x = $10`;

    expect(rewritePlaceholders(sql, (n) => `:p${n}`)).toBe(
      `SELECT :p1, '$2', E'it\\'s $3', $tag$ $4 $tag$, "col$5", a$6 /* $7 /* $8 */ */ FROM t -- $9
WHERE x = :p10`,
    );
  });

  it('counts occurrences in text order', () => {
    expect(placeholders("SELECT $2, $1, $2, '$1'")).toEqual([2, 1, 2]);
  });
});

describe('identifierUse', () => {
  it('collects identifiers outside literals, lower-casing unquoted ones', () => {
    const use = identifierUse(`SELECT MemberCode, "Amount" FROM events WHERE dt = 'x_col'`);

    expect([...use.names]).toEqual([
      'select',
      'membercode',
      'Amount',
      'from',
      'events',
      'where',
      'dt',
    ]);
    expect(use.selectAll).toBe(false);
  });

  it('tells a select-all from count(*) and a product', () => {
    expect(identifierUse('SELECT count(*), a * b FROM t').selectAll).toBe(false);
    expect(identifierUse('SELECT DISTINCT * FROM t').selectAll).toBe(true);
    expect(identifierUse('SELECT t.* FROM t').selectAll).toBe(true);
    expect(identifierUse('SELECT a, * FROM t').selectAll).toBe(true);
  });
});
