// The structural OpenAPI v3 schema of the network part of a VirtualMachineInstance, generated from the
// same zod schemas validation uses and rewritten to Kubernetes' structural-schema rules: every node has
// a type, open maps say `x-kubernetes-preserve-unknown-fields` instead of `additionalProperties`, no
// `additionalProperties: false` beside `properties`, unions only as `oneOf` of `required` lists.
import { z } from 'zod';
import { interfaceSchema, networkSchema } from './vm-schema.js';
import { BINDINGS } from './types.js';

type Json = Record<string, unknown>;

/** Rewrites a zod-generated JSON Schema node (recursively) into a structural one. */
export function structuralize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structuralize);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$schema' || k === 'additionalProperties' || k === 'id' || k === '$id') continue;
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, structuralize(s)]))
        : structuralize(v);
  }
  const ap = (node as Json).additionalProperties;
  if (typeof ap === 'object' && ap !== null) {
    if (Object.keys(ap).length === 0) out['x-kubernetes-preserve-unknown-fields'] = true;
    else out.additionalProperties = structuralize(ap);
  }
  if (
    out.type === 'object' &&
    out.properties !== undefined &&
    Object.keys(out.properties as Json).length === 0 &&
    out['x-kubernetes-preserve-unknown-fields'] === true
  ) {
    delete out.properties;
  }
  return out;
}

/** People-facing descriptions of the network fields, attached to the generated properties. */
const DESCRIPTIONS: Record<string, string> = {
  name: 'Matches the interface to the network of the same name.',
  bridge: 'Connect through a Linux bridge in the pod; the pod IP is handed to the VM by DHCP.',
  masquerade: 'NAT behind the pod IP; only on the pod network.',
  slirp: 'QEMU user networking; only on the pod network.',
  sriov: 'Pass an SR-IOV VF through (vfio); only on Multus/Genie networks.',
  macvtap: 'A macvtap on the pod interface.',
  passt:
    'passt user-mode networking; only on the pod network (discontinued in KubeVirt 1.3: use passtBinding).',
  passtBinding: 'passt user-mode networking (KubeVirt core binding); only on the pod network.',
  binding:
    'A network binding plugin registered in the cluster configuration (network.binding.NAME), e.g. {name: passt}.',
  portRanges: 'Port ranges forwarded to a masquerade interface (PortRangesSpec feature gate).',
  resourceClaim: 'A DRA network device (NetworkDevicesWithDRA feature gate).',
  model: 'NIC model seen by the guest (default virtio).',
  macAddress: 'aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF.',
  pciAddress: 'Guest PCI address DDDD:BB:SS.F.',
  ports: 'Ports forwarded to the VM (masquerade, slirp, passt).',
  bootOrder: 'Boot priority (> 0, unique across boot devices).',
  dhcpOptions: 'Extra DHCP options served to the VM.',
  state: 'up, down, or absent (absent: bridge on a secondary network only).',
  acpiIndex: 'ACPI index of the NIC (1-16383).',
  pod: 'The pod network (eth0 of the pod).',
  multus: 'A Multus network: networkName is "name" or "namespace/name".',
  genie: 'A Genie network, by CNI network name.',
};

function describe(schema: Json): Json {
  const props = schema.properties as Record<string, Json> | undefined;
  for (const [k, v] of Object.entries(props ?? {}))
    if (DESCRIPTIONS[k] && v.description === undefined) v.description = DESCRIPTIONS[k];
  return schema;
}

function jsonOf(schema: z.ZodType): Json {
  return describe(
    structuralize(
      z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }),
    ) as Json,
  );
}

/** The openAPIV3Schema for a VirtualMachineInstance's network part (other fields preserved, unvalidated). */
export function crdOpenApiSchema(): Json {
  const iface = jsonOf(interfaceSchema);
  iface.description = 'A VM NIC: exactly one binding, a network of the same name in spec.networks.';
  iface.oneOf = [...BINDINGS, 'passtBinding', 'binding'].map((b) => ({ required: [b] }));
  const net = jsonOf(networkSchema);
  net.description = 'A backend network: exactly one of pod, multus, genie.';
  net.oneOf = ['pod', 'multus', 'genie'].map((s) => ({ required: [s] }));
  // Names are unique keys of both lists (server-side apply merges them by name).
  const listMapByName = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] };
  const open = (properties: Json, extra: Json = {}): Json => ({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties,
    ...extra,
  });
  return {
    type: 'object',
    description: 'kubevirt.io/v1 VirtualMachineInstance: the network part (virtnet).',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: open({
        hostname: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        subdomain: { type: 'string', maxLength: 253 },
        domain: open({
          devices: open({
            autoattachPodInterface: { type: 'boolean', nullable: true },
            networkInterfaceMultiqueue: { type: 'boolean', nullable: true },
            interfaces: { type: 'array', nullable: true, items: iface, ...listMapByName },
          }),
        }),
        networks: { type: 'array', nullable: true, items: net, ...listMapByName },
      }),
    },
  };
}
