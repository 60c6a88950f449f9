// What the delegating CNI plugin does for each command, as Multus does it for a pod: ADD reads the
// pod's selection (the annotations the runtime passed, else the pod from the API server), resolves
// NetworkAttachmentDefinitions, delegates to the default network on CNI_IFNAME and then to each
// secondary network in order (net1, net2… or the name asked for, with the MAC and IPs asked for),
// writes network-status on the pod and returns the default network's result. A failure undoes every
// delegate already added. DEL undoes exactly what the on-disk record says, without the API server or
// the namespace, and is idempotent. The API server is reached through PodNetworkApi (src/kube).
import { VirtnetError } from '../../errors/virtnet-error.js';
import { faultPoint } from '../../state/fault-point.js';
import { loadConfDir } from '../conf-dir.js';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../multus-annotation.js';
import { parseNad, type NetworkAttachmentDefinition } from '../nad.js';
import type { NetworkConfList } from '../net-conf.js';
import type { NetworkStatusEntry } from '../network-status.js';
import { NetworkCatalog } from '../network-catalog.js';
import { resolveCniPath, type PluginExecRecord } from '../plugin-exec.js';
import { applyDefaultRoutes, podNetworkStatus } from '../pod.js';
import type { PodAttachment } from '../pod-store.js';
import { planPodAttachments, type PlannedAttachment } from '../pod-networks.js';
import { convertResult, encodeResult, parseResult, type CniResult } from '../result.js';
import {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  gcNetworkList,
  statusNetworkList,
  type CniRuntimeOptions,
  type RuntimeConf,
} from '../runtime.js';
import type { CniEnv } from './cni-env.js';
import type { DelegatingConf } from './delegating-conf.js';
import {
  delegateResultsDir,
  listDelegationRecords,
  readDelegationRecord,
  removeDelegationRecord,
  writeDelegationRecord,
  type DelegationRecord,
} from './delegation-record.js';

/** The pod's side of the API server, as the plugin needs it. */
export interface PodNetworkApi {
  /** The pod's annotations (when the runtime did not pass them). */
  podAnnotations(namespace: string, name: string): Promise<Record<string, string>>;
  /** The NAD object, or undefined when there is none. */
  networkAttachmentDefinition(namespace: string, name: string): Promise<unknown>;
  /** Sets network-status on the pod; with `uid`, only on that very pod. */
  setNetworkStatus(
    pod: { namespace: string; name: string; uid?: string },
    status: NetworkStatusEntry[],
  ): Promise<void>;
}

/** One plugin call. */
export interface DelegatingCall {
  conf: DelegatingConf;
  env: CniEnv;
  /** Absent without a kubeconfig: secondary networks then come from confDir by name, and no status is written. */
  api?: PodNetworkApi;
  pluginTimeoutMs?: number;
  observer?: (record: PluginExecRecord) => void;
}

/** The default network: delegates[0], or the clusterNetwork file. */
export function defaultNetworkList(conf: DelegatingConf): NetworkConfList {
  if ('list' in conf.defaultNetwork) return conf.defaultNetwork.list;
  const file = conf.defaultNetwork.file;
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  const found = loadConfDir(dir).networks.find((n) => n.file === file);
  if (!found)
    throw new VirtnetError('CNI_CONFIG_INVALID', `clusterNetwork ${file}: no valid CNI configuration there`, {
      field: 'clusterNetwork',
    });
  return found.list;
}

function runtimeOptions(call: DelegatingCall, cniPath?: string[]): CniRuntimeOptions {
  const opts: CniRuntimeOptions = {
    cacheDir: delegateResultsDir(call.conf.cacheDir),
    cniPath: cniPath ?? [...call.conf.binDir, ...resolveCniPath(call.env.cniPath)],
  };
  if (call.pluginTimeoutMs !== undefined) opts.pluginTimeoutMs = call.pluginTimeoutMs;
  if (call.observer) opts.observer = call.observer;
  return opts;
}

/** The runtime configuration of one delegate: the runtime's CNI_ARGS plus what the selection asked for. */
function delegateRuntime(env: CniEnv, a: Pick<PlannedAttachment, 'ifname' | 'cniArgs' | 'capabilityArgs'>) {
  const args: [string, string][] = env.args.filter(([k]) => !a.cniArgs.some(([ak]) => ak === k));
  // MAC= and IP= must not make a plugin that does not know them fail.
  if (a.cniArgs.length > 0 && !args.some(([k]) => k === 'IgnoreUnknown'))
    args.unshift(['IgnoreUnknown', 'true']);
  const rt: RuntimeConf = {
    containerId: env.containerId,
    netns: env.netns,
    ifname: a.ifname,
    args: [...args, ...a.cniArgs],
    capabilityArgs: a.capabilityArgs,
  };
  return rt;
}

function podNamespace(env: CniEnv): string {
  return env.pod?.namespace ?? 'default';
}

