// Real-world files: the kinds that hold a VM (VirtualMachineInstanceReplicaSet, VirtualMachinePool),
// other KubeVirt and CDI kinds beside them skipped with a note, structure written at the wrong level
// reported instead of silently replaced by the default interface, and `virtnet defaults` keeping the
// binding forms KubeVirt ≥ 1.3 stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecDocuments } from '../../src/api/parse-documents.js';
import { renderDefaultedDocument } from '../../src/api/render-defaults.js';
import { validateVmDocument, type VmValidationResult } from '../../src/api/validate-vm.js';
import { validateSpecText } from '../../src/launcher/load-spec.js';

const VMI_SPEC = `      domain:
        devices:
          interfaces: [{name: default, masquerade: {}}, {name: red, bridge: {}}]
      networks: [{name: default, pod: {}}, {name: red, multus: {networkName: red}}]`;

/** The start of a VirtualMachine whose spec continues below. */
const VM_HEAD =
  'apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: vm}\nspec:\n  runStrategy: Always\n';

function validate(text: string): VmValidationResult {
  return validateVmDocument(parseSpecDocuments(text, 'k.yaml').documents[0]);
}
const codes = (list: { code: string; field: string }[]) => list.map((e) => `${e.code} ${e.field}`);

test('VirtualMachineInstanceReplicaSet: the VM is spec.template.spec', () => {
  const r = validate(`apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceReplicaSet
metadata: {name: rs}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec:
${VMI_SPEC}
`);
  assert.deepEqual(codes(r.errors), []);
  assert.deepEqual(
    r.spec?.interfaces.map((i) => [i.name, i.binding]),
    [
      ['default', 'masquerade'],
      ['red', 'bridge'],
    ],
  );
  assert.equal(r.spec?.kind, 'VirtualMachineInstanceReplicaSet');
});

test('VirtualMachinePool: the VM is spec.virtualMachineTemplate.spec.template.spec', () => {
  const r = validate(`apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata: {name: pool}
spec:
  replicas: 3
  selector: {matchLabels: {app: p}}
  virtualMachineTemplate:
    metadata: {labels: {app: p}}
    spec:
      runStrategy: Always
      template:
        spec:
    ${VMI_SPEC.replaceAll('\n', '\n    ')}
`);
  assert.deepEqual(codes(r.errors), []);
  assert.deepEqual(codes(r.warnings), []);
  assert.deepEqual(
    r.spec?.networks.map((n) => n.source.kind),
    ['pod', 'multus'],
  );
});

test('other KubeVirt and CDI kinds in the file are skipped with a note, the VMs still validated', () => {
  const text = [
    'DataVolume',
    'VirtualMachineInstancetype',
    'VirtualMachinePreference',
    'VirtualMachineInstancePreset',
    'PersistentVolumeClaim',
  ]
    .map((kind) => `apiVersion: x/v1\nkind: ${kind}\nmetadata: {name: a}\n`)
    .concat([
      `apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: v}\nspec:\n${VMI_SPEC.replace(/^ {4}/gm, '')}\n`,
    ])
    .join('---\n');
  const outcome = validateSpecText(text, 'mixed.yaml');
  assert.equal(outcome.valid, true, JSON.stringify(outcome.errors));
  assert.equal(outcome.specs.length, 1);
  assert.equal(outcome.warnings.filter((w) => w.code === 'DOCUMENT_IGNORED').length, 5);
  // A future KubeVirt kind too: anything of a kubevirt.io API group.
  assert.equal(
    validateSpecText(
      'apiVersion: snapshot.kubevirt.io/v1beta1\nkind: VirtualMachineSnapshotContent\n',
      's.yaml',
    ).valid,
    true,
  );
  assert.equal(
    validateSpecText('apiVersion: apps/v1\nkind: Deployment\n', 'd.yaml').errors[0]?.code,
    'KIND_UNSUPPORTED',
  );
  const typo = validateSpecText('apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanse\n', 't.yaml')
    .errors[0];
  assert.equal(typo?.code, 'KIND_UNSUPPORTED', 'a misspelt VM kind is not skipped');
  assert.match(typo.message, /did you mean VirtualMachineInstance\?/);
});

