import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InterfaceSpec, NetworkSpec, VmSpec } from '../api/types.js';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { parseNetworksAnnotation } from './multus-annotation.js';
import { podNetworksForVm } from './vm-networks.js';

function vm(networks: NetworkSpec[], interfaces: Partial<InterfaceSpec>[] = []): VmSpec {
  return {
    kind: 'VirtualMachineInstance',
    name: 'vm1',
    namespace: 'ns1',
    networks,
    interfaces: interfaces.map((i) => ({
      name: 'x',
      binding: 'bridge',
      model: 'virtio',
      ports: [],
      state: 'up',
      ...i,
    })),
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 1,
  };
}

test('pod + Multus secondaries: eth0 and hashed names, annotation with namespace and MAC', () => {
  const out = podNetworksForVm(
    vm(
      [
        { name: 'default', source: { kind: 'pod' } },
        { name: 'blue', source: { kind: 'multus', networkName: 'ovs-vlan-100', default: false } },
        { name: 'red', source: { kind: 'multus', networkName: 'other/red-net', default: false } },
      ],
      [{ name: 'blue', macAddress: '02:00:00:00:00:0b' }],
    ),
  );
  assert.deepEqual(out.interfaces, { default: 'eth0', blue: 'pod16477688c0e', red: 'podb1f51a511f1' });
  assert.deepEqual(parseNetworksAnnotation(out.networks!), [
    { name: 'ovs-vlan-100', namespace: 'ns1', interface: 'pod16477688c0e', mac: '02:00:00:00:00:0b' },
    { name: 'red-net', namespace: 'other', interface: 'podb1f51a511f1' },
  ]);
  assert.equal(out.defaultNetwork, undefined);
  assert.equal(out.genie, undefined);
});

test('Multus default network goes to eth0 through the default-network override', () => {
  const out = podNetworksForVm(
    vm([{ name: 'test1', source: { kind: 'multus', networkName: 'macvlan-test', default: true } }]),
  );
  assert.deepEqual(out.interfaces, { test1: 'eth0' });
  assert.equal(out.defaultNetwork, 'macvlan-test');
  assert.equal(out.networks, undefined);
});

test('ordinal net1..N names are read from an existing network-status', () => {
  const spec = vm([
    { name: 'default', source: { kind: 'pod' } },
    { name: 'blue', source: { kind: 'multus', networkName: 'b', default: false } },
    { name: 'red', source: { kind: 'multus', networkName: 'r', default: false } },
  ]);
  const status = [
    { name: 'def', interface: 'eth0' },
    { name: 'ns1/b', interface: 'net1' },
    { name: 'ns1/r', interface: 'net2' },
  ];
  assert.deepEqual(podNetworksForVm(spec, { networkStatus: status }).interfaces, {
    default: 'eth0',
    blue: 'net1',
    red: 'net2',
  });
});

test('Genie networks: list in order, eth0, eth1', () => {
  const out = podNetworksForVm(
    vm([
      { name: 'default', source: { kind: 'genie', networkName: 'flannel' } },
      { name: 'ovs-net', source: { kind: 'genie', networkName: 'ovs' } },
    ]),
  );
  assert.equal(out.genie, 'flannel,ovs');
  assert.deepEqual(out.interfaces, { default: 'eth0', 'ovs-net': 'eth1' });
});

test('conflicts name the network field', () => {
  assert.throws(
    () =>
      podNetworksForVm(
        vm([
          { name: 'a', source: { kind: 'pod' } },
          { name: 'b', source: { kind: 'multus', networkName: 'x', default: true } },
        ]),
      ),
    (e) => isVirtnetError(e, 'VM_NETWORKS_CONFLICT') && e.detail.field === 'spec.networks[1]',
  );
  assert.throws(
    () =>
      podNetworksForVm(
        vm([
          { name: 'a', source: { kind: 'multus', networkName: 'x', default: false } },
          { name: 'b', source: { kind: 'genie', networkName: 'g' } },
        ]),
      ),
    (e) => isVirtnetError(e, 'VM_NETWORKS_CONFLICT') && e.detail.field === 'spec.networks[1]',
  );
});

test('a tap binding plugin adds its NetworkAttachmentDefinition as one more network whose interface is the tap', () => {
  const spec = vm(
    [{ name: 'default', source: { kind: 'pod' } }],
    [{ name: 'default', binding: 'plugin', bindingPlugin: 'tapper' }],
  );
  const registered = {
    tapper: { domainAttachmentType: 'tap', networkAttachmentDefinition: 'plugins/tapper' },
  };
  const out = podNetworksForVm(spec, { bindingPlugins: registered });
  assert.deepEqual(Object.keys(out.pluginTaps), ['default']);
  assert.match(out.pluginTaps.default!, /^tap[0-9a-f]{11}$/);
  assert.deepEqual(parseNetworksAnnotation(out.networks!), [
    {
      name: 'tapper',
      namespace: 'plugins',
      interface: out.pluginTaps.default,
      cniArgs: { logicNetworkName: 'default' },
    },
  ]);
  assert.deepEqual(podNetworksForVm(spec).pluginTaps, {}, 'not registered: nothing asked for');
  assert.deepEqual(
    podNetworksForVm(spec, { bindingPlugins: { tapper: { sidecarImage: 'x' } } }).pluginTaps,
    {},
    'not a tap plugin',
  );
});
