import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type {
  DailyCostReport,
  RunsReport,
  TableDetail,
  TableListing,
} from '../core/ports/insights';
import { api, ApiError, bytes, duration, usd } from './api';
import { ErrorBox, Loaded, Table, useRoute } from './components';

/** Runs: ETL, sync and retention executions. */
export function RunsView() {
  const state = useRoute<RunsReport>('/runs?limit=200');
  return (
    <section data-testid="view-runs">
      <h2>Runs</h2>
      <Loaded state={state}>
        {(report) =>
          report.runs.length === 0 ? (
            <p>No runs recorded yet: run thermocline etl run, sync or purge.</p>
          ) : (
            <>
              {report.damaged > 0 && (
                <p class="bad">{report.damaged} damaged line(s) of the run history were skipped.</p>
              )}
              <Table
                testid="runs-table"
                head={[
                  'started',
                  'kind',
                  'status',
                  'duration',
                  'rows',
                  'size',
                  'done',
                  'failed',
                  'errors',
                ]}
                rows={report.runs.map((r) => [
                  r.startedAt.replace('T', ' ').slice(0, 19),
                  r.kind,
                  <span class={r.status === 'succeeded' ? 'good' : 'bad'}>{r.status}</span>,
                  duration(r.durationMs),
                  r.rows.toLocaleString(),
                  r.bytes > 0 ? bytes(r.bytes) : '—',
                  r.done.length,
                  r.failed.length,
                  [r.error, ...r.failed.map((f) => `${f.table} ${f.day}: ${f.error}`)]
                    .filter(Boolean)
                    .join('; ')
                    .slice(0, 300),
                ])}
              />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

/** A uPlot chart of bytes scanned (bars) and dollars (line) by day. */
function CostChart({ report }: { report: DailyCostReport }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    // Every day of the window, so the axis is the window's even with one day of queries.
    const days: string[] = [];
    for (
      let t = Date.parse(`${report.from}T00:00:00Z`);
      t <= Date.parse(`${report.to}T00:00:00Z`);
      t += 86_400_000
    ) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    const sum = (day: string, key: 'bytesScanned' | 'costUsd') =>
      report.rows.filter((r) => r.day === day).reduce((n, r) => n + r[key], 0);
    const plot = new uPlot(
      {
        width: 900,
        height: 240,
        scales: { x: { time: true }, bytes: {}, usd: {} },
        series: [
          {},
          {
            label: 'bytes scanned',
            scale: 'bytes',
            stroke: '#1c7ed6',
            fill: 'rgba(28,126,214,0.25)',
            paths: uPlot.paths.bars?.({ size: [0.6, 40] }),
            value: (_u, v) => (v == null ? '—' : bytes(v)),
          },
          {
            label: 'cost',
            scale: 'usd',
            stroke: '#e8590c',
            value: (_u, v) => (v == null ? '—' : usd(v)),
          },
        ],
        axes: [
          {},
          { scale: 'bytes', values: (_u, vals) => vals.map((v) => bytes(v)) },
          {
            scale: 'usd',
            side: 1,
            values: (_u, vals) => vals.map((v) => usd(v)),
            grid: { show: false },
          },
        ],
      },
      [
        days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
        days.map((d) => sum(d, 'bytesScanned')),
        days.map((d) => sum(d, 'costUsd')),
      ],
      element.current,
    );
    return () => plot.destroy();
  }, [report]);
  return <div ref={element} data-testid="cost-chart" />;
}

/** Cost: the ledger by day and caller. */
export function CostView() {
  const state = useRoute<DailyCostReport>('/costs/daily?days=30');
  return (
    <section data-testid="view-cost">
      <h2>Cost (last 30 days)</h2>
      <Loaded state={state}>
        {(report) => (
          <>
            <p data-testid="cost-totals">
              {report.totals.queries} queries, {bytes(report.totals.bytesScanned)} scanned,{' '}
              {usd(report.totals.costUsd)}, {report.totals.cacheHits} cache hits ({report.from} –{' '}
              {report.to}).
            </p>
            {report.rows.length > 0 && <CostChart report={report} />}
            <Table
              testid="cost-table"
              head={['day', 'caller', 'queries', 'scanned', 'cost', 'cache hits']}
              rows={[...report.rows]
                .reverse()
                .map((r) => [
                  r.day,
                  r.caller,
                  r.queries,
                  bytes(r.bytesScanned),
                  usd(r.costUsd),
                  r.cacheHits,
                ])}
            />
          </>
        )}
      </Loaded>
    </section>
  );
}

type Mode = 'lake' | 'hot' | 'plan';
interface Estimate {
  bytes: number;
  costUsd: number;
  limitGb: number;
  withinLimit: boolean;
  tables: { table: string; partitions: number; partitionsTotal: number; bytes: number }[];
  warnings: string[];
}
interface Page {
  step: string;
  columns: { name: string }[];
  rows: Record<string, unknown>[];
  totalRows: number;
}
interface Status {
  id: string;
  status: string;
  bytesScanned: number;
  costUsd: number;
  result?: Page;
  error?: { code: string; message: string };
  steps: { id: string; status: string; rows?: number; error?: { code: string; message: string } }[];
}

const EXAMPLES: Record<Mode, string> = {
  lake: "SELECT event_type, count(*) AS n FROM events WHERE event_type = 'Login' AND dt >= '2025-01-01' GROUP BY 1",
  hot: 'SELECT member_code, total_deposit FROM members ORDER BY total_deposit DESC LIMIT 10',
  plan: JSON.stringify(
    { steps: [{ id: 's1', type: 'AuroraQuery', sql: 'SELECT count(*) AS n FROM members' }] },
    null,
    2,
  ),
};

function planOf(mode: Mode, text: string): unknown {
  if (mode === 'plan') return JSON.parse(text);
  return { steps: [{ id: 'q', type: mode === 'lake' ? 'AthenaQuery' : 'AuroraQuery', sql: text }] };
}

/** Query: lake SQL, hot SQL or a plan; the estimate first, then the rows. */
export function QueryView() {
  const [mode, setMode] = useState<Mode>('lake');
  const [text, setText] = useState(EXAMPLES.lake);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const { busy, error, guard } = useGuard();

  const estimateNow = () =>
    guard(async () => {
      setEstimate(null);
      const body = mode === 'lake' ? { sql: text } : { plan: planOf(mode, text) };
      setEstimate((await api<Estimate>('/estimate', body)).data);
    });
  const run = () =>
    guard(async () => {
      setStatus(null);
      setStatus(await runPlan(planOf(mode, text)));
    });
  const pick = (m: Mode) => {
    setMode(m);
    setText(EXAMPLES[m]);
    setEstimate(null);
  };

  return (
    <section data-testid="view-query">
      <h2>Query</h2>
      <ModePicker mode={mode} onPick={pick} />
      <textarea
        data-testid="query-text"
        rows={8}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <div class="row">
        <button data-testid="estimate" disabled={busy} onClick={estimateNow}>
          Estimate
        </button>
        <button data-testid="run" disabled={busy} onClick={run}>
          Run
        </button>
        {busy && <span class="muted">working…</span>}
      </div>
      {estimate && <EstimateResult estimate={estimate} />}
      {error && <ErrorBox error={error} />}
      {status && <PlanResult status={status} />}
    </section>
  );
}

/**
 * Runs one API call at a time: `busy` while it runs, and its error (an {@link ApiError}, or a
 * `bad_input` one for anything else, e.g. a plan that is not JSON) until the next call.
 */
function useGuard() {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const guard = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(
        e instanceof ApiError ? e : new ApiError(0, 'bad_input', (e as Error).message, null),
      );
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, guard };
}

/** Submits a plan and polls it until it ended. */
async function runPlan(plan: unknown): Promise<Status> {
  let answer = (await api<Status>('/plans?wait_seconds=20', plan)).data;
  while (answer.status === 'running') {
    await new Promise((r) => setTimeout(r, 500));
    answer = (await api<Status>(`/plans/${encodeURIComponent(answer.id)}`)).data;
  }
  return answer;
}

/** The three modes as radio buttons. */
function ModePicker({ mode, onPick }: { mode: Mode; onPick: (mode: Mode) => void }) {
  return (
    <div class="row">
      {(['lake', 'hot', 'plan'] as const).map((m) => (
        <label key={m}>
          <input
            type="radio"
            name="mode"
            value={m}
            checked={mode === m}
            onChange={() => onPick(m)}
          />{' '}
          {m === 'lake' ? 'lake SQL (Athena)' : m === 'hot' ? 'hot SQL (Postgres)' : 'plan JSON'}
        </label>
      ))}
    </div>
  );
}

/** The scan estimate: bytes, cost, the limit, partitions per table and warnings. */
function EstimateResult({ estimate }: { estimate: Estimate }) {
  return (
    <p data-testid="estimate-result" class={estimate.withinLimit ? '' : 'bad'}>
      Estimate: ~{bytes(estimate.bytes)}, {usd(estimate.costUsd)}; limit {estimate.limitGb} GB (
      {estimate.withinLimit ? 'within it' : 'over it'}).{' '}
      {estimate.tables
        .map((t) => `${t.table}: ${t.partitions} of ${t.partitionsTotal} partitions`)
        .join('; ')}
      {estimate.warnings.map((w) => ` ${w}`)}
    </p>
  );
}

/** A plan that ended: its scan and cost, its error, and its result's first rows. */
function PlanResult({ status }: { status: Status }) {
  return (
    <div data-testid="query-status">
      <p>
        Plan {status.id} {status.status}: {bytes(status.bytesScanned)} scanned,{' '}
        {usd(status.costUsd)}.
      </p>
      {status.error && (
        <div class="error" data-testid="api-error">
          <strong>{status.error.code}</strong>: {status.error.message}
        </div>
      )}
      {status.result && <ResultRows result={status.result} />}
    </div>
  );
}

/** A result page as a table, with how many rows there are in all. */
function ResultRows({ result }: { result: Page }) {
  return (
    <>
      <p>
        {result.totalRows} rows from {result.step}
        {result.rows.length < result.totalRows ? ` (first ${result.rows.length})` : ''}:
      </p>
      <Table
        testid="result-table"
        head={result.columns.map((c) => c.name)}
        rows={result.rows.map((row) => result.columns.map((c) => cellText(row[c.name])))}
      />
    </>
  );
}

/** A result value as a cell shows it: `∅` for null, JSON for objects. */
function cellText(v: unknown): string {
  return v === null || v === undefined
    ? '∅'
    : typeof v === 'object'
      ? JSON.stringify(v)
      : String(v);
}

/** One table: columns with both types, partitions with sizes. */
function TableDetailView({ name }: { name: string }) {
  const state = useRoute<TableDetail>(`/tables/${encodeURIComponent(name)}`);
  return (
    <Loaded state={state}>
      {(t) => (
        <div data-testid="table-detail">
          <h3>{t.name}</h3>
          <p class="muted">{t.location ?? 'not in the lake yet'}</p>
          <Table
            testid="columns-table"
            head={['column', 'Postgres type', 'lake type']}
            rows={t.columnTypes.map((c) => [c.name, c.postgresType ?? '—', c.lakeType ?? '—'])}
          />
          <h4>Partitions ({t.partitionList.length})</h4>
          <Table
            testid="partitions-table"
            head={[
              ...(t.partitionKeys.length > 0 ? t.partitionKeys : ['partition']),
              'rows',
              'files',
              'size',
              'published',
            ]}
            rows={t.partitionList
              .slice(0, 500)
              .map((p) => [
                ...p.values,
                p.rows.toLocaleString(),
                p.files,
                bytes(p.bytes),
                p.publishedAt.replace('T', ' ').slice(0, 19),
              ])}
          />
        </div>
      )}
    </Loaded>
  );
}

/** Catalog: the tables, and one in full. */
export function CatalogView() {
  const state = useRoute<{ tables: TableListing[] }>('/tables');
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <section data-testid="view-catalog">
      <h2>Catalog</h2>
      <Loaded state={state}>
        {({ tables }) => (
          <div class="split">
            <Table
              testid="tables-table"
              head={['table', 'kind', 'partitions', 'rows', 'size', 'last published']}
              rows={tables.map((t) => [
                <a
                  href="#catalog"
                  data-testid={`table-${t.name}`}
                  onClick={() => setSelected(t.name)}
                >
                  {t.name}
                </a>,
                t.kind,
                t.partitions,
                t.rows.toLocaleString(),
                bytes(t.bytes),
                t.lastPublishedAt?.replace('T', ' ').slice(0, 19) ?? '—',
              ])}
            />
            {selected && <TableDetailView name={selected} />}
          </div>
        )}
      </Loaded>
    </section>
  );
}
