// The configuration file is validated as a whole: every problem is reported with its field path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDhcp4ServerConfig } from './config-schema.js';

const good = {
  clientMac: '02:AA:00:00:00:01',
  bridge: 'k6t-eth0',
  serverAddress: '169.254.75.10',
  address: '10.88.0.5',
  prefixLength: 16,
  routers: ['10.88.0.1'],
  classlessRoutes: [],
  dnsServers: [],
  searchDomains: ['cluster.local'],
  leaseSeconds: 3600,
  ntpServers: [],
  privateOptions: [],
};

test('a valid config parses and MACs are normalised to lower case', () => {
  const r = parseDhcp4ServerConfig({ leases: [good] });
  assert.ok(r.ok);
  assert.equal(r.config.leases[0]!.clientMac, '02:aa:00:00:00:01');
});

test('every invalid field is reported with its path', () => {
  const r = parseDhcp4ServerConfig({
    leases: [
      good,
      { ...good, clientMac: '02:aa:00:00:00:01', serverAddress: '169.254.75.11' },
      {
        ...good,
        clientMac: 'nope',
        bridge: 'a-name-that-is-too-long',
        address: '10.88.0.256',
        classlessRoutes: [{ destination: '10.0.0.1/8', gateway: '10.0.0.1' }],
        searchDomains: ['a..b'],
        privateOptions: [{ code: 12, value: 'x' }],
      },
    ],
  });
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  const paths = r.issues.map((i) => i.path).sort();
  for (const p of [
    'leases[2].clientMac',
    'leases[2].bridge',
    'leases[2].address',
    'leases[2].classlessRoutes',
    'leases[2].searchDomains',
    'leases[2].privateOptions[0].code',
  ]) {
    assert.ok(paths.includes(p), `missing ${p} in ${paths.join(', ')}`);
  }
  assert.equal(parseDhcp4ServerConfig({ leases: [good, { ...good }] }).ok, false);
  assert.equal(parseDhcp4ServerConfig(null).ok, false);
});
