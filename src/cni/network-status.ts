// The NPWG `k8s.v1.cni.cncf.io/network-status` entries built from CNI results: one per attachment,
// with the sandbox interface's IPs, MAC, DNS, gateways and device-info (from 1.1.0 pciID/socketPath).
import { cidrAddress, type CniDns, type CniResult } from './result.js';

/** NPWG device-info. */
export interface DeviceInfo {
  type: 'pci' | 'vhost-user';
  version: string;
  pci?: { 'pci-address': string };
  'vhost-user'?: { mode: 'client' | 'server'; path: string };
}

/** One entry of the network-status annotation. */
export interface NetworkStatusEntry {
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  mtu?: number;
  default?: boolean;
  dns?: CniDns;
  gateway?: string[];
  'device-info'?: DeviceInfo;
}

/** The status entry for attachment `name` on `ifname` from its result. */
export function networkStatusEntry(
  name: string,
  ifname: string,
  result: CniResult | undefined,
  isDefault: boolean,
): NetworkStatusEntry {
  const entry: NetworkStatusEntry = { name, interface: ifname };
  if (!result) return isDefault ? { ...entry, default: true } : entry;
  const ifaces = result.interfaces ?? [];
  let index = ifaces.findIndex((i) => i.name === ifname && i.sandbox);
  if (index < 0) index = ifaces.findIndex((i) => i.sandbox);
  const iface = index >= 0 ? ifaces[index] : undefined;
  const ips = (result.ips ?? []).filter((ip) => ip.interface === undefined || ip.interface === index);
  entry.ips = ips.map((ip) => cidrAddress(ip.address));
  if (iface?.mac) entry.mac = iface.mac;
  if (iface?.mtu) entry.mtu = iface.mtu;
  if (isDefault) entry.default = true;
  entry.dns = result.dns ?? {};
  const gateways = ips.map((ip) => ip.gateway).filter((g): g is string => g !== undefined);
  if (isDefault && gateways.length > 0) entry.gateway = gateways;
  if (iface?.pciID)
    entry['device-info'] = { type: 'pci', version: '1.1.0', pci: { 'pci-address': iface.pciID } };
  else if (iface?.socketPath)
    entry['device-info'] = {
      type: 'vhost-user',
      version: '1.1.0',
      'vhost-user': { mode: 'server', path: iface.socketPath },
    };
  return entry;
}
