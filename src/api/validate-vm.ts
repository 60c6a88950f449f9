// Validates one VM document (VirtualMachineInstance, VirtualMachine, or the seeds' `kind: VM`) against
// the network API and the cluster configuration: every issue of the document at once, each with a
// stable code and a field path in the document's own shape; the normalised, defaulted VmSpec only
// when there is no error. Pure: data in, data out.
import { documentFromValue, type SpecDocument } from './parse-documents.js';
import { IssueCollector } from './issue-collector.js';
import { isLegacyInterface, translateLegacyInterface } from './legacy-interfaces.js';
import { checkNetworkRules } from './network-rules.js';
import { normaliseInterface, normaliseNetwork } from './normalise-spec.js';
import { quantityMiB } from './quantity.js';
import { entryFieldPath, isRawMap, type InterfaceEntry, type NetworkEntry, type RawMap } from './spec-entries.js';
import type { FieldPath, SpecIssue } from './spec-issue.js';
import { DEFAULT_CLUSTER_CONFIG, type ClusterConfig, type VmSpec } from './types.js';
import { deriveVmName } from './vm-name.js';
import { dhcpOptionsSchema, interfaceSchema, metadataSchema, networkSchema, portSchema, vmiSpecSchema } from './vm-schema.js';
import { warnUnknownKeys } from './unknown-fields.js';
import { translateZodIssue, valueAt } from './zod-issues.js';
import type { z } from 'zod';

/** What validating one document gives. `spec` is present exactly when `errors` is empty and not ignored. */
export interface VmValidationResult {
  spec?: VmSpec;
  errors: SpecIssue[];
  warnings: SpecIssue[];
  /** True for documents of other kinds (NetworkAttachmentDefinition, ConfigMap) that were skipped. */
  ignored?: boolean;
}

const VM_KINDS = ['VirtualMachineInstance', 'VirtualMachine', 'VM'] as const;
type VmKind = (typeof VM_KINDS)[number];
/** Kinds that may share a file with VMs (kubectl apply -f style) and are skipped with a warning. */
const COMPANION_KINDS = new Set(['NetworkAttachmentDefinition', 'ConfigMap', 'Secret', 'Service', 'KubeVirt', 'Namespace']);
// KubeVirt's versions, and virtnet's own CRD's (the same spec, field for field).
const API_VERSION_RE = /^(kubevirt\.io\/v1(alpha3|beta1)?|virtnet\.io\/v1alpha1)$/;

function isSpecDocument(v: unknown): v is SpecDocument {
  return isRawMap(v) && typeof v.locate === 'function' && Array.isArray(v.errors) && 'value' in v;
}

/** Records the zod issues of `input` at `base`, following legacy aliases of the first key. */
function reportSchema<T extends z.ZodType>(schema: T, input: unknown, base: { path: FieldPath; aliases?: Record<string, FieldPath> }, issues: IssueCollector): z.output<T> | undefined {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const zi of result.error.issues) {
    const lastSeg = base.path[base.path.length - 1];
    const t = translateZodIssue(zi, input, typeof lastSeg === 'string' ? lastSeg : '');
    const [first, ...rest] = t.path;
    const path = typeof first === 'string' ? entryFieldPath(base, first, ...rest) : [...base.path, ...t.path];
    issues.error(path, t.code, t.message);
  }
  return undefined;
}

/** Issues in text order (like a compiler), stable for issues without a position. */
function byPosition(list: SpecIssue[]): SpecIssue[] {
  return list
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.i - b.i)
    .map((x) => x.issue);
}

/** vCPUs from spec.domain.cpu: sockets × cores × threads, each 1 when absent or unusable. */
function vcpusOf(domain: RawMap | undefined): number {
  const cpu = domain && isRawMap(domain.cpu) ? domain.cpu : {};
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 1);
  return n(cpu.sockets) * n(cpu.cores) * n(cpu.threads);
}

function memoryOf(domain: RawMap | undefined): number | undefined {
  if (!domain) return undefined;
  const guest = isRawMap(domain.memory) ? quantityMiB(domain.memory.guest) : undefined;
  if (guest !== undefined) return guest;
  const resources = isRawMap(domain.resources) ? domain.resources : {};
  // Kubernetes defaults requests from limits when only limits are given.
  const requested = isRawMap(resources.requests) ? quantityMiB(resources.requests.memory) : undefined;
  return requested ?? (isRawMap(resources.limits) ? quantityMiB(resources.limits.memory) : undefined);
}

