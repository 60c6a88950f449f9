// Embedded pods: what kubelet + Multus/Genie do for a pod, on one machine without Kubernetes. A pod is
// a named network namespace (= the pod name) plus its CNI attachments: the default network on eth0,
// then each secondary network; teardown runs DEL for all of them in reverse and removes the namespace.
// Creation is all or nothing; the state written before each step makes deletion exact after a crash.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { isVirtnetError, VirtnetError } from '../errors/virtnet-error.js';
import { runIpBatch } from '../host/ip.js';
import { addNetns, deleteNetns, netnsExists, netnsPath, setLoopbackUp } from '../host/netns.js';
import { faultPoint } from '../state/fault-point.js';
import { stateLayout } from '../state/state-dir.js';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORK_STATUS_ANNOTATION,
  NETWORKS_ANNOTATION,
} from './multus-annotation.js';
import { GENIE_ANNOTATION } from './genie-annotation.js';
import { NetworkCatalog } from './network-catalog.js';
import { networkStatusEntry, type NetworkStatusEntry } from './network-status.js';
import type { PluginExecRecord } from './plugin-exec.js';
import { planPodAttachments, type PlannedAttachment } from './pod-networks.js';
import {
  listPodNames,
  readAttachments,
  readPodRecord,
  removeAttachment,
  removePodDir,
  writeAttachment,
  writePodRecord,
  type PodAttachment,
  type PodRecord,
} from './pod-store.js';
import { removeCache } from './result-cache.js';
import {
  addNetworkList,
  delNetworkList,
  undoOptions,
  type CniRuntimeOptions,
  type RuntimeConf,
} from './runtime.js';
import { encodeResult, parseResult, type CniResult } from './result.js';

export type { PodAttachment } from './pod-store.js';

/** A pod as callers see it. */
export interface PodState extends PodRecord {
  netnsPath: string;
  attachments: PodAttachment[];
  /** NPWG network-status, in attachment order. */
  networkStatus: NetworkStatusEntry[];
}

/** How plugins run for pod operations. */
export interface PodRuntimeOptions {
  cniPath?: string[];
  pluginTimeoutMs?: number;
  /** Cancels pod creation: the running plugin is killed and everything created is undone. */
  signal?: AbortSignal;
  observer?: (record: PluginExecRecord) => void;
}

/** Options of createPod. */
export interface CreatePodOptions extends PodRuntimeOptions {
  name: string;
  stateDir: string;
  /** Kubernetes namespace of the pod (for NAD lookups and CNI_ARGS); `default`. */
  namespace?: string;
  cniConfDir?: string;
  nadFiles?: string[];
  /** Multus `k8s.v1.cni.cncf.io/networks`. */
  networks?: string;
  /** Multus `v1.multus-cni.io/default-network`. */
  defaultNetwork?: string;
  /** Genie `cni`. */
  genie?: string;
  /** Who creates the pod (a `virtnet run`'s id), recorded so only that owner's teardown removes it. */
  owner?: string;
}

// A pod name is a Kubernetes object name used as a DNS label: it is also the netns file name.
const POD_NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Throws POD_INVALID_NAME unless `name` is a DNS label of at most 63 bytes. */
export function assertPodName(name: string, field = 'name'): void {
  if (!POD_NAME_RE.test(name)) {
    throw new VirtnetError(
      'POD_INVALID_NAME',
      `invalid pod name ${JSON.stringify(name)}: must be a DNS label (lower-case letters, digits and "-", at most 63 bytes)`,
      { field },
    );
  }
}

// Operations on one pod are serialised within the process (the proxy serves requests concurrently).
const podLocks = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier operation on pod `name` in this process finished. */
export function withPodLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const prev = podLocks.get(name) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const settled = next.catch(() => undefined);
  podLocks.set(name, settled);
  void settled.then(() => {
    if (podLocks.get(name) === settled) podLocks.delete(name);
  });
  return next;
}

function runtimeOptions(stateDir: string, opts: PodRuntimeOptions): CniRuntimeOptions {
  const out: CniRuntimeOptions = { cacheDir: stateLayout(stateDir).cniResults };
  if (opts.cniPath) out.cniPath = opts.cniPath;
  if (opts.pluginTimeoutMs !== undefined) out.pluginTimeoutMs = opts.pluginTimeoutMs;
  if (opts.observer) out.observer = opts.observer;
  if (opts.signal) out.signal = opts.signal;
  return out;
}

