// Garbage collection: finishes the teardown of VMs whose `virtnet run` process is gone (kill -9, a
// crash, a reboot of the agent): cleanup after an uncontrolled pod shutdown. Everything it removes is named in a run record: QEMU (by recorded PID, checked against
// its command line, and any process naming the VM's state dir), the bindings (executor record), the
// pod (CNI DEL), the state. It collects a VM only while holding its lock.
import { rmSync } from 'node:fs';
import { teardown } from '../apply/executor.js';
import { deletePod, listPods } from '../cni/pod.js';
import { deleteBridgeIfIdle } from '../host/idle-bridge.js';
import { processCmdline, processesWithCmdlineContaining } from '../host/processes.js';
import { listRunRecords, ownerAlive, type RunRecord } from './run-record.js';
import { vmStateDir } from '../apply/vm-record.js';
import { listLockedVms, tryLockVm } from './vm-lock.js';

/** What gc did for one VM (or, without `vm`, for a pod whose earlier deletion failed). */
export interface CollectedVm {
  vm?: string;
  pod: string;
  killedQemu: boolean;
  errors: string[];
}

function isOurQemu(pid: number, vmDir: string): boolean {
  return processCmdline(pid)?.includes(vmDir) ?? false;
}

/**
 * Processes whose command line names a file in the VM's state dir (QEMU's QMP socket, a helper's
 * socket): the VM's own, and only they do. This finds a child a kill -9 hit before its pid was
 * recorded (the instant between spawn and the record write).
 */
function processesOf(vmDir: string): number[] {
  return processesWithCmdlineContaining(`${vmDir}/`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILL to `pid` if it still runs from `vmDir`, then waits (at most 2 s) until it is gone. */
async function killVmProcess(pid: number, vmDir: string): Promise<boolean> {
  if (!isOurQemu(pid, vmDir)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  for (let i = 0; i < 100 && isOurQemu(pid, vmDir); i++) await sleep(20);
  return true;
}

/** Removes the host bridges of virtnet's shipped network that the run's pod left without ports. */
export async function removeIdleHostBridges(record: Pick<RunRecord, 'idleHostBridges'>): Promise<void> {
  for (const bridge of record.idleHostBridges ?? []) await deleteBridgeIfIdle(bridge).catch(() => false);
}

/**
 * Removes everything of the run `record`, whose owner must be gone; the caller holds the VM's lock.
 * A pod is deleted only if this run created it; a DEL that fails stays recorded for the next gc.
 */
export async function collectVm(stateDir: string, record: RunRecord): Promise<CollectedVm> {
  const vmDir = vmStateDir(stateDir, record.vm);
  const out: CollectedVm = { vm: record.vm, pod: record.pod, killedQemu: false, errors: [] };
  if (record.qemuPid !== undefined) out.killedQemu = await killVmProcess(record.qemuPid, vmDir);
  for (const pid of processesOf(vmDir)) out.killedQemu = (await killVmProcess(pid, vmDir)) || out.killedQemu;
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      out.errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  await attempt('bindings', () => teardown(stateDir, record.vm));
  await attempt('pod', () =>
    deletePod(record.pod, stateDir, {
      onDelFailure: 'keep-attachments',
      ...(record.runId !== undefined ? { owner: record.runId } : {}),
    }),
  );
  await removeIdleHostBridges(record);
  rmSync(vmDir, { recursive: true, force: true });
  return out;
}

/**
 * Collects every VM whose `virtnet run` process is gone (and that nobody holds the lock of), removes
 * lock files nobody holds, then retries the pods whose deletion failed earlier (status `deleting`,
 * no live run naming them).
 */
export async function collectGarbage(stateDir: string): Promise<CollectedVm[]> {
  const done: CollectedVm[] = [];
  const records = listRunRecords(stateDir);
  for (const record of records) {
    if (ownerAlive(record)) continue;
    const lock = await tryLockVm(stateDir, record.vm);
    if (!lock) continue;
    try {
      done.push(await collectVm(stateDir, record));
    } finally {
      lock.release();
    }
  }
  // Lock files a killed holder could not remove: taking and releasing the lock removes them.
  for (const vm of listLockedVms(stateDir)) (await tryLockVm(stateDir, vm).catch(() => undefined))?.release();
  // Pods of live runs are theirs; pods just collected above were just tried.
  const skip = new Set([...listRunRecords(stateDir).map((r) => r.pod), ...done.map((c) => c.pod)]);
  for (const pod of listPods(stateDir)) {
    if (pod.status !== 'deleting' || skip.has(pod.name)) continue;
    const out: CollectedVm = { pod: pod.name, killedQemu: false, errors: [] };
    await deletePod(pod.name, stateDir, { onDelFailure: 'keep-attachments' }).catch((err: unknown) =>
      out.errors.push(`pod: ${err instanceof Error ? err.message : String(err)}`),
    );
    done.push(out);
  }
  return done;
}
