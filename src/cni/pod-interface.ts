// One more interface for a running pod from a host network, and giving it back (one
// interface per vNIC). The CNI proxy serves this over a pod's socket; embedded callers use it directly.
// It is recorded as a pod attachment (source `proxy`), so it shows in network-status and pod deletion
// removes it, whoever added it and whatever crashed since.
import { VirtnetError } from '../errors/virtnet-error.js';
import type { NetworkCatalog } from './network-catalog.js';
import {
  attachNetwork,
  detachNetwork,
  withPodLock,
  type PodAttachment,
  type PodRuntimeOptions,
} from './pod.js';
import { selectionRuntime } from './pod-networks.js';
import { isLinuxInterfaceName } from '../api/linux-ifname.js';
import { checkMacAddress, normaliseMac } from '../api/mac-address.js';
import { ordinalPodIfname } from './pod-ifname.js';
import { readAttachments, readPodRecord } from './pod-store.js';
import { parseResult, sandboxInterfaces } from './result.js';

/** What a pod asks for. */
export interface PodInterfaceRequest {
  /** Network name (`name` or `ns/name`) from the conf dir or NADs. */
  network: string;
  /** Interface name in the pod; the first free `netN` when absent. */
  ifname?: string;
  /** MAC for the new interface (passed as capability `mac` and CNI_ARGS MAC=). */
  mac?: string;
}

/** Checks a request's shape; throws PROXY_BAD_REQUEST / PROXY_BAD_IFNAME / PROXY_BAD_MAC with the field. */
export function validatePodInterfaceRequest(body: unknown): PodInterfaceRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new VirtnetError('PROXY_BAD_REQUEST', 'request body must be a JSON object');
  const { network, ifname, mac } = body as Record<string, unknown>;
  if (typeof network !== 'string' || network === '')
    throw new VirtnetError('PROXY_BAD_REQUEST', 'network is required', { field: 'network' });
  const req: PodInterfaceRequest = { network };
  if (ifname !== undefined) {
    if (typeof ifname !== 'string' || !isLinuxInterfaceName(ifname))
      throw new VirtnetError(
        'PROXY_BAD_IFNAME',
        `invalid interface name ${JSON.stringify(ifname)} (≤ 15 bytes of letters, digits, "_", "-", ".")`,
        { field: 'ifname' },
      );
    req.ifname = ifname;
  }
  if (mac !== undefined) {
    if (typeof mac !== 'string' || checkMacAddress(mac) !== undefined)
      throw new VirtnetError('PROXY_BAD_MAC', `invalid MAC ${JSON.stringify(mac)}`, { field: 'mac' });
    const m = normaliseMac(mac);
    if ((Number.parseInt(m.slice(0, 2), 16) & 1) === 1)
      throw new VirtnetError('PROXY_BAD_MAC', `MAC ${m} is a multicast address`, { field: 'mac' });
    req.mac = m;
  }
  return req;
}

/**
 * Adds an interface from `req.network` to pod `pod` and returns its attachment (result included).
 * Nothing remains when it fails, including when the network cannot honour the MAC request.
 */
export async function addPodInterface(
  pod: string,
  stateDir: string,
  catalog: NetworkCatalog,
  request: PodInterfaceRequest,
  opts: PodRuntimeOptions = {},
): Promise<PodAttachment> {
  const req = validatePodInterfaceRequest(request);
  return withPodLock(pod, async () => {
    const rec = readPodRecord(stateDir, pod);
    if (!rec || rec.status !== 'ready')
      throw new VirtnetError('PROXY_POD_NOT_READY', `pod ${pod} is ${rec ? rec.status : 'gone'}`, {
        field: 'pod',
      });
    const resolved = catalog.resolveByName(req.network, rec.namespace, 'network');
    const existing = readAttachments(stateDir, pod);
    const used = new Set(['lo', ...existing.map((a) => a.ifname)]);
    let ifname = req.ifname;
    if (ifname === undefined) {
      for (let i = 1; ifname === undefined || used.has(ifname); i++) ifname = ordinalPodIfname(i);
    } else if (used.has(ifname)) {
      throw new VirtnetError('PROXY_IFNAME_IN_USE', `interface ${ifname} already exists in pod ${pod}`, {
        field: 'ifname',
        device: ifname,
      });
    }
    const rt = selectionRuntime(req.mac !== undefined ? { mac: req.mac } : {});
    const seq = existing.reduce((m, a) => Math.max(m, a.seq), 0) + 1;
    const runOpts = rec.cniPath && !opts.cniPath ? { ...opts, cniPath: rec.cniPath } : opts;
    const a = await attachNetwork(
      stateDir,
      rec,
      { name: resolved.statusName, source: 'proxy', ifname, default: false, list: resolved.list, ...rt },
      seq,
      runOpts,
    );
    if (req.mac !== undefined) {
      const parsed = parseResult(a.result);
      const got = parsed.ok
        ? sandboxInterfaces(parsed.result).find((i) => i.name === ifname)?.mac
        : undefined;
      if (got !== req.mac) {
        // No plugin of the network honours the MAC request: undo rather than hand out the wrong MAC.
        await detachNetwork(stateDir, rec, a, runOpts).catch(() => undefined);
        throw new VirtnetError(
          'PROXY_MAC_UNSUPPORTED',
          `network ${req.network} cannot set MAC ${req.mac} (no plugin honours the mac capability or MAC= argument; got ${got ?? 'none'})`,
          { field: 'mac' },
        );
      }
    }
    return a;
  });
}

/** Removes an interface added by addPodInterface (not the pod's own networks). */
export async function removePodInterface(
  pod: string,
  stateDir: string,
  ifname: string,
  opts: PodRuntimeOptions = {},
): Promise<void> {
  await withPodLock(pod, async () => {
    const rec = readPodRecord(stateDir, pod);
    if (!rec) throw new VirtnetError('PROXY_POD_NOT_READY', `pod ${pod} no longer exists`, { field: 'pod' });
    const a = readAttachments(stateDir, pod).find((x) => x.ifname === ifname && x.source === 'proxy');
    if (!a)
      throw new VirtnetError(
        'PROXY_INTERFACE_NOT_FOUND',
        `pod ${pod} has no interface ${ifname} added through the proxy`,
        { field: 'ifname', device: ifname },
      );
    await detachNetwork(
      stateDir,
      rec,
      a,
      rec.cniPath && !opts.cniPath ? { ...opts, cniPath: rec.cniPath } : opts,
    );
  });
}
