// Acceptance: every example of the seed documents (extracted verbatim into test/fixtures/specs/seeds)
// validates; the legacy seed 000/001 forms are translated with a warning naming the modern form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterConfig, validateSpecText } from '../../src/launcher/load-spec.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'specs', 'seeds');
const seedConfigMap = join(import.meta.dirname, '..', 'fixtures', 'specs', 'seed004-kubevirt-config.yaml');

function validate(name: string, cluster?: Parameters<typeof validateSpecText>[2]) {
  return validateSpecText(readFileSync(join(dir, name), 'utf8'), name, cluster);
}

test('every seed example validates', () => {
  const files = readdirSync(dir).sort();
  assert.ok(files.length >= 17);
  for (const f of files) {
    const o = validate(f);
    assert.deepEqual(o.errors, [], f);
    const isVm = !f.includes('networkattachmentdefinition');
    assert.equal(o.specs.length, isVm ? 1 : 0, f);
  }
});

test('seed 000 pod-network becomes bridge on the pod network, mac and model carried over', () => {
  const o = validate('seed000-pod-network.yaml');
  const w = o.warnings.find((x) => x.code === 'LEGACY_POD_NETWORK');
  assert.ok(w && w.message.includes('bridge: {}'), 'the warning names the modern form');
  assert.equal(w.field, 'spec.domain.devices.interfaces[0].type');
  assert.equal(w.line, 6);
  const vm = o.specs[0]!;
  assert.deepEqual(vm.networks, [{ name: 'default', source: { kind: 'pod' } }]);
  assert.equal(vm.interfaces[0]!.binding, 'bridge');
  assert.equal(vm.interfaces[0]!.macAddress, '00:11:22:33:44:55');
  assert.equal(vm.interfaces[0]!.model, 'virtio');
});

test('seed 001 direct becomes macvtap on the pod interface eth0', () => {
  const o = validate('seed001-direct.json');
  assert.ok(o.warnings.some((x) => x.code === 'LEGACY_DIRECT' && x.message.includes('macvtap')));
  const nic = o.specs[0]!.interfaces[0]!;
  assert.equal(nic.binding, 'macvtap');
  assert.equal(nic.sourceDevice, 'eth0');
  assert.equal(nic.macvtapMode, 'bridge');
  assert.equal(o.specs[0]!.networks[0]!.source.kind, 'pod');
});

test('seed 004 PXE example: seed-form boot fields fold into dhcpOptions, boot order kept', () => {
  const vm = validate('seed004-03-vm.yaml').specs[0]!;
  assert.deepEqual(vm.interfaces[0]!.dhcpOptions, {
    bootFileName: 'default_image.bin',
    tftpServerName: 'tftp.example.com',
    ntpServers: [],
    privateOptions: [],
  });
  assert.deepEqual(
    vm.interfaces.map((i) => i.bootOrder),
    [1, 2],
  );
  assert.deepEqual(vm.networks[1]!.source, { kind: 'multus', networkName: 'ovs-vlan-100', default: false });
});

test('seed 004 defaulting: no interfaces gives the default pod bridge; autoattach false gives none', () => {
  const multiqueue = validate('seed004-16-vm.yaml').specs[0]!;
  assert.equal(multiqueue.networkInterfaceMultiqueue, true);
  assert.deepEqual(
    multiqueue.interfaces.map((i) => [i.name, i.binding, i.model]),
    [['default', 'bridge', 'virtio']],
  );
  assert.deepEqual(multiqueue.networks, [{ name: 'default', source: { kind: 'pod' } }]);
  const none = validate('seed004-10-vm.yaml').specs[0]!;
  assert.deepEqual([none.interfaces, none.networks, none.autoattachPodInterface], [[], [], false]);
});

test("the seed's kubevirt-config ConfigMap forbids bridge on the pod network only", async () => {
  const cluster = await loadClusterConfig(seedConfigMap);
  assert.deepEqual(cluster, {
    ...DEFAULT_CLUSTER_CONFIG,
    permitBridgeInterfaceOnPodNetwork: false,
    defaultNetworkInterface: 'bridge',
  });
  const defaulted = validate('seed004-16-vm.yaml', cluster);
  assert.deepEqual(
    defaulted.errors.map((e) => [e.code, e.field]),
    [['BRIDGE_ON_POD_FORBIDDEN', 'spec.domain.devices.interfaces']],
  );
  assert.equal(
    validate('seed004-11-vm.yaml', cluster).valid,
    true,
    'bridge on a Multus network stays allowed',
  );
  assert.equal(validate('seed004-14-vm.yaml', cluster).valid, true, 'masquerade is fine');
});
