// Deterministic device names of the bridge binding, all ≤ 15 bytes (IFNAMSIZ), following KubeVirt's
// namescheme so they read familiar:
//   pod interface      bridge            TAP
//   eth0               k6t-eth0          tap0        (ethN → tapN)
//   pod1a2b3c4d5e6     k6t-1a2b3c4d5e6   tap1a2b3c4d5e6  (hashed Multus name: the 11 hex digits)
//   net1               k6t-net1          tapnet1
//   anything longer    k6t-<11 hex of sha256(podif)>   tap<same 11 hex>
// The server address on the bridge is link-local 169.254.75.(10+i)/32, i = the interface's position in
// the VM spec, so several bridges of one VM never share one (KubeVirt uses the same /32 range).
import { createHash } from 'node:crypto';

const IFNAMSIZ_MAX = 15;
const HASHED_RE = /^pod([0-9a-f]{11})$/;
const ETH_RE = /^eth(\d+)$/;

function hash11(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 11);
}

function fit(prefix: string, suffix: string, podInterface: string): string {
  const name = `${prefix}${suffix}`;
  return Buffer.byteLength(name) <= IFNAMSIZ_MAX ? name : `${prefix}${hash11(podInterface)}`;
}

/** The in-pod bridge of a pod interface: `k6t-eth0`, `k6t-<hash>`. */
export function bridgeName(podInterface: string): string {
  const hashed = HASHED_RE.exec(podInterface)?.[1];
  return fit('k6t-', hashed ?? podInterface, podInterface);
}

/** The VM's TAP of a pod interface: `tap0` for eth0, `tap<hash>` for hashed names. */
export function tapName(podInterface: string): string {
  const suffix = HASHED_RE.exec(podInterface)?.[1] ?? ETH_RE.exec(podInterface)?.[1] ?? podInterface;
  return fit('tap', suffix, podInterface);
}

/** The DHCP server identifier address on the bridge of the `interfaceIndex`-th VM interface. */
export function serverAddress(interfaceIndex: number): string {
  return `169.254.75.${10 + interfaceIndex}`;
}

/**
 * The MAC the pod interface takes when it hands its own to the VM: locally administered, unicast,
 * derived from the original so re-planning gives the same answer.
 */
export function handoverMac(originalMac: string, podInterface: string): string {
  const bytes = createHash('sha256')
    .update(`virtnet-handover/${podInterface}/${originalMac}`)
    .digest()
    .subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
