// The netns-switch addon against the real kernel: programs started inside a namespace run there,
// sysctl writes land in the pod only, the main thread always comes back, and the nsenter fallback
// (VIRTNET_NO_NATIVE=1) gives the same results and errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';
import { needsRoot, sandbox } from '../../test/support/sandbox.js';
import { runIpBatch } from './ip.js';
import { findLink, readNetnsState } from './netns-state.js';
import { inNetns, netnsSwitchAvailable } from './netns-switch.js';
import { applyNftCommands, listNftTables } from './nft.js';
import { readSysctls, writeSysctls } from './sysctl.js';

const noAddon = netnsSwitchAvailable()
  ? undefined
  : 'netns-switch addon not built (no C compiler at build time)';
test(
  'a program started inside a namespace runs there, and the main thread comes back',
  { skip: needsRoot() ?? noAddon },
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

test(
  'with and without the addon: same sysctls, same ip by path, same nft',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.netns('f');
    const hostArpIgnore = readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8').trim();
    for (const fallback of [false, true]) {
      if (fallback) process.env.VIRTNET_NO_NATIVE = '1';
      try {
        const value = fallback ? '2' : '1';
        await writeSysctls(ns, [{ key: 'net/ipv4/conf/all/arp_ignore', value }]);
        assert.equal(
          (await readSysctls(ns, ['net/ipv4/conf/all/arp_ignore'])).get('net/ipv4/conf/all/arp_ignore'),
          value,
        );
        assert.equal(
          readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8').trim(),
          hostArpIgnore,
          'the host keeps its value',
        );
        await assert.rejects(
          writeSysctls(ns, [{ key: 'net/ipv4/conf/nope/arp_ignore', value: '1' }]),
          (e) => isVirtnetError(e, 'SYSCTL_FAILED') && e.detail.key === 'net/ipv4/conf/nope/arp_ignore',
        );
        const dev = fallback ? 'brb' : 'bra';
        await runIpBatch(`/var/run/netns/${ns}`, [`link add ${dev} type bridge`]);
        assert.ok(findLink(await readNetnsState(ns), dev));
        await assert.rejects(readNetnsState(`/var/run/netns/${sb.prefix}missing`), (e) =>
          isVirtnetError(e, 'NETNS_NOT_FOUND'),
        );
        const table = `virtnet-sw-${fallback ? 'b' : 'a'}`;
        await applyNftCommands([{ add: { table: { family: 'ip', name: table } } }], { netns: { name: ns } });
        assert.ok((await listNftTables({ netns: { name: ns } })).some((x) => x.name === table));
        assert.ok(
          !(await listNftTables()).some((x) => x.name === table),
          'the table is in the pod, not on the host',
        );
      } finally {
        delete process.env.VIRTNET_NO_NATIVE;
      }
    }
  },
);
