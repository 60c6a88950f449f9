// The CNI configuration virtnet ships (config/10-virtnet.conflist): a bridge network with host-local
// IPv4+IPv6 addresses, MAC requests through tuning and port mappings through portmap, so embedded
// pods work with no configuration. Its host-local allocations live under the state dir.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { NetworkConfList } from './net-conf.js';

/** Directory of the shipped configuration (works from src/ with tsx and from dist/). */
export const SHIPPED_CONF_DIR = fileURLToPath(new URL('../../config/', import.meta.url));

/** Where host-local keeps allocations of networks virtnet configured itself. */
export function hostLocalDataDir(stateDir: string): string {
  return join(stateDir, 'cni', 'networks');
}

/** `list` with host-local's dataDir pointed into the state dir wherever the config leaves it unset. */
export function withHostLocalDataDir(list: NetworkConfList, stateDir: string): NetworkConfList {
  return {
    ...list,
    plugins: list.plugins.map((p) => {
      const ipam = p.ipam as Record<string, unknown> | undefined;
      if (!ipam || ipam.type !== 'host-local' || ipam.dataDir !== undefined) return p;
      return { ...p, ipam: { ...ipam, dataDir: hostLocalDataDir(stateDir) } };
    }),
  };
}
