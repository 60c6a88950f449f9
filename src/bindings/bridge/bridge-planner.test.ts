// The bridge planner on hand-written pods: names, IP/MAC/MTU delegation, routes → router + option 121,
// multiqueue, pure L2, IPv6 note, and the issues it reports with their spec fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_CLUSTER_CONFIG,
  type InterfaceSpec,
  type NetworkSpec,
  type VmSpec,
} from '../../api/types.js';
import type { DiscoveredInterface, DiscoveredPod } from '../plan-types.js';
import { planVmNetwork } from '../planner.js';
import { nicSpec, oneNicVm, podEth0, podRoutes } from '../../../test/support/planner-inputs.js';
import { bridgeName, handoverMac, tapName } from './bridge-names.js';

const iface = (name: string, extra: Partial<InterfaceSpec> = {}): InterfaceSpec =>
  nicSpec('bridge', { name, ...extra });
const vm = (extra: Partial<VmSpec> = {}): VmSpec => oneNicVm(iface('default'), undefined, extra);
/** Pod interface `name` (10.244.0.5/24) with the CNI bridge plugin's routes. */
const podIf = (name: string, extra: Partial<DiscoveredInterface> = {}): DiscoveredInterface =>
  podEth0({ name, routes: podRoutes(name), ...extra });

function pod(interfaces: DiscoveredInterface[]): DiscoveredPod {
  return {
    netns: 'p1',
    interfaces,
    dns: {
      nameservers: ['10.96.0.10', 'fd00::10'],
      search: ['default.svc.cluster.local', 'svc.cluster.local'],
      options: ['ndots:5'],
      source: 'test',
    },
    sysctls: { 'net/ipv4/conf/all/arp_ignore': '0' },
  };
}

test('names are deterministic, KubeVirt-like and within IFNAMSIZ', () => {
  assert.equal(bridgeName('eth0'), 'k6t-eth0');
  assert.equal(tapName('eth0'), 'tap0');
  assert.equal(bridgeName('pod1a2b3c4d5e6'), 'k6t-1a2b3c4d5e6');
  assert.equal(tapName('pod1a2b3c4d5e6'), 'tap1a2b3c4d5e6');
  assert.equal(bridgeName('net1'), 'k6t-net1');
  for (const n of ['a-very-long-if0', 'eth1234567890', 'pod1a2b3c4d5e6', 'net12']) {
    assert.ok(Buffer.byteLength(bridgeName(n)) <= 15 && Buffer.byteLength(tapName(n)) <= 15, n);
  }
  assert.notEqual(bridgeName('a-very-long-if0'), bridgeName('a-very-long-if1'));
  const mac = handoverMac('0a:58:0a:f4:00:05', 'eth0');
  assert.match(mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'locally administered unicast');
  assert.equal(mac, handoverMac('0a:58:0a:f4:00:05', 'eth0'));
});

test('bridge plan: IP, routes, DNS, MTU and MAC move to the VM', () => {
  const r = planVmNetwork(vm({ hostname: 'h1' }), DEFAULT_CLUSTER_CONFIG, pod([podIf('eth0')]));
  assert.ok(r.ok);
  const p = r.plan.interfaces[0]!;
  assert.equal(p.podInterface, 'eth0');
  assert.deepEqual(p.createdDevices, ['k6t-eth0', 'tap0']);
  assert.equal(p.nic.mac, '0a:58:0a:f4:00:05');
  assert.equal(p.nic.mtuBytes, 1450);
  assert.deepEqual(p.nic.backend, { kind: 'tap', tapName: 'tap0', queues: 1 });
  const lease = p.dhcp4!;
  assert.equal(lease.address, '10.244.0.5');
  assert.equal(lease.prefixLength, 24);
  assert.deepEqual(lease.routers, ['10.244.0.1']);
  assert.deepEqual(lease.classlessRoutes, [
    { destination: '10.96.0.0/12', gateway: '10.244.0.1' },
    { destination: '0.0.0.0/0', gateway: '10.244.0.1' },
  ]);
  assert.deepEqual(lease.dnsServers, ['10.96.0.10']);
  assert.deepEqual(lease.searchDomains, ['default.svc.cluster.local', 'svc.cluster.local']);
  assert.equal(lease.hostname, 'h1');
  assert.equal(lease.mtuBytes, 1450);
  assert.equal(lease.serverAddress, '169.254.75.10');
  const kinds = p.steps.map((s) => `${s.kind}:${s.id}`);
  assert.deepEqual(kinds, [
    'link.create:eth0/bridge',
    'link.create:eth0/tap',
    'route.remove:eth0/route/main/0.0.0.0/0/0',
    'route.remove:eth0/route/main/10.96.0.0/12/0',
    'addr.remove:eth0/addr/10.244.0.5/24',
    'link.set:eth0/link',
    'addr.add:eth0/server-address',
    'sysctl.set:arp-ignore-all',
    'nft.ruleset:eth0/dhcp-guard',
  ]);
  const handover = p.steps.find((s) => s.kind === 'link.set');
  assert.ok(
    handover?.kind === 'link.set' &&
      handover.mac === handoverMac('0a:58:0a:f4:00:05', 'eth0') &&
      handover.master === 'k6t-eth0',
  );
});

