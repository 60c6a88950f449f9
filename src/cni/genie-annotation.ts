// CNI-Genie's pod annotation `cni: "flannel,ovs"`: an ordered list of networks, each looked up in the
// conf dir by network name and then by plugin type; the first one becomes eth0, the next eth1, …
import { VirtnetError } from '../errors/virtnet-error.js';
import {
  findNetworkByName,
  findNetworkByType,
  type ConfDirContents,
  type ConfDirNetwork,
} from './conf-dir-contents.js';

export const GENIE_ANNOTATION = 'cni';

const ENTRY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Parses the Genie annotation into its ordered, non-empty, unique entries. */
export function parseGenieAnnotation(value: string): string[] {
  const entries = value.split(',').map((s) => s.trim());
  if (entries.length === 0 || entries.every((e) => e === '')) {
    throw new VirtnetError('GENIE_ANNOTATION_INVALID', 'cni annotation: no networks listed', {
      field: 'genie',
    });
  }
  entries.forEach((e, i) => {
    if (!ENTRY_RE.test(e))
      throw new VirtnetError(
        'GENIE_ANNOTATION_INVALID',
        `cni annotation: invalid network ${JSON.stringify(e)}`,
        { field: `genie[${i}]` },
      );
    if (entries.indexOf(e) !== i)
      throw new VirtnetError('GENIE_ANNOTATION_INVALID', `cni annotation: network ${e} listed twice`, {
        field: `genie[${i}]`,
      });
  });
  return entries;
}

/** Genie's interface name for the `index`-th listed network (0-based): eth0, eth1, … */
export function genieIfname(index: number): string {
  return `eth${index}`;
}

/** Looks a Genie entry up: a network of that name, else the first whose plugin type is that name. */
export function resolveGenieNetwork(contents: ConfDirContents, entry: string, field: string): ConfDirNetwork {
  const found = findNetworkByName(contents, entry) ?? findNetworkByType(contents, entry);
  if (!found) {
    throw new VirtnetError(
      'GENIE_NETWORK_NOT_FOUND',
      `Genie network ${entry} matches no network name or plugin type in ${contents.dir}`,
      { field, network: entry },
    );
  }
  return found;
}
