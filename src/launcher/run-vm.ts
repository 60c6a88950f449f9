// `virtnet run`: the whole life of one VM on one machine. Creates the VM's pod through CNI (default
// network + Multus/Genie networks the spec names), applies every binding (phase network), serves
// DHCP from this process (phase dhcp), boots QEMU in the pod namespace, and on shutdown undoes all of it in
// reverse: VM, DHCP, bindings, pod (CNI DEL, so IPAM releases the address), state. The run record is
// written before anything is created so `virtnet gc` can finish the job after a kill -9, and every
// child process's pid is recorded the moment it exists. A run holds the VM's lock (vm-lock.ts) from
// before it reads any state until its teardown is over, and touches only what it created: the pod
// carries the run's id as its owner, so a pod that already existed is never deleted by this run.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig, VmSpec } from '../api/types.js';
import type { VmNetworkPlan } from '../bindings/plan-types.js';
import { teardown } from '../apply/executor.js';
import { createPod, deletePod, readPod } from '../cni/pod.js';
import { undoOptions } from '../cni/runtime.js';
import { podNetworksForVm } from '../cni/vm-networks.js';
import { isVirtnetError, VirtnetError } from '../errors/virtnet-error.js';
import type { GuestConsoleEvent } from '../hypervisor/guest-console.js';
import { ensureGuest } from '../hypervisor/guest/build-guest.js';
import { guestBoot } from '../hypervisor/guest/guest-boot.js';
import { chooseAccel } from '../hypervisor/host-facts.js';
import type { Accel, VmBoot, VmMachine } from '../hypervisor/vm-machine.js';
import { startVm, type RunningVm, type VmExit } from '../hypervisor/vm-runner.js';
import { startDhcpPhase, type DhcpPhaseServer } from './dhcp-phase.js';
import { faultPoint } from '../state/fault-point.js';
import { collectVm, removeIdleHostBridges } from './gc.js';
import { runNetworkPhase } from './network-phase.js';
import { stopQemu, vmMachineFor } from './vm-machine-files.js';
import { processStartTime } from '../host/processes.js';
import {
  ownerAlive,
  readRunRecord,
  writeRunRecord,
  type RunNicStatus,
  type RunRecord,
  type RunTimings,
} from './run-record.js';
import { vmStateDir } from '../apply/vm-record.js';
import { tryLockVm, type VmLock } from './vm-lock.js';

/** How to run one VM. */
export interface RunVmOptions {
  spec: VmSpec;
  cluster: ClusterConfig;
  stateDir: string;
  /** Pod (and netns) name; default `virt-launcher-<vm>`. */
  podName?: string;
  cniConfDir?: string;
  nadFiles?: string[];
  /** Plugin directories (default $CNI_PATH, else the standard ones). */
  cniPath?: string[];
  /** Timeout of each CNI plugin execution. */
  pluginTimeoutMs?: number;
  /** Cancels setup (a SIGTERM): the running plugin is killed, everything created undone, QEMU never started. */
  signal?: AbortSignal;
  accel?: Accel | 'auto';
  serialLogPath?: string;
  /** Boot this disk image instead of the virtnet guest. */
  disk?: { path: string; format: 'qcow2' | 'raw' };
  /** Boot this kernel + initrd instead of the virtnet guest. */
  kernel?: { kernelPath: string; initrdPath: string; cmdline?: string };
  memoryMiB?: number;
  /** Progress lines for a person (stderr). */
  log?: (message: string) => void;
  /** Called whenever the run record changes (guest reports, phase changes). */
  onChange?: (record: RunRecord) => void;
}

/** A running VM and its whole wiring. */
export interface VmRun {
  readonly record: RunRecord;
  readonly vm: RunningVm;
  /** Resolves when QEMU exits by itself or through shutdown. */
  readonly exited: Promise<VmExit>;
  /** Stops the VM and removes everything; idempotent. Resolves with what could not be removed. */
  shutdown(): Promise<string[]>;
}

