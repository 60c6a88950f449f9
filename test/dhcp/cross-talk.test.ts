// One server, two bridges: each guest only ever hears its own bridge's server (tcpdump in each
// guest), a known MAC behind the wrong bridge and an unknown MAC get no answer at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { captureDhcp, udhcpc } from './clients.js';
import { addBridge, addGuest, fullLease, serveDhcp } from './topology.js';

test(
  'two bridges, no cross-talk; wrong bridge and unknown MAC are ignored',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const pod = await sb.netns('pod');
    await addBridge(pod, 'br0', '169.254.75.10');
    await addBridge(pod, 'br1', '169.254.75.11');
    const a = await addGuest(sb, pod, 'br0', 'ga', '02:5e:00:00:0a:01');
    const b = await addGuest(sb, pod, 'br1', 'gb', '02:5e:00:00:0b:01');
    // c carries a MAC that is configured for br0 but sits behind br1; d's MAC is not configured at all.
    const c = await addGuest(sb, pod, 'br1', 'gc', '02:5e:00:00:0c:01');
    const d = await addGuest(sb, pod, 'br0', 'gd', '02:5e:00:00:0d:01');
    const config = {
      leases: [
        fullLease({
          clientMac: '02:5e:00:00:0a:01',
          bridge: 'br0',
          serverAddress: '169.254.75.10',
          address: '10.244.1.10',
        }),
        fullLease({
          clientMac: '02:5e:00:00:0b:01',
          bridge: 'br1',
          serverAddress: '169.254.75.11',
          address: '10.245.1.11',
          routers: ['10.245.1.1'],
          classlessRoutes: [],
        }),
        fullLease({
          clientMac: '02:5e:00:00:0c:01',
          bridge: 'br0',
          serverAddress: '169.254.75.10',
          address: '10.244.1.12',
        }),
      ],
    };
    const server = serveDhcp(sb, pod, config);

    const caps = await Promise.all([a, b, c, d].map((g) => captureDhcp(sb, g.netns, g.ifname)));
    const [envA, envB, envC, envD] = await Promise.all(
      [a, b, c, d].map((g) => udhcpc(sb, g.netns, g.ifname, ['-t', '2'])),
    );
    const [seenA = [], seenB = [], seenC = [], seenD = []] = await Promise.all(caps.map((cap) => cap.stop()));
    const stats = server.stats();
    server.stop();

    assert.equal(envA?.ip, '10.244.1.10');
    assert.equal(envA?.serverid, '169.254.75.10');
    assert.equal(envB?.ip, '10.245.1.11');
    assert.equal(envB?.serverid, '169.254.75.11');
    assert.equal(envB?.router, '10.245.1.1');
    assert.equal(envC, undefined, 'a configured MAC behind the wrong bridge must get no answer');
    assert.equal(envD, undefined, 'an unknown MAC must get no answer');

    const fromServer = (lines: string[]) =>
      lines.filter((l) => /^\S+\.67 > /.test(l)).map((l) => l.split(' ')[0]);
    assert.ok(fromServer(seenA).length >= 2, `A saw ${seenA.join('; ')}`);
    assert.deepEqual(new Set(fromServer(seenA)), new Set(['169.254.75.10.67']));
    assert.ok(fromServer(seenB).length >= 2);
    assert.deepEqual(new Set(fromServer(seenB)), new Set(['169.254.75.11.67']));
    // B's replies are broadcasts on br1, which c shares; c must never see br0's server.
    assert.ok(!fromServer(seenC).includes('169.254.75.10.67'), `C saw ${seenC.join('; ')}`);
    assert.ok(!fromServer(seenD).includes('169.254.75.11.67'), `D saw ${seenD.join('; ')}`);

    assert.ok(stats.wrongBridge >= 1, 'wrong-bridge requests counted');
    assert.ok(stats.unknownClient >= 1, 'unknown clients counted');
  },
);
