// Garbage collection: finishes the teardown of VMs whose `virtnet run` process is gone (kill -9, a
// crash, a reboot of the agent) — seed 000 lists "cleanup after an uncontrolled pod shutdown" as
// unsolved. Everything it removes is named in a run record: QEMU (by recorded PID, checked against
// its command line), the bindings (executor record), the pod (CNI DEL), the state.
import { readFileSync, rmSync } from 'node:fs';
import { teardown } from '../bindings/executor.js';
import { deletePod } from '../cni/pod.js';
import { deleteBridgeIfIdle } from '../host/idle-bridge.js';
import { listRunRecords, ownerAlive, type RunRecord } from './run-record.js';
import { vmStateDir } from './vm-record.js';

/** What gc did for one VM. */
export interface CollectedVm {
  vm: string;
  pod: string;
  killedQemu: boolean;
  errors: string[];
}

function isOurQemu(pid: number, vmDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(vmDir);
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Removes the host bridges of virtnet's shipped network that the run's pod left without ports. */
export async function removeIdleHostBridges(record: Pick<RunRecord, 'idleHostBridges'>): Promise<void> {
  for (const bridge of record.idleHostBridges ?? []) await deleteBridgeIfIdle(bridge).catch(() => false);
}

/** Removes everything of the run `record` (whose owner must be gone). */
export async function collectVm(stateDir: string, record: RunRecord): Promise<CollectedVm> {
  const vmDir = vmStateDir(stateDir, record.vm);
  const out: CollectedVm = { vm: record.vm, pod: record.pod, killedQemu: false, errors: [] };
  if (record.qemuPid !== undefined && isOurQemu(record.qemuPid, vmDir)) {
    process.kill(record.qemuPid, 'SIGKILL');
    for (let i = 0; i < 100 && isOurQemu(record.qemuPid, vmDir); i++) await sleep(20);
    out.killedQemu = true;
  }
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      out.errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  await attempt('bindings', () => teardown(stateDir, record.vm));
  await attempt('pod', () => deletePod(record.pod, stateDir, { force: true }));
  await removeIdleHostBridges(record);
  rmSync(vmDir, { recursive: true, force: true });
  return out;
}

/** Collects every VM whose `virtnet run` process is gone. */
export async function collectGarbage(stateDir: string): Promise<CollectedVm[]> {
  const done: CollectedVm[] = [];
  for (const record of listRunRecords(stateDir)) {
    if (!ownerAlive(record)) done.push(await collectVm(stateDir, record));
  }
  return done;
}
