import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { NetworkCatalog } from './network-catalog.js';
import { planPodAttachments } from './pod-networks.js';

function catalog(t: { after: (fn: () => void) => void }): NetworkCatalog {
  const dir = mkdtempSync(join(tmpdir(), 'vtplan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, '10-def.conflist'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'def', plugins: [{ type: 'bridge' }] }),
  );
  writeFileSync(
    join(dir, '20-flannel.conf'),
    JSON.stringify({ cniVersion: '0.3.1', name: 'flannel', type: 'bridge' }),
  );
  writeFileSync(join(dir, '30-x.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'x', type: 'ovs' }));
  const nad = (name: string, ns: string) =>
    `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  config: '{"cniVersion":"1.0.0","type":"macvlan"}'\n---\n`;
  writeFileSync(join(dir, 'nads.yaml'), nad('a', 'default') + nad('b', 'other') + nad('c', 'vmns'));
  return new NetworkCatalog({ stateDir: dir, cniConfDir: dir, nadFiles: [join(dir, 'nads.yaml')] });
}

test('Multus: default on eth0, secondaries net1..N unless named, MAC/IP as capability args and CNI_ARGS', (t) => {
  const plan = planPodAttachments(
    {
      podNamespace: 'vmns',
      networks:
        '[{"name":"a","namespace":"default"},{"name":"c","mac":"02-00-00-00-00-0A","ips":["10.1.1.5/24"]},{"name":"b","namespace":"other","interface":"sec9"}]',
    },
    catalog(t),
  );
  assert.deepEqual(
    plan.map((p) => [p.name, p.ifname, p.source, p.default]),
    [
      ['def', 'eth0', 'default', true],
      ['default/a', 'net1', 'multus', false],
      ['vmns/c', 'net2', 'multus', false],
      ['other/b', 'sec9', 'multus', false],
    ],
  );
  assert.deepEqual(plan[2]!.capabilityArgs, { mac: '02:00:00:00:00:0a', ips: ['10.1.1.5/24'] });
  assert.deepEqual(plan[2]!.cniArgs, [
    ['MAC', '02:00:00:00:00:0a'],
    ['IP', '10.1.1.5/24'],
  ]);
});

test('default-network override and Genie lookups', (t) => {
  const c = catalog(t);
  assert.deepEqual(
    planPodAttachments({ podNamespace: 'default', defaultNetwork: 'other/b' }, c).map((p) => [
      p.name,
      p.ifname,
    ]),
    [['other/b', 'eth0']],
  );
  assert.deepEqual(
    planPodAttachments({ podNamespace: 'default', genie: 'flannel,ovs' }, c).map((p) => [
      p.name,
      p.ifname,
      p.default,
    ]),
    [
      ['flannel', 'eth0', true],
      ['x', 'eth1', false],
    ],
  );
  assert.throws(
    () => planPodAttachments({ podNamespace: 'default', genie: 'flannel', networks: 'a' }, c),
    (e) => isVirtnetError(e, 'POD_NETWORKS_CONFLICT'),
  );
  assert.throws(
    () => planPodAttachments({ podNamespace: 'default', networks: 'a@x1,a@x1' }, c),
    (e) => isVirtnetError(e, 'POD_IFNAME_DUPLICATE') && e.detail.field === 'networks[1].interface',
  );
  assert.throws(
    () => planPodAttachments({ podNamespace: 'default', networks: 'b' }, c),
    (e) => isVirtnetError(e, 'CNI_NETWORK_NOT_FOUND') && e.detail.field === 'networks[0]',
  );
});
