import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedGuest, moduleLoadOrder } from './build-guest.js';

const MODULES_DEP = [
  'kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz',
  'kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz',
  'kernel/net/core/failover.ko.xz:',
  'kernel/drivers/virtio/virtio.ko.xz:',
  'kernel/drivers/virtio/virtio_ring.ko.xz:',
  'kernel/drivers/net/ethernet/8390/ne2k-pci.ko.xz: kernel/drivers/net/ethernet/8390/8390.ko.xz',
  'kernel/drivers/net/ethernet/8390/8390.ko.xz:',
].join('\n');

test('module load order puts dependencies first, each once, and matches - and _ alike', () => {
  assert.deepEqual(moduleLoadOrder(MODULES_DEP, ['virtio_net', 'ne2k_pci', 'failover']), [
    'kernel/drivers/virtio/virtio_ring.ko.xz',
    'kernel/drivers/virtio/virtio.ko.xz',
    'kernel/net/core/failover.ko.xz',
    'kernel/drivers/net/net_failover.ko.xz',
    'kernel/drivers/net/virtio_net.ko.xz',
    'kernel/drivers/net/ethernet/8390/8390.ko.xz',
    'kernel/drivers/net/ethernet/8390/ne2k-pci.ko.xz',
  ]);
});

test('a module missing from the kernel is a clear error', () => {
  assert.throws(() => moduleLoadOrder(MODULES_DEP, ['e1000']), { code: 'GUEST_MODULE_MISSING' });
});

test('the cache is used only when complete and built from the current guest sources', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vnguest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(cachedGuest(dir), undefined);
  writeFileSync(join(dir, 'vmlinuz'), '');
  writeFileSync(join(dir, 'initrd.img'), '');
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ inputsHash: 'stale', kernelVersion: '6.1.0-1-amd64', modules: [] }),
  );
  assert.equal(cachedGuest(dir), undefined);
});
