// Fuzz: ≥ 100,000 mutated client packets (bit flips, truncations, extensions, corrupted option
// lengths, pure noise) never make the codec or the responder throw; failures are typed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../src/dhcp/codec/message.js';
import { respond } from '../../src/dhcp/responder.js';
import type { Dhcp4Lease } from '../../src/dhcp/server-config.js';
import { mutate, rng } from './mutate.js';

const lease: Dhcp4Lease = {
  clientMac: '02:aa:bb:cc:dd:01',
  bridge: 'br0',
  serverAddress: '169.254.75.10',
  address: '10.88.0.5',
  prefixLength: 16,
  routers: ['10.88.0.1'],
  classlessRoutes: [{ destination: '10.96.0.0/12', gateway: '10.88.0.1' }],
  dnsServers: ['10.96.0.10'],
  searchDomains: ['svc.cluster.local'],
  hostname: 'vm',
  mtuBytes: 1450,
  leaseSeconds: 3600,
  ntpServers: [],
  privateOptions: [{ code: 240, value: 'x' }],
};

test('100,000 mutated packets never throw', () => {
  const next = rng(0x5eed);
  let decoded = 0;
  let answered = 0;
  const failures = new Set<string>();
  for (let i = 0; i < 100_000; i++) {
    const packet = mutate(next);
    const r = decodeMessage(packet);
    if (!r.ok) {
      failures.add(r.code);
      continue;
    }
    decoded++;
    const d = respond(r.value, lease);
    if (d.action === 'reply') {
      const enc = encodeMessage(d.reply, { maxPayloadBytes: d.maxPayloadBytes });
      assert.ok(enc.ok);
      assert.ok(enc.value.bytes.length <= Math.max(d.maxPayloadBytes, 300));
      answered++;
    }
  }
  // The corpus exercises both paths: many packets still parse, and every failure class occurs.
  assert.ok(decoded > 10_000, `only ${decoded} decoded`);
  assert.ok(answered > 1_000, `only ${answered} answered`);
  for (const code of ['TRUNCATED', 'BAD_COOKIE', 'BAD_OP', 'OPTION_OVERRUN'])
    assert.ok(failures.has(code), `no ${code}`);
});
