// Rules that relate several fields: interfaces ↔ networks by name, bindings allowed on each network
// kind, uniqueness (names, MACs, PCI addresses, boot orders, ACPI indexes, port names, DHCP options),
// ports judged where KubeVirt judges them, feature-gated fields and cluster policy. Works on the raw
// entries tolerantly (a field with the wrong type is skipped here; the schema already reported it), so
// one document yields all its problems at once. Every lookup is by map: linear in the spec's size.
import type { IssueCollector } from './issue-collector.js';
import { gateEnabled } from './feature-gates.js';
import { checkMacAddress, isMulticastMac, isZeroMac, normaliseMac } from './mac-address.js';
import { isPciAddress, normalisePciAddress } from './pci-address.js';
import { isDnsLabel, isDnsSubdomain } from './dns-name.js';
import { shown } from './shown-value.js';
import { entryFieldPath, isRawMap, type InterfaceEntry, type NetworkEntry } from './spec-entries.js';
import { formatFieldPath, type FieldPath } from './spec-issue.js';
import type { BindingKind, ClusterConfig } from './types.js';
import { checkPortName } from './vm-schema.js';

const SOURCES = ['pod', 'multus', 'genie', 'resourceClaim'] as const;
type SourceKind = (typeof SOURCES)[number];

/** The in-pod bridge of the masquerade binding owns this MAC; the VM may not use it. */
export const MASQUERADE_RESERVED_MAC = '02:00:00:00:00:00';

/** Bindings that forward `ports` into the VM. */
const PORT_FORWARDING: readonly BindingKind[] = ['masquerade', 'slirp', 'passt'];

/**
 * Interface keys that name a binding, and the binding each means. `passtBinding` is KubeVirt's core
 * passt binding; `slirp`, `macvtap` and `passt` are the discontinued core keys virtnet still runs.
 */
const BINDING_KEYS: Record<string, BindingKind> = {
  bridge: 'bridge',
  masquerade: 'masquerade',
  sriov: 'sriov',
  passtBinding: 'passt',
  slirp: 'slirp',
  macvtap: 'macvtap',
  passt: 'passt',
};

/** Binding keys KubeVirt ≥ 1.3 refuses on creation, and what it takes instead. */
export const DISCONTINUED_BINDING_KEYS: Record<string, string> = {
  slirp: 'binding: {name: slirp} (a network binding plugin)',
  macvtap: 'binding: {name: macvtap} (a network binding plugin)',
  passt: 'passtBinding: {} or binding: {name: passt}',
};

/**
 * Binding plugins KubeVirt publishes whose work virtnet does with a module of its own: the plugin
 * named X runs virtnet's X binding. Any other name is a `plugin` binding, run as its cluster
 * registration says (a plugin named `bridge` is not the core bridge binding).
 */
const BUILT_IN_PLUGINS: Record<string, BindingKind> = { passt: 'passt', slirp: 'slirp', macvtap: 'macvtap' };

/** The binding names listed in "needs exactly one binding" messages. */
const BINDING_CHOICES =
  'bridge, masquerade, sriov, passtBinding or binding: {name: PLUGIN} (virtnet also runs slirp, macvtap, passt)';

/** The bindings an interface names: its binding keys (`bridge: {}`...) and `binding: {name: X}`. */
export function bindingsPresent(raw: Record<string, unknown>): { key: string; kind: BindingKind }[] {
  const out: { key: string; kind: BindingKind }[] = [];
  for (const key of Object.keys(raw)) {
    const kind = BINDING_KEYS[key];
    if (kind !== undefined && raw[key] !== undefined && raw[key] !== null) out.push({ key, kind });
  }
  if (raw.binding !== undefined && raw.binding !== null) {
    const name = isRawMap(raw.binding) ? raw.binding.name : undefined;
    out.push({ key: 'binding', kind: (typeof name === 'string' && BUILT_IN_PLUGINS[name]) || 'plugin' });
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
    private readonly severity: 'error' | 'warn' = 'error',
  ) {}
  /** Records a key without ever reporting it (fields outside the network part, e.g. disks). */
  seed(key: K, path: FieldPath): void {
    if (!this.seen.has(key)) this.seen.set(key, path);
  }
  add(key: K, path: FieldPath): void {
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, path);
    else
      this.issues[this.severity](
        path,
        this.code,
        `${this.describe(key)} is already used at ${formatFieldPath(first)}`,
      );
  }
}

