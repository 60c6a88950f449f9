// Builds the masquerade binding's NAT ruleset (KubeVirt's masquerade rules) as nft JSON:
// one table per VM and address family, replaced atomically. Pure: data in, data out; applying it is
// src/host/nft.ts's job.
//
// Per interface the table holds (family ip shown; ip6 is the same with ip6 and ::1):
//   prerouting  iifname POD ip daddr {POD IPs} [tcp|udp dport {PORTS}] dnat to VM   (no ports: all)
//   output      ip daddr 127.0.0.1 tcp|udp dport {PORTS} dnat to VM                 (loopback port-forward)
//   postrouting oifname != BRIDGE ip saddr VM masquerade                            (VM → outside as pod IP)
//               oifname BRIDGE ip saddr 127.0.0.1 tcp|udp dport {PORTS} snat to GW  (replies find their way)
//   forward     oifname BRIDGE ct state new, not DNATed → drop                      (only declared ports reach the VM,
//                                                                                   even for peers routing to the VM subnet)
// Loopback forwarding exists only for declared ports: with no ports declared the pod keeps its own
// loopback (sidecars and virtnet itself use it), while everything arriving on the pod interface goes
// to the VM as in KubeVirt. IPv6 never routes ::1 off the loopback device (there is no route_localnet
// for IPv6), so the output/snat pair is IPv4 only.
import { isIPv4, isIPv6 } from '../../api/ip-address.js';
import { isLinuxInterfaceName } from '../../api/linux-ifname.js';
import type { PortSpec } from '../../api/types.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import {
  matchMeta,
  matchPayload,
  setOf,
  tableDeletion,
  isVirtnetTable,
  NFT_TABLE_PREFIX,
  type NftCommand,
  type NftExpr,
  type NftFamily,
  type NftTableRef,
} from '../../host/nft-json.js';

/** Prefix of every table virtnet owns; teardown and gc delete only tables with it. */
// Kubernetes object names (DNS-1123 subdomain) are ≤ 253 bytes; nft table names ≤ 255 (NFT_NAME_MAXLEN 256).
const VM_NAME_RE = /^[a-z0-9]([a-z0-9.-]{0,244}[a-z0-9])?$/;

/** NAT for one masquerade interface in one family. */
export interface MasqueradeNat {
  /** Pod interface traffic comes in on and leaves by (eth0). */
  podInterface: string;
  /** The pod's own addresses on that interface, in this family (no prefix length). */
  podAddresses: string[];
  /** The masquerade bridge in the pod (k6t-eth0). */
  bridge: string;
  /** The bridge's address: the VM's gateway (10.0.2.1, fd10:0:2::1). */
  gatewayAddress: string;
  /** The VM's address behind the NAT (10.0.2.2, fd10:0:2::2). */
  vmAddress: string;
  /** Declared ports; empty means every port (and every protocol) arriving on the pod interface. */
  ports: PortSpec[];
}

/** One VM's table in one family. */
export interface MasqueradeTable {
  family: NftFamily;
  name: string;
  interfaces: MasqueradeNat[];
}

/** The table name for a VM: `virtnet-<vm>`. Throws NFT_INVALID_NAME for names nft or Kubernetes would reject. */
export function masqueradeTableName(vmName: string): string {
  if (!VM_NAME_RE.test(vmName)) {
    throw new VirtnetError('NFT_INVALID_NAME', `VM name ${JSON.stringify(vmName)} cannot name an nft table`, {
      field: 'metadata.name',
    });
  }
  return `${NFT_TABLE_PREFIX}${vmName}`;
}

function assertTable(table: MasqueradeTable): void {
  const addrOk = (a: string): boolean => (table.family === 'ip' ? isIPv4(a) : isIPv6(a));
  if (!isVirtnetTable(table.name)) {
    throw new VirtnetError(
      'NFT_INVALID_NAME',
      `table ${table.name} does not start with ${NFT_TABLE_PREFIX}`,
      { table: table.name },
    );
  }
  table.interfaces.forEach((nat, i) => {
    for (const dev of [nat.podInterface, nat.bridge]) {
      if (!isLinuxInterfaceName(dev))
        throw new VirtnetError('NFT_INVALID_INPUT', `invalid interface name ${JSON.stringify(dev)}`, {
          device: dev,
        });
    }
    for (const a of [...nat.podAddresses, nat.gatewayAddress, nat.vmAddress]) {
      if (!addrOk(a)) {
        throw new VirtnetError(
          'NFT_INVALID_INPUT',
          `${JSON.stringify(a)} is not an ${table.family} address`,
          { table: table.name, interface: i },
        );
      }
    }
    if (nat.podAddresses.length === 0) {
      throw new VirtnetError('NFT_INVALID_INPUT', `no ${table.family} pod address for ${nat.podInterface}`, {
        device: nat.podInterface,
      });
    }
    for (const p of nat.ports) {
      if (
        !Number.isInteger(p.port) ||
        p.port < 1 ||
        p.port > 65535 ||
        (p.protocol !== 'TCP' && p.protocol !== 'UDP')
      ) {
        throw new VirtnetError('NFT_INVALID_INPUT', `invalid port ${JSON.stringify(p)}`, {
          table: table.name,
        });
      }
    }
  });
}

