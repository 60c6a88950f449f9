// Installing the delegating CNI plugin on a node, as Multus' daemon installs its thin plugin: an
// executable `virtnet-cni` in the runtime's CNI bin dir (a shim starting Node on virtnet's dist/), a
// conflist sorting first in the runtime's CNI conf dir that makes it the default network and names
// the real default network (clusterNetwork), and a kubeconfig for its ServiceAccount. Writes are
// atomic (write, then rename), so the runtime never reads half a file.
//
// What a node needs (the node agent copies it from its image onto the host, as Multus copies its binary):
//   <home>/dist/, <home>/package.json (ESM), <home>/node_modules/yaml (the plugin's only package),
//   <home>/build/Release/*.node (the native addons, required), and a Node binary (<home>/node, say);
//   <cni bin dir>/virtnet-cni   the shim (cniPluginShim), exec'ing that Node on dist/cli/cni-plugin-main.js;
//   <cni conf dir>/00-virtnet.conflist   cniPluginConflist: clusterNetwork = the node's default network file;
//   a kubeconfig for the virtnet-cni ServiceAccount (cniPluginKubeconfig, token in a file the agent renews).
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfDir } from '../cni/conf-dir.js';
import { POD_ANNOTATIONS_CAPABILITY } from '../cni/delegating/delegating-conf.js';
import type { NetworkConfList } from '../cni/net-conf.js';
import { VirtnetError } from '../errors/virtnet-error.js';

export const CNI_PLUGIN_TYPE = 'virtnet-cni';
/** Sorts before any usual default network file, so the runtime picks it. */
export const CNI_PLUGIN_CONF_FILE = '00-virtnet.conflist';

/** The executable installed as `<binDir>/virtnet-cni`: absolute paths only (the runtime's PATH is not ours). */
export function cniPluginShim(node: string, home: string, loader?: { path: string; libDir: string }): string {
  const paths: [string, string][] = [
    ['node', node],
    ['home', home],
    ...(loader
      ? ([
          ['loader', loader.path],
          ['libDir', loader.libDir],
        ] as [string, string][])
      : []),
  ];
  for (const [what, p] of paths)
    if (!p.startsWith('/') || /['\n]/.test(p))
      throw new VirtnetError('CNI_INSTALL_INVALID', `${what} must be an absolute path without quotes`, {
        field: what,
      });
  // A bundled Node runs through its own loader and libraries, whatever the host has.
  const run = loader ? `'${loader.path}' --library-path '${loader.libDir}' '${node}'` : `'${node}'`;
  return `#!/bin/sh\n# virtnet's delegating CNI plugin (installed by virtnet; do not edit).\nexec ${run} '${home}/dist/cli/cni-plugin-main.js'\n`;
}

/** The virtnet home the shim installed in `binDir` runs, if there is one. */
export function installedCniPluginHome(binDir: string): string | undefined {
  try {
    const shim = readFileSync(join(binDir, CNI_PLUGIN_TYPE), 'utf8');
    return /'([^']+)\/dist\/cli\/cni-plugin-main\.js'/.exec(shim)?.[1];
  } catch {
    return undefined;
  }
}

/** What the installed configuration says. */
export interface CniPluginConfOptions {
  /** Network name; libcni's cache files of this network start with it. */
  name: string;
  /** The real default network's configuration file (Multus' clusterNetwork). */
  clusterNetwork: string;
  /** Its parsed content: the capabilities its plugins declare are declared here too, to be passed on. */
  defaultList: NetworkConfList;
  kubeconfig?: string;
  cacheDir?: string;
  binDir?: string;
}

