// The netns-switch addon against the real kernel: programs started inside a namespace run there,
// sysctl writes land in the pod only, and the main thread always comes back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';
import { needsRoot, sandbox } from '../../test/support/sandbox.js';
import { runIpBatch } from './ip.js';
import { findLink, readNetnsState } from './netns-state.js';
import { inNetns } from './netns-switch.js';
import { applyNftCommands, listNftTables } from './nft.js';
import { readSysctls, writeSysctls } from './sysctl.js';

test(
  'a program started inside a namespace runs there, and the main thread comes back',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.netns('w');
    await runIpBatch(ns, ['link add br-in type bridge']);
    const hostLinks = (await runProgram(['ip', '-o', 'link'], { timeoutMs: 5000 })).stdout;
    const inside = await inNetns(`/var/run/netns/${ns}`, () =>
      runProgram(['ip', '-o', 'link'], { timeoutMs: 5000 }),
    );
    assert.match(inside.stdout, /br-in/);
    assert.doesNotMatch(hostLinks, /br-in/);
    // Back home: the same command now lists the host's links again.
    assert.equal((await runProgram(['ip', '-o', 'link'], { timeoutMs: 5000 })).stdout, hostLinks);
    // A throwing callback still returns the thread.
    assert.throws(
      () =>
        inNetns(`/var/run/netns/${ns}`, () => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal((await runProgram(['ip', '-o', 'link'], { timeoutMs: 5000 })).stdout, hostLinks);
    assert.throws(
      () => inNetns(`/var/run/netns/${sb.prefix}missing`, () => 1),
      (e) => isVirtnetError(e, 'NETNS_NOT_FOUND'),
    );
  },
);

test('sysctls, ip by path and nft land in the pod only', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.netns('f');
  const hostArpIgnore = readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8').trim();
  const value = hostArpIgnore === '2' ? '1' : '2';
  writeSysctls(ns, [{ key: 'net/ipv4/conf/all/arp_ignore', value }]);
  assert.equal(readSysctls(ns, ['net/ipv4/conf/all/arp_ignore']).get('net/ipv4/conf/all/arp_ignore'), value);
  assert.equal(
    readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8').trim(),
    hostArpIgnore,
    'the host keeps its value',
  );
  assert.throws(
    () => writeSysctls(ns, [{ key: 'net/ipv4/conf/nope/arp_ignore', value: '1' }]),
    (e) => isVirtnetError(e, 'SYSCTL_FAILED') && e.detail.key === 'net/ipv4/conf/nope/arp_ignore',
  );
  await runIpBatch(`/var/run/netns/${ns}`, ['link add bra type bridge']);
  assert.ok(findLink(await readNetnsState(ns), 'bra'));
  await assert.rejects(readNetnsState(`/var/run/netns/${sb.prefix}missing`), (e) =>
    isVirtnetError(e, 'NETNS_NOT_FOUND'),
  );
  const table = 'virtnet-sw-a';
  await applyNftCommands([{ add: { table: { family: 'ip', name: table } } }], { netns: { name: ns } });
  assert.ok((await listNftTables({ netns: { name: ns } })).some((x) => x.name === table));
  assert.ok(
    !(await listNftTables()).some((x) => x.name === table),
    'the table is in the pod, not on the host',
  );
});
