// bench/guest-boot: what the embedded VM runner adds to starting QEMU, and how long the virtnet guest
// takes to a DHCP lease under this host's accelerator. Per run: startVm() (XML + argv + files + spawn
// in the pod namespace + QMP negotiation + link state) against the peer — the same QEMU argv spawned
// bare until its QMP greeting — in the same run; then the guest's time to its VIRTNET-NIC lease line
// and READY. Run as root: `node --import tsx bench/guest-boot.ts [runs]` → JSON on stdout.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGuest } from '../src/hypervisor/guest/build-guest.js';
import { guestBoot } from '../src/hypervisor/guest/guest-boot.js';
import { chooseAccel } from '../src/hypervisor/host-facts.js';
import type { VmMachine } from '../src/hypervisor/vm-machine.js';
import { startVm } from '../src/hypervisor/vm-runner.js';
import { median } from './stats.js';

const runs = Number(process.argv[2] ?? 3);
const ns = `vbgb${process.pid.toString(16).slice(-4)}`;
const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

/** The peer: QEMU with the same argv, spawned directly, until QMP greets. */
async function bareQemuStartMs(argv: string[], qmpPath: string): Promise<number> {
  rmSync(qmpPath, { force: true });
  const t0 = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'ignore', 'ignore'] });
  while (!existsSync(qmpPath)) await new Promise((r) => setTimeout(r, 5));
  await new Promise<void>((resolve, reject) => {
    const sock = connect(qmpPath);
    sock.once('data', () => {
      sock.destroy();
      resolve();
    });
    sock.once('error', reject);
  });
  const ms = performance.now() - t0;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

const runnerMs: number[] = [];
const bareMs: number[] = [];
const leaseMs: number[] = [];
const readyUptimeS: number[] = [];
let dnsmasq: ReturnType<typeof spawn> | undefined;
try {
  const image = await ensureGuest();
  const accel = chooseAccel().accel;
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns, 'addr', 'add', '10.66.0.1/24', 'dev', 'br0');
  ip('-n', ns, 'link', 'set', 'br0', 'up');
  ip('-n', ns, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
  ip('-n', ns, 'link', 'set', 'tap0', 'master', 'br0', 'up');
  dnsmasq = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'dnsmasq',
      '--no-daemon',
      '--conf-file=/dev/null',
      '--port=0',
      '--interface=br0',
      '--bind-interfaces',
      '--dhcp-range=10.66.0.50,10.66.0.99,1h',
      `--dhcp-leasefile=${join(dir, 'leases')}`,
    ],
    { stdio: 'ignore' },
  );
  const mac = '52:54:00:66:00:01';
  const machine: VmMachine = {
    name: 'bench',
    memoryMiB: 160,
    vcpus: 1,
    accel,
    boot: guestBoot(image, { hostname: 'bench' }),
    nics: [
      {
        name: 'default',
        alias: 'ua-default',
        model: 'virtio',
        mac,
        linkState: 'up',
        guestConfig: { kind: 'dhcp' },
        backend: { kind: 'tap', tapName: 'tap0', queues: 1 },
      },
    ],
  };
  for (let r = 0; r < runs; r++) {
    const runDir = join(dir, `run${r}`);
    const t0 = performance.now();
    const vm = await startVm({ machine, runDir, netns: ns, host: { vhostNet: false } });
    runnerMs.push(performance.now() - t0);
    await vm.waitForNics([mac], 300_000, (n) => n.dhcp === 'bound');
    leaseMs.push(performance.now() - t0);
    const ready = await vm.waitFor(
      (e): e is { kind: 'ready'; nics: number; uptimeSeconds: number } => e.kind === 'ready',
      300_000,
    );
    readyUptimeS.push(ready.uptimeSeconds);
    await vm.stop({ graceMs: 10_000 });
    const argv = JSON.parse(readFileSync(vm.files.qemuArgv, 'utf8')) as string[];
    bareMs.push(await bareQemuStartMs(argv, vm.files.qmpSocket));
  }
  const result = {
    bench: 'guest-boot',
    runs,
    accel,
    loadavg1: loadavg()[0],
    runnerStartMs: { median: median(runnerMs), all: runnerMs.map(Math.round) },
    bareQemuStartMs: { median: median(bareMs), all: bareMs.map(Math.round) },
    runnerOverheadMs: median(runnerMs) - median(bareMs),
    runnerToBareRatio: median(runnerMs) / median(bareMs),
    spawnToLeaseMs: { median: median(leaseMs), all: leaseMs.map(Math.round) },
    guestUptimeAtReadyS: { median: median(readyUptimeS), all: readyUptimeS },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  dnsmasq?.kill('SIGKILL');
  try {
    ip('netns', 'delete', ns);
  } catch {
    /* not created */
  }
  rmSync(dir, { recursive: true, force: true });
}
