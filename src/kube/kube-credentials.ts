// Which API server a node-side component talks to, and as whom, without @kubernetes/client-node: the
// kubeconfig it was given, else what client-node's loadFromDefault would pick ($KUBECONFIG,
// ~/.kube/config, the pod's service account).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import { loadKubeconfig, type ApiServerCredentials } from './kubeconfig.js';

/** Where the kubelet mounts a pod's service account token and the cluster's CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The API server as a pod (and the host, through the Service's node rules) reaches it. */
export function inClusterApiServer(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return undefined;
  return `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
}

/** The pod's own service account: its token file (read again at each request) and CA. */
export function inClusterCredentials(
  env: NodeJS.ProcessEnv,
  dir = SERVICE_ACCOUNT_DIR,
): ApiServerCredentials | undefined {
  const server = inClusterApiServer(env);
  if (!server) return undefined;
  const tokenFile = join(dir, 'token');
  let token: string;
  let ca: Buffer;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
    ca = readFileSync(join(dir, 'ca.crt'));
  } catch (err) {
    throw new VirtnetError(
      'KUBE_CREDENTIALS_MISSING',
      `in a pod (KUBERNETES_SERVICE_HOST is set) without its service account: ${(err as Error).message}`,
      { file: dir },
    );
  }
  return { server, ca, token, tokenFile, insecureSkipTlsVerify: false };
}

/**
 * The credentials to use: `kubeconfig` when given, else (in client-node's loadFromDefault order) the
 * first file of $KUBECONFIG, ~/.kube/config when it exists, the pod's service account.
 */
export function apiServerCredentials(
  kubeconfig?: string,
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): ApiServerCredentials {
  if (kubeconfig !== undefined) return loadKubeconfig(kubeconfig);
  const fromEnv = env.KUBECONFIG?.split(':').find((f) => f !== '');
  if (fromEnv !== undefined) return loadKubeconfig(fromEnv);
  const own = join(home, '.kube', 'config');
  if (existsSync(own)) return loadKubeconfig(own);
  const inCluster = inClusterCredentials(env);
  if (inCluster) return inCluster;
  throw new VirtnetError(
    'KUBE_CREDENTIALS_MISSING',
    `not in a pod, no $KUBECONFIG and no ${own}: pass --kubeconfig`,
    { file: own },
  );
}