/** The default network's name: the pod network, else the Multus network with `default: true`. */
function defaultNetworkName(nets: NetworkEntry[]): string | undefined {
  const pod = nets.find((n) => n.raw.pod !== undefined);
  const multusDefault = nets.find((n) => isRawMap(n.raw.multus) && n.raw.multus.default === true);
  const name = (pod ?? multusDefault)?.raw.name;
  return typeof name === 'string' ? name : undefined;
}

/** Checks the networks list on its own. */
function checkNetworks(nets: NetworkEntry[], cluster: ClusterConfig, issues: IssueCollector): void {
  const names = new DuplicateFinder<string>(issues, 'DUPLICATE_NAME', (n) => `network name ${shown(n)}`);
  let podPath: FieldPath | undefined;
  let multusDefaultPath: FieldPath | undefined;
  for (const net of nets) {
    const raw = net.raw;
    if (typeof raw.name === 'string') names.add(raw.name, [...net.path, 'name']);
    const present = SOURCES.filter((s) => raw[s] !== undefined);
    if (present.length !== 1) {
      issues.error(
        net.path,
        'NETWORK_SOURCE_COUNT',
        present.length === 0
          ? 'a network needs exactly one source: pod, multus or genie'
          : `a network needs exactly one source, this one has ${present.join(' and ')}`,
      );
    }
    if (raw.pod !== undefined) {
      if (podPath)
        issues.error(
          [...net.path, 'pod'],
          'MULTIPLE_POD_NETWORKS',
          `only one pod network is allowed; another is at ${formatFieldPath(podPath)}`,
        );
      else podPath = [...net.path, 'pod'];
    }
    const multus = raw.multus;
    if (isRawMap(multus)) {
      if (multus.default === true) {
        if (multusDefaultPath)
          issues.error(
            [...net.path, 'multus', 'default'],
            'MULTIPLE_MULTUS_DEFAULTS',
            `only one Multus network may be the default; another is at ${formatFieldPath(multusDefaultPath)}`,
          );
        else multusDefaultPath = [...net.path, 'multus', 'default'];
      }
      if (typeof multus.networkName === 'string')
        checkMultusName(multus.networkName, [...net.path, 'multus', 'networkName'], issues);
    }
    const genie = raw.genie;
    if (isRawMap(genie)) {
      issues.warn(
        [...net.path, 'genie'],
        'GENIE_EXTENSION',
        'Genie networks are a virtnet extension: KubeVirt (any version) has no genie source and refuses this network',
      );
      if (typeof genie.networkName === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(genie.networkName)) {
        issues.error(
          [...net.path, 'genie', 'networkName'],
          'NETWORK_NAME_INVALID',
          `Genie networkName ${shown(genie.networkName)} must be a CNI network name (letters, digits, ".", "_", "-")`,
        );
      }
    }
    if (raw.resourceClaim !== undefined) checkResourceClaim(net, cluster, issues);
  }
  if (podPath && multusDefaultPath) {
    issues.error(
      multusDefaultPath,
      'POD_AND_MULTUS_DEFAULT',
      `a Multus default network and a pod network (${formatFieldPath(podPath)}) are mutually exclusive`,
    );
  }
}

