import { tableSelect, utcWallTime } from '#adapters/duckdb/lake-select';
import type { CatalogColumn, CatalogTable } from '#ports/catalog';

const ID: CatalogColumn = { name: 'id', type: 'string', sourceType: 'uuid' };
const CREATED: CatalogColumn = {
  name: 'created_at',
  type: 'timestamp',
  sourceType: 'timestamp with time zone',
};
const TABLE: Pick<CatalogTable, 'columns' | 'partitionKeys'> = {
  columns: [ID, CREATED],
  partitionKeys: ['year', 'month', 'day'],
};

describe('tableSelect', () => {
  it('reads each partition by its files, the partition keys as VARCHAR constants', () => {
    const sql = tableSelect(TABLE, [
      {
        partition: { values: ['2025', '02', '15'] },
        paths: ["/lake/it's/a.parquet", '/lake/b.parquet'],
      },
      { partition: { values: ['2025', '02', '16'] }, paths: [] },
      { partition: { values: ['2025', '02', '17'] }, paths: ['/lake/c.parquet'] },
    ]);

    expect(sql).toBe(
      `SELECT *, '2025'::VARCHAR AS "year", '02'::VARCHAR AS "month", '15'::VARCHAR AS "day" FROM read_parquet(['/lake/it''s/a.parquet', '/lake/b.parquet'], hive_partitioning = false, union_by_name = true)\n` +
        'UNION ALL BY NAME\n' +
        `SELECT *, '2025'::VARCHAR AS "year", '02'::VARCHAR AS "month", '17'::VARCHAR AS "day" FROM read_parquet(['/lake/c.parquet'], hive_partitioning = false, union_by_name = true)`,
    );
  });

  it("reads a partition whose columns differ from the table's as Athena does", () => {
    const table = {
      columns: [
        ID,
        { name: 'attempts', type: 'bigint', sourceType: 'int8' },
        { name: 'note', type: 'string', sourceType: 'text' },
      ],
      partitionKeys: ['dt'],
    };
    const sql = tableSelect(table, [
      {
        // written before attempts was widened and note added; 'gone' was dropped since
        partition: {
          values: ['2025-02-15'],
          columns: [
            ID,
            { name: 'attempts', type: 'int', sourceType: 'int4' },
            { name: 'gone', type: 'string', sourceType: 'text' },
          ],
        },
        paths: ['/lake/old.parquet'],
      },
      {
        partition: { values: ['2025-02-16'], columns: table.columns },
        paths: ['/lake/new.parquet'],
      },
    ]);

    expect(sql.split('\nUNION ALL BY NAME\n')).toEqual([
      `SELECT "id", CAST("attempts" AS BIGINT) AS "attempts", CAST(NULL AS VARCHAR) AS "note", '2025-02-15'::VARCHAR AS "dt" FROM read_parquet(['/lake/old.parquet'], hive_partitioning = false, union_by_name = true)`,
      `SELECT "id", "attempts", "note", '2025-02-16'::VARCHAR AS "dt" FROM read_parquet(['/lake/new.parquet'], hive_partitioning = false, union_by_name = true)`,
    ]);
  });

  it('reads a uuid held as 16 bytes as BLOB, as Athena returns it', () => {
    const binary = { ...TABLE, columns: [{ ...ID, type: 'binary' }, CREATED] };

    expect(
      tableSelect(binary, [{ partition: { values: ['2025', '02', '15'] }, paths: ['/a'] }]),
    ).toMatch(/^SELECT CAST\("id" AS BLOB\) AS "id", "created_at", '2025'::VARCHAR AS "year"/);
  });

  it('is an empty SELECT typed from the catalog when no partition has files', () => {
    expect(tableSelect(TABLE, [])).toBe(
      'SELECT CAST(NULL AS VARCHAR) AS "id", CAST(NULL AS TIMESTAMP) AS "created_at", ' +
        'CAST(NULL AS VARCHAR) AS "year", CAST(NULL AS VARCHAR) AS "month", CAST(NULL AS VARCHAR) AS "day" WHERE false',
    );
  });
});

describe('utcWallTime', () => {
  it('converts zoned timestamps and lists of them through epoch microseconds', () => {
    expect(
      utcWallTime('SELECT 1', [
        { name: 'id', type: 'UUID' },
        { name: 'created_at', type: 'TIMESTAMP WITH TIME ZONE' },
        { name: 'seen', type: 'TIMESTAMP WITH TIME ZONE[]' },
      ]),
    ).toBe(
      'SELECT * REPLACE (make_timestamp(epoch_us("created_at")) AS "created_at", ' +
        'list_transform("seen", lambda x: make_timestamp(epoch_us(x))) AS "seen") FROM (\nSELECT 1\n)',
    );
  });

  it('leaves a SELECT without zoned timestamps alone', () => {
    expect(utcWallTime('SELECT 1', [{ name: 'at', type: 'TIMESTAMP' }])).toBe('SELECT 1');
  });
});
