import { existsSync, readFileSync } from 'node:fs';

/**
 * The PID a daemonising client (dhclient) writes once it has forked into the background. Its parent
 * exits before the child writes the file, so the file may appear a moment after the command returns;
 * reading it at once lost the race on a loaded machine and leaked the daemon.
 */
export async function daemonPid(pidFile: string, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) return pid;
    }
    if (Date.now() > deadline) throw new Error(`no PID in ${pidFile} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
