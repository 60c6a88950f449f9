// The node agent installs the delegating CNI plugin on its node, as Multus' daemon does: the plugin's
// self-contained bundle under its home, a kubeconfig with the token of the plugin's own
// ServiceAccount (mounted into the agent from a Secret), then the shim and the conflist that make it
// the runtime's default network in front of the node's own. Run at the agent's start; on a node not
// ready for it yet (no default network, no token) it tries again until it works.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { installCniBundle, mappedLibraries } from '../kube/cni-plugin-bundle.js';
import {
  cniPluginKubeconfig,
  installCniPlugin,
  installedCniPluginHome,
  writeAtomic,
} from '../kube/cni-plugin-install.js';

/** Where and with what the plugin is installed. */
export interface CniPluginSetupOptions {
  binDir: string;
  confDir: string;
  /** The host directory for the bundles, the kubeconfig and the plugin's records. */
  pluginHome: string;
  /** The mounted ServiceAccount token Secret (token, ca.crt). */
  tokenDir: string;
  /** The API server as the host reaches it. */
  server: string;
  /** The virtnet home the agent runs from (copied into the bundle). */
  from: string;
  clusterNetwork?: string;
  name?: string;
}

/** Installs bundle, kubeconfig, shim and conflist; returns the shim's path. */
export function installNodeCniPlugin(opts: CniPluginSetupOptions): string {
  const token = join(opts.tokenDir, 'token');
  if (!(statSync(token, { throwIfNoEntry: false })?.size ?? 0))
    throw new Error(`no ServiceAccount token in ${opts.tokenDir} yet`);
  const previous = installedCniPluginHome(opts.binDir);
  const bundle = installCniBundle({
    from: opts.from,
    node: process.execPath,
    libraries: mappedLibraries(readFileSync('/proc/self/maps', 'utf8')),
    root: opts.pluginHome,
    ...(previous !== undefined ? { previous } : {}),
  });
  const kubeDir = join(opts.pluginHome, 'kube');
  mkdirSync(kubeDir, { recursive: true, mode: 0o700 });
  for (const f of ['token', 'ca.crt'])
    writeAtomic(join(kubeDir, f), readFileSync(join(opts.tokenDir, f)), 0o600);
  const kubeconfig = join(kubeDir, 'kubeconfig');
  writeAtomic(kubeconfig, cniPluginKubeconfig(opts.server, 'ca.crt', 'token'), 0o600);
  const { shim } = installCniPlugin({
    binDir: opts.binDir,
    confDir: opts.confDir,
    home: bundle.home,
    node: bundle.node,
    kubeconfig,
    cacheDir: join(opts.pluginHome, 'cache'),
    ...(bundle.loader ? { loader: bundle.loader } : {}),
    ...(opts.clusterNetwork !== undefined ? { clusterNetwork: opts.clusterNetwork } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
  });
  return shim;
}

/**
 * installNodeCniPlugin until it succeeds, waiting 1, 2, 4… up to 30 s between tries; `stopped` ends
 * the tries. Resolves with the shim's path, or undefined when stopped first.
 */
export async function keepInstallingCniPlugin(
  opts: CniPluginSetupOptions,
  log: (msg: string) => void,
  stopped: () => boolean,
): Promise<string | undefined> {
  for (let delay = 1000; !stopped(); delay = Math.min(delay * 2, 30_000)) {
    try {
      const shim = installNodeCniPlugin(opts);
      log(`virtnet-cni installed: ${shim}, home ${opts.pluginHome}`);
      return shim;
    } catch (err) {
      log(
        `virtnet-cni not installed yet (${err instanceof Error ? err.message : String(err)}); again in ${delay / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, delay).unref());
  }
  return undefined;
}
