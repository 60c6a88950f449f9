import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecDocuments } from './parse-documents.js';
import { validateVmDocument } from './validate-vm.js';
import { DEFAULT_CLUSTER_CONFIG } from './types.js';

const first = (text: string, file = 'vm.yaml') =>
  validateVmDocument(parseSpecDocuments(text, file).documents[0]);

test('normalises: Multus ns/name split, MAC lower-case, model/protocol/state defaults, vcpus and memory', () => {
  const r = first(`apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: vm1, namespace: team}
spec:
  hostname: vm1
  subdomain: lab
  domain:
    cpu: {sockets: 2, cores: 2, threads: 2}
    resources: {requests: {memory: 2Gi}}
    devices:
      interfaces:
      - name: default
        masquerade: {}
        macAddress: DE-AD-00-00-BE-AF
        ports: [{port: 80}, {port: 80, protocol: TCP}]
      - name: red
        bridge: {}
        pciAddress: 0000:00:0A.0
        acpiIndex: 3
        tag: data
  networks:
  - name: default
    pod: {vmNetworkCIDR: 10.1.0.0/24}
  - name: red
    multus: {networkName: infra/red}
`);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.spec, {
    kind: 'VirtualMachineInstance',
    name: 'vm1',
    namespace: 'team',
    hostname: 'vm1',
    subdomain: 'lab',
    networks: [
      { name: 'default', source: { kind: 'pod', vmNetworkCIDR: '10.1.0.0/24' } },
      { name: 'red', source: { kind: 'multus', networkName: 'red', namespace: 'infra', default: false } },
    ],
    interfaces: [
      {
        name: 'default',
        binding: 'masquerade',
        model: 'virtio',
        ports: [{ protocol: 'TCP', port: 80 }],
        state: 'up',
        macAddress: 'de:ad:00:00:be:af',
      },
      {
        name: 'red',
        binding: 'bridge',
        model: 'virtio',
        ports: [],
        state: 'up',
        pciAddress: '0000:00:0a.0',
        acpiIndex: 3,
        tag: 'data',
      },
    ],
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 8,
    memoryMiB: 2048,
  });
});

test('collects every error of a document at once, in text order', () => {
  const r = first(`kind: VM
spec:
  domain:
    devices:
      interfaces:
      - name: a
        bridge: {}
        model: bogus
      - name: b
        macAddress: nope
  networks:
  - name: a
`);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.field, e.line]),
    [
      ['MODEL_INVALID', 'spec.domain.devices.interfaces[0].model', 8],
      ['BINDING_COUNT', 'spec.domain.devices.interfaces[1]', 9],
      ['INTERFACE_WITHOUT_NETWORK', 'spec.domain.devices.interfaces[1].name', 9],
      ['MAC_INVALID', 'spec.domain.devices.interfaces[1].macAddress', 10],
      ['NETWORK_SOURCE_COUNT', 'spec.networks[0]', 12],
    ],
  );
  assert.equal(r.spec, undefined);
});

test('a plain value (no text) validates too, without positions', () => {
  const r = validateVmDocument({
    kind: 'VM',
    spec: {
      domain: { devices: { interfaces: [{ name: 'default', slirp: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    },
  });
  assert.equal(r.spec?.interfaces[0]?.binding, 'slirp');
  const bad = validateVmDocument({ kind: 'VM', spec: { networks: 'x' } });
  assert.deepEqual(
    bad.errors.map((e) => [e.code, e.field, e.line]),
    [['TYPE_INVALID', 'spec.networks', undefined]],
  );
});

test('VirtualMachine paths go through spec.template.spec', () => {
  const r = first(
    'kind: VirtualMachine\nmetadata: {name: v}\nspec:\n  template:\n    spec:\n      networks:\n      - name: x\n        pod: {}\n',
  );
  assert.deepEqual(
    r.errors.map((e) => e.field),
    ['spec.template.spec.networks[0].name'],
  );
});

test('other kinds beside VMs are skipped with a warning; unknown kinds are errors', () => {
  const nad = first(
    'apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: n}\n',
  );
  assert.equal(nad.ignored, true);
  assert.equal(nad.spec, undefined);
  assert.deepEqual(nad.errors, []);
  assert.equal(first('kind: Deployment\n').errors[0]?.code, 'KIND_UNSUPPORTED');
  assert.equal(first('spec: {}\n').errors[0]?.code, 'KIND_MISSING');
});

test('the cluster default binding is used for the added interface', () => {
  const r = validateVmDocument(parseSpecDocuments('kind: VM\n', 'x.yaml').documents[0], {
    ...DEFAULT_CLUSTER_CONFIG,
    permitBridgeInterfaceOnPodNetwork: false,
    defaultNetworkInterface: 'masquerade',
  });
  assert.deepEqual(
    r.spec?.interfaces.map((i) => [i.name, i.binding]),
    [['default', 'masquerade']],
  );
  assert.equal(r.spec?.name, 'x');
});

test('typos inside the network part are warnings with a suggestion, not silent', () => {
  const r = first(
    'kind: VM\nspec:\n  domain:\n    devices:\n      interfaces:\n      - {name: default, masquerade: {}, macAdress: "02:00:00:00:00:01"}\n  networks:\n  - {name: default, pod: {}}\n',
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.warnings.map((w) => [w.code, w.field, w.line]),
    [['UNKNOWN_FIELD', 'spec.domain.devices.interfaces[0].macAdress', 6]],
  );
  assert.match(r.warnings[0]!.message, /did you mean macAddress\?/);
});

test('memory: guest, else requests, else limits', () => {
  const mem = (domain: string) => first(`kind: VM\nspec:\n  domain: ${domain}\n`).spec?.memoryMiB;
  assert.equal(mem('{memory: {guest: 1Gi}, resources: {requests: {memory: 2Gi}}}'), 1024);
  assert.equal(mem('{resources: {requests: {memory: 512Mi}, limits: {memory: 1Gi}}}'), 512);
  assert.equal(mem('{resources: {limits: {memory: 1Gi}}}'), 1024);
  assert.equal(mem('{cpu: {cores: 2}}'), undefined);
});
