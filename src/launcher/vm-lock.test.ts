// The per-VM lock against the real kernel: exclusive between holders (even two in one process), freed
// by release, and freed by the kernel when the holder is killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listLockedVms, tryLockVm, vmLockPath } from './vm-lock.js';

test(
  'one holder at a time; release removes the file; a SIGKILLed holder loses the lock',
  { timeout: 30_000 },
  async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtnet-lock-'));
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const first = await tryLockVm(stateDir, 'web');
    assert.ok(first);
    assert.equal(await tryLockVm(stateDir, 'web'), undefined, 'a second holder is refused at once');
    assert.ok(await tryLockVm(stateDir, 'other'), 'another VM has its own lock');
    first.release();
    assert.ok(!existsSync(vmLockPath(stateDir, 'web')));
    const again = await tryLockVm(stateDir, 'web');
    assert.ok(again);
    again.release();

    // Another process holds it (flock(1) on the lock file, not passed on to its sleep) until it is killed.
    const path = vmLockPath(stateDir, 'db');
    const holder = spawn('flock', ['--exclusive', '--close', path, 'sleep', '30'], {
      stdio: 'ignore',
      detached: true,
    });
    // Its group: flock and the sleep it started.
    const killHolder = (): void => {
      try {
        process.kill(-holder.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    t.after(killHolder);
    for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await tryLockVm(stateDir, 'db'), undefined);
    assert.deepEqual(listLockedVms(stateDir).sort(), ['db', 'other']);
    const exited = new Promise((r) => holder.once('exit', r));
    killHolder();
    await exited;
    const taken = await tryLockVm(stateDir, 'db');
    assert.ok(taken, 'the kernel released the lock of the killed holder');
    taken.release();
    await assert.rejects(tryLockVm(stateDir, '../x'), /invalid VM name/);
  },
);
