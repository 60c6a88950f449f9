// The cluster configuration (KubeVirt's kubevirt-config): read from a plain object
// `{permitBridgeInterfaceOnPodNetwork, defaultNetworkInterface, featureGates, binding}`, the seed's
// ConfigMap (string values under `data`, `feature-gates` comma separated), or a KubeVirt CR
// (`spec.configuration.network` and `spec.configuration.developerConfiguration`). Unknown keys are
// ignored; wrong values are issues naming the field. Pure.
import { isRawMap, type RawMap } from './spec-entries.js';
import type { SpecIssue } from './spec-issue.js';
import { formatFieldPath, type FieldPath } from './spec-issue.js';
import { DEFAULT_CLUSTER_CONFIG, type BindingPluginConfig, type ClusterConfig } from './types.js';

const DEFAULT_INTERFACES = ['bridge', 'masquerade', 'slirp'] as const;

/** Result of reading a cluster configuration: `config` is usable only when `errors` is empty. */
export interface ClusterConfigResult {
  config: ClusterConfig;
  errors: SpecIssue[];
}

interface Settings {
  /** The network settings map and where it is. */
  network: RawMap;
  networkPath: FieldPath;
  /** The developer configuration (feature gates) and where it is. */
  developer: RawMap;
  developerPath: FieldPath;
  /** ConfigMap: values are strings. */
  stringly: boolean;
}

/** Locates the settings maps inside the accepted shapes. */
function settingsOf(value: RawMap): Settings {
  // A ConfigMap, also when a hand-written file leaves out `kind` but keeps `data`.
  if (value.kind === 'ConfigMap' || (value.kind === undefined && isRawMap(value.data))) {
    const data = isRawMap(value.data) ? value.data : {};
    return { network: data, networkPath: ['data'], developer: data, developerPath: ['data'], stringly: true };
  }
  if (value.kind === 'KubeVirt') {
    const conf = isRawMap(value.spec) && isRawMap(value.spec.configuration) ? value.spec.configuration : {};
    const base = ['spec', 'configuration'];
    return {
      network: isRawMap(conf.network) ? conf.network : {},
      networkPath: [...base, 'network'],
      developer: isRawMap(conf.developerConfiguration) ? conf.developerConfiguration : {},
      developerPath: [...base, 'developerConfiguration'],
      stringly: false,
    };
  }
  // A plain object: the KubeVirt CR's `configuration` itself, or its fields flattened.
  if (isRawMap(value.network) || isRawMap(value.developerConfiguration)) {
    return {
      network: isRawMap(value.network) ? value.network : {},
      networkPath: ['network'],
      developer: isRawMap(value.developerConfiguration) ? value.developerConfiguration : {},
      developerPath: ['developerConfiguration'],
      stringly: false,
    };
  }
  return { network: value, networkPath: [], developer: value, developerPath: [], stringly: false };
}

type Fail = (path: FieldPath, message: string) => void;

/** A list of gate names: a YAML list, or the ConfigMap's comma-separated string. */
function gateList(value: unknown, path: FieldPath, fail: Fail): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return value;
  fail(path, 'feature gates must be a list of names');
  return [];
}

const PLUGIN_STRING_FIELDS = [
  'domainAttachmentType',
  'networkAttachmentDefinition',
  'sidecarImage',
  'downwardAPI',
] as const;

/** `network.binding`: name → registration. */
function bindingPlugins(value: unknown, path: FieldPath, fail: Fail): Record<string, BindingPluginConfig> {
  const out: Record<string, BindingPluginConfig> = {};
  if (value === undefined || value === null) return out;
  if (!isRawMap(value)) {
    fail(path, 'binding must be a map of plugin name to its registration');
    return out;
  }
  for (const [name, reg] of Object.entries(value)) {
    if (reg === null) continue;
    if (!isRawMap(reg)) {
      fail([...path, name], `the registration of binding plugin ${name} must be a map`);
      continue;
    }
    const plugin: BindingPluginConfig = {};
    for (const key of PLUGIN_STRING_FIELDS) {
      const v = reg[key];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string') plugin[key] = v;
      else fail([...path, name, key], `${key} must be a string`);
    }
    if (reg.migration !== undefined && reg.migration !== null) plugin.migration = reg.migration;
    out[name] = plugin;
  }
  return out;
}

/** Reads a cluster configuration value (already parsed from YAML/JSON); undefined/null give the defaults. */
export function parseClusterConfig(
  value: unknown,
  locate?: (path: FieldPath) => { line: number; column: number } | undefined,
): ClusterConfigResult {
  const config: ClusterConfig = { ...DEFAULT_CLUSTER_CONFIG };
  const errors: SpecIssue[] = [];
  const fail: Fail = (path, message) =>
    errors.push({
      field: formatFieldPath(path),
      code: 'CLUSTER_CONFIG_INVALID',
      message,
      ...(locate?.(path) ?? {}),
    });
  if (value === undefined || value === null) return { config, errors };
  if (!isRawMap(value)) {
    fail([], 'the cluster configuration must be a map');
    return { config, errors };
  }
  const { network: map, networkPath: path, developer, developerPath, stringly } = settingsOf(value);
  const permitKey = 'permitBridgeInterfaceOnPodNetwork';
  const permit = map[permitKey];
  if (permit !== undefined && permit !== null) {
    if (typeof permit === 'boolean') config.permitBridgeInterfaceOnPodNetwork = permit;
    // ConfigMap values are strings; a hand-written object may quote them too.
    else if (permit === 'true' || permit === 'false')
      config.permitBridgeInterfaceOnPodNetwork = permit === 'true';
    else
      fail(
        [...path, permitKey],
        `${permitKey} must be ${stringly ? '"true" or "false"' : 'true or false'}, got ${JSON.stringify(permit)}`,
      );
  }
  // kubevirt-config spells it `default-network-interface`; the KubeVirt CR `defaultNetworkInterface`.
  for (const key of ['defaultNetworkInterface', 'default-network-interface']) {
    const dni = map[key];
    if (dni === undefined || dni === null) continue;
    if (typeof dni === 'string' && (DEFAULT_INTERFACES as readonly string[]).includes(dni))
      config.defaultNetworkInterface = dni as ClusterConfig['defaultNetworkInterface'];
    else
      fail(
        [...path, key],
        `${key} must be one of ${DEFAULT_INTERFACES.join(', ')}, got ${JSON.stringify(dni)}`,
      );
  }
  const gatesKey = stringly ? 'feature-gates' : 'featureGates';
  config.featureGates = gateList(developer[gatesKey], [...developerPath, gatesKey], fail);
  config.disabledFeatureGates = gateList(
    developer.disabledFeatureGates,
    [...developerPath, 'disabledFeatureGates'],
    fail,
  );
  config.bindingPlugins = bindingPlugins(map.binding, [...path, 'binding'], fail);
  return { config, errors };
}
