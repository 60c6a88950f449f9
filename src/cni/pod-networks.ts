// Which attachments a pod gets, in order, before anything is created: the default network on eth0
// (conf dir default, a Multus default-network override, or Genie's first entry), then each Multus
// secondary network on its own interface. All input errors surface here, with the field at fault.
import { normaliseMac } from '../api/mac-address.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { genieIfname, parseGenieAnnotation, resolveGenieNetwork } from './genie-annotation.js';
import {
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
  type NetworkSelection,
} from './multus-annotation.js';
import type { NetworkCatalog } from './network-catalog.js';
import type { NetworkConfList } from './net-conf.js';
import { DEFAULT_POD_IFNAME, ordinalPodIfname } from './pod-ifname.js';

export type AttachmentSource = 'default' | 'multus' | 'genie' | 'proxy';

/** One attachment to create. */
export interface PlannedAttachment {
  name: string;
  source: AttachmentSource;
  ifname: string;
  /** True for the pod's default network (eth0). */
  default: boolean;
  list: NetworkConfList;
  /** Extra CNI_ARGS beyond the pod identity (Multus MAC=, IP=). */
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
  /** Gateways Multus' `default-route` asks for. */
  defaultRoute?: string[];
  resourceName?: string;
}

/** What the pod asks for. */
export interface PodNetworkRequest {
  podNamespace: string;
  /** `k8s.v1.cni.cncf.io/networks`. */
  networks?: string;
  /** `v1.multus-cni.io/default-network`. */
  defaultNetwork?: string;
  /** Genie's `cni` annotation. */
  genie?: string;
}

/** The capability values and CNI_ARGS a selection element asks for (as Multus passes them). */
export function selectionRuntime(sel: Pick<NetworkSelection, 'mac' | 'ips' | 'portMappings' | 'bandwidth'>): {
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
} {
  const cniArgs: [string, string][] = [];
  const capabilityArgs: Record<string, unknown> = {};
  if (sel.mac !== undefined) {
    const mac = normaliseMac(sel.mac);
    cniArgs.push(['MAC', mac]);
    capabilityArgs.mac = mac;
  }
  if (sel.ips !== undefined && sel.ips.length > 0) {
    cniArgs.push(['IP', sel.ips.join(',')]);
    capabilityArgs.ips = sel.ips;
  }
  if (sel.portMappings !== undefined) capabilityArgs.portMappings = sel.portMappings;
  if (sel.bandwidth !== undefined) capabilityArgs.bandwidth = sel.bandwidth;
  return { cniArgs, capabilityArgs };
}

function withCniArgs(list: NetworkConfList, cniArgs: Record<string, unknown> | undefined): NetworkConfList {
  if (!cniArgs) return list;
  return {
    ...list,
    plugins: list.plugins.map((p) => {
      const args = (p.args ?? {}) as Record<string, unknown>;
      const cni = (args.cni ?? {}) as Record<string, unknown>;
      return { ...p, args: { ...args, cni: { ...cni, ...cniArgs } } };
    }),
  };
}

/** Resolves the pod's attachments in creation order. Throws before anything exists. */
export function planPodAttachments(req: PodNetworkRequest, catalog: NetworkCatalog): PlannedAttachment[] {
  const out: PlannedAttachment[] = [];
  const selections = req.networks !== undefined ? parseNetworksAnnotation(req.networks) : [];

  if (req.genie !== undefined) {
    if (req.defaultNetwork !== undefined || selections.length > 0) {
      throw new VirtnetError(
        'POD_NETWORKS_CONFLICT',
        'Genie and Multus annotations cannot be used together on one pod',
        { field: 'genie' },
      );
    }
    const contents = catalog.confDir();
    parseGenieAnnotation(req.genie).forEach((entry, i) => {
      const n = resolveGenieNetwork(contents, entry, `genie[${i}]`);
      out.push({
        name: n.list.name,
        source: 'genie',
        ifname: genieIfname(i),
        default: i === 0,
        list: n.list,
        cniArgs: [],
        capabilityArgs: {},
      });
    });
    return out;
  }

  const def =
    req.defaultNetwork !== undefined
      ? catalog.resolveMultus(
          parseDefaultNetworkAnnotation(req.defaultNetwork),
          req.podNamespace,
          'defaultNetwork',
        )
      : catalog.clusterDefault();
  out.push({
    name: def.statusName,
    source: 'default',
    ifname: DEFAULT_POD_IFNAME,
    default: true,
    list: def.list,
    cniArgs: [],
    capabilityArgs: {},
  });

  selections.forEach((sel, i) => {
    const field = `networks[${i}]`;
    const n = catalog.resolveMultus(sel, req.podNamespace, field);
    const ifname = sel.interface ?? ordinalPodIfname(i + 1);
    const clash = out.find((a) => a.ifname === ifname);
    if (clash)
      throw new VirtnetError(
        'POD_IFNAME_DUPLICATE',
        `interface ${ifname} of network ${n.statusName} is already used by ${clash.name}`,
        { field: `${field}.interface`, device: ifname },
      );
    const rt = selectionRuntime(sel);
    const planned: PlannedAttachment = {
      name: n.statusName,
      source: 'multus',
      ifname,
      default: false,
      list: withCniArgs(n.list, sel.cniArgs),
      ...rt,
    };
    if (sel.defaultRoute) {
      planned.defaultRoute = sel.defaultRoute;
      planned.default = true;
    }
    if (n.resourceName) planned.resourceName = n.resourceName;
    out.push(planned);
  });
  return out;
}
