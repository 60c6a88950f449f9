// Multus' pod annotations: `k8s.v1.cni.cncf.io/networks` in both of its forms — the short
// comma-separated `ns/name@ifname` list and the JSON list of network selection elements — and the
// `v1.multus-cni.io/default-network` override. Parse and generate; problems are reported with a path.
import { ipFamily } from '../api/ip-address.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { isLinuxInterfaceName } from '../api/linux-ifname.js';
import { checkMacAddress } from '../api/mac-address.js';

export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
export const DEFAULT_NETWORK_ANNOTATION = 'v1.multus-cni.io/default-network';

/** One network selection element (NPWG / Multus). */
export interface NetworkSelection {
  name: string;
  namespace?: string;
  interface?: string;
  mac?: string;
  /** Requested addresses, CIDR or plain. */
  ips?: string[];
  /** Gateways to install as the pod's default route through this interface. */
  defaultRoute?: string[];
  portMappings?: unknown[];
  bandwidth?: Record<string, unknown>;
  cniArgs?: Record<string, unknown>;
}

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function bad(field: string, message: string): VirtnetError {
  return new VirtnetError('MULTUS_ANNOTATION_INVALID', `${NETWORKS_ANNOTATION}: ${message}`, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkIp(value: string): boolean {
  const slash = value.indexOf('/');
  return ipFamily(slash < 0 ? value : value.slice(0, slash)) !== 0;
}

function validate(sel: NetworkSelection, field: string): NetworkSelection {
  if (!NAME_RE.test(sel.name)) throw bad(`${field}.name`, `invalid network name ${JSON.stringify(sel.name)}`);
  if (sel.namespace !== undefined && !DNS_LABEL_RE.test(sel.namespace))
    throw bad(`${field}.namespace`, `invalid namespace ${JSON.stringify(sel.namespace)}`);
  if (sel.interface !== undefined && !isLinuxInterfaceName(sel.interface))
    throw bad(
      `${field}.interface`,
      `invalid interface name ${JSON.stringify(sel.interface)} (≤ 15 bytes of letters, digits, "_", "-", ".")`,
    );
  if (sel.mac !== undefined && checkMacAddress(sel.mac) !== undefined)
    throw bad(`${field}.mac`, `invalid MAC ${JSON.stringify(sel.mac)}`);
  sel.ips?.forEach((ip, i) => {
    if (!checkIp(ip)) throw bad(`${field}.ips[${i}]`, `invalid IP ${JSON.stringify(ip)}`);
  });
  sel.defaultRoute?.forEach((gw, i) => {
    if (ipFamily(gw) === 0)
      throw bad(`${field}.default-route[${i}]`, `invalid gateway ${JSON.stringify(gw)}`);
  });
  return sel;
}

/** Parses one `[ns/]name[@ifname]` element of the short form. */
export function parseShortSelection(text: string, field = 'networks[0]'): NetworkSelection {
  const item = text.trim();
  let rest = item;
  const sel: NetworkSelection = { name: '' };
  const at = rest.indexOf('@');
  if (at >= 0) {
    sel.interface = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    sel.namespace = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  sel.name = rest;
  return validate(sel, field);
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw bad(field, 'must be a list of strings');
  return v as string[];
}

/** Parses the networks annotation (either form). An empty value selects nothing. */
export function parseNetworksAnnotation(value: string): NetworkSelection[] {
  const text = value.trim();
  if (text === '') return [];
  if (!text.startsWith('[') && !text.startsWith('{')) {
    return text.split(',').map((item, i) => parseShortSelection(item, `networks[${i}]`));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad('networks', `not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw))
    throw bad('networks', 'the JSON form must be a list of network selection elements');
  return raw.map((el: unknown, i) => {
    const field = `networks[${i}]`;
    if (!isObject(el)) throw bad(field, 'a network selection element must be an object');
    if (typeof el.name !== 'string') throw bad(`${field}.name`, 'name is required');
    const sel: NetworkSelection = { name: el.name };
    if (el.namespace !== undefined) {
      if (typeof el.namespace !== 'string') throw bad(`${field}.namespace`, 'must be a string');
      sel.namespace = el.namespace;
    }
    if (el.interface !== undefined) {
      if (typeof el.interface !== 'string') throw bad(`${field}.interface`, 'must be a string');
      sel.interface = el.interface;
    }
    if (el.mac !== undefined) {
      if (typeof el.mac !== 'string') throw bad(`${field}.mac`, 'must be a string');
      sel.mac = el.mac;
    }
    if (el.ips !== undefined) sel.ips = stringList(el.ips, `${field}.ips`);
    if (el['default-route'] !== undefined)
      sel.defaultRoute = stringList(el['default-route'], `${field}.default-route`);
    if (el.portMappings !== undefined) {
      if (!Array.isArray(el.portMappings)) throw bad(`${field}.portMappings`, 'must be a list');
      sel.portMappings = el.portMappings as unknown[];
    }
    if (el.bandwidth !== undefined) {
      if (!isObject(el.bandwidth)) throw bad(`${field}.bandwidth`, 'must be an object');
      sel.bandwidth = el.bandwidth;
    }
    if (el['cni-args'] !== undefined) {
      if (!isObject(el['cni-args'])) throw bad(`${field}.cni-args`, 'must be an object');
      sel.cniArgs = el['cni-args'];
    }
    return validate(sel, field);
  });
}

/** The JSON form of the networks annotation. */
export function formatNetworksAnnotation(selections: readonly NetworkSelection[]): string {
  return JSON.stringify(
    selections.map((s) => {
      const o: Record<string, unknown> = { name: s.name };
      if (s.namespace !== undefined) o.namespace = s.namespace;
      if (s.interface !== undefined) o.interface = s.interface;
      if (s.mac !== undefined) o.mac = s.mac;
      if (s.ips !== undefined) o.ips = s.ips;
      if (s.defaultRoute !== undefined) o['default-route'] = s.defaultRoute;
      if (s.portMappings !== undefined) o.portMappings = s.portMappings;
      if (s.bandwidth !== undefined) o.bandwidth = s.bandwidth;
      if (s.cniArgs !== undefined) o['cni-args'] = s.cniArgs;
      return o;
    }),
  );
}

/** The short form, when every element fits it (name, namespace, interface only); else undefined. */
export function formatShortNetworksAnnotation(selections: readonly NetworkSelection[]): string | undefined {
  if (selections.some((s) => Object.keys(s).some((k) => !['name', 'namespace', 'interface'].includes(k))))
    return undefined;
  return selections
    .map((s) => `${s.namespace ? `${s.namespace}/` : ''}${s.name}${s.interface ? `@${s.interface}` : ''}`)
    .join(',');
}

/** Parses `v1.multus-cni.io/default-network`: `[ns/]name`. */
export function parseDefaultNetworkAnnotation(value: string): { name: string; namespace?: string } {
  const sel = parseShortSelection(value, 'default-network');
  if (sel.interface !== undefined) {
    throw new VirtnetError(
      'MULTUS_ANNOTATION_INVALID',
      `${DEFAULT_NETWORK_ANNOTATION}: the default network cannot name an interface (it is always eth0)`,
      { field: 'default-network' },
    );
  }
  return sel.namespace === undefined ? { name: sel.name } : { name: sel.name, namespace: sel.namespace };
}
