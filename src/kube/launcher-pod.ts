// The launcher pod of a VirtualMachineInstance, composed from the VMI and the NetworkAttachmentDefinitions
// its networks name: owned by the VMI (garbage-collected with it), carrying the network requests CNI
// meta-plugins read (Multus selection and default-network override, Genie's list), the SR-IOV device
// requests each NAD's resourceName asks for. Its one container runs `virtnet kube launcher` as root
// with NET_BIND_SERVICE as its only capability (the node agent wires the NICs from outside): the
// pod's state dir from the node (subPathExpr on its own uid) through which the agent hands it the
// network, /dev/net/tun for QEMU's TAPs, readiness from the `ready` file the launcher writes at the
// guest's DHCP ACK, and a termination message the controller puts into the VMI's status. A kernelBoot
// image's kernel and initrd are copied into a volume by an init container running the launcher
// image's static busybox inside that image. Pure: objects in, a Pod manifest out.
import { createHash } from 'node:crypto';
import type { VmSpec } from '../api/index.js';
import { DEFAULT_NETWORK_ANNOTATION, NETWORKS_ANNOTATION, podNetworksForVm } from '../cni/index.js';
import { GENIE_ANNOTATION } from '../cni/genie-annotation.js';
import { KERNEL_BOOT_DIR, kernelBootOf } from '../api/kernel-boot.js';
import { DEFAULT_MEMORY_MIB } from '../api/runtime-limits.js';
import { DEFAULT_STATE_DIR_IN_POD, HOST_POD_STATE_ROOT, READY_FILE } from '../state/launcher-files.js';
import { VMI_API_VERSION, VMI_KIND } from './vmi-crd.js';

type Json = Record<string, unknown>;

/** Labels every launcher pod carries; the controller watches pods by the first. */
/** The node agent's KVM slot resource (one per launcher pod). */
export const KVM_RESOURCE = 'devices.virtnet.io/kvm';
export const VMI_NAME_LABEL = 'virtnet.io/vmi';
export const VMI_UID_LABEL = 'virtnet.io/vmi-uid';
export const LAUNCHER_COMPONENT_LABEL = 'app.kubernetes.io/component';
export const LAUNCHER_CONTAINER = 'launcher';
/** KubeVirt's default grace period for a VM's shutdown. */
export const DEFAULT_GRACE_SECONDS = 30;
/**
 * What the launcher pod needs besides guest memory: QEMU's own (TCG's translation cache included) and
 * the launcher process (~55 MiB). Requested so the scheduler counts the VM, never a limit that could
 * kill a running guest.
 */
export const LAUNCHER_OVERHEAD_MIB = 192;
/** The static busybox of the launcher image (readiness probe, kernelBoot copies). */
export const LAUNCHER_BUSYBOX = '/bin/busybox';

/** The VMI fields the pod is made from (a stored object: name, namespace and uid are set). */
export interface VmiObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    finalizers?: string[];
    resourceVersion?: string;
    generation?: number;
  };
  spec?: Json;
  status?: Json;
}

export interface LauncherOptions {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
}

/** `namespace/name` of a NAD → its `k8s.v1.cni.cncf.io/resourceName` annotation (absent when it has none). */
export type NadResources = ReadonlyMap<string, string>;

/** The NADs (as `namespace/name`) a VM's Multus networks refer to. */
export function nadReferences(spec: VmSpec): string[] {
  const refs = new Set<string>();
  for (const n of spec.networks) {
    if (n.source.kind !== 'multus') continue;
    const { networkName, namespace } = n.source;
    const slash = networkName.indexOf('/');
    refs.add(
      namespace !== undefined
        ? `${namespace}/${networkName}`
        : slash >= 0
          ? networkName
          : `${spec.namespace}/${networkName}`,
    );
  }
  return [...refs];
}

function nadRef(spec: VmSpec, source: { networkName: string; namespace?: string }): string {
  if (source.namespace !== undefined) return `${source.namespace}/${source.networkName}`;
  return source.networkName.includes('/') ? source.networkName : `${spec.namespace}/${source.networkName}`;
}

/** Device-plugin resources for the VM's SR-IOV interfaces: one VF of its NAD's resource per interface. */
export function sriovResources(
  spec: VmSpec,
  nads: NadResources,
): { resources: Record<string, number>; missing: string[] } {
  const resources: Record<string, number> = {};
  const missing: string[] = [];
  for (const iface of spec.interfaces) {
    if (iface.binding !== 'sriov' || iface.state === 'absent') continue;
    const net = spec.networks.find((n) => n.name === iface.name);
    if (net?.source.kind !== 'multus') continue;
    const ref = nadRef(spec, net.source);
    const resource = nads.get(ref);
    if (resource === undefined) missing.push(ref);
    else resources[resource] = (resources[resource] ?? 0) + 1;
  }
  return { resources, missing };
}

/** The pod's name: deterministic, so a retried create finds the pod it made; a DNS label (<= 63). */
export function launcherPodName(vmiName: string): string {
  const name = `virtnet-launcher-${vmiName}`;
  if (name.length <= 63) return name;
  const hash = createHash('sha256').update(vmiName).digest('hex').slice(0, 10);
  return `${name.slice(0, 52).replace(/[-.]+$/, '')}-${hash}`;
}

function graceSeconds(spec: Json | undefined): number {
  const v = spec?.terminationGracePeriodSeconds;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : DEFAULT_GRACE_SECONDS;
}

