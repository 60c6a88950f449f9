import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fdbAge, fdbEntry, locateMac, primingFdbReaders } from './bridge-fdb.js';
import { chaddrOf } from './codec/message.js';

const vmA = chaddrOf('02:00:00:00:00:0a');
const vmB = chaddrOf('02:00:00:00:00:0b');

test('an FDB entry in the kernel format carries the MAC and its age', () => {
  assert.equal(fdbAge(fdbEntry(vmA, 42), vmA), 42);
  assert.equal(fdbAge(fdbEntry(vmA, 42), vmB), undefined);
});

test('priming readers: the learned one has each MAC on its bridge, the empty one none, and dispose leaves no files', () => {
  const fdb = primingFdbReaders([
    { bridge: 'k6t-eth0', mac: vmA },
    { bridge: 'k6t-net1', mac: vmB },
  ]);
  const bridges = ['k6t-eth0', 'k6t-net1'];
  assert.deepEqual(locateMac(fdb.learned, bridges, vmA), { kind: 'found', bridge: 'k6t-eth0' });
  assert.deepEqual(locateMac(fdb.learned, bridges, vmB), { kind: 'found', bridge: 'k6t-net1' });
  assert.deepEqual(locateMac(fdb.empty, bridges, vmA), { kind: 'unknown' });
  fdb.dispose();
  assert.equal(locateMac(fdb.learned, bridges, vmA).kind, 'unknown', 'no file is left to read after dispose');
});
