// Legacy interface forms (early VM-on-pod-network proposals), translated to today's API with a warning naming the modern form:
// `type: pod-network` (+ `mac.address`, `model.type`) becomes bridge on the pod network;
// `type: direct` with `source: {dev, mode}` becomes macvtap on the pod interface `dev`.
import type { IssueCollector } from './issue-collector.js';
import { isLinuxInterfaceName } from './linux-ifname.js';
import { isRawMap, type InterfaceEntry, type RawMap } from './spec-entries.js';
import type { FieldPath } from './spec-issue.js';
import { MACVTAP_MODES, type MacvtapMode } from './types.js';

/** True when an interface element uses a seed form (`type: ...`). */
export function isLegacyInterface(raw: RawMap): boolean {
  return raw.type !== undefined;
}

/** Translates one legacy element; `defaultName` is used when it has no name. */
export function translateLegacyInterface(
  raw: RawMap,
  path: FieldPath,
  defaultName: string,
  issues: IssueCollector,
): InterfaceEntry {
  const modern: RawMap = { ...raw };
  delete modern.type;
  delete modern.mac;
  delete modern.source;
  const aliases: Record<string, FieldPath> = {};
  const entry: InterfaceEntry = { path, raw: modern, aliases, legacy: true };
  if (modern.name === undefined) {
    modern.name = defaultName;
    aliases.name = ['type'];
  }
  if (raw.mac !== undefined) {
    if (isRawMap(raw.mac)) {
      modern.macAddress = raw.mac.address;
      aliases.macAddress = ['mac', 'address'];
    } else {
      modern.macAddress = raw.mac;
      aliases.macAddress = ['mac'];
    }
  }
  if (isRawMap(raw.model)) {
    modern.model = raw.model.type;
    aliases.model = ['model', 'type'];
  }
  if (raw.type === 'pod-network') {
    modern.bridge = {};
    aliases.bridge = ['type'];
    issues.warn(
      [...path, 'type'],
      'LEGACY_POD_NETWORK',
      'type: pod-network is a legacy form KubeVirt refuses: use `bridge: {}` on the interface and a network `{name: ' +
        String(modern.name) +
        ', pod: {}}` in spec.networks (mac.address → macAddress, model.type → model)',
    );
  } else if (raw.type === 'direct') {
    modern.macvtap = {};
    aliases.macvtap = ['type'];
    issues.warn(
      [...path, 'type'],
      'LEGACY_DIRECT',
      "type: direct is a legacy form KubeVirt refuses: use `binding: {name: macvtap}` (or virtnet's `macvtap: {}`) on the interface and a network of the same name in spec.networks",
    );
    const source = isRawMap(raw.source) ? raw.source : {};
    if (raw.source !== undefined && !isRawMap(raw.source))
      issues.error([...path, 'source'], 'TYPE_INVALID', 'source must be a map with dev and mode');
    const dev = source.dev ?? 'eth0';
    if (typeof dev !== 'string' || !isLinuxInterfaceName(dev)) {
      issues.error(
        [...path, 'source', 'dev'],
        'SOURCE_DEVICE_INVALID',
        `source.dev must be a pod interface name (at most 15 bytes, no "/", ":" or spaces), got ${JSON.stringify(dev)}`,
      );
    } else entry.sourceDevice = dev;
    const mode = source.mode ?? 'bridge';
    if (typeof mode !== 'string' || !(MACVTAP_MODES as readonly string[]).includes(mode)) {
      issues.error(
        [...path, 'source', 'mode'],
        'MACVTAP_MODE_INVALID',
        `source.mode must be one of ${MACVTAP_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
      );
    } else entry.macvtapMode = mode as MacvtapMode;
  } else {
    issues.error(
      [...path, 'type'],
      'LEGACY_TYPE_UNSUPPORTED',
      `interface type ${JSON.stringify(raw.type).slice(0, 66)} is not supported: use one of the bindings bridge, masquerade, sriov, passtBinding, binding: {name: PLUGIN} (or virtnet's slirp, macvtap, passt)`,
    );
  }
  return entry;
}
