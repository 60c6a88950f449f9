// Shared helpers of the CNI tests: per-test conf dirs whose bridges, subnets and host-local data dirs
// derive from the sandbox prefix (parallel tests never share a bridge or allocate colliding
// addresses), and cleanup of the host-side bridges the bridge plugin leaves behind on DEL.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from '../../src/exec/run-program.js';
import type { Sandbox } from '../support/sandbox.js';

/** Two bytes derived from the sandbox prefix, for a subnet of this test's own. */
export function subnetBytes(sb: Sandbox, salt = 0): [number, number] {
  const hex = sb.prefix.slice(2, 8);
  const a = (Number.parseInt(hex.slice(0, 2), 16) + salt * 37) % 200;
  const b = (Number.parseInt(hex.slice(2, 4), 16) + salt * 11) % 250;
  return [a + 20, b + 1];
}

/** A per-test /24 and /64: `10.A.B.0/24`, `fd00:A:B::/64` (salt picks another one). */
export function testSubnets(sb: Sandbox, salt = 0): { v4: string; v6: string; gw4: string; prefix4: string } {
  const [a, b] = subnetBytes(sb, salt);
  return {
    v4: `10.${a}.${b}.0/24`,
    v6: `fd00:${a.toString(16)}:${b.toString(16)}::/64`,
    gw4: `10.${a}.${b}.1`,
    prefix4: `10.${a}.${b}.`,
  };
}

/** Deletes a host link if it exists (bridges the bridge plugin created). */
export async function deleteHostLink(name: string): Promise<void> {
  await runProgram(['ip', 'link', 'del', name], { timeoutMs: 10_000 }).catch(() => undefined);
}

/** Writes `conf` into `dir/file` (creating dir) and returns the dir. */
export function writeConf(dir: string, file: string, conf: unknown): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), JSON.stringify(conf, null, 2));
  return dir;
}

/** A bridge + host-local conflist on a bridge named after the sandbox; the bridge is deleted at test end. */
export function bridgeConflist(
  sb: Sandbox,
  opts: {
    name: string;
    bridgeSuffix: string;
    salt?: number;
    cniVersion?: string;
    v6?: boolean;
    extraPlugins?: unknown[];
    ipamExtra?: Record<string, unknown>;
  },
): Record<string, unknown> {
  const bridge = `${sb.prefix}${opts.bridgeSuffix}`;
  sb.defer(() => deleteHostLink(bridge));
  const s = testSubnets(sb, opts.salt ?? 0);
  const ranges: unknown[] = [[{ subnet: s.v4 }]];
  if (opts.v6) ranges.push([{ subnet: s.v6 }]);
  return {
    cniVersion: opts.cniVersion ?? '1.0.0',
    name: opts.name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipam: {
          type: 'host-local',
          ranges,
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(sb.dir, 'ipam'),
          ...opts.ipamExtra,
        },
      },
      ...(opts.extraPlugins ?? []),
    ],
  };
}

/** Runs `argv` inside namespace `ns` and returns stdout. */
export async function inNetns(ns: string, argv: string[], timeoutMs = 10_000): Promise<string> {
  return (await runProgram(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs })).stdout;
}

/** Interface names inside `ns`. */
export async function linksIn(ns: string): Promise<string[]> {
  const out = await runProgram(['ip', '-n', ns, '-j', 'link', 'show'], { timeoutMs: 10_000 });
  return (JSON.parse(out.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
}

/**
 * A conf dir for one test (what other suites should pass as cniConfDir instead of relying on the
 * shipped configuration, whose bridge and subnet are shared host-wide): `10-<first>.conflist` is the
 * default network, every further name a secondary network, each on its own sandbox-named bridge and
 * subnet, with tuning (mac) and host-local allocations under the sandbox dir.
 */
export function makeTestConfDir(sb: Sandbox, names: string[] = ['podnet']): string {
  const dir = join(sb.dir, 'net.d');
  names.forEach((name, i) => {
    writeConf(
      dir,
      `${10 + i}-${name}.conflist`,
      bridgeConflist(sb, {
        name,
        bridgeSuffix: `n${i}`,
        salt: i,
        extraPlugins: [{ type: 'tuning', capabilities: { mac: true } }],
      }),
    );
  });
  return dir;
}
