// Validates one VM document (VirtualMachineInstance, VirtualMachine, or the legacy `kind: VM`) against
// the network API and the cluster configuration: every issue of the document at once, each with a
// stable code and a field path in the document's own shape; the normalised, defaulted VmSpec only
// when there is no error. Pure: data in, data out.
import { documentFromValue, type SpecDocument } from './parse-documents.js';
import { IssueCollector } from './issue-collector.js';
import { isLegacyInterface, translateLegacyInterface } from './legacy-interfaces.js';
import { bindingOf, checkNetworkRules } from './network-rules.js';
import { normaliseInterface, normaliseNetwork } from './normalise-spec.js';
import { quantityMiB } from './quantity.js';
import {
  entryFieldPath,
  isRawMap,
  type InterfaceEntry,
  type NetworkEntry,
  type RawMap,
} from './spec-entries.js';
import type { FieldPath, SpecIssue } from './spec-issue.js';
import { DEFAULT_CLUSTER_CONFIG, VM_KINDS, type ClusterConfig, type VmKind, type VmSpec } from './types.js';
import { apiVersionPattern, checkDocumentShape, COMPANION_KINDS, specRootPath } from './document-shape.js';
import { capped } from './list-caps.js';
import {
  checkMemory,
  checkPciAddressUsable,
  checkVcpus,
  checkVmNameFitsSockets,
  DEFAULT_STATE_DIR,
} from './runtime-limits.js';
import { checkVmiRules } from './vmi-rules.js';
import { shown } from './shown-value.js';
import { deriveVmName } from './vm-name.js';
import {
  dhcpOptionsSchema,
  interfaceSchema,
  metadataSchema,
  networkSchema,
  portRangeSchema,
  portSchema,
  vmiSpecSchema,
} from './vm-schema.js';
import { distance, warnUnknownKeys } from './unknown-fields.js';
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

function isSpecDocument(v: unknown): v is SpecDocument {
  return isRawMap(v) && typeof v.locate === 'function' && Array.isArray(v.errors) && 'value' in v;
}

/** Records the zod issues of `input` at `base`, following legacy aliases of the first key. */
function reportSchema<T extends z.ZodType>(
  schema: T,
  input: unknown,
  base: { path: FieldPath; aliases?: Record<string, FieldPath> },
  issues: IssueCollector,
): z.output<T> | undefined {
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
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.i - b.i,
    )
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

/** Warns about unknown keys in interfaces, networks and their known sub-objects (typos). */
function warnUnknownNetworkFields(
  interfaces: InterfaceEntry[],
  networks: NetworkEntry[],
  issues: IssueCollector,
): void {
  const ifaceKeys = Object.keys(interfaceSchema.shape);
  for (const e of interfaces) {
    if (e.legacy) continue;
    if (e.path[e.path.length - 1] === 'interfaces') continue; // the defaulted interface
    warnUnknownKeys(e.raw, ifaceKeys, e.path, issues);
    if (Array.isArray(e.raw.ports))
      e.raw.ports.forEach((p, i) =>
        warnUnknownKeys(p, Object.keys(portSchema.shape), [...e.path, 'ports', i], issues),
      );
    if (Array.isArray(e.raw.portRanges))
      e.raw.portRanges.forEach((p, i) =>
        warnUnknownKeys(p, Object.keys(portRangeSchema.shape), [...e.path, 'portRanges', i], issues),
      );
    if (isRawMap(e.raw.binding)) warnUnknownKeys(e.raw.binding, ['name'], [...e.path, 'binding'], issues);
    warnUnknownKeys(
      e.raw.dhcpOptions,
      Object.keys(dhcpOptionsSchema.shape),
      [...e.path, 'dhcpOptions'],
      issues,
    );
  }
  for (const n of networks) {
    if (n.synthesized) continue;
    warnUnknownKeys(n.raw, Object.keys(networkSchema.shape), n.path, issues);
    warnUnknownKeys(n.raw.pod, ['vmNetworkCIDR', 'vmIPv6NetworkCIDR'], [...n.path, 'pod'], issues);
    warnUnknownKeys(n.raw.multus, ['networkName', 'default'], [...n.path, 'multus'], issues);
    warnUnknownKeys(n.raw.genie, ['networkName'], [...n.path, 'genie'], issues);
    warnUnknownKeys(n.raw.resourceClaim, ['claimName', 'requestName'], [...n.path, 'resourceClaim'], issues);
  }
}

/** Options of one validation beyond the cluster configuration. */
export interface ValidateOptions {
  /** The state dir `virtnet run` would use (socket path lengths depend on it); /var/lib/virtnet by default. */
  stateDir?: string;
}

/**
 * A copy of a YAML value with every map entry whose value is null removed: Kubernetes decodes an
 * explicit null as the field's absence (YAML merge keys and templating produce them).
 */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isRawMap(v)) return v;
  const out: RawMap = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

