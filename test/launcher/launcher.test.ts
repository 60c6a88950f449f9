// `virtnet kube launcher` as the VM container of a launcher pod runs it: inside the pod's network
// namespace, with CAP_NET_BIND_SERVICE as its only capability, on a state dir the node agent fills
// (vmi.json, the network phase through the same function, network-ready.json written last). A real
// TCG guest boots and gets the pod's IPv4 over DHCP from the launcher (and its IPv6 from the network
// phase's RA/DHCPv6); guest.json and `ready` follow the ACK; a peer on the pod network reaches the
// guest; SIGTERM powers the guest off and the launcher exits 0 (also while it still waits). A
// network-failed.json and a kill -9 of QEMU (of a kernelBoot VM) make it exit non-zero with the reason
// in its termination log.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateVmDocument } from '../../src/api/index.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { teardown } from '../../src/apply/executor.js';
import { cachedGuest } from '../../src/hypervisor/guest/build-guest.js';
import { runNetworkPhase } from '../../src/launcher/network-phase.js';
import { launcherFiles, type GuestReport } from '../../src/state/launcher-files.js';
import { createNetwork, createPod } from '../bridge/stand-in-pod.js';
import { answer } from '../masquerade/pod-topology.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';

const root = new URL('../..', import.meta.url).pathname;
const built = join(root, 'dist/cli/main.js');
const cli = existsSync(built)
  ? [process.execPath, built]
  : [process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts')];
const ONLY_BIND = [
  'setpriv',
  '--bounding-set',
  '-all,+net_bind_service',
  '--inh-caps',
  '-all,+net_bind_service',
  '--ambient-caps',
  '+net_bind_service',
];
const skip = needsRoot() ?? (cachedGuest() ? undefined : 'no guest built (virtnet guest build)');

function vmiObject(name: string, graceSeconds: number): Record<string, unknown> {
  return {
    apiVersion: 'virtnet.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'default', uid: '0b1c2d3e-0000-4000-8000-000000000001' },
    spec: {
      terminationGracePeriodSeconds: graceSeconds,
      domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    },
  };
}

interface Launcher {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startLauncher(
  sb: Sandbox,
  pod: string,
  stateDir: string,
  terminationLog: string,
  extra: string[] = [],
): Launcher {
  const argv = [
    'ip',
    'netns',
    'exec',
    pod,
    ...ONLY_BIND,
    ...cli,
    'kube',
    'launcher',
    '--state-dir',
    stateDir,
    '--accel',
    'tcg',
    '--termination-log',
    terminationLog,
    ...extra,
  ];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  sb.trackPid(child.pid);
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr: () => err, exited };
}

/** Resolves once the launcher waits for the node agent (it started and found its state dir). */
function waiting(l: Launcher): Promise<true> {
  return until('the launcher waiting', () => (l.stderr().includes('waiting') ? true : undefined), 60_000, l);
}

/** The pod's state dir as the agent leaves it before network-ready: vmi.json, then the network phase. */
async function agentNetworkPhase(stateDir: string, pod: string, vmi: Record<string, unknown>): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(launcherFiles(stateDir).vmi, JSON.stringify(vmi));
  const spec = validateVmDocument(vmi).spec!;
  await runNetworkPhase({
    specs: [spec],
    cluster: DEFAULT_CLUSTER_CONFIG,
    netns: pod,
    stateDir,
    tapOwner: { uid: 0, gid: 0 },
  });
}

