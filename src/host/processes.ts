// Processes as procfs shows them: a process's start time (to tell a pid from its reuse) and its
// command line (to tell virtnet's own children from strangers). Reads /proc only; kills nothing.
import { readFileSync, readdirSync } from 'node:fs';

/**
 * The start time field of /proc/<pid>/stat, or undefined when the process is gone — a zombie counts
 * as gone: it has exited, only its parent has not reaped it yet.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start after the last ')': state first.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** The NUL-separated command line of `pid`, or undefined when the process is gone. */
export function processCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Pids of the processes (other than this one) whose command line contains `text`. */
export function processesWithCmdlineContaining(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .map(Number)
    .filter((pid) => processCmdline(pid)?.includes(text));
}
