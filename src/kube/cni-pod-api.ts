// The API server as the delegating CNI plugin sees it: a pod's annotations, a
// NetworkAttachmentDefinition by namespace/name, and network-status written on the pod with a merge
// patch of its annotations. The patch carries the pod's UID when the runtime gave one, so a status
// never lands on a newer pod of the same name (the API server refuses a patch whose UID differs).
import { NETWORK_STATUS_ANNOTATION } from '../cni/multus-annotation.js';
import type { NetworkStatusEntry } from '../cni/network-status.js';
import type { PodNetworkApi } from '../cni/delegating/delegating-plugin.js';
import { loadKubeconfig } from './kubeconfig.js';
import { KubeRest } from './kube-rest.js';

const seg = encodeURIComponent;

/** The plugin's API access through the kubeconfig at `file`. */
export function cniPodApi(file: string, timeoutMs?: number): PodNetworkApi {
  const rest = new KubeRest(loadKubeconfig(file), timeoutMs);
  const podPath = (namespace: string, name: string) =>
    `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`;
  return {
    async podAnnotations(namespace, name) {
      const pod = (await rest.get(podPath(namespace, name))) as
        { metadata?: { annotations?: Record<string, string> } } | undefined;
      return pod?.metadata?.annotations ?? {};
    },
    networkAttachmentDefinition(namespace, name) {
      return rest.get(
        `/apis/k8s.cni.cncf.io/v1/namespaces/${seg(namespace)}/network-attachment-definitions/${seg(name)}`,
      );
    },
    async setNetworkStatus(pod, status: NetworkStatusEntry[]) {
      const metadata: Record<string, unknown> = {
        annotations: { [NETWORK_STATUS_ANNOTATION]: JSON.stringify(status, null, 2) },
      };
      if (pod.uid !== undefined) metadata.uid = pod.uid;
      await rest.mergePatch(podPath(pod.namespace, pod.name), { metadata });
    },
  };
}
