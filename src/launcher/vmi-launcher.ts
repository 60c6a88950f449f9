// The VM container of a Kubernetes launcher pod (`virtnet kube launcher`): one process per VM, with no
// capability but NET_BIND_SERVICE, started inside the pod's network namespace. The node agent owns
// the network: it writes the VMI and runs the network phase into the pod's state dir, then says
// network-ready (or network-failed). This process waits for that, serves the guest's DHCPv4 from
// here, boots QEMU on the TAPs the agent made (TCG unless KVM is usable), reports each ACK in
// guest.json and the pod's readiness through the `ready` file once every leased interface was ACKed.
// SIGTERM powers the guest off within the pod's grace period (QEMU is killed just before it ends).
// QEMU dying by itself is a failure with its reason (stderr and the termination log), except a guest
// that powered itself off, which is the VM finishing.
import { existsSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { validateVmDocument, type VmSpec } from '../api/index.js';
import { baseName, kernelBootOf, KERNEL_BOOT_DIR } from '../api/kernel-boot.js';
import { readJson, readNetworkRecord, vmStateDir, writeJsonAtomic } from '../apply/vm-record.js';
import type { VmNetworkPlan } from '../bindings/plan-types.js';
import type { Dhcp4LogRecord } from '../dhcp/server.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { cachedGuest } from '../hypervisor/guest/build-guest.js';
import { guestBoot } from '../hypervisor/guest/guest-boot.js';
import type { GuestConsoleEvent, GuestNicReport } from '../hypervisor/guest-console.js';
import { chooseAccel } from '../hypervisor/host-facts.js';
import type { Accel, VmBoot } from '../hypervisor/vm-machine.js';
import { startVm, type RunningVm, type VmExit } from '../hypervisor/vm-runner.js';
import {
  launcherFiles,
  type GuestInterfaceReport,
  type GuestReport,
  type NetworkFailed,
  type NetworkReady,
} from '../state/launcher-files.js';
import { startDhcpPhase, type DhcpPhaseServer } from './dhcp-phase.js';
import { stopQemu, vmMachineFor } from './vm-machine-files.js';

/** KubeVirt's default grace period for a VM's shutdown. */
export const DEFAULT_GRACE_SECONDS = 30;
/** How often the state dir is re-read while waiting, should a file event be missed (a remounted dir). */
const WAIT_FALLBACK_MS = 5_000;

/** How the launcher runs. */
export interface VmiLauncherOptions {
  /** The pod's state dir (/var/run/virtnet in the container). */
  stateDir: string;
  /** The default guest's directory (`virtnet guest build`'s output); default: its usual cache. */
  guestDir?: string;
  /** Where a kernelBoot's files were copied (kernel, initrd). */
  kernelBootDir?: string;
  accel?: Accel | 'auto';
  qemuBinary?: string;
  /** Resolves when the launcher must stop (SIGTERM). */
  stop: Promise<unknown>;
  log: (message: string) => void;
}

/** How the launcher ended: exit code 0 (stopped, or the guest powered off) or a failure's reason. */
export type VmiLauncherOutcome = { ok: true; why: string } | { ok: false; reason: string; message: string };

type NetworkOutcome = { kind: 'ready'; ready: NetworkReady } | { kind: 'failed'; failed: NetworkFailed };

/** Waits for network-ready.json or network-failed.json (file events, a slow re-read as fallback). */
function waitForNetwork(stateDir: string, stop: Promise<unknown>): Promise<NetworkOutcome | 'stopped'> {
  const files = launcherFiles(stateDir);
  const check = (): NetworkOutcome | undefined => {
    const failed = readJson<NetworkFailed>(files.networkFailed);
    if (failed) return { kind: 'failed', failed };
    const ready = readJson<NetworkReady>(files.networkReady);
    return ready ? { kind: 'ready', ready } : undefined;
  };
  return new Promise((resolve, reject) => {
    const handles: { watcher?: FSWatcher; timer?: NodeJS.Timeout } = {};
    let done = false;
    const finish = (value: NetworkOutcome | 'stopped' | Error): void => {
      if (done) return;
      done = true;
      handles.watcher?.close();
      clearInterval(handles.timer);
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const poll = (): void => {
      try {
        const outcome = check();
        if (outcome) finish(outcome);
      } catch (err) {
        // A file caught half-written by a writer that does not rename: read it again on the next event.
        if (!(err instanceof VirtnetError && err.code === 'STATE_CORRUPT')) finish(err as Error);
      }
    };
    void stop.then(() => finish('stopped'));
    try {
      handles.watcher = watch(stateDir, { persistent: true }, poll);
      handles.watcher.on('error', () => undefined);
    } catch (err) {
      finish(
        new VirtnetError(
          'LAUNCHER_STATE_DIR',
          `cannot watch the state dir ${stateDir}: ${err instanceof Error ? err.message : String(err)}`,
          { path: stateDir },
        ),
      );
      return;
    }
    handles.timer = setInterval(poll, WAIT_FALLBACK_MS);
    poll();
  });
}

function readVmi(stateDir: string): { spec: VmSpec; rawSpec: unknown; graceSeconds: number } {
  const path = launcherFiles(stateDir).vmi;
  const raw = readJson<{ spec?: Record<string, unknown> }>(path);
  if (!raw) throw new VirtnetError('LAUNCHER_NO_VMI', `${path} is missing`, { path });
  const result = validateVmDocument(raw);
  if (!result.spec) {
    const first = result.errors[0];
    throw new VirtnetError(
      'SPEC_INVALID',
      `the VMI in ${path} is invalid: ${first ? `${first.field}: ${first.message}` : 'no VM'}`,
      { path, ...(first ? { field: first.field } : {}) },
    );
  }
  const g = raw.spec?.terminationGracePeriodSeconds;
  const graceSeconds = typeof g === 'number' && Number.isInteger(g) && g >= 0 ? g : DEFAULT_GRACE_SECONDS;
  return { spec: result.spec, rawSpec: raw.spec, graceSeconds };
}

function bootFor(options: VmiLauncherOptions, rawSpec: unknown, hostname: string): VmBoot {
  const kb = kernelBootOf(rawSpec);
  if (kb) {
    const dir = options.kernelBootDir ?? KERNEL_BOOT_DIR;
    const kernelPath = join(dir, baseName(kb.kernelPath));
    if (!existsSync(kernelPath))
      throw new VirtnetError('KERNEL_BOOT_MISSING', `the kernel of kernelBoot is not in ${dir}`, {
        field: 'spec.domain.firmware.kernelBoot.container.kernelPath',
        path: kernelPath,
      });
    return {
      kind: 'kernel',
      kernelPath,
      ...(kb.initrdPath !== undefined ? { initrdPath: join(dir, baseName(kb.initrdPath)) } : {}),
      cmdline: kb.kernelArgs ?? 'console=ttyS0',
    };
  }
  const image = cachedGuest(options.guestDir);
  if (!image)
    throw new VirtnetError(
      'GUEST_MISSING',
      `no default guest in ${options.guestDir ?? 'the guest cache'} (build it with virtnet guest build)`,
      { path: options.guestDir ?? '' },
    );
  return guestBoot(image, { hostname });
}

/** Tracks the guest's ACKs: guest.json on each, `ready` once every leased interface has one. */
class GuestReporter {
  private readonly acked = new Map<string, GuestInterfaceReport>();
  /** Global IPv6 addresses the guest reported per MAC (its own console report; DHCPv4 has none). */
  private readonly ipv6 = new Map<string, string[]>();
  private readonly leased: { name: string; mac: string }[];
  private isReady = false;

  constructor(
    private readonly stateDir: string,
    private readonly plan: VmNetworkPlan,
    private readonly log: (message: string) => void,
    private readonly since: number,
  ) {
    this.leased = plan.interfaces
      .filter((i) => i.dhcp4 !== undefined)
      .map((i) => ({ name: i.name, mac: i.nic.mac.toLowerCase() }));
  }

  /** Interfaces with a DHCPv4 lease; without any, readiness follows the guest's own READY report. */
  get hasLeases(): boolean {
    return this.leased.length > 0;
  }

  onDhcp(record: Dhcp4LogRecord): void {
    if (record.event !== 'ack' || typeof record.mac !== 'string' || typeof record.address !== 'string')
      return;
    const mac = record.mac.toLowerCase();
    const iface = this.plan.interfaces.find((i) => i.nic.mac.toLowerCase() === mac);
    if (!iface) return;
    const first = !this.acked.has(iface.name);
    this.acked.set(iface.name, {
      name: iface.name,
      mac,
      ipAddress: record.address,
      ipAddresses: [record.address, ...(this.ipv6.get(mac) ?? [])],
      ackedAt: new Date().toISOString(),
    });
    this.writeReport();
    if (first)
      this.log(
        `guest interface ${iface.name} (${mac}) ACKed ${record.address}, ${Math.round(performance.now() - this.since)} ms after network-ready`,
      );
    if (this.leased.every((l) => this.acked.has(l.name))) this.markReady('every leased interface is ACKed');
  }

  /** The guest's own report of a NIC: its IPv6 addresses join the ACKed interface's addresses. */
  onGuestNic(nic: GuestNicReport): void {
    const mac = nic.mac.toLowerCase();
    const addresses = nic.ipv6.map((a) => a.split('/')[0] ?? a);
    const known = this.ipv6.get(mac) ?? [];
    if (addresses.length === known.length && addresses.every((a, i) => a === known[i])) return;
    this.ipv6.set(mac, addresses);
    const iface = [...this.acked.values()].find((r) => r.mac === mac);
    if (!iface) return;
    iface.ipAddresses = [iface.ipAddress, ...addresses];
    this.writeReport();
  }

  private writeReport(): void {
    const report: GuestReport = {
      interfaces: this.plan.interfaces.flatMap((i) => {
        const r = this.acked.get(i.name);
        return r ? [r] : [];
      }),
    };
    this.write(() => writeJsonAtomic(launcherFiles(this.stateDir).guest, report));
  }

  markReady(why: string): void {
    if (this.isReady) return;
    this.isReady = true;
    this.write(() => writeFileSync(launcherFiles(this.stateDir).ready, `${new Date().toISOString()}\n`));
    this.log(`ready: ${why}`);
  }

  /** The pod is no longer ready once the VM is going. */
  unready(): void {
    rmSync(launcherFiles(this.stateDir).ready, { force: true });
  }

  private write(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`cannot write the guest report: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const exitText = (e: VmExit): string =>
  `${e.signal ? `killed by ${e.signal}` : `exit code ${e.code ?? 'unknown'}`}${e.stderrTail ? `: ${e.stderrTail}` : ''}`;

/** Runs one VM for its launcher pod until SIGTERM or QEMU's end; failures are returned, not thrown. */
export async function runVmiLauncher(options: VmiLauncherOptions): Promise<VmiLauncherOutcome> {
  const { stateDir, log } = options;
  let dhcp: DhcpPhaseServer[] = [];
  let vm: RunningVm | undefined;
  let reporter: GuestReporter | undefined;
  let stopRequested = false;
  void options.stop.then(() => (stopRequested = true));
  try {
    log(`waiting for the node agent's network in ${stateDir}`);
    const network = await waitForNetwork(stateDir, options.stop);
    if (network === 'stopped') return { ok: true, why: 'stopped before the network was ready' };
    if (network.kind === 'failed')
      return {
        ok: false,
        reason: network.failed.reason || 'NetworkFailed',
        message: `the node agent could not set up the network: ${network.failed.message}`,
      };
    const networkReadyAt = performance.now();
    const { spec, rawSpec, graceSeconds } = readVmi(stateDir);
    const vmName = network.ready.vm;
    if (vmName !== spec.name)
      throw new VirtnetError(
        'LAUNCHER_VM_MISMATCH',
        `network-ready names VM ${vmName}, the VMI is ${spec.name}`,
        { vm: vmName },
      );
    const vmDir = vmStateDir(stateDir, vmName);
    const record = readNetworkRecord(vmDir);
    if (record?.status !== 'applied')
      throw new VirtnetError('NETWORK_PHASE_MISSING', `VM ${vmName} has no applied network in ${stateDir}`, {
        vm: vmName,
      });
    const plan = record.plan;
    const hostname = spec.hostname ?? spec.name.split('.')[0] ?? spec.name;
    const boot = bootFor(options, rawSpec, hostname);
    const accel = chooseAccel(options.accel ?? 'auto');
    const guest = new GuestReporter(stateDir, plan, log, networkReadyAt);
    reporter = guest;
    // A restarted container must not inherit the previous one's readiness.
    guest.unready();
    dhcp = await startDhcpPhase(stateDir, [vmName], {
      inPodNetns: true,
      onRecord: (_vm, r) => guest.onDhcp(r),
    });
    const runDir = join(vmDir, 'run');
    const machine = await vmMachineFor({
      spec,
      plan,
      boot,
      accel: accel.accel,
      runDir,
      hostname,
      foreignGuest: boot.kind === 'kernel' && kernelBootOf(rawSpec) !== undefined,
    });
    log(`booting ${vmName} under QEMU (${accel.accel}: ${accel.reason}), grace period ${graceSeconds} s`);
    const onEvent = (event: GuestConsoleEvent): void => {
      if (event.kind === 'nic') {
        log(`guest reports ${event.nic.mac}: ${JSON.stringify(event.nic)}`);
        guest.onGuestNic(event.nic);
      } else if (event.kind === 'ready') {
        log('guest reports READY');
        if (!guest.hasLeases) guest.markReady('the guest reported READY (no DHCPv4 lease to wait for)');
      }
    };
    // Told to stop while setting up: no QEMU to start only to stop it again.
    if (stopRequested) return { ok: true, why: 'stopped before the VM started' };
    const started = await startVm({
      machine,
      runDir,
      onEvent,
      ...(options.qemuBinary !== undefined ? { qemuBinary: options.qemuBinary } : {}),
    });
    vm = started;
    log(`QEMU pid ${started.pid}`);
    const ended = await Promise.race([
      started.exited.then((e) => ({ kind: 'exited' as const, exit: e })),
      options.stop.then(() => ({ kind: 'stop' as const })),
    ]);
    if (ended.kind === 'stop' || stopRequested) {
      const signalledAt = Date.now();
      guest.unready();
      // Leave a margin before the kubelet's SIGKILL to stop DHCP and exit.
      const budgetMs = graceSeconds * 1000;
      const limitMs = Math.max(500, budgetMs - Math.min(3_000, budgetMs / 4));
      log(`stopping: ACPI power-off, QEMU killed after ${limitMs} ms at the latest`);
      await stopQemu(started, Math.max(0, limitMs - 2_500), limitMs);
      const exit = await started.exited;
      log(`QEMU ended (${exitText(exit)}) ${Date.now() - signalledAt} ms after the stop request`);
      return { ok: true, why: 'stopped' };
    }
    const exit = ended.exit;
    guest.unready();
    if (exit.code === 0 && exit.signal === null) return { ok: true, why: 'the guest powered off' };
    return { ok: false, reason: 'QemuExited', message: `QEMU ended unexpectedly (${exitText(exit)})` };
  } catch (err) {
    if (vm) await stopQemu(vm, 0, 2_000).catch(() => undefined);
    return {
      ok: false,
      reason: err instanceof VirtnetError ? err.code : 'LauncherError',
      message: err instanceof Error ? err.message : String(err),
    };
  } finally {
    for (const s of dhcp) s.stop();
    reporter?.unready();
  }
}
