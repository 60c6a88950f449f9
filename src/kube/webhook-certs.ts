// The webhook's TLS material, made by virtnet itself (no cert-manager): a CA and a serving certificate
// for the webhook Service's DNS names, signed by it. The apiserver trusts the CA through the webhook
// configurations' caBundle. Keys come from Node's crypto (native, fast); node-forge only writes the
// X.509 structures, which Node cannot.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface WebhookTls {
  caCert: string;
  tlsCert: string;
  tlsKey: string;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** The names the apiserver dials a Service by. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

function rsaKeys(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem: privateKey };
}

function certificate(
  subject: string,
  publicKey: forge.pki.rsa.PublicKey,
  now: Date,
  years: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive 16-byte serial (high bit clear).
  cert.serialNumber = `0${randomBytes(16).toString('hex').slice(1)}`;
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + years * YEAR_MS);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  return cert;
}

/** A CA and a serving certificate for `service` in `namespace`. */
export function makeWebhookTls(service: string, namespace: string, now = new Date()): WebhookTls {
  const ca = rsaKeys();
  const caCert = certificate(`${service}-ca`, ca.publicKey, now, 10);
  caCert.setIssuer(caCert.subject.attributes);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const server = rsaKeys();
  const names = serviceDnsNames(service, namespace);
  const cert = certificate(names[2]!, server.publicKey, now, 10);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2, value })) },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());
  return {
    caCert: forge.pki.certificateToPem(caCert),
    tlsCert: forge.pki.certificateToPem(cert),
    tlsKey: server.pem,
  };
}
