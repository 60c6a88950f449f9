// A kubeconfig file read without @kubernetes/client-node, for programs that must start fast (the CNI
// plugin runs once per pod network call; loading client-node alone takes 0.5–1 s here). Only what a
// node-side credential uses: the current context's server, CA, client certificate or bearer token
// (inline, or files relative to the kubeconfig), insecure-skip-tls-verify. Exec and auth-provider
// plugins are refused with a clear error.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { VirtnetError } from '../errors/virtnet-error.js';

/** How to reach and authenticate to the API server. */
export interface ApiServerCredentials {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** Where the token is: read again at each request (a service account's bound token rotates). */
  tokenFile?: string;
  insecureSkipTlsVerify: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(file: string, field: string, message: string): VirtnetError {
  return new VirtnetError('KUBECONFIG_INVALID', `${file}: ${message}`, { field, file });
}

function named(file: string, list: unknown, kind: string, name: unknown): Json {
  const entry = Array.isArray(list)
    ? (list as unknown[]).find((e) => isObject(e) && e.name === name)
    : undefined;
  if (!isObject(entry) || !isObject(entry[kind]))
    throw bad(file, `${kind}s`, `no ${kind} named ${JSON.stringify(name)}`);
  return entry[kind];
}

/** Reads `<field>-data` (base64) or `<field>` (a file, relative to the kubeconfig). */
function material(file: string, obj: Json, field: string): Buffer | undefined {
  const data = obj[`${field}-data`];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  const path = obj[field];
  if (typeof path !== 'string' || path === '') return undefined;
  try {
    return readFileSync(resolve(dirname(file), path));
  } catch (err) {
    throw bad(file, field, `cannot read ${field} ${path}: ${(err as Error).message}`);
  }
}

/** The credentials of the kubeconfig's current context. Throws KUBECONFIG_INVALID naming the field. */
export function loadKubeconfig(file: string): ApiServerCredentials {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw bad(file, '', `cannot read the kubeconfig: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw bad(file, '', 'not a kubeconfig');
  const context = named(file, doc.contexts, 'context', doc['current-context']);
  const cluster = named(file, doc.clusters, 'cluster', context.cluster);
  const user = named(file, doc.users, 'user', context.user);
  if (typeof cluster.server !== 'string' || !/^https?:\/\//.test(cluster.server))
    throw bad(file, 'cluster.server', 'the cluster has no http(s) server URL');
  if (user.exec !== undefined || user['auth-provider'] !== undefined)
    throw bad(
      file,
      'user',
      'exec and auth-provider credentials are not supported here: use a token or a certificate',
    );
  const creds: ApiServerCredentials = {
    server: cluster.server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  const ca = material(file, cluster, 'certificate-authority');
  if (ca) creds.ca = ca;
  const cert = material(file, user, 'client-certificate');
  const key = material(file, user, 'client-key');
  if (cert && key) {
    creds.cert = cert;
    creds.key = key;
  }
  if (typeof user.token === 'string' && user.token !== '') creds.token = user.token;
  else if (typeof user.tokenFile === 'string' && user.tokenFile !== '') {
    creds.tokenFile = resolve(dirname(file), user.tokenFile);
    try {
      creds.token = readFileSync(creds.tokenFile, 'utf8').trim();
    } catch (err) {
      throw bad(file, 'user.tokenFile', `cannot read tokenFile: ${(err as Error).message}`);
    }
  }
  return creds;
}
