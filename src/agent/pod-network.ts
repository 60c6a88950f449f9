// One launcher pod's network, as the node agent sets it up and takes it down. Setup: the pod's sandbox
// from the container runtime (network namespace, pause PID), the VMI written for the launcher
// (vmi.json), the network phase (plan, apply, record) in the pod's namespace with the pod's own DNS
// and the interface names its network-status reports, then network-ready.json — or, when the phase
// fails (it has rolled back), network-failed.json with the reason. Teardown: every VM recorded in the
// pod's dir, then the dir itself. Both are safe to repeat: a restarted agent resumes from the files.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { validateVmDocument, type ClusterConfig, type VmSpec } from '../api/index.js';
import { readJson, readNetworkRecord, writeJsonAtomic } from '../apply/vm-record.js';
import { isNamespaceFile } from '../host/netns.js';
import { teardown } from '../apply/executor.js';
import { NETWORK_STATUS_ANNOTATION } from '../cni/multus-annotation.js';
import type { NetworkStatusEntry } from '../cni/network-status.js';
import type { SandboxNetwork } from '../cri/cri-client.js';
import { isVirtnetError, VirtnetError } from '../errors/virtnet-error.js';
import { parseNetworkStatus } from '../host/sriov-device-info.js';
import type { VmiObject } from '../kube/launcher-pod.js';
import { VMI_KIND } from '../kube/vmi-crd.js';
import { runNetworkPhase } from '../launcher/network-phase.js';
import {
  NETWORK_FAILED_FILE,
  NETWORK_READY_FILE,
  VMI_FILE,
  type NetworkFailed,
  type NetworkReady,
} from '../state/launcher-files.js';
import { stateLayout } from '../state/state-dir.js';

/** Where one pod's setup stands, as its files say. */
export type PodNetworkState = 'none' | 'ready' | 'failed';

export function podNetworkState(dir: string): PodNetworkState {
  if (existsSync(join(dir, NETWORK_READY_FILE))) return 'ready';
  if (existsSync(join(dir, NETWORK_FAILED_FILE))) return 'failed';
  return 'none';
}

/**
 * The runtime's namespace path as this process can open it: as is when its mount is visible here,
 * else inside the runtime's own mount namespace, reached through the root of the sandbox's shim (the
 * pause process's parent; the agent runs in the host's PID namespace), else through the host's init.
 * A node whose / is not a shared mount propagates no namespace mount made after the agent's container
 * started, so the first often fails in a container.
 */
export function reachableNetnsPath(path: string, pausePid?: number): string | undefined {
  if (isNamespaceFile(path)) return path;
  const shim = pausePid !== undefined ? parentPid(pausePid) : undefined;
  for (const root of [...(shim !== undefined ? [`/proc/${shim}/root`] : []), '/proc/1/root']) {
    const viaRoot = pathUnderRoot(root, path);
    if (viaRoot !== undefined && isNamespaceFile(viaRoot)) return viaRoot;
  }
  return undefined;
}

function parentPid(pid: number): number | undefined {
  try {
    const m = /^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m && Number(m[1]) > 1 ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `path` as seen from the root `root` (e.g. /proc/1/root), with its symlinks resolved inside that root:
 * the kernel resolves an absolute symlink met under /proc/PID/root (/var/run → /run) against the
 * caller's own root instead.
 */
export function pathUnderRoot(root: string, path: string): string | undefined {
  const todo = path.split('/').filter(Boolean);
  let resolved = '';
  for (let hops = 0; todo.length > 0;) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved = resolved.slice(0, resolved.lastIndexOf('/'));
      continue;
    }
    const next = `${resolved}/${part}`;
    let target: string | undefined;
    try {
      if (lstatSync(`${root}${next}`).isSymbolicLink()) target = readlinkSync(`${root}${next}`);
    } catch {
      return undefined;
    }
    if (target === undefined) {
      resolved = next;
      continue;
    }
    if (++hops > 40) return undefined;
    todo.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) resolved = '';
  }
  return `${root}${resolved}`;
}

