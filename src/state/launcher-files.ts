// The files through which the node agent and a VM's launcher hand work to each other, in the pod's
// state dir (the agent's `<host dir>/<pod uid>/`, the launcher's `/var/run/virtnet`). The agent writes
// the VMI, runs the network phase into the same dir, and writes network-ready (or network-failed)
// last; the launcher waits for one of the two, boots the VM, and reports the guest's leases and its
// readiness back. Every file is written whole (temporary file + rename).
import { join } from 'node:path';

/** The VMI object as read from the API: apiVersion, kind, metadata, spec. */
export const VMI_FILE = 'vmi.json';
/** Written last by the agent once the pod's network phase is applied. */
export const NETWORK_READY_FILE = 'network-ready.json';
/** Written by the agent instead of network-ready when the network phase failed (and was rolled back). */
export const NETWORK_FAILED_FILE = 'network-failed.json';
/** Rewritten by the launcher on every DHCPv4 ACK the guest gets. */
export const GUEST_FILE = 'guest.json';
/** Created by the launcher once every interface with a DHCPv4 lease was ACKed (the pod's readiness). */
export const READY_FILE = 'ready';

/** Content of network-ready.json. */
export interface NetworkReady {
  vm: string;
  netns: string;
  at: string;
}

/** Content of network-failed.json. */
export interface NetworkFailed {
  reason: string;
  message: string;
}

/** One guest interface as the launcher saw its DHCPv4 ACK. */
export interface GuestInterfaceReport {
  /** The interface's name in spec.domain.devices.interfaces. */
  name: string;
  mac: string;
  ipAddress: string;
  ipAddresses: string[];
  ackedAt: string;
}

/** Content of guest.json. */
export interface GuestReport {
  interfaces: GuestInterfaceReport[];
}

/** The handoff files' paths in `stateDir`. */
export function launcherFiles(stateDir: string): {
  vmi: string;
  networkReady: string;
  networkFailed: string;
  guest: string;
  ready: string;
} {
  return {
    vmi: join(stateDir, VMI_FILE),
    networkReady: join(stateDir, NETWORK_READY_FILE),
    networkFailed: join(stateDir, NETWORK_FAILED_FILE),
    guest: join(stateDir, GUEST_FILE),
    ready: join(stateDir, READY_FILE),
  };
}

/** The launcher container's view of the pod's state dir. */
export const DEFAULT_STATE_DIR_IN_POD = '/var/run/virtnet';

/** The node's directory of per-pod state dirs (`<root>/<pod uid>/`), mounted into each launcher pod. */
export const HOST_POD_STATE_ROOT = '/var/lib/virtnet/k8s/pods';

/** The pod's state dir on the node. */
export function hostPodStateDir(podUid: string, root: string = HOST_POD_STATE_ROOT): string {
  if (!/^[0-9a-f-]{1,64}$/i.test(podUid)) throw new Error(`invalid pod uid ${JSON.stringify(podUid)}`);
  return join(root, podUid);
}
