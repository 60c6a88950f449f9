import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { makeWebhookTls } from './webhook-certs.js';

test('the serving certificate is signed by the CA, names the Service and matches its key', () => {
  const tls = makeWebhookTls('virtnet-webhook', 'virtnet-system');
  const ca = new X509Certificate(tls.caCert);
  const cert = new X509Certificate(tls.tlsCert);
  assert.ok(ca.ca);
  assert.ok(!cert.ca);
  assert.ok(cert.verify(ca.publicKey));
  assert.ok(cert.checkIssued(ca));
  assert.equal(cert.checkHost('virtnet-webhook.virtnet-system.svc'), 'virtnet-webhook.virtnet-system.svc');
  assert.equal(cert.checkHost('other.virtnet-system.svc'), undefined);
  assert.ok(cert.checkPrivateKey(createPrivateKey(tls.tlsKey)));
  assert.ok(new Date(cert.validTo).getTime() > Date.now() + 300 * 24 * 3600 * 1000);
});
