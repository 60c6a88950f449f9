// Acceptance of the bridge binding on real CNI pods (bridge + host-local plugins): a guest namespace
// behind the VM's bridge port gets the pod's IP, prefix, gateway, MTU, DNS, search domains, hostname
// and routes from virtnet's DHCP server with udhcpc, dhclient and dhcpcd, then talks to a second pod
// by ping and TCP both ways; a three-network VM gets three servers with no cross-talk (tcpdump);
// teardown restores the pod byte for byte and leaves no link, process or state file.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG, type NetworkSpec } from '../../src/api/types.js';
import { teardown } from '../../src/apply/executor.js';
import { createPod, deletePod } from '../../src/cni/pod.js';
import { hashedPodIfname } from '../../src/cni/pod-ifname.js';
import { startDhcpPhase } from '../../src/launcher/dhcp-phase.js';
import { runNetworkPhase } from '../../src/launcher/network-phase.js';
import { bridgeConflist, testSubnets, writeConf } from '../cni/cni-fixtures.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { clientMissing, inNs, killProcessesIn, runClient, type DhcpClient } from './dhcp-clients.js';
import { ip, snapshot } from './stand-in-pod.js';
import { bridgeIface, vmSpec } from './vm-fixture.js';

const SEARCH = 'default.svc.cluster.local svc.cluster.local';

function podDns(sb: Sandbox, pod: string): string {
  const etc = join(sb.dir, 'etc-netns');
  mkdirSync(join(etc, pod), { recursive: true });
  writeFileSync(join(etc, pod, 'resolv.conf'), `nameserver 10.96.0.10\nsearch ${SEARCH}\noptions ndots:5\n`);
  return etc;
}

function macOf(netns: string, ifname: string): string {
  return (JSON.parse(ip('-n', netns, '-j', 'link', 'show', ifname)) as { address: string }[])[0]!.address;
}

function ipv4Of(netns: string, ifname: string): string {
  const link = (
    JSON.parse(ip('-n', netns, '-j', 'addr', 'show', ifname)) as {
      addr_info: { family: string; local: string }[];
    }[]
  )[0]!;
  return link.addr_info.find((a) => a.family === 'inet')!.local;
}

/** A guest namespace with one veth per (bridge, mac), named eth0, eth1, ... */
async function createGuestNs(
  sb: Sandbox,
  pod: string,
  ports: { bridge: string; mac: string }[],
): Promise<string> {
  const guest = await sb.netns('g');
  sb.defer(() => killProcessesIn(guest));
  ports.forEach(({ bridge, mac }, i) => {
    ip(
      '-n',
      guest,
      'link',
      'add',
      `eth${i}`,
      'address',
      mac,
      'type',
      'veth',
      'peer',
      'name',
      `vmport${i}`,
      'netns',
      pod,
    );
    ip('-n', pod, 'link', 'set', `vmport${i}`, 'master', bridge, 'up');
    ip('-n', guest, 'link', 'set', `eth${i}`, 'up');
  });
  return guest;
}

