// What a CNI configuration directory holds once read (conf-dir.ts reads it), and the lookups in it.
// The first valid configuration is the default network. Pure: no I/O.
import { VirtnetError } from '../errors/virtnet-error.js';
import type { NetworkConfList } from './net-conf.js';

/** A network found in a conf dir, with the file it came from. */
export interface ConfDirNetwork {
  file: string;
  list: NetworkConfList;
}

/** What a conf dir holds: valid networks in order and the files that were skipped, with why. */
export interface ConfDirContents {
  dir: string;
  networks: ConfDirNetwork[];
  skipped: { file: string; error: VirtnetError }[];
}

/** The default network: the first valid configuration. Throws CNI_NO_DEFAULT_NETWORK when there is none. */
export function defaultNetwork(contents: ConfDirContents): ConfDirNetwork {
  const first = contents.networks[0];
  if (!first) {
    const why = contents.skipped.map((s) => s.error.message).join('; ');
    throw new VirtnetError(
      'CNI_NO_DEFAULT_NETWORK',
      `no valid CNI configuration in ${contents.dir}${why ? ` (${why})` : ''}`,
      { field: 'cniConfDir', dir: contents.dir },
    );
  }
  return first;
}

/** The network named `name` in the conf dir, if any. */
export function findNetworkByName(contents: ConfDirContents, name: string): ConfDirNetwork | undefined {
  return contents.networks.find((n) => n.list.name === name);
}

/** The first network whose (first) plugin type is `type` (CNI-Genie's lookup by plugin name). */
export function findNetworkByType(contents: ConfDirContents, type: string): ConfDirNetwork | undefined {
  return contents.networks.find((n) => n.list.plugins[0]?.type === type);
}
