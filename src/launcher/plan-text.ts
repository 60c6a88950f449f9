// Human-readable rendering of a VM network plan for `virtnet plan -o text`.
import type { VmNetworkPlan } from '../bindings/plan-types.js';

/** Renders `plan` as indented text: steps, VM NIC, DHCP lease and notes per interface. */
export function formatPlanText(plan: VmNetworkPlan): string {
  const out: string[] = [`VM ${plan.vm.namespace}/${plan.vm.name} in network namespace ${plan.netns}`];
  for (const note of plan.notes) out.push(`  ${note.level}: ${note.message} [${note.code}]`);
  for (const iface of plan.interfaces) {
    out.push(
      `  interface ${iface.name}: ${iface.binding} on network ${iface.network}${iface.podInterface ? ` via pod interface ${iface.podInterface}` : ''}`,
    );
    for (const step of iface.steps)
      out.push(`    ${step.phase === 'network' ? '' : `[${step.phase}] `}${step.summary}`);
    const nic = iface.nic;
    const backend =
      nic.backend.kind === 'tap'
        ? `tap ${nic.backend.tapName} (${nic.backend.queues} queue${nic.backend.queues === 1 ? '' : 's'})`
        : nic.backend.kind;
    out.push(
      `    VM NIC ${nic.alias}: ${nic.model} ${nic.mac}${nic.mtuBytes ? ` mtu ${nic.mtuBytes}` : ''}, ${backend}, link ${nic.linkState}, guest config ${nic.guestConfig.kind}`,
    );
    const l = iface.dhcp4;
    if (l) {
      const parts = [
        `${l.address}/${l.prefixLength} to ${l.clientMac} on ${l.bridge} (server ${l.serverAddress})`,
      ];
      if (l.routers.length) parts.push(`router ${l.routers.join(',')}`);
      if (l.classlessRoutes.length)
        parts.push(`routes ${l.classlessRoutes.map((r) => `${r.destination} via ${r.gateway}`).join(', ')}`);
      if (l.dnsServers.length) parts.push(`dns ${l.dnsServers.join(',')}`);
      if (l.searchDomains.length) parts.push(`search ${l.searchDomains.join(',')}`);
      if (l.hostname) parts.push(`hostname ${l.hostname}`);
      if (l.mtuBytes) parts.push(`mtu ${l.mtuBytes}`);
      out.push(`    DHCPv4: ${parts.join('; ')}`);
    } else {
      out.push('    DHCPv4: none');
    }
    for (const note of iface.notes) out.push(`    ${note.level}: ${note.message} [${note.code}]`);
  }
  return `${out.join('\n')}\n`;
}
