// Renders a running VM's wiring as a tree, in the style of the seed blog's diagrams: pod NIC →
// devices virtnet created in the pod (bridge, TAP, macvtap...) → VM NIC, with names, MACs and IPs.
// Pure: data in, text out.
import type { RunNicStatus, RunRecord } from './run-record.js';

function nicLine(nic: RunNicStatus): string {
  const ips = nic.ips.length > 0 ? ` ${nic.ips.join(' ')}` : '';
  return `VM NIC ${nic.name} (${nic.model}, ${nic.binding}) ${nic.mac}${ips}`;
}

function guestLine(nic: RunNicStatus): string | undefined {
  const g = nic.guest;
  if (!g) return undefined;
  const addrs = [g.ipv4, ...g.ipv6].filter(Boolean).join(' ');
  return `guest ${g.name}: ${g.mac} ${addrs || 'no address'} mtu ${g.mtuBytes} dhcp ${g.dhcp}`;
}

/** The wiring of `run` as indented tree lines. */
export function renderWiringTree(run: Pick<RunRecord, 'vm' | 'pod' | 'netns' | 'nics'>): string {
  const lines = [`VM ${run.vm} in pod ${run.pod} (netns ${run.netns})`];
  run.nics.forEach((nic, i) => {
    const last = i === run.nics.length - 1;
    const branch = last ? '└─ ' : '├─ ';
    const pad = last ? '   ' : '│  ';
    const chain = [
      nic.podInterface
        ? `${nic.podInterface} (pod NIC, network ${nic.network})`
        : `(no pod NIC, network ${nic.network})`,
      ...nic.devices,
    ];
    lines.push(`${branch}${chain[0]}`);
    let indent = pad;
    for (const dev of chain.slice(1)) {
      lines.push(`${indent}└─ ${dev}`);
      indent += '   ';
    }
    lines.push(`${indent}└─► ${nicLine(nic)}`);
    const g = guestLine(nic);
    if (g) lines.push(`${indent}    ${g}`);
  });
  return `${lines.join('\n')}\n`;
}
