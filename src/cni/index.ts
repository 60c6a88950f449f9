// The public surface of src/cni for the rest of virtnet: embedded pods, the VM-to-pod network
// mapping, per-vNIC pod interfaces, the CNI runtime and result types.
export {
  createPod,
  deletePod,
  listPods,
  readPod,
  assertPodName,
  type CreatePodOptions,
  type DeletePodOptions,
  type PodState,
  type PodAttachment,
  type PodRuntimeOptions,
} from './pod.js';
export { podNetworksForVm, type VmPodNetworks, type VmNetworkAttachment } from './vm-networks.js';
export { addPodInterface, removePodInterface, type PodInterfaceRequest } from './pod-interface.js';
export { NetworkCatalog, type CatalogOptions, type ResolvedNetwork } from './network-catalog.js';
export {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  getCachedResult,
  gcNetworkList,
  statusNetworkList,
  pluginVersionInfo,
  type RuntimeConf,
  type CniRuntimeOptions,
} from './runtime.js';
export {
  parseResult,
  encodeResult,
  convertResult,
  sandboxInterfaces,
  type CniResult,
  type CniInterface,
  type CniIpConfig,
  type CniRoute,
  type CniDns,
  type CniErrorObject,
} from './result.js';
export { parseNetworkConfig, type NetworkConfList, type PluginConf } from './net-conf.js';
export type { NetworkStatusEntry, DeviceInfo } from './network-status.js';
export {
  parseNetworksAnnotation,
  formatNetworksAnnotation,
  parseDefaultNetworkAnnotation,
  NETWORKS_ANNOTATION,
  NETWORK_STATUS_ANNOTATION,
  DEFAULT_NETWORK_ANNOTATION,
  type NetworkSelection,
} from './multus-annotation.js';
export { hashedPodIfname, ordinalPodIfname, DEFAULT_POD_IFNAME } from './pod-ifname.js';
export { CniProxy, podSocketPath, type CniProxyOptions } from './proxy/cni-proxy.js';
export { proxyRequest } from './proxy/proxy-client.js';