/** `networks[].resourceClaim`: refused unless the gate is on; then KubeVirt's rules, then virtnet's refusal. */
function checkResourceClaim(net: NetworkEntry, cluster: ClusterConfig, issues: IssueCollector): void {
  const at = [...net.path, 'resourceClaim'];
  if (!gateEnabled(cluster, 'NetworkDevicesWithDRA')) {
    issues.error(
      at,
      'FEATURE_GATE_DISABLED',
      'resourceClaim networks need the NetworkDevicesWithDRA feature gate, which the cluster configuration does not enable (developerConfiguration.featureGates)',
    );
    return;
  }
  const claim = isRawMap(net.raw.resourceClaim) ? net.raw.resourceClaim : {};
  let complete = true;
  for (const key of ['claimName', 'requestName'] as const) {
    if (typeof claim[key] !== 'string' || claim[key] === '') {
      issues.error([...at, key], 'FIELD_REQUIRED', `${key} is required for a DRA network`);
      complete = false;
    }
  }
  // Stricter than KubeVirt: its launcher hands the claimed device to the VM, virtnet has no DRA driver.
  if (complete)
    issues.error(
      at,
      'DRA_NETWORK_UNSUPPORTED',
      'virtnet cannot attach DRA network devices (it has no resource claim driver); KubeVirt accepts this network, but virtnet run would fail on it',
    );
}

function checkMultusName(name: string, path: FieldPath, issues: IssueCollector): void {
  const parts = name.split('/');
  const ok =
    parts.length === 1
      ? isDnsSubdomain(parts[0]!)
      : parts.length === 2 && isDnsLabel(parts[0]!) && isDnsSubdomain(parts[1]!);
  // KubeVirt only asks for a non-empty name; a NetworkAttachmentDefinition can only have a DNS name,
  // so anything else fails when the pod is created.
  if (!ok)
    issues.error(
      path,
      'NETWORK_NAME_INVALID',
      `Multus networkName ${shown(name)} must be "name" or "namespace/name" (lowercase DNS names): it names a NetworkAttachmentDefinition, and nothing else can be found`,
    );
}

/** Checks the binding of one interface against its network and the cluster. */
function checkBinding(
  iface: InterfaceEntry,
  present: { key: string; kind: BindingKind }[],
  source: SourceKind | undefined,
  cluster: ClusterConfig,
  issues: IssueCollector,
): void {
  const raw = iface.raw;
  const name = typeof raw.name === 'string' ? raw.name : undefined;
  const label = name !== undefined ? `${shown(name)} ` : '';
  if (present.length !== 1) {
    issues.error(
      iface.path,
      'BINDING_COUNT',
      present.length === 0
        ? `interface ${label}needs exactly one binding: ${BINDING_CHOICES}`
        : `interface ${label}has ${present.length} bindings (${present.map((p) => p.key).join(', ')}); exactly one is allowed`,
    );
    return;
  }
  const { key, kind } = present[0]!;
  const bp = entryFieldPath(iface, key);
  // Not for legacy forms (their own warning says it) nor the interface defaulting added (the cluster chose slirp).
  const defaulted = iface.path[iface.path.length - 1] === 'interfaces';
  if (DISCONTINUED_BINDING_KEYS[key] !== undefined && !iface.legacy && !defaulted) {
    issues.warn(
      bp,
      'DISCONTINUED_BINDING',
      `${key}: {} is a virtnet extension: KubeVirt ≥ 1.3 refuses it on new VMs; use ${DISCONTINUED_BINDING_KEYS[key]}`,
    );
  }
  if (key === 'passtBinding' && !gateEnabled(cluster, 'PasstBinding')) {
    issues.error(
      bp,
      'FEATURE_GATE_DISABLED',
      'passtBinding needs the PasstBinding feature gate, which the cluster configuration disables (developerConfiguration.disabledFeatureGates)',
    );
  }
  if (key === 'binding') checkBindingPlugin(iface, cluster, issues);
  if (source === undefined) return;
  const onPod = source === 'pod';
  const net = `network ${label}is ${source === 'pod' ? 'the pod network' : source}`;
  // KubeVirt's own rules for its core bindings.
  if (kind === 'masquerade' && !onPod)
    issues.error(bp, 'MASQUERADE_NOT_POD', `masquerade is only allowed on the pod network; ${net}`);
  if (kind === 'passt' && !onPod) {
    const why =
      key === 'passtBinding'
        ? ''
        : ': virtnet runs passt on the pod interface only, so the VM would fail to start';
    issues.error(bp, 'PASST_NOT_POD', `passt is only allowed on the pod network; ${net}${why}`);
  }
  if (kind === 'slirp' && !onPod)
    issues.error(
      bp,
      'SLIRP_NOT_POD',
      `slirp is only allowed on the pod network; ${net}: QEMU's user network has nothing to attach to elsewhere`,
    );
  if (kind === 'sriov' && onPod)
    issues.error(bp, 'SRIOV_ON_POD_NETWORK', `SR-IOV needs a Multus or Genie network; ${net}`);
  if (kind === 'bridge' && key === 'bridge' && onPod && !cluster.permitBridgeInterfaceOnPodNetwork) {
    issues.error(
      bp,
      'BRIDGE_ON_POD_FORBIDDEN',
      'the cluster forbids bridge on the pod network (permitBridgeInterfaceOnPodNetwork: false); use masquerade',
    );
  }
}

