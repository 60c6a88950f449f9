// The observed network state of one namespace — links with their addresses, bridge-port and TUN
// attributes, and routes — read in ONE `ip -j -d -batch` spawn. Parsing of iproute2's JSON lives
// here and nowhere else.
import type { DiscoveredAddress, DiscoveredInterface, DiscoveredRoute } from './discovered-types.js';
import { readIpJson } from './ip.js';

/** Bridge-port flags (IFLA_BRPORT_*) of a link enslaved to a bridge. */
export interface BridgePortState {
  learning: boolean;
  flood: boolean;
  isolated: boolean;
  hairpin: boolean;
}

/** TUN/TAP attributes (IFLA_TUN_*). */
export interface TunState {
  type: 'tun' | 'tap';
  multiQueue: boolean;
  vnetHdr: boolean;
  persist: boolean;
  ownerUid?: number;
  ownerGid?: number;
  /** iproute2 prints the group by name when /etc/group knows it. */
  ownerGroupName?: string;
}

/** One link as observed. */
export interface LinkState extends DiscoveredInterface {
  bridgePort?: BridgePortState;
  tun?: TunState;
  /** The peer/parent link index (veth peer, macvlan parent) when the kernel reports it. */
  linkIndex?: number;
  /** macvlan/macvtap mode. */
  macvlanMode?: string;
}

/** A namespace's links (with addresses) and routes (all tables except `local`). */
export interface NetnsState {
  netns: string | undefined;
  links: LinkState[];
  routes: DiscoveredRoute[];
}

const FOREVER = 4294967295;
/** Address flags iproute2 can set again (`ip addr add ... FLAG`); others are kernel bookkeeping. */
const ADDRESS_FLAGS = ['noprefixroute', 'nodad', 'home', 'mngtmpaddr', 'autojoin'];

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function parseAddress(a: Json): DiscoveredAddress | undefined {
  const family = a.family === 'inet' ? 4 : a.family === 'inet6' ? 6 : undefined;
  const address = str(a.local);
  const prefixLength = num(a.prefixlen);
  if (family === undefined || address === undefined || prefixLength === undefined) return undefined;
  const valid = num(a.valid_life_time);
  const preferred = num(a.preferred_life_time);
  return {
    family,
    address,
    prefixLength,
    scope: str(a.scope) ?? 'global',
    flags: ADDRESS_FLAGS.filter((f) => a[f] === true),
    ...(str(a.broadcast) ? { broadcast: str(a.broadcast) } : {}),
    ...(family === 4 && str(a.label) ? { label: str(a.label) } : {}),
    ...(valid !== undefined && valid !== FOREVER ? { validLifetimeSeconds: valid } : {}),
    ...(preferred !== undefined && preferred !== FOREVER ? { preferredLifetimeSeconds: preferred } : {}),
  };
}

function parseLink(l: Json): LinkState | undefined {
  const name = str(l.ifname);
  const index = num(l.ifindex);
  if (name === undefined || index === undefined) return undefined;
  const info = obj(l.linkinfo);
  const slave = obj(info?.info_slave_data);
  const data = obj(info?.info_data);
  const kind = str(info?.info_kind) ?? '';
  const link: LinkState = {
    name,
    index,
    kind,
    mac: (str(l.address) ?? '').toLowerCase(),
    mtuBytes: num(l.mtu) ?? 0,
    up: arr(l.flags).includes('UP'),
    addresses: arr(l.addr_info)
      .map((a) => obj(a))
      .filter((a): a is Json => a !== undefined)
      .map(parseAddress)
      .filter((a): a is DiscoveredAddress => a !== undefined),
    routes: [],
  };
  const master = str(l.master);
  if (master) link.master = master;
  const linkIndex = num(l.link_index);
  if (linkIndex !== undefined) link.linkIndex = linkIndex;
  if (info?.info_slave_kind === 'bridge' && slave) {
    link.bridgePort = {
      learning: slave.learning === true,
      flood: slave.flood === true,
      isolated: slave.isolated === true,
      hairpin: slave.hairpin === true,
    };
  }
  if (kind === 'tun' && data) {
    link.tun = {
      type: data.type === 'tun' ? 'tun' : 'tap',
      multiQueue: data.multi_queue === true,
      vnetHdr: data.vnet_hdr === true,
      persist: data.persist === true,
      ...(num(data.user) !== undefined ? { ownerUid: num(data.user) } : {}),
      ...(num(data.group) !== undefined ? { ownerGid: num(data.group) } : {}),
      ...(str(data.group) !== undefined
        ? /^\d+$/.test(str(data.group)!)
          ? { ownerGid: Number(data.group) }
          : { ownerGroupName: str(data.group) }
        : {}),
    };
  }
  if ((kind === 'macvlan' || kind === 'macvtap') && data) {
    const mode = str(data.mode);
    if (mode) link.macvlanMode = mode;
  }
  return link;
}

