// Test support for the Kubernetes lab (scripts/k8s-lab.sh): bring it up (or use the one already up),
// run kubectl against it, poll objects, and record what the lab made on the host so a test can check
// that `down` removed it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const LAB_DIR = '/var/lib/virtnet-lab';
const LAB_SCRIPT = join(REPO, 'scripts', 'k8s-lab.sh');
/** The lab's names on the host (scripts/k8s-lab/cluster.sh). */
export const LAB_BRIDGE = 'vnlab0';
export const LAB_NFT_TABLE = 'virtnet_lab';
export const KUBELET_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
];

export interface Lab {
  kubeconfig: string;
  containerdAddress: string;
  /** True when this run started the lab (and so stops it). */
  startedHere: boolean;
}

function run(argv: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    env: opts.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** True while the lab's API server runs. */
export function labRunning(): boolean {
  const pidfile = join(LAB_DIR, 'pids', 'kube-apiserver.pid');
  if (!existsSync(pidfile)) return false;
  return existsSync(`/proc/${readFileSync(pidfile, 'utf8').trim()}`);
}

// Several lab test files run at once (scripts/test.sh): one `up` at a time (a lock), the run that
// brought the lab up is remembered (by the test runner's PID, every file's parent), and each file
// registers as a user until its after(), so the file that takes the lab down waits for the others.
const UP_LOCK = '/run/virtnet-lab-test-up.lock';
const USERS_DIR = '/run/virtnet-lab-test-users';
const RUN_MARKER = join(LAB_DIR, 'started-by-test-run');

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid: number) => pid > 0 && existsSync(`/proc/${pid}`);

function withUpLock<T>(fn: () => T): T {
  for (let i = 0; ; i++) {
    try {
      mkdirSync(UP_LOCK);
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(UP_LOCK, 'pid'), 'utf8'));
      } catch {
        // being created or removed
      }
      if (holder && !alive(holder)) rmSync(UP_LOCK, { recursive: true, force: true });
      if (i > 3600) throw new Error(`${UP_LOCK} held for an hour`);
      sleepSync(1000);
    }
  }
  writeFileSync(join(UP_LOCK, 'pid'), String(process.pid));
  try {
    return fn();
  } finally {
    rmSync(UP_LOCK, { recursive: true, force: true });
  }
}

/** Marks this test file as using the lab until labRelease(). */
export function registerLabUser(): void {
  mkdirSync(USERS_DIR, { recursive: true });
  writeFileSync(join(USERS_DIR, String(process.pid)), '');
}

export function labRelease(): void {
  rmSync(join(USERS_DIR, String(process.pid)), { force: true });
}

/** Other test files (live processes) still using the lab. */
export function otherLabUsers(): number[] {
  if (!existsSync(USERS_DIR)) return [];
  return readdirSync(USERS_DIR)
    .map(Number)
    .filter((pid) => pid !== process.pid && alive(pid));
}

/** True when this test run's file list includes the lab test (which takes the lab down at its end). */
export function labTestInThisRun(): boolean {
  try {
    return readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8')
      .split('\0')
      .some((a) => a.endsWith('kube/lab.test.ts'));
  } catch {
    return false;
  }
}

/**
 * `k8s-lab.sh up` (idempotent); its last two lines name the kubeconfig and containerd's socket.
 * `startedHere` is true when this test run brought the lab up (in this file or another).
 */
export function labUp(): Lab {
  // A user from the start, while waiting for the lock too: the file that takes the lab down at its
  // end must wait for this one even if it has not got the lab yet.
  registerLabUser();
  return withUpLock(() => {
    const running = labRunning();
    const lab = labUpLocked(running);
    if (!running) writeFileSync(RUN_MARKER, String(process.ppid));
    registerLabUser();
    let marker = '';
    try {
      marker = readFileSync(RUN_MARKER, 'utf8').trim();
    } catch {
      // an older lab, up before any test run
    }
    return { ...lab, startedHere: !running || marker === String(process.ppid) };
  });
}

