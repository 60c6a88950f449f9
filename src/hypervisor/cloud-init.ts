// cloud-init NoCloud seed contents built from the VM's NICs: meta-data, user-data, and network-config
// in version 1 (the format Virtlet uses) or version 2 (netplan-like). NICs are matched by
// MAC; `static` NICs get their addresses, routes and DNS, `dhcp` NICs DHCP (plus any static fallback
// such as masquerade's IPv6), `none` NICs are left unconfigured. Also a flat `virtnet-static` file the
// virtnet test guest (busybox, no cloud-init) applies. Pure: the ISO packer is cloud-init-iso.ts.
import { stringify } from 'yaml';
import type { GuestStaticConfig, VmNic } from '../bindings/vm-nic.js';
import { VirtnetError } from '../errors/virtnet-error.js';

/** What the seed describes besides the NICs. */
export interface CloudInitInput {
  instanceId: string;
  hostname: string;
  nics: readonly VmNic[];
  /** Extra user-data (a #cloud-config mapping), e.g. ssh_authorized_keys. */
  userData?: Record<string, unknown>;
}

/** The files of a NoCloud seed, by file name. */
export interface NoCloudFiles {
  'meta-data': string;
  'user-data': string;
  'network-config': string;
  'virtnet-static': string;
}

/** The guest interface name virtnet asks cloud-init to give NIC `index` (matched by MAC). */
export function guestNicName(index: number): string {
  return `eth${index}`;
}

interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

function parseCidr(value: string, field: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  const family = m?.[1]?.includes(':') ? 6 : 4;
  const prefix = Number(m?.[2]);
  if (!m?.[1] || prefix > (family === 4 ? 32 : 128))
    throw new VirtnetError(
      'CLOUD_INIT_INVALID_CIDR',
      `${field}: ${JSON.stringify(value)} is not an address/prefix`,
      { field },
    );
  return { address: m[1], prefix, family };
}