test('custom MAC: the pod interface keeps its own; multiqueue is one queue per vCPU capped at 256', () => {
  const r = planVmNetwork(
    vm({
      interfaces: [iface('default', { macAddress: 'de:ad:00:00:be:af' })],
      networkInterfaceMultiqueue: true,
      vcpus: 300,
    }),
    DEFAULT_CLUSTER_CONFIG,
    pod([podIf('eth0')]),
  );
  assert.ok(r.ok);
  const p = r.plan.interfaces[0]!;
  assert.equal(p.nic.mac, 'de:ad:00:00:be:af');
  const set = p.steps.find((s) => s.kind === 'link.set');
  assert.ok(set?.kind === 'link.set' && set.mac === undefined);
  assert.deepEqual(p.nic.backend, { kind: 'tap', tapName: 'tap0', queues: 256 });
  const e1000 = planVmNetwork(
    vm({ interfaces: [iface('default', { model: 'e1000' })], networkInterfaceMultiqueue: true, vcpus: 4 }),
    DEFAULT_CLUSTER_CONFIG,
    pod([podIf('eth0')]),
  );
  assert.ok(e1000.ok);
  assert.deepEqual(
    e1000.plan.interfaces[0]!.nic.backend,
    { kind: 'tap', tapName: 'tap0', queues: 1 },
    'multiqueue is virtio only',
  );
});

test('no IPv4: pure L2 without DHCPv4; IPv6 is delegated by DHCPv6 + RA, the pod forwarding for the VM', () => {
  const route = {
    family: 6 as const,
    destination: '::/0',
    gateway: 'fd00::1',
    device: 'eth0',
    metric: 1024,
    protocol: 'boot',
    flags: [],
  };
  const r = planVmNetwork(
    vm(),
    DEFAULT_CLUSTER_CONFIG,
    pod([
      podIf('eth0', {
        addresses: [{ family: 6, address: 'fd00::5', prefixLength: 64, scope: 'global', flags: [] }],
        routes: [
          route,
          { family: 6, destination: 'fd00::/64', device: 'eth0', protocol: 'kernel', metric: 256, flags: [] },
        ],
      }),
    ]),
  );
  assert.ok(r.ok);
  const p = r.plan.interfaces[0]!;
  assert.equal(p.dhcp4, undefined);
  assert.deepEqual(p.notes.map((n) => n.code).sort(), ['PURE_L2']);
  const ids = p.steps.map((s) => s.id);
  assert.ok(
    ids.indexOf('eth0/addr6/fd00::5/64') < ids.indexOf('eth0/link'),
    'the address leaves before the interface is enslaved',
  );
  assert.ok(
    ids.includes('eth0/route6/main/::/0/1024') && !ids.some((i) => i.includes('fd00::/64/256')),
    'only explicit routes are removed',
  );
  const sr = p.steps.find((s) => s.id === 'eth0/subnet-router');
  assert.ok(
    sr?.kind === 'addr.add' && sr.address === 'fd00::/64' && sr.noDad === true && sr.device === 'k6t-eth0',
  );
  const moved = p.steps.find((s) => s.kind === 'route.add');
  assert.ok(moved?.kind === 'route.add');
  assert.deepEqual(moved.route, { ...route, device: 'k6t-eth0' });
  const fwd = p.steps.find((s) => s.kind === 'sysctl.set');
  assert.ok(fwd?.kind === 'sysctl.set' && fwd.key === 'net/ipv6/conf/all/forwarding' && fwd.value === '1');
  const nft = p.steps.find((s) => s.kind === 'nft.ruleset');
  assert.ok(nft?.kind === 'nft.ruleset');
  assert.deepEqual(nft.tables, [{ family: 'bridge', name: 'virtnet-dhcp-eth0' }]);
  const dnsmasq = p.steps.find((s) => s.kind === 'process.start');
  assert.ok(dnsmasq?.kind === 'process.start' && dnsmasq.inNetns);
  assert.ok(dnsmasq.argv.includes(`--dhcp-host=${p.nic.mac},[fd00::5]`));
  assert.ok(dnsmasq.argv.includes('--dhcp-range=fd00::,static,64,86400'));
  assert.ok(dnsmasq.argv.includes('--interface=k6t-eth0'));
});

