// What a VM's pod must ask for so every VM network lands on a pod interface: the Multus networks
// annotation (KubeVirt's hashed `pod<sha256[:11]>` interface names), the Multus default-network
// override, or the Genie list — and, for each spec network, the pod interface it lands on. Reads
// Multus' ordinal `net1..N` names from an existing network-status too. Pure: data in, data out.
import { VirtnetError } from '../errors/virtnet-error.js';
import type { BindingPluginConfig, NetworkSpec, VmSpec } from '../api/types.js';
import { genieIfname } from './genie-annotation.js';
import { formatNetworksAnnotation, type NetworkSelection } from './multus-annotation.js';
import type { NetworkStatusEntry } from './network-status.js';
import { DEFAULT_POD_IFNAME, hashedPodIfname, ordinalPodIfname, pluginTapIfname } from './pod-ifname.js';

/** Where one spec network lands in the pod. */
export interface VmNetworkAttachment {
  /** spec.networks[].name */
  network: string;
  podInterface: string;
  source: 'pod' | 'multus' | 'genie';
  /** True for the network on eth0. */
  default: boolean;
}

/** The pod-side request for a VM's networks. */
export interface VmPodNetworks {
  /** `k8s.v1.cni.cncf.io/networks` (JSON form), when the VM has Multus secondary networks. */
  networks?: string;
  /** `v1.multus-cni.io/default-network`, when a Multus network is the default. */
  defaultNetwork?: string;
  /** Genie's `cni` annotation, when the VM uses Genie networks. */
  genie?: string;
  /** Spec network name → pod interface name. */
  interfaces: Record<string, string>;
  /** The same in spec order, with the source of each. */
  attachments: VmNetworkAttachment[];
  /**
   * VM interface name → the tap its binding plugin's NetworkAttachmentDefinition creates in the pod
   * (plugins registered with `domainAttachmentType: tap`); that NAD is in `networks` too.
   */
  pluginTaps: Record<string, string>;
}

function conflict(i: number, message: string): VirtnetError {
  return new VirtnetError('VM_NETWORKS_CONFLICT', message, { field: `spec.networks[${i}]` });
}

function splitNamespace(vmNamespace: string, networkName: string): { namespace: string; name: string } {
  const slash = networkName.indexOf('/');
  return slash >= 0
    ? { namespace: networkName.slice(0, slash), name: networkName.slice(slash + 1) }
    : { namespace: vmNamespace, name: networkName };
}

/** The pod interface of a Multus secondary network: the hashed name, or the ordinal one the pod already uses. */
function secondaryIfname(
  network: NetworkSpec,
  ordinal: number,
  status: readonly NetworkStatusEntry[] | undefined,
): string {
  const hashed = hashedPodIfname(network.name);
  if (!status) return hashed;
  const present = new Set(status.map((s) => s.interface));
  if (present.has(hashed)) return hashed;
  const ord = ordinalPodIfname(ordinal);
  return present.has(ord) ? ord : hashed;
}

/**
 * Maps `spec.networks` to the pod's network request. `networkStatus` (an existing pod's) makes
 * secondary networks resolve to the ordinal names that pod actually has.
 */
export function podNetworksForVm(
  spec: VmSpec,
  opts: {
    networkStatus?: readonly NetworkStatusEntry[];
    bindingPlugins?: Record<string, BindingPluginConfig>;
  } = {},
): VmPodNetworks {
  const out: VmPodNetworks = { interfaces: {}, attachments: [], pluginTaps: {} };
  const absent = new Set(spec.interfaces.filter((i) => i.state === 'absent').map((i) => i.name));
  const macOf = new Map(
    spec.interfaces.filter((i) => i.macAddress !== undefined).map((i) => [i.name, i.macAddress!]),
  );
  const selections: NetworkSelection[] = [];
  const genie: string[] = [];
  let defaultAt: number | undefined;
  let ordinal = 0;
  spec.networks.forEach((net, i) => {
    const src = net.source;
    const isDefault = src.kind === 'pod' || (src.kind === 'multus' && src.default);
    if (isDefault) {
      if (defaultAt !== undefined)
        throw conflict(
          i,
          `networks ${spec.networks[defaultAt]!.name} and ${net.name} both claim the pod's default network`,
        );
      defaultAt = i;
    }
    if (src.kind === 'genie' && (selections.length > 0 || out.defaultNetwork !== undefined))
      throw conflict(i, 'Genie and Multus networks cannot be mixed in one VM');
    if (src.kind === 'multus' && genie.length > 0)
      throw conflict(i, 'Genie and Multus networks cannot be mixed in one VM');
    let podInterface: string;
    if (src.kind === 'pod') {
      if (genie.length > 0)
        throw conflict(i, 'a pod network cannot be combined with Genie networks (Genie chooses eth0)');
      podInterface = DEFAULT_POD_IFNAME;
    } else if (src.kind === 'multus' && src.default) {
      out.defaultNetwork =
        src.namespace !== undefined ? `${src.namespace}/${src.networkName}` : src.networkName;
      podInterface = DEFAULT_POD_IFNAME;
    } else if (src.kind === 'multus') {
      ordinal++;
      podInterface = secondaryIfname(net, ordinal, opts.networkStatus);
      if (!absent.has(net.name)) {
        const ref =
          src.namespace !== undefined
            ? { namespace: src.namespace, name: src.networkName }
            : splitNamespace(spec.namespace, src.networkName);
        const sel: NetworkSelection = { name: ref.name, namespace: ref.namespace, interface: podInterface };
        const mac = macOf.get(net.name);
        if (mac !== undefined) sel.mac = mac;
        selections.push(sel);
      }
    } else {
      if (defaultAt !== undefined && spec.networks[defaultAt]!.source.kind === 'pod')
        throw conflict(i, 'Genie networks cannot be combined with a pod network (Genie chooses eth0)');
      podInterface = genieIfname(genie.length);
      genie.push(src.networkName);
    }
    out.interfaces[net.name] = podInterface;
    out.attachments.push({
      network: net.name,
      podInterface,
      source: src.kind,
      default: isDefault || (src.kind === 'genie' && podInterface === DEFAULT_POD_IFNAME),
    });
  });
  // Binding plugins that attach through a tap: their NAD's CNI plugin creates the tap in the pod,
  // asked for as one more Multus network whose interface is the tap (KubeVirt's network binding plugin API).
  for (const iface of spec.interfaces) {
    const plugin =
      iface.binding === 'plugin' &&
      iface.bindingPlugin !== undefined &&
      Object.hasOwn(opts.bindingPlugins ?? {}, iface.bindingPlugin)
        ? opts.bindingPlugins![iface.bindingPlugin]!
        : undefined;
    if (
      !plugin ||
      plugin.domainAttachmentType !== 'tap' ||
      !plugin.networkAttachmentDefinition ||
      iface.state === 'absent'
    )
      continue;
    const tap = pluginTapIfname(iface.name);
    const ref = splitNamespace(spec.namespace, plugin.networkAttachmentDefinition);
    selections.push({
      name: ref.name,
      namespace: ref.namespace,
      interface: tap,
      cniArgs: { logicNetworkName: iface.name },
    });
    out.pluginTaps[iface.name] = tap;
  }
  if (selections.length > 0) out.networks = formatNetworksAnnotation(selections);
  if (genie.length > 0) out.genie = genie.join(',');
  return out;
}
