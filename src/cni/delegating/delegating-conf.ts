// The configuration of virtnet's delegating CNI plugin (`type: virtnet-cni`), shaped like Multus'
// thin plugin so the same conf file works for either: the default network in `delegates[0]` (a conf
// or conflist object) or `clusterNetwork` (a conf file path), the kubeconfig NADs and pods are read
// with, `confDir` for NADs without spec.config, `cniDir` for what was delegated per container, and
// `binDir` for the delegates' plugins. The runtime's per-call values (pod annotations, port mappings…)
// arrive in `runtimeConfig`. Pure: parsing and validation only.
import { VirtnetError } from '../../errors/virtnet-error.js';
import { isSupportedCniVersion, SUPPORTED_CNI_VERSIONS } from '../cni-version.js';
import { isValidNetworkName, parseNetworkConfig, type NetworkConfList } from '../net-conf.js';

/** The capability containerd fills with the pod's annotations. */
export const POD_ANNOTATIONS_CAPABILITY = 'io.kubernetes.cri.pod-annotations';
/** Multus' default for NADs without spec.config. */
export const DEFAULT_DELEGATING_CONF_DIR = '/etc/cni/multus/net.d';
/** Where the plugin keeps what it delegated, per container. */
export const DEFAULT_DELEGATING_CACHE_DIR = '/var/lib/virtnet/cni-delegating';
/** Namespaces whose NADs any pod may use when namespaceIsolation is on (Multus' globalNamespaces). */
export const DEFAULT_GLOBAL_NAMESPACES = ['default'];

