// The node agent: one process per node, the only virtnet component that changes pod namespaces on it.
// It watches the launcher pods scheduled to its node (label virtnet.io/vmi, spec.nodeName) and keeps,
// per pod uid, its state dir in step with the pod: set up while the pod runs (pod-network.ts), VMI
// status.interfaces following the launcher's guest.json, torn down and removed once the pod has
// stopped or is gone. Pods are worked on by uid through a work queue (never twice at once, retried with
// backoff: a sandbox the runtime has not made yet is just a retry). What it keeps in memory per pod is
// its key and one directory watch; everything else is in the pod's dir, so a restarted agent resumes
// from the dirs and removes those whose pod no longer exists.
import { existsSync, readFileSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
// Its API access is KubeRest's (node:https), never @kubernetes/client-node: one agent runs per node,
// and client-node alone would nearly double its memory. Only client-node's types are used.
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterConfig } from '../api/index.js';
import type { CriClient } from '../cri/cri-client.js';
import { Informer } from '../kube/informer.js';
import type { KubeRest } from '../kube/kube-rest.js';
import { LAUNCHER_CONTAINER, VMI_NAME_LABEL, VMI_UID_LABEL, type VmiObject } from '../kube/launcher-pod.js';
import { mergePatch } from '../kube/merge-patch.js';
import type { VmiInterfaceStatus } from '../kube/vmi-status.js';
import { vmiApiPath } from '../kube/vmi-crd.js';
import { patchVmiStatus, restVmiStatusApi } from '../kube/vmi-status-write.js';
import { WorkQueue } from '../kube/work-queue.js';
import { GUEST_FILE, hostPodStateDir } from '../state/launcher-files.js';
import { guestInterfaceStatuses, parseGuestFile } from './guest-status.js';
import {
  podNetworkState,
  reachableNetnsPath,
  setUpPodNetwork,
  tearDownPodNetwork,
  vmSpecOf,
} from './pod-network.js';

export interface NodeAgentOptions {
  nodeName: string;
  cri: CriClient;
  /** The per-pod state dirs (launcher-files.ts HOST_POD_STATE_ROOT). */
  podsDir: string;
  cluster: ClusterConfig;
  log: (msg: string) => void;
}

/** What the agent holds per pod it has set up: the watch on its dir and the last guest.json it reported. */
interface Watched {
  watcher: FSWatcher;
  reported?: string;
}

