import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertResult, encodeResult, parseErrorObject, parseResult } from './result.js';

// The result examples of the CNI spec (SPEC.md of each version), as plugins print them.
const SPEC_040 = {
  cniVersion: '0.4.0',
  interfaces: [{ name: 'eth0', mac: '00:11:22:33:44:55', sandbox: '/proc/3553/ns/net' }],
  ips: [{ version: '4', interface: 0, address: '10.1.0.5/16', gateway: '10.1.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.1.0.1'] },
};
const SPEC_031 = {
  cniVersion: '0.3.1',
  interfaces: [
    { name: 'cni0', mac: '00:11:22:33:44:55' },
    { name: 'veth3243', mac: '55:44:33:22:11:11' },
    { name: 'eth0', mac: '99:88:77:66:55:44', sandbox: '/var/run/netns/blue' },
  ],
  ips: [
    { version: '4', interface: 2, address: '10.1.0.5/16', gateway: '10.1.0.1' },
    { version: '6', interface: 2, address: 'fd00::5/64', gateway: 'fd00::1' },
  ],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
  dns: { nameservers: ['10.1.0.1'], domain: 'example.com', search: ['example.com'], options: ['ndots:2'] },
};
const SPEC_100 = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'cni0', mac: '00:11:22:33:44:55' },
    { name: 'veth3243', mac: '55:44:33:22:11:11' },
    { name: 'eth0', mac: '99:88:77:66:55:44', sandbox: '/var/run/netns/blue' },
  ],
  ips: [{ interface: 2, address: '10.1.0.5/16', gateway: '10.1.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.1.0.1'] },
};
const SPEC_110 = {
  cniVersion: '1.1.0',
  interfaces: [
    {
      name: 'eth0',
      mac: '99:88:77:66:55:44',
      mtu: 1450,
      sandbox: '/var/run/netns/blue',
      socketPath: '/run/vhu.sock',
      pciID: '0000:03:00.1',
    },
  ],
  ips: [{ interface: 0, address: '10.1.0.5/16', gateway: '10.1.0.1' }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0 }],
  dns: { nameservers: ['10.1.0.1'] },
};

test('every supported version parses and round-trips unchanged', () => {
  for (const fixture of [SPEC_031, { ...SPEC_031, cniVersion: '0.3.0' }, SPEC_040, SPEC_100, SPEC_110]) {
    const parsed = parseResult(fixture);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(encodeResult(parsed.result, fixture.cniVersion), fixture);
  }
});

test('conversion adds ip versions going down, drops them going up, drops 1.1.0 fields', () => {
  const p031 = parseResult(SPEC_031);
  assert.ok(p031.ok);
  const up = encodeResult(convertResult(p031.result, '1.0.0'), '1.0.0') as typeof SPEC_100;
  assert.equal(up.cniVersion, '1.0.0');
  assert.deepEqual(up.ips[1], { interface: 2, address: 'fd00::5/64', gateway: 'fd00::1' });
  const back = encodeResult(convertResult(convertResult(p031.result, '1.1.0'), '0.3.1'), '0.3.1');
  assert.deepEqual(back, SPEC_031);
  const p110 = parseResult(SPEC_110);
  assert.ok(p110.ok);
  const down = encodeResult(p110.result, '0.4.0');
  assert.deepEqual(down.interfaces, [
    { name: 'eth0', mac: '99:88:77:66:55:44', sandbox: '/var/run/netns/blue' },
  ]);
  assert.deepEqual(down.routes, [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }]);
  assert.deepEqual(down.ips, [{ version: '4', interface: 0, address: '10.1.0.5/16', gateway: '10.1.0.1' }]);
});

test('invalid results yield issues with paths, not exceptions', () => {
  const cases: [unknown, string][] = [
    ['nope', ''],
    [{ cniVersion: '0.2.0' }, 'cniVersion'],
    [{ ...SPEC_040, ips: [{ interface: 0, address: '10.1.0.5/16' }] }, 'ips[0].version'],
    [{ ...SPEC_040, ips: [{ version: '6', interface: 0, address: '10.1.0.5/16' }] }, 'ips[0].version'],
    [{ ...SPEC_100, ips: [{ interface: 7, address: '10.1.0.5/16' }] }, 'ips[0].interface'],
    [{ ...SPEC_100, ips: [{ address: '10.1.0.300/16' }] }, 'ips[0].address'],
    [{ ...SPEC_100, ips: [{ address: '10.1.0.3/16', gateway: 'fd00::1' }] }, 'ips[0].gateway'],
    [{ ...SPEC_100, interfaces: [{ name: 'eth0', mac: 'zz' }] }, 'interfaces[0].mac'],
    [{ ...SPEC_100, routes: [{ dst: 'default' }] }, 'routes[0].dst'],
    [{ ...SPEC_100, dns: { nameservers: 'x' } }, 'dns.nameservers'],
  ];
  for (const [raw, path] of cases) {
    const r = parseResult(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
    if (!r.ok)
      assert.ok(
        r.issues.some((i) => i.path === path),
        `${path}: ${JSON.stringify(r.issues)}`,
      );
  }
});

test('error objects are recognised', () => {
  assert.deepEqual(parseErrorObject({ cniVersion: '1.0.0', code: 7, msg: 'bad config', details: 'x' }), {
    cniVersion: '1.0.0',
    code: 7,
    msg: 'bad config',
    details: 'x',
  });
  assert.equal(parseErrorObject({ msg: 'no code' }), undefined);
});
