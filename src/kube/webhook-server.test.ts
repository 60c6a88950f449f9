import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { caBundlePatch } from './webhook-bootstrap.js';
import { makeWebhookTls } from './webhook-certs.js';
import { startWebhookServer } from './webhook-server.js';

const tls = makeWebhookTls('virtnet-webhook', 'virtnet-system');

/** The parts of a response review the test reads. */
interface ReviewOut {
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    patchType?: string;
    status: { details: { causes: { field: string }[] } };
  };
}

function post(port: number, path: string, body: string): Promise<{ status: number; json: ReviewOut }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca: tls.caCert,
        servername: 'virtnet-webhook.virtnet-system.svc',
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            json: (res.headers['content-type'] === 'application/json'
              ? JSON.parse(text)
              : { kind: text }) as ReviewOut,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('the HTTPS server answers AdmissionReviews on both paths, trusted through its own CA', async (t) => {
  const server = await startWebhookServer({ port: 0, host: '127.0.0.1', cert: tls.tlsCert, key: tls.tlsKey });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const review = (spec: unknown) =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        operation: 'CREATE',
        object: {
          apiVersion: 'virtnet.io/v1alpha1',
          kind: 'VirtualMachineInstance',
          metadata: { name: 'vm', namespace: 'ns' },
          spec,
        },
      },
    });
  const bad = await post(
    port,
    '/validate-vmi',
    review({ domain: { devices: { interfaces: [{ name: 'x', bridge: {} }] } } }),
  );
  assert.equal(bad.status, 200);
  assert.equal(bad.json.kind, 'AdmissionReview');
  assert.equal(bad.json.response.uid, 'u-1');
  assert.equal(bad.json.response.allowed, false);
  assert.equal(bad.json.response.status.details.causes[0]!.field, 'spec.domain.devices.interfaces[0].name');
  const mutated = await post(port, '/mutate-vmi', review({}));
  assert.equal(mutated.json.response.patchType, 'JSONPatch');
  assert.equal((await post(port, '/validate-vmi', 'not json')).status, 400);
  assert.equal((await post(port, '/other', '{}')).status, 404);
});

test('caBundlePatch sets the CA on the webhooks served by virtnet-webhook in that namespace only, once', () => {
  const config = {
    webhooks: [
      { clientConfig: { service: { name: 'virtnet-webhook', namespace: 'virtnet-system' } } },
      { clientConfig: { service: { name: 'someone-else', namespace: 'virtnet-system' } } },
      {
        clientConfig: { service: { name: 'virtnet-webhook', namespace: 'virtnet-system' }, caBundle: 'Q0E=' },
      },
    ],
  };
  assert.deepEqual(caBundlePatch(config, 'virtnet-system', 'Q0E='), [
    { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: 'Q0E=' },
  ]);
  assert.deepEqual(caBundlePatch(config, 'other-ns', 'Q0E='), []);
});