/** The pod name of a VM, like KubeVirt's virt-launcher pods (a DNS label of at most 63 bytes). */
export function defaultPodName(vm: string): string {
  return `virt-launcher-${vm.replace(/\./g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

function linkType(plan: VmNetworkPlan, device: string): string | undefined {
  for (const iface of plan.interfaces) {
    for (const step of iface.steps)
      if (step.kind === 'link.create' && step.device === device) return step.link.type;
  }
  return undefined;
}

/** The NIC lines of the run record, from the plan (the guest's view is merged in as it reports). */
export function nicStatuses(plan: VmNetworkPlan): RunNicStatus[] {
  return plan.interfaces.map((iface) => {
    const ips: string[] = [];
    if (iface.dhcp4) ips.push(`${iface.dhcp4.address}/${iface.dhcp4.prefixLength}`);
    const g = iface.nic.guestConfig;
    if (g.kind === 'static') ips.push(...g.config.addresses);
    if (g.kind === 'dhcp' && g.staticFallback) ips.push(...g.staticFallback.addresses);
    const status: RunNicStatus = {
      name: iface.name,
      network: iface.network,
      binding: iface.binding,
      model: iface.nic.model,
      devices: iface.createdDevices.map((d) => `${d} (${linkType(plan, d) ?? 'device'})`),
      mac: iface.nic.mac,
      ips,
    };
    if (iface.podInterface) status.podInterface = iface.podInterface;
    return status;
  });
}

/** Host bridges the bridge plugin made for the pod's default network (virtnet's shipped network). */
function hostBridgesOf(podName: string, stateDir: string): string[] {
  const pod = readPod(podName, stateDir);
  const plugins = pod?.attachments.filter((a) => a.default).flatMap((a) => a.list.plugins) ?? [];
  return plugins.flatMap((p) => (p.type === 'bridge' && typeof p.bridge === 'string' ? [p.bridge] : []));
}

function bootOf(options: RunVmOptions, hostname: string): Promise<VmBoot> | VmBoot {
  if (options.disk) return { kind: 'disk', diskPath: options.disk.path, format: options.disk.format };
  if (options.kernel) {
    return {
      kind: 'kernel',
      kernelPath: options.kernel.kernelPath,
      initrdPath: options.kernel.initrdPath,
      cmdline: options.kernel.cmdline ?? 'console=ttyS0',
    };
  }
  return ensureGuest({ log: options.log }).then((image) => guestBoot(image, { hostname }));
}

const QEMU_STOP_GRACE_MS = 3_000;
const QEMU_STOP_LIMIT_MS = 10_000;

/** Throws RUN_CANCELLED once `signal` fired: nothing more is started after a SIGTERM. */
function throwIfCancelled(signal: AbortSignal | undefined, vm: string): void {
  if (signal?.aborted)
    throw new VirtnetError('RUN_CANCELLED', `the run of ${vm} was cancelled during setup`, { vm });
}

/** Refuses a VM that runs already; collects what a dead previous run of it left behind. */
async function takeOverPreviousRun(options: RunVmOptions, log: (m: string) => void): Promise<void> {
  const { spec, stateDir } = options;
  const existing = readRunRecord(stateDir, spec.name);
  if (existing && ownerAlive(existing)) {
    throw new VirtnetError(
      'VM_ALREADY_RUNNING',
      `VM ${spec.name} is already running (virtnet pid ${existing.pid})`,
      { field: 'metadata.name', vm: spec.name },
    );
  }
  if (!existing) return;
  log(`cleaning up what a previous run of ${spec.name} left behind`);
  const collected = await collectVm(stateDir, existing);
  if (collected.errors.length > 0)
    throw new VirtnetError(
      'RUN_LEFTOVERS',
      `VM ${spec.name}: what a previous run left cannot be removed: ${collected.errors.join('; ')}`,
      { vm: spec.name },
    );
}

/** Starts VM `options.spec` with its pod and wiring; on any failure everything created is undone. */
export async function startVmRun(options: RunVmOptions): Promise<VmRun> {
  const { spec, stateDir, signal } = options;
  const log = options.log ?? (() => undefined);
  vmStateDir(stateDir, spec.name);
  const lock = await tryLockVm(stateDir, spec.name);
  if (!lock) {
    const holder = readRunRecord(stateDir, spec.name);
    throw new VirtnetError(
      'VM_ALREADY_RUNNING',
      `VM ${spec.name} is already running or being cleaned up${holder && ownerAlive(holder) ? ` (virtnet pid ${holder.pid})` : ''}`,
      { field: 'metadata.name', vm: spec.name },
    );
  }
  faultPoint('run.locked');
  try {
    await takeOverPreviousRun(options, log);
    throwIfCancelled(signal, spec.name);
    return await setUp(options, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** One run in progress: what setup has created so far, and how to record it. */
interface Run {
  options: RunVmOptions;
  spec: VmSpec;
  stateDir: string;
  vmDir: string;
  podName: string;
  lock: VmLock;
  log: (message: string) => void;
  record: RunRecord;
  /** Writes the record; `step` names a recorded step of setup or teardown (a fault point). */
  save: (step?: string) => void;
  cni: { cniPath?: string[]; pluginTimeoutMs?: number };
  timings: RunTimings;
  /** Milliseconds since the previous lap (one decimal). */
  lap: () => number;
  dhcp: DhcpPhaseServer[];
  vm?: RunningVm;
}

/** The run record as it is before anything is created. */
function newRunRecord(spec: VmSpec, podName: string, accel: Accel): RunRecord {
  const record: RunRecord = {
    vm: spec.name,
    namespace: spec.namespace,
    pod: podName,
    netns: podName,
    pid: process.pid,
    runId: randomBytes(8).toString('hex'),
    accel,
    phase: 'starting',
    guestReady: false,
    startedAt: new Date().toISOString(),
    files: {},
    nics: [],
  };
  const pidStart = processStartTime(process.pid);
  if (pidStart) record.pidStartTime = pidStart;
  return record;
}

/** A stopwatch: each call returns the milliseconds since the previous one, to one decimal. */
function stopwatch(): () => number {
  let mark = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return Math.round(ms * 10) / 10;
  };
}

/** Undoes everything this run created, in reverse; returns what could not be removed. */
async function undoRun(run: Run): Promise<string[]> {
  const { stateDir, spec, record, cni } = run;
  const signal = run.options.signal;
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (run.vm) {
    await stopQemu(run.vm, QEMU_STOP_GRACE_MS, QEMU_STOP_LIMIT_MS);
    faultPoint('run.qemu-stopped');
  }
  for (const s of run.dhcp) s.stop();
  await attempt('bindings', () => teardown(stateDir, spec.name));
  // Only the pod this run created (its owner is this run); a failed DEL stays recorded for gc.
  await attempt('pod', () =>
    deletePod(run.podName, stateDir, {
      ...undoOptions({ ...cni, ...(signal ? { signal } : {}) }),
      owner: record.runId,
      onDelFailure: 'keep-attachments',
    }),
  );
  await removeIdleHostBridges(record);
  // What could not be removed stays recorded: the run record (its owner gone once we exit) tells
  // `virtnet status` and `virtnet gc` to finish the job.
  if (problems.length === 0) rmSync(run.vmDir, { recursive: true, force: true });
  faultPoint('run.removed');
  run.lock.release();
  return problems;
}

/** Creates the VM's pod through CNI, owned by this run. */
async function createRunPod(run: Run, podNetworks: ReturnType<typeof podNetworksForVm>): Promise<void> {
  const { options, spec, stateDir, podName, timings } = run;
  run.log(`creating pod ${podName}`);
  const podOpts: Parameters<typeof createPod>[0] = {
    name: podName,
    stateDir,
    namespace: spec.namespace,
    owner: run.record.runId,
    ...run.cni,
    ...(options.signal ? { signal: options.signal } : {}),
    observer: (exec) => (timings.cniPluginMs += exec.durationMs),
  };
  if (options.cniConfDir !== undefined) podOpts.cniConfDir = options.cniConfDir;
  if (options.nadFiles !== undefined) podOpts.nadFiles = options.nadFiles;
  if (podNetworks.networks !== undefined) podOpts.networks = podNetworks.networks;
  if (podNetworks.defaultNetwork !== undefined) podOpts.defaultNetwork = podNetworks.defaultNetwork;
  if (podNetworks.genie !== undefined) podOpts.genie = podNetworks.genie;
  await createPod(podOpts);
  // Only virtnet's own shipped network: a bridge from the user's CNI configuration is not ours to remove.
  if (options.cniConfDir === undefined) run.record.idleHostBridges = hostBridgesOf(podName, stateDir);
  run.save('pod-created');
  timings.podCreateMs = run.lap();
}

/** Plans and applies the VM's bindings in its pod; returns the plan. */
async function applyRunBindings(run: Run): Promise<VmNetworkPlan> {
  const { spec } = run;
  run.log('applying bindings');
  const [network] = await runNetworkPhase({
    specs: [spec],
    cluster: run.options.cluster,
    netns: run.podName,
    stateDir: run.stateDir,
  });
  if (!network)
    throw new VirtnetError('RUN_NO_PLAN', `no network plan for VM ${spec.name}`, { vm: spec.name });
  run.record.nics = nicStatuses(network.plan);
  run.timings.bindingApplyMs = run.lap();
  run.save('bindings-applied');
  return network.plan;
}

/** Starts QEMU in the pod; its pid is recorded the moment it exists, guest reports as they come. */
async function bootQemu(run: Run, machine: VmMachine, runDir: string): Promise<RunningVm> {
  const { record, save } = run;
  const onEvent = (event: GuestConsoleEvent): void => {
    if (event.kind === 'nic') {
      const nic = record.nics.find((n) => n.mac === event.nic.mac);
      if (nic) nic.guest = event.nic;
      save();
    } else if (event.kind === 'ready') {
      record.guestReady = true;
      save();
    }
  };
  // QEMU's pid is in the record before anything can interrupt us: a kill -9 from here on leaves a
  // QEMU that `virtnet gc` finds.
  const onSpawn = (pid: number): void => {
    faultPoint('run.qemu-spawned');
    record.qemuPid = pid;
    save('qemu-pid');
  };
  const vmOpts: Parameters<typeof startVm>[0] = { machine, runDir, netns: run.podName, onEvent, onSpawn };
  if (run.options.serialLogPath !== undefined) vmOpts.consoleLogPath = run.options.serialLogPath;
  const vm = await startVm(vmOpts);
  record.qemuPid = vm.pid;
  record.files = {
    domainXml: vm.files.domainXml,
    qemuArgv: vm.files.qemuArgv,
    consoleLog: vm.files.consoleLog,
  };
  return vm;
}

/** Creates the VM's state directory and writes the first run record: from here on, gc can undo. */
function beginRun(options: RunVmOptions, lock: VmLock, podName: string, accel: Accel): Run {
  const { spec, stateDir } = options;
  const log = options.log ?? (() => undefined);
  const vmDir = vmStateDir(stateDir, spec.name);
  mkdirSync(vmDir, { recursive: true });
  const record = newRunRecord(spec, podName, accel);
  const save = (step?: string): void => {
    try {
      writeRunRecord(stateDir, record);
    } catch (err) {
      // The record is for status and gc; losing it (a state dir removed under us) must not stop the run.
      log(`cannot write the run record: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (step !== undefined) faultPoint(`run.record:${step}`);
    options.onChange?.(record);
  };
  save('starting');
  const cni: Run['cni'] = {};
  if (options.cniPath !== undefined) cni.cniPath = options.cniPath;
  if (options.pluginTimeoutMs !== undefined) cni.pluginTimeoutMs = options.pluginTimeoutMs;
  const run: Run = {
    options,
    spec,
    stateDir,
    vmDir,
    podName,
    lock,
    log,
    record,
    save,
    cni,
    timings: {
      podCreateMs: 0,
      cniPluginMs: 0,
      bindingApplyMs: 0,
      dhcpStartMs: 0,
      seedMs: 0,
      beforeQemuMs: 0,
      qemuStartMs: 0,
      qemuUpAtEpochMs: 0,
    },
    lap: stopwatch(),
    dhcp: [],
  };
  return run;
}

