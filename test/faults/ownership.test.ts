// A run touches only what it created, and one VM has one run at a time: a pod that already exists is
// never deleted by a run that failed on it, and a second run of a VM fails at once without touching
// the first one's pod, bindings or records (the per-VM lock, held for the run's whole life).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listNetns } from '../../src/host/netns.js';
import { allocatedIps } from '../run/run-fixture.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import {
  assertClean,
  assertVmRuns,
  faultWorld,
  gc,
  startFaultRun,
  virtnet,
  vmSpec,
  type FaultRun,
  type RunEnd,
} from './fault-fixture.js';

const VM = 'owned';

/** Waits (bounded) until `run`'s trace shows `step`. */
async function waitForStep(run: FaultRun, step: string): Promise<void> {
  const file = run.traceFile;
  for (let i = 0; i < 400; i++) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').includes(step)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`step ${step} not reached`);
}

test(
  'virtnet run --pod P with an existing pod P fails with POD_EXISTS and leaves P as it was',
  { skip: needsRoot(), timeout: 120_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb);
    const created = virtnet(['pod', 'create', w.pod, '--cni-conf-dir', w.confDir, '--state-dir', w.stateDir]);
    assert.equal(created.code, 0, created.stderr);
    const podJson = readFileSync(join(w.stateDir, 'pods', w.pod, 'pod.json'), 'utf8');
    const ips = allocatedIps(sb, 'podnet');
    assert.equal(ips.length, 1);

    const end = await startFaultRun(w, vmSpec(VM)).ended;
    assert.equal(end.code, 1, end.stderr);
    assert.match(end.stderr, /POD_EXISTS/);
    assert.ok(listNetns().includes(w.pod), 'the pod namespace is still there');
    assert.equal(
      readFileSync(join(w.stateDir, 'pods', w.pod, 'pod.json'), 'utf8'),
      podJson,
      'the pod record is untouched',
    );
    assert.deepEqual(allocatedIps(sb, 'podnet'), ips, 'its IP address is still allocated');
    assert.equal(
      readdirSync(join(w.stateDir, 'cni', 'results')).length,
      1,
      'its cached result is still there',
    );
    assert.match(gc(w), /nothing to collect/);
    assert.ok(listNetns().includes(w.pod), 'gc leaves the pod too');

    assert.equal(virtnet(['pod', 'delete', w.pod, '--state-dir', w.stateDir]).code, 0);
    await assertClean(w, 'pod delete');
    await assertVmRuns(w, vmSpec(VM));
  },
);

test(
  'two runs of one VM: the second fails with VM_ALREADY_RUNNING at any moment of the first and touches nothing of it',
  { skip: needsRoot(), timeout: 180_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb);
    const loser = async (): Promise<RunEnd> => {
      const end = await startFaultRun(w, vmSpec(VM)).ended;
      assert.equal(end.code, 1, end.stderr);
      assert.match(end.stderr, /VM_ALREADY_RUNNING/);
      return end;
    };
    // The first run holds right after taking the lock (before it wrote any record: where both used to
    // pass the "already running" check), then with its bindings applied; a second run comes each time.
    const first = startFaultRun(w, vmSpec(VM), {
      env: {
        VIRTNET_FAULT:
          'hold@run.locked:1,hold@run.record:bindings-applied:1,fail@run.record:bindings-applied:1',
        VIRTNET_FAULT_HOLD_MS: '4000',
      },
    });
    await waitForStep(first, 'run.locked:1');
    await loser();
    await waitForStep(first, 'run.record:bindings-applied:1');
    await loser();
    assert.ok(listNetns().includes(w.pod), "the first run's pod is intact");
    assert.ok(existsSync(join(w.stateDir, 'vms', VM, 'network.json')), "the first run's bindings are intact");
    const firstEnd = await first.ended;
    assert.match(firstEnd.stderr, /FAULT_INJECTED/, 'the first run went on to its own (injected) end');
    assert.doesNotMatch(firstEnd.stderr, /rollback incomplete/);
    await assertClean(w, 'two runs, the first held');

    // Started together, several times: one wins, the other fails cleanly; nothing is left either way.
    let losses = 0;
    for (let round = 0; round < 3; round++) {
      const env = { VIRTNET_FAULT: 'fail@run.record:bindings-applied:1' };
      const ends = await Promise.all([
        startFaultRun(w, vmSpec(VM), { env }).ended,
        startFaultRun(w, vmSpec(VM), { env }).ended,
      ]);
      for (const end of ends) {
        assert.equal(end.code, 1, end.stderr);
        assert.match(end.stderr, /FAULT_INJECTED|VM_ALREADY_RUNNING/);
        assert.doesNotMatch(end.stderr, /rollback incomplete|POD_EXISTS/);
        if (/VM_ALREADY_RUNNING/.test(end.stderr)) losses++;
      }
      await assertClean(w, `concurrent runs, round ${round + 1}`);
    }
    t.diagnostic(`concurrent runs: 2 held + 3 simultaneous rounds (${losses} lost to the lock)`);
    assert.match(gc(w), /nothing to collect/);
    await assertVmRuns(w, vmSpec(VM));
  },
);
