// virtnet's controller: for each VirtualMachineInstance a launcher Pod (launcher-pod.ts), the VMI's
// status following that pod (vmi-status.ts), Events for what a user must see, and a finalizer so the
// pod is removed before the VMI goes. Informers feed a work queue of VMI keys; each reconcile reads the
// caches, converges one VMI and is safe to repeat (a restart resumes). Writes carry the resourceVersion
// they were computed from; a conflict fails the run, which the queue retries with backoff.
import { makeInformer, type CoreV1Event, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { validateVmDocument, type VmSpec } from '../api/index.js';
import { kernelBootOf } from '../api/kernel-boot.js';
import { RESOURCE_NAME_ANNOTATION } from '../cni/nad.js';
import { apiErrorCode, apiErrorText, MERGE_PATCH, vmiStatusApi, type KubeClients } from './kube-client.js';
import {
  launcherPod,
  launcherPodName,
  sriovResources,
  VMI_NAME_LABEL,
  type LauncherOptions,
  type VmiObject,
} from './launcher-pod.js';
import { mergePatch } from './merge-patch.js';
import { computeVmiStatus, rejectedAtAdmission, type PodView, type VmiStatus } from './vmi-status.js';
import { VMI_API_VERSION, VMI_GROUP, VMI_KIND, VMI_PLURAL, VMI_VERSION } from './vmi-crd.js';
import { patchVmiStatus } from './vmi-status-write.js';
import { WorkQueue } from './work-queue.js';

export const VMI_FINALIZER = 'virtnet.io/launcher-pod';
const COMPONENT = 'virtnet-controller';
/** Launcher pods the kubelet refused before they ran that are replaced for one VMI before it fails. */
const MAX_ADMISSION_RETRIES = 5;

export interface ControllerOptions extends LauncherOptions {
  log: (msg: string) => void;
  /** Restricts the controller to one namespace (all when undefined). */
  namespace?: string;
}

type Vmi = VmiObject & KubernetesObject;

/** What is wrong with the VMI's kernelBoot (the launcher pod cannot be made from it), if anything. */
function kernelBootIssue(spec: unknown): string | undefined {
  try {
    kernelBootOf(spec);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

export class VmiController {
  private readonly vmis;
  private readonly pods;
  private readonly queue: WorkQueue;
  /** Phase last reported by an Event, per VMI uid, so each transition is told once. */
  private readonly toldPhase = new Map<string, string>();
  /** Launcher pods replaced after the kubelet refused them, per VMI uid. */
  private readonly admissionRetries = new Map<string, { tries: number; podUid: string; at: number }>();

  constructor(
    private readonly kube: KubeClients,
    private readonly opts: ControllerOptions,
  ) {
    const ns = opts.namespace;
    const vmiPath = ns
      ? `/apis/${VMI_GROUP}/${VMI_VERSION}/namespaces/${ns}/${VMI_PLURAL}`
      : `/apis/${VMI_GROUP}/${VMI_VERSION}/${VMI_PLURAL}`;
    this.vmis = makeInformer<Vmi>(
      kube.config,
      vmiPath,
      () =>
        (ns
          ? kube.custom.listNamespacedCustomObject({
              group: VMI_GROUP,
              version: VMI_VERSION,
              namespace: ns,
              plural: VMI_PLURAL,
            })
          : kube.custom.listClusterCustomObject({
              group: VMI_GROUP,
              version: VMI_VERSION,
              plural: VMI_PLURAL,
            })) as never,
    );
    this.pods = makeInformer<V1Pod>(
      kube.config,
      ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods',
      () =>
        ns
          ? kube.core.listNamespacedPod({ namespace: ns, labelSelector: VMI_NAME_LABEL })
          : kube.core.listPodForAllNamespaces({ labelSelector: VMI_NAME_LABEL }),
      VMI_NAME_LABEL,
    );
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: 2,
      // A request the apiserver never answers must not hold a worker forever.
      timeoutMs: 30_000,
      baseDelayMs: 100,
      maxDelayMs: 30_000,
      onError: (key, err, retryInMs) =>
        opts.log(`reconcile ${key} failed (retry in ${retryInMs} ms): ${apiErrorText(err)}`),
    });
  }

  /**
   * Starts both informers, and only once both first lists are in the caches queues every VMI: a VMI
   * reconciled against a pod cache still filling would read its pod as gone.
   */
  async start(): Promise<void> {
    for (const informer of [this.vmis, this.pods]) {
      // A broken watch (apiserver restart, expired resourceVersion) is restarted with a fresh list.
      informer.on('error', (err) => {
        this.opts.log(`watch failed, restarting in 2 s: ${apiErrorText(err)}`);
        setTimeout(() => void informer.start().catch(() => undefined), 2000).unref();
      });
    }
    await Promise.all([this.vmis.start(), this.pods.start()]);
    const enqueueVmi = (o: Vmi) => this.queue.add(keyOf(o.metadata.namespace, o.metadata.name));
    const enqueuePod = (p: V1Pod) => {
      const vmi = p.metadata?.labels?.[VMI_NAME_LABEL];
      if (vmi) this.queue.add(keyOf(p.metadata?.namespace, vmi));
    };
    this.vmis.on('add', enqueueVmi);
    this.vmis.on('update', enqueueVmi);
    this.vmis.on('delete', (o) => this.toldPhase.delete(o.metadata.uid));
    this.pods.on('add', enqueuePod);
    this.pods.on('update', enqueuePod);
    this.pods.on('delete', enqueuePod);
    for (const vmi of this.vmis.list()) enqueueVmi(vmi);
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await Promise.all([this.vmis.stop(), this.pods.stop()]);
  }

  /** Converges one VMI: finalizer, launcher pod, status; on deletion, the pod first, then the finalizer. */
  async reconcile(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const cached = this.vmis.get(name, namespace);
    if (!cached) return;
    let vmi = cached;
    const podName = launcherPodName(name);
    let pod = this.pods.get(podName, namespace);
    if (pod && !pod.metadata?.ownerReferences?.some((o) => o.uid === vmi.metadata.uid)) {
      // A pod of that name not made for this VMI (an older VMI of the same name): never touch it.
      if (!pod.metadata?.deletionTimestamp)
        throw new Error(`pod ${podName} exists and does not belong to VMI uid ${vmi.metadata.uid}`);
      return;
    }
    if (vmi.metadata.deletionTimestamp) return this.finalize(vmi, pod);
    if (!vmi.metadata.finalizers?.includes(VMI_FINALIZER)) {
      // Go on with the object the patch returns (its new resourceVersion): waiting for the watch to
      // bring it back would add a round trip before the pod is created.
      vmi = await this.patchVmi(vmi, {
        metadata: {
          resourceVersion: vmi.metadata.resourceVersion,
          finalizers: [...(vmi.metadata.finalizers ?? []), VMI_FINALIZER],
        },
      });
    }
    const validation = validateVmDocument({
      apiVersion: vmi.apiVersion,
      kind: VMI_KIND,
      metadata: vmi.metadata,
      spec: vmi.spec,
    });
    const previous = vmi.status as Partial<VmiStatus> | undefined;
    const kernelBootError = kernelBootIssue(vmi.spec);
    if (!validation.spec || kernelBootError !== undefined) {
      const message = kernelBootError ?? validation.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      return this.writeStatus(vmi, {
        phase: 'Failed',
        reason: 'InvalidSpec',
        message,
        conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message }],
        interfaces: [],
      });
    }
    const terminal = previous?.phase === 'Succeeded' || previous?.phase === 'Failed';
    if (pod && !terminal && rejectedAtAdmission(pod as PodView)) {
      const next = await this.retryRejected(vmi, pod, validation.spec, key);
      if (next === 'waiting') {
        // Shown as waiting for a node again, with why: the VMI has not failed.
        const waiting = computeVmiStatus(
          previous,
          validation.spec,
          { metadata: { name: pod.metadata!.name! }, status: { phase: 'Pending' } },
          new Date(),
        );
        return this.writeStatus(vmi, {
          ...waiting,
          reason: 'LauncherPodRejected',
          message: `the node refused launcher pod ${pod.metadata!.name!} (${pod.status?.reason ?? 'admission'}); trying again`,
        });
      }
      pod = next;
    }
    if (!pod && !previous?.launcherPod && !terminal) pod = await this.createPod(vmi, validation.spec);
    // The pod cache may lag behind a pod this controller just made: ask the API before calling it gone.
    else if (!pod && previous?.launcherPod && !terminal)
      pod = await this.readPod(namespace, previous.launcherPod, vmi.metadata.uid);
    const status = computeVmiStatus(previous, validation.spec, pod as PodView | undefined, new Date());
    await this.writeStatus(vmi, status);
  }

  /**
   * A launcher pod the kubelet refused before anything ran (say, its KVM slot while the node agent
   * restarts) is replaced after a pause that doubles each time (2 s … 30 s), MAX_ADMISSION_RETRIES
   * times per VMI; then the VMI fails with it. Returns the pod to go on with, or 'waiting'.
   */
  private async retryRejected(
    vmi: Vmi,
    pod: V1Pod,
    spec: VmSpec,
    key: string,
  ): Promise<V1Pod | 'waiting' | undefined> {
    const uid = vmi.metadata.uid;
    const podUid = pod.metadata!.uid!;
    const r = this.admissionRetries.get(uid) ?? { tries: 0, podUid: '', at: 0 };
    if (r.tries >= MAX_ADMISSION_RETRIES) return pod;
    const now = Date.now();
    if (r.podUid !== podUid) {
      const delay = Math.min(30_000, 2_000 * 2 ** r.tries);
      this.admissionRetries.set(uid, { tries: r.tries, podUid, at: now + delay });
      const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
      await this.event(
        vmi,
        'Warning',
        'LauncherPodRejected',
        `The node refused launcher pod ${pod.metadata!.name!} before it ran (${why}); a new one in ${delay / 1000} s`,
      );
      this.queue.addAfter(key, delay);
      return 'waiting';
    }
    if (now < r.at) {
      this.queue.addAfter(key, r.at - now);
      return 'waiting';
    }
    this.admissionRetries.set(uid, { ...r, tries: r.tries + 1 });
    // Nothing runs in it: removed at once, so its name is free for the new pod.
    await this.kube.core.deleteNamespacedPod({
      name: pod.metadata!.name!,
      namespace: vmi.metadata.namespace,
      gracePeriodSeconds: 0,
      body: { preconditions: { uid: podUid } },
    });
    return this.createPod(vmi, spec);
  }

  private async readPod(namespace: string, name: string, ownerUid: string): Promise<V1Pod | undefined> {
    try {
      const pod = await this.kube.core.readNamespacedPod({ name, namespace });
      return pod.metadata?.ownerReferences?.some((o) => o.uid === ownerUid) ? pod : undefined;
    } catch (err) {
      if (apiErrorCode(err) === 404) return undefined;
      throw err;
    }
  }

  private async createPod(vmi: Vmi, spec: VmSpec): Promise<V1Pod | undefined> {
    const nads = await this.nadResources(vmi, spec);
    const body = launcherPod(vmi, spec, nads, this.opts) as V1Pod;
    try {
      const pod = await this.kube.core.createNamespacedPod({ namespace: vmi.metadata.namespace, body });
      await this.event(vmi, 'Normal', 'SuccessfulCreate', `Created launcher pod ${pod.metadata?.name ?? ''}`);
      return pod;
    } catch (err) {
      // Made by an earlier run whose pod the cache has not seen yet.
      if (apiErrorCode(err) === 409) return undefined;
      await this.event(vmi, 'Warning', 'FailedCreate', `Error creating launcher pod: ${apiErrorText(err)}`);
      throw err;
    }
  }

  /** The resourceName of each NAD an SR-IOV interface uses; a missing NAD fails the run (retried). */
  private async nadResources(vmi: Vmi, spec: VmSpec): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const { missing } = sriovResources(spec, out);
    for (const ref of new Set(missing)) {
      const [namespace, name] = ref.split('/') as [string, string];
      try {
        const nad = (await this.kube.custom.getNamespacedCustomObject({
          group: 'k8s.cni.cncf.io',
          version: 'v1',
          namespace,
          plural: 'network-attachment-definitions',
          name,
        })) as KubernetesObject;
        const resource = nad.metadata?.annotations?.[RESOURCE_NAME_ANNOTATION];
        if (resource === undefined)
          throw new Error(
            `NetworkAttachmentDefinition ${ref} has no ${RESOURCE_NAME_ANNOTATION} annotation, which an SR-IOV interface needs`,
          );
        out.set(ref, resource);
      } catch (err) {
        const text =
          apiErrorCode(err) === 404 ? `NetworkAttachmentDefinition ${ref} not found` : apiErrorText(err);
        await this.event(vmi, 'Warning', 'NetworkNotReady', text);
        throw new Error(text, { cause: err });
      }
    }
    return out;
  }

  private async finalize(vmi: Vmi, pod: V1Pod | undefined): Promise<void> {
    this.admissionRetries.delete(vmi.metadata.uid);
    if (pod) {
      if (!pod.metadata?.deletionTimestamp) {
        try {
          await this.kube.core.deleteNamespacedPod({
            name: pod.metadata!.name!,
            namespace: vmi.metadata.namespace,
            body: { preconditions: { uid: pod.metadata!.uid! } },
          });
          await this.event(vmi, 'Normal', 'SuccessfulDelete', `Deleting launcher pod ${pod.metadata!.name!}`);
        } catch (err) {
          if (apiErrorCode(err) !== 404 && apiErrorCode(err) !== 409) throw err;
        }
      }
      return; // the pod's delete event brings the VMI back
    }
    if (!vmi.metadata.finalizers?.includes(VMI_FINALIZER)) return;
    await this.patchVmi(vmi, {
      metadata: {
        resourceVersion: vmi.metadata.resourceVersion,
        finalizers: vmi.metadata.finalizers.filter((f) => f !== VMI_FINALIZER),
      },
    });
  }

  private async patchVmi(vmi: Vmi, body: unknown): Promise<Vmi> {
    return (await this.kube.custom.patchNamespacedCustomObject(
      {
        group: VMI_GROUP,
        version: VMI_VERSION,
        namespace: vmi.metadata.namespace,
        plural: VMI_PLURAL,
        name: vmi.metadata.name,
        body,
      },
      MERGE_PATCH,
    )) as Vmi;
  }

  private async writeStatus(vmi: Vmi, status: VmiStatus): Promise<void> {
    const patch = mergePatch(vmi.status ?? {}, status);
    if (patch === undefined) return;
    await patchVmiStatus(vmiStatusApi(this.kube), vmi, patch);
    const told = this.toldPhase.get(vmi.metadata.uid);
    if (told !== status.phase && status.phase !== (vmi.status as Partial<VmiStatus> | undefined)?.phase) {
      this.toldPhase.set(vmi.metadata.uid, status.phase);
      const failed = status.phase === 'Failed';
      const text = `VMI is ${status.phase}${status.nodeName && status.phase === 'Scheduled' ? ` on node ${status.nodeName}` : ''}${status.message ? `: ${status.message}` : ''}`;
      await this.event(vmi, failed ? 'Warning' : 'Normal', status.reason ?? status.phase, text);
    }
  }

  /** Records an Event on the VMI; losing one is logged, never fatal. */
  private async event(vmi: Vmi, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { generateName: `${vmi.metadata.name}.`, namespace: vmi.metadata.namespace },
      involvedObject: {
        apiVersion: VMI_API_VERSION,
        kind: VMI_KIND,
        name: vmi.metadata.name,
        namespace: vmi.metadata.namespace,
        uid: vmi.metadata.uid,
      },
      type,
      reason,
      message,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: process.env.POD_NAME ?? COMPONENT,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.kube.core.createNamespacedEvent({ namespace: vmi.metadata.namespace, body });
    } catch (err) {
      this.opts.log(
        `event ${reason} on ${vmi.metadata.namespace}/${vmi.metadata.name} not recorded: ${apiErrorText(err)}`,
      );
    }
  }
}
