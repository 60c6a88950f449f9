// Test sandboxes: every test that touches the kernel gets a unique prefix for its namespaces, links
// and state dirs, and a cleanup that runs even when the test fails. Only what the sandbox created is
// removed; processes are killed by PID only.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createNetns, deleteNetns, listNetns } from '../../src/host/netns.js';

// `ip netns exec NS prog` bind-mounts /etc/netns/NS/* over /etc/* in a private mount namespace. Giving
// every test namespace its own resolv.conf keeps DHCP clients' scripts (dhclient-script, dhcpcd hooks)
// from rewriting the host's /etc/resolv.conf — which once broke name resolution for the whole machine.
const ETC_NETNS = '/etc/netns';

function privateEtc(name: string): void {
  mkdirSync(join(ETC_NETNS, name), { recursive: true });
  // Starts as a copy, so the namespace resolves (and discovery reads DNS) as it would from the host.
  let hostResolv = '';
  try {
    hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* no host resolv.conf */
  }
  writeFileSync(join(ETC_NETNS, name, 'resolv.conf'), hostResolv);
}

function removePrivateEtc(name: string): void {
  rmSync(join(ETC_NETNS, name), { recursive: true, force: true });
}

/** True when running as root (the kernel tests need it). */
export const isRoot = process.getuid?.() === 0;

/** A short unique prefix, e.g. `vt3fa9c-`: ≤ 8 bytes so derived interface names stay within IFNAMSIZ. */
export function uniquePrefix(): string {
  return `vt${randomBytes(3).toString('hex')}-`;
}

/** Per-test resources with guaranteed cleanup. */
export interface Sandbox {
  prefix: string;
  /** A fresh temporary directory (removed at cleanup), e.g. for a state dir. */
  dir: string;
  /** Creates namespace `${prefix}${suffix}` with lo up; deleted at cleanup. */
  netns(suffix: string): Promise<string>;
  /** Registers extra cleanup (run in reverse order). */
  defer(fn: () => unknown): void;
  /** A PID to kill at cleanup (SIGKILL), for processes the test started. */
  trackPid(pid: number | undefined): void;
}

/** Creates a sandbox whose cleanup runs when the test (or suite) `t` ends. */
export function sandbox(t: Pick<TestContext, 'after'>): Sandbox {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cleanups: (() => unknown)[] = [];
  const pids: number[] = [];
  const created: string[] = [];
  t.after(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup failed: ${String(err)}`);
      }
    }
    // Anything else named with our prefix (pods created by virtnet inside the test) goes too.
    for (const name of listNetns().filter((n) => n.startsWith(prefix))) {
      await deleteNetns(name).catch(() => undefined);
    }
    for (const name of created) removePrivateEtc(name);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    prefix,
    dir,
    async netns(suffix) {
      const name = `${prefix}${suffix}`;
      await createNetns(name);
      created.push(name);
      privateEtc(name);
      cleanups.push(() => deleteNetns(name));
      return name;
    },
    defer(fn) {
      cleanups.push(fn);
    },
    trackPid(pid) {
      if (pid !== undefined) pids.push(pid);
    },
  };
}

/** Skip reason when not root, or undefined; use as `test('x', { skip: needsRoot() }, ...)`. */
export function needsRoot(): string | undefined {
  return isRoot ? undefined : 'needs root: creates network namespaces';
}
