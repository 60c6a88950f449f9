// What `virtnet run` would fail on after creating the pod and starting QEMU is refused by `validate`
// with a field path instead, and validation stays bounded: list caps, long values cut in messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecDocuments } from '../../src/api/parse-documents.js';
import { validateVmDocument, type VmValidationResult } from '../../src/api/validate-vm.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { LIST_CAPS } from '../../src/api/list-caps.js';

function vm(opts: { name?: string; iface?: string; cidr?: string; domain?: string } = {}): string {
  return `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: ${opts.name ?? 'vm1'}}
spec:
  domain:
${opts.domain ?? ''}    devices:
      interfaces: [{name: default, ${opts.iface ?? 'masquerade: {}'}}]
  networks: [{name: default, pod: {${opts.cidr !== undefined ? `vmNetworkCIDR: "${opts.cidr}"` : ''}}}]
`;
}
function validate(text: string, stateDir?: string): VmValidationResult {
  return validateVmDocument(
    parseSpecDocuments(text, 'vm.yaml').documents[0],
    DEFAULT_CLUSTER_CONFIG,
    stateDir ? { stateDir } : {},
  );
}
const codes = (r: VmValidationResult) => r.errors.map((e) => `${e.code} ${e.field}`);

test('vmNetworkCIDR: too big (its routes would shadow the pod network) or unusable ranges are refused', () => {
  for (const cidr of ['0.0.0.0/0', '10.0.0.0/7'])
    assert.deepEqual(
      codes(validate(vm({ cidr }))),
      ['CIDR_TOO_BIG spec.networks[0].pod.vmNetworkCIDR'],
      cidr,
    );
  for (const cidr of ['0.0.0.0/8', '127.0.0.0/24', '224.0.0.0/24', '255.255.255.0/24'])
    assert.deepEqual(
      codes(validate(vm({ cidr }))),
      ['CIDR_UNUSABLE spec.networks[0].pod.vmNetworkCIDR'],
      cidr,
    );
  assert.deepEqual(codes(validate(vm({ cidr: '10.0.0.0/8' }))), []);
  assert.deepEqual(codes(validate(vm({ cidr: '10.11.0.0/30' }))), []);
});

test('a VM name too long for its unix socket paths under the state dir is refused at metadata.name', () => {
  // /var/lib/virtnet/vms/<name>/run/qmp.sock must fit 107 bytes: names up to 73 bytes.
  // A DNS subdomain of n bytes (labels of at most 63).
  const at = (n: number): string => (n <= 63 ? 'a'.repeat(n) : `${'a'.repeat(62)}.${at(n - 63)}`);
  assert.deepEqual(codes(validate(vm({ name: at(73) }))), []);
  assert.deepEqual(codes(validate(vm({ name: at(74) }))), ['VM_NAME_TOO_LONG metadata.name']);
  assert.deepEqual(
    codes(validate(vm({ name: `${at(63)}.${at(63)}.${at(63)}.${at(61)}` }))),
    ['VM_NAME_TOO_LONG metadata.name'],
    'a 253-byte DNS name',
  );
  // passt's socket name is longer: fewer bytes are left for the name.
  assert.deepEqual(codes(validate(vm({ name: at(60), iface: 'passtBinding: {}' }))), [
    'VM_NAME_TOO_LONG metadata.name',
  ]);
  // A deeper state dir leaves less room.
  assert.deepEqual(codes(validate(vm({ name: at(40) }), `/srv/${'d'.repeat(60)}`)), [
    'VM_NAME_TOO_LONG metadata.name',
  ]);
  const message = validate(vm({ name: at(74) })).errors[0]!.message;
  assert.match(message, /at most 73 fit/);
});

test('vCPUs beyond what the embedded machine takes (255) are refused at the cpu field', () => {
  assert.deepEqual(codes(validate(vm({ domain: '    cpu: {cores: 100000}\n' }))), [
    'VCPUS_RANGE spec.domain.cpu.cores',
  ]);
  assert.deepEqual(codes(validate(vm({ domain: '    cpu: {sockets: 16, cores: 16}\n' }))), [
    'VCPUS_RANGE spec.domain.cpu',
  ]);
  assert.deepEqual(codes(validate(vm({ domain: '    cpu: {cores: 0}\n' }))), [
    'VCPUS_RANGE spec.domain.cpu.cores',
  ]);
  assert.deepEqual(codes(validate(vm({ domain: '    cpu: {sockets: 1, cores: 255}\n' }))), []);
});