/** Where the VMI-shaped spec lives in a document of `kind`. */
function specRootPath(kind: VmKind, doc: RawMap, issues: IssueCollector): FieldPath {
  if (kind !== 'VirtualMachine') return ['spec'];
  const spec = doc.spec;
  if (isRawMap(spec) && spec.template !== undefined) return ['spec', 'template', 'spec'];
  if (isRawMap(spec) && spec.domain !== undefined) {
    issues.warn(['spec', 'domain'], 'LEGACY_VM_SHAPE', 'a VirtualMachine keeps its VM spec in spec.template.spec; spec.domain is read as the seed flat form');
  }
  return ['spec'];
}

/** Warns about unknown keys in interfaces, networks and their known sub-objects (typos). */
function warnUnknownNetworkFields(interfaces: InterfaceEntry[], networks: NetworkEntry[], issues: IssueCollector): void {
  const ifaceKeys = Object.keys(interfaceSchema.shape);
  for (const e of interfaces) {
    if (e.legacy) continue;
    if (e.path[e.path.length - 1] === 'interfaces') continue; // the defaulted interface
    warnUnknownKeys(e.raw, ifaceKeys, e.path, issues);
    if (Array.isArray(e.raw.ports)) e.raw.ports.forEach((p, i) => warnUnknownKeys(p, Object.keys(portSchema.shape), [...e.path, 'ports', i], issues));
    warnUnknownKeys(e.raw.dhcpOptions, Object.keys(dhcpOptionsSchema.shape), [...e.path, 'dhcpOptions'], issues);
  }
  for (const n of networks) {
    if (n.synthesized) continue;
    warnUnknownKeys(n.raw, Object.keys(networkSchema.shape), n.path, issues);
    warnUnknownKeys(n.raw.pod, ['vmNetworkCIDR', 'vmIPv6NetworkCIDR'], [...n.path, 'pod'], issues);
    warnUnknownKeys(n.raw.multus, ['networkName', 'default'], [...n.path, 'multus'], issues);
    warnUnknownKeys(n.raw.genie, ['networkName'], [...n.path, 'genie'], issues);
  }
}

