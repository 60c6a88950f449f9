// runProgram's contract (programs start through posix_spawn, native/fast-spawn.c). Real programs,
// no mocks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from './run-program.js';

/** True once `pid` is gone or a zombie (bounded wait: 3 s). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    let state: string | undefined;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('input, output, exit codes, errors, cwd', async () => {
  const r = await runProgram(['sh', '-c', 'cat; echo oops >&2; exit 3'], {
    timeoutMs: 5000,
    input: 'hello\n',
    okExitCodes: [3],
  });
  assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['hello\n', 'oops\n', 3]);
  await assert.rejects(
    runProgram(['sh', '-c', 'echo bad >&2; exit 2'], { timeoutMs: 5000 }),
    (e) => isVirtnetError(e, 'EXEC_FAILED') && e.detail.exitCode === 2 && /bad/.test(e.message),
  );
  await assert.rejects(runProgram(['virtnet-no-such-program'], { timeoutMs: 5000 }), (e) =>
    isVirtnetError(e, 'EXEC_NOT_FOUND'),
  );
  await assert.rejects(runProgram(['sleep', '5'], { timeoutMs: 150 }), (e) =>
    isVirtnetError(e, 'EXEC_TIMEOUT'),
  );
  // The program exits 0 at once but leaves a child holding its stdout: its exit ends the wait, what
  // it wrote is read, and the child it left behind is killed.
  const t0 = performance.now();
  const lingering = await runProgram(['sh', '-c', 'sleep 30 & echo $!; echo started'], {
    timeoutMs: 20_000,
  });
  assert.ok(performance.now() - t0 < 5000, 'did not wait for the background child');
  const [leftPid, said] = lingering.stdout.trim().split('\n');
  assert.equal(said, 'started');
  assert.ok(await gone(Number(leftPid)), 'the child left behind was killed');
  // A timed-out program is killed with its children (its process group).
  const hung = await runProgram(['sh', '-c', 'sleep 30 & echo $!; sleep 30'], { timeoutMs: 300 }).catch(
    (e: unknown) => e,
  );
  assert.ok(isVirtnetError(hung, 'EXEC_TIMEOUT'), String(hung));
  assert.ok(
    await gone(Number(String(hung.detail.stdout).trim())),
    "the timed-out program's child was killed",
  );
  // Cancelled through its AbortSignal: killed at once with its children.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const t1 = performance.now();
  const cancelled = await runProgram(['sh', '-c', 'sleep 30 & echo $!; sleep 30'], {
    timeoutMs: 20_000,
    signal: ac.signal,
  }).catch((e: unknown) => e);
  assert.ok(isVirtnetError(cancelled, 'EXEC_ABORTED'), String(cancelled));
  assert.ok(performance.now() - t1 < 5000, 'cancelled promptly');
  assert.ok(
    await gone(Number(String(cancelled.detail.stdout).trim())),
    "the cancelled program's child was killed",
  );
  await assert.rejects(
    runProgram(['sh', '-c', 'kill -TERM $$'], { timeoutMs: 5000 }),
    (e) => isVirtnetError(e, 'EXEC_SIGNALED') && e.detail.signal === 'SIGTERM',
  );
  // Exactly the given environment; SIGPIPE back at its default (Node ignores it) and nothing blocked.
  const env = await runProgram(['sh', '-c', 'echo "$FOO|$HOME"; grep -E "^Sig(Blk|Ign)" /proc/self/status'], {
    timeoutMs: 5000,
    env: { PATH: '/usr/bin:/bin', FOO: 'bar' },
  });
  const [vars, blocked, ignored] = env.stdout.trim().split('\n');
  assert.equal(vars, 'bar|');
  assert.match(blocked!, /^SigBlk:\s+0+$/);
  const sigpipeBit = 1n << 12n;
  assert.equal(BigInt(`0x${ignored!.split(/\s+/)[1]}`) & sigpipeBit, 0n, 'SIGPIPE not ignored');
  // Output larger than any pipe buffer, and a child that never reads its input.
  assert.equal(
    (await runProgram(['head', '-c', '3000000', '/dev/zero'], { timeoutMs: 10_000 })).stdout.length,
    3_000_000,
  );
  assert.equal((await runProgram(['true'], { timeoutMs: 5000, input: 'x'.repeat(1_000_000) })).exitCode, 0);
  // In the given directory; a missing one fails the start.
  const where = await runProgram(['pwd'], { timeoutMs: 5000, cwd: '/proc' });
  assert.equal(where.stdout, '/proc\n');
  await assert.rejects(runProgram(['pwd'], { timeoutMs: 5000, cwd: '/nonexistent-virtnet' }), (e) =>
    isVirtnetError(e, 'EXEC_NOT_FOUND'),
  );
});
