// busybox udhcpc as the tests and the DHCP bench run it: one DORA in the foreground, reported through
// a hook script, in a guest namespace. The one place that knows its command line.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram, type RunResult } from '../../src/exec/run-program.js';

/** Writes an executable `/bin/sh` script with `body` as `dir/name`, for a DHCP client to call; its path. */
export function hookScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

export interface UdhcpcRun {
  /** The script udhcpc calls on every event (`-s`). */
  hook: string;
  /** DISCOVERs sent, one second apart, before it gives up (`-t`). */
  tries: number;
  /** Options it asks the server for (`-O` each), in this order. */
  request: readonly string[];
  extraArgs?: readonly string[];
}

/**
 * One DORA (`-f -q -n`): exit code 0 with a lease, 1 without (not an error); what the hook printed
 * is in stdout.
 */
export function runUdhcpc(netns: string, ifname: string, run: UdhcpcRun): Promise<RunResult> {
  return runProgram(
    [
      'ip',
      'netns',
      'exec',
      netns,
      'udhcpc',
      '-i',
      ifname,
      '-f',
      '-q',
      '-n',
      '-t',
      String(run.tries),
      '-T',
      '1',
      '-s',
      run.hook,
      ...run.request.flatMap((option) => ['-O', option]),
      ...(run.extraArgs ?? []),
    ],
    { timeoutMs: 20_000, okExitCodes: [0, 1] },
  );
}
