// Embedded pods with the real bridge/host-local plugins: default network, Multus secondaries, the
// default-network override, Genie lookups, rollback, and teardown after a crash.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { netnsExists } from '../../src/host/netns.js';
import { createPod, deletePod, listPods, readPod } from '../../src/cni/pod.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { bridgeConflist, inNetns, linksIn, testSubnets, writeConf } from './cni-fixtures.js';

test('two pods on the default network ping each other and the gateway', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const confDir = writeConf(join(sb.dir, 'net.d'), '10-def.conflist', bridgeConflist(sb, { name: 'def', bridgeSuffix: 'br', v6: true }));
  const stateDir = join(sb.dir, 'state');
  const a = await createPod({ name: `${sb.prefix}a`, stateDir, cniConfDir: confDir });
  const b = await createPod({ name: `${sb.prefix}b`, stateDir, cniConfDir: confDir });
  assert.equal(a.netns, `${sb.prefix}a`);
  assert.equal(a.networkStatus.length, 1);
  const sa = a.networkStatus[0]!;
  assert.equal(sa.interface, 'eth0');
  assert.equal(sa.default, true);
  assert.equal(sa.name, 'def');
  assert.equal(sa.ips?.length, 2);
  assert.match(sa.mac ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  const ipB = b.networkStatus[0]!.ips!.find((ip) => !ip.includes(':'))!;
  await inNetns(a.netns, ['ping', '-c1', '-W2', ipB]);
  await inNetns(a.netns, ['ping', '-c1', '-W2', testSubnets(sb).gw4]);
  assert.deepEqual(listPods(stateDir).map((p) => p.name), [a.name, b.name]);
  assert.deepEqual(readPod(a.name, stateDir)?.networkStatus, a.networkStatus);
  await deletePod(a.name, stateDir);
  await deletePod(b.name, stateDir);
  await deletePod(b.name, stateDir); // idempotent
  assert.equal(netnsExists({ name: a.name }), false);
  assert.deepEqual(listPods(stateDir), []);
  assert.deepEqual(readdirSync(join(stateDir, 'cni', 'results')), []);
  // host-local released both addresses
  assert.deepEqual(readdirSync(join(sb.dir, 'ipam', 'def')).filter((f) => /^\d|:/.test(f)), []);
});
