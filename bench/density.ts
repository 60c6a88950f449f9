// bench/density: what every VM costs a node. For N VMs (default 1, 10, 50, 100) on one machine, each
// a pod made through the real bridge CNI plugin (`virtnet pod create`) and a `virtnet up` process
// (bridge binding + virtnet's DHCP server) that serves a stand-in guest its lease (udhcpc behind a
// veth on the VM's bridge; no QEMU), it prints per N:
// - setup: per-VM milliseconds from `pod create` to `up` printing ready (median, p90), while the
//   VMs set up before it sit idle;
// - memory: resident memory (VmRSS) of the `up` processes, total and per VM;
// - idleCpu: CPU time all of them used over IDLE_SECONDS with every guest holding its lease, as a
//   percentage of one core: in the window right after the last setup (V8 still finishes its
//   start-up garbage collections in the first ~20 s of a process), and in the window after it;
// - teardown: SIGTERM to every `up` (they undo their bindings) plus `pod delete` of all pods.
// In the same run the per-pod peer a simple design would use — one dnsmasq per pod serving the same
// lease on the same bridge (after `up --phase network`) — gets the same memory and idle-CPU figures.
// Run: `node --import tsx bench/density.ts [N,N,...]`. Prints one JSON document. Targets: setup at the
// largest N ≤ 1.5 × at N = 1; teardown of 100 ≤ 30 s; ≤ 60 MB per VM; idle CPU at 100 ≤ 1% of a core.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { median, quantile } from './stats.js';

