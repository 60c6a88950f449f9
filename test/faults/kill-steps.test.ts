// kill -9 at every recorded step of `virtnet run`'s setup and teardown, one trial per step, driven by
// the fault points (not by timing): after each, `virtnet gc` must leave nothing — no namespace, link,
// nft table, process, record or IP allocation — and the same VM must then run. Steps where QEMU is
// not the point run without it: setup trials before QEMU never reach it, and the teardown steps after
// QEMU's stop are reached through the same teardown a failed setup runs (its rollback).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needsRoot, sandbox } from '../support/sandbox.js';
import {
  assertClean,
  assertVmRuns,
  faultWorld,
  gc,
  startFaultRun,
  vmSpec,
  type FaultWorld,
} from './fault-fixture.js';

const VM = 'victim';
/** Where setup fails on purpose so its teardown runs without QEMU. */
const FAIL_BEFORE_QEMU = 'fail@run.record:bindings-applied:1';

async function killAt(
  w: FaultWorld,
  point: string,
  opts: { fault?: string; sigtermWhenRunning?: boolean; spec?: string } = {},
): Promise<void> {
  const run = startFaultRun(w, opts.spec ?? vmSpec(VM), {
    env: { VIRTNET_FAULT: [opts.fault, `kill@${point}`].filter(Boolean).join(',') },
  });
  if (opts.sigtermWhenRunning) {
    await run.running;
    run.kill('SIGTERM');
  }
  const end = await run.ended;
  assert.equal(end.signal, 'SIGKILL', `step ${point} was not reached:\n${end.stderr}`);
  gc(w);
  await assertClean(w, `kill -9 at ${point} and virtnet gc`);
}

test(
  'kill -9 at every recorded step of setup and teardown: gc leaves nothing, the VM then runs',
  { skip: needsRoot(), timeout: 600_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb);

    // The steps, as a clean run passes them (and as a failed setup's rollback passes them).
    const traced = startFaultRun(w, vmSpec(VM));
    await traced.running;
    traced.kill('SIGTERM');
    const full = await traced.ended;
    assert.equal(full.code, 0, full.stderr);
    await assertClean(w, 'a clean run');
    const stopping = full.trace.indexOf('run.record:stopping:1');
    const qemuStopped = full.trace.indexOf('run.qemu-stopped:1');
    assert.ok(stopping > 0 && qemuStopped > stopping, `teardown steps in ${full.trace.join(' ')}`);
    const setupSteps = full.trace.slice(0, stopping);
    const qemuTeardownSteps = full.trace.slice(stopping, qemuStopped + 1);
    const teardownSteps = full.trace.slice(qemuStopped + 1);
    const rollback = startFaultRun(w, vmSpec(VM), { env: { VIRTNET_FAULT: FAIL_BEFORE_QEMU } });
    const rolledBack = await rollback.ended;
    assert.equal(rolledBack.code, 1, rolledBack.stderr);
    assert.match(rolledBack.stderr, /FAULT_INJECTED/);
    await assertClean(w, 'a rolled-back setup');
    for (const step of teardownSteps)
      assert.ok(rolledBack.trace.includes(step), `the rollback passes teardown step ${step}`);

    for (const step of setupSteps) await killAt(w, step);
    for (const step of qemuTeardownSteps) await killAt(w, step, { sigtermWhenRunning: true });
    for (const step of teardownSteps) await killAt(w, step, { fault: FAIL_BEFORE_QEMU });
    t.diagnostic(
      `kill -9 trials: setup ${setupSteps.length}, teardown ${qemuTeardownSteps.length + teardownSteps.length}; leftovers after gc: 0`,
    );
    assert.ok(
      setupSteps.includes('run.qemu-spawned:1'),
      'QEMU spawned is a step of its own (its pid is recorded next)',
    );

    await assertVmRuns(w, vmSpec(VM));
  },
);

const PASST_VM = `kind: VM
metadata: {name: helper}
spec:
  domain: {devices: {interfaces: [{name: default, passt: {}, ports: [{port: 80}]}]}}
  networks: [{name: default, pod: {}}]
`;

test(
  'kill -9 at every step of a binding with a helper process (passt): gc leaves no helper behind',
  { skip: needsRoot(), timeout: 300_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb);
    const traced = startFaultRun(w, PASST_VM, { env: { VIRTNET_FAULT: FAIL_BEFORE_QEMU } });
    const rolledBack = await traced.ended;
    assert.match(rolledBack.stderr, /FAULT_INJECTED/);
    await assertClean(w, 'a rolled-back passt setup');
    const applied = rolledBack.trace.indexOf('run.record:bindings-applied:1');
    // Intent, the helper's pid the moment it is spawned, applied.
    const networkSteps = rolledBack.trace.slice(0, applied).filter((s) => s.startsWith('network.record:'));
    assert.ok(
      networkSteps.length >= 3,
      `passt's pid is a recorded step of its own: ${networkSteps.join(' ')}`,
    );
    for (const step of rolledBack.trace.slice(0, applied + 1)) await killAt(w, step, { spec: PASST_VM });
    t.diagnostic(`kill -9 trials with a helper process: ${applied + 1}; leftovers after gc: 0`);
  },
);
