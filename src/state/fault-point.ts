// Fault points: named places right after virtnet changed its recorded state (a record written, a
// namespace created, QEMU spawned). In production they do nothing. The fault suite (test/faults) sets
// VIRTNET_FAULT to act at one chosen occurrence of a point, so `kill -9` lands exactly between two
// recorded steps instead of at a random time, and VIRTNET_FAULT_TRACE to learn every point a run
// passes. Actions (comma-separated `action@point:occurrence`):
//   kill@P:N   SIGKILL this process (what `kill -9` does; nothing of virtnet runs afterwards)
//   term@P:N   SIGTERM this process (handled like a user's signal, on the next event-loop turn)
//   fail@P:N   throw FAULT_INJECTED (the step "failed"; the caller's rollback runs)
//   hold@P:N   block this thread for VIRTNET_FAULT_HOLD_MS (default 3000) — e.g. to race a second run
// Nothing else may read these variables, and a point never changes what virtnet does when unset.
import { appendFileSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';

type FaultAction = 'kill' | 'term' | 'fail' | 'hold';

interface Fault {
  action: FaultAction;
  point: string;
  occurrence: number;
}

const passed = new Map<string, number>();
let faults: Fault[] | undefined;

function parseFaults(spec: string | undefined): Fault[] {
  if (!spec) return [];
  return spec.split(',').flatMap((item) => {
    const m = /^(kill|term|fail|hold)@(.+):(\d+)$/.exec(item.trim());
    return m ? [{ action: m[1] as FaultAction, point: m[2]!, occurrence: Number(m[3]) }] : [];
  });
}

const DEFAULT_HOLD_MS = 3_000;

/** Marks that point `name` was just passed; acts when VIRTNET_FAULT names this occurrence. */
export function faultPoint(name: string): void {
  faults ??= parseFaults(process.env.VIRTNET_FAULT);
  const trace = process.env.VIRTNET_FAULT_TRACE;
  if (faults.length === 0 && !trace) return;
  const n = (passed.get(name) ?? 0) + 1;
  passed.set(name, n);
  if (trace) appendFileSync(trace, `${name}:${n}\n`);
  for (const f of faults) {
    if (f.point !== name || f.occurrence !== n) continue;
    if (f.action === 'kill') process.kill(process.pid, 'SIGKILL');
    if (f.action === 'term') process.kill(process.pid, 'SIGTERM');
    if (f.action === 'hold')
      Atomics.wait(
        new Int32Array(new SharedArrayBuffer(4)),
        0,
        0,
        Number(process.env.VIRTNET_FAULT_HOLD_MS ?? DEFAULT_HOLD_MS),
      );
    if (f.action === 'fail')
      throw new VirtnetError('FAULT_INJECTED', `injected failure at ${name}:${n}`, { point: name });
  }
}