/** The runtime configuration of attachment `a` of pod `rec` (CNI_ARGS as Multus passes them). */
export function attachmentRuntime(
  rec: PodRecord,
  a: Pick<PodAttachment, 'ifname' | 'cniArgs' | 'capabilityArgs'>,
): RuntimeConf {
  return {
    containerId: rec.containerId,
    netns: netnsPath({ name: rec.netns }),
    ifname: a.ifname,
    args: [
      ['IgnoreUnknown', 'true'],
      ['K8S_POD_NAMESPACE', rec.namespace],
      ['K8S_POD_NAME', rec.name],
      ['K8S_POD_INFRA_CONTAINER_ID', rec.containerId],
      ...a.cniArgs,
    ],
    capabilityArgs: a.capabilityArgs,
  };
}

function decode(a: PodAttachment): CniResult | undefined {
  if (!a.result) return undefined;
  const parsed = parseResult(a.result);
  return parsed.ok ? parsed.result : undefined;
}

/** The network-status of a pod's attachments. */
export function podNetworkStatus(attachments: readonly PodAttachment[]): NetworkStatusEntry[] {
  // A secondary network asking for the default route takes the default flag from eth0 (Multus).
  const routeOverride = attachments.some((a) => a.state === 'ready' && a.defaultRoute !== undefined);
  return attachments
    .filter((a) => a.state === 'ready')
    .map((a) =>
      networkStatusEntry(
        a.name,
        a.ifname,
        decode(a),
        routeOverride ? a.defaultRoute !== undefined : a.default,
      ),
    );
}

function toState(rec: PodRecord, attachments: PodAttachment[]): PodState {
  return {
    ...rec,
    netnsPath: netnsPath({ name: rec.netns }),
    attachments,
    networkStatus: podNetworkStatus(attachments),
  };
}

/** The pod, or undefined when it does not exist. */
export function readPod(name: string, stateDir: string): PodState | undefined {
  assertPodName(name);
  const rec = readPodRecord(stateDir, name);
  return rec ? toState(rec, readAttachments(stateDir, name)) : undefined;
}

/** Every pod with state, by name. */
export function listPods(stateDir: string): PodState[] {
  const out: PodState[] = [];
  for (const name of listPodNames(stateDir)) {
    const rec = readPodRecord(stateDir, name);
    if (rec) out.push(toState(rec, readAttachments(stateDir, name)));
  }
  return out;
}

/**
 * Runs ADD for one planned attachment of a pod and records it. On failure the runtime has already
 * undone the plugins; the record is removed and the typed error rethrown.
 */
export async function attachNetwork(
  stateDir: string,
  rec: PodRecord,
  planned: PlannedAttachment,
  seq: number,
  opts: PodRuntimeOptions,
): Promise<PodAttachment> {
  const a: PodAttachment = { seq, ...planned, state: 'adding' };
  writeAttachment(stateDir, rec.name, a);
  try {
    const result = await addNetworkList(a.list, attachmentRuntime(rec, a), runtimeOptions(stateDir, opts));
    const ready: PodAttachment = { ...a, state: 'ready', result: encodeResult(result, a.list.cniVersion) };
    writeAttachment(stateDir, rec.name, ready);
    return ready;
  } catch (err) {
    removeAttachment(stateDir, rec.name, a);
    throw err;
  }
}

/** Runs DEL for one attachment and forgets it; throws the plugin's error and keeps the record on failure. */
export async function detachNetwork(
  stateDir: string,
  rec: PodRecord,
  a: PodAttachment,
  opts: PodRuntimeOptions,
): Promise<void> {
  await delNetworkList(a.list, attachmentRuntime(rec, a), runtimeOptions(stateDir, opts));
  removeAttachment(stateDir, rec.name, a);
}

/**
 * Creates pod `opts.name`: its namespace with lo up, the default network on eth0, then each secondary
 * network. Every input error is found before anything is created; any later failure undoes all.
 */
