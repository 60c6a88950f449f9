// virtnet's API in a cluster: the VirtualMachineInstance CustomResourceDefinition (virtnet.io/v1alpha1)
// and the NetworkAttachmentDefinition CRD (k8s.cni.cncf.io/v1) Multus-style networks refer to. The
// spec schema is the one `virtnet validate` enforces (src/api); the status schema is declared in full
// because the apiserver prunes every undeclared field of a structural schema — status writes included.
// Pure: only CRD v1 (GA since Kubernetes 1.16).
import { crdOpenApiSchema } from '../api/index.js';

type Json = Record<string, unknown>;

export const VMI_GROUP = 'virtnet.io';
export const VMI_VERSION = 'v1alpha1';
export const VMI_API_VERSION = `${VMI_GROUP}/${VMI_VERSION}`;
export const VMI_KIND = 'VirtualMachineInstance';
export const VMI_PLURAL = 'virtualmachineinstances';
export const VMI_CRD_NAME = `${VMI_PLURAL}.${VMI_GROUP}`;

/** A VMI's REST path (for KubeRest). */
export function vmiApiPath(namespace: string, name: string): string {
  return `/apis/${VMI_API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${VMI_PLURAL}/${encodeURIComponent(name)}`;
}

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed'] as const;
export type VmiPhase = (typeof VMI_PHASES)[number];

/** Where an interface's addresses in the status come from (see VmiInterfaceStatus.infoSource). */
export const INFO_SOURCES = ['guest-dhcp', 'static', 'pod', 'multus-status', 'masquerade-pod'] as const;

const str = (description?: string): Json => ({ type: 'string', ...(description ? { description } : {}) });

function statusSchema(): Json {
  const condition: Json = {
    type: 'object',
    required: ['type', 'status'],
    properties: {
      type: str('Ready: the VM runs and its interfaces are configured.'),
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: str(),
      message: str(),
      lastTransitionTime: { type: 'string', format: 'date-time' },
      lastProbeTime: { type: 'string', format: 'date-time', nullable: true },
    },
  };
  const iface: Json = {
    type: 'object',
    properties: {
      name: str('The interface name in spec.domain.devices.interfaces.'),
      mac: str("The guest NIC's MAC address."),
      ipAddress: str(
        'The primary address: the one handed to the guest, or for masquerade the pod address the VM is reached through.',
      ),
      ipAddresses: { type: 'array', items: { type: 'string' } },
      interfaceName: str('The pod interface the NIC is wired to (eth0, pod<hash>, net1).'),
      infoSource: { type: 'string', enum: [...INFO_SOURCES], description: 'Where the addresses come from.' },
    },
  };
  return {
    type: 'object',
    properties: {
      phase: { type: 'string', enum: [...VMI_PHASES] },
      reason: str('Why the VMI is in this phase (CamelCase), e.g. LauncherPodFailed.'),
      message: str(),
      nodeName: str(),
      launcherPod: str('The name of the launcher pod in the VMI namespace.'),
      conditions: {
        type: 'array',
        items: condition,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      },
      interfaces: { type: 'array', items: iface },
    },
  };
}

/** The VMI's openAPIV3Schema: the validated network spec (other spec fields preserved) and the status. */
export function vmiOpenApiSchema(): Json {
  const schema = crdOpenApiSchema();
  schema.description =
    'virtnet.io/v1alpha1 VirtualMachineInstance: a KubeVirt v1 VMI spec, and its status as virtnet sees it.';
  (schema.properties as Json).status = statusSchema();
  return schema;
}

/** Value constraints the admission webhook checks (with every error's full path) instead of the schema. */
const VALUE_KEYWORDS = new Set([
  'pattern',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'format',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
]);

/**
 * The schema with only structure and types left. The apiserver checks a CRD schema after the mutating
 * and before the validating webhooks, stops at its errors and (in 1.20) names list items without their
 * index — so the value rules stay with the webhook, which reports all of them with full paths.
 */
export function typesOnly(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(typesOnly);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (VALUE_KEYWORDS.has(k)) continue;
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Json).map(([p, sub]) => [p, typesOnly(sub)]))
        : typesOnly(v);
  }
  return out;
}

/** The VirtualMachineInstance CustomResourceDefinition as deployed. */
export function vmiCrd(): Json {
  const schema = vmiOpenApiSchema();
  const props = schema.properties as Json;
  props.spec = typesOnly(props.spec);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: VMI_CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'virtnet' } },
    spec: {
      group: VMI_GROUP,
      names: {
        kind: VMI_KIND,
        listKind: `${VMI_KIND}List`,
        plural: VMI_PLURAL,
        singular: 'virtualmachineinstance',
        shortNames: ['vmi', 'vmis'],
        categories: ['all', 'virtnet'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VMI_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Node', type: 'string', jsonPath: '.status.nodeName' },
            { name: 'IP', type: 'string', jsonPath: '.status.interfaces[0].ipAddress' },
            { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}

/** The NetworkAttachmentDefinition CRD as the Network Plumbing Working Group defines it. */
export function nadCrd(): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
    spec: {
      group: 'k8s.cni.cncf.io',
      names: {
        kind: 'NetworkAttachmentDefinition',
        plural: 'network-attachment-definitions',
        singular: 'network-attachment-definition',
        shortNames: ['net-attach-def'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A CNI network a pod may attach to (k8s.v1.cni.cncf.io/networks).',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  properties: {
                    config: {
                      type: 'string',
                      description: 'A CNI configuration or configuration list, as JSON.',
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