test('misplaced structure is an error, not a VM with the default interface', () => {
  const topTemplate = validate(`${VM_HEAD}template:
  spec:
${VMI_SPEC.replace(/^ {2}/gm, '')}
`);
  assert.deepEqual(codes(topTemplate.errors).sort(), [
    'FIELD_REQUIRED spec.template',
    'MISPLACED_FIELD template',
  ]);
  assert.match(
    topTemplate.errors.find((e) => e.code === 'MISPLACED_FIELD')!.message,
    /belongs at spec\.template/,
  );
  const underDomain = validate(`apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: vmi}
spec:
  domain:
    interfaces: [{name: default, masquerade: {}}]
  networks: [{name: default, pod: {}}]
`);
  assert.ok(
    codes(underDomain.errors).includes('MISPLACED_FIELD spec.domain.interfaces'),
    codes(underDomain.errors).join(),
  );
  assert.match(
    underDomain.errors.find((e) => e.code === 'MISPLACED_FIELD')!.message,
    /spec\.domain\.devices\.interfaces/,
  );
  const vmDomain = validate(`apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm}
spec:
  template:
    spec:
${VMI_SPEC}
  networks: [{name: other, pod: {}}]
`);
  assert.deepEqual(codes(vmDomain.errors), ['MISPLACED_FIELD spec.networks']);
  assert.match(vmDomain.errors[0]!.message, /spec\.template\.spec\.networks/);
});

test('unknown keys get a "did you mean" at every level, not only in interfaces and networks', () => {
  const r = validate(`${VM_HEAD}  template:
    spec:
      domain:
        devices:
          interface: []
        resource: {}
      network: []
`);
  assert.deepEqual(codes(r.warnings).sort(), [
    'UNKNOWN_FIELD spec.template.spec.domain.devices.interface',
    'UNKNOWN_FIELD spec.template.spec.domain.resource',
    'UNKNOWN_FIELD spec.template.spec.network',
  ]);
  assert.ok(r.warnings.every((w) => /did you mean/.test(w.message)));
});

test('defaults never rewrites binding: {name: passt} into the discontinued passt: {}, and keeps passtBinding', () => {
  for (const [binding, rendered] of [
    ['binding: {name: passt}', { binding: { name: 'passt' } }],
    ['passtBinding: {}', { passtBinding: {} }],
    ['binding: {name: bridge}', { binding: { name: 'bridge' } }],
  ] as const) {
    const text = `apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: p}\nspec:\n  domain:\n    devices:\n      interfaces: [{name: default, ${binding}}]\n  networks: [{name: default, pod: {}}]\n`;
    const doc = parseSpecDocuments(text, 'p.yaml').documents[0]!;
    const r = validateVmDocument(doc);
    assert.deepEqual(codes(r.errors), []);
    const out = renderDefaultedDocument(doc.value, r.spec!) as {
      spec: { domain: { devices: { interfaces: Record<string, unknown>[] } } };
    };
    const iface = out.spec.domain.devices.interfaces[0]!;
    assert.deepEqual(
      { ...iface, name: undefined, model: undefined },
      { ...rendered, name: undefined, model: undefined },
      binding,
    );
    assert.ok(!('passt' in iface));
  }
});

test('defaults writes the network part where the kind keeps its VM (ReplicaSet: spec.template.spec, Pool: spec.virtualMachineTemplate.spec.template.spec)', () => {
  const rs = `apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceReplicaSet\nmetadata: {name: rs}\nspec:\n  replicas: 1\n  template:\n    spec:\n      domain: {devices: {}}\n`;
  const pool = `apiVersion: pool.kubevirt.io/v1beta1\nkind: VirtualMachinePool\nmetadata: {name: p}\nspec:\n  virtualMachineTemplate:\n    spec:\n      template:\n        spec: {}\n`;
  for (const [text, path] of [
    [rs, ['spec', 'template', 'spec']],
    [pool, ['spec', 'virtualMachineTemplate', 'spec', 'template', 'spec']],
  ] as const) {
    const doc = parseSpecDocuments(text, 'd.yaml').documents[0]!;
    const r = validateVmDocument(doc);
    assert.deepEqual(codes(r.errors), []);
    let node: unknown = renderDefaultedDocument(doc.value, r.spec!);
    for (const key of path) node = (node as Record<string, unknown>)[key];
    const vmi = node as { networks: unknown[]; domain: { devices: { interfaces: unknown[] } } };
    assert.deepEqual(vmi.networks, [{ name: 'default', pod: {} }]);
    assert.deepEqual(vmi.domain.devices.interfaces, [{ name: 'default', bridge: {}, model: 'virtio' }]);
  }
});