/** The launcher Pod for `vmi` (validated into `spec`). */
export function launcherPod(vmi: VmiObject, spec: VmSpec, nads: NadResources, opts: LauncherOptions): Json {
  const networks = podNetworksForVm(spec);
  const annotations: Record<string, string> = {};
  if (networks.networks !== undefined) annotations[NETWORKS_ANNOTATION] = networks.networks;
  if (networks.defaultNetwork !== undefined)
    annotations[DEFAULT_NETWORK_ANNOTATION] = networks.defaultNetwork;
  if (networks.genie !== undefined) annotations[GENIE_ANNOTATION] = networks.genie;
  const { resources } = sriovResources(spec, nads);
  // Every launcher asks for a KVM slot: /dev/kvm where the node has it (src/agent/kvm-device.ts).
  const deviceRequests = Object.fromEntries([
    [KVM_RESOURCE, '1'],
    ...Object.entries(resources).map(([k, n]) => [k, String(n)]),
  ]) as Record<string, string>;
  const rawSpec = vmi.spec ?? {};
  const nodeSelector = rawSpec.nodeSelector;
  const kernelBoot = kernelBootOf(rawSpec);
  const bootMount = { name: 'kernel-boot', mountPath: KERNEL_BOOT_DIR };
  const dropAll = {
    privileged: false,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  };
  // The user's image need not have a shell or cp: the launcher image's static busybox is copied next
  // to the files first and does the copy there (argv, never a shell line).
  const initContainers = kernelBoot
    ? [
        {
          name: 'kernel-boot-tools',
          image: opts.image,
          imagePullPolicy: opts.imagePullPolicy,
          command: [LAUNCHER_BUSYBOX, 'cp', LAUNCHER_BUSYBOX, `${KERNEL_BOOT_DIR}/.busybox`],
          securityContext: { ...dropAll, runAsUser: 0 },
          volumeMounts: [bootMount],
          // cp's complaint becomes the VMI's failure message.
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
        {
          name: 'kernel-boot',
          image: kernelBoot.image,
          ...(kernelBoot.imagePullPolicy ? { imagePullPolicy: kernelBoot.imagePullPolicy } : {}),
          command: [
            `${KERNEL_BOOT_DIR}/.busybox`,
            'cp',
            kernelBoot.kernelPath,
            ...(kernelBoot.initrdPath !== undefined ? [kernelBoot.initrdPath] : []),
            `${KERNEL_BOOT_DIR}/`,
          ],
          securityContext: { ...dropAll, runAsUser: 0 },
          volumeMounts: [bootMount],
          // cp's complaint becomes the VMI's failure message.
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ]
    : [];
  const stateDir = DEFAULT_STATE_DIR_IN_POD;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: launcherPodName(vmi.metadata.name),
      namespace: vmi.metadata.namespace,
      labels: {
        [VMI_NAME_LABEL]: vmi.metadata.name,
        [VMI_UID_LABEL]: vmi.metadata.uid,
        [LAUNCHER_COMPONENT_LABEL]: 'virtnet-launcher',
        'app.kubernetes.io/part-of': 'virtnet',
      },
      annotations,
      ownerReferences: [
        {
          apiVersion: VMI_API_VERSION,
          kind: VMI_KIND,
          name: vmi.metadata.name,
          uid: vmi.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: graceSeconds(rawSpec),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(typeof rawSpec.hostname === 'string' ? { hostname: rawSpec.hostname } : {}),
      ...(typeof rawSpec.subdomain === 'string' ? { subdomain: rawSpec.subdomain } : {}),
      ...(nodeSelector !== null && typeof nodeSelector === 'object' ? { nodeSelector } : {}),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [
        {
          name: LAUNCHER_CONTAINER,
          image: opts.image,
          imagePullPolicy: opts.imagePullPolicy,
          args: ['kube', 'launcher', '--state-dir', stateDir],
          env: [
            { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
            { name: 'VIRTNET_VMI_NAME', value: vmi.metadata.name },
            { name: 'VIRTNET_VMI_NAMESPACE', value: vmi.metadata.namespace },
            { name: 'VIRTNET_VMI_UID', value: vmi.metadata.uid },
          ],
          resources: {
            requests: {
              memory: `${(spec.memoryMiB ?? DEFAULT_MEMORY_MIB) + LAUNCHER_OVERHEAD_MIB}Mi`,
              ...deviceRequests,
            },
            limits: deviceRequests,
          },
          securityContext: {
            ...dropAll,
            // Root owns the TAPs the node agent made; NET_BIND_SERVICE: DHCP port 67. Nothing else:
            // the agent wires the network from outside.
            runAsUser: 0,
            runAsNonRoot: false,
            capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
          },
          volumeMounts: [
            { name: 'state', mountPath: stateDir, subPathExpr: '$(POD_UID)' },
            { name: 'tun', mountPath: '/dev/net/tun' },
            ...(kernelBoot ? [{ ...bootMount, readOnly: true }] : []),
          ],
          // Every probe is a runtime exec for the VM's whole life: every 2 s keeps that idle cost
          // small and adds at most 2 s to the VMI becoming Running after the guest's ACK.
          readinessProbe: {
            exec: { command: [LAUNCHER_BUSYBOX, 'test', '-f', `${stateDir}/${READY_FILE}`] },
            periodSeconds: 2,
            failureThreshold: 1,
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
      volumes: [
        { name: 'state', hostPath: { path: HOST_POD_STATE_ROOT, type: 'DirectoryOrCreate' } },
        { name: 'tun', hostPath: { path: '/dev/net/tun', type: 'CharDevice' } },
        ...(kernelBoot ? [{ name: 'kernel-boot', emptyDir: {} }] : []),
      ],
    },
  };
}
