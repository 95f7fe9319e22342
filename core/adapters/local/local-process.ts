import { hostname } from 'node:os';
import type { ProcessInfo } from '#ports/process';

/**
 * Whether a process with this pid runs on this machine (`kill(pid, 0)`; a process of another
 * user counts as running). Pid reuse can only make an ended process look alive — the safe side.
 * @example
 * isProcessAlive(process.pid); // true
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid a scratch or temporary name starts with after `prefix` (`<prefix><pid>-…`), or
 * undefined for a name without one (written before names carried it).
 * @example
 * ownerPid('thermocline-encode-4242-a1b2c3', 'thermocline-encode-'); // 4242
 */
export function ownerPid(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const match = /^(\d+)-/.exec(name.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

const NAME = /^pid (\d+) on (.+)$/;

/**
 * This process as a lease holder: `pid <pid> on <host>`; another holder has ended when it names
 * this host and its pid no longer runs.
 * @example
 * const me = localProcess(); // { name: 'pid 4242 on build-7', … }
 * me.hasEnded('pid 999999 on build-7'); // true when no such process runs
 */
export function localProcess(): ProcessInfo {
  const host = hostname();
  return {
    name: `pid ${process.pid} on ${host}`,
    hasEnded: (name) => {
      const match = NAME.exec(name);
      return !!match && match[2] === host && !isProcessAlive(Number(match[1]));
    },
  };
}
