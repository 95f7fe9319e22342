import { mkdtemp, open, rm, truncate } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEncoder } from '#adapters/duckdb/duckdb-encoder';
import { openLocalLake } from '#adapters/local/local-lake';
import { localProcess } from '#adapters/local/local-process';
import type { TableConfig } from '#core/config/schema';
import { qualify } from '#core/sql/ident';
import { exportTableDay, type ExportDeps, type PartitionManifest } from '#etl/export';
import { LeaseHeldError } from '#etl/lease';
import { PurgedDayError, readRetentionLog } from '#etl/retention/log';
import { purge, type PurgeDeps, type PurgeReport } from '#etl/retention/purge';
import type { Alerts } from '#ports/alerts';
import type { ObjectStore } from '#ports/object-store';
import { fixedClock } from '#ports/clock';
import type { ParquetEncoder } from '#ports/parquet-encoder';
import type { SqlDatabase } from '#ports/sql';
import { openTestDatabase, type TestDatabase } from '#test/support/database';
import { readPublished } from '#test/support/lake';

// "Today" is 2025-06-01: with hot_retention_days 90 the cutoff is 2025-03-03, so January is old.
const NOW = '2025-06-01T04:00:00Z';
const D1 = '2025-01-10';
const D2 = '2025-01-11';
const RECENT = '2025-05-20';
const ROWS_PER_DAY = 50;

/** A latch a test opens once; `opened` resolves from then on. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** `text` as a literal inside a regular expression. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A recording alert port. */
class RecordedAlerts implements Alerts {
  readonly sent: { subject: string; message: string }[] = [];
  async notify(subject: string, message: string): Promise<void> {
    this.sent.push({ subject, message });
  }
}

function tableNamed(name: string): TableConfig {
  return {
    name,
    primary_key: ['id'],
    timestamp_column: 'at',
    partition_layout: 'ymd',
    partition_column: null,
    export_lag_days: 1,
    hot_window_days: 30,
    hot_retention_days: 90,
  };
}

