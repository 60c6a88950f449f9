// Benchmark: creating an embedded pod with one default and two secondary networks, against the sum
// of the plugin executions themselves (measured in the same runs through the runtime's observer).
// Target: pod creation costs ≤ 10% more than its plugin executions (median of the runs).
// Run as root: `node --import tsx bench/pod-create.ts [runs]` → JSON on stdout.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPod, deletePod } from '../src/cni/pod.js';
import type { PluginExecRecord } from '../src/cni/plugin-exec.js';
import { runProgram } from '../src/exec/run-program.js';
import { median } from './stats.js';

const runs = Number(process.argv[2] ?? 12);
const tag = `vb${randomBytes(2).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), `${tag}-`));
const confDir = join(dir, 'net.d');
mkdirSync(confDir);
const third = 100 + (randomBytes(1)[0]! % 100);

function network(name: string, i: number): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge: `${tag}-br${i}`,
        isGateway: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: `10.${third}.${i}.0/24` }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(dir, 'ipam'),
        },
      },
      { type: 'tuning', capabilities: { mac: true } },
    ],
  };
}
writeFileSync(join(confDir, '10-def.conflist'), JSON.stringify(network('def', 0)));
writeFileSync(join(confDir, '20-sec1.conflist'), JSON.stringify(network('sec1', 1)));
writeFileSync(join(confDir, '30-sec2.conflist'), JSON.stringify(network('sec2', 2)));

const createMs: number[] = [];
const pluginMs: number[] = [];
// Where the overhead goes: before the first plugin (namespace, planning), between plugins, after the last.
const beforeMs: number[] = [];
const betweenMs: number[] = [];
const afterMs: number[] = [];
const deleteMs: number[] = [];
const stateDir = join(dir, 'state');
try {
  // One warm-up run (page cache, bridges created) that is not counted.
  for (let r = -1; r < runs; r++) {
    const records: (PluginExecRecord & { endMs: number })[] = [];
    const name = `${tag}-p${r + 1}`;
    const t0 = performance.now();
    await createPod({
      name,
      stateDir,
      cniConfDir: confDir,
      networks: 'sec1,sec2',
      observer: (rec) => records.push({ ...rec, endMs: performance.now() }),
    });
    const t1 = performance.now();
    await deletePod(name, stateDir);
    const t2 = performance.now();
    if (r < 0) continue;
    createMs.push(t1 - t0);
    pluginMs.push(records.filter((x) => x.command === 'ADD').reduce((s, x) => s + x.durationMs, 0));
    deleteMs.push(t2 - t1);
    const adds = records.filter((x) => x.command === 'ADD');
    const first = adds[0]!;
    const last = adds[adds.length - 1]!;
    beforeMs.push(first.endMs - first.durationMs - t0);
    afterMs.push(t1 - last.endMs);
    betweenMs.push(
      last.endMs - (first.endMs - first.durationMs) - adds.reduce((s, x) => s + x.durationMs, 0),
    );
  }
} finally {
  for (let i = 0; i < 3; i++)
    await runProgram(['ip', 'link', 'del', `${tag}-br${i}`], { timeoutMs: 10_000 }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
const ratios = createMs.map((c, i) => c / pluginMs[i]!);
const out = {
  benchmark: 'pod-create',
  description:
    'createPod with 1 default + 2 Multus secondary networks (bridge+host-local+tuning each) vs the sum of its plugin executions',
  runs,
  createMs: { median: median(createMs), min: Math.min(...createMs), max: Math.max(...createMs) },
  pluginExecMs: { median: median(pluginMs) },
  overheadRatio: { median: median(ratios), target: 1.1 },
  overheadMs: {
    beforeFirstPlugin: median(beforeMs),
    betweenPlugins: median(betweenMs),
    afterLastPlugin: median(afterMs),
  },
  loadAverage: loadavg(),
  deleteMs: { median: median(deleteMs) },
  pass: median(ratios) <= 1.1,
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
