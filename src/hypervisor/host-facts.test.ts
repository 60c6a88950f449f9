import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseAccel, probeHostFacts, qemuDevices } from './host-facts.js';

function tree(
  t: { after: (fn: () => void) => void },
  opts: { kvm?: boolean; pvm?: 'sys' | 'proc'; vhost?: boolean },
) {
  const root = mkdtempSync(join(tmpdir(), 'vnfacts-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'module', 'kvm'), { recursive: true });
  if (opts.kvm) writeFileSync(join(root, 'kvm'), '');
  if (opts.vhost) writeFileSync(join(root, 'vhost-net'), '');
  if (opts.pvm === 'sys') mkdirSync(join(root, 'module', 'kvm_pvm'));
  writeFileSync(
    join(root, 'modules'),
    opts.pvm === 'proc' ? 'kvm_pvm 184320 0 - Live 0x0\nkvm 1 1 kvm_pvm\n' : 'kvm_intel 1 0 - Live 0x0\n',
  );
  return {
    kvmDevice: join(root, 'kvm'),
    vhostNetDevice: join(root, 'vhost-net'),
    sysModule: join(root, 'module'),
    procModules: join(root, 'modules'),
  };
}

test('accelerator: KVM when /dev/kvm works, TCG when missing or KVM-PVM, --accel forces', (t) => {
  assert.equal(chooseAccel('auto', tree(t, { kvm: true })).accel, 'kvm');
  assert.equal(chooseAccel('auto', tree(t, {})).accel, 'tcg');
  assert.match(chooseAccel('auto', tree(t, { kvm: true, pvm: 'sys' })).reason, /KVM-PVM/);
  assert.equal(chooseAccel('auto', tree(t, { kvm: true, pvm: 'proc' })).accel, 'tcg');
  assert.equal(chooseAccel('tcg', tree(t, { kvm: true })).accel, 'tcg');
  assert.equal(chooseAccel('kvm', tree(t, { kvm: true, pvm: 'sys' })).accel, 'kvm');
  assert.throws(() => chooseAccel('kvm', tree(t, {})), { code: 'ACCEL_UNAVAILABLE' });
});

test('vhost-net is reported only when the device exists', (t) => {
  assert.equal(probeHostFacts(tree(t, { vhost: true })).vhostNet, true);
  assert.equal(probeHostFacts(tree(t, {})).vhostNet, false);
});

test('QEMU device list includes the NIC models QEMU 7.2 has', async () => {
  const devices = await qemuDevices();
  for (const d of ['virtio-net-pci', 'e1000', 'e1000e', 'rtl8139', 'ne2k_pci', 'pcnet', 'vfio-pci'])
    assert.ok(devices.includes(d), d);
});