/** Multus' namespaceIsolation: a pod uses NADs of its own namespace and of the global ones only. */
function checkIsolation(conf: DelegatingConf, env: CniEnv, ref: { namespace?: string }, field: string): void {
  const ns = ref.namespace;
  if (!conf.namespaceIsolation || ns === undefined || ns === podNamespace(env)) return;
  if (conf.globalNamespaces.includes(ns)) return;
  throw new VirtnetError(
    'CNI_NAMESPACE_ISOLATION',
    `pod ${podNamespace(env)}/${env.pod?.name ?? '?'} may not use a network of namespace ${ns} (namespaceIsolation)`,
    { field, network: ns },
  );
}

/** Reads the NADs the selections name (in parallel), decoded; missing ones are simply absent. */
async function fetchNads(
  api: PodNetworkApi,
  refs: { namespace: string; name: string }[],
): Promise<NetworkAttachmentDefinition[]> {
  const unique = [...new Map(refs.map((r) => [`${r.namespace}/${r.name}`, r])).values()];
  const objects = await Promise.all(unique.map((r) => api.networkAttachmentDefinition(r.namespace, r.name)));
  const out: NetworkAttachmentDefinition[] = [];
  objects.forEach((obj, i) => {
    const r = unique[i]!;
    if (obj !== undefined)
      out.push(parseNad(obj, 'apiserver', `NetworkAttachmentDefinition ${r.namespace}/${r.name}`));
  });
  return out;
}

/** Resolves what the pod asks for into the attachments to add, in order. Throws before anything is added. */
export async function planDelegation(call: DelegatingCall): Promise<PlannedAttachment[]> {
  const { conf, env, api } = call;
  let annotations = conf.podAnnotations;
  if (annotations === undefined && api && env.pod)
    annotations = await api.podAnnotations(env.pod.namespace, env.pod.name);
  annotations ??= {};
  const networks = annotations[NETWORKS_ANNOTATION];
  const defaultOverride = annotations[DEFAULT_NETWORK_ANNOTATION];
  const ns = podNamespace(env);
  const refs: { namespace: string; name: string }[] = [];
  if (defaultOverride !== undefined) {
    const ref = parseDefaultNetworkAnnotation(defaultOverride);
    checkIsolation(conf, env, ref, 'defaultNetwork');
    refs.push({ namespace: ref.namespace ?? ns, name: ref.name });
  }
  if (networks !== undefined)
    parseNetworksAnnotation(networks).forEach((sel, i) => {
      checkIsolation(conf, env, sel, `networks[${i}].namespace`);
      refs.push({ namespace: sel.namespace ?? ns, name: sel.name });
    });
  const nads = api && refs.length > 0 ? await fetchNads(api, refs) : [];
  const catalog = new NetworkCatalog({
    cniConfDir: conf.confDir,
    nads,
    defaultNetwork: defaultNetworkList(conf),
    stateDir: conf.cacheDir,
  });
  const req: Parameters<typeof planPodAttachments>[0] = { podNamespace: ns };
  if (networks !== undefined) req.networks = networks;
  if (defaultOverride !== undefined) req.defaultNetwork = defaultOverride;
  const plan = planPodAttachments(req, catalog);
  // The default network takes the runtime's interface name and its per-call values (port mappings,
  // bandwidth…), which the runtime passed to this plugin because it declared those capabilities.
  const first = plan[0]!;
  const clash = plan.slice(1).find((a) => a.ifname === env.ifname);
  if (clash)
    throw new VirtnetError(
      'POD_IFNAME_DUPLICATE',
      `interface ${env.ifname} of network ${clash.name} is the default network's (CNI_IFNAME)`,
      { field: 'CNI_IFNAME', device: env.ifname },
    );
  plan[0] = { ...first, ifname: env.ifname, capabilityArgs: { ...conf.runtimeConfig } };
  return plan;
}

function decodeResult(a: PodAttachment): CniResult | undefined {
  if (!a.result) return undefined;
  const parsed = parseResult(a.result);
  return parsed.ok ? parsed.result : undefined;
}

/**
 * DEL of the record's attachments in reverse order. Each one undone is dropped from the record at once
 * (a retry does not repeat it); every one is tried even when another fails, and the first error is thrown
 * with the record kept for the retry. The record goes when all are undone.
 */
