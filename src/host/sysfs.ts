// Writes to sysfs attributes (driver bind/unbind, driver_override, sriov_numvfs). Global, not per
// namespace. Paths are confined to /sys so a plan cannot write elsewhere.
import { readFileSync, writeFileSync } from 'node:fs';
import { normalize } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';

function assertSysfsPath(path: string): string {
  const p = normalize(path);
  if (!p.startsWith('/sys/') || p !== path)
    throw new VirtnetError('INVALID_SYSFS_PATH', `refusing sysfs path ${JSON.stringify(path)}`, { path });
  return p;
}

/** Writes `value` to a sysfs attribute; failures become SYSFS_WRITE_FAILED naming the path. */
export function writeSysfsAttribute(path: string, value: string): void {
  try {
    writeFileSync(assertSysfsPath(path), value);
  } catch (err) {
    if (err instanceof VirtnetError) throw err;
    throw new VirtnetError(
      'SYSFS_WRITE_FAILED',
      `writing ${JSON.stringify(value)} to ${path} failed: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

/** Reads a sysfs attribute (trimmed), or undefined when it does not exist. */
export function readSysfsAttribute(path: string): string | undefined {
  try {
    return readFileSync(assertSysfsPath(path), 'utf8').trim();
  } catch (err) {
    if (err instanceof VirtnetError) throw err;
    return undefined;
  }
}