/** A pod uid as the apiserver makes them (a lower-case UUID); anything else in the dir is not the agent's. */
const isPodUid = (name: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(name);

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** True once the pod's launcher will never run again: terminal, or being deleted with its container stopped. */
function podStopped(pod: V1Pod): boolean {
  if (TERMINAL_PHASES.has(pod.status?.phase ?? '')) return true;
  if (!pod.metadata?.deletionTimestamp) return false;
  const launcher = pod.status?.containerStatuses?.find((c) => c.name === LAUNCHER_CONTAINER);
  // Deleted before its container ever started: nothing will run in it.
  return launcher === undefined || launcher.state?.terminated !== undefined;
}

export class NodeAgent {
  private readonly pods: Informer<V1Pod>;
  private readonly work: WorkQueue;
  private readonly statusWork: WorkQueue;
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly kube: KubeRest,
    private readonly opts: NodeAgentOptions,
  ) {
    this.pods = new Informer<V1Pod>(kube, '/api/v1/pods', {
      labelSelector: VMI_NAME_LABEL,
      fieldSelector: `spec.nodeName=${opts.nodeName}`,
    });
    const onError = (what: string) => (key: string, err: unknown, retryInMs: number) =>
      opts.log(`${what} ${key} failed (retry in ${retryInMs} ms): ${errorText(err)}`);
    // No run timeout: a network phase cut short and retried would run twice at once.
    this.work = new WorkQueue((uid) => this.reconcile(uid), {
      concurrency: 2,
      baseDelayMs: 250,
      maxDelayMs: 10_000,
      onError: onError('pod'),
    });
    this.statusWork = new WorkQueue((uid) => this.syncStatus(uid), {
      concurrency: 1,
      timeoutMs: 30_000,
      baseDelayMs: 250,
      maxDelayMs: 10_000,
      onError: onError('status of pod'),
    });
  }

  /** Lists the node's launcher pods, then queues each pod and each state dir (a dir whose pod is gone is removed). */
  async start(): Promise<void> {
    this.pods.on('error', (err, retryInMs) =>
      this.opts.log(`watch failed, restarting in ${retryInMs / 1000} s: ${errorText(err)}`),
    );
    await this.pods.start();
    const enqueue = (p: V1Pod) => {
      if (p.metadata?.uid) this.work.add(p.metadata.uid);
    };
    this.pods.on('add', enqueue);
    this.pods.on('update', enqueue);
    this.pods.on('delete', enqueue);
    for (const pod of this.pods.list()) enqueue(pod);
    for (const uid of existsSync(this.opts.podsDir) ? readdirSync(this.opts.podsDir) : [])
      if (isPodUid(uid)) this.work.add(uid);
  }

  async stop(): Promise<void> {
    this.work.shutdown();
    this.statusWork.shutdown();
    await this.pods.stop();
    for (const w of this.watched.values()) w.watcher.close();
    this.watched.clear();
  }

  /** Pods this agent currently watches (set up on this node). */
  watchedPods(): string[] {
    return [...this.watched.keys()];
  }

  private podByUid(uid: string): V1Pod | undefined {
    return this.pods.get(uid);
  }

  /** Converges one pod uid: set up, keep, or tear down. */
  private async reconcile(uid: string): Promise<void> {
    const dir = hostPodStateDir(uid, this.opts.podsDir);
    const pod = this.podByUid(uid);
    if (!pod || podStopped(pod)) {
      this.unwatch(uid);
      const vms = await tearDownPodNetwork(dir);
      if (vms.length > 0 || pod === undefined)
        this.opts.log(
          `pod ${uid}${pod ? ` ${pod.metadata?.namespace}/${pod.metadata?.name}` : ''} gone: tore down ${vms.join(', ') || 'nothing'}`,
        );
      return;
    }
    const ref = `${pod.metadata!.namespace!}/${pod.metadata!.name!}`;
    const state = podNetworkState(dir);
    if (state === 'failed') return;
    if (state === 'ready') {
      this.ensureWatch(uid, dir);
      return;
    }
    const sandbox = await this.opts.cri.findPodSandbox({
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      uid,
    });
    if (!sandbox) throw new Error(`pod ${ref}: no ready sandbox yet`);
    const netns = reachableNetnsPath(sandbox.netnsPath, sandbox.pid);
    if (!netns) throw new Error(`pod ${ref}: network namespace ${sandbox.netnsPath} not reachable`);
    const vmi = await this.readVmi(pod);
    if (!vmi) {
      this.opts.log(`pod ${ref}: its VMI is gone; not setting it up`);
      return;
    }
    const started = Date.now();
    const outcome = await setUpPodNetwork({ pod, vmi, sandbox, netns, dir, cluster: this.opts.cluster });
    this.opts.log(`pod ${ref}: network ${outcome} in ${Date.now() - started} ms (${netns})`);
    if (outcome === 'ready') this.ensureWatch(uid, dir);
  }

  /** The pod's VMI, when it is still the one that made the pod. */
  private async readVmi(pod: V1Pod): Promise<VmiObject | undefined> {
    const name = pod.metadata?.labels?.[VMI_NAME_LABEL];
    const namespace = pod.metadata?.namespace;
    if (!name || !namespace) return undefined;
    const vmi = (await this.kube.get(vmiApiPath(namespace, name))) as VmiObject | undefined;
    if (!vmi) return undefined;
    const wanted = pod.metadata?.labels?.[VMI_UID_LABEL];
    return wanted === undefined || vmi.metadata.uid === wanted ? vmi : undefined;
  }

  private ensureWatch(uid: string, dir: string): void {
    if (this.watched.has(uid)) return;
    const watcher = watch(dir, (_event, file) => {
      if (file === GUEST_FILE) this.statusWork.add(uid);
    });
    watcher.on('error', () => this.unwatch(uid));
    this.watched.set(uid, { watcher });
    // guest.json may have been written before the watch (or while the agent was down).
    this.statusWork.add(uid);
  }

  private unwatch(uid: string): void {
    this.watched.get(uid)?.watcher.close();
    this.watched.delete(uid);
  }

  /** Reports the guest's interfaces (guest.json) in the VMI's status.interfaces. */
  private async syncStatus(uid: string): Promise<void> {
    const entry = this.watched.get(uid);
    const pod = this.podByUid(uid);
    if (!entry || !pod) return;
    let text: string;
    try {
      text = readFileSync(join(hostPodStateDir(uid, this.opts.podsDir), GUEST_FILE), 'utf8');
    } catch {
      return;
    }
    if (text === entry.reported) return;
    const guest = parseGuestFile(text);
    if (!guest) return;
    const vmi = await this.readVmi(pod);
    if (!vmi) return;
    const spec = vmSpecOf(vmi, this.opts.cluster);
    const ifaces = spec.interfaces
      .filter((i) => i.state !== 'absent')
      .map((i) => ({ name: i.name, masquerade: i.binding === 'masquerade' }));
    const previous = ((vmi.status?.interfaces as VmiInterfaceStatus[] | undefined) ?? []).filter(Boolean);
    const interfaces = guestInterfaceStatuses(ifaces, guest, previous);
    if (mergePatch({ interfaces: previous }, { interfaces }) !== undefined) {
      // With the resourceVersion read: a controller write in between makes this a 409, and a retry.
      await patchVmiStatus(restVmiStatusApi(this.kube), vmi, { interfaces });
      this.opts.log(
        `VMI ${vmi.metadata.namespace}/${vmi.metadata.name}: interfaces ${interfaces.map((i) => `${i.name}=${i.mac ?? '?'} ${i.ipAddress ?? ''}`).join(', ')}`,
      );
    }
    entry.reported = text;
  }
}
