// Runs `virtnet run` as a user would (the built CLI, as a child process) inside a test sandbox: its own
// state dir, CNI conf dir, bridges and subnets, and a pod named with the sandbox prefix. Collects the
// status line, stderr and the exit, and checks that a finished run left nothing behind.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPod, deletePod, type CreatePodOptions, type PodState } from '../../src/cni/pod.js';
import { listNetns } from '../../src/host/netns.js';
import type { RunRecord } from '../../src/launcher/run-record.js';
import { bridgeConflist, writeConf } from '../cni/cni-fixtures.js';
import type { Sandbox } from '../support/sandbox.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

/** A started `virtnet run`. */
/** The address part of `address/prefix` as the guest reports it. */
export const addressOf = (cidr: string): string => cidr.split('/')[0]!;

export interface RunChild {
  child: ChildProcess;
  pod: string;
  stateDir: string;
  /** The `-o json` status line (resolves once the guest is ready). */
  status: Promise<RunRecord>;
  /** Resolves once stderr shows the line matching `re`. */
  stderrLine(re: RegExp): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** A conf dir for the default network on a bridge and subnet of this sandbox. */
export function defaultNetwork(sb: Sandbox): string {
  return writeConf(
    join(sb.dir, 'net.d'),
    '10-pod.conflist',
    bridgeConflist(sb, { name: 'podnet', bridgeSuffix: 'pn' }),
  );
}

/**
 * Writes NetworkAttachmentDefinitions for bridge networks `names` (salted subnets 1, 2, ...);
 * `extra` adds to each conflist (`{ v6: true }`: dual-stack host-local ranges).
 */
export function bridgeNads(
  sb: Sandbox,
  names: string[],
  extra: { v6?: boolean; ipamExtra?: Record<string, unknown> } = {},
): string {
  const file = join(sb.dir, 'nads.yaml');
  const docs = names.map((name, i) => {
    const conf = bridgeConflist(sb, { name, bridgeSuffix: `n${i + 1}`, salt: i + 1, ...extra });
    return `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: ${name}\nspec:\n  config: '${JSON.stringify(conf)}'\n`;
  });
  writeFileSync(file, docs.join('---\n'));
  return file;
}

/**
 * The spec of VMI `name` with one interface `default` on the pod network: `nic` is the rest of the
 * interface and `pod` the pod network's source, both as YAML flow mappings.
 */
export function oneNicVmi(name: string, nic: string, pod = '{}'): string {
  return `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: ${name}}
spec:
  domain: {devices: {interfaces: [{name: default, ${nic}}]}}
  networks: [{name: default, pod: ${pod}}]
`;
}

/** Starts `virtnet run -o json` on `specYaml`; the child is killed at sandbox cleanup if still alive. */
export function startRun(sb: Sandbox, specYaml: string, extraArgs: string[] = []): RunChild {
  const specFile = join(sb.dir, `vm-${Math.random().toString(16).slice(2, 8)}.yaml`);
  writeFileSync(specFile, specYaml);
  const pod = `${sb.prefix}vm`;
  const stateDir = join(sb.dir, 'state');
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '-o',
      'json',
      '--state-dir',
      stateDir,
      '--pod',
      pod,
      '--accel',
      'tcg',
      specFile,
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  const lineWaiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    for (const w of [...lineWaiters]) {
      const line = stderr.split('\n').find((l) => w.re.test(l));
      if (line) {
        lineWaiters.splice(lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.on('exit', (code, signal) => setImmediate(() => resolve({ code, signal, stderr })));
    },
  );
  // A test that fails half-way still stops the run the way a user would (SIGTERM, so it tears down
  // its pod, DHCP server, helper processes and QEMU); SIGKILL and gc only if that does not finish.
  sb.defer(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([
      exit.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 30_000)),
    ]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exit;
      spawnSync(process.execPath, [CLI, 'gc', '--state-dir', stateDir], { stdio: 'ignore' });
    }
  });
  const status = new Promise<RunRecord>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(stdout.slice(0, nl)) as RunRecord);
    });
    void exit.then((e) =>
      reject(new Error(`virtnet run exited (${e.code ?? e.signal}) before its status line:\n${e.stderr}`)),
    );
  });
  // A test that stops the run early never awaits the status: that is not an unhandled rejection.
  status.catch(() => undefined);
  return {
    child,
    pod,
    stateDir,
    status,
    exit,
    stderrLine: (re) => new Promise((resolve) => lineWaiters.push({ re, resolve })),
  };
}