/** `binding: {name: X}`: KubeVirt's admission does not look the plugin up (its launcher does); virtnet warns when it cannot find it. */
function checkBindingPlugin(iface: InterfaceEntry, cluster: ClusterConfig, issues: IssueCollector): void {
  const binding = iface.raw.binding;
  if (!isRawMap(binding) || typeof binding.name !== 'string') return;
  const name = binding.name;
  const at = entryFieldPath(iface, 'binding', 'name');
  const registered = Object.hasOwn(cluster.bindingPlugins, name) ? cluster.bindingPlugins[name] : undefined;
  const builtIn = BUILT_IN_PLUGINS[name];
  if (registered === undefined) {
    const runs =
      builtIn !== undefined
        ? `virtnet runs its own ${builtIn} binding for it`
        : 'virtnet run refuses this interface';
    issues.warn(
      at,
      'BINDING_PLUGIN_NOT_REGISTERED',
      `network binding plugin ${shown(name)} is not registered in the cluster configuration (network.binding.${name.length > 64 ? '<name>' : name}); KubeVirt's launcher refuses the VM then, ${runs}`,
    );
    return;
  }
  if (
    builtIn === undefined &&
    (registered.domainAttachmentType !== 'tap' || !registered.networkAttachmentDefinition)
  ) {
    issues.warn(
      at,
      'BINDING_PLUGIN_UNSUPPORTED',
      `network binding plugin ${shown(name)} is registered without domainAttachmentType: tap and a networkAttachmentDefinition; virtnet runs only plugins whose NAD creates a tap (a sidecar image cannot run here), so virtnet run refuses this interface`,
    );
  }
}