function parseRoute(r: Json): DiscoveredRoute | undefined {
  const dev = str(r.dev);
  const dst = str(r.dst);
  if (dev === undefined || dst === undefined) return undefined;
  const table = str(r.table);
  if (table === 'local') return undefined;
  const gateway = str(r.gateway);
  // iproute2 omits the family; IPv6 routes always carry `pref`, and addresses give it away.
  const family: 4 | 6 = 'pref' in r || dst.includes(':') || (gateway ?? '').includes(':') ? 6 : 4;
  const destination =
    dst === 'default'
      ? family === 4
        ? '0.0.0.0/0'
        : '::/0'
      : dst.includes('/')
        ? dst
        : `${dst}/${family === 4 ? 32 : 128}`;
  const route: DiscoveredRoute = {
    family,
    destination,
    device: dev,
    flags: arr(r.flags).filter((f): f is string => typeof f === 'string'),
  };
  if (gateway) route.gateway = gateway;
  const protocol = str(r.protocol);
  if (protocol) route.protocol = protocol;
  const scope = str(r.scope);
  if (scope) route.scope = scope;
  const metric = num(r.metric);
  if (metric !== undefined) route.metric = metric;
  if (table && table !== 'main') route.table = table;
  const prefsrc = str(r.prefsrc);
  if (prefsrc) route.prefsrc = prefsrc;
  const type = str(r.type);
  if (type && type !== 'unicast') route.type = type;
  const metrics = arr(r.metrics).map((m) => obj(m));
  const mtu = metrics.map((m) => num(m?.mtu)).find((m) => m !== undefined);
  if (mtu !== undefined) route.mtuBytes = mtu;
  return route;
}

/** Parses `ip -j -d addr show` and `ip -j -d route show table all` output. */
export function parseNetnsState(
  netns: string | undefined,
  addrJson: unknown,
  routeJson: unknown,
): NetnsState {
  const links = arr(addrJson)
    .map((l) => obj(l))
    .filter((l): l is Json => l !== undefined)
    .map(parseLink)
    .filter((l): l is LinkState => l !== undefined);
  const routes = arr(routeJson)
    .map((r) => obj(r))
    .filter((r): r is Json => r !== undefined)
    .map(parseRoute)
    .filter((r): r is DiscoveredRoute => r !== undefined)
    .map((r, dumpIndex) => ({ ...r, dumpIndex }));
  for (const link of links) link.routes = routes.filter((r) => r.device === link.name);
  return { netns, links, routes };
}

/** Reads the complete link/address/route state of `netns` in one `ip` spawn. */
export async function readNetnsState(netns: string | undefined): Promise<NetnsState> {
  const [addrJson, routeJson] = await readIpJson(netns, ['addr show', 'route show table all']);
  return parseNetnsState(netns, addrJson, routeJson);
}

/** The link named `name`, if present. */
export function findLink(state: NetnsState, name: string): LinkState | undefined {
  return state.links.find((l) => l.name === name);
}
