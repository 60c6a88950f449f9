// Test fixtures for the masquerade binding: a VM spec with one masquerade interface on the pod network,
// and the binding context/pod a planner unit test hands it.
import type { InterfaceSpec, PortSpec, VmSpec } from '../../src/api/types.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import type { BindingContext, DiscoveredInterface, DiscoveredPod } from '../../src/bindings/plan-types.js';

/** One masquerade interface `default` on pod network `default`. */
export function masqueradeVm(name: string, ports: PortSpec[], extra: Partial<InterfaceSpec> = {}): VmSpec {
  return {
    kind: 'VirtualMachineInstance',
    name,
    namespace: 'default',
    networks: [{ name: 'default', source: { kind: 'pod' } }],
    interfaces: [{ name: 'default', binding: 'masquerade', model: 'virtio', ports, state: 'up', ...extra }],
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 1,
  };
}

/** The binding context for interface 0 of `vm` in pod `pod`. */
export function contextFor(vm: VmSpec, pod: DiscoveredPod): BindingContext {
  return {
    vm,
    cluster: DEFAULT_CLUSTER_CONFIG,
    pod,
    interfaceIndex: 0,
    fieldPath: 'spec.domain.devices.interfaces[0]',
  };
}

/** A pod with one interface and a resolver. */
export function podWith(ns: string, iface: DiscoveredInterface): DiscoveredPod {
  return {
    netns: ns,
    interfaces: [iface],
    dns: {
      nameservers: ['10.96.0.10'],
      search: ['default.svc.cluster.local', 'svc.cluster.local'],
      options: [],
      source: 'test',
    },
  };
}