/** Base chains of a masquerade table; priorities are netfilter's dstnat/srcnat/filter (-100/100/0). */
function baseChains(family: NftFamily, table: string): NftCommand[] {
  const chain = (
    name: 'prerouting' | 'output' | 'postrouting' | 'forward',
    type: 'nat' | 'filter',
    prio: number,
  ): NftCommand => ({
    add: { chain: { family, table, name, type, hook: name, prio, policy: 'accept' } },
  });
  return [
    chain('prerouting', 'nat', -100),
    chain('output', 'nat', -100),
    chain('postrouting', 'nat', 100),
    chain('forward', 'filter', 0),
  ];
}

/** Declared ports grouped by L4 protocol, sorted, without duplicates. */
function portsByProtocol(ports: readonly PortSpec[]): { proto: 'tcp' | 'udp'; ports: number[] }[] {
  const groups: { proto: 'tcp' | 'udp'; ports: number[] }[] = [];
  for (const proto of ['tcp', 'udp'] as const) {
    const list = [
      ...new Set(ports.filter((p) => p.protocol.toLowerCase() === proto).map((p) => p.port)),
    ].sort((a, b) => a - b);
    if (list.length > 0) groups.push({ proto, ports: list });
  }
  return groups;
}

function natRules(family: NftFamily, table: string, nat: MasqueradeNat): NftCommand[] {
  const l3 = family;
  const loopback = family === 'ip' ? '127.0.0.1' : '::1';
  const rule = (chain: string, comment: string, expr: NftExpr[]): NftCommand => ({
    add: { rule: { family, table, chain, comment, expr } },
  });
  const counter: NftExpr = { counter: null };
  const dnatToVm: NftExpr = { dnat: { addr: nat.vmAddress } };
  const groups = portsByProtocol(nat.ports);
  const inbound = [
    matchMeta('iifname', nat.podInterface),
    matchPayload(l3, 'daddr', setOf(nat.podAddresses)),
  ];
  const out: NftCommand[] = [];
  if (nat.ports.length === 0) {
    out.push(rule('prerouting', 'to the VM: every port', [...inbound, counter, dnatToVm]));
  } else {
    for (const g of groups) {
      out.push(
        rule('prerouting', `to the VM: declared ${g.proto} ports`, [
          ...inbound,
          matchPayload(g.proto, 'dport', setOf(g.ports)),
          counter,
          dnatToVm,
        ]),
      );
    }
    if (family === 'ip') {
      for (const g of groups) {
        const dport = matchPayload(g.proto, 'dport', setOf(g.ports));
        out.push(
          rule('output', `pod loopback to the VM: ${g.proto}`, [
            matchPayload(l3, 'daddr', loopback),
            dport,
            counter,
            dnatToVm,
          ]),
        );
        out.push(
          rule('postrouting', `pod loopback to the VM: ${g.proto} from the gateway`, [
            matchMeta('oifname', nat.bridge),
            matchPayload(l3, 'saddr', loopback),
            dport,
            counter,
            { snat: { addr: nat.gatewayAddress } },
          ]),
        );
      }
    }
  }
  out.push(
    rule('postrouting', 'from the VM: as the pod', [
      matchMeta('oifname', nat.bridge, '!='),
      matchPayload(l3, 'saddr', nat.vmAddress),
      counter,
      { masquerade: null },
    ]),
  );
  out.push(
    rule('forward', 'only DNATed connections reach the VM', [
      matchMeta('oifname', nat.bridge),
      { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } },
      { match: { op: '!', left: { ct: { key: 'status' } }, right: 'dnat' } },
      counter,
      { drop: null },
    ]),
  );
  return out;
}

/**
 * The transaction that (re)creates `tables` exactly: each table is deleted if present and created with
 * its chains and rules, in one document so the kernel applies all of it or nothing.
 */
export function buildMasqueradeRuleset(tables: readonly MasqueradeTable[]): NftCommand[] {
  const out: NftCommand[] = [];
  for (const table of tables) {
    assertTable(table);
    const ref: NftTableRef = { family: table.family, name: table.name };
    out.push(
      ...tableDeletion([ref]),
      { add: { table: { ...ref } } },
      ...baseChains(table.family, table.name),
    );
    for (const nat of table.interfaces) out.push(...natRules(table.family, table.name, nat));
  }
  return out;
}
