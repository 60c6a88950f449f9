// The bridge binding's DHCP guard: one bridge-family nft table per pod interface that keeps address
// configuration between the VM and virtnet's servers on the in-pod bridge (the pod interface is a
// port of it). Without it the VM's broadcast DHCP requests leave through the pod interface and
// flood the pod network, a CNI bridge with hairpinMode sends each one straight back so the server
// answers it twice, other pods' requests reach the server, and its replies flood the pod network.
// The same holds for RAs and DHCPv6 (dnsmasq on the bridge). The DHCPv4 server matches clients by
// chaddr; the table also drops requests coming through the VM's TAP from another MAC. Pure.
import {
  matchMeta,
  matchPayload,
  type NftCommand,
  type NftExpr,
  type NftTableRef,
} from '../../host/nft-json.js';
import type { PlanStep } from '../plan-types.js';

/** What the bridge serves the VM: DHCPv4 (virtnet), RA + DHCPv6 (dnsmasq). */
export interface GuardedServices {
  dhcp4: boolean;
  ipv6: boolean;
}

/** The table's commands: replaced whole in one transaction. */
export function dhcpGuardRuleset(
  table: NftTableRef,
  podInterface: string,
  tap: string,
  vmMac: string,
  services: GuardedServices,
): NftCommand[] {
  const t = table.name;
  const chain = (name: 'input' | 'output' | 'forward'): NftCommand => ({
    add: {
      chain: { family: 'bridge', table: t, name, type: 'filter', hook: name, prio: 0, policy: 'accept' },
    },
  });
  const drop = (chainName: string, comment: string, ...expr: NftExpr[]): NftCommand => ({
    add: { rule: { family: 'bridge', table: t, chain: chainName, comment, expr: [...expr, { drop: null }] } },
  });
  const pod = (direction: 'iifname' | 'oifname'): NftExpr => matchMeta(direction, podInterface);
  const rules: NftCommand[] = [];
  if (services.dhcp4) {
    rules.push(
      drop(
        'forward',
        'the VM asks virtnet only, not the pod network',
        pod('oifname'),
        matchPayload('udp', 'dport', 67),
      ),
      drop('forward', 'the VM gets DHCP from virtnet only', pod('iifname'), matchPayload('udp', 'dport', 68)),
      drop(
        'input',
        'virtnet serves the VM only (and never a hairpinned copy)',
        pod('iifname'),
        matchPayload('udp', 'dport', 67),
      ),
      drop(
        'input',
        "requests through the VM's TAP only from the VM's MAC",
        matchMeta('iifname', tap),
        matchPayload('udp', 'dport', 67),
        matchPayload('ether', 'saddr', vmMac, '!='),
      ),
      drop('output', 'no DHCP replies to the pod network', pod('oifname'), matchPayload('udp', 'sport', 67)),
    );
  }
  if (services.ipv6) {
    rules.push(
      drop(
        'output',
        'no RA to the pod network',
        pod('oifname'),
        matchPayload('icmpv6', 'type', 'nd-router-advert'),
      ),
      drop(
        'output',
        'no DHCPv6 replies to the pod network',
        pod('oifname'),
        matchPayload('udp', 'sport', 547),
      ),
      drop('input', 'dnsmasq serves the VM only', pod('iifname'), matchPayload('udp', 'dport', 547)),
      drop(
        'input',
        'dnsmasq answers the VM only',
        pod('iifname'),
        matchPayload('icmpv6', 'type', 'nd-router-solicit'),
      ),
      drop(
        'forward',
        'the VM gets DHCPv6 from virtnet only',
        pod('oifname'),
        matchPayload('udp', 'dport', 547),
      ),
    );
  }
  return [
    { add: { table: { ...table } } },
    { delete: { table: { ...table } } },
    { add: { table: { ...table } } },
    chain('input'),
    chain('output'),
    chain('forward'),
    ...rules,
  ];
}

/** The guard of the bridge joining `podInterface` and the VM's `tap`; undefined when nothing is served. */
export function dhcpGuardStep(
  podInterface: string,
  bridge: string,
  tap: string,
  vmMac: string,
  services: GuardedServices,
): PlanStep | undefined {
  if (!services.dhcp4 && !services.ipv6) return undefined;
  const table: NftTableRef = { family: 'bridge', name: `virtnet-dhcp-${podInterface}` };
  const what = [...(services.dhcp4 ? ['DHCPv4'] : []), ...(services.ipv6 ? ['RA and DHCPv6'] : [])].join(
    ', ',
  );
  return {
    id: `${podInterface}/dhcp-guard`,
    phase: 'network',
    kind: 'nft.ruleset',
    tables: [table],
    commands: dhcpGuardRuleset(table, podInterface, tap, vmMac, services),
    summary: `keep ${what} between the VM and virtnet on ${bridge}, off ${podInterface} (bridge table ${table.name})`,
  };
}
