// bench/bridge-apply: time of the bridge binding's apply (executor, in-process: observe + one ip batch
// + sysctl + record writes) for 1 and 4 NICs, against the same kernel operations issued as ONE
// `ip -n NS -batch -` measured in the same run on identical fresh pods. Targets: 1 NIC
// ≤ 15 ms p50 and ≤ 3× the batch; 4 NICs ≤ 60 ms p50. Also measured: the same lines as one `ip` spawn
// each (the alternative to batching that src/host/ip.ts documents against). Run: `node --import tsx bench/bridge-apply.ts [runs]`.
// Prints one JSON document.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CLUSTER_CONFIG, type NetworkSpec, type VmSpec } from '../src/api/types.js';
import { applyPlan, teardown } from '../src/apply/executor.js';
import { planVmNetwork } from '../src/bindings/planner.js';
import { applyAction } from '../src/apply/step-drivers.js';
import type { VmNetworkPlan } from '../src/bindings/plan-types.js';
import { podNetworksForVm } from '../src/cni/vm-networks.js';
import { runProgram } from '../src/exec/run-program.js';
import { discoverPod } from '../src/host/discover.js';
import { readNetnsState } from '../src/host/netns-state.js';
import { createNetns, deleteNetns } from '../src/host/netns.js';
import { median } from './stats.js';

const runs = Number(process.argv[2] ?? 15);
const prefix = `vb${process.pid.toString(16).slice(-5)}`;
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

function vmWithNics(n: number): VmSpec {
  const networks: NetworkSpec[] = [{ name: 'default', source: { kind: 'pod' } }];
  for (let i = 1; i < n; i++)
    networks.push({ name: `net${i}`, source: { kind: 'multus', networkName: `net${i}`, default: false } });
  return {
    kind: 'VirtualMachineInstance',
    name: 'bench-vm',
    namespace: 'default',
    networks,
    interfaces: networks.map((nw) => ({
      name: nw.name,
      binding: 'bridge' as const,
      model: 'virtio' as const,
      ports: [],
      state: 'up' as const,
    })),
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 1,
  };
}

/** A fresh pod whose interfaces are veths into a network namespace, each with an address and routes. */
async function freshPod(vm: VmSpec, tag: string): Promise<{ pod: string; net: string }> {
  const pod = `${prefix}-${tag}p`;
  const net = `${prefix}-${tag}n`;
  await createNetns(pod);
  await createNetns(net);
  const ifnames = Object.values(podNetworksForVm(vm).interfaces);
  ifnames.forEach((ifname, i) => {
    ip('-n', pod, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', net);
    ip('-n', pod, 'addr', 'add', `10.${80 + i}.0.5/24`, 'dev', ifname);
    ip('-n', pod, 'link', 'set', ifname, 'up');
    if (i === 0) ip('-n', pod, 'route', 'add', 'default', 'via', '10.80.0.1', 'dev', ifname);
    ip('-n', pod, 'route', 'add', `10.${120 + i}.0.0/16`, 'via', `10.${80 + i}.0.1`, 'dev', ifname);
  });
  return { pod, net };
}

async function planFor(vm: VmSpec, pod: string): Promise<VmNetworkPlan> {
  const r = planVmNetwork(vm, DEFAULT_CLUSTER_CONFIG, await discoverPod(pod));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.plan;
}

async function measure(
  nics: number,
): Promise<{ applyMs: number[]; batchMs: number[]; spawnsMs: number[]; batchLines: number }> {
  const vm = vmWithNics(nics);
  const applyMs: number[] = [];
  const batchMs: number[] = [];
  const spawnsMs: number[] = [];
  let batchLines = 0;
  for (let r = 0; r < runs; r++) {
    // Alternate which side goes first so warm-up and background load fall on both.
    for (const side of r % 2 === 0
      ? (['apply', 'batch', 'spawns'] as const)
      : (['spawns', 'batch', 'apply'] as const)) {
      const { pod, net } = await freshPod(vm, `${nics}${side[0]}`);
      const stateDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
      try {
        const plan = await planFor(vm, pod);
        if (side === 'apply') {
          const t0 = performance.now();
          await applyPlan(plan, { stateDir });
          applyMs.push(performance.now() - t0);
          await teardown(stateDir, vm.name);
        } else {
          // The same kernel operations the executor issues, as one batch (sysctls excluded: ip cannot).
          const observed = { ip: await readNetnsState(pod), sysctl: new Map<string, string | undefined>() };
          const lines = plan.interfaces
            .flatMap((i) => i.steps)
            .flatMap((s) => {
              const a = applyAction(s, observed, pod);
              return a.kind === 'ip' ? a.lines : [];
            });
          batchLines = lines.length;
          const t0 = performance.now();
          if (side === 'batch') {
            await runProgram(['ip', '-n', pod, '-batch', '-'], {
              timeoutMs: 30_000,
              input: `${lines.join('\n')}\n`,
            });
            batchMs.push(performance.now() - t0);
          } else {
            // The alternative to batching: one `ip` spawn per command (what the documented choice beats).
            for (const line of lines)
              await runProgram(['ip', '-n', pod, ...line.split(' ')], { timeoutMs: 30_000 });
            spawnsMs.push(performance.now() - t0);
          }
        }
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
        await deleteNetns(pod);
        await deleteNetns(net);
      }
    }
  }
  return { applyMs, batchMs, spawnsMs, batchLines };
}

const round = (x: number): number => Math.round(x * 100) / 100;
const one = await measure(1);
const four = await measure(4);
const oneApply = median(one.applyMs);
const oneBatch = median(one.batchMs);
const fourApply = median(four.applyMs);
const fourBatch = median(four.batchMs);
const result = {
  bench: 'bridge-apply',
  runs,
  oneNic: {
    applyMsP50: round(oneApply),
    ipBatchMsP50: round(oneBatch),
    ratio: round(oneApply / oneBatch),
    perCommandSpawnsMsP50: round(median(one.spawnsMs)),
    batchLines: one.batchLines,
    applyMs: one.applyMs.map(round),
    ipBatchMs: one.batchMs.map(round),
  },
  fourNics: {
    applyMsP50: round(fourApply),
    ipBatchMsP50: round(fourBatch),
    ratio: round(fourApply / fourBatch),
    perCommandSpawnsMsP50: round(median(four.spawnsMs)),
    batchLines: four.batchLines,
    applyMs: four.applyMs.map(round),
    ipBatchMs: four.batchMs.map(round),
  },
  targets: { oneNicMsP50: 15, oneNicRatioMax: 3, fourNicsMsP50: 60 },
  pass: { oneNicMs: oneApply <= 15, oneNicRatio: oneApply / oneBatch <= 3, fourNicsMs: fourApply <= 60 },
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