export function readNetworkReady(dir: string): NetworkReady | undefined {
  return readJson<NetworkReady>(join(dir, NETWORK_READY_FILE));
}

/** The pod's network-status annotation, when a meta-plugin wrote one. */
function networkStatusOf(pod: V1Pod): NetworkStatusEntry[] | undefined {
  const text = pod.metadata?.annotations?.[NETWORK_STATUS_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    // Names, interfaces, IPs and MACs are all the planner reads of it.
    return parseNetworkStatus(text).map((e) => ({
      name: e.name,
      ...(e.interface !== undefined ? { interface: e.interface } : {}),
      ...(e.ips !== undefined ? { ips: e.ips } : {}),
      ...(e.mac !== undefined ? { mac: e.mac } : {}),
    }));
  } catch {
    return undefined;
  }
}

/** The VMI's spec as the launcher and the planner read it; throws SPEC_INVALID naming the field. */
export function vmSpecOf(vmi: VmiObject, cluster: ClusterConfig): VmSpec {
  const validation = validateVmDocument(
    { apiVersion: vmi.apiVersion, kind: VMI_KIND, metadata: vmi.metadata, spec: vmi.spec },
    cluster,
  );
  if (validation.spec) return validation.spec;
  const first = validation.errors[0];
  throw new VirtnetError(
    'SPEC_INVALID',
    validation.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'invalid VMI',
    first ? { field: first.field } : {},
  );
}

export interface PodNetworkSetup {
  pod: V1Pod;
  vmi: VmiObject;
  sandbox: SandboxNetwork;
  /** The sandbox's namespace as this process opens it (reachableNetnsPath). */
  netns: string;
  dir: string;
  cluster: ClusterConfig;
}

/**
 * Sets up the pod's network and writes the hand-off files. Returns the state reached: `ready`, or
 * `failed` (network-failed.json written, nothing left applied).
 */
export async function setUpPodNetwork(s: PodNetworkSetup): Promise<'ready' | 'failed'> {
  mkdirSync(s.dir, { recursive: true, mode: 0o700 });
  writeJsonAtomic(join(s.dir, VMI_FILE), {
    apiVersion: s.vmi.apiVersion,
    kind: s.vmi.kind ?? VMI_KIND,
    metadata: s.vmi.metadata,
    spec: s.vmi.spec,
  });
  try {
    const spec = vmSpecOf(s.vmi, s.cluster);
    const networkStatus = networkStatusOf(s.pod);
    await runNetworkPhase({
      specs: [spec],
      cluster: s.cluster,
      netns: s.netns,
      stateDir: s.dir,
      // The pod's resolver, as its containers see it: the pause container's root holds it.
      discover: { resolvConf: `/proc/${s.sandbox.pid}/root/etc/resolv.conf` },
      // The launcher runs as root in its container (with no capability but NET_BIND_SERVICE).
      tapOwner: { uid: 0, gid: 0 },
      ...(networkStatus ? { networkStatus } : {}),
    });
    const ready: NetworkReady = {
      vm: spec.name,
      netns: s.netns,
      at: new Date().toISOString(),
    };
    writeJsonAtomic(join(s.dir, NETWORK_READY_FILE), ready);
    return 'ready';
  } catch (err) {
    const failed: NetworkFailed = {
      reason: isVirtnetError(err) ? err.code : 'NetworkSetupFailed',
      message: err instanceof Error ? err.message : String(err),
    };
    writeJsonAtomic(join(s.dir, NETWORK_FAILED_FILE), failed);
    return 'failed';
  }
}

/** Tears down every VM recorded in the pod's dir (best effort when its namespace is gone), then removes the dir. */
export async function tearDownPodNetwork(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const vmsDir = stateLayout(dir).vms;
  const vms = existsSync(vmsDir) ? readdirSync(vmsDir) : [];
  for (const vm of vms) {
    try {
      await teardown(dir, vm);
    } catch (err) {
      // A namespace that is no longer one took every device with it; anything else is retried.
      const netns = readNetworkRecord(join(vmsDir, vm))?.plan.netns;
      if (netns === undefined || isNamespaceFile(netns)) throw err;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return vms;
}
