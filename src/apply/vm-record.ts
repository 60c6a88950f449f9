// The per-VM execution record under `<stateDir>/vms/<vm>/`: the applied plan and, per step, its status
// and the values it replaced — enough to finish or undo the job after a crash at any point (KubeVirt's
// pending → started → finished per network). Files in the VM's state dir:
//   network.json        the record (plan + step progress)            — written by the network phase
//   dhcp4.json          Dhcp4ServerConfig for the pod's DHCP server  — written by the network phase
//   dhcp4.log           the DHCP server's log                        — written by the dhcp phase
// Writes are atomic (temporary file + rename): a crash leaves the old or the new record, never half.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import type { VmNetworkPlan } from '../bindings/plan-types.js';
import { faultPoint } from '../state/fault-point.js';
import { stateLayout, vmDirOf } from '../state/state-dir.js';

export const NETWORK_RECORD_FILE = 'network.json';
export const DHCP4_CONFIG_FILE = 'dhcp4.json';
export const DHCP4_LOG_FILE = 'dhcp4.log';

/** Progress of one step: `applying` = may be partly applied (its `before` is already recorded). */
export interface StepRecord {
  id: string;
  status: 'applying' | 'done';
  /** What the step replaced (previous MAC, MTU, master, sysctl value, ...), for an exact undo. */
  before?: unknown;
  /** What applying produced that undo needs (a helper process's pid). */
  applied?: unknown;
}

/** The record of one VM's network in one pod. */
export interface NetworkRecord {
  version: 1;
  plan: VmNetworkPlan;
  status: 'applying' | 'applied' | 'rolling-back' | 'tearing-down';
  steps: StepRecord[];
  updatedAt: string;
}

const VM_DIR_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** `<stateDir>/vms/<vm>`; the VM name is a DNS-1123 subdomain, checked before it becomes a path. */
export function vmStateDir(stateDir: string, vmName: string): string {
  if (!VM_DIR_RE.test(vmName))
    throw new VirtnetError('INVALID_VM_NAME', `invalid VM name ${JSON.stringify(vmName)}`, {
      field: 'metadata.name',
    });
  return vmDirOf(stateDir, vmName);
}

/** Writes `data` as JSON atomically. */
export function writeJsonAtomic(path: string, data: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads a JSON file, or undefined when it does not exist. */
export function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new VirtnetError('STATE_CORRUPT', `state file ${path} is not valid JSON`, { path }, { cause: err });
  }
}

/** The record in `vmDir`, if any. */
export function readNetworkRecord(vmDir: string): NetworkRecord | undefined {
  const rec = readJson<NetworkRecord>(join(vmDir, NETWORK_RECORD_FILE));
  if (rec && rec.version !== 1)
    throw new VirtnetError('STATE_VERSION', `unsupported record version in ${vmDir}`, { path: vmDir });
  return rec;
}

/** Saves the record (creating the VM dir). */
export function writeNetworkRecord(vmDir: string, record: NetworkRecord): void {
  mkdirSync(vmDir, { recursive: true, mode: 0o700 });
  record.updatedAt = new Date().toISOString();
  writeJsonAtomic(join(vmDir, NETWORK_RECORD_FILE), record);
  faultPoint('network.record');
}

/** Removes the network phase's files, and the VM dir when nothing else is left in it. */
export function removeNetworkFiles(vmDir: string): void {
  for (const f of [NETWORK_RECORD_FILE, DHCP4_CONFIG_FILE, DHCP4_LOG_FILE])
    rmSync(join(vmDir, f), { force: true });
  faultPoint('network.removed');
  try {
    if (readdirSync(vmDir).length === 0) rmSync(vmDir, { recursive: true, force: true });
  } catch {
    /* already gone */
  }
}

/** Every VM dir with a network record, optionally only those in namespace `netns`. */
export function listNetworkRecords(
  stateDir: string,
  netns?: string,
): { vmDir: string; record: NetworkRecord }[] {
  const root = stateLayout(stateDir).vms;
  if (!existsSync(root)) return [];
  const out: { vmDir: string; record: NetworkRecord }[] = [];
  for (const name of readdirSync(root).sort()) {
    const vmDir = join(root, name);
    const record = readNetworkRecord(vmDir);
    if (record && (netns === undefined || record.plan.netns === netns)) out.push({ vmDir, record });
  }
  return out;
}
