// The shape around the network part: which kinds hold a VM and where their VMI spec lives, the keys
// each level of a document may have (unknown ones warned about with a "did you mean"), and known
// structure written at the wrong level (a VirtualMachine's `template` at the top, `interfaces` under
// `spec.domain`), which would otherwise be ignored without a word. Field lists are KubeVirt's v1 API.
import type { IssueCollector } from './issue-collector.js';
import { isRawMap, type RawMap } from './spec-entries.js';
import { formatFieldPath, type FieldPath } from './spec-issue.js';
import type { VmKind } from './types.js';
import { warnUnknownKeys } from './unknown-fields.js';

const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const TEMPLATE_KEYS = ['metadata', 'spec'];
const VM_SPEC_KEYS = [
  'running',
  'runStrategy',
  'instancetype',
  'preference',
  'template',
  'dataVolumeTemplates',
  'updateVolumesStrategy',
];
const REPLICA_SET_SPEC_KEYS = ['replicas', 'selector', 'template', 'paused'];
const POOL_SPEC_KEYS = [
  'replicas',
  'selector',
  'virtualMachineTemplate',
  'paused',
  'nameGeneration',
  'maxUnavailable',
  'scaleInStrategy',
  'updateStrategy',
  'autohealing',
];
export const VMI_SPEC_KEYS = [
  'priorityClassName',
  'domain',
  'nodeSelector',
  'affinity',
  'schedulerName',
  'serviceAccountName',
  'tolerations',
  'topologySpreadConstraints',
  'evictionStrategy',
  'startStrategy',
  'terminationGracePeriodSeconds',
  'volumes',
  'livenessProbe',
  'readinessProbe',
  'hostname',
  'subdomain',
  'networks',
  'dnsPolicy',
  'dnsConfig',
  'accessCredentials',
  'architecture',
  'resourceClaims',
  'utilityVolumes',
];
const DOMAIN_KEYS = [
  'resources',
  'cpu',
  'memory',
  'machine',
  'firmware',
  'clock',
  'features',
  'devices',
  'ioThreadsPolicy',
  'ioThreads',
  'chassis',
  'launchSecurity',
  'rebootPolicy',
];
const DEVICES_KEYS = [
  'useVirtioTransitional',
  'disableHotplug',
  'disks',
  'watchdog',
  'interfaces',
  'inputs',
  'autoattachPodInterface',
  'autoattachGraphicsDevice',
  'autoattachSerialConsole',
  'logSerialConsole',
  'autoattachMemBalloon',
  'autoattachInputDevice',
  'autoattachVSOCK',
  'rng',
  'blockMultiQueue',
  'networkInterfaceMultiqueue',
  'gpus',
  'downwardMetrics',
  'panicDevices',
  'filesystems',
  'hostDevices',
  'clientPassthrough',
  'sound',
  'tpm',
  'video',
];

/** One level between the document and the VMI spec: its path and the keys it may have. */
interface Level {
  path: FieldPath;
  keys: readonly string[];
}

