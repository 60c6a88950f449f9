// Entering a network namespace from Node's main thread, through native/netns-switch.c. Three uses:
// a pod's sysctls become file writes under /proc/sys/net (which shows the namespace of the thread
// that opens it); a program started while inside starts in the pod (both posix_spawn and libuv's
// fork run on this thread), saving the nsenter exec in front of it; and the DHCP server's sockets,
// opened while inside, serve the pod from the VM's own virtnet process (without it, each VM would
// need a second process started in the pod). A sysctl write costs 0.04 ms this way against 1.8 ms
// through `nsenter sysctl` (bench/native-addons.ts).
import { statSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { loadNativeAddon } from '../exec/native-addon.js';

interface Addon {
  enter(path: string): number;
  leave(): number;
}

const ERRNO: Record<number, string> = { 2: 'ENOENT', 1: 'EPERM', 13: 'EACCES', 22: 'EINVAL' };

/**
 * Runs `fn` with the main thread inside the namespace at `nsPath` and returns its result. `fn` must
 * be synchronous: anything it leaves for later runs back in virtnet's own namespace. Throws
 * NETNS_NOT_FOUND (no such file) or NETNS_ENTER_FAILED.
 */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const native = loadNativeAddon<Addon>('netns-switch');
  const rc = native.enter(nsPath);
  if (rc !== 0) {
    const errno = ERRNO[-rc] ?? `errno ${-rc}`;
    const code = errno === 'ENOENT' ? 'NETNS_NOT_FOUND' : 'NETNS_ENTER_FAILED';
    throw new VirtnetError(code, `cannot enter network namespace ${nsPath}: ${errno}`, {
      netns: nsPath,
      errno,
    });
  }
  try {
    return fn();
  } finally {
    native.leave();
  }
}

/** inNetns when there is a namespace to enter; `fn` right here (the caller's own namespace) when not. */
export function inNetnsIfAny<T>(nsPath: string | undefined, fn: () => T): T {
  return nsPath === undefined ? fn() : inNetns(nsPath, fn);
}

/**
 * True when the calling thread is already in the namespace at `nsPath` (same nsfs inode): a process
 * started inside a pod uses its sockets there without entering it, which takes CAP_SYS_ADMIN.
 */
export function isCurrentNetns(nsPath: string): boolean {
  try {
    const target = statSync(nsPath);
    const here = statSync('/proc/thread-self/ns/net');
    return target.dev === here.dev && target.ino === here.ino;
  } catch {
    return false;
  }
}
