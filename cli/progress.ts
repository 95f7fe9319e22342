import { SingleBar } from 'cli-progress';
import { silentProgress, type Progress } from '#ports/progress';

export type { Progress } from '#ports/progress';

/**
 * The CLI's progress display (the progress port): a bar on stderr when it is a terminal; when it
 * is not (CI logs, pipes), one line per label change; nothing at all when `quiet` (e.g. `--json` runs keep stderr for errors only).
 * @example
 * const progress = createProgress({ total: 1000, unit: 'rows', quiet: false });
 * progress.update(500, 'agent_tasks');
 * progress.stop();
 */
export function createProgress(options: { total: number; unit: string; quiet: boolean }): Progress {
  if (options.quiet) return silentProgress(options);
  if (!process.stderr.isTTY) {
    let last = '';
    return {
      update: (_done, label) => {
        if (label !== last) process.stderr.write(`  … ${label}\n`);
        last = label;
      },
      setTotal: () => undefined,
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    stream: process.stderr,
    format: `  {bar} {percentage}% | {value}/{total} ${options.unit} | {label}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(options.total, 0, { label: '' });
  return {
    update: (done, label) => bar.update(done, { label }),
    setTotal: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}
