// Rules that relate several fields: interfaces ↔ networks by name, bindings allowed on each network
// kind, uniqueness (names, MACs, PCI addresses, boot orders, ACPI indexes, ports, DHCP options) and
// cluster policy. Works on the raw entries tolerantly (a field with the wrong type is skipped here;
// the schema already reported it), so one document yields all its problems at once.
import type { IssueCollector } from './issue-collector.js';
import { checkMacAddress, isMulticastMac, normaliseMac } from './mac-address.js';
import { isPciAddress, normalisePciAddress } from './pci-address.js';
import { isDnsLabel, isDnsSubdomain } from './dns-name.js';
import { entryFieldPath, isRawMap, type InterfaceEntry, type NetworkEntry } from './spec-entries.js';
import { formatFieldPath, type FieldPath } from './spec-issue.js';
import { BINDINGS, type BindingKind, type ClusterConfig } from './types.js';

const SOURCES = ['pod', 'multus', 'genie'] as const;
type SourceKind = (typeof SOURCES)[number];

/** The in-pod bridge of the masquerade binding owns this MAC; the VM may not use it. */
export const MASQUERADE_RESERVED_MAC = '02:00:00:00:00:00';

/** Bindings that forward `ports` into the VM. */
const PORT_FORWARDING: readonly BindingKind[] = ['masquerade', 'slirp', 'passt'];

/**
 * The bindings an interface names: its binding keys (`bridge: {}`...) and KubeVirt's network binding
 * plugin form `binding: {name: passt}` (how passt and macvtap are spelled since KubeVirt 1.1).
 * `kind` is undefined for a plugin virtnet does not implement.
 */
export function bindingsPresent(raw: Record<string, unknown>): { key: string; kind: BindingKind | undefined }[] {
  const out: { key: string; kind: BindingKind | undefined }[] = BINDINGS.filter((b) => raw[b] !== undefined).map((b) => ({ key: b, kind: b }));
  if (raw.binding !== undefined) {
    const name = isRawMap(raw.binding) ? raw.binding.name : undefined;
    out.push({ key: 'binding', kind: typeof name === 'string' && (BINDINGS as readonly string[]).includes(name) ? (name as BindingKind) : undefined });
  }
  return out;
}

/** The one binding of an interface when it has exactly one. */
export function bindingOf(raw: Record<string, unknown>): BindingKind | undefined {
  const present = bindingsPresent(raw);
  return present.length === 1 ? present[0]!.kind : undefined;
}

/** The one source of a network when it has exactly one. */
export function sourceOf(raw: Record<string, unknown>): SourceKind | undefined {
  const present = SOURCES.filter((s) => raw[s] !== undefined);
  return present.length === 1 ? present[0] : undefined;
}

/** Reports every later occurrence of a key seen before. */
class DuplicateFinder<K> {
  private readonly seen = new Map<K, FieldPath>();
  constructor(
    private readonly issues: IssueCollector,
    private readonly code: Parameters<IssueCollector['error']>[1],
    private readonly describe: (key: K) => string,
  ) {}
  /** Records a key without ever reporting it (fields outside the network part, e.g. disks). */
  seed(key: K, path: FieldPath): void {
    if (!this.seen.has(key)) this.seen.set(key, path);
  }
  add(key: K, path: FieldPath): void {
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, path);
    else this.issues.error(path, this.code, `${this.describe(key)} is already used at ${formatFieldPath(first)}`);
  }
}

