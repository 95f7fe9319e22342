import { tokenize } from '#core/query/sql/tokenizer';

const kinds = (sql: string): string[] => tokenize(sql).map((t) => `${t.kind}:${t.text}`);

describe('tokenize', () => {
  it('gives back the statement when its tokens are joined', () => {
    const sql = `SELECT "a""b", E'it\\'s', X'0f', U&'\\0041', $t$ x $t$, $1 -- c\n/* a /* b */ c */ 1.5e3 <> 'x'`;

    expect(
      tokenize(sql)
        .map((t) => t.text)
        .join(''),
    ).toBe(sql);
  });

  it('reads strings, quoted names, parameters, comments, numbers and operators', () => {
    expect(kinds(`a.b<>'it''s' "Q""x" $2::int -- end`)).toEqual([
      'ident:a',
      'symbol:.',
      'ident:b',
      'symbol:<>',
      "string:'it''s'",
      'space: ',
      'quoted:"Q""x"',
      'space: ',
      'param:$2',
      'symbol:::',
      'ident:int',
      'space: ',
      'comment:-- end',
    ]);
  });

  it('reads prefixed strings only where no identifier character comes before', () => {
    expect(tokenize(`E'a\\'b'`)[0]).toMatchObject({
      kind: 'string',
      prefix: 'E',
      text: `E'a\\'b'`,
    });
    expect(kinds(`xE'a'`)).toEqual(['ident:xE', "string:'a'"]);
    expect(tokenize(`X'0f'`)[0]).toMatchObject({ prefix: 'X', value: '0f', closed: true });
  });

  it('keeps a block comment open until its nested comments close', () => {
    expect(kinds('/* a /* b */ c */x')).toEqual(['comment:/* a /* b */ c */', 'ident:x']);
  });

  it('takes dollar tags outside the Basic Multilingual Plane only when asked', () => {
    const sql = '$😀$ $1 $😀$';

    expect(tokenize(sql)[0]?.kind).toBe('symbol');
    expect(tokenize(sql, { astralDollarTags: true })[0]).toMatchObject({
      kind: 'string',
      prefix: '$',
      text: sql,
    });
  });

  it('marks an unclosed string', () => {
    expect(tokenize("'abc")[0]).toMatchObject({ kind: 'string', closed: false, value: 'abc' });
  });
});