/** Per kind: the accepted apiVersions and the levels down to the VMI spec (the last path). */
const KIND_SHAPES: Record<Exclude<VmKind, 'VM'>, { apiVersion: RegExp; levels: Level[] }> = {
  // KubeVirt's versions, and virtnet's own CRD's (the same spec, field for field).
  VirtualMachineInstance: {
    apiVersion: /^(kubevirt\.io\/v1(alpha3|beta1)?|virtnet\.io\/v1alpha1)$/,
    levels: [{ path: ['spec'], keys: VMI_SPEC_KEYS }],
  },
  VirtualMachine: {
    apiVersion: /^kubevirt\.io\/v1(alpha3|beta1)?$/,
    levels: [
      { path: ['spec'], keys: VM_SPEC_KEYS },
      { path: ['spec', 'template'], keys: TEMPLATE_KEYS },
      { path: ['spec', 'template', 'spec'], keys: VMI_SPEC_KEYS },
    ],
  },
  VirtualMachineInstanceReplicaSet: {
    apiVersion: /^kubevirt\.io\/v1(alpha3|beta1)?$/,
    levels: [
      { path: ['spec'], keys: REPLICA_SET_SPEC_KEYS },
      { path: ['spec', 'template'], keys: TEMPLATE_KEYS },
      { path: ['spec', 'template', 'spec'], keys: VMI_SPEC_KEYS },
    ],
  },
  VirtualMachinePool: {
    apiVersion: /^pool\.kubevirt\.io\/v1(alpha1|beta1)$/,
    levels: [
      { path: ['spec'], keys: POOL_SPEC_KEYS },
      { path: ['spec', 'virtualMachineTemplate'], keys: TEMPLATE_KEYS },
      { path: ['spec', 'virtualMachineTemplate', 'spec'], keys: VM_SPEC_KEYS },
      { path: ['spec', 'virtualMachineTemplate', 'spec', 'template'], keys: TEMPLATE_KEYS },
      { path: ['spec', 'virtualMachineTemplate', 'spec', 'template', 'spec'], keys: VMI_SPEC_KEYS },
    ],
  },
};

/** The apiVersion pattern of a kind (undefined for the legacy `kind: VM`, which has none). */
export function apiVersionPattern(kind: VmKind): RegExp | undefined {
  return kind === 'VM' ? undefined : KIND_SHAPES[kind].apiVersion;
}

/** Kinds of the KubeVirt and CDI APIs that may share a file with VMs: skipped with a note. */
export const COMPANION_KINDS = new Set([
  'NetworkAttachmentDefinition',
  'ConfigMap',
  'Secret',
  'Service',
  'KubeVirt',
  'Namespace',
  'PersistentVolumeClaim',
  'DataVolume',
  'DataSource',
  'DataImportCron',
  'CDI',
  'StorageProfile',
  'VirtualMachineInstancetype',
  'VirtualMachineClusterInstancetype',
  'VirtualMachinePreference',
  'VirtualMachineClusterPreference',
  'VirtualMachineInstancePreset',
  'VirtualMachineInstanceMigration',
  'VirtualMachineSnapshot',
  'VirtualMachineRestore',
  'VirtualMachineClone',
  'VirtualMachineExport',
  'MigrationPolicy',
]);

function valueAtPath(root: unknown, path: FieldPath): unknown {
  let v = root;
  for (const seg of path) v = isRawMap(v) ? v[seg] : undefined;
  return v;
}

/**
 * Where the VMI spec of a document of `kind` lives. A VirtualMachine without `spec.template` but with
 * `spec.domain` is the legacy flat form, read at `spec`.
 */
export function vmiSpecPath(kind: VmKind, doc: RawMap): FieldPath {
  if (kind === 'VM' || kind === 'VirtualMachineInstance') return ['spec'];
  const spec = doc.spec;
  if (kind === 'VirtualMachine' && isRawMap(spec) && spec.template === undefined && spec.domain !== undefined)
    return ['spec'];
  const levels = KIND_SHAPES[kind].levels;
  return levels[levels.length - 1]!.path;
}

/** vmiSpecPath, warning about the legacy flat VirtualMachine form. */
export function specRootPath(kind: VmKind, doc: RawMap, issues: IssueCollector): FieldPath {
  const path = vmiSpecPath(kind, doc);
  if (kind === 'VirtualMachine' && path.length === 1) {
    issues.warn(
      ['spec', 'domain'],
      'LEGACY_VM_SHAPE',
      'a VirtualMachine keeps its VM spec in spec.template.spec (KubeVirt refuses this form); spec.domain is read as the seed flat form',
    );
  }
  return path;
}

