// Runs the delegating CNI plugin the way a container runtime does: bin/virtnet-cni with the
// configuration on stdin and CNI_* in the environment. Also the checks every DEL test makes: what the
// delegates' bridges, host-local and the plugin's cache still hold.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { runProgram } from '../../src/exec/run-program.js';
import { bridgeConflist } from '../cni/cni-fixtures.js';
import type { Sandbox } from '../support/sandbox.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const PLUGIN = join(REPO, 'bin', 'virtnet-cni');
const BUILT = join(REPO, 'dist', 'cli', 'cni-plugin-main.js');

/** A skip reason when the plugin cannot run here (it runs from dist/, which `npm run build` makes). */
export function pluginMissing(): string | false {
  return existsSync(BUILT) ? false : `${BUILT} is missing: run npm run build`;
}

export interface PluginCall {
  command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';
  containerId: string;
  netns: string;
  ifname?: string;
  args?: Record<string, string>;
  extraEnv?: Record<string, string>;
}

export interface PluginOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: Record<string, unknown> | undefined;
  stderr: string;
  ms: number;
}

/** One plugin execution. */
export function runPlugin(conf: unknown, call: PluginCall): PluginOutput {
  const args = { IgnoreUnknown: '1', ...call.args };
  const started = performance.now();
  const r = spawnSync(PLUGIN, [], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifname ?? 'eth0',
      CNI_ARGS: Object.entries(args)
        .map(([k, v]) => `${k}=${v}`)
        .join(';'),
      CNI_PATH: '/usr/lib/cni',
      ...call.extraEnv,
    },
  });
  const ms = performance.now() - started;
  const text = (r.stdout ?? '').trim();
  return {
    code: r.status,
    signal: r.signal,
    out: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
    stderr: r.stderr ?? '',
    ms,
  };
}

/**
 * An installed shim run as the runtime runs it: only the CNI variables in its environment (no PATH),
 * the conflist entry on stdin. Asserts success.
 */
export function runInstalledShim(
  shim: string,
  stdin: unknown,
  call: { command: 'ADD' | 'DEL'; containerId: string; netns: string; cniPath: string; args?: string },
): void {
  const r = spawnSync(shim, [], {
    input: JSON.stringify(stdin),
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: call.cniPath,
      ...(call.args !== undefined ? { CNI_ARGS: call.args } : {}),
    },
  });
  assert.equal(r.status, 0, `${call.command}: ${r.stdout} ${r.stderr}`);
}

/** Addresses host-local still holds under `dataDir` (its per-IP reservation files). */
export function hostLocalAllocations(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  // host-local names each reservation after its address; `lock` and `last_reserved_ip.N` are not one.
  return readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /^[0-9a-f]*[.:][0-9a-f.:]*$/i.test(f.split('/').pop()!),
  );
}

/** Every file under `dir` (the plugin's cache: records and delegate results). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

/** Links enslaved to host bridge `bridge` (the host ends of the delegates' veths). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const r = await runProgram(['ip', '-j', 'link', 'show', 'master', bridge], { timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  if (!r) return [];
  return (JSON.parse(r.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname);
}

/** The networks of a delegating-plugin test, each on a sandbox-named bridge with its own subnet. */
export interface TestNetworks {
  /** The default network (delegates[0]). */
  def: Record<string, unknown>;
  /** A secondary network taking MACs (tuning). */
  sec: Record<string, unknown>;
  /** A secondary network taking static IPs (host-local through the bridge's `ips` capability). */
  st: Record<string, unknown>;
  cacheDir: string;
  ipamDir: string;
  bridges: string[];
}

/** `suffix` goes into the secondary networks' names (`sec<suffix>`, `st<suffix>`). */
export function testNetworks(sb: Sandbox, suffix = ''): TestNetworks {
  const sec = bridgeConflist(sb, {
    name: `sec${suffix}`,
    bridgeSuffix: 'b1',
    salt: 1,
    extraPlugins: [{ type: 'tuning', capabilities: { mac: true } }],
  });
  const st = bridgeConflist(sb, { name: `st${suffix}`, bridgeSuffix: 'b2', salt: 2 });
  (st.plugins as Record<string, unknown>[])[0]!.capabilities = { ips: true };
  return {
    def: bridgeConflist(sb, { name: 'podnet', bridgeSuffix: 'b0' }),
    sec,
    st,
    cacheDir: join(sb.dir, 'cache'),
    ipamDir: join(sb.dir, 'ipam'),
    bridges: ['b0', 'b1', 'b2'].map((b) => `${sb.prefix}${b}`),
  };
}

/** No port on the test's bridges, no host-local reservation, nothing in the plugin's cache. */
export async function assertNothingLeft(n: TestNetworks, what: string): Promise<void> {
  for (const b of n.bridges) assert.deepEqual(await bridgePorts(b), [], `${what}: ports left on ${b}`);
  assert.deepEqual(hostLocalAllocations(n.ipamDir), [], `${what}: host-local allocations left`);
  assert.deepEqual(filesUnder(n.cacheDir), [], `${what}: cache files left`);
}
