// Every network a pod can ask for: the conf dir (kubelet's default network, Genie's lookups) and
// NetworkAttachmentDefinitions (Multus). Resolves a reference to a configuration list and the name
// network-status reports for it.
import { existsSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { defaultNetwork, findNetworkByName, type ConfDirContents } from './conf-dir-contents.js';
import { loadConfDir } from './conf-dir.js';
import { SHIPPED_CONF_DIR, withHostLocalDataDir } from './default-conf.js';
import { loadNadFiles, type NetworkAttachmentDefinition } from './nad.js';
import type { NetworkConfList } from './net-conf.js';

/** Where networks come from. */
export interface CatalogOptions {
  /** CNI conf dir; virtnet's shipped configuration when absent. */
  cniConfDir?: string;
  nadFiles?: string[];
  /** NADs already decoded (read from an API server), besides those of nadFiles. */
  nads?: NetworkAttachmentDefinition[];
  /** The cluster default network, when it is not the conf dir's first configuration (a delegating plugin's own). */
  defaultNetwork?: NetworkConfList;
  stateDir: string;
}

/** A resolved network. */
export interface ResolvedNetwork {
  /** The name network-status reports: `ns/name` for a NAD, the network name for a conf dir entry. */
  statusName: string;
  list: NetworkConfList;
  resourceName?: string;
}

/** The loaded networks. */
export class NetworkCatalog {
  private confDirContents: ConfDirContents | undefined;
  readonly nads: NetworkAttachmentDefinition[];

  constructor(private readonly opts: CatalogOptions) {
    this.nads = [...loadNadFiles(opts.nadFiles ?? []), ...(opts.nads ?? [])];
  }

  /** The conf dir, read on first use. */
  confDir(): ConfDirContents {
    if (!this.confDirContents) {
      const dir = this.opts.cniConfDir ?? SHIPPED_CONF_DIR;
      let contents = loadConfDir(dir);
      if (this.opts.cniConfDir === undefined) {
        // The shipped network keeps its host-local allocations with the rest of virtnet's state.
        contents = {
          ...contents,
          networks: contents.networks.map((n) => ({
            ...n,
            list: withHostLocalDataDir(n.list, this.opts.stateDir),
          })),
        };
      }
      this.confDirContents = contents;
    }
    return this.confDirContents;
  }

  /** True when a conf dir is available (explicit or shipped). */
  hasConfDir(): boolean {
    return existsSync(this.opts.cniConfDir ?? SHIPPED_CONF_DIR);
  }

  /** The cluster default network: the one given, else the first configuration of the conf dir. */
  clusterDefault(): ResolvedNetwork {
    const given = this.opts.defaultNetwork;
    if (given) return { statusName: given.name, list: given };
    const n = defaultNetwork(this.confDir());
    return { statusName: n.list.name, list: n.list };
  }

  /**
   * A Multus reference: the NAD `namespace/name` (its spec.config, or the conf dir file of that name
   * when the NAD has none); without a matching NAD, a conf dir network of that name.
   */
  resolveMultus(
    ref: { name: string; namespace?: string },
    podNamespace: string,
    field: string,
  ): ResolvedNetwork {
    const namespace = ref.namespace ?? podNamespace;
    const nad = this.nads.find((n) => n.name === ref.name && n.namespace === namespace);
    if (nad) {
      const list = nad.list ?? findNetworkByName(this.confDir(), nad.name)?.list;
      if (!list) {
        throw new VirtnetError(
          'CNI_NETWORK_NOT_FOUND',
          `NetworkAttachmentDefinition ${namespace}/${nad.name} has no spec.config and no configuration named ${nad.name} exists in ${this.confDir().dir}`,
          { field, network: `${namespace}/${ref.name}` },
        );
      }
      const out: ResolvedNetwork = { statusName: `${namespace}/${nad.name}`, list };
      if (nad.resourceName) out.resourceName = nad.resourceName;
      return out;
    }
    const fromDir =
      ref.namespace === undefined && this.hasConfDir()
        ? findNetworkByName(this.confDir(), ref.name)
        : undefined;
    if (fromDir) return { statusName: fromDir.list.name, list: fromDir.list };
    throw new VirtnetError(
      'CNI_NETWORK_NOT_FOUND',
      `network ${namespace}/${ref.name} not found (no NetworkAttachmentDefinition${ref.namespace === undefined ? ' and no conf dir network' : ''} of that name)`,
      { field, network: `${namespace}/${ref.name}` },
    );
  }

  /** A network by plain name (`name` or `ns/name`), as the CNI proxy and `virtnet cni --network` take it. */
  resolveByName(name: string, podNamespace: string, field: string): ResolvedNetwork {
    const slash = name.indexOf('/');
    return slash >= 0
      ? this.resolveMultus(
          { namespace: name.slice(0, slash), name: name.slice(slash + 1) },
          podNamespace,
          field,
        )
      : this.resolveMultus({ name }, podNamespace, field);
  }
}
