// Hand-written normalised VmSpecs for the bridge tests.
import type { InterfaceSpec, NetworkSpec, VmSpec } from '../../src/api/types.js';

/** A bridge interface spec. */
export function bridgeIface(name: string, extra: Partial<InterfaceSpec> = {}): InterfaceSpec {
  return { name, binding: 'bridge', model: 'virtio', ports: [], state: 'up', ...extra };
}

/** A VM with the given interfaces/networks (pod network `default` by default). */
export function vmSpec(extra: Partial<VmSpec> = {}): VmSpec {
  const networks: NetworkSpec[] = [{ name: 'default', source: { kind: 'pod' } }];
  return {
    kind: 'VirtualMachineInstance',
    name: 'vm1',
    namespace: 'default',
    networks,
    interfaces: [bridgeIface('default')],
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 1,
    ...extra,
  };
}