/** Validates one document; `doc` is a SpecDocument (from parseSpecDocuments) or a plain value (then issues carry no line:column). */
export function validateVmDocument(
  doc: unknown,
  clusterConfig: ClusterConfig = DEFAULT_CLUSTER_CONFIG,
  options: ValidateOptions = {},
): VmValidationResult {
  const d = isSpecDocument(doc) ? doc : documentFromValue(doc);
  if (d.errors.length > 0) return { errors: [...d.errors], warnings: [...d.warnings] };
  const issues = new IssueCollector(d);
  issues.warnings.push(...d.warnings);
  const done = (): VmValidationResult => ({
    errors: byPosition(issues.errors),
    warnings: byPosition(issues.warnings),
  });
  const v = withoutNulls(d.value);
  if (!isRawMap(v)) {
    issues.error([], 'DOCUMENT_NOT_OBJECT', 'a VM document must be a map with kind, metadata and spec');
    return done();
  }
  if (v.kind === undefined) {
    issues.error(
      [],
      'KIND_MISSING',
      'kind is missing: use VirtualMachineInstance, VirtualMachine, VirtualMachineInstanceReplicaSet, VirtualMachinePool or VM',
    );
    return done();
  }
  if (typeof v.kind !== 'string' || !(VM_KINDS as readonly string[]).includes(v.kind)) {
    const kindText = typeof v.kind === 'string' ? v.kind : '';
    // A misspelt VM kind is an error, not a skipped document.
    const meant =
      kindText.length <= 64 ? VM_KINDS.find((k) => k !== 'VM' && distance(kindText, k) <= 3) : undefined;
    if (
      meant === undefined &&
      (COMPANION_KINDS.has(kindText) ||
        (typeof v.apiVersion === 'string' && /(^|\.)kubevirt\.io\//.test(v.apiVersion)))
    ) {
      issues.warn(
        ['kind'],
        'DOCUMENT_IGNORED',
        `a ${kindText.length > 64 ? shown(kindText) : kindText} is not a VM; skipped`,
      );
      return { ...done(), ignored: true };
    }
    issues.error(
      ['kind'],
      'KIND_UNSUPPORTED',
      `kind ${typeof v.kind === 'string' ? shown(v.kind) : JSON.stringify(v.kind)} is not VirtualMachineInstance, VirtualMachine, VirtualMachineInstanceReplicaSet, VirtualMachinePool or VM${meant ? `; did you mean ${meant}?` : ''}`,
    );
    return done();
  }
  const kind = v.kind as VmKind;
  const apiVersion = apiVersionPattern(kind);
  if (
    apiVersion &&
    v.apiVersion !== undefined &&
    !(typeof v.apiVersion === 'string' && apiVersion.test(v.apiVersion))
  ) {
    issues.warn(
      ['apiVersion'],
      'API_VERSION_UNKNOWN',
      `apiVersion ${typeof v.apiVersion === 'string' ? shown(v.apiVersion) : JSON.stringify(v.apiVersion)} is not ${kind === 'VirtualMachinePool' ? 'pool.kubevirt.io/v1beta1' : 'kubevirt.io/v1'}; read as that`,
    );
  }
  const metadata = v.metadata === undefined ? {} : v.metadata;
  const meta = reportSchema(metadataSchema, metadata, { path: ['metadata'] }, issues);

  const root = specRootPath(kind, v, issues);
  checkDocumentShape(kind, v, root, issues);
  let specRoot = valueAt(v, root);
  if (root.length > 1 && !isRawMap(valueAt(v, root.slice(0, -1)))) {
    const template = root.slice(0, -1);
    issues.error(
      template,
      valueAt(v, template) === undefined ? 'FIELD_REQUIRED' : 'TYPE_INVALID',
      `${template.join('.')} must be a map holding the VM spec (a ${kind} has no VM without it)`,
    );
    specRoot = {};
  } else if (specRoot === undefined) specRoot = {};
  else if (!isRawMap(specRoot)) {
    issues.error(root, 'TYPE_INVALID', `${root.join('.')} must be a map`);
    specRoot = {};
  }
  const spec = specRoot as RawMap;
  const top = reportSchema(vmiSpecSchema, spec, { path: root }, issues);
  const domain = isRawMap(spec.domain) ? spec.domain : undefined;
  const devices = domain && isRawMap(domain.devices) ? domain.devices : undefined;
  const domainPath: FieldPath = [...root, 'domain'];
  const devicesPath: FieldPath = [...domainPath, 'devices'];

  // Entries in modern form, legacy seed forms translated.
  const interfaces: InterfaceEntry[] = [];
  const networks: NetworkEntry[] = [];
  const rawIfaces =
    devices && Array.isArray(devices.interfaces)
      ? capped(devices.interfaces as unknown[], 'interfaces', [...devicesPath, 'interfaces'], issues)
      : [];
  const rawNets = Array.isArray(spec.networks)
    ? capped(spec.networks as unknown[], 'networks', [...root, 'networks'], issues)
    : [];
  let unnamedLegacy = 0;
  rawIfaces.forEach((raw, i) => {
    const path: FieldPath = [...devicesPath, 'interfaces', i];
    if (!isRawMap(raw)) {
      issues.error(path, 'TYPE_INVALID', 'an interface must be a map with a name and a binding');
      return;
    }
    const bounded = capNestedLists(raw, path, issues);
    if (isLegacyInterface(bounded)) {
      // Seed forms had no names: the first is `default`, further ones default1, default2...
      const defaultName = unnamedLegacy === 0 ? 'default' : `default${unnamedLegacy}`;
      if (bounded.name === undefined) unnamedLegacy++;
      interfaces.push(translateLegacyInterface(bounded, path, defaultName, issues));
    } else interfaces.push({ path, raw: bounded, aliases: {} });
  });
  rawNets.forEach((raw, i) => {
    const path: FieldPath = [...root, 'networks', i];
    if (!isRawMap(raw))
      issues.error(path, 'TYPE_INVALID', 'a network must be a map with a name and a source');
    else networks.push({ path, raw, synthesized: false });
  });
  // Legacy interfaces named no network: they meant the pod's own interface.
  const networkNames = new Set<unknown>(networks.map((n) => n.raw.name));
  for (const entry of interfaces) {
    if (!entry.legacy) continue;
    const name = entry.raw.name;
    if (typeof name === 'string' && !networkNames.has(name)) {
      networks.push({ path: [...entry.path, 'type'], raw: { name, pod: {} }, synthesized: true });
      networkNames.add(name);
    }
  }
  // Defaulting as KubeVirt's mutating webhook does it.
  const autoattach = devices?.autoattachPodInterface;
  const emptyOrAbsent = (list: unknown) => list === undefined || (Array.isArray(list) && list.length === 0);
  if (
    interfaces.length === 0 &&
    networks.length === 0 &&
    autoattach !== false &&
    emptyOrAbsent(devices?.interfaces) &&
    emptyOrAbsent(spec.networks)
  ) {
    // Issues about the added interface point at the (empty) interfaces list itself.
    const binding = clusterConfig.defaultNetworkInterface;
    interfaces.push({
      path: [...devicesPath, 'interfaces'],
      raw: { name: 'default', [binding]: {} },
      aliases: { name: [], [binding]: [] },
    });
    networks.push({ path: [...root, 'networks'], raw: { name: 'default', pod: {} }, synthesized: true });
  }

  for (const e of interfaces) e.parsed = reportSchema(interfaceSchema, e.raw, e, issues);
  for (const n of networks) n.parsed = reportSchema(networkSchema, n.raw, n, issues);
  warnUnknownNetworkFields(interfaces, networks, issues);
  const disks =
    devices && Array.isArray(devices.disks)
      ? capped(devices.disks as unknown[], 'disks', [...devicesPath, 'disks'], issues)
      : undefined;
  checkNetworkRules(
    { interfaces, networks, disks, disksPath: [...devicesPath, 'disks'], cluster: clusterConfig },
    issues,
  );
  checkVmiRules(
    spec,
    root,
    rawIfaces,
    networks.some((n) => n.raw.pod !== undefined),
    issues,
  );
  checkVcpus(domain, domainPath, issues);
  checkMemory(domain, domainPath, issues);
  for (const e of interfaces) {
    if (typeof e.parsed?.pciAddress === 'string')
      checkPciAddressUsable(e.parsed.pciAddress, entryFieldPath(e, 'pciAddress'), issues);
  }

  let name = meta?.name;
  if (meta && name === undefined) {
    name = deriveVmName(d.file, d.index, d.count);
    // The legacy `kind: VM` never has metadata; a Kubernetes object is expected to.
    if (kind !== 'VM')
      issues.warn(
        ['metadata'],
        'NAME_DEFAULTED',
        `metadata.name is missing; using "${name}" (from the file name)`,
      );
  }
  if (name !== undefined) {
    const hasPasst = interfaces.some((e) => e.parsed !== undefined && bindingOf(e.raw) === 'passt');
    checkVmNameFitsSockets(
      name,
      options.stateDir ?? DEFAULT_STATE_DIR,
      hasPasst,
      issues,
      meta?.name !== undefined ? ['metadata', 'name'] : ['metadata'],
    );
  }
  if (issues.errors.length > 0 || !top || !meta || name === undefined) return done();
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

/** An interface with its nested lists cut to their caps (errors at their paths when they were longer). */
function capNestedLists(raw: RawMap, path: FieldPath, issues: IssueCollector): RawMap {
  let out = raw;
  for (const key of ['ports', 'portRanges'] as const) {
    const list = out[key];
    if (Array.isArray(list)) {
      const cut = capped(list, key, [...path, key], issues);
      if (cut !== list) out = { ...out, [key]: cut };
    }
  }
  const dhcp = out.dhcpOptions;
  if (isRawMap(dhcp)) {
    let opts = dhcp;
    for (const key of ['privateOptions', 'ntpServers'] as const) {
      const list = opts[key];
      if (Array.isArray(list)) {
        const cut = capped(list, key, [...path, 'dhcpOptions', key], issues);
        if (cut !== list) opts = { ...opts, [key]: cut };
      }
    }
    if (opts !== dhcp) out = { ...out, dhcpOptions: opts };
  }
  return out;
}