async function undoRecord(call: DelegatingCall, rec: DelegationRecord): Promise<void> {
  // The plugins found at ADD first, then wherever this call's CNI_PATH says they are now.
  const now = runtimeOptions(call).cniPath ?? [];
  const opts = runtimeOptions(call, [...new Set([...rec.cniPath, ...now])]);
  let firstError: Error | undefined;
  for (const a of [...rec.attachments].reverse()) {
    try {
      await delNetworkList(a.list, delegateRuntime(call.env, a), opts);
      rec.attachments = rec.attachments.filter((x) => x.seq !== a.seq);
      if (rec.attachments.length > 0) writeDelegationRecord(call.conf.cacheDir, rec);
    } catch (err) {
      firstError ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  if (firstError !== undefined) throw firstError;
  removeDelegationRecord(call.conf.cacheDir, rec.containerId);
}

/** ADD: every attachment, then network-status; returns the default network's result in the plugin's version. */
export async function delegatingAdd(call: DelegatingCall): Promise<CniResult> {
  const { conf, env, api } = call;
  const plan = await planDelegation(call);
  // A record left by an ADD that never finished (the runtime gave up on it) is undone first.
  const stale = readDelegationRecord(conf.cacheDir, env.containerId);
  if (stale) await undoRecord(call, stale);
  const opts = runtimeOptions(call);
  const rec: DelegationRecord = {
    kind: 'virtnetDelegationV1',
    containerId: env.containerId,
    cniPath: opts.cniPath ?? [],
    attachments: [],
  };
  if (env.pod) rec.pod = env.pod;
  try {
    for (const [i, planned] of plan.entries()) {
      const a: PodAttachment = { seq: i + 1, ...planned, state: 'adding' };
      rec.attachments.push(a);
      writeDelegationRecord(conf.cacheDir, rec);
      const result = await addNetworkList(a.list, delegateRuntime(env, a), opts);
      rec.attachments[i] = { ...a, state: 'ready', result: encodeResult(result, a.list.cniVersion) };
      writeDelegationRecord(conf.cacheDir, rec);
      faultPoint('cni-delegating.added');
    }
    await applyDefaultRoutes(env.netns, rec.attachments);
    if (api && env.pod) await api.setNetworkStatus(env.pod, podNetworkStatus(rec.attachments));
  } catch (err) {
    // The delegate that failed is undone too: the runtime's own rollback of it ignores a failing
    // DEL, and a second DEL costs nothing where the first worked.
    try {
      await undoRecord(call, rec);
    } catch (undoErr) {
      if (err instanceof VirtnetError)
        err.detail.rollbackError = undoErr instanceof Error ? undoErr.message : String(undoErr);
    }
    throw err;
  }
  return convertResult(decodeResult(rec.attachments[0]!)!, conf.cniVersion);
}

/**
 * DEL: undoes what the record says. Without a record (already deleted, or added before this plugin
 * was installed) the default network gets its DEL, which every plugin must accept repeatedly.
 */
export async function delegatingDel(call: DelegatingCall): Promise<void> {
  const rec = readDelegationRecord(call.conf.cacheDir, call.env.containerId);
  if (rec) return undoRecord(call, rec);
  const list = defaultNetworkList(call.conf);
  await delNetworkList(
    list,
    delegateRuntime(call.env, {
      ifname: call.env.ifname,
      cniArgs: [],
      capabilityArgs: call.conf.runtimeConfig,
    }),
    runtimeOptions(call),
  );
}

/** CHECK: every delegate of the record checks its attachment. */
export async function delegatingCheck(call: DelegatingCall): Promise<void> {
  const rec = readDelegationRecord(call.conf.cacheDir, call.env.containerId);
  if (!rec || rec.attachments.some((a) => a.state !== 'ready'))
    throw new VirtnetError(
      'CNI_UNKNOWN_CONTAINER',
      `no completed ADD recorded for container ${call.env.containerId}`,
      { field: 'CNI_CONTAINERID' },
    );
  const opts = runtimeOptions(call, rec.cniPath);
  for (const a of rec.attachments) await checkNetworkList(a.list, delegateRuntime(call.env, a), opts);
}

/** STATUS (CNI 1.1.0): ready when the default network is. */
export async function delegatingStatus(call: DelegatingCall): Promise<void> {
  await statusNetworkList(defaultNetworkList(call.conf), runtimeOptions(call));
}

/**
 * GC (CNI 1.1.0): undoes the record of every container not among `valid` (the runtime's
 * cni.dev/valid-attachments, by container ID), then lets the default network collect its own.
 */
export async function delegatingGc(
  call: DelegatingCall,
  valid: { containerId: string; ifname: string }[],
): Promise<void> {
  const keep = new Set(valid.map((v) => v.containerId));
  let firstError: Error | undefined;
  for (const id of listDelegationRecords(call.conf.cacheDir)) {
    if (keep.has(id)) continue;
    const rec = readDelegationRecord(call.conf.cacheDir, id);
    if (!rec) continue;
    try {
      // The namespace of a container the runtime forgot is gone: DEL without one, as later DELs come.
      await undoRecord({ ...call, env: { ...call.env, containerId: id, netns: '' } }, rec);
    } catch (err) {
      firstError ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  await gcNetworkList(defaultNetworkList(call.conf), valid, runtimeOptions(call));
  if (firstError) throw firstError;
}