describe('purge (retention of hot rows)', () => {
  let test: TestDatabase;
  let db: SqlDatabase;
  let home: string;
  let encoder: ParquetEncoder;
  let exportDeps: ExportDeps;
  let alerts: RecordedAlerts;

  /** A table with ROWS_PER_DAY rows on each of `days`; ids are unique across days. */
  async function createTable(name: string, days: readonly string[]): Promise<TableConfig> {
    const t = qualify(db.schema, name);
    await db.query(
      `CREATE TABLE ${t} (id int8 PRIMARY KEY, at timestamptz NOT NULL, amount numeric(10,2), note text)`,
    );
    for (const [i, day] of days.entries()) {
      await db.query(
        `INSERT INTO ${t} SELECT ${i * 1000} + g, TIMESTAMPTZ '${day} 00:00:00+00' + g * interval '17 minutes',
                g * 1.5, 'row ' || g FROM generate_series(1, ${ROWS_PER_DAY}) g`,
      );
    }
    return tableNamed(name);
  }

  async function rowsOn(table: string, day: string): Promise<number> {
    const [row] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${qualify(db.schema, table)} WHERE at >= $1::date AND at < $1::date + 1`,
      [day],
    );
    return Number(row?.n);
  }

  function deps(table: TableConfig, extra: Partial<PurgeDeps> = {}): PurgeDeps {
    return {
      db,
      store: exportDeps.store,
      catalog: exportDeps.catalog,
      alerts,
      clock: fixedClock(NOW),
      config: { tables: [table] },
      ...extra,
    };
  }

  function dayOf(report: PurgeReport, day: string) {
    return report.tables[0]?.days.find((d) => d.day === day);
  }

  /** The version folder of a ymd table's day, from the catalog. */
  async function versionOf(table: string, day: string): Promise<string> {
    const partition = (await exportDeps.catalog.listPartitions(table)).find(
      (p) => p.values.join('-') === day,
    );
    if (!partition) throw new Error(`${table} ${day} is not in the catalog`);
    return partition.location;
  }

  /** The data file keys a partition's `_manifest.json` lists. */
  async function filesOf(location: string): Promise<string[]> {
    const text = await exportDeps.store.getText(`${location}_manifest.json`);
    return (JSON.parse(text ?? '{}') as PartitionManifest).files.map((f) => f.key);
  }

  /** Overwrites 400 bytes in the middle of a lake file: same size, other content. */
  async function corruptInPlace(key: string): Promise<void> {
    const handle = await open(exportDeps.store.locate(key), 'r+');
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.alloc(400, 0xa5), 0, 400, Math.floor(size / 2) - 200);
    } finally {
      await handle.close();
    }
  }

  /** Rewrites a partition's `_manifest.json` as exports before content hashes wrote it. */
  async function forgetHashes(location: string): Promise<void> {
    const key = `${location}_manifest.json`;
    const manifest = JSON.parse((await exportDeps.store.getText(key)) ?? '{}') as PartitionManifest;
    const files = manifest.files.map(({ sha256: _hash, ...file }) => file);
    await exportDeps.store.putText(key, JSON.stringify({ ...manifest, files }, null, 2));
  }

  beforeAll(async () => {
    test = await openTestDatabase('retention');
    db = test.db;
    home = await mkdtemp(join(tmpdir(), 'thermocline-retention-'));
    encoder = await createDuckDbEncoder();
    exportDeps = { db, encoder, clock: fixedClock('2025-01-20T02:00:00Z'), ...openLocalLake(home) };
  });

  beforeEach(() => {
    alerts = new RecordedAlerts();
  });

  afterAll(async () => {
    await encoder.close();
    await test.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('holds a day without a manifest: deletes nothing and alerts with table, day, reason and command', async () => {
    const table = await createTable('r_missing', [D1]);

    const report = await purge(deps(table), { dryRun: false });

    expect(dayOf(report, D1)).toMatchObject({ action: 'hold', hotRows: 50, deletedRows: 0 });
    expect(dayOf(report, D1)?.reason).toMatch(
      /^no manifest \(r_missing\/_manifests\/2025-01-10\.json\)/,
    );
    expect(await rowsOn('r_missing', D1)).toBe(ROWS_PER_DAY);
    expect(alerts.sent).toHaveLength(1);
    expect(alerts.sent[0]?.subject).toBe('Thermocline retention held 1 day(s) of r_missing');
    expect(alerts.sent[0]?.message).toContain(
      'r_missing 2025-01-10: no manifest (r_missing/_manifests/2025-01-10.json): the day was never published. ' +
        'Recovery: thermocline backfill --from 2025-01-10 --to 2025-01-10 --table r_missing',
    );
  });

  it('holds a day whose manifest has fewer rows than the hot table (rows added after export)', async () => {
    const table = await createTable('r_short', [D1]);
    await exportTableDay(exportDeps, table, D1);
    await db.query(
      `INSERT INTO ${qualify(db.schema, 'r_short')} VALUES (9001, '${D1} 23:00:00+00', 1, 'late'), (9002, '${D1} 23:30:00+00', 2, 'late')`,
    );

    const report = await purge(deps(table), { dryRun: false });

    expect(dayOf(report, D1)).toMatchObject({ action: 'hold', manifestRows: 50, hotRows: 52 });
    expect(dayOf(report, D1)?.reason).toBe(
      'manifest rows 50 ≠ hot rows 52 (rows added after export: re-run backfill --from 2025-01-10 --to 2025-01-10)',
    );
    expect(await rowsOn('r_short', D1)).toBe(52);
    expect(alerts.sent[0]?.message).toMatch(/r_short 2025-01-10: manifest rows 50 ≠ hot rows 52/);
  });

  it('holds a day whose hot rows changed after export (checksum mismatch)', async () => {
    const table = await createTable('r_changed', [D1]);
    await exportTableDay(exportDeps, table, D1);
    await db.query(`UPDATE ${qualify(db.schema, 'r_changed')} SET note = 'edited' WHERE id = 7`);

    const report = await purge(deps(table), { dryRun: false });

    expect(dayOf(report, D1)).toMatchObject({ action: 'hold', manifestRows: 50, hotRows: 50 });
    expect(dayOf(report, D1)?.reason).toMatch(
      /^checksum mismatch: manifest 50:\d+ ≠ hot rows 50:\d+/,
    );
    expect(await rowsOn('r_changed', D1)).toBe(ROWS_PER_DAY);
    expect(alerts.sent[0]?.message).toMatch(/r_changed 2025-01-10: checksum mismatch/);
  });

  it('holds a day when the catalog no longer points at the version the manifest published', async () => {
    const table = await createTable('r_moved', [D1]);
    await exportTableDay(exportDeps, table, D1);
    const [partition] = await exportDeps.catalog.listPartitions('r_moved');
    await exportDeps.catalog.putPartitions('r_moved', [
      { ...partition!, location: 'r_moved/year=2025/month=01/day=10/v=elsewhere/' },
    ]);

    const report = await purge(deps(table), { dryRun: false });

    expect(dayOf(report, D1)?.reason).toMatch(
      /^catalog points elsewhere: partition 2025\/01\/10 is at .*v=elsewhere/,
    );
    expect(await rowsOn('r_moved', D1)).toBe(ROWS_PER_DAY);
  });

  it("deletes exactly a verified day's rows, in batches, and leaves other days alone", async () => {
    const table = await createTable('r_good', [D1, D2, RECENT]);
    await exportTableDay(exportDeps, table, D1);
    await exportTableDay(exportDeps, table, RECENT);

    const report = await purge(deps(table), { dryRun: false, batchRows: 20 });

    expect(report.tables[0]?.cutoffDay).toBe('2025-03-03');
    expect(report.tables[0]?.days.map((d) => [d.day, d.action, d.deletedRows])).toEqual([
      [D1, 'deleted', 50],
      [D2, 'hold', 0], // never exported
    ]);
    expect(await rowsOn('r_good', D1)).toBe(0);
    expect(await rowsOn('r_good', D2)).toBe(ROWS_PER_DAY);
    expect(await rowsOn('r_good', RECENT)).toBe(ROWS_PER_DAY);
    const log = await readRetentionLog(db, 'r_good');
    expect(log.get(D1)).toMatchObject({ status: 'deleted', rowsExpected: 50, rowsDeleted: 50 });
    // Only the held day is alerted.
    expect(alerts.sent).toHaveLength(1);
    expect(alerts.sent[0]?.message).not.toContain(D1);
  });

  it('resumes a purge interrupted after its first batch and deletes exactly the day in total', async () => {
    const table = await createTable('r_resume', [D1, D2]);
    await exportTableDay(exportDeps, table, D1);
    const crash = deps(table, {
      afterBatch: () => {
        throw new Error('simulated crash after the first batch');
      },
    });

    await expect(purge(crash, { dryRun: false, batchRows: 15 })).rejects.toThrow(/simulated crash/);
    expect(await rowsOn('r_resume', D1)).toBe(35);
    expect((await readRetentionLog(db, 'r_resume')).get(D1)).toMatchObject({
      status: 'deleting',
      rowsDeleted: 15,
    });

    const report = await purge(deps(table), { dryRun: false, batchRows: 15 });

    expect(dayOf(report, D1)).toMatchObject({ action: 'deleted', hotRows: 35, deletedRows: 35 });
    expect(dayOf(report, D1)?.reason).toBeUndefined();
    expect(await rowsOn('r_resume', D1)).toBe(0);
    expect(await rowsOn('r_resume', D2)).toBe(ROWS_PER_DAY);
    expect((await readRetentionLog(db, 'r_resume')).get(D1)).toMatchObject({
      status: 'deleted',
      rowsDeleted: 50,
    });
  });

  it("refuses to export a purged day again, so a backfill cannot empty the lake's day", async () => {
    const table = await createTable('r_reexport', [D1]);
    const first = await exportTableDay(exportDeps, table, D1);
    await purge(deps(table), { dryRun: false });

    const again = exportTableDay(exportDeps, table, D1);

    await expect(again).rejects.toThrow(PurgedDayError);
    await expect(again).rejects.toThrow(
      /^r_reexport 2025-01-10 was purged from PostgreSQL by retention \(status deleted, 50 of 50 rows deleted/,
    );
    const [partition] = await exportDeps.catalog.listPartitions('r_reexport');
    expect(partition).toMatchObject({ runId: first.runId, rows: 50 });
  });

  it('holds a resumed day whose remaining rows changed while it was interrupted', async () => {
    const table = await createTable('r_resume_changed', [D1]);
    await exportTableDay(exportDeps, table, D1);
    const crash = deps(table, {
      afterBatch: () => {
        throw new Error('crash');
      },
    });
    await expect(purge(crash, { dryRun: false, batchRows: 10 })).rejects.toThrow(/crash/);
    await db.query(
      `UPDATE ${qualify(db.schema, 'r_resume_changed')} SET amount = amount + 1 WHERE id = (SELECT max(id) FROM ${qualify(db.schema, 'r_resume_changed')})`,
    );

    const report = await purge(deps(table), { dryRun: false, batchRows: 10 });

    expect(dayOf(report, D1)?.action).toBe('hold');
    expect(dayOf(report, D1)?.reason).toMatch(/^checksum mismatch: .*≠ hot rows 50:/);
    expect(await rowsOn('r_resume_changed', D1)).toBe(40);
  });

  it('alerts when rows written to the day during its purge made the deleted rows differ from the lake', async () => {
    const table = await createTable('r_racing', [D1]);
    await exportTableDay(exportDeps, table, D1);
    let inserted = false;
    const racing = deps(table, {
      afterBatch: async () => {
        if (inserted) return;
        inserted = true;
        await db.query(
          `INSERT INTO ${qualify(db.schema, 'r_racing')} VALUES (8001, '${D1} 12:00:00+00', 1, 'during purge')`,
        );
      },
    });

    const report = await purge(racing, { dryRun: false, batchRows: 20 });

    expect(dayOf(report, D1)).toMatchObject({ action: 'deleted', deletedRows: 51 });
    expect(dayOf(report, D1)?.reason).toMatch(
      /^the deleted rows \(51:\d+\) do not add up to the manifest \(50:\d+\)/,
    );
    expect((await readRetentionLog(db, 'r_racing')).get(D1)?.status).toBe('mismatch');
    expect(alerts.sent[0]?.message).toMatch(/r_racing 2025-01-10: the deleted rows/);
  });

  it('deletes a day of an event_type/dt table published as several partitions', async () => {
    const t = qualify(db.schema, 'r_events');
    await db.query(
      `CREATE TABLE ${t} (id int8 PRIMARY KEY, kind text NOT NULL, occurred_at timestamptz NOT NULL, payload jsonb)`,
    );
    await db.query(
      `INSERT INTO ${t} SELECT g, (ARRAY['Login', 'GameOpened', 'apiError'])[1 + g % 3],
              TIMESTAMPTZ '${D1} 00:00:00+00' + g * interval '5 minutes', jsonb_build_object('g', g)
         FROM generate_series(1, 90) g`,
    );
    const table: TableConfig = {
      ...tableNamed('r_events'),
      timestamp_column: 'occurred_at',
      partition_layout: 'event_type/dt',
      partition_column: 'kind',
    };
    const published = await exportTableDay(exportDeps, table, D1);
    expect(published.partitions).toBe(3);

    const report = await purge(deps(table), { dryRun: false });

    expect(dayOf(report, D1)).toMatchObject({ action: 'deleted', deletedRows: 90 });
    expect(dayOf(report, D1)?.reason).toBeUndefined();
  });

  it('dry run reports what would go and what is held, and deletes, logs and alerts nothing', async () => {
    const table = await createTable('r_dry', [D1, D2]);
    await exportTableDay(exportDeps, table, D1);

    const report = await purge(deps(table), { dryRun: true });

    expect(report.dryRun).toBe(true);
    expect(report.tables[0]?.days.map((d) => [d.day, d.action, d.deletedRows])).toEqual([
      [D1, 'delete', 0],
      [D2, 'hold', 0],
    ]);
    expect(dayOf(report, D2)?.reason).toMatch(/^no manifest/);
    expect(await rowsOn('r_dry', D1)).toBe(ROWS_PER_DAY);
    expect(await rowsOn('r_dry', D2)).toBe(ROWS_PER_DAY);
    expect((await readRetentionLog(db, 'r_dry')).size).toBe(0);
    expect(alerts.sent).toEqual([]);
  });

  it('defers the days it has no time left for (the Lambda deadline), deleting nothing', async () => {
    const table = await createTable('r_deadline', [D1]);
    await exportTableDay(exportDeps, table, D1);

    const report = await purge(deps(table), { dryRun: false, deadline: Date.now() - 1 });

    expect(dayOf(report, D1)).toMatchObject({ action: 'deferred', deletedRows: 0 });
    expect(await rowsOn('r_deadline', D1)).toBe(ROWS_PER_DAY);
    expect(alerts.sent).toEqual([]);
  });

  it('fails a configured table that PostgreSQL does not have, naming it', async () => {
    const purging = purge(deps(tableNamed('r_absent')), { dryRun: true });

    await expect(purging).rejects.toThrow(/^table '.*r_absent' does not exist in /);
  });

  it('holds a day while an export of it is publishing: nothing deleted, the export named', async () => {
    const table = await createTable('r_lease_export', [D1]);
    await exportTableDay(exportDeps, table, D1);
    const uploading = gate();
    const resume = gate();
    const exporting = exportTableDay(
      {
        ...exportDeps,
        processInfo: localProcess(),
        afterFileUpload: async () => {
          uploading.open();
          await resume.opened;
        },
      },
      table,
      D1,
    );
    await uploading.opened;

    const report = await purge(deps(table), { dryRun: false });
    resume.open();
    const published = await exporting;

    expect(dayOf(report, D1)).toMatchObject({ action: 'hold', deletedRows: 0 });
    const holder = `run ${published.runId}, ${localProcess().name}, since `;
    expect(dayOf(report, D1)?.reason).toMatch(
      new RegExp(
        `^an export of the day is running \\(${escaped(holder)}\\S+\\); nothing was deleted$`,
      ),
    );
    expect(await rowsOn('r_lease_export', D1)).toBe(ROWS_PER_DAY);
    // The next purge verifies the new version and deletes the day.
    const next = await purge(deps(table), { dryRun: false });
    expect(dayOf(next, D1)).toMatchObject({ action: 'deleted', deletedRows: ROWS_PER_DAY });
  });

  it('makes an export of a day being purged wait, then refuse the purged day, the lake day intact', async () => {
    const table = await createTable('r_lease_purge', [D1]);
    const first = await exportTableDay(exportDeps, table, D1);
    const deleting = gate();
    const resume = gate();
    const purging = purge(
      deps(table, {
        afterBatch: async () => {
          deleting.open();
          await resume.opened;
        },
      }),
      { dryRun: false, batchRows: 20 },
    );
    await deleting.opened;

    const exporting = exportTableDay(exportDeps, table, D1, { leaseWaitMs: 60_000 });
    let settled = false;
    const refused = expect(exporting.finally(() => (settled = true))).rejects.toThrow(
      PurgedDayError,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false); // it waits for the purge's lease
    resume.open();
    const report = await purging;
    await refused;

    expect(dayOf(report, D1)).toMatchObject({ action: 'deleted', deletedRows: ROWS_PER_DAY });
    const [partition] = await exportDeps.catalog.listPartitions('r_lease_purge');
    expect(partition).toMatchObject({ runId: first.runId, rows: ROWS_PER_DAY });
    const [read] = await readPublished(exportDeps, 'r_lease_purge', {
      select: 'count(DISTINCT id)::INTEGER AS n',
    });
    expect(read?.n).toBe(ROWS_PER_DAY);
  });

  it('fails an export at once, naming the purge, when it may not wait for the table-day', async () => {
    const table = await createTable('r_lease_fast', [D1]);
    await exportTableDay(exportDeps, table, D1);
    const deleting = gate();
    const resume = gate();
    const purging = purge(
      deps(table, {
        afterBatch: async () => {
          deleting.open();
          await resume.opened;
        },
      }),
      { dryRun: false, batchRows: 20 },
    );
    await deleting.opened;

    const exporting = exportTableDay(exportDeps, table, D1, { leaseWaitMs: 0 });

    await expect(exporting).rejects.toThrow(LeaseHeldError);
    await expect(exporting).rejects.toThrow(
      /^a retention purge of r_lease_fast 2025-01-10 — run purge-\S+, an unnamed process, since \S+ — holds the table-day until \S+; this export changed nothing\./,
    );
    resume.open();
    await purging;
  });

  it('keeps days younger than hot_retention_days', async () => {
    const table = await createTable('r_young', [RECENT]);
    await exportTableDay(exportDeps, table, RECENT);

    const report = await purge(deps(table), { dryRun: false });

    expect(report.tables[0]?.days).toEqual([]);
    expect(await rowsOn('r_young', RECENT)).toBe(ROWS_PER_DAY);
  });
  // Tampered evidence: a file corrupted in place, truncated, deleted or not listed. Both ways a
  // purge runs: without a Parquet reader (the Lambda: SHA-256 only) and with DuckDB (local).
  describe.each([
    ['without a Parquet reader (the Lambda)', 'l', false],
    ['with DuckDB reading the rows back (local)', 'd', true],
  ] as const)('tampered lake files, %s', (_runtime, suffix, withEncoder) => {
    const runtime = (): Partial<PurgeDeps> => (withEncoder ? { encoder } : {});

    it('holds a day whose Parquet file was overwritten in place (same size), deletes an intact day, alerts', async () => {
      const name = `r_corrupt_${suffix}`;
      const table = await createTable(name, [D1, D2]);
      await exportTableDay(exportDeps, table, D1);
      await exportTableDay(exportDeps, table, D2);
      const [file] = await filesOf(await versionOf(name, D1));
      await corruptInPlace(file!);

      const report = await purge(deps(table, runtime()), { dryRun: false });

      expect(dayOf(report, D1)).toMatchObject({ action: 'hold', hotRows: 50, deletedRows: 0 });
      expect(dayOf(report, D1)?.reason).toMatch(
        new RegExp(
          `^corrupt files: ${name}/year=2025/month=01/day=10/v=[^/]+/part-00000\\.parquet changed after it was published \\(sha256 [0-9a-f]{12}…, published [0-9a-f]{12}…\\)`,
        ),
      );
      expect(dayOf(report, D1)?.recovery).toBe(
        `thermocline backfill --from ${D1} --to ${D1} --table ${name}`,
      );
      expect(dayOf(report, D2)).toMatchObject({ action: 'deleted', deletedRows: 50 });
      expect(await rowsOn(name, D1)).toBe(ROWS_PER_DAY);
      expect(await rowsOn(name, D2)).toBe(0);
      expect(alerts.sent).toHaveLength(1);
      expect(alerts.sent[0]?.message).toMatch(
        new RegExp(`^${name} ${D1}: corrupt files: .*Recovery: thermocline backfill --from ${D1}`),
      );
    });

    it('holds a day whose Parquet file was truncated', async () => {
      const name = `r_truncated_${suffix}`;
      const table = await createTable(name, [D1]);
      await exportTableDay(exportDeps, table, D1);
      const [file] = await filesOf(await versionOf(name, D1));
      const path = exportDeps.store.locate(file!);
      const { bytes } = (await exportDeps.store.head(file!))!;
      await truncate(path, bytes - 100);

      const report = await purge(deps(table, runtime()), { dryRun: false });

      expect(dayOf(report, D1)).toMatchObject({ action: 'hold', deletedRows: 0 });
      expect(dayOf(report, D1)?.reason).toMatch(
        new RegExp(
          `^missing files: .*part-00000\\.parquet has ${bytes - 100} bytes, ${bytes} were published`,
        ),
      );
      expect(await rowsOn(name, D1)).toBe(ROWS_PER_DAY);
      expect(alerts.sent).toHaveLength(1);
    });

    it('holds a day whose Parquet file was deleted', async () => {
      const name = `r_deleted_${suffix}`;
      const table = await createTable(name, [D1]);
      await exportTableDay(exportDeps, table, D1);
      const [file] = await filesOf(await versionOf(name, D1));
      await exportDeps.store.deletePrefix(file!);

      const report = await purge(deps(table, runtime()), { dryRun: false });

      expect(dayOf(report, D1)?.reason).toMatch(/^missing files: .*part-00000\.parquet is missing/);
      expect(await rowsOn(name, D1)).toBe(ROWS_PER_DAY);
      expect(alerts.sent).toHaveLength(1);
    });

    it('holds a day whose version folder has a Parquet file its manifest does not list', async () => {
      const name = `r_extra_${suffix}`;
      const table = await createTable(name, [D1]);
      await exportTableDay(exportDeps, table, D1);
      const location = await versionOf(name, D1);
      const [file] = await filesOf(location);
      await exportDeps.store.putFile(
        `${location}part-00001.parquet`,
        exportDeps.store.locate(file!),
      );

      const report = await purge(deps(table, runtime()), { dryRun: false });

      expect(dayOf(report, D1)?.reason).toMatch(
        /^missing files: .*part-00001\.parquet is not in .*_manifest\.json \(readers would see its rows\)/,
      );
      expect(await rowsOn(name, D1)).toBe(ROWS_PER_DAY);
    });
  });

  it('holds a day published before content hashes when it cannot read the rows back, until a backfill publishes it again', async () => {
    const table = await createTable('r_legacy', [D1]);
    await exportTableDay(exportDeps, table, D1);
    await forgetHashes(await versionOf('r_legacy', D1));

    const held = await purge(deps(table), { dryRun: false });
    await exportTableDay(exportDeps, table, D1); // the recovery the hold names
    const after = await purge(deps(table), { dryRun: false });

    expect(dayOf(held, D1)).toMatchObject({ action: 'hold', deletedRows: 0 });
    expect(dayOf(held, D1)?.reason).toMatch(
      /^files not verifiable: 1 file\(s\) were published without a content hash .* no Parquet reader/,
    );
    expect(dayOf(held, D1)?.recovery).toBe(
      `thermocline backfill --from ${D1} --to ${D1} --table r_legacy`,
    );
    expect(dayOf(after, D1)).toMatchObject({ action: 'deleted', deletedRows: 50 });
  });

  it('deletes a day published before content hashes once DuckDB read its rows back and they match', async () => {
    const table = await createTable('r_legacy_ok', [D1]);
    await exportTableDay(exportDeps, table, D1);
    await forgetHashes(await versionOf('r_legacy_ok', D1));

    const report = await purge(deps(table, { encoder }), { dryRun: false });

    expect(dayOf(report, D1)).toMatchObject({ action: 'deleted', deletedRows: 50 });
  });

  it('holds a day published before content hashes whose file, read back, is corrupt', async () => {
    const table = await createTable('r_legacy_bad', [D1]);
    await exportTableDay(exportDeps, table, D1);
    const location = await versionOf('r_legacy_bad', D1);
    await forgetHashes(location);
    const [file] = await filesOf(location);
    await corruptInPlace(file!);

    const report = await purge(deps(table, { encoder }), { dryRun: false });

    expect(dayOf(report, D1)).toMatchObject({ action: 'hold', deletedRows: 0 });
    expect(dayOf(report, D1)?.reason).toMatch(
      /^corrupt files: the (Parquet files of r_legacy_bad\/.*\/ cannot be read: |files of r_legacy_bad\/.*\/ hold rows )/,
    );
    expect(await rowsOn('r_legacy_bad', D1)).toBe(ROWS_PER_DAY);
  });

  it('reads back the rows of an event_type/dt day, a NULL and an escaped partition value included', async () => {
    const t = qualify(db.schema, 'r_events_read');
    await db.query(
      `CREATE TABLE ${t} (id int8 PRIMARY KEY, kind text, occurred_at timestamptz NOT NULL, payload jsonb)`,
    );
    await db.query(
      `INSERT INTO ${t} SELECT g, (ARRAY['Login', 'Page View/2', NULL])[1 + g % 3],
              TIMESTAMPTZ '${D1} 00:00:00+00' + g * interval '5 minutes', jsonb_build_object('g', g)
         FROM generate_series(1, 60) g`,
    );
    const table: TableConfig = {
      ...tableNamed('r_events_read'),
      timestamp_column: 'occurred_at',
      partition_layout: 'event_type/dt',
      partition_column: 'kind',
    };
    const published = await exportTableDay(exportDeps, table, D1);
    for (const partition of await exportDeps.catalog.listPartitions('r_events_read')) {
      await forgetHashes(partition.location); // only the rows read back can clear the day
    }

    const report = await purge(deps(table, { encoder }), { dryRun: false });

    expect(published.partitions).toBe(3);
    expect(dayOf(report, D1)).toMatchObject({ action: 'deleted', deletedRows: 60 });
  });

  it('defers a day whose files it had no time left to read (the Lambda deadline), deleting nothing', async () => {
    const table = await createTable('r_slow_read', [D1]);
    await exportTableDay(exportDeps, table, D1);
    const store = exportDeps.store;
    const slow = new Proxy(store, {
      get(target, property) {
        if (property === 'sha256') {
          return async (key: string) => {
            await sleep(300);
            return target.sha256(key);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    }) as ObjectStore;
    // Two files in the version folder's manifest: the deadline passes while the first is read.
    const location = await versionOf('r_slow_read', D1);
    const manifestKey = `${location}_manifest.json`;
    const manifest = JSON.parse((await store.getText(manifestKey)) ?? '{}') as PartitionManifest;
    await store.putText(
      manifestKey,
      JSON.stringify({
        ...manifest,
        files: [...manifest.files, { ...manifest.files[0]!, rows: 0 }],
      }),
    );

    const report = await purge(deps(table, { store: slow }), {
      dryRun: false,
      deadline: Date.now() + 150,
    });

    expect(dayOf(report, D1)).toMatchObject({ action: 'deferred', deletedRows: 0 });
    expect(await rowsOn('r_slow_read', D1)).toBe(ROWS_PER_DAY);
  });
});