/** The conflist that makes the plugin the runtime's default network. */
export function cniPluginConflist(opts: CniPluginConfOptions): Record<string, unknown> {
  const capabilities: Record<string, boolean> = { [POD_ANNOTATIONS_CAPABILITY]: true };
  for (const p of opts.defaultList.plugins)
    for (const [cap, on] of Object.entries(p.capabilities ?? {})) if (on === true) capabilities[cap] = true;
  const plugin: Record<string, unknown> = {
    type: CNI_PLUGIN_TYPE,
    clusterNetwork: opts.clusterNetwork,
    capabilities,
  };
  if (opts.kubeconfig !== undefined) plugin.kubeconfig = opts.kubeconfig;
  if (opts.cacheDir !== undefined) plugin.cniDir = opts.cacheDir;
  if (opts.binDir !== undefined) plugin.binDir = opts.binDir;
  return { cniVersion: opts.defaultList.cniVersion, name: opts.name, plugins: [plugin] };
}

/** A kubeconfig reading its bearer token from a file (the node agent keeps that file current). */
export function cniPluginKubeconfig(server: string, caFile: string, tokenFile: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cluster', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: CNI_PLUGIN_TYPE, user: { tokenFile } }],
    contexts: [{ name: CNI_PLUGIN_TYPE, context: { cluster: 'cluster', user: CNI_PLUGIN_TYPE } }],
    'current-context': CNI_PLUGIN_TYPE,
  });
}

/** Writes `file` aside and renames it into place: a reader never sees half of it. */
export function writeAtomic(file: string, text: string | Buffer, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** Options of installCniPlugin. */
export interface InstallCniPluginOptions {
  binDir: string;
  confDir: string;
  /** virtnet's directory (holding dist/ and node_modules/). */
  home: string;
  node: string;
  /** Run `node` through this loader and library dir (a bundle: cni-plugin-bundle.ts). */
  loader?: { path: string; libDir: string };
  /** The default network's file; the first other configuration of confDir when absent. */
  clusterNetwork?: string;
  name?: string;
  kubeconfig?: string;
  cacheDir?: string;
}

/** Installs shim and conflist; returns the files written. Throws CNI_NO_DEFAULT_NETWORK when there is nothing to delegate to. */
export function installCniPlugin(opts: InstallCniPluginOptions): { shim: string; conf: string } {
  const confFile = join(opts.confDir, CNI_PLUGIN_CONF_FILE);
  const contents = loadConfDir(opts.confDir);
  const candidates = contents.networks.filter((n) => n.file !== confFile);
  const def =
    opts.clusterNetwork !== undefined
      ? candidates.find((n) => n.file === opts.clusterNetwork)
      : candidates.find((n) => !n.list.plugins.some((p) => p.type === CNI_PLUGIN_TYPE));
  if (!def)
    throw new VirtnetError(
      'CNI_NO_DEFAULT_NETWORK',
      `no default network to delegate to in ${opts.confDir}${opts.clusterNetwork ? ` (${opts.clusterNetwork})` : ''}`,
      { field: 'clusterNetwork', dir: opts.confDir },
    );
  const conf: CniPluginConfOptions = {
    name: opts.name ?? 'virtnet',
    clusterNetwork: def.file,
    defaultList: def.list,
  };
  if (opts.kubeconfig !== undefined) conf.kubeconfig = opts.kubeconfig;
  if (opts.cacheDir !== undefined) conf.cacheDir = opts.cacheDir;
  mkdirSync(opts.binDir, { recursive: true });
  const shim = join(opts.binDir, CNI_PLUGIN_TYPE);
  writeAtomic(shim, cniPluginShim(opts.node, opts.home, opts.loader), 0o755);
  writeAtomic(confFile, `${JSON.stringify(cniPluginConflist(conf), null, 2)}\n`, 0o644);
  return { shim, conf: confFile };
}

/** Removes what installCniPlugin wrote (the conf first, so the runtime stops calling the plugin). */
export function uninstallCniPlugin(binDir: string, confDir: string): void {
  rmSync(join(confDir, CNI_PLUGIN_CONF_FILE), { force: true });
  rmSync(join(binDir, CNI_PLUGIN_TYPE), { force: true });
}
