// The runner's life cycle without waiting for a guest: start failures are reported with QEMU's own
// words, a killed QEMU is reported as such, and stop() falls back from ACPI to QMP quit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGuest } from '../../src/hypervisor/guest/build-guest.js';
import { guestBoot } from '../../src/hypervisor/guest/guest-boot.js';
import { startVm } from '../../src/hypervisor/vm-runner.js';
import type { VmMachine } from '../../src/hypervisor/vm-machine.js';
import { nic } from './machines.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vnrun-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function guestMachine(): Promise<VmMachine> {
  const image = await ensureGuest();
  return { name: 'vm-life', memoryMiB: 128, vcpus: 1, accel: 'tcg', boot: guestBoot(image), nics: [] };
}

test('a QEMU that cannot start is reported with its error; the command and XML are still written', async (t) => {
  const dir = tempDir(t);
  const machine: VmMachine = {
    name: 'vm-bad',
    memoryMiB: 64,
    vcpus: 1,
    accel: 'tcg',
    boot: { kind: 'kernel', kernelPath: join(dir, 'missing'), initrdPath: join(dir, 'missing'), cmdline: '' },
    nics: [],
  };
  await assert.rejects(
    startVm({ machine, runDir: dir, host: { vhostNet: false } }),
    (e: unknown) =>
      (e as { code: string }).code === 'QEMU_START_FAILED' &&
      /could not open kernel file/.test((e as Error).message),
  );
  assert.ok(existsSync(join(dir, 'qemu-argv.json')));
  assert.ok(existsSync(join(dir, 'domain.xml')));
});

test('kill -9 of QEMU resolves `exited` with the signal and fails waiting callers', async (t) => {
  const vm = await startVm({ machine: await guestMachine(), runDir: tempDir(t), host: { vhostNet: false } });
  const waiting = vm.waitFor(
    (e): e is { kind: 'ready'; nics: number; uptimeSeconds: number } => e.kind === 'ready',
    60_000,
  );
  process.kill(vm.pid, 'SIGKILL');
  const exit = await vm.exited;
  assert.equal(exit.signal, 'SIGKILL');
  await assert.rejects(waiting, { code: 'QEMU_EXITED' });
  assert.deepEqual(await vm.stop(), exit);
});

test('stop() before the guest can handle ACPI falls back to QMP quit; link state down is set through QMP', async (t) => {
  // set_link fails the start when the device id is wrong: starting proves it found ua-down.
  const down = nic({
    name: 'down',
    linkState: 'down',
    backend: { kind: 'user', netCidr: '10.0.2.0/24', dnsSearch: [], hostfwd: [] },
  });
  const vm = await startVm({
    machine: { ...(await guestMachine()), nics: [down] },
    runDir: tempDir(t),
    host: { vhostNet: false },
  });
  const exit = await vm.stop({ graceMs: 200 });
  assert.deepEqual([exit.code, exit.signal], [0, null]);
  await assert.rejects(vm.qmp('query-status'), { code: 'QMP_CLOSED' });
});
