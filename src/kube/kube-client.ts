// The controller's and the webhook's way to a Kubernetes API server (@kubernetes/client-node 1.4: 2.x
// needs Node >= 22.19): the kubeconfig (in-cluster, $KUBECONFIG or ~/.kube/config), the typed API
// clients, patch content types and API error codes. Only GA APIs of Kubernetes 1.20 are used. The node
// agent and virtnet-cni, which must stay small, use kube-rest.ts instead.
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { VMI_GROUP, VMI_PLURAL, VMI_VERSION } from './vmi-crd.js';
import type { VmiStatusApi } from './vmi-status-write.js';

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  admission: AdmissionregistrationV1Api;
}

/** Clients from the in-cluster service account when running in a pod, else the usual kubeconfig. */
export function kubeClients(kubeconfigPath?: string): KubeClients {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    admission: config.makeApiClient(AdmissionregistrationV1Api),
  };
}

/** The HTTP status of an API error (404, 409...), undefined for anything else. */
export function apiErrorCode(err: unknown): number | undefined {
  return err instanceof ApiException ? (err as ApiException<unknown>).code : undefined;
}

/** A short text for an API error: the Status message when the server sent one. */
export function apiErrorText(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = (err as ApiException<unknown>).body;
    try {
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
      if (status?.message) return `${err.code}: ${status.message}`;
    } catch {
      // not JSON: fall through
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Request options sending a body as an RFC 7386 merge patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Request options sending a body as an RFC 6902 JSON patch. */
export const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** The VMI status subresource through client-node (vmi-status-write.ts patchVmiStatus). */
export function vmiStatusApi(kube: KubeClients): VmiStatusApi {
  return {
    mergePatchStatus: (namespace, name, body) =>
      kube.custom.patchNamespacedCustomObjectStatus(
        { group: VMI_GROUP, version: VMI_VERSION, namespace, plural: VMI_PLURAL, name, body },
        MERGE_PATCH,
      ),
  };
}
