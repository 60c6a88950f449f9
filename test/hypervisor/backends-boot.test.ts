// Real guests on the two backends QEMU does not open by name: a macvtap on a pod's veth (the runner
// opens the macvtap's tap device in the pod namespace and hands QEMU the fd) and passt (QEMU 7.2's
// stream netdev on passt's unix socket). Both VMs boot in parallel, once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestNicReport } from '../../src/hypervisor/guest-console.js';
import { ensureGuest } from '../../src/hypervisor/guest/build-guest.js';
import { guestBoot } from '../../src/hypervisor/guest/guest-boot.js';
import { chooseAccel } from '../../src/hypervisor/host-facts.js';
import { type RunningVm, startVm } from '../../src/hypervisor/vm-runner.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { inNetns, ip, linkNamespaces, startDnsmasq, statusInNetns } from './lan.js';
import { nic } from './machines.js';

const BOOT_TIMEOUT_MS = 100_000;

describe('macvtap and passt guests on real QEMU', { skip: needsRoot(), timeout: 300_000 }, () => {
  let cleanup: () => unknown = () => undefined;
  after(() => cleanup());
  const vms: Record<string, RunningVm> = {};
  const reports: Record<string, GuestNicReport> = {};
  const ns = { macvtapPod: '', macvtapPeer: '', passtPod: '', passtPeer: '' };
  let macvtapMac = '';

  before(async () => {
    const sb = sandbox({
      after: (fn) => {
        cleanup = fn as () => unknown;
      },
    });
    const image = await ensureGuest();
    const accel = chooseAccel().accel;
    ns.macvtapPod = await sb.netns('mpod');
    ns.macvtapPeer = await sb.netns('mpeer');
    ns.passtPod = await sb.netns('ppod');
    ns.passtPeer = await sb.netns('ppeer');

    // macvtap on the pod's eth0, whose peer network has a DHCP server.
    linkNamespaces(ns.macvtapPod, 'eth0', undefined, ns.macvtapPeer, 'peer0', '10.78.0.1/24');
    startDnsmasq(sb, ns.macvtapPeer, 'peer0', '10.78.0');
    ip(ns.macvtapPod, 'link', 'add', 'link', 'eth0', 'name', 'mvt0', 'type', 'macvtap', 'mode', 'bridge');
    ip(ns.macvtapPod, 'link', 'set', 'mvt0', 'up');
    macvtapMac = (JSON.parse(ip(ns.macvtapPod, '-j', 'link', 'show', 'mvt0')) as { address: string }[])[0]!
      .address;

    // passt in a pod whose eth0 has the pod IP and a default route; only port 80 is forwarded.
    linkNamespaces(ns.passtPod, 'eth0', '10.88.0.2/24', ns.passtPeer, 'peer0', '10.88.0.1/24');
    ip(ns.passtPod, 'route', 'add', 'default', 'via', '10.88.0.1');
    // passt drops root to nobody before it creates the socket: give it a directory it may write.
    const socketDir = join(sb.dir, 'passt');
    mkdirSync(socketDir, { mode: 0o777 });
    chmodSync(socketDir, 0o777);
    chmodSync(sb.dir, 0o755);
    const socketPath = join(socketDir, 'passt.sock');
    const passt = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.passtPod,
        'passt',
        '--foreground',
        '--quiet',
        '--socket',
        socketPath,
        '--tcp-ports',
        '80',
        '--udp-ports',
        'none',
      ],
      { stdio: 'ignore' },
    );
    sb.trackPid(passt.pid);
    for (let i = 0; i < 200 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(existsSync(socketPath), 'passt created no socket');

    const machines = {
      macvtap: {
        netns: ns.macvtapPod,
        nics: [
          nic({
            name: 'default',
            mac: macvtapMac,
            backend: { kind: 'macvtap', device: 'mvt0', parent: 'eth0', mode: 'bridge', queues: 1 },
          }),
        ],
      },
      passt: {
        netns: ns.passtPod,
        nics: [nic({ name: 'default', mac: '52:54:00:0c:00:01', backend: { kind: 'passt', socketPath } })],
      },
    };
    await Promise.all(
      Object.entries(machines).map(async ([name, m]) => {
        const vm = await startVm({
          netns: m.netns,
          runDir: join(sb.dir, name),
          host: { vhostNet: false },
          machine: {
            name: `vm-${name}`,
            memoryMiB: 160,
            vcpus: 1,
            accel,
            boot: guestBoot(image, { hostname: `vm-${name}` }),
            nics: m.nics,
          },
        });
        sb.trackPid(vm.pid);
        vms[name] = vm;
        try {
          const [report] = await vm.waitForNics([m.nics[0]!.mac], BOOT_TIMEOUT_MS, (r) => r.dhcp === 'bound');
          reports[name] = report!;
          // Services listen once the guest says READY.
          await vm.waitFor(
            (e): e is { kind: 'ready'; nics: number; uptimeSeconds: number } => e.kind === 'ready',
            BOOT_TIMEOUT_MS,
          );
        } catch (err) {
          throw new Error(`${name}: ${String(err)}\nconsole:\n${readFileSync(vm.files.consoleLog, 'utf8')}`);
        }
      }),
    );
  });

  test('macvtap: the guest uses the macvtap MAC, gets a lease from the pod network and answers from the peer', () => {
    const r = reports.macvtap!;
    assert.equal(r.mac, macvtapMac);
    assert.match(r.ipv4 ?? '', /^10\.78\.0\.\d+\/24$/);
    const address = r.ipv4!.split('/')[0]!;
    assert.equal(
      inNetns(ns.macvtapPeer, ['nc', '-N', '-w', '5', address, '7'], 'via macvtap\n'),
      'via macvtap\n',
    );
  });

  test('passt: the guest sees the pod IP and gateway; only the forwarded port is reachable from outside', () => {
    const r = reports.passt!;
    assert.equal(r.ipv4, '10.88.0.2/24');
    assert.equal(r.gateway4, '10.88.0.1');
    const page = inNetns(ns.passtPeer, ['nc', '-N', '-w', '5', '10.88.0.2', '80'], 'GET / HTTP/1.0\r\n\r\n');
    assert.match(page, /^HTTP\/1\.[01] 200/);
    assert.ok(page.includes('ipv4=10.88.0.2/24'));
    // The guest listens on 7 too, but passt forwards only 80.
    assert.notEqual(statusInNetns(ns.passtPeer, ['nc', '-z', '-w', '3', '10.88.0.2', '7']), 0);
  });

  test('both stop cleanly', async () => {
    const exits = await Promise.all(Object.values(vms).map((vm) => vm.stop({ graceMs: 20_000 })));
    for (const e of exits) assert.deepEqual([e.code, e.signal], [0, null], e.stderrTail);
  });
});