/** Checks the networks list on its own. */
function checkNetworks(nets: NetworkEntry[], issues: IssueCollector): void {
  const names = new DuplicateFinder<string>(issues, 'DUPLICATE_NAME', (n) => `network name "${n}"`);
  let podPath: FieldPath | undefined;
  let multusDefaultPath: FieldPath | undefined;
  for (const net of nets) {
    const raw = net.raw;
    if (typeof raw.name === 'string') names.add(raw.name, [...net.path, 'name']);
    const present = SOURCES.filter((s) => raw[s] !== undefined);
    if (present.length !== 1) {
      issues.error(net.path, 'NETWORK_SOURCE_COUNT', present.length === 0 ? 'a network needs exactly one source: pod, multus or genie' : `a network needs exactly one source, this one has ${present.join(' and ')}`);
    }
    if (raw.pod !== undefined) {
      if (podPath) issues.error([...net.path, 'pod'], 'MULTIPLE_POD_NETWORKS', `only one pod network is allowed; another is at ${formatFieldPath(podPath)}`);
      else podPath = [...net.path, 'pod'];
    }
    const multus = raw.multus;
    if (isRawMap(multus)) {
      if (multus.default === true) {
        if (multusDefaultPath) issues.error([...net.path, 'multus', 'default'], 'MULTIPLE_MULTUS_DEFAULTS', `only one Multus network may be the default; another is at ${formatFieldPath(multusDefaultPath)}`);
        else multusDefaultPath = [...net.path, 'multus', 'default'];
      }
      if (typeof multus.networkName === 'string') checkMultusName(multus.networkName, [...net.path, 'multus', 'networkName'], issues);
    }
    const genie = raw.genie;
    if (isRawMap(genie) && typeof genie.networkName === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(genie.networkName)) {
      issues.error([...net.path, 'genie', 'networkName'], 'NETWORK_NAME_INVALID', `Genie networkName "${genie.networkName}" must be a CNI network name (letters, digits, ".", "_", "-")`);
    }
  }
  if (podPath && multusDefaultPath) {
    issues.error(multusDefaultPath, 'POD_AND_MULTUS_DEFAULT', `a Multus default network and a pod network (${formatFieldPath(podPath)}) are mutually exclusive`);
  }
}

function checkMultusName(name: string, path: FieldPath, issues: IssueCollector): void {
  const parts = name.split('/');
  const ok = parts.length === 1 ? isDnsSubdomain(parts[0]!) : parts.length === 2 && isDnsLabel(parts[0]!) && isDnsSubdomain(parts[1]!);
  if (!ok) issues.error(path, 'NETWORK_NAME_INVALID', `Multus networkName "${name}" must be "name" or "namespace/name" (lowercase DNS names)`);
}

