// The per-VM lock: whoever holds `<stateDir>/locks/<vm>` owns VM <vm> — its run record, state
// dir, bindings and pod — for as long as it holds it: `virtnet run` for the whole run (setup, life,
// teardown), `virtnet gc` and `virtnet down` while they collect. It is a flock(2) lock, so the
// kernel releases it when the holder dies, even by kill -9: no stale lock, no pid to trust.
// Node has no flock(), so flock(1) takes it on a duplicate of our descriptor: the lock belongs to the
// open file description we keep open, not to the short-lived flock process. The descriptor is
// close-on-exec, so QEMU and other children never hold it past us.
// The file is removed at release while still locked; a locker that opened it just before checks
// afterwards that it locked the file still at the path, else tries again.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startProgram } from '../exec/run-program.js';
import { vmStateDir } from '../apply/vm-record.js';

/** A held VM lock. */
export interface VmLock {
  /** Removes the lock file and releases the lock; idempotent. */
  release(): void;
}

const FLOCK_TIMEOUT_MS = 10_000;
const ATTEMPTS = 5;

/** The lock file of VM `vm` (outside the VM's state dir, which teardown removes). */
export function vmLockPath(stateDir: string, vm: string): string {
  vmStateDir(stateDir, vm);
  // Named exactly like the VM (at most 253 bytes, a valid file name; a suffix could overflow NAME_MAX).
  return join(stateDir, 'locks', vm);
}

/** flock(1) on `fd` without waiting: true when locked, false when another holder has it. */
function flockNonBlocking(fd: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = startProgram(['flock', '--exclusive', '--nonblock', '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), FLOCK_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(true);
      else if (code === 1) resolve(false);
      else reject(new Error(`flock: ${stderr.trim() || `exit status ${String(code)}`}`));
    });
  });
}

/** VMs with a lock file (held, or left by a holder that was killed before it could remove it). */
export function listLockedVms(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'locks'));
  } catch {
    return [];
  }
}

/** Takes the lock of VM `vm`, or returns undefined at once when someone else holds it. */
export async function tryLockVm(stateDir: string, vm: string): Promise<VmLock | undefined> {
  const path = vmLockPath(stateDir, vm);
  mkdirSync(join(stateDir, 'locks'), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const fd = openSync(path, 'a', 0o600);
    let locked = false;
    try {
      locked = await flockNonBlocking(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (!locked) {
      closeSync(fd);
      return undefined;
    }
    let current: number | undefined;
    try {
      current = statSync(path).ino;
    } catch {
      current = undefined;
    }
    if (current === fstatSync(fd).ino) {
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          try {
            unlinkSync(path);
          } finally {
            closeSync(fd);
          }
        },
      };
    }
    // The holder we waited on removed the file: our lock is on a file nobody else will see.
    closeSync(fd);
  }
  return undefined;
}