function netmask4(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

function staticSubnetsV1(config: GuestStaticConfig, field: string): Record<string, unknown>[] {
  let gw4 = config.gateway4;
  let gw6 = config.gateway6;
  const subnets = config.addresses.map((a, i) => {
    const cidr = parseCidr(a, `${field}.addresses[${i}]`);
    const subnet: Record<string, unknown> = { type: cidr.family === 4 ? 'static' : 'static6', address: a };
    // The gateway belongs to the first subnet of its family.
    if (cidr.family === 4 && gw4) [subnet.gateway, gw4] = [gw4, undefined];
    if (cidr.family === 6 && gw6) [subnet.gateway, gw6] = [gw6, undefined];
    return subnet;
  });
  const first = subnets[0];
  if (first) {
    if (config.dnsServers.length > 0) first.dns_nameservers = config.dnsServers;
    if (config.searchDomains.length > 0) first.dns_search = config.searchDomains;
    if (config.routes.length > 0) {
      first.routes = config.routes.map((r, i) => {
        const dest = parseCidr(r.destination, `${field}.routes[${i}].destination`);
        return dest.family === 4
          ? { network: dest.address, netmask: netmask4(dest.prefix), gateway: r.gateway }
          : { network: r.destination, gateway: r.gateway };
      });
    }
  }
  return subnets;
}

/** network-config version 1 (Virtlet's format): one `physical` entry per NIC, matched by MAC. */
export function networkConfigV1(nics: readonly VmNic[]): Record<string, unknown> {
  const config = nics.map((nic, i) => {
    const field = `nics[${i}].guestConfig`;
    const entry: Record<string, unknown> = { type: 'physical', name: guestNicName(i), mac_address: nic.mac };
    if (nic.mtuBytes !== undefined) entry.mtu = nic.mtuBytes;
    const g = nic.guestConfig;
    if (g.kind === 'static') entry.subnets = staticSubnetsV1(g.config, `${field}.config`);
    else if (g.kind === 'dhcp')
      entry.subnets = [
        { type: 'dhcp4' },
        ...(g.staticFallback ? staticSubnetsV1(g.staticFallback, `${field}.staticFallback`) : []),
      ];
    else entry.subnets = [];
    return entry;
  });
  return { version: 1, config };
}

function staticV2(config: GuestStaticConfig, field: string, into: Record<string, unknown>): void {
  const addresses = [...((into.addresses as string[] | undefined) ?? [])];
  config.addresses.forEach((a, i) => {
    parseCidr(a, `${field}.addresses[${i}]`);
    addresses.push(a);
  });
  if (addresses.length > 0) into.addresses = addresses;
  const routes: { to: string; via: string }[] = [];
  if (config.gateway4) routes.push({ to: '0.0.0.0/0', via: config.gateway4 });
  if (config.gateway6) routes.push({ to: '::/0', via: config.gateway6 });
  config.routes.forEach((r, i) => {
    parseCidr(r.destination, `${field}.routes[${i}].destination`);
    routes.push({ to: r.destination, via: r.gateway });
  });
  if (routes.length > 0) into.routes = routes;
  if (config.dnsServers.length > 0 || config.searchDomains.length > 0) {
    into.nameservers = {
      ...(config.dnsServers.length > 0 ? { addresses: config.dnsServers } : {}),
      ...(config.searchDomains.length > 0 ? { search: config.searchDomains } : {}),
    };
  }
}

/** network-config version 2: one `ethernets` entry per NIC, matched by MAC and renamed. */
export function networkConfigV2(nics: readonly VmNic[]): Record<string, unknown> {
  const ethernets: Record<string, Record<string, unknown>> = {};
  nics.forEach((nic, i) => {
    const field = `nics[${i}].guestConfig`;
    const name = guestNicName(i);
    const e: Record<string, unknown> = { match: { macaddress: nic.mac }, 'set-name': name };
    if (nic.mtuBytes !== undefined) e.mtu = nic.mtuBytes;
    const g = nic.guestConfig;
    if (g.kind === 'dhcp') {
      e.dhcp4 = true;
      if (g.staticFallback) staticV2(g.staticFallback, `${field}.staticFallback`, e);
    } else if (g.kind === 'static') {
      e.dhcp4 = false;
      staticV2(g.config, `${field}.config`, e);
    } else {
      e.dhcp4 = false;
    }
    ethernets[name] = e;
  });
  return { version: 2, ethernets };
}

/** The virtnet guest's flat form: `MAC [dhcp|none] addr=.. gw4=.. gw6=.. route=DEST,GW dns=.. search=.. mtu=..`. */
export function virtnetStatic(nics: readonly VmNic[]): string {
  const lines: string[] = [];
  for (const nic of nics) {
    const g = nic.guestConfig;
    if (g.kind === 'none') {
      lines.push(`${nic.mac} none`);
      continue;
    }
    const config = g.kind === 'static' ? g.config : g.staticFallback;
    if (!config) continue;
    const words = [nic.mac];
    if (g.kind === 'dhcp') words.push('dhcp');
    if (nic.mtuBytes !== undefined) words.push(`mtu=${nic.mtuBytes}`);
    for (const a of config.addresses) words.push(`addr=${a}`);
    if (config.gateway4) words.push(`gw4=${config.gateway4}`);
    if (config.gateway6) words.push(`gw6=${config.gateway6}`);
    for (const r of config.routes) words.push(`route=${r.destination},${r.gateway}`);
    for (const d of config.dnsServers) words.push(`dns=${d}`);
    for (const s of config.searchDomains) words.push(`search=${s}`);
    for (const w of words) {
      if (/\s/.test(w))
        throw new VirtnetError(
          'CLOUD_INIT_INVALID_VALUE',
          `whitespace in guest config value ${JSON.stringify(w)}`,
          { field: 'guestConfig' },
        );
    }
    lines.push(words.join(' '));
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** All NoCloud files; `version` picks the network-config format (1 as Virtlet, default). */
export function buildNoCloudFiles(input: CloudInitInput, version: 1 | 2 = 1): NoCloudFiles {
  return {
    'meta-data': stringify({ 'instance-id': input.instanceId, 'local-hostname': input.hostname }),
    'user-data': `#cloud-config\n${stringify({ hostname: input.hostname, ...(input.userData ?? {}) })}`,
    'network-config': stringify(version === 1 ? networkConfigV1(input.nics) : networkConfigV2(input.nics)),
    'virtnet-static': virtnetStatic(input.nics),
  };
}
