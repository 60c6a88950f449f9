// Names of pod interfaces. The default network is eth0; secondary networks get KubeVirt's hashed
// names (`pod` + first 11 hex digits of sha256(network name), 14 bytes, within IFNAMSIZ) or Multus'
// ordinal `net1..N`, which virtnet must also recognise in pods created by older tooling.
import { createHash } from 'node:crypto';

export const DEFAULT_POD_IFNAME = 'eth0';

/** KubeVirt's hashed pod interface name for a network: `pod` + sha256(networkName)[:11]. */
export function hashedPodIfname(networkName: string): string {
  return `pod${createHash('sha256').update(networkName).digest('hex').slice(0, 11)}`;
}

/**
 * The tap a `domainAttachmentType: tap` binding plugin's CNI plugin creates for VM interface
 * `ifaceName`: `tap` + sha256(name)[:11], 14 bytes (KubeVirt's tap namescheme shape).
 */
export function pluginTapIfname(ifaceName: string): string {
  return `tap${createHash('sha256').update(ifaceName).digest('hex').slice(0, 11)}`;
}

/** Multus' ordinal name of the `index`-th secondary network (1-based): `net1`, `net2`, … */
export function ordinalPodIfname(index: number): string {
  return `net${index}`;
}

/** True when `ifname` is an ordinal (`netN`) name. */
export function isOrdinalIfname(ifname: string): boolean {
  return /^net[1-9][0-9]*$/.test(ifname);
}
