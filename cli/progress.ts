import { SingleBar } from 'cli-progress';
import { silentProgress, type Progress } from '#ports/progress';

export type { Progress } from '#ports/progress';

/**
 * Throughput and time left of `done` of `total` items after `elapsedMs`, for people:
 * `'12.5 table-days/s, ETA 8 s'`; `'…'` before anything is done.
 * @example
 * throughput(10, 30, 4000, 'rows'); // '2.5 rows/s, ETA 8 s'
 */
export function throughput(done: number, total: number, elapsedMs: number, unit: string): string {
  if (done <= 0 || elapsedMs <= 0) return `… ${unit}/s, ETA …`;
  const rate = done / (elapsedMs / 1000);
  const left = Math.max(0, total - done) / rate;
  const shown = rate >= 100 ? Math.round(rate).toString() : rate.toFixed(rate >= 10 ? 1 : 2);
  return `${shown} ${unit}/s, ETA ${formatSeconds(left)}`;
}

/**
 * Seconds as `8 s`, `2 min 5 s` or `1 h 3 min`.
 * @example
 * formatSeconds(125); // '2 min 5 s'
 */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * The CLI's progress display (the progress port): a bar on stderr when it is a terminal, with
 * throughput and the time left; when it is not (CI logs, pipes), one line per label change with
 * the same figures; nothing at all when `quiet` (e.g. `--json` runs keep stderr for errors only).
 * @example
 * const progress = createProgress({ total: 1000, unit: 'rows', quiet: false });
 * progress.update(500, 'agent_tasks');
 * progress.stop();
 */
export function createProgress(options: { total: number; unit: string; quiet: boolean }): Progress {
  if (options.quiet) return silentProgress(options);
  const started = performance.now();
  let total = options.total;
  const speed = (done: number): string =>
    throughput(done, total, performance.now() - started, options.unit);
  if (!process.stderr.isTTY) {
    let last = '';
    return {
      update: (done, label) => {
        if (label !== last)
          process.stderr.write(`  … ${label} (${done}/${total}, ${speed(done)})\n`);
        last = label;
      },
      setTotal: (next) => {
        total = next;
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    stream: process.stderr,
    format: `  {bar} {percentage}% | {value}/{total} ${options.unit} | {speed} | {label}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0, { label: '', speed: speed(0) });
  return {
    update: (done, label) => bar.update(done, { label, speed: speed(done) }),
    setTotal: (next) => {
      total = next;
      bar.setTotal(next);
    },
    stop: () => bar.stop(),
  };
}
