// The cluster configuration (KubeVirt's kubevirt-config): read from a plain object
// `{permitBridgeInterfaceOnPodNetwork, defaultNetworkInterface}`, the seed's ConfigMap (string values
// under `data`), or a KubeVirt CR (`spec.configuration.network`). Unknown keys are ignored; wrong
// values are issues naming the field. Pure.
import { isRawMap, type RawMap } from './spec-entries.js';
import type { SpecIssue } from './spec-issue.js';
import { formatFieldPath, type FieldPath } from './spec-issue.js';
import { DEFAULT_CLUSTER_CONFIG, type ClusterConfig } from './types.js';

const DEFAULT_INTERFACES = ['bridge', 'masquerade', 'slirp'] as const;

/** Result of reading a cluster configuration: `config` is usable only when `errors` is empty. */
export interface ClusterConfigResult {
  config: ClusterConfig;
  errors: SpecIssue[];
}

/** Locates the settings map inside the accepted shapes; `stringly` when values are ConfigMap strings. */
function settingsOf(value: RawMap): { map: RawMap; path: FieldPath; stringly: boolean } {
  // A ConfigMap, also when a hand-written file leaves out `kind` but keeps `data`.
  if (value.kind === 'ConfigMap' || (value.kind === undefined && isRawMap(value.data))) return { map: isRawMap(value.data) ? value.data : {}, path: ['data'], stringly: true };
  if (value.kind === 'KubeVirt') {
    const net = isRawMap(value.spec) && isRawMap(value.spec.configuration) && isRawMap(value.spec.configuration.network) ? value.spec.configuration.network : {};
    return { map: net, path: ['spec', 'configuration', 'network'], stringly: false };
  }
  return { map: value, path: [], stringly: false };
}

/** Reads a cluster configuration value (already parsed from YAML/JSON); undefined/null give the defaults. */
export function parseClusterConfig(value: unknown, locate?: (path: FieldPath) => { line: number; column: number } | undefined): ClusterConfigResult {
  const config: ClusterConfig = { ...DEFAULT_CLUSTER_CONFIG };
  const errors: SpecIssue[] = [];
  const fail = (path: FieldPath, message: string) => errors.push({ field: formatFieldPath(path), code: 'CLUSTER_CONFIG_INVALID', message, ...(locate?.(path) ?? {}) });
  if (value === undefined || value === null) return { config, errors };
  if (!isRawMap(value)) {
    fail([], 'the cluster configuration must be a map');
    return { config, errors };
  }
  const { map, path, stringly } = settingsOf(value);
  const permitKey = 'permitBridgeInterfaceOnPodNetwork';
  const permit = map[permitKey];
  if (permit !== undefined) {
    if (typeof permit === 'boolean') config.permitBridgeInterfaceOnPodNetwork = permit;
    // ConfigMap values are strings; a hand-written object may quote them too.
    else if (permit === 'true' || permit === 'false') config.permitBridgeInterfaceOnPodNetwork = permit === 'true';
    else fail([...path, permitKey], `${permitKey} must be ${stringly ? '"true" or "false"' : 'true or false'}, got ${JSON.stringify(permit)}`);
  }
  // kubevirt-config spells it `default-network-interface`; the KubeVirt CR `defaultNetworkInterface`.
  for (const key of ['defaultNetworkInterface', 'default-network-interface']) {
    const dni = map[key];
    if (dni === undefined) continue;
    if (typeof dni === 'string' && (DEFAULT_INTERFACES as readonly string[]).includes(dni)) config.defaultNetworkInterface = dni as ClusterConfig['defaultNetworkInterface'];
    else fail([...path, key], `${key} must be one of ${DEFAULT_INTERFACES.join(', ')}, got ${JSON.stringify(dni)}`);
  }
  return { config, errors };
}