function networkReady(stateDir: string, vm: string, pod: string): void {
  const files = launcherFiles(stateDir);
  writeFileSync(
    `${files.networkReady}.tmp`,
    JSON.stringify({ vm, netns: pod, at: new Date().toISOString() }),
  );
  writeFileSync(files.networkReady, readFileSync(`${files.networkReady}.tmp`));
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number, l?: Launcher): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (l?.child.exitCode !== null && l?.child.exitCode !== undefined)
      assert.fail(`launcher exited ${l.child.exitCode} while waiting for ${what}: ${l.stderr()}`);
    if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms${l ? `: ${l.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/**
 * A pod namespace whose eth0 (`<net24>.5/24`) is a veth to a "network" namespace (gateway `.1`), an
 * empty state dir (its VM torn down at cleanup) and where the termination log goes.
 */
async function standInPod(
  sb: Sandbox,
  net24: string,
  vm: string,
  ipv6?: string,
): Promise<{ net: string; pod: string; stateDir: string; termLog: string }> {
  const net = await createNetwork(sb, `${net24}.1/24`);
  const pod = await createPod(sb, net, 'pod', {
    cidr: `${net24}.5/24`,
    gateway: `${net24}.1`,
    ...(ipv6 !== undefined ? { ipv6 } : {}),
  });
  const stateDir = join(sb.dir, 'pod-state');
  mkdirSync(stateDir);
  sb.defer(() => teardown(stateDir, vm));
  return { net, pod, stateDir, termLog: join(sb.dir, 'termination-log') };
}

test(
  'the launcher boots the VM on the network the agent set up, reports the ACK and readiness, stops on SIGTERM',
  { skip, timeout: 240_000 },
  async (t) => {
    const sb = sandbox(t);
    const { net, pod, stateDir, termLog } = await standInPod(sb, '10.187.0', 'lvm1', 'fd00:187::5/64');
    // The launcher starts first and waits for the agent, as in a real pod.
    const launcher = startLauncher(sb, pod, stateDir, termLog);
    await waiting(launcher);
    assert.match(
      readFileSync(`/proc/${launcher.child.pid}/status`, 'utf8'),
      /^CapEff:\s+0000000000000400$/m,
      'the launcher holds CAP_NET_BIND_SERVICE only',
    );
    await agentNetworkPhase(stateDir, pod, vmiObject('lvm1', 20));
    const mac = (
      JSON.parse(readFileSync(join(stateDir, 'vms', 'lvm1', 'dhcp4.json'), 'utf8')) as {
        leases: { clientMac: string }[];
      }
    ).leases[0]!.clientMac;
    networkReady(stateDir, 'lvm1', pod);
    const files = launcherFiles(stateDir);
    await until('ready', () => (existsSync(files.ready) ? true : undefined), 180_000, launcher);
    const report = JSON.parse(readFileSync(files.guest, 'utf8')) as GuestReport;
    assert.equal(report.interfaces.length, 1);
    assert.equal(report.interfaces[0]!.name, 'default');
    assert.equal(report.interfaces[0]!.mac, mac.toLowerCase());
    assert.equal(report.interfaces[0]!.ipAddress, '10.187.0.5');
    assert.equal(report.interfaces[0]!.ipAddresses[0], '10.187.0.5');
    const qemuPid = Number(/QEMU pid (\d+)/.exec(launcher.stderr())?.[1]);
    assert.ok(qemuPid > 0, launcher.stderr());
    assert.match(
      readFileSync(`/proc/${qemuPid}/status`, 'utf8'),
      /^CapEff:\s+0000000000000400$/m,
      'QEMU runs without NET_ADMIN',
    );
    const consoleLog = join(stateDir, 'vms', 'lvm1', 'run', 'console.log');
    // The guest has the pod's address (its own report on the serial console) and serves TCP echo.
    await until(
      'the guest READY line',
      () => (readFileSync(consoleLog, 'utf8').includes('VIRTNET-READY') ? true : undefined),
      60_000,
      launcher,
    );
    assert.match(
      readFileSync(consoleLog, 'utf8'),
      new RegExp(`VIRTNET-NIC .*mac=${mac}.* ipv4=10\\.187\\.0\\.5/24`, 'i'),
    );
    assert.equal(await answer(net, 'TCP:10.187.0.5:7'), 'hello');
    // The pod's IPv6 address moved to the guest too (virtnet's RA + DHCPv6); the guest's own report of
    // it joins the interface's addresses.
    await until(
      'the IPv6 address in guest.json',
      () =>
        (JSON.parse(readFileSync(files.guest, 'utf8')) as GuestReport).interfaces[0]!.ipAddresses.includes(
          'fd00:187::5',
        )
          ? true
          : undefined,
      60_000,
      launcher,
    );
    const ackMs = Number(/ACKed 10\.187\.0\.5, (\d+) ms after network-ready/.exec(launcher.stderr())?.[1]);
    const rss = rssKiB(launcher.child.pid!);
    t.diagnostic(
      `launcher RSS ${Math.round(rss / 1024)} MiB (QEMU ${Math.round(rssKiB(qemuPid) / 1024)} MiB); network-ready → guest DHCP ACK ${ackMs} ms`,
    );
    const stoppedAt = Date.now();
    launcher.child.kill('SIGTERM');
    assert.equal(await launcher.exited, 0, launcher.stderr());
    const stopMs = Date.now() - stoppedAt;
    t.diagnostic(`SIGTERM → launcher exit ${stopMs} ms`);
    assert.ok(stopMs < 20_000, `stopped within the grace period (${stopMs} ms)`);
    assert.equal(alive(qemuPid), false, 'QEMU is gone');
    assert.match(readFileSync(consoleLog, 'utf8'), /reboot: Power down/, 'the guest powered off (ACPI)');
    assert.equal(existsSync(files.ready), false, 'no longer ready');
    assert.equal(existsSync(termLog), false, 'a clean stop leaves no termination message');
  },
);

test(
  'network-failed.json: the launcher exits non-zero with the agent message',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const pod = await sb.netns('pod');
    const stateDir = join(sb.dir, 'pod-state');
    mkdirSync(stateDir);
    const termLog = join(sb.dir, 'termination-log');
    const launcher = startLauncher(sb, pod, stateDir, termLog);
    await waiting(launcher);
    writeFileSync(
      launcherFiles(stateDir).networkFailed,
      JSON.stringify({ reason: 'PlanInvalid', message: 'interface default: no pod interface eth0' }),
    );
    assert.equal(await launcher.exited, 1);
    assert.match(launcher.stderr(), /PlanInvalid: .*no pod interface eth0/);
    assert.match(readFileSync(termLog, 'utf8'), /^PlanInvalid: .*no pod interface eth0/);
  },
);

test(
  'SIGTERM before the network is ready: the launcher exits 0 at once',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const pod = await sb.netns('pod');
    const stateDir = join(sb.dir, 'pod-state');
    mkdirSync(stateDir);
    const launcher = startLauncher(sb, pod, stateDir, join(sb.dir, 'termination-log'));
    await waiting(launcher);
    launcher.child.kill('SIGTERM');
    assert.equal(await launcher.exited, 0, launcher.stderr());
    assert.match(launcher.stderr(), /stopped before the network was ready/);
  },
);

test(
  'kill -9 of QEMU (a kernelBoot VM): the launcher exits non-zero with the reason',
  { skip, timeout: 120_000 },
  async (t) => {
    const sb = sandbox(t);
    const { pod, stateDir, termLog } = await standInPod(sb, '10.187.1', 'lvm2');
    // The kernel and initrd where the launcher pod's init container copies them out of their image.
    const guest = cachedGuest()!;
    const bootDir = join(sb.dir, 'boot');
    mkdirSync(bootDir);
    copyFileSync(guest.kernelPath, join(bootDir, 'vmlinuz'));
    copyFileSync(guest.initrdPath, join(bootDir, 'initrd.img'));
    const vmi = vmiObject('lvm2', 30) as { spec: { domain: Record<string, unknown> } };
    vmi.spec.domain.firmware = {
      kernelBoot: {
        kernelArgs: 'console=ttyS0 quiet',
        container: { image: 'kernels:1', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' },
      },
    };
    await agentNetworkPhase(stateDir, pod, vmi);
    networkReady(stateDir, 'lvm2', pod);
    const launcher = startLauncher(sb, pod, stateDir, termLog, ['--kernel-boot-dir', bootDir]);
    const qemuPid = await until(
      'QEMU',
      () => /QEMU pid (\d+)/.exec(launcher.stderr())?.[1],
      60_000,
      launcher,
    ).then(Number);
    sb.trackPid(qemuPid);
    const argv = JSON.parse(
      readFileSync(join(stateDir, 'vms', 'lvm2', 'run', 'qemu-argv.json'), 'utf8'),
    ) as string[];
    assert.equal(argv[argv.indexOf('-kernel') + 1], join(bootDir, 'vmlinuz'));
    assert.equal(argv[argv.indexOf('-initrd') + 1], join(bootDir, 'initrd.img'));
    assert.equal(argv[argv.indexOf('-append') + 1], 'console=ttyS0 quiet');
    process.kill(qemuPid, 'SIGKILL');
    assert.equal(await launcher.exited, 1);
    assert.match(readFileSync(termLog, 'utf8'), /^QemuExited: QEMU ended unexpectedly \(killed by SIGKILL/);
    assert.match(launcher.stderr(), /killed by SIGKILL/);
  },
);
