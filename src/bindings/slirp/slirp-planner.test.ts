// The slirp planner on a hand-written pod: QEMU user netdev from vmNetworkCIDR, exactly the declared
// ports as hostfwd, pod search domains, the ICMP note, and the issues with their spec fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_CLUSTER_CONFIG,
  type InterfaceSpec,
  type NetworkSpec,
  type VmSpec,
} from '../../api/types.js';
import type { DiscoveredPod } from '../plan-types.js';
import { planVmNetwork } from '../planner.js';
import { networkSpec, nicSpec, oneNicVm, podEth0 } from '../../../test/support/planner-inputs.js';
import { slirpMac, slirpNetwork } from './slirp-planner.js';

const iface = (extra: Partial<InterfaceSpec> = {}): InterfaceSpec => nicSpec('slirp', extra);
const vm = (i: InterfaceSpec = iface(), network?: NetworkSpec): VmSpec => oneNicVm(i, network);

const pod: DiscoveredPod = {
  netns: 'p1',
  interfaces: [podEth0()],
  dns: {
    nameservers: ['10.96.0.10'],
    search: ['default.svc.cluster.local', 'bad domain'],
    options: [],
    source: 'test',
  },
};

test('slirp: user netdev on the default 10.0.2.0/24, pod search domains, no steps, no DHCP from virtnet, ICMP note', () => {
  const r = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod);
  assert.ok(r.ok);
  const p = r.plan.interfaces[0]!;
  assert.equal(p.binding, 'slirp');
  assert.deepEqual(p.steps, []);
  assert.deepEqual(p.createdDevices, []);
  assert.equal(p.dhcp4, undefined);
  assert.deepEqual(p.nic.backend, {
    kind: 'user',
    netCidr: '10.0.2.0/24',
    dnsSearch: ['default.svc.cluster.local'],
    hostfwd: [],
  });
  assert.deepEqual(p.nic.guestConfig, { kind: 'dhcp' });
  assert.ok(p.notes.some((n) => n.code === 'SLIRP_NO_ICMP'));
  assert.ok(p.notes.some((n) => n.code === 'SLIRP_NO_INBOUND'));
  assert.equal(p.nic.mac, slirpMac('default/vm1/default'));
  assert.match(p.nic.mac, /^02(:[0-9a-f]{2}){5}$/);
});

test('slirp: hostfwd for exactly the declared ports (TCP and UDP), net from vmNetworkCIDR', () => {
  const ports = [
    { port: 80, protocol: 'TCP' as const },
    { port: 53, protocol: 'UDP' as const },
  ];
  const r = planVmNetwork(
    vm(
      iface({ ports, macAddress: '02:aa:bb:cc:dd:ee' }),
      networkSpec({ kind: 'pod', vmNetworkCIDR: '10.11.7.9/24' }),
    ),
    DEFAULT_CLUSTER_CONFIG,
    pod,
  );
  assert.ok(r.ok);
  const nic = r.plan.interfaces[0]!.nic;
  assert.equal(nic.mac, '02:aa:bb:cc:dd:ee');
  assert.ok(nic.backend.kind === 'user');
  assert.equal(nic.backend.netCidr, '10.11.7.0/24');
  assert.deepEqual(nic.backend.hostfwd, [
    { port: 80, protocol: 'TCP' },
    { port: 53, protocol: 'UDP' },
  ]);
});

test('slirp: bad vmNetworkCIDR and non-pod networks are issues naming the field', () => {
  for (const cidr of ['10.0.2.0/30', 'fd00::/64', '300.0.0.0/24', '10.0.2.0']) {
    const r = planVmNetwork(
      vm(iface(), networkSpec({ kind: 'pod', vmNetworkCIDR: cidr })),
      DEFAULT_CLUSTER_CONFIG,
      pod,
    );
    assert.ok(!r.ok, cidr);
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.field]),
      [['INVALID_VM_NETWORK_CIDR', 'spec.networks[0].pod.vmNetworkCIDR']],
    );
  }
  const multus = planVmNetwork(
    vm(iface(), { name: 'default', source: { kind: 'multus', networkName: 'red', default: false } }),
    DEFAULT_CLUSTER_CONFIG,
    pod,
  );
  assert.ok(!multus.ok);
  assert.equal(multus.issues[0]!.code, 'SLIRP_NOT_POD_NETWORK');
  assert.equal(multus.issues[0]!.field, 'spec.domain.devices.interfaces[0].slirp');
  assert.deepEqual(slirpNetwork('192.168.100.77/16'), '192.168.0.0/16');
});
