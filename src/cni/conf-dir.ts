// A CNI configuration directory (/etc/cni/net.d): `.conf`, `.conflist` and `.json` files in lexical
// order, as kubelet and libcni read them. The first valid one is the default network.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import { parseNetworkConfig, type NetworkConfList } from './net-conf.js';

const CONF_EXTENSIONS = ['.conf', '.conflist', '.json'];

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

/** Reads every configuration in `dir` (lexical order); invalid files are skipped and reported. */
export function loadConfDir(dir: string): ConfDirContents {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new VirtnetError('CNI_CONF_DIR_UNREADABLE', `cannot read CNI configuration directory ${dir}: ${(err as Error).message}`, { field: 'cniConfDir', dir });
  }
  const out: ConfDirContents = { dir, networks: [], skipped: [] };
  for (const name of names.filter((n) => CONF_EXTENSIONS.some((e) => n.endsWith(e))).sort()) {
    const file = join(dir, name);
    try {
      out.networks.push({ file, list: parseNetworkConfig(readFileSync(file, 'utf8'), file) });
    } catch (err) {
      if (err instanceof VirtnetError) out.skipped.push({ file, error: err });
      else throw err;
    }
  }
  return out;
}

/** The default network: the first valid configuration. Throws CNI_NO_DEFAULT_NETWORK when there is none. */
export function defaultNetwork(contents: ConfDirContents): ConfDirNetwork {
  const first = contents.networks[0];
  if (!first) {
    const why = contents.skipped.map((s) => s.error.message).join('; ');
    throw new VirtnetError('CNI_NO_DEFAULT_NETWORK', `no valid CNI configuration in ${contents.dir}${why ? ` (${why})` : ''}`, { field: 'cniConfDir', dir: contents.dir });
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
