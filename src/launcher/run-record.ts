// The record of a running `virtnet run`: who owns the VM (virtnet's PID), its pod, QEMU's PID and what
// the guest reported. `virtnet status` reads it, `virtnet down NAME` signals the owner, `virtnet gc`
// cleans after an owner that died. Lives at `<stateDir>/vms/<vm>/run.json`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestNicReport } from '../hypervisor/guest-console.js';
import { processStartTime } from '../host/processes.js';
import { stateLayout } from '../state/state-dir.js';
import { readJson, vmStateDir, writeJsonAtomic } from '../apply/vm-record.js';

export const RUN_RECORD_FILE = 'run.json';

/** One NIC as `status` shows it: the binding's view joined with the guest's. */
export interface RunNicStatus {
  name: string;
  network: string;
  binding: string;
  model: string;
  podInterface?: string;
  /** Devices virtnet created in the pod for this NIC (bridge, TAP, macvtap...). */
  devices: string[];
  mac: string;
  /** Addresses virtnet hands the guest (DHCP lease or static config), CIDR form. */
  ips: string[];
  guest?: GuestNicReport;
}

/** The run record. */
export interface RunRecord {
  vm: string;
  namespace: string;
  pod: string;
  netns: string;
  /** PID of the `virtnet run` process that owns everything below. */
  pid: number;
  /** /proc/<pid>/stat start time of the owner, so a recycled PID is not mistaken for it. */
  pidStartTime?: string;
  /** This run's id: the owner recorded in the pod it created (a pod it did not create is not its to delete). */
  runId?: string;
  /** Recorded the moment QEMU is spawned, before anything can interrupt the run. */
  qemuPid?: number;
  accel?: string;
  phase: 'starting' | 'running' | 'stopping';
  guestReady: boolean;
  startedAt: string;
  files: { domainXml?: string; qemuArgv?: string; consoleLog?: string };
  nics: RunNicStatus[];
  /** Host bridges of virtnet's shipped network, removed at teardown once no pod uses them. */
  idleHostBridges?: string[];
  /** Where the start-up time went (bench/run reads it). */
  timings?: RunTimings;
}

/** Start-up phases of a run, in milliseconds. */
export interface RunTimings {
  /** Creating the pod: namespace and every CNI ADD. */
  podCreateMs: number;
  /** Of which the CNI plugins themselves ran. */
  cniPluginMs: number;
  /** Phase network: discover, plan, apply, record. */
  bindingApplyMs: number;
  /** Phase dhcp: the DHCP server process up and listening (runs beside the seed and QEMU's start). */
  dhcpStartMs: number;
  /** cloud-init seed ISO (genisoimage). */
  seedMs: number;
  /** The critical path before QEMU is spawned: pod, bindings, seed (and the run record). */
  beforeQemuMs: number;
  /** QEMU spawned until QMP answers. */
  qemuStartMs: number;
  /** Wall-clock time (epoch ms) QEMU was up; the guest's boot is measured from here. */
  qemuUpAtEpochMs: number;
}

/** True while the process that wrote `record` is alive. */
export function ownerAlive(record: Pick<RunRecord, 'pid' | 'pidStartTime'>): boolean {
  const now = processStartTime(record.pid);
  return now !== undefined && (record.pidStartTime === undefined || now === record.pidStartTime);
}

/** Writes the run record of `record.vm`. */
export function writeRunRecord(stateDir: string, record: RunRecord): void {
  writeJsonAtomic(join(vmStateDir(stateDir, record.vm), RUN_RECORD_FILE), record);
}

/** Reads the run record of VM `vm`, if any. */
export function readRunRecord(stateDir: string, vm: string): RunRecord | undefined {
  return readJson<RunRecord>(join(vmStateDir(stateDir, vm), RUN_RECORD_FILE));
}

/** Every run record in the state dir. */
export function listRunRecords(stateDir: string): RunRecord[] {
  let names: string[] = [];
  try {
    names = readdirSync(stateLayout(stateDir).vms);
  } catch {
    return [];
  }
  return names.flatMap((n) => readRunRecord(stateDir, n) ?? []).sort((a, b) => a.vm.localeCompare(b.vm));
}
