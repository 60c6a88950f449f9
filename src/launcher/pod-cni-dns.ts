// The DNS section of a pod's CNI result, when virtnet created the pod (embedded mode): the second
// source of the pod's resolver settings after /etc/netns/<pod>/resolv.conf (see src/host/discover.ts).
import { readAttachments } from '../cni/pod-store.js';
import type { CniDns } from '../host/discover.js';
import { parseNetnsRef } from '../host/netns.js';

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

/** The default network's CNI result DNS of pod `netns` in `stateDir`, if recorded and non-empty. */
export function podCniDns(stateDir: string, netns: string): CniDns | undefined {
  const ref = parseNetnsRef(netns);
  if (!('name' in ref)) return undefined;
  let attachments;
  try {
    attachments = readAttachments(stateDir, ref.name);
  } catch {
    return undefined;
  }
  const ordered = [...attachments.filter((a) => a.default), ...attachments.filter((a) => !a.default)];
  for (const a of ordered) {
    const dns = a.result?.dns;
    if (dns === null || typeof dns !== 'object') continue;
    const d = dns as Record<string, unknown>;
    const nameservers = strings(d.nameservers);
    if (!nameservers || nameservers.length === 0) continue;
    return {
      nameservers,
      ...(strings(d.search) ? { search: strings(d.search) } : {}),
      ...(typeof d.domain === 'string' && d.domain ? { domain: d.domain } : {}),
      ...(strings(d.options) ? { options: strings(d.options) } : {}),
    };
  }
  return undefined;
}
