// The DHCP server under a storm of malformed packets on the wire: 60,000 seeded mutations of real
// clients' packets (test/dhcp/mutate.ts), broadcast and unicast, from a namespace behind the same
// bridge as a guest. The server — a process of its own, with the V8 flags of a VM's virtnet process
// — keeps serving the guest, answers no MAC but its lease's, counts the garbage, and its resident
// memory does not grow with the packets it has seen.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { openUdpSocket, interfaceIndex } from '../../src/dhcp/udp-socket.js';
import { LEAN_NODE_FLAGS } from '../../src/exec/lean-node.js';
import { inNetns } from '../../src/host/netns-switch.js';
import { netnsPath } from '../../src/host/netns.js';
import { udhcpc } from '../dhcp/clients.js';
import { mutate, rng } from '../dhcp/mutate.js';
import { addBridge, addGuest, fullLease, ip, writeConfig } from '../dhcp/topology.js';
import { needsRoot, sandbox } from '../support/sandbox.js';

// The captured packets' client MAC: mutations that still parse ask for this lease.
const MAC = '02:aa:bb:cc:dd:01';
const SERVER = '169.254.75.10';
const CHILD = join(import.meta.dirname, '..', 'support', 'dhcp-server-child.ts');

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

test(
  '60,000 malformed packets on the wire: the server keeps serving, answers its MAC only, memory flat',
  { skip: needsRoot(), timeout: 180_000 },
  async (t) => {
    const sb = sandbox(t);
    const pod = await sb.netns('pod');
    await addBridge(pod, 'br0', SERVER);
    const guest = await addGuest(sb, pod, 'br0', 'g1', MAC);
    const fuzzer = await addGuest(sb, pod, 'br0', 'fz', '02:5e:f0:22:00:01');
    await ip('-n', fuzzer.netns, 'addr', 'add', '192.0.2.9/24', 'dev', fuzzer.ifname);
    // The pod answers the fuzzer's ARP for the server address only with a route back to it.
    await ip('-n', pod, 'route', 'add', '192.0.2.0/24', 'dev', 'br0');
    const configPath = writeConfig(sb, {
      leases: [fullLease({ clientMac: MAC, bridge: 'br0', serverAddress: SERVER, address: '10.244.1.30' })],
    });
    const logPath = join(sb.dir, 'server.log');

    const child = spawn(
      process.execPath,
      [...LEAN_NODE_FLAGS, '--import', 'tsx', CHILD, configPath, pod, logPath],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    sb.trackPid(child.pid);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => line === 'ready' && resolve());
      void exited.then((code) => reject(new Error(`the server exited (${code}) before it was ready`)));
    });
    assert.equal((await udhcpc(sb, guest.netns, guest.ifname))?.ip, '10.244.1.30');

    // The fuzzer's socket, in its namespace; sends leave through its interface (no route needed).
    const fuzzerPath = netnsPath({ name: fuzzer.netns });
    const { socket, ifindex } = inNetns(fuzzerPath, () => ({
      socket: openUdpSocket({ address: '192.0.2.9', port: 0, broadcast: true, onPacket: () => undefined }),
      ifindex: interfaceIndex(fuzzer.ifname) ?? 0,
    }));
    t.after(() => socket.close());
    const next = rng(0xd0c5);
    const storm = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        socket.send(mutate(next), i % 2 === 0 ? '255.255.255.255' : SERVER, 67, ifindex);
        // In bursts the server's receive queue holds (drops would only test the kernel).
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, 500));
    };
    await storm(10_000);
    const warmKiB = rssKiB(child.pid!);
    await storm(50_000);
    const afterKiB = rssKiB(child.pid!);
    t.diagnostic(`server RSS ${warmKiB} KiB after 10,000 packets, ${afterKiB} KiB after 60,000`);
    assert.ok(afterKiB - warmKiB < 8 * 1024, `RSS grew by ${afterKiB - warmKiB} KiB over 50,000 packets`);

    // Still serving.
    assert.equal((await udhcpc(sb, guest.netns, guest.ifname))?.ip, '10.244.1.30');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(existsSync(logPath));
    const records = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; mac?: string; stats?: Record<string, number> });
    const replies = records.filter((r) => ['offer', 'ack', 'nak', 'inform'].includes(r.event));
    assert.ok(replies.length > 0);
    assert.deepEqual([...new Set(replies.map((r) => r.mac))], [MAC], 'replies only to the lease MAC');
    const stats = records.find((r) => r.event === 'stopped')?.stats;
    assert.ok(stats, 'final counters');
    t.diagnostic(`server counters: ${JSON.stringify(stats)}`);
    // Thousands, not most of the 60,000: how many the receive queue holds depends on the machine's load.
    assert.ok(stats.received! > 5_000, `received ${stats.received}`);
    assert.ok(stats.malformed! > 1_000, `malformed ${stats.malformed}`);
  },
);
