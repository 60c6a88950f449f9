// The per-pod state dirs on a Kubernetes node: one directory per launcher pod, named by the pod's uid,
// that the node agent writes on the host and the launcher container sees as its own state dir (a
// hostPath volume mounted with `subPathExpr: $(POD_UID)`). Inside, the usual state-dir layout
// (vms/<vm>/network.json, dhcp4.json...) plus the hand-off files between the two, each written
// atomically (temporary file + rename):
//   vmi.json               agent → launcher  the VMI (apiVersion, kind, metadata, spec), before the network phase
//   network-ready.json     agent → launcher  {vm, netns, at}, written last once the network phase applied
//   network-failed.json    agent → launcher  {reason, message}, instead of network-ready (rolled back)
//   guest.json             launcher → agent  the guest's interfaces as its DHCP ACKs showed them
//   ready                  launcher          exists once the guest is ACKed (the pod's readiness probe)
import { join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import { DEFAULT_STATE_DIR } from './state-dir.js';

/** Where the pod dirs live on the host (under the node's state dir). */
export const KUBE_PODS_DIR = join(DEFAULT_STATE_DIR, 'k8s', 'pods');
/** Where the launcher container mounts its pod's dir. */
export const LAUNCHER_STATE_DIR = '/var/run/virtnet';

export const POD_FILES = {
  vmi: 'vmi.json',
  networkReady: 'network-ready.json',
  networkFailed: 'network-failed.json',
  guest: 'guest.json',
  ready: 'ready',
} as const;

const POD_UID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a pod uid as the apiserver makes them (a lower-case UUID): safe as a path component. */
export function isPodUid(uid: string): boolean {
  return POD_UID_RE.test(uid);
}

/** `<podsDir>/<uid>`; the uid is checked before it becomes a path. */
export function kubePodStateDir(uid: string, podsDir: string = KUBE_PODS_DIR): string {
  if (!isPodUid(uid))
    throw new VirtnetError('INVALID_POD_UID', `invalid pod uid ${JSON.stringify(uid)}`, {
      field: 'metadata.uid',
    });
  return join(podsDir, uid);
}

/** network-ready.json */
export interface NetworkReadyFile {
  vm: string;
  netns: string;
  at: string;
}

/** network-failed.json */
export interface NetworkFailedFile {
  reason: string;
  message: string;
}

/** One interface of guest.json. */
export interface GuestInterfaceFile {
  name: string;
  mac: string;
  ipAddress?: string;
  ipAddresses?: string[];
  ackedAt?: string;
}

/** guest.json */
export interface GuestFile {
  interfaces: GuestInterfaceFile[];
}
