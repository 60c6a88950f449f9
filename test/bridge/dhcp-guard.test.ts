// The bridge binding's DHCP guard on a real CNI bridge network with hairpinMode on (as virtnet's
// shipped network has it): a guest's DORA is answered exactly once (no hairpinned copy), nothing of
// it reaches a second pod on the network, and a request carrying the VM's chaddr from another MAC
// behind the VM's TAP gets no answer. Teardown removes the guard's table with the rest. The guest is
// a namespace whose veth takes the TAP's place on the bridge (same name, so the guard applies).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { teardown } from '../../src/apply/executor.js';
import { createPod, deletePod } from '../../src/cni/pod.js';
import {
  BOOTREQUEST,
  chaddrOf,
  emptyMessage,
  encodeMessage,
  setOption,
} from '../../src/dhcp/codec/message.js';
import { MessageType } from '../../src/dhcp/codec/option-table.js';
import { startDhcpPhase } from '../../src/launcher/dhcp-phase.js';
import { runNetworkPhase } from '../../src/launcher/network-phase.js';
import { bridgeConflist, writeConf } from '../cni/cni-fixtures.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { clientMissing, inNs, killProcessesIn, runClient } from './dhcp-clients.js';
import { ip } from './stand-in-pod.js';
import { vmSpec } from './vm-fixture.js';

/** tcpdump -l on `ifname` in `netns`, text lines of DHCP traffic; `stop()` returns them. */
async function watch(netns: string, ifname: string): Promise<{ stop(): Promise<string> }> {
  const proc: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', netns, 'tcpdump', '-l', '-i', ifname, '-n', '-v', 'udp port 67 or udp port 68'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  proc.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    });
    proc.once('exit', () => reject(new Error(`tcpdump in ${netns} exited: ${err}`)));
  });
  return {
    async stop() {
      // tcpdump prints a packet once its line is complete: give the last one a moment.
      await new Promise((r) => setTimeout(r, 300));
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGINT');
        await exited;
      }
      return text;
    },
  };
}

/** Guest namespace with `eth0` (MAC `mac`) plugged into `bridge` of `pod` by a veth named `port`. */
async function guestOn(
  sb: Sandbox,
  pod: string,
  bridge: string,
  mac: string,
  suffix: string,
  port: string,
): Promise<string> {
  const guest = await sb.netns(suffix);
  sb.defer(() => killProcessesIn(guest));
  ip('-n', guest, 'link', 'add', 'eth0', 'address', mac, 'type', 'veth', 'peer', 'name', port, 'netns', pod);
  ip('-n', pod, 'link', 'set', port, 'master', bridge, 'up');
  ip('-n', guest, 'link', 'set', 'eth0', 'up');
  sb.defer(() => {
    try {
      ip('-n', pod, 'link', 'del', port);
    } catch {
      /* gone with the pod */
    }
  });
  return guest;
}

const count = (text: string, re: RegExp): number => [...text.matchAll(re)].length;

test(
  'bridge binding on a hairpin CNI bridge: one answer per request, nothing on the pod network, the VM MAC only',
  { skip: needsRoot() ?? clientMissing('udhcpc') },
  async (t) => {
    const sb = sandbox(t);
    const conf = bridgeConflist(sb, { name: 'def', bridgeSuffix: 'hp' });
    (conf.plugins as Record<string, unknown>[])[0]!.hairpinMode = true;
    const confDir = writeConf(join(sb.dir, 'net.d'), '10-def.conflist', conf);
    const stateDir = join(sb.dir, 'state');
    const pod = await createPod({ name: `${sb.prefix}vm`, stateDir, cniConfDir: confDir });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    const peer = await createPod({ name: `${sb.prefix}peer`, stateDir, cniConfDir: confDir });
    t.after(() => deletePod(peer.name, stateDir, { force: true }));

    const vm = vmSpec();
    const [setUp] = await runNetworkPhase({
      specs: [vm],
      cluster: DEFAULT_CLUSTER_CONFIG,
      netns: pod.netns,
      stateDir,
    });
    t.after(() => teardown(stateDir, vm.name));
    const lease = setUp!.plan.interfaces[0]!.dhcp4!;
    const [server] = await startDhcpPhase(stateDir, [vm.name]);
    t.after(() => server?.stop());
    assert.ok(server);
    assert.match(ip('-n', pod.netns, 'link', 'show', 'eth0'), /master k6t-eth0/);
    assert.match(inNs(pod.netns, ['nft', 'list', 'table', 'bridge', 'virtnet-dhcp-eth0']), /udp dport 67/);

    ip('-n', pod.netns, 'link', 'del', 'tap0');
    const guest = await guestOn(sb, pod.netns, 'k6t-eth0', lease.clientMac, 'g', 'tap0');
    const onGuest = await watch(guest, 'eth0');
    const onPeer = await watch(peer.netns, 'eth0');
    // udhcpc -q exits once bound; the guest's tcpdump keeps running until stop().
    const got = await runClient('udhcpc', guest, 'eth0', sb.dir);
    assert.equal(got.address, lease.address);

    // A request with the VM's chaddr from another MAC behind the VM's TAP (a macvlan in the guest).
    ip(
      '-n',
      guest,
      'link',
      'add',
      'spoof',
      'link',
      'eth0',
      'address',
      '02:5e:de:ad:be:ef',
      'type',
      'macvlan',
      'mode',
      'bridge',
    );
    ip('-n', guest, 'addr', 'add', '192.0.2.9/24', 'dev', 'spoof');
    ip('-n', guest, 'link', 'set', 'spoof', 'up');
    const onSpoofer = await watch(guest, 'spoof');
    const m = emptyMessage(BOOTREQUEST);
    m.xid = 0x5e0f;
    m.flags = 0x8000;
    m.chaddr = chaddrOf(lease.clientMac);
    setOption(m, 'messageType', MessageType.DISCOVER);
    const discover = encodeMessage(m);
    assert.ok(discover.ok);
    const before = server.stats().received;
    const sent = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        guest,
        'socat',
        '-u',
        'STDIN',
        'UDP-DATAGRAM:255.255.255.255:67,broadcast,sp=68,bind=192.0.2.9',
      ],
      { input: discover.value.bytes, timeout: 10_000 },
    );
    assert.equal(sent.status, 0, String(sent.stderr));
    const guestText = await onGuest.stop();
    const peerText = await onPeer.stop();
    const spooferText = await onSpoofer.stop();

    // One OFFER and one ACK for the one DORA (a hairpinned copy of a request would get a second answer).
    assert.equal(count(guestText, /DHCP-Message \(53\), length 1: Offer/g), 1, guestText);
    assert.equal(count(guestText, /DHCP-Message \(53\), length 1: ACK/g), 1, guestText);
    assert.equal(server.stats().offers, 1);
    assert.equal(server.stats().acks, 1);
    // Nothing of the VM's DHCP reaches the pod network.
    assert.equal(peerText.trim(), '', `the peer pod saw: ${peerText}`);
    // The spoofed request never reached the server, and nothing answered it.
    assert.equal(server.stats().received, before);
    assert.doesNotMatch(spooferText, /Offer/, spooferText);

    server.stop();
    await teardown(stateDir, vm.name);
    assert.doesNotMatch(
      inNs(pod.netns, ['nft', 'list', 'tables']),
      /virtnet-dhcp/,
      'the guard table is gone',
    );
  },
);
