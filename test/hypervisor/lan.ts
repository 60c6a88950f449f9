// A test LAN inside a sandbox namespace: a bridge with an address, TAPs for VMs, and dnsmasq as the
// DHCP server (virtnet's own server is tested elsewhere; this only has to hand out leases).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Sandbox } from '../support/sandbox.js';

function ip(netns: string, ...args: string[]): void {
  const r = spawnSync('ip', ['-n', netns, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${netns} ${args.join(' ')}: ${r.stderr}`);
}

/** A bridge `br0` with `gateway/24` in `netns`, and dnsmasq serving .50–.99 with the given options. */
export function startLan(
  sb: Sandbox,
  netns: string,
  prefix: string,
  dnsmasqOptions: string[] = [],
): { gateway: string } {
  const gateway = `${prefix}.1`;
  ip(netns, 'link', 'add', 'br0', 'type', 'bridge');
  ip(netns, 'addr', 'add', `${gateway}/24`, 'dev', 'br0');
  ip(netns, 'link', 'set', 'br0', 'up');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      netns,
      'dnsmasq',
      '--no-daemon',
      '--conf-file=/dev/null',
      '--port=0',
      '--interface=br0',
      '--bind-interfaces',
      `--dhcp-range=${prefix}.50,${prefix}.99,255.255.255.0,1h`,
      `--dhcp-leasefile=${join(sb.dir, `${netns}.leases`)}`,
      ...dnsmasqOptions,
    ],
    { stdio: 'ignore' },
  );
  sb.trackPid(child.pid);
  return { gateway };
}

/** Adds TAP `name` (multi-queue when `multiQueue`) to br0. */
export function addTap(netns: string, name: string, multiQueue = false): void {
  ip(netns, 'tuntap', 'add', 'dev', name, 'mode', 'tap', ...(multiQueue ? ['multi_queue'] : []));
  ip(netns, 'link', 'set', name, 'master', 'br0', 'up');
}

/** Runs a command inside `netns` and returns its stdout (throws on failure). */
export function inNetns(netns: string, argv: string[], input?: string): string {
  const r = spawnSync('ip', ['netns', 'exec', netns, ...argv], { encoding: 'utf8', input, timeout: 15_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${netns}: ${r.stderr}`);
  return r.stdout;
}
