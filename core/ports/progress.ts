/**
 * The progress port: long work (exports, syncs, purges, views) reports how far it is; the CLI
 * shows a bar or sparse lines (`cli/progress.ts`), anything else shows nothing.
 */

/** A progress display for long work. */
export interface Progress {
  update(done: number, label: string): void;
  /** The work grew (or shrank) while it ran: a new total. */
  setTotal(total: number): void;
  stop(): void;
}

/** Creates a progress display for `total` units of work; `quiet` shows nothing. */
export type ProgressFactory = (options: {
  total: number;
  unit: string;
  quiet: boolean;
}) => Progress;

/**
 * A display that shows nothing.
 * @example
 * const progress = silentProgress({ total: 10, unit: 'rows', quiet: false });
 * progress.update(5, 'events'); // prints nothing
 */
export const silentProgress: ProgressFactory = () => ({
  update: () => undefined,
  setTotal: () => undefined,
  stop: () => undefined,
});
