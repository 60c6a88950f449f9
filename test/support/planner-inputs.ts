// Hand-written inputs for the binding planners' unit tests: a normalised VM spec with one interface,
// and the pod's eth0 as discovery reports it (a CNI bridge plugin veth with 10.244.0.5/24).
import type { BindingKind, InterfaceSpec, NetworkSource, NetworkSpec, VmSpec } from '../../src/api/types.js';
import type { DiscoveredInterface, DiscoveredRoute } from '../../src/bindings/plan-types.js';

/** Interface `default` with `binding`: virtio, up, no ports. */
export function nicSpec(binding: BindingKind, extra: Partial<InterfaceSpec> = {}): InterfaceSpec {
  return { name: 'default', binding, model: 'virtio', ports: [], state: 'up', ...extra };
}

/** Network `default` with `source`, the pod network unless told. */
export function networkSpec(source: NetworkSource = { kind: 'pod' }): NetworkSpec {
  return { name: 'default', source };
}

/** VMI `vm1` in namespace `default`, one vCPU, with one interface on one network. */
export function oneNicVm(
  nic: InterfaceSpec,
  network: NetworkSpec = networkSpec(),
  extra: Partial<VmSpec> = {},
): VmSpec {
  return {
    kind: 'VirtualMachineInstance',
    name: 'vm1',
    namespace: 'default',
    networks: [network],
    interfaces: [nic],
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 1,
    ...extra,
  };
}

/** The pod's `eth0`: veth, up, MTU 1450, 10.244.0.5/24, no routes. */
export function podEth0(extra: Partial<DiscoveredInterface> = {}): DiscoveredInterface {
  return {
    name: 'eth0',
    index: 2,
    kind: 'veth',
    mac: '0a:58:0a:f4:00:05',
    mtuBytes: 1450,
    up: true,
    addresses: [{ family: 4, address: '10.244.0.5', prefixLength: 24, scope: 'global', flags: [] }],
    routes: [],
    ...extra,
  };
}

/** The routes the CNI bridge plugin leaves on `device`: default and 10.96.0.0/12 via 10.244.0.1, the subnet. */
export function podRoutes(device: string): DiscoveredRoute[] {
  return [
    {
      family: 4,
      destination: '0.0.0.0/0',
      gateway: '10.244.0.1',
      device,
      protocol: 'boot',
      scope: 'global',
      flags: [],
    },
    {
      family: 4,
      destination: '10.244.0.0/24',
      device,
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '10.244.0.5',
      flags: [],
    },
    {
      family: 4,
      destination: '10.96.0.0/12',
      gateway: '10.244.0.1',
      device,
      protocol: 'boot',
      scope: 'global',
      flags: [],
    },
  ];
}
