// KubeVirt feature gates that decide whether a network field is accepted, and how the cluster
// configuration turns them on: an Alpha gate only when listed in featureGates, a Beta gate unless
// listed in disabledFeatureGates (an explicit enable wins), as KubeVirt's virt-config does. Pure.
import type { ClusterConfig } from './types.js';

/** The gates network validation consults, with their KubeVirt state. */
export const NETWORK_FEATURE_GATES = {
  /** `interfaces[].portRanges`. */
  PortRangesSpec: 'Alpha',
  /** `networks[].resourceClaim`. */
  NetworkDevicesWithDRA: 'Alpha',
  /** `interfaces[].passtBinding`. */
  PasstBinding: 'Beta',
} as const;

export type NetworkFeatureGate = keyof typeof NETWORK_FEATURE_GATES;

/** True when `gate` is on in `cluster`. */
export function gateEnabled(cluster: ClusterConfig, gate: NetworkFeatureGate): boolean {
  if (cluster.featureGates.includes(gate)) return true;
  if (cluster.disabledFeatureGates.includes(gate)) return false;
  return NETWORK_FEATURE_GATES[gate] === 'Beta';
}
