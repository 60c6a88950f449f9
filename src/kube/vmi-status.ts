// A VirtualMachineInstance's status as its launcher pod shows it: the phase (Pending until the pod
// exists, Scheduling until it has a node, Scheduled while the launcher starts, Running once the pod is
// Ready — the launcher is ready at the guest's DHCP ACK —, Succeeded/Failed with the pod and the
// launcher's termination message), the node, the pod's name, a Ready condition, and per interface the pod interface it is wired to
// with the addresses known so far. Addresses reported by the node side (guest-dhcp, static) win over
// what the pod shows. A pod that is deleted, disappears or fails makes the VMI Failed with the reason.
// Pure.
import type { VmSpec } from '../api/index.js';
import { NETWORK_STATUS_ANNOTATION, podNetworksForVm, type NetworkStatusEntry } from '../cni/index.js';
import type { VmiPhase } from './vmi-crd.js';

export interface VmiCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface VmiInterfaceStatus {
  name: string;
  mac?: string;
  ipAddress?: string;
  ipAddresses?: string[];
  interfaceName?: string;
  infoSource?: string;
}

export interface VmiStatus {
  phase: VmiPhase;
  reason?: string;
  message?: string;
  nodeName?: string;
  launcherPod?: string;
  conditions: VmiCondition[];
  interfaces: VmiInterfaceStatus[];
}

interface ContainerStatusView {
  name: string;
  state?: {
    terminated?: { reason?: string; message?: string; exitCode?: number };
    running?: unknown;
    waiting?: unknown;
  };
  lastState?: { terminated?: unknown };
}

/** The Pod fields read here (a subset of core/v1 Pod). */
export interface PodView {
  metadata: { name: string; annotations?: Record<string, string>; deletionTimestamp?: unknown };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIPs?: { ip: string }[];
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatusView[];
    /** A failed init container (kernelBoot's copy) fails the pod before the launcher starts. */
    initContainerStatuses?: ContainerStatusView[];
  };
}

const NODE_SOURCES = new Set(['guest-dhcp', 'static']);
const TERMINAL: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

