import { useEffect, useRef, useState } from 'preact/hooks';
import type { CoverageReport } from '../core/ports/insights';
import { Loaded, Table, useRoute } from './components';

/** Colours of the state codes (see STATE_CODES in core/ports/insights.ts). */
export const STATE_COLOURS: Record<string, string> = {
  E: '#2f9e44', // exported: hot + lake
  H: '#74c0fc', // hot only, not due yet
  P: '#868e96', // purged: lake only
  F: '#e03131', // failed
  L: '#f59f00', // late
  '.': '#f1f3f5', // nothing
};
const STATE_NAMES: Record<string, string> = {
  E: 'exported',
  H: 'hot only',
  P: 'purged (lake only)',
  F: 'failed',
  L: 'late',
  '.': 'no data',
};

const LABEL_WIDTH = 130;
const ROW_HEIGHT = 18;

/** Tables × days on one canvas: a cell per table-day, coloured by state. */
function Heatmap({ report }: { report: CoverageReport }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string>('');
  const days = report.days.length;
  const cell = Math.max(2, Math.min(14, Math.floor(1100 / Math.max(1, days))));
  const width = LABEL_WIDTH + days * cell;
  const height = 20 + report.tables.length * ROW_HEIGHT;
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    const scale = window.devicePixelRatio || 1;
    element.width = width * scale;
    element.height = height * scale;
    context.scale(scale, scale);
    context.clearRect(0, 0, width, height);
    context.font = '11px system-ui, sans-serif';
    context.fillStyle = '#495057';
    // Month ticks.
    report.days.forEach((day, i) => {
      if (day.endsWith('-01') || i === 0)
        context.fillText(day.slice(0, 7), LABEL_WIDTH + i * cell, 12);
    });
    report.tables.forEach((table, row) => {
      const y = 20 + row * ROW_HEIGHT;
      context.fillStyle = '#212529';
      context.fillText(table.table.slice(0, 20), 0, y + 12);
      for (let i = 0; i < table.states.length; i++) {
        context.fillStyle = STATE_COLOURS[table.states[i] ?? '.'] ?? '#fff';
        context.fillRect(LABEL_WIDTH + i * cell, y + 2, Math.max(1, cell - 1), ROW_HEIGHT - 4);
      }
    });
    element.dataset.drawnMs = String(Math.round(performance.now()));
    element.dataset.drawn = String(report.tables.length * days);
  }, [report, cell, width, height]);
  const onMove = (event: MouseEvent) => {
    const rect = (event.target as HTMLCanvasElement).getBoundingClientRect();
    const x = event.clientX - rect.left - LABEL_WIDTH;
    const row = Math.floor((event.clientY - rect.top - 20) / ROW_HEIGHT);
    const table = report.tables[row];
    const i = Math.floor(x / cell);
    const day = report.days[i];
    if (!table || !day || x < 0) return setHover('');
    setHover(`${table.table} ${day}: ${STATE_NAMES[table.states[i] ?? '.'] ?? '?'}`);
  };
  return (
    <div>
      <div class="legend">
        {Object.entries(STATE_NAMES).map(([code, name]) => (
          <span key={code}>
            <i style={{ background: STATE_COLOURS[code] }} /> {name}
          </span>
        ))}
        <span class="muted" data-testid="heatmap-hover">
          {hover}
        </span>
      </div>
      <div class="scroll">
        <canvas
          ref={canvas}
          data-testid="heatmap"
          style={{ width: `${width}px`, height: `${height}px` }}
          onMouseMove={onMove}
        />
      </div>
    </div>
  );
}

/** Coverage: the heatmap and the lag per table. */
export function CoverageView() {
  // `#coverage?days=730` opens another window (links, the bench).
  const [days, setDays] = useState(
    () => Number(new URLSearchParams(location.hash.split('?')[1] ?? '').get('days')) || 120,
  );
  const state = useRoute<CoverageReport>(`/coverage?days=${days}`);
  return (
    <section data-testid="view-coverage">
      <h2>
        Coverage{' '}
        <select
          value={days}
          onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}
        >
          {[30, 120, 365, 730].map((d) => (
            <option key={d} value={d}>
              last {d} days
            </option>
          ))}
        </select>
      </h2>
      <Loaded state={state}>
        {(report) => (
          <>
            <p data-testid="coverage-summary">
              {report.tables.length} tables × {report.days.length} days; {report.failed} failed,{' '}
              {report.late} late table-days.
            </p>
            <Heatmap report={report} />
            <h3>Lag per table</h3>
            <Table
              testid="lag-table"
              head={[
                'table',
                'last exported day',
                'last closed day',
                'lag (days)',
                'exported',
                'hot only',
                'purged',
                'failed',
                'late',
                'last published',
              ]}
              rows={report.tables.map((t) => [
                t.table,
                t.lastExportedDay ?? '—',
                t.lastClosedDay,
                <span class={t.lagDays > 0 ? 'bad' : 'good'}>{t.lagDays}</span>,
                t.counts.exported,
                t.counts.hot,
                t.counts.purged,
                t.counts.failed,
                t.counts.late,
                t.lastPublishedAt ?? '—',
              ])}
            />
          </>
        )}
      </Loaded>
    </section>
  );
}