test("guest memory below 1M (KubeVirt's floor) or above 1 TiB, or not a quantity, is refused at its field", () => {
  assert.deepEqual(codes(validate(vm({ domain: '    memory: {guest: 1}\n' }))), [
    'MEMORY_RANGE spec.domain.memory.guest',
  ]);
  assert.deepEqual(codes(validate(vm({ domain: '    memory: {guest: 999999999999Ti}\n' }))), [
    'MEMORY_RANGE spec.domain.memory.guest',
  ]);
  assert.deepEqual(codes(validate(vm({ domain: '    memory: {guest: lots}\n' }))), [
    'MEMORY_RANGE spec.domain.memory.guest',
  ]);
  assert.deepEqual(codes(validate(vm({ domain: '    resources: {requests: {memory: 999k}}\n' }))), [
    'MEMORY_RANGE spec.domain.resources.requests.memory',
  ]);
  assert.equal(
    validate(vm({ domain: '    memory: {guest: 64M}\n' })).spec?.memoryMiB,
    62,
    'the cirros examples of KubeVirt use 64M',
  );
});

test('a pciAddress QEMU would refuse (not bus 0000:00, or slot 00/01) is refused', () => {
  assert.deepEqual(codes(validate(vm({ iface: 'masquerade: {}, pciAddress: "ffff:ff:1f.7"' }))), [
    'PCI_ADDRESS_UNUSABLE spec.domain.devices.interfaces[0].pciAddress',
  ]);
  assert.deepEqual(codes(validate(vm({ iface: 'masquerade: {}, pciAddress: "0000:00:01.0"' }))), [
    'PCI_ADDRESS_UNUSABLE spec.domain.devices.interfaces[0].pciAddress',
  ]);
  assert.deepEqual(codes(validate(vm({ iface: 'masquerade: {}, pciAddress: "0000:00:1f.7"' }))), []);
});

test('broadcast, multicast and all-zero MACs are errors, not warnings', () => {
  for (const mac of ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33-33-00-00-00-01']) {
    assert.deepEqual(
      codes(validate(vm({ iface: `masquerade: {}, macAddress: "${mac}"` }))),
      ['MAC_MULTICAST spec.domain.devices.interfaces[0].macAddress'],
      mac,
    );
  }
  assert.deepEqual(codes(validate(vm({ iface: 'masquerade: {}, macAddress: "00:00:00:00:00:00"' }))), [
    'MAC_ZERO spec.domain.devices.interfaces[0].macAddress',
  ]);
});

test('lists longer than their documented cap are an error at the list; the rest is not validated', () => {
  const ports = Array.from(
    { length: LIST_CAPS.ports + 1 },
    (_, i) => `{port: ${(i % 60000) + 1}, name: p${i}}`,
  ).join(', ');
  const r = validate(vm({ iface: `masquerade: {}, ports: [${ports}]` }));
  assert.deepEqual(
    codes(r).filter((c) => c.startsWith('LIST_TOO_LONG')),
    ['LIST_TOO_LONG spec.domain.devices.interfaces[0].ports'],
  );
  const value = {
    kind: 'VM',
    spec: {
      domain: {
        devices: {
          interfaces: Array.from({ length: LIST_CAPS.interfaces + 1 }, (_, i) => ({
            name: `n${i}`,
            bridge: {},
          })),
        },
      },
      networks: [],
    },
  };
  const big = validateVmDocument(value);
  assert.ok(
    big.errors.some((e) => e.code === 'LIST_TOO_LONG' && e.field === 'spec.domain.devices.interfaces'),
  );
  assert.ok(
    big.errors.every((e) => !/\[65536\]/.test(e.field)),
    'elements beyond the cap are not looked at',
  );
});

test('huge values are never echoed whole in messages', () => {
  const name = 'x'.repeat(10 * 1024 * 1024);
  const r = validateVmDocument({
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      domain: { devices: { interfaces: [{ name: `${name}.`, bridge: {}, macAddress: name }] } },
      networks: [{ name: `${name}.`, multus: { networkName: name } }],
    },
  });
  assert.ok(r.errors.length >= 3, r.errors.map((e) => e.code).join());
  for (const issue of [...r.errors, ...r.warnings])
    assert.ok(issue.message.length < 400, `${issue.code}: ${issue.message.length} characters`);
});