function networkStatusOf(pod: PodView): NetworkStatusEntry[] | undefined {
  const raw = pod.metadata.annotations?.[NETWORK_STATUS_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as NetworkStatusEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

function podIps(pod: PodView): string[] {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  return ips.length > 0 ? ips : pod.status?.podIP ? [pod.status.podIP] : [];
}

function podReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function terminationText(pod: PodView): string | undefined {
  const failedInit = pod.status?.initContainerStatuses?.find(
    (c) => (c.state?.terminated?.exitCode ?? 0) !== 0,
  );
  const c = failedInit ?? pod.status?.containerStatuses?.find((x) => x.state?.terminated !== undefined);
  const t = c?.state?.terminated;
  if (!c || !t) return pod.status?.message ?? pod.status?.reason;
  return [
    failedInit ? `init container ${c.name}` : undefined,
    t.reason,
    t.exitCode !== undefined ? `exit code ${t.exitCode}` : undefined,
    t.message,
  ]
    .filter((x) => x !== undefined && x !== '')
    .join(', ');
}

/**
 * A failed pod whose containers never started: the kubelet refused it at admission (a device plugin
 * that was away, resources gone meanwhile). Nothing of the VM ran, so another pod may be tried.
 */
export function rejectedAtAdmission(pod: PodView): boolean {
  if (pod.status?.phase !== 'Failed' || pod.metadata.deletionTimestamp) return false;
  const ran = (c: ContainerStatusView) =>
    c.state?.running !== undefined ||
    c.state?.terminated !== undefined ||
    c.lastState?.terminated !== undefined;
  return ![...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].some(ran);
}

/** The interfaces as the pod shows them, merged with entries the node side already reported. */
function interfaceStatuses(
  spec: VmSpec | undefined,
  pod: PodView | undefined,
  previous: readonly VmiInterfaceStatus[],
): VmiInterfaceStatus[] {
  if (!spec) return [...previous];
  const status = pod ? networkStatusOf(pod) : undefined;
  let mapping: Record<string, string> = {};
  try {
    mapping = podNetworksForVm(spec, status ? { networkStatus: status } : {}).interfaces;
  } catch {
    // A spec admission accepted always maps; an object stored before the webhook existed may not.
  }
  const out: VmiInterfaceStatus[] = [];
  for (const iface of spec.interfaces) {
    if (iface.state === 'absent') continue;
    const reported = previous.find(
      (p) => p.name === iface.name && p.infoSource !== undefined && NODE_SOURCES.has(p.infoSource),
    );
    if (reported) {
      out.push(reported);
      continue;
    }
    const net = spec.networks.find((n) => n.name === iface.name);
    const entry: VmiInterfaceStatus = { name: iface.name };
    const podIfname = mapping[iface.name];
    if (podIfname !== undefined) entry.interfaceName = podIfname;
    if (iface.macAddress !== undefined) entry.mac = iface.macAddress;
    if (pod && net) {
      let ips: string[] = [];
      let source: string | undefined;
      if (net.source.kind === 'pod' || (net.source.kind === 'multus' && net.source.default)) {
        ips = podIps(pod);
        // masquerade: the guest has a private address; the VM is reached through the pod's.
        source = iface.binding === 'masquerade' ? 'masquerade-pod' : 'pod';
      } else {
        const st = status?.find((s) => s.interface === podIfname);
        if (st) {
          ips = st.ips ?? [];
          if (entry.mac === undefined && st.mac) entry.mac = st.mac;
          source = 'multus-status';
        }
      }
      if (ips.length > 0) {
        entry.ipAddress = ips[0]!;
        entry.ipAddresses = ips;
        entry.infoSource = source!;
      }
    }
    out.push(entry);
  }
  return out;
}

function phaseOf(
  pod: PodView | undefined,
  previous: Partial<VmiStatus>,
): Pick<VmiStatus, 'phase' | 'reason' | 'message'> {
  if (!pod) {
    if (previous.launcherPod)
      return {
        phase: 'Failed',
        reason: 'LauncherPodDisappeared',
        message: `launcher pod ${previous.launcherPod} was deleted`,
      };
    return { phase: 'Pending', reason: 'LauncherPodNotCreated' };
  }
  // Deleted by someone else while the VMI lives (the controller only deletes it for a deleted VMI): its
  // launcher will exit cleanly on SIGTERM, which must not read as the VM having finished.
  if (pod.metadata.deletionTimestamp)
    return {
      phase: 'Failed',
      reason: 'LauncherPodDeleted',
      message: `launcher pod ${pod.metadata.name} was deleted`,
    };
  switch (pod.status?.phase) {
    case 'Succeeded':
      return { phase: 'Succeeded', reason: 'LauncherPodSucceeded' };
    case 'Failed': {
      const why = terminationText(pod);
      return { phase: 'Failed', reason: 'LauncherPodFailed', ...(why ? { message: why } : {}) };
    }
    case 'Running':
      // The launcher's readiness follows the guest's DHCP ACK: a Ready pod is a running VM. Once
      // Running, the VMI stays so while its pod runs (the launcher drops readiness while stopping).
      if (previous.phase === 'Running' || podReady(pod)) return { phase: 'Running' };
      return { phase: 'Scheduled', reason: 'LauncherPodRunning' };
    default: {
      if (!pod.spec?.nodeName) {
        const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
        return {
          phase: 'Scheduling',
          reason: c?.reason ?? 'WaitingForScheduler',
          ...(c?.message ? { message: c.message } : {}),
        };
      }
      return { phase: 'Scheduled', reason: 'LauncherPodStarting' };
    }
  }
}

/** The status to store, given the current one, the VMI's validated spec and its launcher pod (if any). */
export function computeVmiStatus(
  previous: Partial<VmiStatus> | undefined,
  spec: VmSpec | undefined,
  pod: PodView | undefined,
  now: Date,
): VmiStatus {
  const prev = previous ?? {};
  // Terminal phases stay: a VMI is not restarted, and its pod's later deletion is expected.
  if (prev.phase !== undefined && TERMINAL.has(prev.phase)) {
    return {
      phase: prev.phase,
      ...(prev.reason ? { reason: prev.reason } : {}),
      ...(prev.message ? { message: prev.message } : {}),
      ...(prev.nodeName ? { nodeName: prev.nodeName } : {}),
      ...(prev.launcherPod ? { launcherPod: prev.launcherPod } : {}),
      conditions: prev.conditions ?? [],
      interfaces: prev.interfaces ?? [],
    };
  }
  const phase = phaseOf(pod, prev);
  const nodeName = pod?.spec?.nodeName ?? prev.nodeName;
  const launcherPod = pod?.metadata.name ?? prev.launcherPod;
  const ready = phase.phase === 'Running';
  const readyCondition: VmiCondition = {
    type: 'Ready',
    status: ready ? 'True' : 'False',
    reason: ready ? 'VMRunning' : (phase.reason ?? phase.phase),
  };
  if (phase.message !== undefined) readyCondition.message = phase.message;
  const old = prev.conditions?.find((c) => c.type === 'Ready');
  readyCondition.lastTransitionTime =
    old && old.status === readyCondition.status && old.lastTransitionTime
      ? old.lastTransitionTime
      : now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    ...phase,
    ...(nodeName ? { nodeName } : {}),
    ...(launcherPod ? { launcherPod } : {}),
    conditions: [readyCondition, ...(prev.conditions ?? []).filter((c) => c.type !== 'Ready')],
    interfaces: interfaceStatuses(spec, pod, prev.interfaces ?? []),
  };
}
