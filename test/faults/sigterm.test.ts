// SIGTERM at each phase of `virtnet run`'s setup (delivered at a fault point, so exactly in that
// phase) and during a CNI ADD that hangs: the run must stop promptly, exit 0, undo everything itself
// (nothing for gc to do) and never start QEMU after the signal.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot, sandbox } from '../support/sandbox.js';
import {
  assertClean,
  assertVmRuns,
  faultWorld,
  gc,
  installFaultPlugin,
  RUN_LIMIT_MS,
  setPlugins,
  startFaultRun,
  vmSpec,
} from './fault-fixture.js';

const VM = 'termed';
/** Phases of setup, each named by a step inside it; QEMU is spawned only in the last one. */
const PHASES: [phase: string, step: string][] = [
  ['pod: namespace made, no network yet', 'pod.netns:1'],
  ['pod: inside the CNI chain', 'cni.add-plugin:1'],
  ['pod created', 'run.record:pod-created:1'],
  ['bindings applied', 'run.record:bindings-applied:1'],
  ['QEMU starting', 'run.qemu-spawned:1'],
];

test(
  'SIGTERM in each phase of setup: prompt exit 0, everything undone by the run itself, no QEMU started after it',
  { skip: needsRoot(), timeout: 300_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb);
    for (const [phase, step] of PHASES) {
      const run = startFaultRun(w, vmSpec(VM), { env: { VIRTNET_FAULT: `term@${step}` } });
      const end = await run.ended;
      assert.equal(end.code, 0, `${phase}: ${end.stderr}`);
      assert.match(end.stderr, /SIGTERM during setup: termed not started, everything undone/, phase);
      const spawned = end.trace.includes('run.qemu-spawned:1');
      assert.equal(
        spawned,
        step === 'run.qemu-spawned:1',
        `${phase}: QEMU started only if the signal came after its spawn`,
      );
      await assertClean(w, `SIGTERM when ${phase} (before gc)`);
      assert.match(gc(w), /nothing to collect/);
    }
    t.diagnostic(`SIGTERM trials: ${PHASES.length} setup phases + running (below) + a hung ADD (next test)`);
    await assertVmRuns(w, vmSpec(VM));
  },
);

test(
  'SIGTERM while a CNI ADD hangs: the plugin and its child are killed at once, the chain rolled back, exit 0; the VM then runs',
  { skip: needsRoot(), timeout: 120_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb, [{ type: 'fault-plugin', mode: 'hang', pidDir: join(sb.dir, 'pids') }]);
    installFaultPlugin(w);
    // The default plugin timeout (60 s) is in force: only the signal can end this ADD early.
    const run = startFaultRun(w, vmSpec(VM));
    for (let i = 0; i < 300 && readdirSync(w.pidDir).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(readdirSync(w.pidDir).length > 0, 'the plugin hangs in ADD');
    const signalled = performance.now();
    run.kill('SIGTERM');
    const end = await run.ended;
    const tookMs = performance.now() - signalled;
    assert.equal(end.code, 0, end.stderr);
    assert.ok(
      tookMs < RUN_LIMIT_MS / 3,
      `the run ended ${Math.round(tookMs)} ms after SIGTERM (a hung ADD lasts 60 s)`,
    );
    assert.ok(!end.trace.includes('run.qemu-spawned:1'), 'no QEMU after SIGTERM');
    await assertClean(w, 'SIGTERM during a hung ADD');
    assert.ok(!existsSync(join(w.stateDir, 'vms', VM)));
    setPlugins(sb, [{ type: 'fault-plugin', pidDir: w.pidDir, mode: 'pass' }]);
    await assertVmRuns(w, vmSpec(VM));
  },
);

test(
  'a second SIGTERM during teardown does not interrupt it: exit 0, nothing left',
  { skip: needsRoot(), timeout: 120_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = faultWorld(sb);
    // The first SIGTERM from the test once QEMU is up; the second at a step in the middle of teardown.
    const run = startFaultRun(w, vmSpec(VM), { env: { VIRTNET_FAULT: 'term@network.removed:1' } });
    await run.running;
    run.kill('SIGTERM');
    const end = await run.ended;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /SIGTERM ignored: already stopping/);
    assert.ok(end.trace.includes('run.removed:1'), 'teardown went to its end');
    await assertClean(w, 'two SIGTERMs (before gc)');
  },
);