/** Validates one document; `doc` is a SpecDocument (from parseSpecDocuments) or a plain value (then issues carry no line:column). */
export function validateVmDocument(doc: unknown, clusterConfig: ClusterConfig = DEFAULT_CLUSTER_CONFIG): VmValidationResult {
  const d = isSpecDocument(doc) ? doc : documentFromValue(doc);
  if (d.errors.length > 0) return { errors: [...d.errors], warnings: [...d.warnings] };
  const issues = new IssueCollector(d);
  issues.warnings.push(...d.warnings);
  const done = (): VmValidationResult => ({ errors: byPosition(issues.errors), warnings: byPosition(issues.warnings) });
  const v = d.value;
  if (!isRawMap(v)) {
    issues.error([], 'DOCUMENT_NOT_OBJECT', 'a VM document must be a map with kind, metadata and spec');
    return done();
  }
  if (v.kind === undefined) {
    issues.error([], 'KIND_MISSING', 'kind is missing: use VirtualMachineInstance, VirtualMachine or VM');
    return done();
  }
  if (typeof v.kind !== 'string' || !(VM_KINDS as readonly string[]).includes(v.kind)) {
    if (typeof v.kind === 'string' && COMPANION_KINDS.has(v.kind)) {
      issues.warn(['kind'], 'DOCUMENT_IGNORED', `a ${v.kind} is not a VM; skipped`);
      return { ...done(), ignored: true };
    }
    issues.error(['kind'], 'KIND_UNSUPPORTED', `kind ${JSON.stringify(v.kind)} is not VirtualMachineInstance, VirtualMachine or VM`);
    return done();
  }
  const kind = v.kind as VmKind;
  if (kind !== 'VM' && v.apiVersion !== undefined && !(typeof v.apiVersion === 'string' && API_VERSION_RE.test(v.apiVersion))) {
    issues.warn(['apiVersion'], 'API_VERSION_UNKNOWN', `apiVersion ${JSON.stringify(v.apiVersion)} is not kubevirt.io/v1; read as kubevirt.io/v1`);
  }
  const metadata = v.metadata === undefined || v.metadata === null ? {} : v.metadata;
  const meta = reportSchema(metadataSchema, metadata, { path: ['metadata'] }, issues);

  const root = specRootPath(kind, v, issues);
  let specRoot = valueAt(v, root);
  if (root.length === 3 && !isRawMap(valueAt(v, ['spec', 'template']))) {
    issues.error(['spec', 'template'], 'TYPE_INVALID', 'spec.template must be a map holding the VM spec');
    specRoot = {};
  } else if (specRoot === undefined || specRoot === null) specRoot = {};
  else if (!isRawMap(specRoot)) {
    issues.error(root, 'TYPE_INVALID', `${root.join('.')} must be a map`);
    specRoot = {};
  }
  const spec = specRoot as RawMap;
  const top = reportSchema(vmiSpecSchema, spec, { path: root }, issues);
  const domain = isRawMap(spec.domain) ? spec.domain : undefined;
  const devices = domain && isRawMap(domain.devices) ? domain.devices : undefined;
  const devicesPath: FieldPath = [...root, 'domain', 'devices'];

  // Entries in modern form, legacy seed forms translated.
  const interfaces: InterfaceEntry[] = [];
  const networks: NetworkEntry[] = [];
  const rawIfaces = devices && Array.isArray(devices.interfaces) ? (devices.interfaces as unknown[]) : [];
  const rawNets = Array.isArray(spec.networks) ? (spec.networks as unknown[]) : [];
  let unnamedLegacy = 0;
  rawIfaces.forEach((raw, i) => {
    const path: FieldPath = [...devicesPath, 'interfaces', i];
    if (!isRawMap(raw)) {
      issues.error(path, 'TYPE_INVALID', 'an interface must be a map with a name and a binding');
      return;
    }
    if (isLegacyInterface(raw)) {
      // Seed forms had no names: the first is `default`, further ones default1, default2...
      const defaultName = unnamedLegacy === 0 ? 'default' : `default${unnamedLegacy}`;
      if (raw.name === undefined) unnamedLegacy++;
      interfaces.push(translateLegacyInterface(raw, path, defaultName, issues));
    } else interfaces.push({ path, raw, aliases: {} });
  });
  rawNets.forEach((raw, i) => {
    const path: FieldPath = [...root, 'networks', i];
    if (!isRawMap(raw)) issues.error(path, 'TYPE_INVALID', 'a network must be a map with a name and a source');
    else networks.push({ path, raw, synthesized: false });
  });
  // Legacy interfaces named no network: they meant the pod's own interface.
  for (const entry of interfaces) {
    if (!entry.legacy) continue;
    const name = entry.raw.name;
    if (typeof name === 'string' && !networks.some((n) => n.raw.name === name)) {
      networks.push({ path: [...entry.path, 'type'], raw: { name, pod: {} }, synthesized: true });
    }
  }
  // Defaulting as KubeVirt's mutating webhook does it.
  const autoattach = devices?.autoattachPodInterface;
  const emptyOrAbsent = (list: unknown) => list === undefined || list === null || (Array.isArray(list) && list.length === 0);
  if (interfaces.length === 0 && networks.length === 0 && autoattach !== false && emptyOrAbsent(devices?.interfaces) && emptyOrAbsent(spec.networks)) {
    // Issues about the added interface point at the (empty) interfaces list itself.
    const binding = clusterConfig.defaultNetworkInterface;
    interfaces.push({ path: [...devicesPath, 'interfaces'], raw: { name: 'default', [binding]: {} }, aliases: { name: [], [binding]: [] } });
    networks.push({ path: [...root, 'networks'], raw: { name: 'default', pod: {} }, synthesized: true });
  }

  for (const e of interfaces) e.parsed = reportSchema(interfaceSchema, e.raw, e, issues);
  for (const n of networks) n.parsed = reportSchema(networkSchema, n.raw, n, issues);
  warnUnknownNetworkFields(interfaces, networks, issues);
  checkNetworkRules({ interfaces, networks, disks: devices?.disks, disksPath: [...devicesPath, 'disks'], cluster: clusterConfig }, issues);

  if (issues.errors.length > 0 || !top || !meta) return done();
  let name = meta.name;
  if (name === undefined) {
    name = deriveVmName(d.file, d.index, d.count);
    // The seeds' `kind: VM` never has metadata; a Kubernetes object is expected to.
    if (kind !== 'VM') issues.warn(['metadata'], 'NAME_DEFAULTED', `metadata.name is missing; using "${name}" (from the file name)`);
  }
  const vm: VmSpec = {
    kind,
    name,
    namespace: meta.namespace ?? 'default',
    networks: networks.map(normaliseNetwork),
    interfaces: interfaces.map(normaliseInterface),
    networkInterfaceMultiqueue: top.domain?.devices?.networkInterfaceMultiqueue ?? false,
    autoattachPodInterface: autoattach !== false,
    vcpus: vcpusOf(domain),
  };
  if (top.hostname !== undefined) vm.hostname = top.hostname;
  if (top.subdomain !== undefined) vm.subdomain = top.subdomain;
  const memoryMiB = memoryOf(domain);
  if (memoryMiB !== undefined) vm.memoryMiB = memoryMiB;
  return { spec: vm, ...done() };
}