/** Checks everything about interfaces, including against the networks. */
function checkInterfaces(
  ifaces: InterfaceEntry[],
  nets: NetworkEntry[],
  cluster: ClusterConfig,
  issues: IssueCollector,
): void {
  const netByName = new Map<string, NetworkEntry>();
  for (const n of nets)
    if (typeof n.raw.name === 'string' && !netByName.has(n.raw.name)) netByName.set(n.raw.name, n);
  const defaultNet = defaultNetworkName(nets);
  const names = new DuplicateFinder<string>(issues, 'DUPLICATE_NAME', (n) => `interface name ${shown(n)}`);
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
    const binding = present.length === 1 ? present[0]!.kind : undefined;
    const bindingKey = present.length === 1 ? present[0]!.key : '';
    const net = name !== undefined ? netByName.get(name) : undefined;
    if (name !== undefined && !net)
      issues.error(
        at('name'),
        'INTERFACE_WITHOUT_NETWORK',
        `interface ${shown(name)} has no network of the same name in networks`,
      );
    const source = net ? sourceOf(net.raw) : undefined;
    checkBinding(iface, present, source, cluster, issues);
    if (binding === 'masquerade') {
      if (masqueradePath)
        issues.error(
          at(bindingKey),
          'MULTIPLE_MASQUERADE',
          `only one masquerade interface is allowed; another is at ${formatFieldPath(masqueradePath)}`,
        );
      else masqueradePath = at(bindingKey);
    }
    if (typeof raw.macAddress === 'string' && checkMacAddress(raw.macAddress) === undefined) {
      const mac = normaliseMac(raw.macAddress);
      macs.add(mac, at('macAddress'));
      if (binding === 'masquerade' && mac === MASQUERADE_RESERVED_MAC) {
        issues.error(
          at('macAddress'),
          'MASQUERADE_RESERVED_MAC',
          `${MASQUERADE_RESERVED_MAC} is reserved for the in-pod bridge of the masquerade binding`,
        );
      } else if (isMulticastMac(mac)) {
        // Stricter than KubeVirt, which accepts it: the guest's NIC would answer no unicast frame.
        issues.error(
          at('macAddress'),
          'MAC_MULTICAST',
          `MAC address ${mac} is a ${mac === 'ff:ff:ff:ff:ff:ff' ? 'broadcast' : 'multicast (group)'} address; a NIC needs a unicast MAC (KubeVirt accepts it, but the kernel refuses it on the tap and the VM would get no traffic)`,
        );
      } else if (isZeroMac(mac)) {
        issues.error(
          at('macAddress'),
          'MAC_ZERO',
          'MAC address 00:00:00:00:00:00 is not a device address: the kernel refuses it (KubeVirt accepts it; the VM would fail to start)',
        );
      }
    }
    if (typeof raw.pciAddress === 'string' && isPciAddress(raw.pciAddress))
      pcis.add(normalisePciAddress(raw.pciAddress), at('pciAddress'));
    if (typeof raw.acpiIndex === 'number' && Number.isInteger(raw.acpiIndex) && raw.acpiIndex !== 0)
      acpis.add(raw.acpiIndex, at('acpiIndex'));
    checkPorts(iface, binding, source, issues);
    checkPortRanges(iface, binding, source, cluster, issues);
    checkDhcp(iface, issues);
    if (raw.state === 'absent') {
      if (bindingKey !== 'bridge')
        issues.error(
          at('state'),
          'STATE_ABSENT_NOT_SUPPORTED',
          'state: absent is only supported on a bridge interface',
        );
      else if (name !== undefined && name === defaultNet)
        issues.error(
          at('state'),
          'STATE_ABSENT_NOT_SUPPORTED',
          `state: absent is not supported on the default network (${source === 'multus' ? 'the Multus network with default: true' : 'the pod network'})`,
        );
    }
    if ((raw.state === 'up' || raw.state === 'down') && binding === 'sriov') {
      issues.error(
        at('state'),
        'STATE_ON_SRIOV',
        `state: ${raw.state} is not supported on an SR-IOV interface`,
      );
    }
  }
  const ifaceNames = new Set<unknown>(ifaces.map((i) => i.raw.name));
  for (const net of nets) {
    const n = net.raw.name;
    if (net.synthesized || typeof n !== 'string') continue;
    if (!ifaceNames.has(n))
      issues.error(
        [...net.path, 'name'],
        'NETWORK_WITHOUT_INTERFACE',
        `network ${shown(n)} has no interface of the same name in domain.devices.interfaces`,
      );
  }
}

