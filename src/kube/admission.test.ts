import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultsPatch,
  mutateAdmission,
  reviewResponse,
  validateAdmission,
  type AdmissionRequest,
} from './admission.js';

const vmi = (spec: unknown, name = 'vm1') => ({
  apiVersion: 'virtnet.io/v1alpha1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace: 'ns1', uid: 'u1' },
  spec,
});
const create = (object: unknown): AdmissionRequest => ({ uid: 'r1', operation: 'CREATE', object });

const twoBad = {
  domain: {
    devices: {
      interfaces: [
        { name: 'default', masquerade: {}, macAddress: 'zz:00:00:00:00:01' },
        { name: 'data', bridge: {}, model: 'rtl9999' },
      ],
    },
  },
  networks: [{ name: 'default', pod: {} }],
};

test('validation refuses with every error as a cause carrying its field path, all in the message', () => {
  const res = validateAdmission(create(vmi(twoBad)));
  assert.equal(res.allowed, false);
  assert.equal(res.uid, 'r1');
  assert.equal(res.status?.code, 422);
  assert.equal(res.status?.reason, 'Invalid');
  const fields = res.status.details.causes.map((c) => c.field);
  assert.ok(fields.includes('spec.domain.devices.interfaces[0].macAddress'), fields.join());
  assert.ok(fields.includes('spec.domain.devices.interfaces[1].model'), fields.join());
  assert.ok(
    fields.some(
      (f) =>
        f.startsWith('spec.domain.devices.interfaces[1]') && f !== 'spec.domain.devices.interfaces[1].model',
    ),
    'the interface without a network',
  );
  for (const f of fields) assert.ok(res.status.message.includes(f), `${f} in the message`);
  assert.equal(res.status.details.kind, 'VirtualMachineInstance');
  assert.equal(res.status.details.group, 'virtnet.io');
});

test('a valid VMI is allowed, and virtnet.io/v1alpha1 draws no apiVersion warning', () => {
  const res = validateAdmission(create(vmi({ domain: { devices: {} } })));
  assert.deepEqual(res, { uid: 'r1', allowed: true });
});

test('an update may change metadata but not the spec', () => {
  const old = vmi({ domain: { devices: {} } });
  const withFinalizer = { ...old, metadata: { ...old.metadata, finalizers: ['x'] } };
  assert.equal(
    validateAdmission({ uid: 'r', operation: 'UPDATE', object: withFinalizer, oldObject: old }).allowed,
    true,
  );
  const changed = vmi({ domain: { devices: { autoattachPodInterface: false } } });
  const res = validateAdmission({ uid: 'r', operation: 'UPDATE', object: changed, oldObject: old });
  assert.equal(res.allowed, false);
  assert.deepEqual(
    res.status!.details.causes.map((c) => c.field),
    ['spec'],
  );
});

test('mutation stores the defaults `virtnet defaults` shows, as a JSON patch of spec', () => {
  const res = mutateAdmission(create(vmi({ domain: { devices: {} } })));
  assert.equal(res.allowed, true);
  assert.equal(res.patchType, 'JSONPatch');
  const patch = JSON.parse(Buffer.from(res.patch!, 'base64').toString('utf8'));
  assert.deepEqual(patch, [
    {
      op: 'add',
      path: '/spec/domain/devices/interfaces',
      value: [{ name: 'default', bridge: {}, model: 'virtio' }],
    },
    { op: 'add', path: '/spec/networks', value: [{ name: 'default', pod: {} }] },
  ]);
  // Already defaulted: nothing to patch (an apply of the same manifest is a no-op).
  const defaulted = vmi({
    domain: { devices: { interfaces: [{ name: 'default', bridge: {}, model: 'virtio' }] } },
    networks: [{ name: 'default', pod: {} }],
  });
  assert.deepEqual(defaultsPatch(defaulted), []);
  assert.deepEqual(mutateAdmission(create(defaulted)), { uid: 'r1', allowed: true });
  // Invalid: no patch, validation refuses it.
  assert.deepEqual(mutateAdmission(create(vmi(twoBad))), { uid: 'r1', allowed: true });
});

test('a CREATE with generateName only is validated and refused under that name', () => {
  const obj = { ...vmi(twoBad), metadata: { generateName: 'vm-', namespace: 'ns1' } };
  const res = validateAdmission(create(obj));
  assert.equal(res.allowed, false);
  assert.equal(res.status!.details.name, 'vm-');
});

test('reviewResponse wraps the answer in an AdmissionReview v1', () => {
  const out = reviewResponse(
    { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: create(vmi({})) },
    (r) => validateAdmission(r),
  );
  assert.equal(out.apiVersion, 'admission.k8s.io/v1');
  assert.equal(out.kind, 'AdmissionReview');
  assert.equal(out.response!.uid, 'r1');
});