export async function createPod(opts: CreatePodOptions): Promise<PodState> {
  assertPodName(opts.name);
  const namespace = opts.namespace ?? 'default';
  const catalogOpts: ConstructorParameters<typeof NetworkCatalog>[0] = { stateDir: opts.stateDir };
  if (opts.cniConfDir !== undefined) catalogOpts.cniConfDir = opts.cniConfDir;
  if (opts.nadFiles !== undefined) catalogOpts.nadFiles = opts.nadFiles;
  const catalog = new NetworkCatalog(catalogOpts);
  const req: Parameters<typeof planPodAttachments>[0] = { podNamespace: namespace };
  if (opts.networks !== undefined) req.networks = opts.networks;
  if (opts.defaultNetwork !== undefined) req.defaultNetwork = opts.defaultNetwork;
  if (opts.genie !== undefined) req.genie = opts.genie;
  const plan = planPodAttachments(req, catalog);

  return withPodLock(opts.name, async () => {
    if (readPodRecord(opts.stateDir, opts.name) || netnsExists({ name: opts.name })) {
      throw new VirtnetError('POD_EXISTS', `pod ${opts.name} already exists`, { field: 'name' });
    }
    const annotations: Record<string, string> = {};
    if (opts.networks !== undefined) annotations[NETWORKS_ANNOTATION] = opts.networks;
    if (opts.defaultNetwork !== undefined) annotations[DEFAULT_NETWORK_ANNOTATION] = opts.defaultNetwork;
    if (opts.genie !== undefined) annotations[GENIE_ANNOTATION] = opts.genie;
    const rec: PodRecord = {
      name: opts.name,
      namespace,
      containerId: randomBytes(32).toString('hex'),
      netns: opts.name,
      status: 'creating',
      createdAt: new Date().toISOString(),
      annotations,
    };
    if (opts.owner !== undefined) rec.owner = opts.owner;
    if (opts.cniPath) rec.cniPath = opts.cniPath;
    if (opts.cniConfDir !== undefined) rec.cniConfDir = resolve(opts.cniConfDir);
    if (opts.nadFiles && opts.nadFiles.length > 0) rec.nadFiles = opts.nadFiles.map((f) => resolve(f));
    writePodRecord(opts.stateDir, rec);
    const done: PodAttachment[] = [];
    let loopback: Promise<unknown> | undefined;
    let nsCreated = false;
    try {
      throwIfCancelled(opts);
      await addNetns(opts.name);
      nsCreated = true;
      faultPoint('pod.netns');
      for (const [i, planned] of plan.entries()) {
        throwIfCancelled(opts);
        const attaching = attachNetwork(opts.stateDir, rec, planned, i + 1, opts);
        if (i === 0) {
          // lo comes up while the first plugin runs (started after it, so its spawn does not delay
          // the plugin): one spawn less on the critical path of every pod.
          loopback = setLoopbackUp(opts.name);
          loopback.catch(() => undefined);
        }
        done.push(await attaching);
      }
      await applyDefaultRoutes(rec.netns, done);
      await (loopback ?? setLoopbackUp(opts.name));
    } catch (err) {
      await loopback?.catch(() => undefined);
      // Only a namespace this call created is removed (another one of that name is not ours). A DEL
      // that fails here keeps its attachment, in a pod marked `deleting`, for `virtnet gc` to retry.
      await removePod(
        opts.stateDir,
        rec,
        done,
        { ...undoOptions(opts), onDelFailure: 'keep-attachments' },
        nsCreated,
      ).catch((undoErr: unknown) => {
        if (isVirtnetError(err))
          err.detail.rollbackError = undoErr instanceof Error ? undoErr.message : String(undoErr);
      });
      throw err;
    }
    const ready: PodRecord = { ...rec, status: 'ready' };
    ready.annotations[NETWORK_STATUS_ANNOTATION] = JSON.stringify(podNetworkStatus(done));
    writePodRecord(opts.stateDir, ready);
    return toState(ready, done);
  });
}

/**
 * Multus `default-route`: the pod's default routes go through the requesting interface instead of
 * wherever the plugins put them (existing default routes of that family are flushed first). `netns`
 * is a name or a path.
 */
export async function applyDefaultRoutes(
  netns: string,
  attachments: readonly Pick<PodAttachment, 'ifname' | 'defaultRoute'>[],
): Promise<void> {
  const lines: string[] = [];
  for (const a of attachments) {
    for (const gw of a.defaultRoute ?? []) {
      lines.push(`route flush exact ${gw.includes(':') ? '::/0' : '0.0.0.0/0'}`);
      lines.push(`route replace default via ${gw} dev ${a.ifname}`);
    }
  }
  if (lines.length > 0) await runIpBatch(netns, lines);
}

