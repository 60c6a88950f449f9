// Builds the normalised, defaulted VmSpec from entries that passed validation: MACs lower-case with
// colons, Multus "ns/name" split, seed-form DHCP fields folded into dhcpOptions, model virtio and
// protocol TCP by default, each protocol/port once (validation warns about a repeat; the planners
// take the list as is). Only called when there are no errors, so parsed values are present.
import { bindingOf } from './network-rules.js';
import { normaliseMac } from './mac-address.js';
import { normalisePciAddress } from './pci-address.js';
import { isRawMap, type InterfaceEntry, type NetworkEntry } from './spec-entries.js';
import type { DhcpOptionsSpec, InterfaceSpec, NetworkSpec, NetworkSource, PortSpec } from './types.js';

/** `ports` without a later repeat of a protocol/port pair (the first one's name is kept). */
function uniquePorts(ports: PortSpec[]): PortSpec[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = `${p.protocol}/${p.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The normalised form of one validated interface. */
export function normaliseInterface(entry: InterfaceEntry): InterfaceSpec {
  const p = entry.parsed!;
  const binding = bindingOf(p)!;
  const iface: InterfaceSpec = {
    name: p.name,
    binding,
    model: p.model ?? 'virtio',
    // Ports are forwarded on the pod network only, where validation checked them; elsewhere they are unused.
    ports: uniquePorts(
      (p.ports ?? []).flatMap((port): PortSpec[] => {
        const protocol = port.protocol === undefined || port.protocol === '' ? 'TCP' : port.protocol;
        if ((protocol !== 'TCP' && protocol !== 'UDP') || port.port < 1 || port.port > 65535) return [];
        return [
          {
            ...(port.name !== undefined && port.name !== '' ? { name: port.name } : {}),
            protocol,
            port: port.port,
          },
        ];
      }),
    ),
    state: p.state ?? 'up',
  };
  if (binding === 'macvtap') iface.macvtapMode = entry.macvtapMode ?? 'bridge';
  if (entry.sourceDevice !== undefined) iface.sourceDevice = entry.sourceDevice;
  if (p.macAddress !== undefined) iface.macAddress = normaliseMac(p.macAddress);
  if (p.pciAddress !== undefined) iface.pciAddress = normalisePciAddress(p.pciAddress);
  if (p.bootOrder !== undefined) iface.bootOrder = p.bootOrder;
  if (p.acpiIndex !== undefined && p.acpiIndex !== 0) iface.acpiIndex = p.acpiIndex;
  if (isRawMap(entry.raw.binding) && typeof entry.raw.binding.name === 'string')
    iface.bindingPlugin = entry.raw.binding.name;
  if (entry.raw.passtBinding !== undefined) iface.bindingKey = 'passtBinding';
  if (p.tag !== undefined) iface.tag = p.tag;
  const d = p.dhcpOptions;
  const bootFileName = d?.bootFileName ?? p.bootFileName;
  const tftpServerName = d?.tftpServerName ?? p.tftpServerName;
  if (d !== undefined || bootFileName !== undefined || tftpServerName !== undefined) {
    const dhcp: DhcpOptionsSpec = {
      ntpServers: [...(d?.ntpServers ?? [])],
      privateOptions: (d?.privateOptions ?? []).map((o) => ({ option: o.option, value: o.value })),
    };
    if (bootFileName !== undefined) dhcp.bootFileName = bootFileName;
    if (tftpServerName !== undefined) dhcp.tftpServerName = tftpServerName;
    iface.dhcpOptions = dhcp;
  }
  return iface;
}

/** The normalised form of one validated network. */
export function normaliseNetwork(entry: NetworkEntry): NetworkSpec {
  const p = entry.parsed!;
  let source: NetworkSource;
  if (p.pod !== undefined) {
    source = { kind: 'pod' };
    if (p.pod.vmNetworkCIDR !== undefined) source.vmNetworkCIDR = p.pod.vmNetworkCIDR;
    if (p.pod.vmIPv6NetworkCIDR !== undefined) source.vmIPv6NetworkCIDR = p.pod.vmIPv6NetworkCIDR;
  } else if (p.multus !== undefined) {
    const [a, b] = p.multus.networkName.split('/');
    source =
      b === undefined
        ? { kind: 'multus', networkName: a!, default: p.multus.default ?? false }
        : { kind: 'multus', networkName: b, namespace: a!, default: p.multus.default ?? false };
  } else {
    source = { kind: 'genie', networkName: p.genie!.networkName };
  }
  return { name: p.name, source };
}