/** Checks everything about interfaces, including against the networks. */
function checkInterfaces(ifaces: InterfaceEntry[], nets: NetworkEntry[], cluster: ClusterConfig, issues: IssueCollector): void {
  const netByName = new Map<string, NetworkEntry>();
  for (const n of nets) if (typeof n.raw.name === 'string' && !netByName.has(n.raw.name)) netByName.set(n.raw.name, n);
  const names = new DuplicateFinder<string>(issues, 'DUPLICATE_NAME', (n) => `interface name "${n}"`);
  const macs = new DuplicateFinder<string>(issues, 'DUPLICATE_MAC', (m) => `MAC address ${m}`);
  const pcis = new DuplicateFinder<string>(issues, 'DUPLICATE_PCI_ADDRESS', (p) => `PCI address ${p}`);
  const acpis = new DuplicateFinder<number>(issues, 'DUPLICATE_ACPI_INDEX', (a) => `acpiIndex ${a}`);
  let masqueradePath: FieldPath | undefined;
  for (const iface of ifaces) {
    const raw = iface.raw;
    const at = (key: string, ...rest: (string | number)[]) => entryFieldPath(iface, key, ...rest);
    const name = typeof raw.name === 'string' ? raw.name : undefined;
    if (name !== undefined) names.add(name, at('name'));
    const present = bindingsPresent(raw);
    if (present.length !== 1) {
      issues.error(iface.path, 'BINDING_COUNT', present.length === 0 ? `interface ${name ? `"${name}" ` : ''}needs exactly one binding: ${BINDINGS.join(', ')}` : `interface ${name ? `"${name}" ` : ''}has ${present.length} bindings (${present.map((p) => p.key).join(', ')}); exactly one is allowed`);
    }
    const plugin = present.find((p) => p.key === 'binding');
    if (plugin && plugin.kind === undefined && isRawMap(raw.binding) && typeof raw.binding.name === 'string') {
      issues.error(at('binding', 'name'), 'BINDING_PLUGIN_UNKNOWN', `network binding plugin "${raw.binding.name}" is not one virtnet implements (${BINDINGS.join(', ')})`);
    }
    const binding = present.length === 1 ? present[0]!.kind : undefined;
    const bindingKey = present.length === 1 ? present[0]!.key : '';
    const net = name !== undefined ? netByName.get(name) : undefined;
    if (name !== undefined && !net) issues.error(at('name'), 'INTERFACE_WITHOUT_NETWORK', `interface "${name}" has no network of the same name in networks`);
    const source = net ? sourceOf(net.raw) : undefined;
    const onPod = source === 'pod';
    if (binding && source) {
      const bp = at(bindingKey);
      if (binding === 'masquerade' && !onPod) issues.error(bp, 'MASQUERADE_NOT_POD', `masquerade is only allowed on the pod network; network "${name}" is ${source}`);
      if (binding === 'slirp' && !onPod) issues.error(bp, 'SLIRP_NOT_POD', `slirp is only allowed on the pod network; network "${name}" is ${source}`);
      if (binding === 'passt' && !onPod) issues.error(bp, 'PASST_NOT_POD', `passt is only allowed on the pod network; network "${name}" is ${source}`);
      if (binding === 'sriov' && onPod) issues.error(bp, 'SRIOV_ON_POD_NETWORK', `SR-IOV needs a Multus or Genie network; network "${name}" is the pod network`);
      if (binding === 'bridge' && onPod && !cluster.permitBridgeInterfaceOnPodNetwork) {
        issues.error(bp, 'BRIDGE_ON_POD_FORBIDDEN', 'the cluster forbids bridge on the pod network (permitBridgeInterfaceOnPodNetwork: false); use masquerade');
      }
    }
    if (binding === 'masquerade') {
      if (masqueradePath) issues.error(at(bindingKey), 'MULTIPLE_MASQUERADE', `only one masquerade interface is allowed; another is at ${formatFieldPath(masqueradePath)}`);
      else masqueradePath = at(bindingKey);
    }
    if (typeof raw.macAddress === 'string' && checkMacAddress(raw.macAddress) === undefined) {
      const mac = normaliseMac(raw.macAddress);
      macs.add(mac, at('macAddress'));
      if (binding === 'masquerade' && mac === MASQUERADE_RESERVED_MAC) {
        issues.error(at('macAddress'), 'MASQUERADE_RESERVED_MAC', `${MASQUERADE_RESERVED_MAC} is reserved for the in-pod bridge of the masquerade binding`);
      } else if (isMulticastMac(mac)) {
        issues.warn(at('macAddress'), 'MAC_MULTICAST', `MAC address ${mac} is a multicast (group) address; a NIC needs a unicast MAC`);
      }
    }
    if (typeof raw.pciAddress === 'string' && isPciAddress(raw.pciAddress)) pcis.add(normalisePciAddress(raw.pciAddress), at('pciAddress'));
    if (typeof raw.acpiIndex === 'number' && Number.isInteger(raw.acpiIndex)) acpis.add(raw.acpiIndex, at('acpiIndex'));
    checkPorts(iface, binding, issues);
    checkDhcp(iface, issues);
    if (raw.state === 'absent' && !(binding === 'bridge' && source !== undefined && !onPod)) {
      issues.error(at('state'), 'STATE_ABSENT_NOT_SUPPORTED', 'state: absent is only supported on a bridge interface on a secondary (Multus/Genie) network');
    }
    if ((raw.state === 'up' || raw.state === 'down') && binding === 'sriov') {
      issues.error(at('state'), 'STATE_ON_SRIOV', `state: ${raw.state} is not supported on an SR-IOV interface`);
    }
  }
  for (const net of nets) {
    const n = net.raw.name;
    if (net.synthesized || typeof n !== 'string') continue;
    if (!ifaces.some((i) => i.raw.name === n)) issues.error([...net.path, 'name'], 'NETWORK_WITHOUT_INTERFACE', `network "${n}" has no interface of the same name in domain.devices.interfaces`);
  }
}

