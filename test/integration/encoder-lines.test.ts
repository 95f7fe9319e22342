import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';

const MAX_LINE = 2 ** 20;
const columns = [
  { name: 'id', load: (v: string) => `CAST(${v} AS BIGINT)` },
  { name: 's', load: (v: string) => v },
];

/** Rows read back from Parquet files by a second DuckDB instance: count and text length. */
async function readBack(paths: readonly string[]): Promise<{ n: number; chars: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const list = paths.map((p) => `'${p}'`).join(', ');
    const [row] = (
      await connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS n, sum(length(s))::INTEGER AS chars FROM read_parquet([${list}])`,
      )
    ).getRowObjects() as { n: number; chars: number }[];
    return row ?? { n: 0, chars: 0 };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("the encoder's CSV lines", () => {
  test('lines just under the longest accepted, across the ends of the read buffers, arrive whole', async () => {
    // Prepare: every other line within 30 bytes of the limit, the others of varied lengths
    const lengths = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0 ? MAX_LINE - 30 - (i % 7) : (i * 104_729) % 700_000,
    );
    const csv = lengths.map((length, i) => `${i},"${'y'.repeat(length)}"\n`).join('');
    const chunks = csv.match(/[\s\S]{1,65536}/g) ?? [];
    const encoder = await createDuckDbEncoder({ maxLineBytes: MAX_LINE });

    // Act
    const batch = await encoder.encodeCsv(Readable.from(chunks), columns, {
      targetFileBytes: 2 ** 30,
      rowGroupRows: 122_880,
    });

    // Assess
    try {
      expect(await readBack(batch.files.map((f) => f.path))).toEqual({
        n: lengths.length,
        chars: lengths.reduce((a, b) => a + b, 0),
      });
      expect(batch.files.reduce((n, f) => n + f.rows, 0)).toBe(lengths.length);
    } finally {
      await batch.dispose();
      await encoder.close();
    }
  });

  test('a line longer than the longest accepted fails the encode', async () => {
    // Prepare
    const csv = `1,"${'y'.repeat(MAX_LINE + 10)}"\n`;
    const encoder = await createDuckDbEncoder({ maxLineBytes: MAX_LINE });

    // Act
    const encoding = encoder.encodeCsv(Readable.from([csv]), columns, {
      targetFileBytes: 2 ** 30,
      rowGroupRows: 122_880,
    });

    // Assess
    try {
      await expect(encoding).rejects.toThrow(/DuckDB could not encode the rows PostgreSQL sent/);
    } finally {
      await encoder.close();
    }
  });
});
