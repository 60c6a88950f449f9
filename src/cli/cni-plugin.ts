// One call of virtnet's Multus-compatible delegating CNI plugin (`virtnet-cni`, started through
// cni-plugin-main.ts): the configuration on stdin, CNI_* in the environment, a result or a CNI error
// object on stdout. Kept apart from the `virtnet` command line so each call loads only what it uses.
import { isVirtnetError, VirtnetError } from '../errors/virtnet-error.js';
import { SUPPORTED_CNI_VERSIONS } from '../cni/cni-version.js';
import { parseCniEnv } from '../cni/delegating/cni-env.js';
import { parseDelegatingConf } from '../cni/delegating/delegating-conf.js';
import {
  delegatingAdd,
  delegatingCheck,
  delegatingDel,
  delegatingGc,
  delegatingStatus,
  type DelegatingCall,
} from '../cni/delegating/delegating-plugin.js';
import { encodeResult } from '../cni/result.js';
import { cniPodApi } from '../kube/cni-pod-api.js';
import { KubeRequestError } from '../kube/kube-rest.js';

/** CNI spec error codes for virtnet's error codes; anything else is 100 (this plugin's own). */
const CNI_ERROR_CODES: Record<string, number> = {
  CNI_INCOMPATIBLE_VERSION: 1,
  CNI_UNKNOWN_CONTAINER: 3,
  CNI_INVALID_ENVIRONMENT: 4,
  CNI_DECODE_FAILED: 6,
  CNI_CONFIG_INVALID: 7,
  CNI_NAD_INVALID: 7,
  CNI_NETWORK_NOT_FOUND: 7,
  CNI_NAMESPACE_ISOLATION: 7,
  MULTUS_ANNOTATION_INVALID: 7,
  POD_IFNAME_DUPLICATE: 7,
  KUBECONFIG_INVALID: 7,
};
export const PLUGIN_ERROR_CODE = 100;

/** The CNI error object for `err`: a delegate's own code passes through; unreachable API servers are "try again later" (11). */
export function cniErrorObject(err: unknown, cniVersion: string): Record<string, unknown> {
  if (!isVirtnetError(err))
    return { cniVersion, code: 999, msg: err instanceof Error ? err.message : String(err) };
  let code = CNI_ERROR_CODES[err.code] ?? PLUGIN_ERROR_CODE;
  const delegateCode = (err.detail.cniError as { code?: unknown } | undefined)?.code;
  if (err.code === 'CNI_PLUGIN_ERROR' && typeof delegateCode === 'number') code = delegateCode;
  if (err instanceof KubeRequestError && (err.status === 0 || err.status === 429 || err.status >= 500))
    code = 11;
  const details = [`virtnet error ${err.code}`];
  if (err.detail.field) details.push(`field ${err.detail.field}`);
  if (typeof err.detail.rollbackError === 'string')
    details.push(`rollback failed: ${err.detail.rollbackError}`);
  return { cniVersion, code, msg: err.message, details: details.join('; ') };
}

/** All of stdin, as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function versionOf(text: string): string {
  try {
    const v = (JSON.parse(text) as { cniVersion?: unknown }).cniVersion;
    if (typeof v === 'string' && v !== '') return v;
  } catch {
    /* the error path reports the decode failure */
  }
  return '1.0.0';
}

/** GC's `cni.dev/valid-attachments`: the attachments the runtime still has. */
function validAttachments(stdin: string): { containerId: string; ifname: string }[] {
  const list = (JSON.parse(stdin) as { 'cni.dev/valid-attachments'?: unknown })['cni.dev/valid-attachments'];
  if (!Array.isArray(list))
    throw new VirtnetError('CNI_CONFIG_INVALID', 'GC needs cni.dev/valid-attachments (a list)', {
      field: 'cni.dev/valid-attachments',
    });
  return list.map((a: { containerID?: unknown; ifname?: unknown }) => ({
    containerId: typeof a.containerID === 'string' ? a.containerID : '',
    ifname: typeof a.ifname === 'string' ? a.ifname : '',
  }));
}

/** Runs one plugin call; returns the exit status. */
export async function runCniPlugin(stdin: string, env: NodeJS.ProcessEnv): Promise<number> {
  const cniVersion = versionOf(stdin);
  try {
    const cniEnv = parseCniEnv(env);
    if (cniEnv.command === 'VERSION') {
      process.stdout.write(JSON.stringify({ cniVersion, supportedVersions: SUPPORTED_CNI_VERSIONS }));
      return 0;
    }
    const conf = parseDelegatingConf(stdin);
    const call: DelegatingCall = { conf, env: cniEnv };
    if (conf.kubeconfig !== undefined) call.api = cniPodApi(conf.kubeconfig);
    switch (cniEnv.command) {
      case 'ADD': {
        const result = await delegatingAdd(call);
        process.stdout.write(JSON.stringify(encodeResult(result, conf.cniVersion)));
        return 0;
      }
      case 'DEL':
        await delegatingDel(call);
        return 0;
      case 'CHECK':
        await delegatingCheck(call);
        return 0;
      case 'STATUS':
        await delegatingStatus(call);
        return 0;
      case 'GC':
        await delegatingGc(call, validAttachments(stdin));
        return 0;
    }
  } catch (err) {
    process.stdout.write(JSON.stringify(cniErrorObject(err, cniVersion)));
    return 1;
  }
}
