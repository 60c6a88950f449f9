// Pure parts of the host layer: iproute2 error classification, resolv.conf parsing, JSON parsing of
// `ip -j -d` output, and the ensure* verbs' idempotency over an observed state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyIpFailure } from './ip-errors.js';
import { addRouteLines, ensureLinkLines, removeAddressLines, setLinkLines } from './ensure.js';
import { parseNetnsState } from './netns-state.js';
import { parseResolvConf } from './resolv-conf.js';
import { assertIfName } from './link-names.js';
import { assertSysctlKey } from './sysctl.js';

test('iproute2 failures map to stable codes', () => {
  assert.equal(
    classifyIpFailure('RTNETLINK answers: File exists', 'link add k6t-eth0 type bridge').code,
    'LINK_EXISTS',
  );
  assert.equal(
    classifyIpFailure('RTNETLINK answers: File exists', 'addr add 1.2.3.4/32 dev x').code,
    'ADDRESS_EXISTS',
  );
  assert.equal(
    classifyIpFailure('RTNETLINK answers: File exists', 'route add 0.0.0.0/0 via 1.1.1.1 dev x').code,
    'ROUTE_EXISTS',
  );
  assert.equal(classifyIpFailure('Cannot find device "nope"', 'link set dev nope up').code, 'NO_SUCH_DEVICE');
  assert.equal(
    classifyIpFailure('Cannot open network namespace "x": No such file or directory', 'link show').code,
    'NETNS_NOT_FOUND',
  );
  assert.equal(
    classifyIpFailure('Error: Unknown device type.', 'link add d type dummy').code,
    'KERNEL_FEATURE_MISSING',
  );
  assert.equal(
    classifyIpFailure('RTNETLINK answers: Operation not permitted', 'link add').code,
    'PERMISSION_DENIED',
  );
});

test('resolv.conf: nameservers, last search wins, options', () => {
  const dns = parseResolvConf(
    '# c\nnameserver 10.96.0.10\nsearch a b\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5\nnameserver fd00::1 ; trailing\n',
    'f',
  );
  assert.deepEqual(dns, {
    nameservers: ['10.96.0.10', 'fd00::1'],
    search: ['ns.svc.cluster.local', 'svc.cluster.local'],
    options: ['ndots:5'],
    source: 'f',
  });
});

test('names and keys are validated before they reach argv', () => {
  assert.throws(() => assertIfName('a-name-that-is-too-long'), /INVALID_IFNAME|invalid interface name/);
  assert.throws(() => assertIfName('eth0 up'));
  assert.equal(assertSysctlKey('net/ipv4/conf/eth0.100/arp_ignore'), 'net/ipv4/conf/eth0.100/arp_ignore');
  assert.throws(() => assertSysctlKey('kernel/../net/x'));
});

const addrJson = [
  {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP'],
    mtu: 65536,
    address: '00:00:00:00:00:00',
    addr_info: [],
  },
  {
    ifindex: 2,
    ifname: 'eth0',
    flags: ['BROADCAST', 'UP'],
    mtu: 1450,
    address: '0A:58:0A:F4:00:05',
    linkinfo: { info_kind: 'veth' },
    addr_info: [
      {
        family: 'inet',
        local: '10.244.0.5',
        prefixlen: 24,
        scope: 'global',
        label: 'eth0',
        valid_life_time: 4294967295,
        preferred_life_time: 4294967295,
        noprefixroute: true,
      },
      {
        family: 'inet6',
        local: 'fe80::1',
        prefixlen: 64,
        scope: 'link',
        tentative: true,
        valid_life_time: 4294967295,
        preferred_life_time: 4294967295,
      },
    ],
  },
];
const routeJson = [
  {
    type: 'unicast',
    dst: 'default',
    gateway: '10.244.0.1',
    dev: 'eth0',
    table: 'main',
    protocol: 'boot',
    scope: 'global',
    flags: [],
  },
  {
    type: 'local',
    dst: '10.244.0.5',
    dev: 'eth0',
    table: 'local',
    protocol: 'kernel',
    scope: 'host',
    prefsrc: '10.244.0.5',
    flags: [],
  },
  {
    type: 'unicast',
    dst: 'fe80::/64',
    dev: 'eth0',
    table: 'main',
    protocol: 'kernel',
    scope: 'global',
    metric: 256,
    flags: [],
    pref: 'medium',
  },
];

test('ip -j -d output parses into links, addresses (restorable flags only) and routes', () => {
  const state = parseNetnsState('p', addrJson, routeJson);
  const eth0 = state.links.find((l) => l.name === 'eth0')!;
  assert.equal(eth0.mac, '0a:58:0a:f4:00:05');
  assert.equal(eth0.kind, 'veth');
  assert.deepEqual(eth0.addresses[0], {
    family: 4,
    address: '10.244.0.5',
    prefixLength: 24,
    scope: 'global',
    flags: ['noprefixroute'],
    label: 'eth0',
  });
  assert.deepEqual(eth0.addresses[1]!.flags, [], 'tentative is kernel bookkeeping');
  assert.deepEqual(
    state.routes.map((r) => [r.family, r.destination]),
    [
      [4, '0.0.0.0/0'],
      [6, 'fe80::/64'],
    ],
  );
});

test('ensure* verbs emit nothing for what is already there', () => {
  const state = parseNetnsState('p', addrJson, routeJson);
  assert.deepEqual(
    setLinkLines(state, { device: 'eth0', mtuBytes: 1450, up: true, mac: '0a:58:0a:f4:00:05' }),
    [],
  );
  assert.deepEqual(setLinkLines(state, { device: 'eth0', mtuBytes: 1400, master: 'k6t-eth0' }), [
    'link set dev eth0 mtu 1400 master k6t-eth0',
  ]);
  assert.deepEqual(ensureLinkLines(state, { type: 'bridge' }, { device: 'k6t-eth0', up: true }), [
    'link add k6t-eth0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0',
    'link set dev k6t-eth0 up',
  ]);
  assert.throws(() => ensureLinkLines(state, { type: 'bridge' }, { device: 'eth0' }), /exists as veth/);
  assert.deepEqual(removeAddressLines(state, 'eth0', '10.9.9.9/24'), []);
  assert.deepEqual(removeAddressLines(state, 'eth0', '10.244.0.5/24'), ['addr del 10.244.0.5/24 dev eth0']);
  assert.deepEqual(addRouteLines(state, state.routes[0]!), []);
  assert.deepEqual(
    addRouteLines(state, {
      family: 4,
      destination: '10.96.0.0/12',
      gateway: '10.244.0.1',
      device: 'eth0',
      protocol: 'boot',
      flags: ['onlink'],
    }),
    ['route append 10.96.0.0/12 via 10.244.0.1 dev eth0 proto boot onlink'],
  );
});
