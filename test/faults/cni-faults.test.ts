// Every way a CNI plugin fails, with a plugin written for the test chained after bridge + host-local:
// an error, garbage on stdout, a hang (timeout), success while a child it left holds stdout, and a DEL
// that fails. Setup failures roll back by themselves; a failed DEL is reported (exit 1, network and
// plugin named) and stays recorded until `virtnet gc` or `pod delete --force` finishes it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listNetns } from '../../src/host/netns.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import {
  assertClean,
  assertVmRuns,
  faultWorld,
  gc,
  installFaultPlugin,
  setPlugins,
  startFaultRun,
  virtnet,
  vmSpec,
  type FaultWorld,
} from './fault-fixture.js';

const VM = 'plugged';
const FAIL_BEFORE_QEMU = 'fail@run.record:bindings-applied:1';

function pluginWorld(sb: Sandbox, conf: Record<string, unknown>): FaultWorld {
  const w = faultWorld(sb, [{ type: 'fault-plugin', pidDir: join(sb.dir, 'pids'), ...conf }]);
  installFaultPlugin(w);
  return w;
}

const cached = (w: FaultWorld): string[] =>
  existsSync(join(w.stateDir, 'cni', 'results')) ? readdirSync(join(w.stateDir, 'cni', 'results')) : [];

const ADD_FAULTS = [
  ['fail', /injected ADD failure.*CNI_PLUGIN_ERROR/, []],
  ['garbage', /not JSON.*CNI_BAD_OUTPUT/, []],
  ['hang', /did not finish within 1500 ms.*CNI_PLUGIN_TIMEOUT/, ['--plugin-timeout-ms', '1500']],
] as const;

test(
  'a plugin whose ADD fails, prints garbage or hangs: the run fails naming it, the chain is rolled back, nothing is left; fixed, the VM runs',
  { skip: needsRoot(), timeout: 180_000 },
  async (t) => {
    const sb = sandbox(t);
    const w = pluginWorld(sb, {});
    for (const [mode, code, args] of ADD_FAULTS) {
      setPlugins(sb, [{ type: 'fault-plugin', pidDir: w.pidDir, mode }]);
      const end = await startFaultRun(w, vmSpec(VM), { args: [...args] }).ended;
      assert.equal(end.code, 1, end.stderr);
      assert.match(end.stderr, /fault-plugin/);
      assert.match(end.stderr, code);
      await assertClean(w, `an ADD that ${mode}s (before gc)`);
      assert.match(gc(w), /nothing to collect/);
    }
    assert.ok(
      readdirSync(w.pidDir).length > 0,
      'the hanging plugin had started a child (killed with it: see assertClean)',
    );
    t.diagnostic(`ADD fault trials: ${ADD_FAULTS.map(([m]) => m).join(', ')}; leftovers: 0`);
    setPlugins(sb, [{ type: 'fault-plugin', pidDir: w.pidDir, mode: 'pass' }]);
    await assertVmRuns(w, vmSpec(VM));
  },
);

test(
  'a plugin that exits 0 leaving a child that holds its stdout: the ADD succeeds at once, the child is killed',
  { skip: needsRoot(), timeout: 120_000 },
  async (t) => {
    const w = pluginWorld(sandbox(t), { mode: 'linger' });
    // Before, such a plugin was waited for until its timeout and reported as timed out.
    const end = await startFaultRun(w, vmSpec(VM), {
      args: ['--plugin-timeout-ms', '20000'],
      env: { VIRTNET_FAULT: FAIL_BEFORE_QEMU },
    }).ended;
    assert.match(end.stderr, /FAULT_INJECTED/, 'setup got past the pod');
    assert.doesNotMatch(end.stderr, /TIMEOUT/);
    assert.equal(readdirSync(w.pidDir).length, 1, 'the plugin left a child');
    await assertClean(w, 'a lingering plugin child');
    await assertVmRuns(w, vmSpec(VM));
  },
);

test(
  'a DEL that fails at teardown: exit 1 naming network and plugin, kept for gc, which finishes once DEL works; pod delete --force forgets it',
  { skip: needsRoot(), timeout: 180_000 },
  async (t) => {
    const sb = sandbox(t);
    // While this file exists the plugin's DEL fails.
    const flagFile = join(sb.dir, 'del-fails');
    writeFileSync(flagFile, '');
    const w = pluginWorld(sb, { mode: 'del-fail', flagFile });

    // A real run's teardown (SIGTERM after QEMU is up).
    const run = startFaultRun(w, vmSpec(VM));
    await run.running;
    run.kill('SIGTERM');
    const end = await run.ended;
    assert.equal(end.code, 1, end.stderr);
    assert.match(end.stderr, /teardown incomplete/);
    assert.match(end.stderr, /network podnet: CNI plugin fault-plugin \(DEL\) failed: injected DEL failure/);
    assert.ok(!listNetns().includes(w.pod), 'the namespace is gone');
    assert.equal(cached(w).length, 1, 'the cached result is kept for a retry');
    assert.match(
      virtnet(['status', '--state-dir', w.stateDir]).stdout,
      /plugged: STALE \(owner gone; run virtnet gc\)/,
      'status says what to do',
    );
    // gc retries and fails again (exit 1, still kept) while the plugin fails...
    const again = virtnet(['gc', '--state-dir', w.stateDir]);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stdout, /collected plugged \(pod .*\): pod: .*injected DEL failure/);
    assert.equal(cached(w).length, 1);
    // ...and finishes once the DEL works.
    rmSync(flagFile);
    gc(w);
    await assertClean(w, 'a DEL that failed, retried by gc');

    // The same failure at a rollback, then forgotten by `pod delete --force` (reported, exit 1).
    writeFileSync(flagFile, '');
    const failed = await startFaultRun(w, vmSpec(VM), { env: { VIRTNET_FAULT: FAIL_BEFORE_QEMU } }).ended;
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /rollback incomplete: pod: .*network podnet: CNI plugin fault-plugin \(DEL\) failed/,
    );
    assert.equal(cached(w).length, 1);
    const forced = virtnet(['pod', 'delete', '--force', w.pod, '--state-dir', w.stateDir]);
    assert.equal(forced.code, 1, forced.stderr);
    assert.match(forced.stderr, /injected DEL failure.*forced: its state was removed anyway/);
    // The failed run's record is still there for gc, which now finds the pod gone.
    assert.match(gc(w), /collected plugged/);
    await assertClean(w, 'pod delete --force and gc');
    rmSync(flagFile);
    await assertVmRuns(w, vmSpec(VM));
  },
);