/** The decoded plugin configuration. */
export interface DelegatingConf {
  cniVersion: string;
  name: string;
  /** kubeconfig for the API server; without it NADs are not read and no status is written. */
  kubeconfig?: string;
  confDir: string;
  cacheDir: string;
  /** Directories searched for delegate plugins before CNI_PATH. */
  binDir: string[];
  /** The cluster default network (eth0), or the file it is read from. */
  defaultNetwork: { list: NetworkConfList } | { file: string };
  /** Pods may only use NADs of their own namespace and of globalNamespaces. */
  namespaceIsolation: boolean;
  globalNamespaces: string[];
  /**
   * The pod's annotations as the runtime passed them; undefined when it did not (then they are read
   * from the API server).
   */
  podAnnotations?: Record<string, string>;
  /** The other runtimeConfig values (portMappings, bandwidth…), for the default network's plugins. */
  runtimeConfig: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(field: string, message: string): VirtnetError {
  return new VirtnetError('CNI_CONFIG_INVALID', `virtnet-cni configuration: ${message}`, { field });
}

function optionalString(raw: Record<string, unknown>, field: string): string | undefined {
  const v = raw[field];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(field, `${field} must be a string`);
  return v;
}

function absolutePath(raw: Record<string, unknown>, field: string): string | undefined {
  const v = optionalString(raw, field);
  if (v !== undefined && !v.startsWith('/')) throw invalid(field, `${field} must be an absolute path`);
  return v;
}

/** The default network from delegates[0]: its cniVersion and name default to the plugin's own. */
function delegateList(raw: unknown, cniVersion: string, name: string): NetworkConfList {
  if (!isObject(raw)) throw invalid('delegates[0]', 'a delegate must be a CNI conf or conflist object');
  const withDefaults = { cniVersion, ...raw };
  try {
    return parseNetworkConfig(withDefaults, 'delegates[0]', name);
  } catch (err) {
    if (err instanceof VirtnetError)
      throw invalid(`delegates[0]${err.detail.field ? `.${err.detail.field}` : ''}`, err.message);
    throw err;
  }
}

function annotations(v: unknown): Record<string, string> {
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw invalid(
      `runtimeConfig["${POD_ANNOTATIONS_CAPABILITY}"]`,
      'the pod annotations must be a map of strings',
    );
  return v as Record<string, string>;
}

/** Parses the plugin's stdin configuration (text or decoded). Throws CNI_CONFIG_INVALID / CNI_DECODE_FAILED. */
export function parseDelegatingConf(input: unknown): DelegatingConf {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new VirtnetError(
        'CNI_DECODE_FAILED',
        `virtnet-cni configuration is not valid JSON: ${(err as Error).message}`,
        { field: '' },
      );
    }
  }
  if (!isObject(raw)) throw invalid('', 'the configuration must be a JSON object');
  const cniVersion = raw.cniVersion;
  if (!isSupportedCniVersion(cniVersion))
    throw new VirtnetError(
      'CNI_INCOMPATIBLE_VERSION',
      `virtnet-cni configuration: unsupported cniVersion ${JSON.stringify(cniVersion)} (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`,
      { field: 'cniVersion' },
    );
  const name = raw.name;
  if (typeof name !== 'string' || !isValidNetworkName(name))
    throw invalid('name', `invalid network name ${JSON.stringify(name)}`);

  const clusterNetwork = absolutePath(raw, 'clusterNetwork');
  const delegates = raw.delegates;
  let defaultNetwork: DelegatingConf['defaultNetwork'];
  if (delegates !== undefined) {
    if (!Array.isArray(delegates) || delegates.length !== 1)
      throw invalid(
        'delegates',
        'delegates must hold exactly one configuration, the default network (secondary networks come from the pod annotation)',
      );
    if (clusterNetwork !== undefined)
      throw invalid('clusterNetwork', 'give either delegates or clusterNetwork, not both');
    defaultNetwork = { list: delegateList(delegates[0], cniVersion, name) };
  } else if (clusterNetwork !== undefined) {
    defaultNetwork = { file: clusterNetwork };
  } else {
    throw invalid('delegates', 'the default network is missing: set delegates (one conf) or clusterNetwork');
  }

  const binDir = raw.binDir === undefined ? [] : raw.binDir;
  const binDirs = typeof binDir === 'string' ? [binDir] : binDir;
  if (!Array.isArray(binDirs) || binDirs.some((d) => typeof d !== 'string' || !d.startsWith('/')))
    throw invalid('binDir', 'binDir must be an absolute path or a list of them');

  const globalNamespaces = raw.globalNamespaces ?? DEFAULT_GLOBAL_NAMESPACES;
  const globals =
    typeof globalNamespaces === 'string'
      ? globalNamespaces.split(',').map((s) => s.trim())
      : globalNamespaces;
  if (!Array.isArray(globals) || globals.some((g) => typeof g !== 'string'))
    throw invalid('globalNamespaces', 'globalNamespaces must be a comma-separated string or a list');
  if (raw.namespaceIsolation !== undefined && typeof raw.namespaceIsolation !== 'boolean')
    throw invalid('namespaceIsolation', 'namespaceIsolation must be a boolean');

  const runtimeConfig = raw.runtimeConfig === undefined ? {} : raw.runtimeConfig;
  if (!isObject(runtimeConfig)) throw invalid('runtimeConfig', 'runtimeConfig must be an object');
  const { [POD_ANNOTATIONS_CAPABILITY]: podAnnotations, ...rest } = runtimeConfig;

  const conf: DelegatingConf = {
    cniVersion,
    name,
    confDir: absolutePath(raw, 'confDir') ?? DEFAULT_DELEGATING_CONF_DIR,
    cacheDir: absolutePath(raw, 'cniDir') ?? DEFAULT_DELEGATING_CACHE_DIR,
    binDir: binDirs as string[],
    defaultNetwork,
    namespaceIsolation: raw.namespaceIsolation === true,
    globalNamespaces: globals as string[],
    runtimeConfig: rest,
  };
  const kubeconfig = absolutePath(raw, 'kubeconfig');
  if (kubeconfig !== undefined) conf.kubeconfig = kubeconfig;
  if (podAnnotations !== undefined) conf.podAnnotations = annotations(podAnnotations);
  return conf;
}
