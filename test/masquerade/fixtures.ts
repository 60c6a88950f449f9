// Test fixtures for the masquerade binding: a VM spec with one masquerade interface on the pod network,
// and a discovered pod built from what `ip -j addr` reports in a test namespace.
import type { InterfaceSpec, PortSpec, VmSpec } from '../../src/api/types.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import type { BindingContext, DiscoveredInterface, DiscoveredPod } from '../../src/bindings/plan-types.js';
import { runProgram } from '../../src/exec/run-program.js';

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

/** A pod interface as discovery reports it (only the fields masquerade reads are filled from the kernel). */
export async function discoverInterface(ns: string, dev: string): Promise<DiscoveredInterface> {
  const { stdout } = await runProgram(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', dev], { timeoutMs: 10_000 });
  const [link] = JSON.parse(stdout) as {
    ifindex: number;
    address: string;
    mtu: number;
    addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  return {
    name: dev,
    index: link!.ifindex,
    kind: 'veth',
    mac: link!.address,
    mtuBytes: link!.mtu,
    up: true,
    addresses: link!.addr_info.map((a) => ({
      family: a.family === 'inet' ? 4 : 6,
      address: a.local,
      prefixLength: a.prefixlen,
      scope: a.scope,
      flags: [],
    })),
    routes: [],
  };
}

/** The binding context for interface 0 of `vm` in pod `pod`. */
export function contextFor(vm: VmSpec, pod: DiscoveredPod): BindingContext {
  return { vm, cluster: DEFAULT_CLUSTER_CONFIG, pod, interfaceIndex: 0, fieldPath: 'spec.domain.devices.interfaces[0]' };
}

/** A pod with one interface and a resolver. */
export function podWith(ns: string, iface: DiscoveredInterface): DiscoveredPod {
  return { netns: ns, interfaces: [iface], dns: { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local'], options: [], source: 'test' } };
}
