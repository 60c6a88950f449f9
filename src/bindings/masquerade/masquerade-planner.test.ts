// The pure masquerade planner: addresses from vmNetworkCIDR/vmIPv6NetworkCIDR, names, the DHCP lease,
// the VM NIC, and errors naming the spec field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkSource } from '../../api/types.js';
import { isVirtnetError } from '../../errors/virtnet-error.js';
import { parseDhcp4ServerConfig } from '../../dhcp/config-schema.js';
import { contextFor, masqueradeVm, podWith } from '../../../test/masquerade/fixtures.js';
import type { DiscoveredInterface } from '../plan-types.js';
import { masqueradeDeviceNames, planMasquerade } from './masquerade-planner.js';
import { ipv4VmSubnet, ipv6VmSubnet } from './vm-subnet.js';
import { ipv6RaServerArgv } from '../ipv6-ra-server.js';

const eth0 = (v6 = false): DiscoveredInterface => ({
  name: 'eth0',
  index: 2,
  kind: 'veth',
  mac: '0a:58:0a:01:01:02',
  mtuBytes: 1450,
  up: true,
  addresses: [
    { family: 4, address: '10.1.1.2', prefixLength: 24, scope: 'global', flags: [] },
    ...(v6
      ? [{ family: 6 as const, address: 'fd00:1::2', prefixLength: 64, scope: 'global', flags: [] }]
      : []),
    { family: 6, address: 'fe80::1', prefixLength: 64, scope: 'link', flags: [] },
  ],
  routes: [],
});

function plan(
  source: Partial<NetworkSource> = {},
  pod = eth0(),
  ports = [{ protocol: 'TCP' as const, port: 80 }],
) {
  const vm = masqueradeVm('vm-b', ports);
  vm.networks[0]!.source = { kind: 'pod', ...source } as NetworkSource;
  return planMasquerade(vm.interfaces[0]!, vm.networks[0]!, pod, contextFor(vm, podWith('pod', pod)));
}

test('default subnet: gateway .1 on k6t-eth0 with the reserved MAC, VM .2 by DHCP', () => {
  const p = plan();
  assert.deepEqual(p.createdDevices, ['k6t-eth0', 'tap-eth0']);
  const bridge = p.steps.find((s) => s.id === 'default/bridge');
  assert.ok(bridge?.kind === 'link.create');
  assert.equal(bridge.mac, '02:00:00:00:00:00');
  assert.equal(bridge.mtuBytes, 1450);
  assert.ok(
    p.steps.some((s) => s.kind === 'addr.add' && s.address === '10.0.2.1/24' && s.device === 'k6t-eth0'),
  );
  assert.ok(
    p.steps.some((s) => s.kind === 'sysctl.set' && s.key === 'net/ipv4/conf/k6t-eth0/route_localnet'),
  );
  assert.equal(p.steps.filter((s) => s.kind === 'nft.ruleset').length, 1);
  assert.deepEqual(
    {
      address: p.dhcp4?.address,
      prefix: p.dhcp4?.prefixLength,
      routers: p.dhcp4?.routers,
      dns: p.dhcp4?.dnsServers,
      mtu: p.dhcp4?.mtuBytes,
      mac: p.dhcp4?.clientMac,
    },
    {
      address: '10.0.2.2',
      prefix: 24,
      routers: ['10.0.2.1'],
      dns: ['10.96.0.10'],
      mtu: 1450,
      mac: '0a:58:0a:01:01:02',
    },
  );
  assert.deepEqual(p.dhcp4?.searchDomains, ['default.svc.cluster.local', 'svc.cluster.local']);
  // The lease is what virtnet's DHCPv4 server accepts.
  const parsed = parseDhcp4ServerConfig({ leases: [p.dhcp4] });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(p.nic.backend, { kind: 'tap', tapName: 'tap-eth0', queues: 1 });
  assert.deepEqual(p.nic.guestConfig, { kind: 'dhcp' });
  // IPv4-only pod: no ip6 table, no IPv6 forwarding.
  const nft = p.steps.find((s) => s.kind === 'nft.ruleset');
  assert.ok(nft?.kind === 'nft.ruleset');
  assert.deepEqual(nft.tables, [{ family: 'ip', name: 'virtnet-vm-b' }]);
});

