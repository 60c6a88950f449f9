// The one way a VMI's status is written: a merge patch of the status subresource carrying the
// resourceVersion it was computed from, so a write based on a stale read fails (409) and is retried
// instead of overwriting what another component (controller, node agent) wrote meanwhile.
import { MERGE_PATCH, type KubeClients } from './kube-client.js';
import type { VmiObject } from './launcher-pod.js';
import { VMI_GROUP, VMI_PLURAL, VMI_VERSION } from './vmi-crd.js';

export async function patchVmiStatus(kube: KubeClients, vmi: VmiObject, statusPatch: unknown): Promise<void> {
  await kube.custom.patchNamespacedCustomObjectStatus(
    {
      group: VMI_GROUP,
      version: VMI_VERSION,
      namespace: vmi.metadata.namespace,
      plural: VMI_PLURAL,
      name: vmi.metadata.name,
      body: { metadata: { resourceVersion: vmi.metadata.resourceVersion }, status: statusPatch },
    },
    MERGE_PATCH,
  );
}