/**
 * `startRun` with the sandbox's default network (`defaultNetwork`) as the pod network; the run, and
 * the conf dir a peer pod joins it with.
 */
export function startOnPodNetwork(
  sb: Sandbox,
  specYaml: string,
  extraArgs: string[] = [],
): { run: RunChild; confDir: string } {
  const confDir = defaultNetwork(sb);
  return { run: startRun(sb, specYaml, ['--cni-conf-dir', confDir, ...extraArgs]), confDir };
}

/** Asserts that nothing of the run is left: namespace, QEMU/DHCP processes, VM state, pod state. */
export function assertNothingLeft(run: RunChild, vm: string): void {
  assert.ok(!listNetns().includes(run.pod), `namespace ${run.pod} left behind`);
  assert.ok(!existsSync(join(run.stateDir, 'vms', vm)), 'VM state left behind');
  assert.ok(!existsSync(join(run.stateDir, 'pods', run.pod)), 'pod state left behind');
  const leftovers = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(join(run.stateDir, 'vms', vm));
      } catch {
        return false;
      }
    });
  assert.deepEqual(leftovers, [], 'processes of the VM left behind');
}

/** Stops the run with `signal` as a user would; it must exit 0 and leave nothing of VM `vm`. */
export async function stopRun(run: RunChild, vm: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  run.child.kill(signal);
  const exit = await run.exit;
  assert.equal(exit.code, 0, exit.stderr);
  assertNothingLeft(run, vm);
}

/** Addresses host-local still holds in the sandbox's IPAM data dir for network `name`. */
export function allocatedIps(sb: Sandbox, name: string): string[] {
  const dir = join(sb.dir, 'ipam', name);
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d|:/.test(f)) : [];
}

/** The annotations `virtnet run` recorded on the VM's pod. */
export function podAnnotations(run: RunChild): Record<string, string> {
  const pod = JSON.parse(readFileSync(join(run.stateDir, 'pods', run.pod, 'pod.json'), 'utf8')) as {
    annotations: Record<string, string>;
  };
  return pod.annotations;
}

/** One network of the VM's pod, as its `k8s.v1.cni.cncf.io/network-status` annotation lists it. */
export interface PodNetworkStatus {
  name: string;
  interface: string;
  ips: string[];
  mac: string;
}

/** The VM pod's network-status, in attachment order (the pod network first). */
export function podNetworkStatus(run: RunChild): PodNetworkStatus[] {
  return JSON.parse(podAnnotations(run)['k8s.v1.cni.cncf.io/network-status']!) as PodNetworkStatus[];
}

/**
 * A second pod, `<prefix>peer`, in the run's state dir on the networks of `confDir` (and of `more`),
 * to reach the guest from; deleted after the test.
 */
export async function peerPod(
  sb: Sandbox,
  run: RunChild,
  confDir: string,
  t: { after(fn: () => unknown): void },
  more: Pick<CreatePodOptions, 'nadFiles' | 'networks'> = {},
): Promise<PodState> {
  const peer = await createPod({
    name: `${sb.prefix}peer`,
    stateDir: run.stateDir,
    cniConfDir: confDir,
    ...more,
  });
  t.after(() => deletePod(peer.name, run.stateDir, { force: true }));
  return peer;
}