test('custom CIDRs and IPv6 when the pod has it', () => {
  const p = plan({ vmNetworkCIDR: '192.168.7.0/28', vmIPv6NetworkCIDR: 'fd20::/64' }, eth0(true));
  assert.ok(p.steps.some((s) => s.kind === 'addr.add' && s.address === '192.168.7.1/28'));
  assert.ok(p.steps.some((s) => s.kind === 'addr.add' && s.address === 'fd20::1/64'));
  assert.ok(p.steps.some((s) => s.kind === 'sysctl.set' && s.key === 'net/ipv6/conf/all/forwarding'));
  assert.equal(p.dhcp4?.address, '192.168.7.2');
  assert.deepEqual(p.nic.guestConfig, {
    kind: 'dhcp',
    staticFallback: {
      addresses: ['fd20::2/64'],
      gateway6: 'fd20::1',
      routes: [],
      dnsServers: [],
      searchDomains: ['default.svc.cluster.local', 'svc.cluster.local'],
    },
  });
  const d = plan({}, eth0(true));
  assert.ok(d.steps.some((s) => s.kind === 'addr.add' && s.address === 'fd10:0:2::1/120'));
  // RA + DHCPv6 on the bridge: only the VM's MAC gets only the VM's address.
  const ra = d.steps.find((s) => s.kind === 'process.start');
  assert.ok(ra?.kind === 'process.start' && ra.inNetns);
  for (const arg of [
    '--interface=k6t-eth0',
    '--enable-ra',
    '--ra-param=k6t-eth0,mtu:1450,high,60,1800',
    '--dhcp-range=fd10:0:2::,static,120,86400',
    '--dhcp-host=0a:58:0a:01:01:02,[fd10:0:2::2]',
    '--port=0',
  ]) {
    assert.ok(ra.argv.includes(arg), `${arg} missing from ${ra.argv.join(' ')}`);
  }
  assert.equal(
    plan().steps.some((s) => s.kind === 'process.start'),
    false,
    'no IPv6 server for an IPv4-only pod',
  );
});

test('the IPv6 server refuses values its comma syntax would misread', () => {
  const base = {
    bridge: 'k6t-eth0',
    vmMac: '02:00:00:00:00:01',
    vmAddress: 'fd10:0:2::2',
    prefixLength: 120,
    network: 'fd10:0:2::',
    mtuBytes: 1500,
    dnsServers: [],
    searchDomains: [],
    leaseSeconds: 60,
  };
  assert.ok(ipv6RaServerArgv(base).includes('--dhcp-host=02:00:00:00:00:01,[fd10:0:2::2]'));
  for (const change of [
    { searchDomains: ['a,b'] },
    { dnsServers: ['10.0.0.1'] },
    { vmMac: '02:00:00:00:00:01,x' },
    { bridge: 'br,0' },
  ]) {
    assert.throws(
      () => ipv6RaServerArgv({ ...base, ...change }),
      (e) => isVirtnetError(e, 'INVALID_IPV6_SERVER_CONFIG'),
    );
  }
});

