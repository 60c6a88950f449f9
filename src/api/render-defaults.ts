// What a mutating webhook would store: the original document with its network part replaced by the
// defaulted, normalised form (legacy seed forms rewritten to the modern API, model/protocol filled in,
// the default pod interface added). Fields outside the network part are kept as they were. Pure.
import { vmiSpecPath } from './document-shape.js';
import { isRawMap, type RawMap } from './spec-entries.js';
import type { InterfaceSpec, NetworkSpec, VmSpec } from './types.js';

/** The binding as the spec wrote it: a plugin stays a plugin (`binding: {name: passt}` must not become the discontinued `passt: {}`). */
function renderBinding(i: InterfaceSpec): RawMap {
  if (i.bindingPlugin !== undefined) return { binding: { name: i.bindingPlugin } };
  return { [i.bindingKey ?? i.binding]: {} };
}

function renderInterface(i: InterfaceSpec): RawMap {
  const out: RawMap = { name: i.name, ...renderBinding(i), model: i.model };
  if (i.macAddress !== undefined) out.macAddress = i.macAddress;
  if (i.pciAddress !== undefined) out.pciAddress = i.pciAddress;
  if (i.ports.length > 0)
    out.ports = i.ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      protocol: p.protocol,
      port: p.port,
    }));
  if (i.bootOrder !== undefined) out.bootOrder = i.bootOrder;
  if (i.dhcpOptions !== undefined) {
    const d = i.dhcpOptions;
    const dhcp: RawMap = {};
    if (d.bootFileName !== undefined) dhcp.bootFileName = d.bootFileName;
    if (d.tftpServerName !== undefined) dhcp.tftpServerName = d.tftpServerName;
    if (d.ntpServers.length > 0) dhcp.ntpServers = [...d.ntpServers];
    if (d.privateOptions.length > 0) dhcp.privateOptions = d.privateOptions.map((o) => ({ ...o }));
    out.dhcpOptions = dhcp;
  }
  if (i.state !== 'up') out.state = i.state;
  if (i.acpiIndex !== undefined) out.acpiIndex = i.acpiIndex;
  if (i.tag !== undefined) out.tag = i.tag;
  return out;
}

function renderNetwork(n: NetworkSpec): RawMap {
  const s = n.source;
  switch (s.kind) {
    case 'pod': {
      const pod: RawMap = {};
      if (s.vmNetworkCIDR !== undefined) pod.vmNetworkCIDR = s.vmNetworkCIDR;
      if (s.vmIPv6NetworkCIDR !== undefined) pod.vmIPv6NetworkCIDR = s.vmIPv6NetworkCIDR;
      return { name: n.name, pod };
    }
    case 'multus':
      return {
        name: n.name,
        multus: {
          networkName: s.namespace !== undefined ? `${s.namespace}/${s.networkName}` : s.networkName,
          ...(s.default ? { default: true } : {}),
        },
      };
    case 'genie':
      return { name: n.name, genie: { networkName: s.networkName } };
  }
}

/** The document `value` (as validated into `spec`) with its network part defaulted. */
export function renderDefaultedDocument(value: unknown, spec: VmSpec): RawMap {
  const doc = structuredClone(isRawMap(value) ? value : {});
  if (!isRawMap(doc.metadata)) doc.metadata = {};
  const metadata = doc.metadata as RawMap;
  metadata.name = spec.name;
  metadata.namespace = spec.namespace;
  // The VMI spec of the document's kind (spec, spec.template.spec, ...), created as needed.
  let root = doc;
  for (const key of vmiSpecPath(spec.kind, doc)) {
    if (!isRawMap(root[key])) root[key] = {};
    root = root[key] as RawMap;
  }
  if (!isRawMap(root.domain)) root.domain = {};
  const domain = root.domain as RawMap;
  if (!isRawMap(domain.devices)) domain.devices = {};
  const devices = domain.devices as RawMap;
  devices.interfaces = spec.interfaces.map(renderInterface);
  if (devices.autoattachPodInterface !== undefined)
    devices.autoattachPodInterface = spec.autoattachPodInterface;
  if (spec.networkInterfaceMultiqueue) devices.networkInterfaceMultiqueue = true;
  root.networks = spec.networks.map(renderNetwork);
  return doc;
}
