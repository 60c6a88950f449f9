// The one way a VMI's status is written: a merge patch of the status subresource carrying the
// resourceVersion it was computed from, so a write based on a stale read fails (409) and is retried
// instead of overwriting what another component (controller, node agent) wrote meanwhile. The
// request goes through a VmiStatusApi: client-node's for the controller (kube-client.ts), KubeRest's
// for the node agent, which never loads client-node.
import type { KubeRest } from './kube-rest.js';
import type { VmiObject } from './launcher-pod.js';
import { vmiApiPath } from './vmi-crd.js';

/** Sends a merge patch of a VMI's status subresource. */
export interface VmiStatusApi {
  mergePatchStatus(namespace: string, name: string, body: unknown): Promise<unknown>;
}

export async function patchVmiStatus(api: VmiStatusApi, vmi: VmiObject, statusPatch: unknown): Promise<void> {
  await api.mergePatchStatus(vmi.metadata.namespace, vmi.metadata.name, {
    metadata: { resourceVersion: vmi.metadata.resourceVersion },
    status: statusPatch,
  });
}

/** The status subresource through KubeRest. */
export function restVmiStatusApi(rest: KubeRest): VmiStatusApi {
  return {
    mergePatchStatus: (namespace, name, body) =>
      rest.mergePatch(`${vmiApiPath(namespace, name)}/status`, body),
  };
}
