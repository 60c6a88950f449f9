// bench/cni-delegating: what a pod's CNI ADD and DEL cost through virtnet-cni (bin/virtnet-cni, one
// Node process per call, as the container runtime runs it) against the same delegates run in-process
// by virtnet's CNI runtime in the same run (the plugins' own cost: bridge + host-local, + tuning for
// net1). Two shapes: the default network alone, and eth0 + two secondary networks. No API server (the
// lab test reports ADD with NAD reads and the status patch). Fresh namespace per run. Target: ADD of
// three networks well under 1 s. Run: `node --import tsx bench/cni-delegating.ts [runs]` as root,
// after `npm run build`. Prints one JSON document.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetworkConfig, type NetworkConfList } from '../src/cni/net-conf.js';
import { addNetworkList, delNetworkList } from '../src/cni/runtime.js';
import { runProgram } from '../src/exec/run-program.js';
import { createNetns, deleteNetns, netnsPath } from '../src/host/netns.js';
import { median } from './stats.js';

const runs = Number(process.argv[2] ?? 9);
const prefix = `vc${process.pid.toString(16).slice(-5)}`;
const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
const plugin = join(import.meta.dirname, '..', 'bin', 'virtnet-cni');

function conflist(name: string, i: number, extra: unknown[] = []): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge: `${prefix}b${i}`,
        ipam: { type: 'host-local', subnet: `10.99.${i + 1}.0/24`, dataDir: join(dir, 'ipam') },
      },
      ...extra,
    ],
  };
}

const def = conflist('podnet', 0);
const sec = conflist('sec', 1, [{ type: 'tuning', capabilities: { mac: true } }]);
const st = conflist('st', 2);
mkdirSync(join(dir, 'net.d'));
writeFileSync(join(dir, 'net.d', '10-sec.conflist'), JSON.stringify(sec));
writeFileSync(join(dir, 'net.d', '20-st.conflist'), JSON.stringify(st));

function pluginConf(networks: string | undefined): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: 'virtnet',
    type: 'virtnet-cni',
    confDir: join(dir, 'net.d'),
    cniDir: join(dir, 'cache'),
    delegates: [def],
    runtimeConfig: {
      'io.kubernetes.cri.pod-annotations': networks ? { 'k8s.v1.cni.cncf.io/networks': networks } : {},
    },
  };
}

function runPlugin(command: string, conf: unknown, containerId: string, netns: string): number {
  const started = performance.now();
  const r = spawnSync(plugin, [], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench',
      CNI_PATH: '/usr/lib/cni',
    },
  });
  if (r.status !== 0) throw new Error(`${command}: ${r.stdout} ${r.stderr}`);
  return performance.now() - started;
}

const lists: Record<string, NetworkConfList[]> = {
  one: [parseNetworkConfig(def, 'def')],
  three: [parseNetworkConfig(def, 'def'), parseNetworkConfig(sec, 'sec'), parseNetworkConfig(st, 'st')],
};
const annotation: Record<string, string | undefined> = {
  one: undefined,
  three: '[{"name":"sec","mac":"02:00:00:00:00:42"},{"name":"st","interface":"st0"}]',
};
const ifnames = ['eth0', 'net1', 'st0'];

async function inProcess(shape: string, containerId: string, netns: string): Promise<[number, number]> {
  const opts = { cacheDir: join(dir, 'peer-cache'), cniPath: ['/usr/lib/cni'] };
  const rt = (i: number) => ({
    containerId,
    netns,
    ifname: ifnames[i]!,
    ...(i === 1 ? { capabilityArgs: { mac: '02:00:00:00:00:42' } } : {}),
  });
  let t = performance.now();
  for (const [i, list] of lists[shape]!.entries()) await addNetworkList(list, rt(i), opts);
  const add = performance.now() - t;
  t = performance.now();
  for (const [i, list] of [...lists[shape]!.entries()].reverse()) await delNetworkList(list, rt(i), opts);
  return [add, performance.now() - t];
}

const results: Record<string, Record<string, number>> = {};
try {
  for (const shape of ['one', 'three']) {
    const s = {
      pluginAdd: [] as number[],
      pluginDel: [] as number[],
      peerAdd: [] as number[],
      peerDel: [] as number[],
    };
    for (let r = 0; r < runs; r++) {
      for (const who of ['plugin', 'peer'] as const) {
        const ns = `${prefix}-${shape}${r}${who[1]}`;
        await createNetns(ns);
        const id = `${prefix}${shape}${r}${who}`;
        try {
          if (who === 'plugin') {
            s.pluginAdd.push(runPlugin('ADD', pluginConf(annotation[shape]), id, netnsPath({ name: ns })));
            s.pluginDel.push(runPlugin('DEL', pluginConf(annotation[shape]), id, netnsPath({ name: ns })));
          } else {
            const [a, d] = await inProcess(shape, id, netnsPath({ name: ns }));
            s.peerAdd.push(a);
            s.peerDel.push(d);
          }
        } finally {
          await deleteNetns(ns);
        }
      }
    }
    results[shape] = {
      pluginAddMs: median(s.pluginAdd),
      pluginDelMs: median(s.pluginDel),
      inProcessAddMs: median(s.peerAdd),
      inProcessDelMs: median(s.peerDel),
      addRatio: median(s.pluginAdd) / median(s.peerAdd),
      delRatio: median(s.pluginDel) / median(s.peerDel),
    };
  }
} finally {
  for (let i = 0; i < 3; i++)
    await runProgram(['ip', 'link', 'del', `${prefix}b${i}`], { timeoutMs: 10_000 }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
const round = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 100) / 100]));
console.log(
  JSON.stringify(
    { bench: 'cni-delegating', runs, defaultOnly: round(results.one!), threeNetworks: round(results.three!) },
    null,
    2,
  ),
);
