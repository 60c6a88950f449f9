// A CNI configuration directory (/etc/cni/net.d): `.conf`, `.conflist` and `.json` files in lexical
// order, as kubelet and libcni read them. Reading it is I/O; looking networks up in what was read is
// pure and lives in conf-dir-contents.ts, so that planners can use it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import type { ConfDirContents } from './conf-dir-contents.js';
import { parseNetworkConfig } from './net-conf.js';

const CONF_EXTENSIONS = ['.conf', '.conflist', '.json'];

/** Reads every configuration in `dir` (lexical order); invalid files are skipped and reported. */
export function loadConfDir(dir: string): ConfDirContents {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new VirtnetError(
      'CNI_CONF_DIR_UNREADABLE',
      `cannot read CNI configuration directory ${dir}: ${(err as Error).message}`,
      { field: 'cniConfDir', dir },
    );
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
