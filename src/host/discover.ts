// Discovery: what a pod namespace looks like before virtnet changes it — every interface with its
// index, MAC, MTU, addresses and routes (one `ip -j -d` spawn), plus the pod's DNS and hostname.
//
// Where the pod's resolv.conf lives (embedded mode, named namespaces): `/etc/netns/<name>/resolv.conf`
// is what `ip netns exec <name>` bind-mounts over /etc/resolv.conf, i.e. what processes in the pod see,
// so it wins. Without it, the DNS section of the pod's CNI result (passed in by the caller, which owns
// the CNI cache) is used when it names a nameserver; otherwise the pod shares the host resolver, as a
// process in that namespace would: /etc/resolv.conf. The hostname comes from
// `/etc/netns/<name>/hostname` when present (the VM name is the fallback, chosen by the planner).
// A pod some container runtime made (Kubernetes) has its own resolv.conf in its root file system: the
// caller names that file (`resolvConf`, e.g. /proc/<pause PID>/root/etc/resolv.conf), and a namespace
// given as /proc/<PID>/ns/net implies that process's /proc/<PID>/root/etc/resolv.conf; either wins.
import { readFile } from 'node:fs/promises';
import type { DiscoveredDns, DiscoveredPod } from './discovered-types.js';
import { netnsExists, parseNetnsRef, type NetnsRef } from './netns.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { readNetnsState, type NetnsState } from './netns-state.js';
import { readSysctls } from './sysctl.js';
import { parseResolvConf } from './resolv-conf.js';

/** Pod-wide sysctls bindings may change; discovery reads them so a first apply needs no extra read. */
export const POD_SYSCTLS = [
  'net/ipv4/conf/all/arp_ignore',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv6/conf/all/forwarding',
];

/** DNS as a CNI result reports it (`dns` of a CNI 0.3+/1.0 result). */
export interface CniDns {
  nameservers?: string[];
  search?: string[];
  domain?: string;
  options?: string[];
}

/** Options for discovery. */
export interface DiscoverOptions {
  /** The pod's own resolv.conf (a pod virtnet did not create); wins over every other source. */
  resolvConf?: string;
  /** The pod's CNI result DNS section, if the caller has one. */
  cniDns?: CniDns;
  /** Directory holding per-namespace files (default /etc/netns; tests point it elsewhere). */
  etcNetnsDir?: string;
  /** Host resolver file (default /etc/resolv.conf). */
  hostResolvConf?: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `/proc/<PID>/root/etc/resolv.conf` for a namespace given as `/proc/<PID>/ns/net`. */
function processResolvConf(ref: NetnsRef): string | undefined {
  if (!('path' in ref)) return undefined;
  const m = /^\/proc\/(\d+)\/ns\/net$/.exec(ref.path);
  return m ? `/proc/${m[1]}/root/etc/resolv.conf` : undefined;
}

/** Finds the pod's DNS settings by the documented precedence. */
export async function discoverDns(netns: string, options: DiscoverOptions = {}): Promise<DiscoveredDns> {
  const ref = parseNetnsRef(netns);
  const podResolvConf = options.resolvConf ?? processResolvConf(ref);
  if (podResolvConf !== undefined) {
    const text = await readText(podResolvConf);
    if (text !== undefined) return parseResolvConf(text, podResolvConf);
    if (options.resolvConf !== undefined)
      throw new VirtnetError('RESOLV_CONF_UNREADABLE', `cannot read the pod's resolv.conf ${podResolvConf}`, {
        field: 'resolvConf',
      });
  }
  if ('name' in ref) {
    const path = `${options.etcNetnsDir ?? '/etc/netns'}/${ref.name}/resolv.conf`;
    const text = await readText(path);
    if (text !== undefined) return parseResolvConf(text, path);
  }
  const cni = options.cniDns;
  if (cni?.nameservers && cni.nameservers.length > 0) {
    return {
      nameservers: [...cni.nameservers],
      search: [...(cni.search ?? [])],
      ...(cni.domain ? { domain: cni.domain } : {}),
      options: [...(cni.options ?? [])],
      source: 'cni-result',
    };
  }
  const hostPath = options.hostResolvConf ?? '/etc/resolv.conf';
  const text = await readText(hostPath);
  return text !== undefined
    ? parseResolvConf(text, hostPath)
    : { nameservers: [], search: [], options: [], source: 'none' };
}

/** Turns an observed namespace state into the planner's view of the pod. */
export function podFromState(
  state: NetnsState,
  netns: string,
  dns: DiscoveredDns,
  hostname?: string,
  sysctls?: Record<string, string>,
): DiscoveredPod {
  return {
    netns,
    interfaces: state.links
      .filter((l) => l.name !== 'lo')
      .map((l) => ({
        name: l.name,
        index: l.index,
        kind: l.kind,
        mac: l.mac,
        mtuBytes: l.mtuBytes,
        up: l.up,
        ...(l.master ? { master: l.master } : {}),
        addresses: l.addresses,
        routes: l.routes,
      })),
    dns,
    ...(hostname ? { hostname } : {}),
    ...(sysctls ? { sysctls } : {}),
  };
}

/** Reads everything a planner needs about the pod in `netns`. Throws NETNS_NOT_FOUND. */
export async function discoverPod(netns: string, options: DiscoverOptions = {}): Promise<DiscoveredPod> {
  const ref = parseNetnsRef(netns);
  if (!netnsExists(ref))
    throw new VirtnetError('NETNS_NOT_FOUND', `network namespace ${netns} not found`, { netns });
  const hostnamePath =
    'name' in ref ? `${options.etcNetnsDir ?? '/etc/netns'}/${ref.name}/hostname` : undefined;
  const sysctlValues = readSysctls(netns, POD_SYSCTLS);
  const [state, dns, hostnameText] = await Promise.all([
    readNetnsState(netns),
    discoverDns(netns, options),
    hostnamePath ? readText(hostnamePath) : Promise.resolve(undefined),
  ]);
  const hostname = hostnameText?.trim().split('\n')[0]?.trim();
  const sysctls: Record<string, string> = {};
  for (const [k, v] of sysctlValues) if (v !== undefined) sysctls[k] = v;
  return podFromState(state, netns, dns, hostname || undefined, sysctls);
}