const sizes = (process.argv[2] ?? '1,10,50,100').split(',').map(Number);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const TICKS_PER_SECOND = 100;
const prefix = `vd${randomBytes(2).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
const stateDir = join(dir, 'state');
const confDir = join(dir, 'net.d');
const GUESTS = `${prefix}-guests`;

mkdirSync(confDir, { recursive: true });
writeFileSync(
  join(confDir, '10-density.conflist'),
  JSON.stringify({
    cniVersion: '1.0.0',
    name: `${prefix}-net`,
    plugins: [
      {
        type: 'bridge',
        bridge: `${prefix}br`,
        isGateway: true,
        ipam: {
          type: 'host-local',
          dataDir: join(dir, 'ipam'),
          ranges: [[{ subnet: '10.215.0.0/16' }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
    ],
  }),
);

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

const virtnet = (...args: string[]): string => sh([process.execPath, CLI, ...args, '--state-dir', stateDir]);

function vmFile(i: number): string {
  const file = join(dir, `vm${i}.yaml`);
  writeFileSync(
    file,
    `kind: VirtualMachineInstance\nmetadata:\n  name: vm${i}\nspec:\n  domain:\n    devices:\n      interfaces:\n        - name: default\n          bridge: {}\n  networks:\n    - name: default\n      pod: {}\n`,
  );
  return file;
}

/** Starts `argv` and resolves once it prints `ready`. */
function startReady(argv: string[]): Promise<ChildProcess> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => line === 'ready' && resolve(child));
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

async function idleCpuPercent(pids: number[]): Promise<number> {
  const before = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const after = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  return +((((after - before) / TICKS_PER_SECOND) * 100) / IDLE_SECONDS).toFixed(3);
}

function memory(pids: number[]): { totalMiB: number; perVmMiB: number; maxMiB: number } {
  const kib = pids.map(rssKiB);
  const total = kib.reduce((a, b) => a + b, 0);
  return {
    totalMiB: +(total / 1024).toFixed(1),
    perVmMiB: +(total / 1024 / pids.length).toFixed(1),
    maxMiB: +(Math.max(...kib) / 1024).toFixed(1),
  };
}

/** The VM's lease (MAC, address) as phase network wrote it. */
function leaseOf(i: number): { clientMac: string; address: string } {
  return (
    JSON.parse(readFileSync(join(stateDir, 'vms', `vm${i}`, 'dhcp4.json'), 'utf8')) as {
      leases: { clientMac: string; address: string }[];
    }
  ).leases[0]!;
}

/** A stand-in guest: a veth in the guests namespace plugged into the VM's bridge; runs udhcpc once. */
function plugGuest(pod: string, i: number, mac: string): void {
  const g = `${prefix}g${i}`;
  sh([
    'ip',
    '-n',
    GUESTS,
    'link',
    'add',
    g,
    'address',
    mac,
    'type',
    'veth',
    'peer',
    'name',
    'vmport0',
    'netns',
    pod,
  ]);
  sh(['ip', '-n', pod, 'link', 'set', 'vmport0', 'master', 'k6t-eth0', 'up']);
  sh(['ip', '-n', GUESTS, 'link', 'set', g, 'up']);
}

const hook = join(dir, 'udhcpc-hook.sh');
writeFileSync(hook, '#!/bin/sh\n[ "$1" = bound ] && echo "ip=$ip"\nexit 0\n', { mode: 0o755 });

/** One DORA from guest `i`; throws unless it got `expected`. */
function lease(i: number, expected: string): void {
  const out = sh([
    'ip',
    'netns',
    'exec',
    GUESTS,
    'udhcpc',
    '-i',
    `${prefix}g${i}`,
    '-f',
    '-n',
    '-q',
    '-t',
    '5',
    '-T',
    '1',
    '-s',
    hook,
  ]);
  if (!out.includes(`ip=${expected}\n`)) throw new Error(`guest ${i}: no lease of ${expected}: ${out}`);
}

function unplugGuest(pod: string): void {
  spawnSync('ip', ['-n', pod, 'link', 'del', 'vmport0']);
}

async function measure(n: number): Promise<unknown> {
  const pods = Array.from({ length: n }, (_, i) => `${prefix}p${i}`);
  const files = pods.map((_, i) => vmFile(i));
  const ups: ChildProcess[] = [];
  const setupMs: number[] = [];
  try {
    // virtnet: pod + `virtnet up` per VM, one after the other, the earlier ones idle meanwhile.
    for (const [i, pod] of pods.entries()) {
      const t0 = performance.now();
      virtnet('pod', 'create', pod, '--cni-conf-dir', confDir);
      ups.push(
        await startReady([process.execPath, CLI, 'up', '--netns', pod, '--state-dir', stateDir, files[i]!]),
      );
      setupMs.push(performance.now() - t0);
      const l = leaseOf(i);
      plugGuest(pod, i, l.clientMac);
      lease(i, l.address);
    }
    const pids = ups.map((c) => c.pid!);
    const virtnetMemory = memory(pids);
    const virtnetIdleRightAfterSetup = await idleCpuPercent(pids);
    const virtnetIdle = await idleCpuPercent(pids);
    const t1 = performance.now();
    for (const pod of pods) unplugGuest(pod);
    await Promise.all(ups.map(stop));
    const upsStoppedMs = performance.now() - t1;

    // The peer: one dnsmasq per pod serving the same lease on the same bridge.
    const peers: ChildProcess[] = [];
    try {
      for (const [i, pod] of pods.entries()) {
        virtnet('up', '--netns', pod, '--phase', 'network', files[i]!);
        const l = leaseOf(i);
        // dnsmasq picks its range by an address of the interface's subnet.
        sh(['ip', '-n', pod, 'addr', 'add', '10.215.255.254/16', 'dev', 'k6t-eth0']);
        const child = spawn(
          'ip',
          [
            'netns',
            'exec',
            pod,
            'dnsmasq',
            '--keep-in-foreground',
            '--conf-file=/dev/null',
            '--port=0',
            '--interface=k6t-eth0',
            '--bind-interfaces',
            '--leasefile-ro',
            '--pid-file=',
            '--dhcp-range=10.215.0.0,static,255.255.0.0,1h',
            `--dhcp-host=${l.clientMac},${l.address}`,
          ],
          { stdio: 'ignore' },
        );
        peers.push(child);
        plugGuest(pod, i, l.clientMac);
        lease(i, l.address);
      }
      const peerPids = peers.map((c) => c.pid!);
      const dnsmasqMemory = memory(peerPids);
      const dnsmasqIdle = await idleCpuPercent(peerPids);
      await Promise.all(peers.map(stop));
      for (const pod of pods) {
        unplugGuest(pod);
        virtnet('down', '--netns', pod);
      }
      const t2 = performance.now();
      virtnet('pod', 'delete', ...pods);
      const podsDeletedMs = performance.now() - t2;
      return {
        vms: n,
        virtnet: {
          setupMsPerVm: {
            median: +median(setupMs).toFixed(1),
            p90: +quantile(setupMs, 0.9).toFixed(1),
            first: +setupMs[0]!.toFixed(1),
            last: +setupMs.at(-1)!.toFixed(1),
          },
          memory: virtnetMemory,
          idleCpuPercentOfOneCore: { rightAfterSetup: virtnetIdleRightAfterSetup, settled: virtnetIdle },
          teardownMs: {
            total: Math.round(upsStoppedMs + podsDeletedMs),
            upProcessesStopped: Math.round(upsStoppedMs),
            podsDeleted: Math.round(podsDeletedMs),
          },
        },
        dnsmasq: { memory: dnsmasqMemory, idleCpuPercentOfOneCore: dnsmasqIdle },
      };
    } finally {
      await Promise.all(peers.map(stop));
    }
  } finally {
    await Promise.all(ups.map(stop));
    spawnSync(process.execPath, [CLI, 'pod', 'delete', '--force', ...pods, '--state-dir', stateDir]);
  }
}

async function main(): Promise<void> {
  const results: unknown[] = [];
  sh(['ip', 'netns', 'add', GUESTS]);
  try {
    for (const n of sizes) results.push(await measure(n));
  } finally {
    spawnSync('ip', ['netns', 'del', GUESTS]);
    spawnSync('ip', ['link', 'del', `${prefix}br`]);
    rmSync(dir, { recursive: true, force: true });
  }
  const byN = results as {
    vms: number;
    virtnet: {
      setupMsPerVm: { median: number };
      memory: { perVmMiB: number; maxMiB: number };
      idleCpuPercentOfOneCore: { rightAfterSetup: number; settled: number };
      teardownMs: { total: number };
    };
  }[];
  const first = byN[0]!;
  const last = byN.at(-1)!;
  console.log(
    JSON.stringify(
      {
        bench: 'density',
        idleSeconds: IDLE_SECONDS,
        results,
        targets: {
          setupFlat: {
            ratio: +(last.virtnet.setupMsPerVm.median / first.virtnet.setupMsPerVm.median).toFixed(3),
            bound: 1.5,
          },
          maxPerVmMiB: { value: Math.max(...byN.map((r) => r.virtnet.memory.maxMiB)), bound: 60 },
          idleCpuAtLargestN: { ...last.virtnet.idleCpuPercentOfOneCore, bound: 1 },
          teardownAtLargestN: { ms: last.virtnet.teardownMs.total, vms: last.vms, boundMsFor100: 30_000 },
        },
      },
      null,
      2,
    ),
  );
}

void main();
