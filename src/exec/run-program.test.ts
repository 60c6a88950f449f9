// runProgram's contract, on both ways of starting a program: posix_spawn through the addon and
// Node's own spawn (VIRTNET_NO_NATIVE=1, or a cwd). Real programs, no mocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { fastSpawnAvailable } from './fast-spawn.js';
import { runProgram } from './run-program.js';

const ways = [
  { name: 'posix_spawn', skip: fastSpawnAvailable() ? undefined : 'fast-spawn addon not built (no C compiler at build time)', env: undefined },
  { name: 'node spawn', skip: undefined, env: '1' },
];

for (const way of ways) {
  test(`${way.name}: input, output, exit codes, errors`, { skip: way.skip }, async () => {
    if (way.env) process.env.VIRTNET_NO_NATIVE = way.env;
    try {
      const r = await runProgram(['sh', '-c', 'cat; echo oops >&2; exit 3'], { timeoutMs: 5000, input: 'hello\n', okExitCodes: [3] });
      assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['hello\n', 'oops\n', 3]);
      await assert.rejects(runProgram(['sh', '-c', 'echo bad >&2; exit 2'], { timeoutMs: 5000 }), (e) => isVirtnetError(e, 'EXEC_FAILED') && e.detail.exitCode === 2 && /bad/.test(e.message));
      await assert.rejects(runProgram(['virtnet-no-such-program'], { timeoutMs: 5000 }), (e) => isVirtnetError(e, 'EXEC_NOT_FOUND'));
      await assert.rejects(runProgram(['sleep', '5'], { timeoutMs: 150 }), (e) => isVirtnetError(e, 'EXEC_TIMEOUT'));
      // The program exits at once but leaves a child holding its stdout: the timeout still ends the wait.
      const t0 = performance.now();
      await assert.rejects(runProgram(['sh', '-c', 'sleep 3 & echo started'], { timeoutMs: 300 }), (e) => isVirtnetError(e, 'EXEC_TIMEOUT'));
      assert.ok(performance.now() - t0 < 2500, 'did not wait for the background child');
      await assert.rejects(runProgram(['sh', '-c', 'kill -TERM $$'], { timeoutMs: 5000 }), (e) => isVirtnetError(e, 'EXEC_SIGNALED') && e.detail.signal === 'SIGTERM');
      // Exactly the given environment; SIGPIPE back at its default (Node ignores it) and nothing blocked.
      const env = await runProgram(['sh', '-c', 'echo "$FOO|$HOME"; grep -E "^Sig(Blk|Ign)" /proc/self/status'], { timeoutMs: 5000, env: { PATH: '/usr/bin:/bin', FOO: 'bar' } });
      const [vars, blocked, ignored] = env.stdout.trim().split('\n');
      assert.equal(vars, 'bar|');
      assert.match(blocked!, /^SigBlk:\s+0+$/);
      const sigpipeBit = 1n << 12n;
      assert.equal(BigInt(`0x${ignored!.split(/\s+/)[1]}`) & sigpipeBit, 0n, 'SIGPIPE not ignored');
      // Output larger than any pipe buffer, and a child that never reads its input.
      assert.equal((await runProgram(['head', '-c', '3000000', '/dev/zero'], { timeoutMs: 10_000 })).stdout.length, 3_000_000);
      assert.equal((await runProgram(['true'], { timeoutMs: 5000, input: 'x'.repeat(1_000_000) })).exitCode, 0);
    } finally {
      delete process.env.VIRTNET_NO_NATIVE;
    }
  });
}
