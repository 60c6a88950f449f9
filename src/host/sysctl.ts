// Sysctls of a network namespace. /proc/sys/net shows the namespace of the thread that opens it:
// reads and writes are file operations with the main thread inside the pod (netns-switch; 0.04 ms
// a write where `nsenter sysctl` took 1.8 ms, bench/native-addons.ts). Keys use `/` separators, so
// device names with dots (eth0.100) stay unambiguous.
import { readFileSync, writeFileSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { isLinuxInterfaceName } from '../api/linux-ifname.js';
import { netnsPath, parseNetnsRef } from './netns.js';
import { inNetnsIfAny } from './netns-switch.js';

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

/** The namespace's nsfs path; undefined for the caller's own. */
function nsPathOf(netns: string | undefined): string | undefined {
  return netns === undefined ? undefined : netnsPath(parseNetnsRef(netns));
}

/** Reads `keys` inside `netns`; a key that does not exist maps to undefined. */
export function readSysctls(
  netns: string | undefined,
  keys: readonly string[],
): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  if (keys.length === 0) return values;
  keys.forEach(assertSysctlKey);
  inNetnsIfAny(nsPathOf(netns), () => {
    for (const key of keys) values.set(key, readProcSys(key));
  });
  return values;
}

/** Writes `entries` inside `netns`; a failure names the key (SYSCTL_FAILED). */
export function writeSysctls(
  netns: string | undefined,
  entries: readonly { key: string; value: string }[],
): void {
  if (entries.length === 0) return;
  for (const e of entries) {
    assertSysctlKey(e.key);
    if (!/^[A-Za-z0-9 _.:-]*$/.test(e.value))
      throw new VirtnetError('INVALID_SYSCTL', `invalid value for ${e.key}`, { key: e.key });
  }
  inNetnsIfAny(nsPathOf(netns), () => {
    for (const e of entries) writeProcSys(netns, e.key, e.value);
  });
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
