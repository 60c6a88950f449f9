import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { defaultNetwork, findNetworkByName, findNetworkByType } from './conf-dir-contents.js';
import { loadConfDir } from './conf-dir.js';
import { SHIPPED_CONF_DIR } from './default-conf.js';
import { NetworkCatalog } from './network-catalog.js';
import { loadNadFiles } from './nad.js';
import { parseNetworkConfig } from './net-conf.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vtconf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('conf dir: lexical order, .conf upgraded to a list, invalid and foreign files skipped', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, '20-b.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'b',
      plugins: [{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true } }],
    }),
  );
  writeFileSync(
    join(dir, '10-a.conf'),
    JSON.stringify({ cniVersion: '0.3.1', name: 'a', type: 'ptp', ipam: { type: 'host-local' } }),
  );
  writeFileSync(join(dir, '05-broken.json'), '{ nope');
  writeFileSync(
    join(dir, '01-old.conf'),
    JSON.stringify({ cniVersion: '0.2.0', name: 'old', type: 'bridge' }),
  );
  writeFileSync(join(dir, '00-readme.txt'), 'not a config');
  const c = loadConfDir(dir);
  assert.deepEqual(
    c.networks.map((n) => n.list.name),
    ['a', 'b'],
  );
  assert.deepEqual(
    c.skipped.map((s) => [s.file.split('/').pop(), s.error.detail.field]),
    [
      ['01-old.conf', 'cniVersion'],
      ['05-broken.json', ''],
    ],
  );
  assert.equal(defaultNetwork(c).list.name, 'a');
  assert.deepEqual(defaultNetwork(c).list.plugins, [
    { cniVersion: '0.3.1', name: 'a', type: 'ptp', ipam: { type: 'host-local' } },
  ]);
  assert.equal(findNetworkByType(c, 'bridge')?.list.name, 'b');
  assert.equal(findNetworkByName(c, 'zzz'), undefined);
  assert.throws(
    () => defaultNetwork(loadConfDir(tempDir(t))),
    (e) => isVirtnetError(e, 'CNI_NO_DEFAULT_NETWORK'),
  );
});

test('1.1.0 cniVersions: the highest supported version wins', () => {
  assert.equal(
    parseNetworkConfig(
      {
        cniVersion: '1.0.0',
        cniVersions: ['0.4.0', '1.1.0', '9.0.0'],
        name: 'x',
        plugins: [{ type: 'bridge' }],
      },
      'f',
    ).cniVersion,
    '1.1.0',
  );
  assert.throws(
    () => parseNetworkConfig({ cniVersions: ['9.0.0'], name: 'x', plugins: [{ type: 'bridge' }] }, 'f'),
    (e) => isVirtnetError(e, 'CNI_CONFIG_INVALID') && e.detail.field === 'cniVersions',
  );
});

test('network configs are validated with field paths', () => {
  const cases: [unknown, string][] = [
    [{ cniVersion: '1.0.0', type: 'bridge' }, 'name'],
    [{ cniVersion: '9.9.9', name: 'x', type: 'bridge' }, 'cniVersion'],
    [{ cniVersion: '1.0.0', name: 'x', plugins: [] }, 'plugins'],
    [{ cniVersion: '1.0.0', name: 'x', plugins: [{ type: '../../bin/sh' }] }, 'plugins[0].type'],
    [
      { cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'bridge', capabilities: true }] },
      'plugins[0].capabilities',
    ],
  ];
  for (const [raw, field] of cases) {
    assert.throws(
      () => parseNetworkConfig(raw, 'f'),
      (e) => isVirtnetError(e, 'CNI_CONFIG_INVALID') && e.detail.field === field,
      field,
    );
  }
});

test('NADs: spec.config as conf or conflist, resourceName, namespace, errors with fields', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'nads.yaml');
  writeFileSync(
    file,
    `apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: sriov-net
  namespace: tenant
  annotations:
    k8s.v1.cni.cncf.io/resourceName: intel.com/sriov
spec:
  config: '{"cniVersion":"0.3.1","type":"host-device","device":"eth9"}'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: from-dir
`,
  );
  const nads = loadNadFiles([file]);
  assert.equal(nads.length, 2);
  assert.equal(nads[0]!.namespace, 'tenant');
  assert.equal(nads[0]!.resourceName, 'intel.com/sriov');
  assert.equal(nads[0]!.list?.name, 'sriov-net', 'a config without a name takes the NAD name');
  assert.equal(nads[1]!.list, undefined);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: x\nspec:\n  config: '{"cniVersion":"1.0.0","plugins":[{"type":1}]}'\n`,
  );
  assert.throws(
    () => loadNadFiles([bad]),
    (e) => isVirtnetError(e, 'CNI_NAD_INVALID') && e.detail.field === 'spec.config.plugins[0].type',
  );
  const catalog = new NetworkCatalog({ stateDir: dir, nadFiles: [file], cniConfDir: dir });
  assert.equal(
    catalog.resolveMultus({ name: 'sriov-net', namespace: 'tenant' }, 'default', 'f').statusName,
    'tenant/sriov-net',
  );
  assert.throws(
    () => catalog.resolveMultus({ name: 'sriov-net' }, 'default', 'networks[0]'),
    (e) => isVirtnetError(e, 'CNI_NETWORK_NOT_FOUND') && e.detail.field === 'networks[0]',
  );
});

test('the shipped configuration: bridge + dual-stack host-local + tuning + portmap, allocations under the state dir', () => {
  const c = loadConfDir(SHIPPED_CONF_DIR);
  assert.equal(c.skipped.length, 0);
  const list = new NetworkCatalog({ stateDir: '/tmp/vt-state' }).clusterDefault().list;
  assert.deepEqual(
    list.plugins.map((p) => p.type),
    ['bridge', 'tuning', 'portmap'],
  );
  const ipam = list.plugins[0]!.ipam as { type: string; ranges: unknown[]; dataDir: string };
  assert.equal(ipam.type, 'host-local');
  assert.equal(ipam.ranges.length, 2);
  assert.equal(ipam.dataDir, '/tmp/vt-state/cni/networks');
});