/** Throws POD_CREATE_CANCELLED once the caller cancelled. */
function throwIfCancelled(opts: PodRuntimeOptions): void {
  if (opts.signal?.aborted)
    throw new VirtnetError('POD_CREATE_CANCELLED', 'pod creation was cancelled', { field: 'name' });
}

/**
 * What deletion does when a DEL fails: `keep-pod` keeps the pod as it is (namespace included) for
 * a retry; `keep-attachments` removes the namespace but keeps the failed attachments, their cached
 * results and the pod record (status `deleting`) so `virtnet gc` or `pod delete` can retry the DEL;
 * `forget` removes everything anyway, cached results included (a last resort: what the plugin
 * held, an IP address say, may stay allocated). In every case the failure is thrown.
 */
export type DelFailurePolicy = 'keep-pod' | 'keep-attachments' | 'forget';

/** Options of deletePod. */
export interface DeletePodOptions extends PodRuntimeOptions {
  /** Same as `onDelFailure: 'forget'`. */
  force?: boolean;
  onDelFailure?: DelFailurePolicy;
  /** Delete the pod only if `owner` created it: another's pod is left alone. */
  owner?: string;
}

/**
 * Deletes pod `name`: DEL for every attachment (proxy-added ones included) in reverse order, then the
 * namespace and the state. Idempotent; works from whatever state a crash left. A failed DEL is
 * thrown as POD_DELETE_FAILED naming the network and plugin; what stays is `onDelFailure`'s choice.
 */
export async function deletePod(name: string, stateDir: string, opts: DeletePodOptions = {}): Promise<void> {
  assertPodName(name);
  await withPodLock(name, async () => {
    const rec = readPodRecord(stateDir, name);
    if (!rec || (opts.owner !== undefined && rec.owner !== opts.owner)) return;
    await removePod(stateDir, rec, readAttachments(stateDir, name), opts, true);
  });
}

/** DEL of `attachments` in reverse, then (with `netnsOwned`) the namespace and the pod state. */
async function removePod(
  stateDir: string,
  rec: PodRecord,
  attachments: readonly PodAttachment[],
  opts: DeletePodOptions,
  netnsOwned: boolean,
): Promise<void> {
  const policy: DelFailurePolicy = opts.force ? 'forget' : (opts.onDelFailure ?? 'keep-pod');
  if (rec.status !== 'deleting') writePodRecord(stateDir, { ...rec, status: 'deleting' });
  const runOpts: PodRuntimeOptions = rec.cniPath && !opts.cniPath ? { ...opts, cniPath: rec.cniPath } : opts;
  const failed: { a: PodAttachment; err: unknown }[] = [];
  for (const a of [...attachments].reverse()) {
    try {
      await detachNetwork(stateDir, rec, a, runOpts);
    } catch (err) {
      failed.push({ a, err });
    }
  }
  if (netnsOwned && (failed.length === 0 || policy !== 'keep-pod')) {
    await deleteNetns(rec.netns);
    faultPoint('pod.netns-deleted');
  }
  if (failed.length === 0 || policy === 'forget') {
    for (const { a } of failed)
      removeCache(stateLayout(stateDir).cniResults, {
        networkName: a.list.name,
        containerId: rec.containerId,
        ifName: a.ifname,
      });
    removePodDir(stateDir, rec.name);
  }
  if (failed.length === 0) return;
  const what = failed
    .map(({ a, err }) => `network ${a.name}: ${err instanceof Error ? err.message : String(err)}`)
    .join('; ');
  const next = {
    'keep-pod': `the pod is kept: retry virtnet pod delete ${rec.name}, or add --force`,
    'keep-attachments': `the namespace is gone, the failed attachments are kept: virtnet gc or virtnet pod delete --force ${rec.name} retries them`,
    forget: 'forced: its state was removed anyway (what the plugin held may stay allocated)',
  }[policy];
  throw new VirtnetError(
    'POD_DELETE_FAILED',
    `pod ${rec.name}: DEL failed for ${what}; ${next}`,
    {
      field: 'name',
      pod: rec.name,
      networks: failed.map(({ a }) => a.name),
      plugins: failed.map(({ err }) => (isVirtnetError(err) ? err.detail.program : undefined)),
      errors: failed.map(({ err }) => err),
    },
    { cause: failed[0]!.err },
  );
}