/** Everything after the lock: on failure undoes what it created and releases the lock itself. */
async function setUp(options: RunVmOptions, lock: VmLock): Promise<VmRun> {
  const { spec, stateDir, signal } = options;
  const podName = options.podName ?? defaultPodName(spec.name);
  const accel = chooseAccel(options.accel ?? 'auto');
  const hostname = spec.hostname ?? spec.name.split('.')[0] ?? spec.name;
  const boot = await bootOf(options, hostname);
  const podNetworks = podNetworksForVm(spec, { bindingPlugins: options.cluster.bindingPlugins });

  const runStarted = performance.now();
  const run = beginRun(options, lock, podName, accel.accel);
  const { timings, record, save, log, vmDir } = run;
  try {
    await createRunPod(run, podNetworks);
    throwIfCancelled(signal, spec.name);
    const plan = await applyRunBindings(run);
    throwIfCancelled(signal, spec.name);

    // The DHCP server serves from this process; the guest asks only seconds after QEMU starts.
    run.dhcp = await startDhcpPhase(stateDir, [spec.name]);
    timings.dhcpStartMs = run.lap();

    const runDir = join(vmDir, 'run');
    mkdirSync(runDir, { recursive: true });
    const machine = await vmMachineFor({
      spec,
      plan,
      boot,
      accel: accel.accel,
      runDir,
      hostname,
      foreignGuest: options.disk !== undefined || options.kernel !== undefined,
      ...(options.memoryMiB !== undefined ? { memoryMiB: options.memoryMiB } : {}),
    });
    timings.seedMs = run.lap();
    log(`booting ${spec.name} under QEMU (${accel.accel}: ${accel.reason})`);
    timings.beforeQemuMs = Math.round((performance.now() - runStarted) * 10) / 10;
    throwIfCancelled(signal, spec.name);
    run.vm = await bootQemu(run, machine, runDir);
    timings.qemuStartMs = run.lap();
    timings.qemuUpAtEpochMs = Date.now();
    timings.cniPluginMs = Math.round(timings.cniPluginMs * 10) / 10;
    record.timings = timings;
    record.phase = 'running';
    save('running');
    throwIfCancelled(signal, spec.name);
  } catch (err) {
    const problems = await undoRun(run);
    if (problems.length > 0 && isVirtnetError(err)) err.detail.rollbackErrors = problems;
    for (const p of problems) log(`rollback incomplete: ${p}`);
    throw err;
  }

  const running = run.vm;
  let stopping: Promise<string[]> | undefined;
  return {
    record,
    vm: running,
    exited: running.exited,
    shutdown() {
      stopping ??= (async () => {
        record.phase = 'stopping';
        save('stopping');
        return undoRun(run);
      })();
      return stopping;
    },
  };
}
