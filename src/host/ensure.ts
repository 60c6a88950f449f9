// The ensure* verbs: given the observed state of a namespace and a desired device/address/route,
// return the `ip` batch lines that make it so — nothing when it already is (that is what makes
// replaying a half-applied plan safe, since `ip -batch` is not transactional). Pure functions over
// NetnsState; the executor runs the lines with runIpBatch. Every value is validated before it is
// put on a line.
import { VirtnetError } from '../errors/virtnet-error.js';
import type { DiscoveredAddress, DiscoveredRoute } from './discovered-types.js';
import { assertIfName, assertIpOrCidr, assertMac, assertToken } from './link-names.js';
import { findLink, type NetnsState } from './netns-state.js';

/** A link to create. */
export type LinkKindSpec =
  | { type: 'bridge' }
  | { type: 'tap'; multiQueue: boolean; vnetHdr: boolean; ownerUid?: number; ownerGid?: number }
  | { type: 'veth'; peerName: string; peerNetns?: string; peerMac?: string }
  | { type: 'macvtap' | 'macvlan'; parent: string; mode: 'bridge' | 'vepa' | 'private' | 'passthru' };

/** Attributes of a link to ensure. */
export interface LinkAttrs {
  device: string;
  mac?: string;
  mtuBytes?: number;
  /** A bridge, or null for none. */
  master?: string | null;
  up?: boolean;
}

const KERNEL_KIND: Record<LinkKindSpec['type'], string> = {
  bridge: 'bridge',
  tap: 'tun',
  veth: 'veth',
  macvtap: 'macvtap',
  macvlan: 'macvlan',
};

function createLines(device: string, spec: LinkKindSpec): string[] {
  switch (spec.type) {
    case 'bridge':
      // No STP (ports forward at once) and no multicast snooping: a bridge in a pod joins exactly two ports.
      return [`link add ${device} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`];
    case 'tap': {
      const words = ['tuntap', 'add', 'dev', device, 'mode', 'tap'];
      if (spec.multiQueue) words.push('multi_queue');
      if (spec.vnetHdr) words.push('vnet_hdr');
      if (spec.ownerUid !== undefined) words.push('user', String(spec.ownerUid));
      if (spec.ownerGid !== undefined) words.push('group', String(spec.ownerGid));
      return [words.join(' ')];
    }
    case 'veth': {
      const words = ['link', 'add', device, 'type', 'veth', 'peer', 'name', assertIfName(spec.peerName)];
      if (spec.peerMac) words.push('address', assertMac(spec.peerMac));
      if (spec.peerNetns) words.push('netns', assertToken(spec.peerNetns));
      return [words.join(' ')];
    }
    case 'macvtap':
    case 'macvlan':
      return [
        `link add link ${assertIfName(spec.parent)} name ${device} type ${spec.type} mode ${spec.mode}`,
      ];
  }
}

/** Lines setting `attrs` where the observed link differs (the link may not exist yet: all are set). */
export function setLinkLines(state: NetnsState, attrs: LinkAttrs): string[] {
  const device = assertIfName(attrs.device);
  const link = findLink(state, device);
  const words: string[] = [];
  if (attrs.mac !== undefined && link?.mac !== assertMac(attrs.mac)) words.push('address', attrs.mac);
  if (attrs.mtuBytes !== undefined && link?.mtuBytes !== attrs.mtuBytes)
    words.push('mtu', String(Math.trunc(attrs.mtuBytes)));
  if (attrs.master === null && link?.master !== undefined) words.push('nomaster');
  if (typeof attrs.master === 'string' && link?.master !== attrs.master)
    words.push('master', assertIfName(attrs.master));
  if (attrs.up !== undefined && link?.up !== attrs.up) words.push(attrs.up ? 'up' : 'down');
  return words.length === 0 ? [] : [`link set dev ${device} ${words.join(' ')}`];
}

/**
 * ensureLink: creates `attrs.device` of `spec` unless present, then sets its attributes. A present
 * link of another kind is an error (LINK_EXISTS): never adopt a device virtnet did not create.
 */
export function ensureLinkLines(state: NetnsState, spec: LinkKindSpec, attrs: LinkAttrs): string[] {
  const device = assertIfName(attrs.device);
  const link = findLink(state, device);
  if (link && link.kind !== KERNEL_KIND[spec.type]) {
    throw new VirtnetError(
      'LINK_EXISTS',
      `${device} exists as ${link.kind || 'a plain device'}, expected ${spec.type}`,
      { device },
    );
  }
  const lines = link ? [] : createLines(device, spec);
  // A bridge's MAC must be pinned: otherwise it follows its lowest-numbered port (possibly the VM's MAC).
  return [...lines, ...setLinkLines(state, attrs)];
}

/** ensureNoLink: deletes `device` when present. */
export function deleteLinkLines(state: NetnsState, device: string): string[] {
  return findLink(state, assertIfName(device)) ? [`link del dev ${device}`] : [];
}

/** Renames `from` to `to` (the link must be down for the kernel; callers order that). */
export function renameLinkLines(state: NetnsState, from: string, to: string): string[] {
  if (!findLink(state, assertIfName(from)) || findLink(state, assertIfName(to))) return [];
  return [`link set dev ${from} name ${to}`];
}

/**
 * Moves `device` into namespace `target` (a name, or a path given to `netns` as-is) when it is still
 * here; afterwards it is simply absent from this namespace's state, so replaying is a no-op.
 */
export function moveLinkLines(state: NetnsState, device: string, target: string): string[] {
  return findLink(state, assertIfName(device)) ? [`link set dev ${device} netns ${assertToken(target)}`] : [];
}