function checkPorts(iface: InterfaceEntry, binding: BindingKind | undefined, issues: IssueCollector): void {
  const ports = iface.raw.ports;
  if (!Array.isArray(ports) || ports.length === 0) return;
  if (binding && !PORT_FORWARDING.includes(binding)) {
    issues.warn(entryFieldPath(iface, 'ports'), 'PORTS_IGNORED', `ports are only forwarded by masquerade, slirp and passt; with ${binding} they are ignored`);
  }
  const names = new DuplicateFinder<string>(issues, 'DUPLICATE_PORT_NAME', (n) => `port name "${n}"`);
  const numbers = new DuplicateFinder<string>(issues, 'DUPLICATE_PORT', (k) => `port ${k}`);
  ports.forEach((p, i) => {
    if (!isRawMap(p)) return;
    if (typeof p.name === 'string') names.add(p.name, entryFieldPath(iface, 'ports', i, 'name'));
    const protocol = p.protocol ?? 'TCP';
    if (typeof p.port === 'number' && (protocol === 'TCP' || protocol === 'UDP')) numbers.add(`${p.port}/${protocol}`, entryFieldPath(iface, 'ports', i, 'port'));
  });
}

function checkDhcp(iface: InterfaceEntry, issues: IssueCollector): void {
  const raw = iface.raw;
  const opts = raw.dhcpOptions;
  if (!isRawMap(opts)) return;
  for (const key of ['bootFileName', 'tftpServerName'] as const) {
    if (typeof raw[key] === 'string' && typeof opts[key] === 'string' && raw[key] !== opts[key]) {
      issues.error(entryFieldPath(iface, key), 'DHCP_OPTION_CONFLICT', `${key} differs from dhcpOptions.${key}; give it once (dhcpOptions.${key} is the modern form)`);
    }
  }
  const privs = opts.privateOptions;
  if (!Array.isArray(privs)) return;
  const seen = new DuplicateFinder<number>(issues, 'DUPLICATE_DHCP_PRIVATE_OPTION', (o) => `DHCP private option ${o}`);
  privs.forEach((p, i) => {
    if (isRawMap(p) && typeof p.option === 'number') seen.add(p.option, entryFieldPath(iface, 'dhcpOptions', 'privateOptions', i, 'option'));
  });
}

/** Boot orders are unique across interfaces and disks (both are boot devices). */
function checkBootOrders(ifaces: InterfaceEntry[], disks: unknown, disksPath: FieldPath, issues: IssueCollector): void {
  const orders = new DuplicateFinder<number>(issues, 'DUPLICATE_BOOT_ORDER', (o) => `bootOrder ${o}`);
  if (Array.isArray(disks)) {
    disks.forEach((d, i) => {
      // Disks are not ours to judge: only an interface clashing with a disk is reported.
      if (isRawMap(d) && typeof d.bootOrder === 'number') orders.seed(d.bootOrder, [...disksPath, i, 'bootOrder']);
    });
  }
  for (const iface of ifaces) {
    if (typeof iface.raw.bootOrder === 'number') orders.add(iface.raw.bootOrder, entryFieldPath(iface, 'bootOrder'));
  }
}

/** Runs every cross-field rule, recording issues. */
export function checkNetworkRules(input: { interfaces: InterfaceEntry[]; networks: NetworkEntry[]; disks: unknown; disksPath: FieldPath; cluster: ClusterConfig }, issues: IssueCollector): void {
  checkNetworks(input.networks, issues);
  checkInterfaces(input.interfaces, input.networks, input.cluster, issues);
  checkBootOrders(input.interfaces, input.disks, input.disksPath, issues);
}
