import { parseArgs } from 'node:util';
import { generateTable, type SampleOptions } from '#core/sample/generator';
import { loadSample } from '#core/sample/load';
import { SAMPLE_TABLES } from '#core/sample/tables';
import { utcDay } from '#ports/clock';
import { openTestDatabase } from '#adapters/scratch-database';

/**
 * `npm run bench -- seed [--days 120] [--scale 1]`: loads the sample data set with COPY into a
 * private schema of the PostgreSQL server (DATABASE_URL/PG*, else 127.0.0.1:5432, else the
 * embedded PGlite) and compares it with the baseline measured in the same run: generating the
 * same COPY text into a null sink.
 */
export async function benchSeed(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: { days: { type: 'string', default: '120' }, scale: { type: 'string', default: '1' } },
  });
  const options: SampleOptions = {
    seed: 42,
    days: Number(values.days),
    scale: Number(values.scale),
    endDate: utcDay(new Date()),
  };

  const generateStarted = performance.now();
  let bytes = 0;
  for (const table of SAMPLE_TABLES) {
    for (const chunk of generateTable(table.name, options)) bytes += chunk.length;
  }
  const generateSeconds = (performance.now() - generateStarted) / 1000;

  const { db, cleanup } = await openTestDatabase('bench_seed');
  try {
    process.stderr.write(`bench seed: ${db.target.description}, schema ${db.schema}\n`);
    const report = await loadSample(db, options);
    return {
      bench: 'seed',
      database: db.target.kind,
      days: options.days,
      scale: options.scale,
      rows: report.rows,
      copy_text_mb: Number((bytes / 2 ** 20).toFixed(1)),
      seconds: Number(report.seconds.toFixed(2)),
      rows_per_s: Math.round(report.rows / report.seconds),
      baseline_generate_s: Number(generateSeconds.toFixed(2)),
      ratio_to_baseline: Number((report.seconds / generateSeconds).toFixed(2)),
    };
  } finally {
    await cleanup();
  }
}
