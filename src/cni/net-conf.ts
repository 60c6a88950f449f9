// CNI network configurations: a `.conflist` (name, cniVersion, plugins[]) or a single-plugin `.conf`
// upgraded to a list the way libcni does. Validation names the file and the field at fault.
import { VirtnetError } from '../errors/virtnet-error.js';
import { compareVersions, isSupportedCniVersion, SUPPORTED_CNI_VERSIONS } from './cni-version.js';

/** One plugin's configuration inside a list; everything besides `type` is the plugin's business. */
export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

/** A network configuration list: what every ADD/CHECK/DEL runs. */
export interface NetworkConfList {
  name: string;
  cniVersion: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  plugins: PluginConf[];
}

// CNI spec: a network name starts with an alphanumeric, then alphanumerics, `_`, `.` or `-`.
const NETWORK_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// A plugin type becomes a file name on the CNI path: no path separators, no dot-files.
const PLUGIN_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(source: string, field: string, message: string): VirtnetError {
  return new VirtnetError('CNI_CONFIG_INVALID', `${source}: ${message}`, { field, source });
}

/** True when `name` is a valid CNI network name. */
export function isValidNetworkName(name: string): boolean {
  return NETWORK_NAME_RE.test(name);
}

/**
 * Parses a conf or conflist (text or an already decoded object). `source` names it in errors;
 * `fallbackName` is used when the config has no name (a NAD's metadata.name).
 */
export function parseNetworkConfig(input: unknown, source: string, fallbackName?: string): NetworkConfList {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw invalid(source, '', `not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(raw)) throw invalid(source, '', 'a network configuration must be a JSON object');
  const name = raw.name ?? fallbackName;
  if (typeof name !== 'string' || !isValidNetworkName(name)) {
    throw invalid(
      source,
      'name',
      `invalid network name ${JSON.stringify(name)} (alphanumerics, "_", "." and "-", starting alphanumeric)`,
    );
  }
  let cniVersion = raw.cniVersion;
  if (raw.cniVersions !== undefined) {
    // CNI 1.1.0: a list may name several versions; the runtime uses the highest it supports.
    if (!Array.isArray(raw.cniVersions) || raw.cniVersions.some((v) => typeof v !== 'string'))
      throw invalid(source, 'cniVersions', 'cniVersions must be a list of version strings');
    const supported = (raw.cniVersions as string[])
      .filter((v) => isSupportedCniVersion(v))
      .sort(compareVersions);
    if (supported.length > 0) cniVersion = supported[supported.length - 1];
    else if (!isSupportedCniVersion(cniVersion))
      throw invalid(
        source,
        'cniVersions',
        `none of ${JSON.stringify(raw.cniVersions)} is supported (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`,
      );
  }
  if (!isSupportedCniVersion(cniVersion)) {
    throw invalid(
      source,
      'cniVersion',
      `unsupported cniVersion ${JSON.stringify(cniVersion)} (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`,
    );
  }
  let pluginsRaw: unknown[];
  if (raw.plugins !== undefined) {
    if (!Array.isArray(raw.plugins) || raw.plugins.length === 0)
      throw invalid(source, 'plugins', 'plugins must be a non-empty list');
    pluginsRaw = raw.plugins;
  } else {
    // A single-plugin config is its own only plugin (libcni ConfListFromConf).
    pluginsRaw = [raw];
  }
  const plugins = pluginsRaw.map((p, i) => {
    const field = raw.plugins !== undefined ? `plugins[${i}]` : '';
    if (!isObject(p)) throw invalid(source, field, 'a plugin configuration must be an object');
    if (typeof p.type !== 'string' || !PLUGIN_TYPE_RE.test(p.type)) {
      throw invalid(
        source,
        field ? `${field}.type` : 'type',
        `invalid plugin type ${JSON.stringify(p.type)}`,
      );
    }
    if (p.capabilities !== undefined && !isObject(p.capabilities)) {
      throw invalid(
        source,
        field ? `${field}.capabilities` : 'capabilities',
        'capabilities must be an object of booleans',
      );
    }
    return { ...p } as PluginConf;
  });
  const list: NetworkConfList = { name, cniVersion, plugins };
  if (raw.disableCheck === true) list.disableCheck = true;
  if (raw.disableGC === true) list.disableGC = true;
  return list;
}

/** The plugin types of a list, e.g. `bridge+portmap`. */
export function describeList(list: NetworkConfList): string {
  return list.plugins.map((p) => p.type).join('+');
}
