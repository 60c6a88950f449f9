// The admission decisions for VirtualMachineInstances, AdmissionReview v1 in and out (GA since
// Kubernetes 1.16): validation applies every rule of `virtnet validate` and refuses with each error's
// field path as a cause (so `kubectl apply` prints them all); mutation stores what `virtnet defaults`
// shows, as a JSON patch of `spec`. A spec may not change after creation: the launcher pod was made
// from it. Pure: review in, response out; the HTTPS server is webhook-server.ts.
import {
  renderDefaultedDocument,
  validateVmDocument,
  type ClusterConfig,
  type SpecIssue,
} from '../api/index.js';
import { diffToPatch, type JsonPatchOp } from './json-patch.js';
import { VMI_GROUP, VMI_KIND } from './vmi-crd.js';

export interface AdmissionRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  name?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
}

export interface StatusCause {
  type: string;
  field: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: {
    metadata: Record<string, never>;
    status: 'Failure';
    code: number;
    reason: string;
    message: string;
    details: { name?: string; group: string; kind: string; causes: StatusCause[] };
  };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameJson(a: unknown, b: unknown): boolean {
  return diffToPatch(a, b).length === 0;
}

/** The name a refusal names: metadata.name, or generateName while the apiserver has not made one yet. */
function objectName(req: AdmissionRequest): string | undefined {
  const meta = isObject(req.object) && isObject(req.object.metadata) ? req.object.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '') return meta.name;
  if (typeof meta.generateName === 'string') return meta.generateName;
  return req.name;
}

/**
 * The document as validation reads it: `virtnet validate` names a VM by metadata.name, which a CREATE
 * with generateName does not have yet.
 */
function documentForValidation(req: AdmissionRequest): unknown {
  if (!isObject(req.object)) return req.object;
  const meta = isObject(req.object.metadata) ? req.object.metadata : {};
  if ((typeof meta.name !== 'string' || meta.name === '') && typeof meta.generateName === 'string') {
    return { ...req.object, metadata: { ...meta, name: `${meta.generateName}x` } };
  }
  return req.object;
}

function warningLines(warnings: readonly SpecIssue[]): string[] | undefined {
  return warnings.length > 0
    ? warnings.map((w) => (w.field ? `${w.field}: ${w.message}` : w.message))
    : undefined;
}

function refuse(req: AdmissionRequest, causes: StatusCause[]): AdmissionResponse {
  const name = objectName(req);
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return {
    uid: req.uid,
    allowed: false,
    status: {
      metadata: {},
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: `${VMI_KIND}.${VMI_GROUP} ${JSON.stringify(name ?? '')} is invalid: ${list}`,
      details: { ...(name !== undefined ? { name } : {}), group: VMI_GROUP, kind: VMI_KIND, causes },
    },
  };
}

/** The validating webhook's answer. */
export function validateAdmission(req: AdmissionRequest, cluster?: ClusterConfig): AdmissionResponse {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { uid: req.uid, allowed: true };
  const spec = isObject(req.object) ? req.object.spec : undefined;
  if (req.operation === 'UPDATE') {
    const oldSpec = isObject(req.oldObject) ? req.oldObject.spec : undefined;
    // Metadata and finalizer updates leave the spec as it is; they never fail on the spec's rules.
    if (sameJson(spec, oldSpec)) return { uid: req.uid, allowed: true };
    return refuse(req, [
      {
        type: 'FieldValueForbidden',
        field: 'spec',
        message:
          'the spec of a VirtualMachineInstance cannot change after creation (its launcher pod was made from it); delete and create it again',
      },
    ]);
  }
  const result = validateVmDocument(documentForValidation(req), cluster);
  if (result.errors.length > 0) {
    return refuse(
      req,
      result.errors.map((e) => ({
        type: 'FieldValueInvalid',
        field: e.field,
        message: `${e.message} (${e.code})`,
      })),
    );
  }
  const warnings = warningLines(result.warnings);
  return { uid: req.uid, allowed: true, ...(warnings ? { warnings } : {}) };
}

/** The JSON patch that stores the defaulted spec, or none when `object` is invalid (validation refuses it). */
export function defaultsPatch(object: unknown, cluster?: ClusterConfig): JsonPatchOp[] {
  const result = validateVmDocument(object, cluster);
  if (!result.spec || !isObject(object)) return [];
  const defaulted = renderDefaultedDocument(object, result.spec);
  return diffToPatch(object.spec, defaulted.spec, '/spec');
}

/** The mutating webhook's answer: always allowed (validation refuses), with the defaults as a patch. */
export function mutateAdmission(req: AdmissionRequest, cluster?: ClusterConfig): AdmissionResponse {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { uid: req.uid, allowed: true };
  const patch = defaultsPatch(documentForValidation(req), cluster);
  if (patch.length === 0) return { uid: req.uid, allowed: true };
  return {
    uid: req.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
  };
}

/** Wraps a response for a review (the uid is the request's). */
export function reviewResponse(
  review: AdmissionReview,
  decide: (req: AdmissionRequest) => AdmissionResponse,
): AdmissionReview {
  if (!review.request) throw new TypeError('AdmissionReview without a request');
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: decide(review.request) };
}
