import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { netConvert } from '../../test/support/cloud-init-convert.js';
import { everyBackendNics, nic } from '../../test/hypervisor/machines.js';
import type { VmNic } from '../bindings/vm-nic.js';
import { buildNoCloudFiles, networkConfigV1, networkConfigV2, virtnetStatic } from './cloud-init.js';
import { writeCidataIso } from './cloud-init-iso.js';

function nics(): VmNic[] {
  return [
    ...everyBackendNics(),
    nic({
      name: 'masq',
      mac: '02:00:00:00:00:07',
      backend: { kind: 'tap', tapName: 'tap7', queues: 1 },
      guestConfig: {
        kind: 'dhcp',
        staticFallback: {
          addresses: ['fd10:0:2::2/120'],
          gateway6: 'fd10:0:2::1',
          routes: [],
          dnsServers: [],
          searchDomains: [],
        },
      },
    }),
  ];
}

for (const version of [1, 2] as const) {
  test(`network-config v${version} passes cloud-init net-convert without warnings and renders every NIC`, (t) => {
    const files = buildNoCloudFiles({ instanceId: 'vm1-uid', hostname: 'vm1', nics: nics() }, version);
    const rendered: Record<string, string> = {};
    for (const kind of ['netplan', 'eni'] as const) {
      const out = (rendered[kind] = netConvert(t, files['network-config'], kind));
      assert.match(out, /10\.1\.0\.5/, kind);
      assert.match(out, /fd00:1::5/, kind);
      assert.match(out, /fd10:0:2::2/, kind);
      assert.match(out, /192\.168\.0\.0/, kind);
    }
    const netplan = parse(rendered.netplan!) as {
      network: { ethernets: Record<string, Record<string, unknown>> };
    };
    const eth = netplan.network.ethernets;
    assert.deepEqual(eth.eth0?.match, { macaddress: '0a:58:0a:f4:00:05' });
    assert.equal(eth.eth0?.dhcp4, true);
    assert.equal(eth.eth0?.mtu, 1450);
    assert.deepEqual(eth.eth1?.addresses, ['10.1.0.5/24', 'fd00:1::5/64']);
    assert.deepEqual((eth.eth1?.nameservers as { addresses: string[] }).addresses, ['10.1.0.1']);
    assert.equal(eth.eth5?.dhcp4, true);
    assert.deepEqual(eth.eth5?.addresses, ['fd10:0:2::2/120']);
  });
}

test('v1 is Virtlet-shaped: physical entries with mac_address and static subnets with gateway', () => {
  const v1 = networkConfigV1(nics()) as { version: number; config: Record<string, unknown>[] };
  assert.equal(v1.version, 1);
  assert.deepEqual(v1.config[1], {
    type: 'physical',
    name: 'eth1',
    mac_address: '02:00:00:00:00:02',
    subnets: [
      {
        type: 'static',
        address: '10.1.0.5/24',
        gateway: '10.1.0.1',
        dns_nameservers: ['10.1.0.1'],
        dns_search: ['example.test'],
        routes: [{ network: '192.168.0.0', netmask: '255.255.0.0', gateway: '10.1.0.254' }],
      },
      { type: 'static6', address: 'fd00:1::5/64', gateway: 'fd00:1::1' },
    ],
  });
  assert.deepEqual(v1.config[4], {
    type: 'physical',
    name: 'eth4',
    mac_address: '02:00:00:00:00:06',
    subnets: [],
  });
});

test('v2 uses match/set-name and routes for gateways', () => {
  const v2 = networkConfigV2(nics()) as { ethernets: Record<string, Record<string, unknown>> };
  assert.deepEqual(v2.ethernets.eth1?.routes, [
    { to: '0.0.0.0/0', via: '10.1.0.1' },
    { to: '::/0', via: 'fd00:1::1' },
    { to: '192.168.0.0/16', via: '10.1.0.254' },
  ]);
});

test('a bad address names the field', () => {
  const bad = nic({
    name: 'x',
    backend: { kind: 'tap', tapName: 't', queues: 1 },
    guestConfig: {
      kind: 'static',
      config: { addresses: ['10.0.0.1'], routes: [], dnsServers: [], searchDomains: [] },
    },
  });
  assert.throws(
    () => networkConfigV1([bad]),
    (e: unknown) =>
      (e as { detail: { field: string } }).detail.field === 'nics[0].guestConfig.config.addresses[0]',
  );
});

test('virtnet-static: static NICs, DHCP with fallback, unconfigured NICs', () => {
  assert.equal(
    virtnetStatic(nics()),
    [
      '02:00:00:00:00:02 addr=10.1.0.5/24 addr=fd00:1::5/64 gw4=10.1.0.1 gw6=fd00:1::1 route=192.168.0.0/16,10.1.0.254 dns=10.1.0.1 search=example.test',
      '02:00:00:00:00:06 none',
      '02:00:00:00:00:07 dhcp addr=fd10:0:2::2/120 gw6=fd10:0:2::1',
      '',
    ].join('\n'),
  );
});

test('the cidata ISO carries the label and all seed files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vniso-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const iso = join(dir, 'seed.iso');
  const files = buildNoCloudFiles({ instanceId: 'i-1', hostname: 'vm1', nics: nics() });
  await writeCidataIso(files, iso);
  const info = spawnSync('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' });
  assert.match(info.stdout, /Volume id: cidata/);
  const meta = spawnSync('isoinfo', ['-R', '-x', '/meta-data', '-i', iso], { encoding: 'utf8' });
  assert.deepEqual(parse(meta.stdout), { 'instance-id': 'i-1', 'local-hostname': 'vm1' });
  const listing = spawnSync('isoinfo', ['-R', '-f', '-i', iso], { encoding: 'utf8' })
    .stdout.split('\n')
    .sort();
  assert.deepEqual(listing.filter(Boolean), [
    '/meta-data',
    '/network-config',
    '/user-data',
    '/virtnet-static',
  ]);
  assert.ok(
    readdirSync(dir).every((f) => !f.startsWith('.cidata-')),
    'staging removed',
  );
});