/** Keys that, at the level where they were found, belong elsewhere: key → where (relative to the VMI spec, or absolute with a leading '/'). */
const MISPLACED_IN_VMI_SPEC: Record<string, string> = {
  interfaces: 'domain.devices.interfaces',
  devices: 'domain.devices',
  template: '',
};
const MISPLACED_IN_DOMAIN: Record<string, string> = {
  interfaces: 'domain.devices.interfaces',
  networks: 'networks',
  disks: 'domain.devices.disks',
};
const MISPLACED_IN_DEVICES: Record<string, string> = { networks: 'networks' };

function misplaced(issues: IssueCollector, at: FieldPath, belongs: string): void {
  issues.error(
    at,
    'MISPLACED_FIELD',
    `${String(at[at.length - 1])} does not belong here and would be ignored; it belongs at ${belongs}`,
  );
}

/**
 * Warns about unknown keys at every level from the document down to `devices`, and reports known
 * structure at the wrong level as an error. `root` is the VMI spec's path.
 */
export function checkDocumentShape(kind: VmKind, doc: RawMap, root: FieldPath, issues: IssueCollector): void {
  const rootText = formatFieldPath(root);
  const inRoot = (rel: string) => (rel === '' ? rootText : `${rootText}.${rel}`);
  if (kind !== 'VM') {
    warnUnknownKeys(
      doc,
      TOP_KEYS,
      [],
      issues,
      (key) => {
        // The VMI spec's parts written at the top of the document.
        if (key === 'template' && kind !== 'VirtualMachineInstance')
          return kind === 'VirtualMachinePool' ? 'spec.virtualMachineTemplate' : 'spec.template';
        if (key === 'domain' || key === 'networks') return inRoot(key);
        return undefined;
      },
      misplaced,
    );
    const levels = specRootShapeLevels(kind, root);
    for (const level of levels) {
      warnUnknownKeys(
        valueAtPath(doc, level.path),
        level.keys,
        level.path,
        issues,
        (key) => {
          if (level.keys === VMI_SPEC_KEYS) return undefined;
          if (key === 'domain' || key === 'networks') return inRoot(key);
          if (key === 'template' && kind === 'VirtualMachinePool' && level.path.length === 1)
            return 'spec.virtualMachineTemplate.spec.template';
          return undefined;
        },
        misplaced,
      );
    }
  }
  const spec = valueAtPath(doc, root);
  if (kind !== 'VM') {
    warnUnknownKeys(
      spec,
      VMI_SPEC_KEYS,
      root,
      issues,
      (key) => {
        if (key === 'template')
          return kind === 'VirtualMachineInstance'
            ? 'a VirtualMachine (a VirtualMachineInstance has no template)'
            : undefined;
        return MISPLACED_IN_VMI_SPEC[key] !== undefined ? inRoot(MISPLACED_IN_VMI_SPEC[key]) : undefined;
      },
      misplaced,
    );
  } else if (isRawMap(spec)) {
    for (const key of ['interfaces', 'devices'])
      if (spec[key] !== undefined) misplaced(issues, [...root, key], inRoot(MISPLACED_IN_VMI_SPEC[key]!));
  }
  const domain = isRawMap(spec) ? spec.domain : undefined;
  const domainPath = [...root, 'domain'];
  warnUnknownKeys(
    domain,
    DOMAIN_KEYS,
    domainPath,
    issues,
    (key) => (MISPLACED_IN_DOMAIN[key] !== undefined ? inRoot(MISPLACED_IN_DOMAIN[key]) : undefined),
    misplaced,
  );
  const devices = isRawMap(domain) ? domain.devices : undefined;
  warnUnknownKeys(
    devices,
    DEVICES_KEYS,
    [...domainPath, 'devices'],
    issues,
    (key) => (MISPLACED_IN_DEVICES[key] !== undefined ? inRoot(MISPLACED_IN_DEVICES[key]) : undefined),
    misplaced,
  );
}

/** The levels above the VMI spec for `kind` (the spec itself is checked separately). */
function specRootShapeLevels(kind: Exclude<VmKind, 'VM'>, root: FieldPath): Level[] {
  return KIND_SHAPES[kind].levels.filter((l) => l.path.length < root.length);
}
