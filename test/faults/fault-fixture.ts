// The fault suite's tools: `virtnet run` started as a user would (the built CLI) with a fault injected
// at a named step (src/state/fault-point.ts), `virtnet gc`, a CNI plugin written for these tests
// that fails in the ways real plugins do, and the one check every trial ends with: nothing of the
// sandbox is left — namespaces, host links, nft tables, processes, records, IP allocations.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from '../../src/exec/run-program.js';
import { listNetns } from '../../src/host/netns.js';
import { bridgeConflist, writeConf } from '../cni/cni-fixtures.js';
import { CLI, allocatedIps } from '../run/run-fixture.js';
import type { Sandbox } from '../support/sandbox.js';

/** Every bounded wait of the suite: no trial can hang the suite. */
export const RUN_LIMIT_MS = 60_000;

/** A small bridge VM: the binding where QEMU is not the point. */
export function vmSpec(name: string): string {
  return `kind: VM
metadata: {name: ${name}}
spec:
  domain: {devices: {interfaces: [{name: default, bridge: {}}]}}
  networks: [{name: default, pod: {}}]
`;
}

/** How one `virtnet run` ended. */
export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Fault points passed, `point:occurrence`, in order (VIRTNET_FAULT_TRACE). */
  trace: string[];
}

/** A started `virtnet run`. */
export interface FaultRun {
  pid: number;
  /** VIRTNET_FAULT_TRACE of this run: the fault points passed so far. */
  traceFile: string;
  /** Resolves once QEMU is up (the wiring tree is printed). */
  running: Promise<void>;
  ended: Promise<RunEnd>;
  kill(signal: NodeJS.Signals): void;
}

/** The test's world: a state dir, a default network on a bridge of its own, a pod name. */
export interface FaultWorld {
  sb: Sandbox;
  stateDir: string;
  confDir: string;
  pod: string;
  bridge: string;
  /** Where the fault plugin writes the pids of the children it starts. */
  pidDir: string;
}

/** A world whose default network is a bridge + host-local, followed by `extraPlugins` (fault plugins). */
export function faultWorld(sb: Sandbox, extraPlugins: unknown[] = []): FaultWorld {
  const pidDir = join(sb.dir, 'pids');
  mkdirSync(pidDir, { recursive: true });
  const confDir = setPlugins(sb, extraPlugins);
  return {
    sb,
    stateDir: join(sb.dir, 'state'),
    confDir,
    pod: `${sb.prefix}vm`,
    bridge: `${sb.prefix}pn`,
    pidDir,
  };
}

/** (Re)writes the default network of the sandbox's world: bridge + host-local, then `extraPlugins`. */
export function setPlugins(sb: Sandbox, extraPlugins: unknown[]): string {
  return writeConf(
    join(sb.dir, 'net.d'),
    '10-pod.conflist',
    bridgeConflist(sb, { name: 'podnet', bridgeSuffix: 'pn', extraPlugins }),
  );
}

let traceSeq = 0;

/** Starts `virtnet run` of `spec` in `w` with `env` (VIRTNET_FAULT...); killed at sandbox cleanup. */
export function startFaultRun(
  w: FaultWorld,
  spec: string,
  opts: { env?: NodeJS.ProcessEnv; args?: string[]; pod?: string } = {},
): FaultRun {
  const file = join(w.sb.dir, `vm-${++traceSeq}.yaml`);
  writeFileSync(file, spec);
  const trace = join(w.sb.dir, `trace-${traceSeq}`);
  const argv = [
    CLI,
    'run',
    '--state-dir',
    w.stateDir,
    '--cni-conf-dir',
    w.confDir,
    '--cni-path',
    `${join(w.sb.dir, 'bin')}:/opt/cni/bin:/usr/lib/cni`,
    '--pod',
    opts.pod ?? w.pod,
    '--accel',
    'tcg',
    ...(opts.args ?? []),
    file,
  ];
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIRTNET_FAULT_TRACE: trace, ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  let onRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (onRunning = resolve));
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    onRunning();
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const ended = new Promise<RunEnd>((resolve) => {
    child.on('close', (code, signal) => {
      const lines = existsSync(trace)
        ? readFileSync(trace, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        : [];
      resolve({ code, signal, stdout, stderr, trace: lines });
    });
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS * 2);
  void ended.then(() => clearTimeout(limit));
  w.sb.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await ended;
    }
  });
  const up = Promise.race([
    running,
    ended.then((e) =>
      Promise.reject(new Error(`virtnet run ended (${e.code ?? e.signal}) before QEMU was up:\n${e.stderr}`)),
    ),
  ]);
  // A trial that never waits for QEMU does not leave an unhandled rejection behind.
  up.catch(() => undefined);
  return {
    pid: child.pid!,
    traceFile: trace,
    running: up,
    ended,
    kill: (signal) => child.kill(signal),
  };
}