/** `ports`, judged as KubeVirt does: only on the pod network (elsewhere nothing forwards them). */
function checkPorts(
  iface: InterfaceEntry,
  binding: BindingKind | undefined,
  source: SourceKind | undefined,
  issues: IssueCollector,
): void {
  const ports = iface.raw.ports;
  if (!Array.isArray(ports) || ports.length === 0) return;
  if (binding && !PORT_FORWARDING.includes(binding)) {
    issues.warn(
      entryFieldPath(iface, 'ports'),
      'PORTS_IGNORED',
      `ports are only forwarded by masquerade, slirp and passt; with ${binding} they are ignored`,
    );
  }
  if (source !== 'pod') return;
  const names = new DuplicateFinder<string>(issues, 'DUPLICATE_PORT_NAME', (n) => `port name ${shown(n)}`);
  // KubeVirt accepts the same port twice; forwarding it twice is harmless, so only a warning.
  const numbers = new DuplicateFinder<string>(issues, 'DUPLICATE_PORT', (k) => `port ${k}`, 'warn');
  ports.forEach((p, i) => {
    if (!isRawMap(p)) return;
    const at = (key: string) => entryFieldPath(iface, 'ports', i, key);
    if (typeof p.name === 'string' && p.name !== '') {
      names.add(p.name, at('name'));
      const bad = checkPortName(p.name);
      if (bad) issues.error(at('name'), bad[0], bad[1]);
    }
    if (typeof p.port === 'number' && Number.isInteger(p.port)) {
      if (p.port === 0) issues.error(at('port'), 'PORT_REQUIRED', 'port is required (0 is not a port)');
      else if (p.port < 0 || p.port > 65535)
        issues.error(at('port'), 'PORT_RANGE', `port must be an integer from 1 to 65535, got ${p.port}`);
    }
    const protocol = p.protocol ?? 'TCP';
    if (typeof protocol === 'string' && protocol !== 'TCP' && protocol !== 'UDP' && protocol !== '') {
      issues.error(
        at('protocol'),
        'PROTOCOL_INVALID',
        `protocol must be TCP or UDP (upper case), got ${shown(protocol)}`,
      );
    }
    if (typeof p.port === 'number' && (protocol === 'TCP' || protocol === 'UDP' || protocol === ''))
      numbers.add(`${p.port}/${protocol || 'TCP'}`, at('port'));
  });
}

/** `portRanges` (KubeVirt's PortRangesSpec gate): refused with the gate off; KubeVirt's rules with it on. */
function checkPortRanges(
  iface: InterfaceEntry,
  binding: BindingKind | undefined,
  source: SourceKind | undefined,
  cluster: ClusterConfig,
  issues: IssueCollector,
): void {
  const ranges = iface.raw.portRanges;
  if (ranges === undefined || ranges === null) return;
  const at = entryFieldPath(iface, 'portRanges');
  if (!gateEnabled(cluster, 'PortRangesSpec')) {
    issues.error(
      at,
      'FEATURE_GATE_DISABLED',
      'portRanges needs the PortRangesSpec feature gate, which the cluster configuration does not enable (developerConfiguration.featureGates)',
    );
    return;
  }
  if (source !== 'pod' || !Array.isArray(ranges)) return;
  if (Array.isArray(iface.raw.ports))
    issues.error(at, 'PORT_RANGES_WITH_PORTS', 'ports and portRanges cannot both be given on one interface');
  if (binding !== 'masquerade')
    issues.error(at, 'PORT_RANGES_NOT_MASQUERADE', 'portRanges are only supported on masquerade interfaces');
  if (ranges.length > 10) {
    issues.error(at, 'PORT_RANGES_TOO_MANY', `at most 10 portRanges are allowed, got ${ranges.length}`);
    return;
  }
  const byProtocol = new Map<string, { start: number; end: number }[]>();
  ranges.forEach((r, i) => {
    if (!isRawMap(r) || typeof r.start !== 'number' || typeof r.end !== 'number') return;
    const field = (key: string) => [...at, i, key];
    const protocol = r.protocol;
    if (protocol !== 'TCP' && protocol !== 'UDP')
      issues.error(
        field('protocol'),
        'PROTOCOL_INVALID',
        `protocol must be TCP or UDP, got ${typeof protocol === 'string' ? shown(protocol) : 'none'}`,
      );
    else if (r.start <= 0 || r.start >= 65536)
      issues.error(field('start'), 'PORT_RANGE', `start must be a port from 1 to 65535, got ${r.start}`);
    else if (r.end <= 0 || r.end >= 65536)
      issues.error(field('end'), 'PORT_RANGE', `end must be a port from 1 to 65535, got ${r.end}`);
    else if (r.start > r.end)
      issues.error(field('start'), 'PORT_RANGE', `start ${r.start} is after end ${r.end}`);
    else byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), { start: r.start, end: r.end }]);
  });
  for (const [protocol, list] of byProtocol) {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.start <= prev.end)
        issues.error(
          at,
          'PORT_RANGES_OVERLAP',
          `${protocol} portRanges ${prev.start}-${prev.end} and ${cur.start}-${cur.end} overlap`,
        );
    }
  }
  // Accepted: virtnet's masquerade forwards every port when an interface lists none (KubeVirt's rule for no ports).
  issues.warn(
    at,
    'PORT_RANGES_FORWARD_ALL',
    'virtnet forwards every port of this interface (as without ports), not only these ranges',
  );
}

