// Sysctls of a network namespace. /proc/sys/net shows the namespace of the thread that opens it: with
// the netns-switch addon, reads and writes are file operations with the main thread inside the pod
// (microseconds); without it, one `nsenter --net=<nsfs path> sysctl` spawn for any number of keys
// (cheaper than `ip netns exec`, which also unshares a mount namespace and remounts /sys). Keys use
// `/` separators, so device names with dots (eth0.100) stay unambiguous.
import { readFileSync, writeFileSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';
import { isLinuxInterfaceName } from '../api/linux-ifname.js';
import { netnsPath, parseNetnsRef } from './netns.js';
import { inNetnsIfAny, netnsSwitchAvailable } from './netns-switch.js';

const SYSCTL_TIMEOUT_MS = 10_000;

/** Throws INVALID_SYSCTL unless `key` is a net/... path whose segments are safe (device names allowed). */
export function assertSysctlKey(key: string): string {
  const parts = key.split('/');
  const ok =
    parts.length >= 2 &&
    parts[0] === 'net' &&
    parts.every(
      (p) => p !== '' && p !== '.' && p !== '..' && (isLinuxInterfaceName(p) || /^[a-z0-9_]+$/.test(p)),
    );
  if (!ok)
    throw new VirtnetError(
      'INVALID_SYSCTL',
      `invalid sysctl key ${JSON.stringify(key)} (net/... with / separators)`,
      { key },
    );
  return key;
}

function nsenterArgv(netns: string): string[] {
  return ['nsenter', `--net=${netnsPath(parseNetnsRef(netns))}`, '--'];
}

/** The namespace's nsfs path; undefined for the caller's own. */
function nsPathOf(netns: string | undefined): string | undefined {
  return netns === undefined ? undefined : netnsPath(parseNetnsRef(netns));
}

/** Reads `keys` inside `netns`; a key that does not exist maps to undefined. */
export async function readSysctls(
  netns: string | undefined,
  keys: readonly string[],
): Promise<Map<string, string | undefined>> {
  const values = new Map<string, string | undefined>();
  if (keys.length === 0) return values;
  keys.forEach(assertSysctlKey);
  if (netns === undefined || netnsSwitchAvailable()) {
    inNetnsIfAny(nsPathOf(netns), () => {
      for (const key of keys) values.set(key, readProcSys(key));
    });
    return values;
  }
  // -e: ignore unknown keys. sysctl prints keys with `.` separators and a device's own dots as `/`
  // (net.ipv4.conf.eth0/100.arp_ignore): swapping the two characters gives our form back.
  const { stdout } = await runProgram([...nsenterArgv(netns), 'sysctl', '-e', ...keys], {
    timeoutMs: SYSCTL_TIMEOUT_MS,
  });
  const printed = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) = ?(.*)$/.exec(line);
    if (m)
      printed.set(
        m[1]!.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')),
        m[2]!,
      );
  }
  for (const key of keys) values.set(key, printed.get(key));
  return values;
}

/** Writes `entries` inside `netns` in one spawn; a failure names the key (SYSCTL_FAILED). */
export async function writeSysctls(
  netns: string | undefined,
  entries: readonly { key: string; value: string }[],
): Promise<void> {
  if (entries.length === 0) return;
  for (const e of entries) {
    assertSysctlKey(e.key);
    if (!/^[A-Za-z0-9 _.:-]*$/.test(e.value))
      throw new VirtnetError('INVALID_SYSCTL', `invalid value for ${e.key}`, { key: e.key });
  }
  if (netns === undefined || netnsSwitchAvailable()) {
    inNetnsIfAny(nsPathOf(netns), () => {
      for (const e of entries) writeProcSys(netns, e.key, e.value);
    });
    return;
  }
  try {
    await runProgram(
      [...nsenterArgv(netns), 'sysctl', '-q', '-w', ...entries.map((e) => `${e.key}=${e.value}`)],
      { timeoutMs: SYSCTL_TIMEOUT_MS },
    );
  } catch (err) {
    const stderr =
      err instanceof VirtnetError && typeof err.detail.stderr === 'string' ? err.detail.stderr : '';
    const key = entries.find((e) => stderr.includes(`/proc/sys/${e.key}`))?.key;
    throw new VirtnetError(
      'SYSCTL_FAILED',
      `setting sysctl${key ? ` ${key}` : 's'} in ${netns ?? 'the current namespace'} failed: ${stderr.trim()}`,
      { netns, key },
      { cause: err },
    );
  }
}

/** The value of one key as `sysctl` prints it (tabs between fields become spaces), or undefined. */
function readProcSys(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key}`, 'utf8').trim().replace(/\t/g, ' ');
  } catch {
    return undefined;
  }
}

function writeProcSys(netns: string | undefined, key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key}`, value);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new VirtnetError(
      'SYSCTL_FAILED',
      `setting sysctl ${key} in ${netns ?? 'the current namespace'} failed: ${why}`,
      { netns, key },
      { cause: err },
    );
  }
}
