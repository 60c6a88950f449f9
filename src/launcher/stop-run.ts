// `virtnet down NAME`: stops a VM that `virtnet run` runs, from another shell. The owner process is
// asked with SIGTERM (it tears down in the order it built); if it is gone, or does not finish in
// time, gc's exact teardown from the recorded state takes over.
import { collectVm } from './gc.js';
import { ownerAlive, readRunRecord } from './run-record.js';
import { tryLockVm } from './vm-lock.js';

/** What `down NAME` did. */
export type StopRunOutcome = 'not-running' | 'stopped' | 'collected';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops VM `vm` and waits until everything of it is gone (at most `timeoutMs`, then collects it). */
export async function stopRun(stateDir: string, vm: string, timeoutMs = 60_000): Promise<StopRunOutcome> {
  const record = readRunRecord(stateDir, vm);
  if (!record) return 'not-running';
  if (ownerAlive(record)) {
    process.kill(record.pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && ownerAlive(record)) await sleep(100);
    if (!readRunRecord(stateDir, vm)) return 'stopped';
    if (ownerAlive(record)) {
      process.kill(record.pid, 'SIGKILL');
      // Its lock is freed once it is really gone: wait for that (briefly) before taking it.
      for (let i = 0; i < 50 && ownerAlive(record); i++) await sleep(100);
    }
  }
  // Whoever holds the lock now (the owner's own teardown, gc, a new run) finishes or owns the VM.
  const lock = await tryLockVm(stateDir, vm);
  if (!lock) return 'stopped';
  let collected;
  try {
    collected = await collectVm(stateDir, record);
  } finally {
    lock.release();
  }
  if (collected.errors.length > 0) throw new Error(`VM ${vm}: ${collected.errors.join('; ')}`);
  return 'collected';
}