function checkDhcp(iface: InterfaceEntry, issues: IssueCollector): void {
  const raw = iface.raw;
  const opts = raw.dhcpOptions;
  if (!isRawMap(opts)) return;
  for (const key of ['bootFileName', 'tftpServerName'] as const) {
    if (typeof raw[key] === 'string' && typeof opts[key] === 'string' && raw[key] !== opts[key]) {
      issues.error(
        entryFieldPath(iface, key),
        'DHCP_OPTION_CONFLICT',
        `${key} differs from dhcpOptions.${key}; give it once (dhcpOptions.${key} is the modern form)`,
      );
    }
  }
  const privs = opts.privateOptions;
  if (!Array.isArray(privs)) return;
  const seen = new DuplicateFinder<number>(
    issues,
    'DUPLICATE_DHCP_PRIVATE_OPTION',
    (o) => `DHCP private option ${o}`,
  );
  privs.forEach((p, i) => {
    if (isRawMap(p) && typeof p.option === 'number')
      seen.add(p.option, entryFieldPath(iface, 'dhcpOptions', 'privateOptions', i, 'option'));
  });
}

/** Boot orders are unique across interfaces and disks (both are boot devices). */
function checkBootOrders(
  ifaces: InterfaceEntry[],
  disks: unknown,
  disksPath: FieldPath,
  issues: IssueCollector,
): void {
  const orders = new DuplicateFinder<number>(issues, 'DUPLICATE_BOOT_ORDER', (o) => `bootOrder ${o}`);
  if (Array.isArray(disks)) {
    disks.forEach((d, i) => {
      // Disks are not ours to judge: only an interface clashing with a disk is reported.
      if (isRawMap(d) && typeof d.bootOrder === 'number')
        orders.seed(d.bootOrder, [...disksPath, i, 'bootOrder']);
    });
  }
  for (const iface of ifaces) {
    if (typeof iface.raw.bootOrder === 'number')
      orders.add(iface.raw.bootOrder, entryFieldPath(iface, 'bootOrder'));
  }
}

/** Runs every cross-field rule, recording issues. */
export function checkNetworkRules(
  input: {
    interfaces: InterfaceEntry[];
    networks: NetworkEntry[];
    disks: unknown;
    disksPath: FieldPath;
    cluster: ClusterConfig;
  },
  issues: IssueCollector,
): void {
  checkNetworks(input.networks, input.cluster, issues);
  checkInterfaces(input.interfaces, input.networks, input.cluster, issues);
  checkBootOrders(input.interfaces, input.disks, input.disksPath, issues);
}