function labUpLocked(wasRunning: boolean): Lab {
  const startedHere = !wasRunning;
  const r = run(['bash', LAB_SCRIPT, 'up'], { timeoutMs: 60 * 60_000 });
  if (r.code !== 0 && startedHere) {
    // What a failed first `up` started must not outlive the run (nobody else would take it down).
    const down = run(['bash', LAB_SCRIPT, 'down'], { timeoutMs: 5 * 60_000 });
    assert.fail(
      `k8s-lab.sh up failed (down after it: exit ${down.code} ${down.stderr.slice(-1000)}):\n${r.stderr.slice(-4000)}`,
    );
  }
  assert.equal(r.code, 0, `k8s-lab.sh up failed:\n${r.stderr.slice(-4000)}`);
  const lines = r.stdout.trim().split('\n');
  const [kc, ctr] = lines.slice(-2);
  assert.match(kc ?? '', /^KUBECONFIG=\//);
  assert.match(ctr ?? '', /^CONTAINERD_ADDRESS=\//);
  return {
    kubeconfig: kc!.slice('KUBECONFIG='.length),
    containerdAddress: ctr!.slice('CONTAINERD_ADDRESS='.length),
    startedHere,
  };
}

export function labDown(): void {
  const r = run(['bash', LAB_SCRIPT, 'down'], { timeoutMs: 5 * 60_000 });
  assert.equal(r.code, 0, `k8s-lab.sh down failed:\n${r.stderr}`);
}

/**
 * A Pod bound to `node`, a node that does not exist: it stays Pending, no kubelet runs or wires it, and
 * deleting it needs `--force` (nothing confirms a graceful delete).
 */
export function createPendingPod(
  lab: Lab,
  namespace: string,
  name: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
  node = 'virtnet-no-such-node',
): void {
  kubectl(lab, ['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, ...meta },
      spec: {
        nodeName: node,
        containers: [{ name: 'c', image: 'localhost/none:none', imagePullPolicy: 'Never' }],
      },
    }),
  });
}

/** kubectl against the lab; `check` asserts success. */
export function kubectl(lab: Lab, args: string[], opts: { input?: string; check?: boolean } = {}) {
  // kubectl bounds its own waits (`wait --timeout`, a delete waiting for the object to go); this only
  // catches a kubectl that hangs, above any of them on a busy node.
  const r = run(['kubectl', '--kubeconfig', lab.kubeconfig, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeoutMs: 240_000,
  });
  if (opts.check !== false) assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
  return r;
}

export function getJson<T>(lab: Lab, args: string[]): T | undefined {
  const r = kubectl(lab, ['get', ...args, '-o', 'json'], { check: false });
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    assert.fail(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** Polls `probe` every 200 ms until it returns a value other than undefined. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = probe();
    if (last !== undefined && last !== null) return last;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the lab made on the host while up, read from its own records (so other users' objects are never counted). */
export interface LabFootprint {
  /** The daemons `up` started (etcd, the Kubernetes components, containerd). */
  daemonPids: number[];
  /** containerd's shims. */
  shimPids: number[];
  netns: string[];
  hostVeths: string[];
}

/** The network namespaces of the lab's pod sandboxes, from containerd's own container records. */
function labNetns(containerdAddress: string): string[] {
  const ctr = (args: string[]) =>
    run(['ctr', '--address', containerdAddress, '--namespace', 'k8s.io', ...args]);
  const out = new Set<string>();
  for (const id of ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
    const info = JSON.parse(ctr(['containers', 'info', id]).stdout || '{}') as {
      Spec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
    };
    const path = info.Spec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
    if (path?.startsWith('/var/run/netns/')) out.add(path);
  }
  return [...out];
}

export function labFootprint(lab: Lab): LabFootprint {
  const daemonPids: number[] = [];
  const shimPids: number[] = [];
  const pidDir = join(LAB_DIR, 'pids');
  for (const f of existsSync(pidDir) ? readdirSync(pidDir) : [])
    daemonPids.push(Number(readFileSync(join(pidDir, f), 'utf8').trim()));
  const shimDir = join(LAB_DIR, 'containerd', 'state', 'io.containerd.runtime.v2.task', 'k8s.io');
  for (const id of existsSync(shimDir) ? readdirSync(shimDir) : []) {
    const f = join(shimDir, id, 'shim.pid');
    if (existsSync(f)) shimPids.push(Number(readFileSync(f, 'utf8').trim()));
  }
  const netns = labNetns(lab.containerdAddress);
  const links = JSON.parse(run(['ip', '-j', 'link', 'show', 'master', LAB_BRIDGE]).stdout || '[]') as {
    ifname: string;
  }[];
  return { daemonPids: daemonPids.sort(), shimPids, netns, hostVeths: links.map((l) => l.ifname) };
}

/** Host state the lab must leave as it found it. */
export interface HostState {
  sysctls: Record<string, string>;
  /** Whether each directory the lab's daemons create outside its own exists. */
  paths: Record<string, boolean>;
}

const DAEMON_PATHS = ['/var/log/pods', '/var/log/containers', '/var/lib/kubelet', '/run/containerd'];

export function hostState(): HostState {
  return {
    sysctls: Object.fromEntries(
      KUBELET_SYSCTLS.map((s) => [s, readFileSync(`/proc/sys/${s.replaceAll('.', '/')}`, 'utf8').trim()]),
    ),
    paths: Object.fromEntries(DAEMON_PATHS.map((p) => [p, existsSync(p)])),
  };
}

export function linkExists(name: string): boolean {
  return run(['ip', 'link', 'show', name]).code === 0;
}

export function nftTableExists(table: string): boolean {
  return run(['nft', 'list', 'table', 'ip', table]).code === 0;
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}
