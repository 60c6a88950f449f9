// Test networks inside sandbox namespaces: a bridge with TAPs for VMs, veth links between namespaces,
// and dnsmasq as the DHCP server (virtnet's own server is tested elsewhere; this only hands out leases).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Sandbox } from '../support/sandbox.js';

/** Runs `ip -n netns ...args` (throws on failure). */
export function ip(netns: string, ...args: string[]): string {
  const r = spawnSync('ip', ['-n', netns, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${netns} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** dnsmasq on `iface` in `netns`, serving `prefix`.50–.99 with the given extra options. */
export function startDnsmasq(
  sb: Sandbox,
  netns: string,
  iface: string,
  prefix: string,
  options: string[] = [],
): void {
  const argv = [
    'netns',
    'exec',
    netns,
    'dnsmasq',
    '--no-daemon',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${iface}`,
    '--bind-interfaces',
    // dnsmasq pings an address before offering it and waits up to 3 s, one DISCOVER at a time: a
    // guest with three DHCP NICs got its last OFFER after ~9 s, at the edge of udhcpc's first round
    // (5 DISCOVERs 2 s apart), and under CI load the rtl8139 NIC reported a lease failure.
    '--no-ping',
  ];
  argv.push(
    `--dhcp-range=${prefix}.50,${prefix}.99,255.255.255.0,1h`,
    `--dhcp-leasefile=${join(sb.dir, `${netns}-${iface}.leases`)}`,
    ...options,
  );
  // `ip netns exec` execs dnsmasq: the PID is dnsmasq's.
  sb.trackPid(spawn('ip', argv, { stdio: 'ignore' }).pid);
}

/**
 * A bridge `br0` with `prefix.1/24` in `netns`, and dnsmasq on it; with `ipv6Prefix` (e.g. `fd00:77::`)
 * the bridge also gets `<prefix>1/64` and dnsmasq sends managed Router Advertisements and DHCPv6.
 */
export function startLan(
  sb: Sandbox,
  netns: string,
  prefix: string,
  dnsmasqOptions: string[] = [],
  ipv6Prefix?: string,
): { gateway: string } {
  const gateway = `${prefix}.1`;
  ip(netns, 'link', 'add', 'br0', 'type', 'bridge');
  ip(netns, 'addr', 'add', `${gateway}/24`, 'dev', 'br0');
  if (ipv6Prefix) ip(netns, 'addr', 'add', `${ipv6Prefix}1/64`, 'dev', 'br0', 'nodad');
  ip(netns, 'link', 'set', 'br0', 'up');
  // Managed RAs + stateful DHCPv6 (IA_NA from ::100–::1ff), as virtnet's masquerade bridge serves.
  const v6 = ipv6Prefix ? ['--enable-ra', `--dhcp-range=${ipv6Prefix}100,${ipv6Prefix}1ff,64,1h`] : [];
  startDnsmasq(sb, netns, 'br0', prefix, [...v6, ...dnsmasqOptions]);
  return { gateway };
}

/** A veth pair: `a` in `nsA` with `addrA` (CIDR, optional), `b` in `nsB` with `addrB`; both up. */
export function linkNamespaces(
  nsA: string,
  a: string,
  addrA: string | undefined,
  nsB: string,
  b: string,
  addrB: string | undefined,
): void {
  ip(nsA, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB);
  if (addrA) ip(nsA, 'addr', 'add', addrA, 'dev', a);
  if (addrB) ip(nsB, 'addr', 'add', addrB, 'dev', b);
  ip(nsA, 'link', 'set', a, 'up');
  ip(nsB, 'link', 'set', b, 'up');
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

/** Exit status of a command inside `netns` (for checks that expect failure). */
export function statusInNetns(netns: string, argv: string[], input?: string): number | null {
  return spawnSync('ip', ['netns', 'exec', netns, ...argv], { encoding: 'utf8', input, timeout: 15_000 })
    .status;
}