async function tcpOnce(server: string, client: string, address: string, port: number): Promise<string> {
  const listener: ChildProcess = spawn('ip', ['netns', 'exec', server, 'nc', '-N', '-l', String(port)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  listener.stdin!.end(`hello from ${server}\n`);
  try {
    for (let i = 0; i < 50; i++) {
      try {
        const got = inNs(client, ['nc', '-N', '-w', '3', address, String(port)]);
        if (got.includes('hello')) return got.trim();
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no TCP answer from ${address}:${port}`);
  } finally {
    listener.kill('SIGKILL');
  }
}

const clients: DhcpClient[] = ['udhcpc', 'dhclient', 'dhcpcd'];

test(
  'bridge on a CNI pod network: udhcpc, dhclient and dhcpcd get the pod config; guest and a second pod talk both ways',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const confDir = writeConf(
      join(sb.dir, 'net.d'),
      '10-def.conflist',
      bridgeConflist(sb, { name: 'def', bridgeSuffix: 'br' }),
    );
    const stateDir = join(sb.dir, 'state');
    const pod = await createPod({ name: `${sb.prefix}vm`, stateDir, cniConfDir: confDir });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    const peer = await createPod({ name: `${sb.prefix}peer`, stateDir, cniConfDir: confDir });
    t.after(() => deletePod(peer.name, stateDir, { force: true }));
    const s = testSubnets(sb);
    const podIp = ipv4Of(pod.netns, 'eth0');
    const peerIp = ipv4Of(peer.netns, 'eth0');
    const podMac = macOf(pod.netns, 'eth0');
    const mtu = (JSON.parse(ip('-n', pod.netns, '-j', 'link', 'show', 'eth0')) as { mtu: number }[])[0]!.mtu;
    const before = await snapshot(pod.netns);

    const vm = vmSpec({ hostname: 'guest1' });
    const [setUp] = await runNetworkPhase({
      specs: [vm],
      cluster: DEFAULT_CLUSTER_CONFIG,
      netns: pod.netns,
      stateDir,
      discover: { etcNetnsDir: podDns(sb, pod.netns) },
    });
    t.after(() => teardown(stateDir, vm.name));
    const servers = await startDhcpPhase(stateDir, [vm.name]);
    t.after(() => {
      for (const srv of servers) srv.stop();
    });
    assert.equal(setUp!.plan.interfaces[0]!.nic.mac, podMac);
    const guest = await createGuestNs(sb, pod.netns, [{ bridge: 'k6t-eth0', mac: podMac }]);

    for (const client of clients) {
      const missing = clientMissing(client);
      if (missing) {
        t.diagnostic(`skipping ${client}: ${missing}`);
        continue;
      }
      const lease = await runClient(client, guest, 'eth0', sb.dir);
      killProcessesIn(guest);
      assert.equal(lease.address, podIp, `${client}: address`);
      assert.equal(lease.prefixLength, 24, `${client}: prefix`);
      assert.deepEqual(lease.routers, [s.gw4], `${client}: router`);
      assert.deepEqual(lease.dns, ['10.96.0.10'], `${client}: dns`);
      assert.match(lease.search, /default\.svc\.cluster\.local\.? svc\.cluster\.local/, `${client}: search`);
      assert.equal(lease.hostname, 'guest1', `${client}: hostname`);
      assert.equal(lease.mtu, String(mtu), `${client}: mtu`);
      assert.equal(lease.serverId, '169.254.75.10', `${client}: server id`);
    }

    // Configure the guest as a DHCP client's script would, then talk to the second pod both ways.
    inNs(guest, ['ip', 'addr', 'add', `${podIp}/24`, 'dev', 'eth0']);
    inNs(guest, ['ip', 'route', 'add', 'default', 'via', s.gw4]);
    inNs(guest, ['ping', '-c1', '-W3', peerIp]);
    inNs(peer.netns, ['ping', '-c1', '-W3', podIp]);
    assert.match(await tcpOnce(peer.netns, guest, peerIp, 7101), /hello/);
    assert.match(await tcpOnce(guest, peer.netns, podIp, 7102), /hello/);

    for (const srv of servers) srv.stop();
    killProcessesIn(guest);
    ip('-n', pod.netns, 'link', 'del', 'vmport0');
    await teardown(stateDir, vm.name);
    assert.deepEqual(await snapshot(pod.netns), before, 'pod restored byte for byte');
    assert.equal(existsSync(join(stateDir, 'vms', vm.name)), false, 'no state file left');
  },
);

test(
  'bridge on the pod network plus two Multus networks: three bridges, three servers, no cross-talk',
  { skip: needsRoot() ?? clientMissing('udhcpc') },
  async (t) => {
    const sb = sandbox(t);
    const confDir = writeConf(
      join(sb.dir, 'net.d'),
      '10-def.conflist',
      bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }),
    );
    const nads = join(sb.dir, 'nads.yaml');
    const nad = (name: string, conf: unknown): string =>
      `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: ${name}\nspec:\n  config: '${JSON.stringify(conf)}'\n---\n`;
    writeFileSync(
      nads,
      nad('red', bridgeConflist(sb, { name: 'red', bridgeSuffix: 'b1', salt: 1 })) +
        nad('blue', bridgeConflist(sb, { name: 'blue', bridgeSuffix: 'b2', salt: 2 })),
    );
    const stateDir = join(sb.dir, 'state');
    const networks: NetworkSpec[] = [
      { name: 'default', source: { kind: 'pod' } },
      { name: 'red', source: { kind: 'multus', networkName: 'red', default: false } },
      { name: 'blue', source: { kind: 'multus', networkName: 'blue', default: false } },
    ];
    const vm = vmSpec({ networks, interfaces: networks.map((n) => bridgeIface(n.name)) });
    const ifnames = ['eth0', hashedPodIfname('red'), hashedPodIfname('blue')];
    const pod = await createPod({
      name: `${sb.prefix}vm`,
      stateDir,
      cniConfDir: confDir,
      nadFiles: [nads],
      networks: `red@${ifnames[1]},blue@${ifnames[2]}`,
    });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    const before = await snapshot(pod.netns);
    const podIps = ifnames.map((i) => ipv4Of(pod.netns, i));
    const macs = ifnames.map((i) => macOf(pod.netns, i));

    const [setUp] = await runNetworkPhase({
      specs: [vm],
      cluster: DEFAULT_CLUSTER_CONFIG,
      netns: pod.netns,
      stateDir,
      discover: { etcNetnsDir: podDns(sb, pod.netns) },
    });
    t.after(() => teardown(stateDir, vm.name));
    const bridges = setUp!.plan.interfaces.map((i) => i.dhcp4!.bridge);
    assert.equal(new Set(bridges).size, 3);
    const servers = await startDhcpPhase(stateDir, [vm.name]);
    t.after(() => {
      for (const srv of servers) srv.stop();
    });
    const guest = await createGuestNs(
      sb,
      pod.netns,
      bridges.map((bridge, i) => ({ bridge, mac: macs[i]! })),
    );

    // Capture DHCP on every guest interface while all three clients run (tcpdump -l: line-buffered text).
    const captures = [0, 1, 2].map((i) => {
      const proc = spawn(
        'ip',
        [
          'netns',
          'exec',
          guest,
          'tcpdump',
          '-l',
          '-i',
          `eth${i}`,
          '-n',
          '-e',
          '-v',
          'udp port 67 or udp port 68',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const capture = { proc, text: '', listening: Promise.resolve() };
      proc.stdout.on('data', (b: Buffer) => (capture.text += b.toString()));
      capture.listening = new Promise<void>((resolve, reject) => {
        let err = '';
        proc.stderr.on('data', (b: Buffer) => {
          err += b.toString();
          if (err.includes('listening on')) resolve();
        });
        proc.once('exit', () => reject(new Error(`tcpdump on eth${i} exited: ${err}`)));
      });
      return capture;
    });
    await Promise.all(captures.map((c) => c.listening));
    const leases = await Promise.all([0, 1, 2].map((i) => runClient('udhcpc', guest, `eth${i}`, sb.dir)));
    // Wait until each capture shows its ACK, then stop tcpdump.
    for (let n = 0; n < 100 && !captures.every((c) => /\.67 > [\s\S]*\.67 > /.test(c.text)); n++)
      await new Promise((r) => setTimeout(r, 50));
    for (const c of captures) c.proc.kill('SIGINT');
    await Promise.all(
      captures.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.once('exit', r)))),
    );
    leases.forEach((lease, i) => {
      assert.equal(lease.address, podIps[i], `eth${i} got its own pod IP`);
      assert.equal(lease.serverId, `169.254.75.${10 + i}`, `eth${i} answered by its own server`);
    });
    captures.forEach((c, i) => {
      const text = c.text;
      const fromServers = [...text.matchAll(/(\d+\.\d+\.\d+\.\d+)\.67 > /g)].map((m) => m[1]);
      assert.ok(fromServers.length > 0, `eth${i} saw server replies`);
      assert.deepEqual(
        [...new Set(fromServers)],
        [`169.254.75.${10 + i}`],
        `eth${i} heard only its own server`,
      );
      const yiaddrs = [...text.matchAll(/Your-IP (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(yiaddrs)], [podIps[i]], `eth${i} was offered only its own address`);
    });

    for (const srv of servers) srv.stop();
    killProcessesIn(guest);
    for (let i = 0; i < 3; i++) ip('-n', pod.netns, 'link', 'del', `vmport${i}`);
    await teardown(stateDir, vm.name);
    assert.deepEqual(await snapshot(pod.netns), before, 'pod restored byte for byte');
  },
);
