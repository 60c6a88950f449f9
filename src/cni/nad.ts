// NetworkAttachmentDefinition objects (k8s.cni.cncf.io/v1) read from YAML files: each holds a CNI
// conf or conflist as a JSON string in spec.config, or none (then the conf dir file of that name is used).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { VirtnetError } from '../errors/virtnet-error.js';
import { parseNetworkConfig, type NetworkConfList } from './net-conf.js';

export const NAD_API_VERSION = 'k8s.cni.cncf.io/v1';
export const NAD_KIND = 'NetworkAttachmentDefinition';
/** Device-plugin resource backing the network (SR-IOV), as Multus reads it. */
export const RESOURCE_NAME_ANNOTATION = 'k8s.v1.cni.cncf.io/resourceName';

/** A NetworkAttachmentDefinition, decoded. `list` is undefined when spec.config is empty. */
export interface NetworkAttachmentDefinition {
  name: string;
  namespace: string;
  resourceName?: string;
  list?: NetworkConfList;
  file: string;
}

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes one NAD object; `where` names it in errors. */
export function parseNad(obj: unknown, file: string, where: string): NetworkAttachmentDefinition {
  const bad = (field: string, message: string) =>
    new VirtnetError('CNI_NAD_INVALID', `${where}: ${message}`, { field, file });
  if (!isObject(obj)) throw bad('', 'a NetworkAttachmentDefinition must be an object');
  if (obj.apiVersion !== NAD_API_VERSION) throw bad('apiVersion', `apiVersion must be ${NAD_API_VERSION}`);
  if (obj.kind !== NAD_KIND) throw bad('kind', `kind must be ${NAD_KIND}`);
  const meta = obj.metadata;
  if (!isObject(meta) || typeof meta.name !== 'string' || !DNS_LABEL_RE.test(meta.name))
    throw bad('metadata.name', 'metadata.name must be a DNS label');
  const namespace = meta.namespace ?? 'default';
  if (typeof namespace !== 'string' || !DNS_LABEL_RE.test(namespace))
    throw bad('metadata.namespace', 'metadata.namespace must be a DNS label');
  const nad: NetworkAttachmentDefinition = { name: meta.name, namespace, file };
  const annotations = meta.annotations;
  if (annotations !== undefined) {
    if (!isObject(annotations)) throw bad('metadata.annotations', 'annotations must be a map of strings');
    const rn = annotations[RESOURCE_NAME_ANNOTATION];
    if (rn !== undefined) {
      if (typeof rn !== 'string' || rn === '')
        throw bad(
          `metadata.annotations["${RESOURCE_NAME_ANNOTATION}"]`,
          'resourceName must be a non-empty string',
        );
      nad.resourceName = rn;
    }
  }
  const spec = obj.spec;
  const config = isObject(spec) ? spec.config : undefined;
  if (config !== undefined && config !== '') {
    if (typeof config !== 'string') throw bad('spec.config', 'spec.config must be a JSON string');
    try {
      nad.list = parseNetworkConfig(config, `${where} spec.config`, meta.name);
    } catch (err) {
      if (err instanceof VirtnetError) {
        throw new VirtnetError('CNI_NAD_INVALID', err.message, {
          ...err.detail,
          field: `spec.config${err.detail.field ? `.${err.detail.field}` : ''}`,
          file,
        });
      }
      throw err;
    }
  }
  return nad;
}

/** Reads every NAD from YAML files (multi-document files allowed; other kinds are ignored). */
export function loadNadFiles(files: readonly string[]): NetworkAttachmentDefinition[] {
  const out: NetworkAttachmentDefinition[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new VirtnetError('CNI_NAD_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, {
        field: 'nad',
        file,
      });
    }
    parseAllDocuments(text).forEach((doc, i) => {
      if (doc.errors.length > 0)
        throw new VirtnetError('CNI_NAD_INVALID', `${file}: YAML error: ${doc.errors[0]!.message}`, {
          field: 'nad',
          file,
        });
      const obj: unknown = doc.toJS();
      if (obj === null || obj === undefined) return;
      if (isObject(obj) && obj.kind !== undefined && obj.kind !== NAD_KIND) return;
      const nad = parseNad(obj, file, `${file}#${i}`);
      if (out.some((n) => n.name === nad.name && n.namespace === nad.namespace)) {
        throw new VirtnetError(
          'CNI_NAD_DUPLICATE',
          `${file}: NetworkAttachmentDefinition ${nad.namespace}/${nad.name} is defined twice`,
          { field: 'metadata.name', file },
        );
      }
      out.push(nad);
    });
  }
  return out;
}
