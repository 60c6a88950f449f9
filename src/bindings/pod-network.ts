// What the planners that need the pod network or a pod interface check first, with one error each
// naming the field at fault. Pure.
import type { InterfaceSpec, NetworkSource, NetworkSpec } from '../api/types.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import type { DiscoveredInterface } from './plan-types.js';

export type PodNetworkSource = Extract<NetworkSource, { kind: 'pod' }>;

/** The pod network's source; throws <BINDING>_NOT_POD_NETWORK for any other network. */
export function podNetworkSource(
  iface: InterfaceSpec,
  network: NetworkSpec,
  binding: 'masquerade' | 'passt' | 'slirp',
  field: string,
): PodNetworkSource {
  if (network.source.kind === 'pod') return network.source;
  throw new VirtnetError(
    `${binding.toUpperCase()}_NOT_POD_NETWORK`,
    `interface ${iface.name}: ${binding} is only allowed to connect to the pod network`,
    { field: `${field}.${binding}` },
  );
}

/** The pod's interface for `network`; throws POD_INTERFACE_NOT_FOUND (at `field`) when it has none. */
export function podInterfaceFor(
  iface: InterfaceSpec,
  network: NetworkSpec,
  pod: DiscoveredInterface | undefined,
  field: string,
): DiscoveredInterface {
  if (pod) return pod;
  throw new VirtnetError(
    'POD_INTERFACE_NOT_FOUND',
    `interface ${iface.name}: the pod has no interface for network ${network.name}`,
    { field },
  );
}
