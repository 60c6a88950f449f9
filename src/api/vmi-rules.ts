// Rules of KubeVirt's VMI admission outside the network lists that still concern the network: probes
// that reach the guest over the pod network, the pod's DNS (dnsPolicy, dnsConfig, as Kubernetes
// checks a pod's), and confidential computing (launchSecurity) which cannot boot from a NIC. Pure.
import { isDnsSubdomain } from './dns-name.js';
import type { IssueCollector } from './issue-collector.js';
import { isIPv4, isIPv6 } from './ip-address.js';
import { shown } from './shown-value.js';
import { isRawMap, type RawMap } from './spec-entries.js';
import type { FieldPath } from './spec-issue.js';

const PROBE_HANDLERS = ['exec', 'guestAgentPing', 'httpGet', 'tcpSocket'] as const;
/** Handlers the kubelet runs against the pod's IP: they need the pod network. */
const POD_NETWORK_HANDLERS = ['httpGet', 'tcpSocket'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None', ''];
// Kubernetes' pod DNS limits (pkg/apis/core/validation), which KubeVirt applies to a VMI.
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCHES = 6;
const MAX_DNS_SEARCH_CHARS = 256;

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** readinessProbe/livenessProbe: exactly one handler; httpGet/tcpSocket only with a pod network. */
function checkProbes(spec: RawMap, root: FieldPath, hasPodNetwork: boolean, issues: IssueCollector): void {
  for (const key of ['readinessProbe', 'livenessProbe'] as const) {
    const probe = spec[key];
    if (!isRawMap(probe)) continue;
    const at = [...root, key];
    const handlers = PROBE_HANDLERS.filter((h) => present(probe[h]));
    if (handlers.length !== 1) {
      issues.error(
        at,
        'PROBE_HANDLER_COUNT',
        handlers.length === 0
          ? `${key} needs one of ${PROBE_HANDLERS.join(', ')}`
          : `${key} must have exactly one probe type, it has ${handlers.join(' and ')}`,
      );
    }
    if (hasPodNetwork) continue;
    for (const h of POD_NETWORK_HANDLERS) {
      if (present(probe[h]))
        issues.error(
          [...at, h],
          'PROBE_NEEDS_POD_NETWORK',
          `${key}.${h} is only allowed when the pod network is attached: the kubelet probes the pod's IP`,
        );
    }
  }
}

/** dnsPolicy and dnsConfig, as Kubernetes validates a pod's. */
function checkDns(spec: RawMap, root: FieldPath, issues: IssueCollector): void {
  const policy = spec.dnsPolicy;
  if (typeof policy === 'string' && !DNS_POLICIES.includes(policy)) {
    issues.error(
      [...root, 'dnsPolicy'],
      'DNS_POLICY_INVALID',
      `dnsPolicy ${shown(policy)} is not one of ${DNS_POLICIES.filter((p) => p !== '').join(', ')}`,
    );
  }
  const at = [...root, 'dnsConfig'];
  const config = spec.dnsConfig;
  const nameservers = isRawMap(config) && Array.isArray(config.nameservers) ? config.nameservers : [];
  if (policy === 'None') {
    if (!isRawMap(config)) {
      issues.error(at, 'DNS_CONFIG_INVALID', 'dnsPolicy: None needs a dnsConfig');
      return;
    }
    if (nameservers.length === 0) {
      issues.error(
        [...at, 'nameservers'],
        'DNS_CONFIG_INVALID',
        'dnsPolicy: None needs at least one nameserver in dnsConfig',
      );
      return;
    }
  }
  if (!isRawMap(config)) return;
  if (nameservers.length > MAX_DNS_NAMESERVERS)
    issues.error(
      [...at, 'nameservers'],
      'DNS_CONFIG_INVALID',
      `at most ${MAX_DNS_NAMESERVERS} nameservers are allowed, got ${nameservers.length}`,
    );
  nameservers.slice(0, MAX_DNS_NAMESERVERS + 1).forEach((ns, i) => {
    if (typeof ns !== 'string' || !(isIPv4(ns) || isIPv6(ns)))
      issues.error(
        [...at, 'nameservers', i],
        'DNS_CONFIG_INVALID',
        `nameserver ${typeof ns === 'string' ? shown(ns) : String(ns)} is not an IP address`,
      );
  });
  const searches = Array.isArray(config.searches) ? config.searches : [];
  if (searches.length > MAX_DNS_SEARCHES)
    issues.error(
      [...at, 'searches'],
      'DNS_CONFIG_INVALID',
      `at most ${MAX_DNS_SEARCHES} search domains are allowed, got ${searches.length}`,
    );
  else if (searches.filter((s) => typeof s === 'string').join(' ').length > MAX_DNS_SEARCH_CHARS) {
    issues.error(
      [...at, 'searches'],
      'DNS_CONFIG_INVALID',
      `the search list may have at most ${MAX_DNS_SEARCH_CHARS} characters (spaces included)`,
    );
  } else {
    searches.forEach((s, i) => {
      if (typeof s !== 'string' || !isDnsSubdomain(s))
        issues.error(
          [...at, 'searches', i],
          'DNS_CONFIG_INVALID',
          `search domain ${typeof s === 'string' ? shown(s) : String(s)} is not a DNS subdomain`,
        );
    });
  }
  const options = Array.isArray(config.options) ? config.options : [];
  options.forEach((o, i) => {
    if (!isRawMap(o) || typeof o.name !== 'string' || o.name === '')
      issues.error([...at, 'options', i, 'name'], 'DNS_CONFIG_INVALID', 'a DNS option needs a name');
  });
}

/** SEV, SNP and TDX guests cannot boot from a NIC (their firmware has no network boot). */
function checkLaunchSecurity(
  spec: RawMap,
  root: FieldPath,
  interfaces: unknown[],
  issues: IssueCollector,
): void {
  const domain = isRawMap(spec.domain) ? spec.domain : undefined;
  const ls = domain?.launchSecurity;
  if (!isRawMap(ls)) return;
  const kinds = ['sev', 'snp', 'tdx'].filter((k) => present(ls[k]));
  const what = kinds.length > 0 ? kinds.map((k) => k.toUpperCase()).join('/') : 'launchSecurity';
  for (const iface of interfaces) {
    if (isRawMap(iface) && present(iface.bootOrder)) {
      const name = typeof iface.name === 'string' ? shown(iface.name) : 'an interface';
      issues.error(
        [...root, 'domain', 'launchSecurity'],
        'LAUNCH_SECURITY_BOOTABLE_NIC',
        `${what} does not work with bootable NICs: interface ${name} has a bootOrder`,
      );
    }
  }
}

/** Runs the VMI-level rules over the VMI spec at `root`. */
export function checkVmiRules(
  spec: RawMap,
  root: FieldPath,
  interfaces: unknown[],
  hasPodNetwork: boolean,
  issues: IssueCollector,
): void {
  checkProbes(spec, root, hasPodNetwork, issues);
  checkDns(spec, root, issues);
  checkLaunchSecurity(spec, root, interfaces, issues);
}
