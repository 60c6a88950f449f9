// Stand-in pods for the bridge tests: a "pod" namespace whose interface is one end of a veth, the
// other end in a "network" namespace that plays the CNI network (gateway address on a bridge so a
// second pod can join it), and a "guest" namespace joined to the VM's bridge by a veth carrying the
// VM's MAC (the stand-in for TAP + VM). Helpers spawn `ip` directly: tests may.
import { execFileSync } from 'node:child_process';
import type { Sandbox } from '../support/sandbox.js';

/** Runs `ip` (throws with stderr on failure). */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The network namespace with a bridge `br0` holding the gateway address. */
export async function createNetwork(sb: Sandbox, gatewayCidr: string, mtuBytes = 1500): Promise<string> {
  const net = await sb.netns('net');
  ip('-n', net, 'link', 'add', 'br0', 'mtu', String(mtuBytes), 'type', 'bridge');
  ip('-n', net, 'addr', 'add', gatewayCidr, 'dev', 'br0');
  ip('-n', net, 'link', 'set', 'br0', 'up');
  return net;
}

/** Plugs pod namespace `suffix` into the network with interface `ifname` and address `cidr`. */
export async function createPod(
  sb: Sandbox,
  net: string,
  suffix: string,
  opts: {
    ifname?: string;
    cidr?: string;
    gateway?: string;
    routes?: string[];
    mtuBytes?: number;
    ipv6?: string;
  } = {},
): Promise<string> {
  const pod = await sb.netns(suffix);
  const ifname = opts.ifname ?? 'eth0';
  const peer = `v${suffix}`.slice(0, 15);
  ip(
    '-n',
    pod,
    'link',
    'add',
    ifname,
    'mtu',
    String(opts.mtuBytes ?? 1500),
    'type',
    'veth',
    'peer',
    'name',
    peer,
    'mtu',
    String(opts.mtuBytes ?? 1500),
    'netns',
    net,
  );
  ip('-n', net, 'link', 'set', peer, 'master', 'br0', 'up');
  if (opts.cidr) ip('-n', pod, 'addr', 'add', opts.cidr, 'dev', ifname);
  if (opts.ipv6) ip('-n', pod, 'addr', 'add', opts.ipv6, 'dev', ifname, 'nodad');
  ip('-n', pod, 'link', 'set', ifname, 'up');
  if (opts.gateway) ip('-n', pod, 'route', 'add', 'default', 'via', opts.gateway, 'dev', ifname);
  for (const r of opts.routes ?? [])
    ip('-n', pod, 'route', 'add', r, 'via', opts.gateway ?? '', 'dev', ifname);
  return pod;
}

/** A guest namespace whose `eth0` (MAC `mac`) is a veth whose peer `peerName` is enslaved to `bridge` in `pod`. */
export async function createGuest(
  sb: Sandbox,
  pod: string,
  bridge: string,
  mac: string,
  suffix = 'guest',
  peerName = 'vmport0',
): Promise<string> {
  const guest = await sb.netns(suffix);
  ip(
    '-n',
    guest,
    'link',
    'add',
    'eth0',
    'address',
    mac,
    'type',
    'veth',
    'peer',
    'name',
    peerName,
    'netns',
    pod,
  );
  ip('-n', pod, 'link', 'set', peerName, 'master', bridge, 'up');
  ip('-n', guest, 'link', 'set', 'eth0', 'up');
  return guest;
}

/** `ip -j -d` addr/route/link of a namespace, once IPv6 DAD has settled (tentative flags come and go). */
export async function snapshot(netns: string): Promise<{ addr: unknown; route: unknown; link: unknown }> {
  for (let i = 0; i < 100 && ip('-n', netns, 'addr').includes('tentative'); i++)
    await new Promise((r) => setTimeout(r, 50));
  // Bridge timers (gc_timer, hello_timer, ...) count down on their own: not state, dropped.
  const parse = (text: string): unknown =>
    JSON.parse(text, (key, value: unknown) => (key.endsWith('_timer') ? undefined : value));
  return {
    addr: parse(ip('-n', netns, '-j', '-d', 'addr', 'show')),
    route: parse(ip('-n', netns, '-j', '-d', 'route', 'show', 'table', 'all')),
    link: parse(ip('-n', netns, '-j', '-d', 'link', 'show')),
  };
}
