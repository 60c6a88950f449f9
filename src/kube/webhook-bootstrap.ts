// What the webhook does before serving: find or make its TLS Secret (the first replica to create it
// wins; the others read it) and put the CA into both webhook configurations' caBundle, so the
// apiserver trusts the webhook without cert-manager — and again whenever a configuration is re-created
// or loses it (a watch on the two objects; failurePolicy Fail would otherwise block every VMI).
import { Watch, type V1Secret } from '@kubernetes/client-node';
import { apiErrorCode, apiErrorText, JSON_PATCH, type KubeClients } from './kube-client.js';
import { WEBHOOK_CONFIGURATION, WEBHOOK_NAME, WEBHOOK_TLS_SECRET } from './manifests.js';
import { makeWebhookTls, type WebhookTls } from './webhook-certs.js';

function fromSecret(s: V1Secret): WebhookTls | undefined {
  const d = s.data ?? {};
  const get = (k: string) => (d[k] !== undefined ? Buffer.from(d[k], 'base64').toString('utf8') : undefined);
  const caCert = get('ca.crt');
  const tlsCert = get('tls.crt');
  const tlsKey = get('tls.key');
  return caCert && tlsCert && tlsKey ? { caCert, tlsCert, tlsKey } : undefined;
}

/** The webhook's TLS material from its Secret, made and stored first if there is none. */
export async function ensureWebhookTls(kube: KubeClients, namespace: string): Promise<WebhookTls> {
  try {
    const existing = fromSecret(
      await kube.core.readNamespacedSecret({ name: WEBHOOK_TLS_SECRET, namespace }),
    );
    if (existing) return existing;
    throw new Error(
      `Secret ${namespace}/${WEBHOOK_TLS_SECRET} lacks ca.crt, tls.crt or tls.key; delete it to have it made again`,
    );
  } catch (err) {
    if (apiErrorCode(err) !== 404) throw err;
  }
  const tls = makeWebhookTls(WEBHOOK_NAME, namespace);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  try {
    await kube.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: WEBHOOK_TLS_SECRET, namespace, labels: { 'app.kubernetes.io/part-of': 'virtnet' } },
        type: 'kubernetes.io/tls',
        data: { 'ca.crt': b64(tls.caCert), 'tls.crt': b64(tls.tlsCert), 'tls.key': b64(tls.tlsKey) },
      },
    });
    return tls;
  } catch (err) {
    if (apiErrorCode(err) !== 409) throw err;
    // Another replica stored its own first: use that one.
    return ensureWebhookTls(kube, namespace);
  }
}

interface WebhookConfig {
  webhooks?: { clientConfig?: { caBundle?: string; service?: { name?: string; namespace?: string } } }[];
}

/** JSON patch ops setting `caBundle` on each webhook served by this Service; none when all are set. */
export function caBundlePatch(
  config: WebhookConfig,
  namespace: string,
  caBundle: string,
): { op: 'add'; path: string; value: string }[] {
  return (config.webhooks ?? []).flatMap((w, i) => {
    const svc = w.clientConfig?.service;
    if (svc?.name !== WEBHOOK_NAME || svc.namespace !== namespace || w.clientConfig?.caBundle === caBundle)
      return [];
    return [{ op: 'add' as const, path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }];
  });
}

/** Fills both webhook configurations' caBundle with `caCert`. Throws 404 while they are not created yet. */
export async function publishCaBundle(kube: KubeClients, namespace: string, caCert: string): Promise<void> {
  const caBundle = Buffer.from(caCert).toString('base64');
  const api = kube.admission;
  const mutating = await api.readMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION });
  const mPatch = caBundlePatch(mutating, namespace, caBundle);
  if (mPatch.length > 0)
    await api.patchMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, body: mPatch }, JSON_PATCH);
  const validating = await api.readValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION });
  const vPatch = caBundlePatch(validating, namespace, caBundle);
  if (vPatch.length > 0)
    await api.patchValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, body: vPatch }, JSON_PATCH);
}

const CONFIG_PATHS = {
  MutatingWebhookConfiguration: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
  ValidatingWebhookConfiguration: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
} as const;

/** Watches both configurations and restores the caBundle when an event shows it missing or wrong. */
export function keepCaBundle(
  kube: KubeClients,
  namespace: string,
  caCert: string,
  log: (msg: string) => void,
): { stop: () => void } {
  const caBundle = Buffer.from(caCert).toString('base64');
  const watch = new Watch(kube.config);
  const aborts: AbortController[] = [];
  let stopped = false;
  const patchFor = async (kind: keyof typeof CONFIG_PATHS, config: WebhookConfig): Promise<void> => {
    const ops = caBundlePatch(config, namespace, caBundle);
    if (ops.length === 0) return;
    const api = kube.admission;
    if (kind === 'MutatingWebhookConfiguration')
      await api.patchMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, body: ops }, JSON_PATCH);
    else
      await api.patchValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, body: ops }, JSON_PATCH);
    log(`caBundle restored on ${kind} ${WEBHOOK_CONFIGURATION}`);
  };
  const start = (kind: keyof typeof CONFIG_PATHS): void => {
    if (stopped) return;
    watch
      .watch(
        CONFIG_PATHS[kind],
        { fieldSelector: `metadata.name=${WEBHOOK_CONFIGURATION}` },
        (phase, obj) => {
          if (phase === 'ADDED' || phase === 'MODIFIED')
            patchFor(kind, obj as WebhookConfig).catch((err: unknown) =>
              log(`restoring caBundle on ${kind} failed: ${apiErrorText(err)}`),
            );
        },
        // The apiserver ends watches now and then; resume (a new watch lists the object again).
        () => setTimeout(() => start(kind), 1000).unref(),
      )
      .then((a) => aborts.push(a))
      .catch((err: unknown) => {
        log(`watching ${kind} failed, retrying: ${apiErrorText(err)}`);
        setTimeout(() => start(kind), 5000).unref();
      });
  };
  start('MutatingWebhookConfiguration');
  start('ValidatingWebhookConfiguration');
  return {
    stop: () => {
      stopped = true;
      for (const a of aborts) a.abort();
    },
  };
}
