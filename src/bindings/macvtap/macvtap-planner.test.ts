// The macvtap planner on hand-written pods: the macvtap step (mode, MAC, MTU), the pod's addresses and
// routes moving to the guest's cloud-init static config, multiqueue, and the issues with their fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG, type InterfaceSpec, type VmSpec } from '../../api/types.js';
import type { DiscoveredInterface, DiscoveredPod } from '../plan-types.js';
import { planVmNetwork } from '../planner.js';
import { nicSpec, oneNicVm, podEth0, podRoutes } from '../../../test/support/planner-inputs.js';
import { macvtapMac, macvtapName } from './macvtap-planner.js';

const iface = (extra: Partial<InterfaceSpec> = {}): InterfaceSpec => nicSpec('macvtap', extra);
const vm = (i: InterfaceSpec = iface(), extra: Partial<VmSpec> = {}): VmSpec => oneNicVm(i, undefined, extra);

/** The pod's eth0 with an IPv6 link-local address and the CNI bridge plugin's routes. */
const eth0 = (extra: Partial<DiscoveredInterface> = {}): DiscoveredInterface =>
  podEth0({
    addresses: [
      { family: 4, address: '10.244.0.5', prefixLength: 24, scope: 'global', flags: [] },
      { family: 6, address: 'fe80::1', prefixLength: 64, scope: 'link', flags: [] },
    ],
    routes: podRoutes('eth0'),
    ...extra,
  });

const pod = (i: DiscoveredInterface = eth0()): DiscoveredPod => ({
  netns: 'p1',
  interfaces: [i],
  dns: { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local'], options: [], source: 'test' },
});

test('macvtap: bridge mode by default, the pod address and routes move to the guest by cloud-init', () => {
  const r = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod());
  assert.ok(r.ok);
  const p = r.plan.interfaces[0]!;
  const mac = macvtapMac('virtnet-macvtap/default/vm1/default');
  assert.deepEqual(p.createdDevices, ['mvt-eth0']);
  assert.deepEqual(
    p.steps.map((s) => s.kind),
    ['route.remove', 'route.remove', 'addr.remove', 'link.create'],
  );
  const create = p.steps.at(-1)!;
  assert.ok(create.kind === 'link.create');
  assert.deepEqual(create.link, { type: 'macvtap', parent: 'eth0', mode: 'bridge' });
  assert.equal(create.mac, mac);
  assert.equal(create.mtuBytes, 1450);
  assert.equal(p.nic.mac, mac);
  assert.deepEqual(p.nic.backend, {
    kind: 'macvtap',
    device: 'mvt-eth0',
    parent: 'eth0',
    mode: 'bridge',
    queues: 1,
  });
  assert.deepEqual(p.nic.guestConfig, {
    kind: 'static',
    config: {
      addresses: ['10.244.0.5/24'],
      gateway4: '10.244.0.1',
      routes: [{ destination: '10.96.0.0/12', gateway: '10.244.0.1' }],
      dnsServers: ['10.96.0.10'],
      searchDomains: ['default.svc.cluster.local'],
    },
  });
  assert.equal(p.dhcp4, undefined);
  assert.ok(p.notes.some((n) => n.code === 'MACVTAP_HOST_ISOLATION'));
});

test('macvtap: modes map to the kernel names, macAddress wins, multiqueue is one queue per vCPU', () => {
  for (const [mode, kernel] of [
    ['vepa', 'vepa'],
    ['private', 'private'],
    ['passthrough', 'passthru'],
  ] as const) {
    const r = planVmNetwork(
      vm(iface({ macvtapMode: mode, macAddress: '02:00:00:aa:bb:cc' }), {
        networkInterfaceMultiqueue: true,
        vcpus: 4,
      }),
      DEFAULT_CLUSTER_CONFIG,
      pod(),
    );
    assert.ok(r.ok, mode);
    const p = r.plan.interfaces[0]!;
    const create = p.steps.at(-1)!;
    assert.ok(create.kind === 'link.create' && create.link.type === 'macvtap');
    assert.equal(create.link.mode, kernel);
    assert.equal(p.nic.mac, '02:00:00:aa:bb:cc');
    assert.deepEqual(p.nic.backend, { kind: 'macvtap', device: 'mvt-eth0', parent: 'eth0', mode, queues: 4 });
  }
  assert.ok(Buffer.byteLength(macvtapName('pod1a2b3c4d5e6')) <= 15);
  assert.notEqual(macvtapName('pod1a2b3c4d5e6'), macvtapName('pod1a2b3c4d5e7'));
});

test('macvtap: no address leaves the NIC to the network; bad pod interfaces and MACs are issues naming the field', () => {
  const bare = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod(eth0({ addresses: [], routes: [] })));
  assert.ok(bare.ok);
  assert.deepEqual(bare.plan.interfaces[0]!.nic.guestConfig, { kind: 'dhcp' });
  assert.deepEqual(
    bare.plan.interfaces[0]!.steps.map((s) => s.kind),
    ['link.create'],
  );
  const cases: [DiscoveredPod, InterfaceSpec, string, string][] = [
    [{ ...pod(), interfaces: [] }, iface(), 'POD_INTERFACE_NOT_FOUND', 'spec.domain.devices.interfaces[0]'],
    [pod(eth0({ master: 'br0' })), iface(), 'POD_INTERFACE_IN_USE', 'spec.domain.devices.interfaces[0]'],
    [pod(eth0({ kind: 'bridge' })), iface(), 'POD_INTERFACE_UNSUITABLE', 'spec.domain.devices.interfaces[0]'],
    [
      pod(eth0()),
      iface({ macAddress: '0a:58:0a:f4:00:05' }),
      'MACVTAP_MAC_COLLISION',
      'spec.domain.devices.interfaces[0].macAddress',
    ],
    [
      { ...pod(), interfaces: [eth0(), { ...eth0(), name: 'mvt-eth0', index: 3, kind: 'macvtap' }] },
      iface(),
      'DEVICE_NAME_TAKEN',
      'spec.domain.devices.interfaces[0]',
    ],
  ];
  for (const [p, i, code, field] of cases) {
    const r = planVmNetwork(vm(i), DEFAULT_CLUSTER_CONFIG, p);
    assert.ok(!r.ok, code);
    assert.deepEqual(
      r.issues.map((x) => [x.code, x.field]),
      [[code, field]],
    );
  }
});
