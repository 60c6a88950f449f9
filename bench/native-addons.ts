// What each native addon saves on the operation it serves, with and without it in the same run
// (alternating, so load on the machine hits both alike). Prints JSON: the median of RUNS samples
// per way, the ratio with/without, and how long the call held the event loop (a fork does that). udp-pktinfo is not here: it is kept for correctness (the
// interface a datagram arrived on), not speed.
//   fast-spawn   — a program run to completion (`ip -batch -`, `nft -c -f FILE`): posix_spawn from
//                  the addon against Node's child_process.spawn (which forks the Node process).
//   netns-switch — an operation in a pod's namespace: the main thread enters it (setns) and writes
//                  the sysctl file / starts the program there, against `nsenter --net=PATH` (and
//                  `ip -n NAME`, which enters by itself) in front of the same program.
// Run as root: node --import tsx bench/native-addons.ts
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../src/exec/run-program.js';
import { createNetns, deleteNetns, netnsPath } from '../src/host/netns.js';
import { inNetns } from '../src/host/netns-switch.js';
// What a `virtnet run` process has loaded when it starts programs: the address space Node's fork copies.
import '../src/launcher/run-vm.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const WARMUP = 3;
const TIMEOUT_MS = 10_000;

/** Node's own spawn to the program's exit with its output read: the way without fast-spawn. */
function nodeSpawn(argv: readonly string[], input: string | undefined): Promise<void> {
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdout.resume();
    child.stderr.resume();
    // A program that does not read its input (nft -f) may exit first: EPIPE, its status tells.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${program} exited ${code}`))));
  });
}

/** Per way: milliseconds to completion, and the part the call held the event loop (until it returned). */
interface Samples {
  total: number[];
  blocked: number[];
}

/** Runs each way WARMUP + RUNS times, alternating the order every run. */
async function compare(ways: Record<string, () => Promise<unknown>>): Promise<Record<string, Samples>> {
  const names = Object.keys(ways);
  const samples: Record<string, Samples> = Object.fromEntries(
    names.map((n) => [n, { total: [], blocked: [] }]),
  );
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const order = i % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const t0 = performance.now();
      const done = ways[name]!();
      const t1 = performance.now();
      await done;
      if (i < WARMUP) continue;
      samples[name]!.total.push(performance.now() - t0);
      samples[name]!.blocked.push(t1 - t0);
    }
  }
  return samples;
}

const ms = (x: number): number => Number(x.toFixed(3));

function report(
  samples: Record<string, Samples>,
  withAddon: string,
  without: string,
): Record<string, number | string> {
  const w = median(samples[withAddon]!.total);
  const wo = median(samples[without]!.total);
  return {
    withAddon,
    without,
    withMedianMs: ms(w),
    withoutMedianMs: ms(wo),
    ratio: Number((w / wo).toFixed(3)),
    savedPercent: Number((100 * (1 - w / wo)).toFixed(1)),
    withBlockedMedianMs: ms(median(samples[withAddon]!.blocked)),
    withoutBlockedMedianMs: ms(median(samples[without]!.blocked)),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vtbench-native-'));
  const ns = `vtbn${randomBytes(2).toString('hex')}-nat`;
  await createNetns(ns);
  try {
    const path = netnsPath({ name: ns });
    // A masquerade-sized ruleset, checked (-c) and not committed: the same parse and netlink
    // round-trip as an apply, and nothing to undo between runs.
    const ruleset = join(dir, 'ruleset.nft');
    writeFileSync(
      ruleset,
      [
        'table ip virtnet-bench {',
        '  chain prerouting {',
        '    type nat hook prerouting priority dstnat; policy accept;',
        '    iifname "eth0" tcp dport { 22, 80 } dnat to 10.0.2.2',
        '    iifname "eth0" udp dport 5353 dnat to 10.0.2.2',
        '  }',
        '  chain postrouting {',
        '    type nat hook postrouting priority srcnat; policy accept;',
        '    oifname "eth0" ip saddr 10.0.2.2 masquerade',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const batch = 'link show lo\naddr show dev lo\nroute show table main\n';
    const opts = { timeoutMs: TIMEOUT_MS };
    const ipBatch = await compare({
      'fast-spawn': () => runProgram(['ip', '-batch', '-'], { ...opts, input: batch }),
      'child_process.spawn': () => nodeSpawn(['ip', '-batch', '-'], batch),
    });
    const nftFile = await compare({
      'fast-spawn': () => runProgram(['nft', '-c', '-f', ruleset], opts),
      'child_process.spawn': () => nodeSpawn(['nft', '-c', '-f', ruleset], undefined),
    });
    const sysctl = await compare({
      'setns + write': () =>
        Promise.resolve(inNetns(path, () => writeFileSync('/proc/sys/net/ipv4/conf/all/forwarding', '1'))),
      'nsenter sysctl': () =>
        runProgram(
          ['nsenter', `--net=${path}`, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.forwarding=1'],
          opts,
        ),
    });
    const nftInPod = await compare({
      'setns + nft': () => inNetns(path, () => runProgram(['nft', '-c', '-f', ruleset], opts)),
      'nsenter nft': () => runProgram(['nsenter', `--net=${path}`, 'nft', '-c', '-f', ruleset], opts),
    });
    const ipInPod = await compare({
      'setns + ip': () => inNetns(path, () => runProgram(['ip', '-batch', '-'], { ...opts, input: batch })),
      'ip -n NAME': () => runProgram(['ip', '-n', ns, '-batch', '-'], { ...opts, input: batch }),
    });
    console.log(
      JSON.stringify(
        {
          bench: 'native-addons',
          runs: RUNS,
          cpus: availableParallelism(),
          loadavg1: Number(loadavg()[0]!.toFixed(2)),
          rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          'fast-spawn': {
            'ip -batch': report(ipBatch, 'fast-spawn', 'child_process.spawn'),
            'nft -c -f FILE': report(nftFile, 'fast-spawn', 'child_process.spawn'),
          },
          'netns-switch': {
            'pod sysctl write': report(sysctl, 'setns + write', 'nsenter sysctl'),
            'nft -c -f FILE in pod': report(nftInPod, 'setns + nft', 'nsenter nft'),
            'ip -batch in pod': report(ipInPod, 'setns + ip', 'ip -n NAME'),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await deleteNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