function cidrOf(a: Pick<DiscoveredAddress, 'address' | 'prefixLength'>): string {
  return `${a.address}/${a.prefixLength}`;
}

function hasAddress(state: NetnsState, device: string, cidr: string): boolean {
  return findLink(state, device)?.addresses.some((a) => cidrOf(a) === cidr) ?? false;
}

/** ensureAddress: adds the address (with its flags, broadcast, label and lifetimes) unless present. */
export function addAddressLines(
  state: NetnsState,
  device: string,
  address: Omit<DiscoveredAddress, 'family'> & { family?: 4 | 6 },
): string[] {
  const cidr = assertIpOrCidr(cidrOf(address));
  if (hasAddress(state, assertIfName(device), cidr)) return [];
  const words = ['addr', 'add', cidr, 'dev', device];
  if (address.broadcast) words.push('broadcast', assertIpOrCidr(address.broadcast));
  if (address.label && address.label !== device) words.push('label', assertToken(address.label));
  if (address.scope && address.scope !== 'global') words.push('scope', assertToken(address.scope));
  for (const flag of address.flags) words.push(assertToken(flag));
  if (address.validLifetimeSeconds !== undefined)
    words.push('valid_lft', String(address.validLifetimeSeconds));
  if (address.preferredLifetimeSeconds !== undefined)
    words.push('preferred_lft', String(address.preferredLifetimeSeconds));
  return [words.join(' ')];
}

/** ensureNoAddress: removes the address when present. */
export function removeAddressLines(state: NetnsState, device: string, cidr: string): string[] {
  return hasAddress(state, assertIfName(device), assertIpOrCidr(cidr))
    ? [`addr del ${cidr} dev ${device}`]
    : [];
}

/** True when two routes are the same kernel entry (destination, table, metric, device, gateway). */
export function sameRoute(a: DiscoveredRoute, b: DiscoveredRoute): boolean {
  return (
    a.family === b.family &&
    a.destination === b.destination &&
    (a.table ?? 'main') === (b.table ?? 'main') &&
    (a.metric ?? 0) === (b.metric ?? 0) &&
    a.device === b.device &&
    (a.gateway ?? '') === (b.gateway ?? '') &&
    (a.type ?? 'unicast') === (b.type ?? 'unicast')
  );
}

function routeSelector(route: DiscoveredRoute): string[] {
  const words: string[] = [];
  if (route.type && route.type !== 'unicast') words.push(assertToken(route.type));
  words.push(assertIpOrCidr(route.destination));
  if (route.gateway) words.push('via', assertIpOrCidr(route.gateway));
  words.push('dev', assertIfName(route.device));
  if (route.table) words.push('table', assertToken(route.table));
  if (route.metric !== undefined) words.push('metric', String(route.metric));
  return words;
}

/**
 * ensureRoute: adds the route exactly as recorded (protocol, scope, src, onlink, mtu) unless present.
 * IPv4 uses `append` (NLM_F_APPEND): a pod may hold several default routes through different
 * interfaces (one per CNI network), which `add` refuses as duplicates of the same key.
 */
export function addRouteLines(state: NetnsState, route: DiscoveredRoute): string[] {
  if (state.routes.some((r) => sameRoute(r, route))) return [];
  const words = ['route', route.family === 4 ? 'append' : 'add', ...routeSelector(route)];
  if (route.protocol) words.push('proto', assertToken(route.protocol));
  if (route.scope) words.push('scope', assertToken(route.scope));
  if (route.prefsrc) words.push('src', assertIpOrCidr(route.prefsrc));
  if (route.mtuBytes !== undefined) words.push('mtu', String(route.mtuBytes));
  for (const flag of route.flags) if (flag === 'onlink') words.push('onlink');
  return [words.join(' ')];
}

/** ensureNoRoute: deletes the route when present. */
export function removeRouteLines(state: NetnsState, route: DiscoveredRoute): string[] {
  return state.routes.some((r) => sameRoute(r, route))
    ? [['route', 'del', ...routeSelector(route)].join(' ')]
    : [];
}

/** ensureNeighbour: a permanent neighbour entry (replace is idempotent by itself). */
export function neighbourLines(device: string, address: string, mac: string): string[] {
  return [
    `neigh replace ${assertIpOrCidr(address)} lladdr ${assertMac(mac)} dev ${assertIfName(device)} nud permanent`,
  ];
}

/** Removes a neighbour entry (teardown; run with -force since it may be gone with its device). */
export function deleteNeighbourLines(state: NetnsState, device: string, address: string): string[] {
  return findLink(state, assertIfName(device)) ? [`neigh del ${assertIpOrCidr(address)} dev ${device}`] : [];
}

/** Bridge-port flags (IFLA_BRPORT_LEARNING, _UNICAST_FLOOD, _ISOLATED, _MODE hairpin). */
export interface BridgePortFlags {
  learning?: boolean;
  flood?: boolean;
  isolated?: boolean;
  hairpin?: boolean;
}

/** ensureBridgePort: sets port flags that differ (the link must be, or become, a bridge port). */
export function bridgePortLines(state: NetnsState, device: string, flags: BridgePortFlags): string[] {
  const port = findLink(state, assertIfName(device))?.bridgePort;
  const onOff = (v: boolean): string => (v ? 'on' : 'off');
  const words: string[] = [];
  for (const key of ['learning', 'flood', 'isolated', 'hairpin'] as const) {
    const want = flags[key];
    if (want !== undefined && port?.[key] !== want) words.push(key, onOff(want));
  }
  return words.length === 0 ? [] : [`link set dev ${device} type bridge_slave ${words.join(' ')}`];
}