test('errors name the field and plan nothing', () => {
  const cases: [() => unknown, string, string][] = [
    [
      () => plan({ vmNetworkCIDR: '10.0.2.0/31' }),
      'INVALID_VM_NETWORK_CIDR',
      'spec.networks[0].pod.vmNetworkCIDR',
    ],
    [
      () => plan({ vmNetworkCIDR: 'nonsense' }),
      'INVALID_VM_NETWORK_CIDR',
      'spec.networks[0].pod.vmNetworkCIDR',
    ],
    [
      () => plan({ vmIPv6NetworkCIDR: 'fd10::/127' }),
      'INVALID_VM_NETWORK_CIDR',
      'spec.networks[0].pod.vmIPv6NetworkCIDR',
    ],
    [
      () => plan({}, { ...eth0(), addresses: [] }),
      'MASQUERADE_NO_POD_ADDRESS',
      'spec.domain.devices.interfaces[0]',
    ],
  ];
  for (const [fn, code, field] of cases)
    assert.throws(fn, (e) => isVirtnetError(e, code) && e.detail.field === field);
  const vm = masqueradeVm('vm-c', []);
  const multus = { name: 'default', source: { kind: 'multus' as const, networkName: 'x', default: false } };
  assert.throws(
    () => planMasquerade(vm.interfaces[0]!, multus, eth0(), contextFor(vm, podWith('pod', eth0()))),
    (e) =>
      isVirtnetError(e, 'MASQUERADE_NOT_POD_NETWORK') &&
      e.detail.field === 'spec.domain.devices.interfaces[0].masquerade',
  );
  assert.throws(
    () =>
      planMasquerade(vm.interfaces[0]!, vm.networks[0]!, undefined, contextFor(vm, podWith('pod', eth0()))),
    (e) => isVirtnetError(e, 'POD_INTERFACE_NOT_FOUND'),
  );
});

test('IPv6-only pod: static IPv6 guest config, no DHCPv4, no ip table', () => {
  const v6only: DiscoveredInterface = {
    ...eth0(true),
    addresses: eth0(true).addresses.filter((a) => a.family === 6),
  };
  const p = plan({}, v6only, []);
  assert.equal(p.dhcp4, undefined);
  assert.equal(p.nic.guestConfig.kind, 'static');
  const nft = p.steps.find((s) => s.kind === 'nft.ruleset');
  assert.ok(nft?.kind === 'nft.ruleset');
  assert.deepEqual(nft.tables, [{ family: 'ip6', name: 'virtnet-vm-b' }]);
});

test('multiqueue, spec MAC and long pod interface names', () => {
  const vm = masqueradeVm('vm-d', [], {
    macAddress: 'de:ad:00:00:be:af',
    bootOrder: 2,
    pciAddress: '0000:81:00.1',
  });
  vm.networkInterfaceMultiqueue = true;
  vm.vcpus = 4;
  const long = { ...eth0(), name: 'pod1234567890ab' };
  const p = planMasquerade(vm.interfaces[0]!, vm.networks[0]!, long, contextFor(vm, podWith('pod', long)));
  assert.equal(p.nic.mac, 'de:ad:00:00:be:af');
  assert.equal(p.dhcp4?.clientMac, 'de:ad:00:00:be:af');
  assert.deepEqual(p.nic.backend, {
    kind: 'tap',
    tapName: masqueradeDeviceNames('pod1234567890ab').tap,
    queues: 4,
  });
  assert.equal(p.nic.bootOrder, 2);
  assert.equal(p.nic.guestPciAddress, '0000:81:00.1');
  for (const d of p.createdDevices) assert.ok(Buffer.byteLength(d) <= 15, d);
  assert.notEqual(
    masqueradeDeviceNames('pod1234567890ab').bridge,
    masqueradeDeviceNames('pod1234567890ac').bridge,
  );
});

test('subnet arithmetic', () => {
  assert.deepEqual(ipv4VmSubnet('10.0.2.77/24'), {
    cidr: '10.0.2.0/24',
    prefixLength: 24,
    gateway: '10.0.2.1',
    vm: '10.0.2.2',
  });
  assert.deepEqual(ipv6VmSubnet('fd10:0:2::/120'), {
    cidr: 'fd10:0:2::/120',
    prefixLength: 120,
    gateway: 'fd10:0:2::1',
    vm: 'fd10:0:2::2',
  });
  assert.equal(typeof ipv6VmSubnet('fd10::2::/64'), 'string');
  assert.equal(typeof ipv4VmSubnet('256.0.0.0/8'), 'string');
});