/** Runs a virtnet command to its end (bounded). */
export function virtnet(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: RUN_LIMIT_MS });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `virtnet gc` on the world's state dir; it must succeed. */
export function gc(w: FaultWorld): string {
  const res = virtnet(['gc', '--state-dir', w.stateDir]);
  assert.equal(res.code, 0, `virtnet gc failed:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** What of the world is left: every kind of thing a run creates, as readable strings (empty: nothing). */
export async function leftovers(w: FaultWorld): Promise<string[]> {
  const left: string[] = [];
  for (const ns of listNetns().filter((n) => n.startsWith(w.sb.prefix))) left.push(`namespace ${ns}`);
  const links = JSON.parse(
    (await runProgram(['ip', '-j', 'link', 'show'], { timeoutMs: 10_000 })).stdout,
  ) as { ifname: string; master?: string }[];
  // The default network's bridge belongs to the user's CNI configuration and stays; nothing may be plugged into it.
  for (const l of links)
    if ((l.ifname.startsWith(w.sb.prefix) && l.ifname !== w.bridge) || l.master === w.bridge)
      left.push(`link ${l.ifname}`);
  const tables = JSON.parse(
    (await runProgram(['nft', '-j', 'list', 'tables'], { timeoutMs: 10_000 })).stdout,
  ) as { nftables: { table?: { name: string } }[] };
  for (const t of tables.nftables)
    if (t.table?.name.includes(w.sb.prefix)) left.push(`nft table ${t.table.name}`);
  for (const pid of entries('/proc').filter((p) => /^\d+$/.test(p))) {
    if (cmdline(pid).includes(w.sb.dir))
      left.push(`process ${pid}: ${cmdline(pid).split('\0').slice(0, 3).join(' ')}`);
  }
  for (const f of entries(w.pidDir)) {
    const pid = Number(readFileSync(join(w.pidDir, f), 'utf8'));
    if (alive(pid)) left.push(`plugin child ${pid} (${f})`);
  }
  for (const part of ['vms', 'pods', 'locks', join('cni', 'results')])
    for (const e of entries(join(w.stateDir, part))) left.push(`record ${part}/${e}`);
  for (const ip of allocatedIps(w.sb, 'podnet')) left.push(`IP allocation ${ip}`);
  return left;
}

/** Asserts that nothing of the world is left. */
export async function assertClean(w: FaultWorld, what: string): Promise<void> {
  assert.deepEqual(await leftovers(w), [], `left after ${what}`);
}

/**
 * A CNI plugin written for these tests (a chained plugin after bridge: it passes prevResult on).
 * `mode` in its configuration: `fail` (ADD error object), `garbage` (ADD prints no JSON), `hang`
 * (ADD starts a child and never finishes), `linger` (ADD succeeds, exits, and leaves a child holding
 * its stdout), `del-fail` (DEL fails while `flagFile` exists). Children's pids go to `pidDir`.
 */
export function installFaultPlugin(w: FaultWorld): void {
  const dir = join(w.sb.dir, 'bin');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'fault-plugin');
  writeFileSync(
    file,
    `#!${process.execPath}
const fs = require('fs');
const { spawn } = require('child_process');
const conf = JSON.parse(fs.readFileSync(0, 'utf8'));
const cmd = process.env.CNI_COMMAND;
const out = (v) => fs.writeSync(1, typeof v === 'string' ? v : JSON.stringify(v));
const child = (name, stdio) => {
  const c = spawn('sleep', ['300'], { stdio });
  fs.writeFileSync(conf.pidDir + '/' + name + '-' + c.pid, String(c.pid));
  return c;
};
if (cmd === 'VERSION') out({ cniVersion: conf.cniVersion, supportedVersions: ['0.4.0', '1.0.0'] });
else if (cmd === 'ADD' && conf.mode === 'fail') { out({ cniVersion: conf.cniVersion, code: 11, msg: 'injected ADD failure' }); process.exit(1); }
else if (cmd === 'ADD' && conf.mode === 'garbage') out('this is not a CNI result {');
else if (cmd === 'ADD' && conf.mode === 'hang') { child('hang', 'ignore'); setInterval(() => undefined, 1000); }
else if (cmd === 'ADD' && conf.mode === 'linger') { child('linger', ['ignore', 1, 2]).unref(); out(conf.prevResult); process.exit(0); }
else if (cmd === 'ADD') out(conf.prevResult);
else if (cmd === 'DEL' && conf.mode === 'del-fail' && fs.existsSync(conf.flagFile)) { out({ cniVersion: conf.cniVersion, code: 11, msg: 'injected DEL failure' }); process.exit(1); }
`,
  );
  chmodSync(file, 0o755);
}

/** Runs the VM of `w` until QEMU is up, stops it with SIGTERM: exit 0 and nothing left (the VM runs). */
export async function assertVmRuns(w: FaultWorld, spec: string): Promise<void> {
  const run = startFaultRun(w, spec);
  await run.running;
  run.kill('SIGTERM');
  const end = await run.ended;
  assert.equal(end.code, 0, end.stderr);
  await assertClean(w, 'a run stopped with SIGTERM');
}