test('IPv6 on two networks: each bridge gets its own dnsmasq; one without IPv6 routes is on-link only (RA lifetime 0, no forwarding for it)', () => {
  const v6 = (address: string): DiscoveredInterface['addresses'][number] => ({
    family: 6,
    address,
    prefixLength: 64,
    scope: 'global',
    flags: [],
  });
  const route = {
    family: 6 as const,
    destination: '::/0',
    gateway: 'fd00::1',
    device: 'eth0',
    metric: 1024,
    protocol: 'boot',
    flags: [],
  };
  const networks: NetworkSpec[] = [
    { name: 'default', source: { kind: 'pod' } },
    { name: 'red', source: { kind: 'multus', networkName: 'red', default: false } },
  ];
  const spec = vm({ networks, interfaces: networks.map((n) => iface(n.name)) });
  const net1 = podIf('podb1f51a511f1', {
    index: 3,
    mac: '0a:58:0a:f5:00:07',
    addresses: [v6('fd00:1::7')],
    routes: [],
  });
  const r = planVmNetwork(
    spec,
    DEFAULT_CLUSTER_CONFIG,
    pod([podIf('eth0', { addresses: [v6('fd00::5')], routes: [route] }), net1]),
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  const [eth0, red] = r.plan.interfaces;
  const dnsmasq = (p: typeof eth0) => p!.steps.find((s) => s.kind === 'process.start');
  const a = dnsmasq(eth0);
  const b = dnsmasq(red);
  assert.ok(a?.kind === 'process.start' && b?.kind === 'process.start');
  assert.notEqual(a.name, b.name, 'one helper process name per bridge');
  assert.ok(
    a.argv.includes('--interface=k6t-eth0') && a.argv.includes('--ra-param=k6t-eth0,mtu:1450,high,60,1800'),
  );
  assert.ok(
    b.argv.includes('--interface=k6t-b1f51a511f1') &&
      b.argv.includes('--dhcp-range=fd00:1::,static,64,86400'),
  );
  assert.ok(
    b.argv.includes('--ra-param=k6t-b1f51a511f1,mtu:1450,60,0'),
    'no default router where the pod had no IPv6 route',
  );
  assert.ok(b.argv.includes('--dhcp-host=0a:58:0a:f5:00:07,[fd00:1::7]'));
  assert.deepEqual(
    red!.notes.map((n) => n.code),
    ['PURE_L2', 'IPV6_ON_LINK_ONLY'],
  );
  assert.ok(!red!.steps.some((s) => s.kind === 'sysctl.set' || s.kind === 'route.add'));
  assert.deepEqual(
    r.plan.interfaces.flatMap((i) => i.steps.filter((s) => s.kind === 'nft.ruleset').map((s) => s.id)),
    ['eth0/dhcp-guard', 'podb1f51a511f1/dhcp-guard'],
  );
  assert.equal(r.plan.interfaces.flatMap((i) => i.steps).filter((s) => s.id === 'ipv6-forwarding').length, 1);
});

test('three networks: each pod interface is looked up; missing ones are issues with their fields', () => {
  const networks: NetworkSpec[] = [
    { name: 'default', source: { kind: 'pod' } },
    { name: 'red', source: { kind: 'multus', networkName: 'red', default: false } },
    { name: 'blue', source: { kind: 'multus', networkName: 'blue', default: false } },
  ];
  const spec = vm({ networks, interfaces: networks.map((n) => iface(n.name)) });
  const r0 = planVmNetwork(spec, DEFAULT_CLUSTER_CONFIG, pod([podIf('eth0')]));
  assert.ok(!r0.ok, 'missing Multus pod interfaces are issues');
  assert.deepEqual(
    r0.issues.map((i) => [i.code, i.field]),
    [
      ['POD_INTERFACE_NOT_FOUND', 'spec.domain.devices.interfaces[1]'],
      ['POD_INTERFACE_NOT_FOUND', 'spec.domain.devices.interfaces[2]'],
    ],
  );
});

test('issues: bridge on the pod network forbidden by the cluster, pod interface already bridged', () => {
  const forbidden = planVmNetwork(
    vm(),
    { ...DEFAULT_CLUSTER_CONFIG, permitBridgeInterfaceOnPodNetwork: false },
    pod([podIf('eth0')]),
  );
  assert.ok(!forbidden.ok);
  assert.deepEqual(
    forbidden.issues.map((i) => [i.code, i.field]),
    [['BRIDGE_ON_POD_NETWORK_FORBIDDEN', 'spec.domain.devices.interfaces[0].bridge']],
  );
  const used = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod([podIf('eth0', { master: 'k6t-eth0' })]));
  assert.ok(!used.ok);
  assert.equal(used.issues[0]!.code, 'POD_INTERFACE_IN_USE');
});
