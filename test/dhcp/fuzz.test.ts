// Fuzz: ≥ 100,000 mutated client packets (bit flips, truncations, extensions, corrupted option
// lengths, pure noise) never make the codec or the responder throw; failures are typed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../src/dhcp/codec/message.js';
import { respond } from '../../src/dhcp/responder.js';
import type { Dhcp4Lease } from '../../src/dhcp/server-config.js';

const seeds = ['udhcpc-discover', 'udhcpc-request', 'dhclient-discover', 'dhclient-request'].map((name) =>
  Uint8Array.from(Buffer.from(readFileSync(new URL(`./fixtures/${name}.hex`, import.meta.url), 'utf8').replace(/\s+/g, ''), 'hex')),
);

const lease: Dhcp4Lease = {
  clientMac: '02:aa:bb:cc:dd:01', bridge: 'br0', serverAddress: '169.254.75.10', address: '10.88.0.5', prefixLength: 16,
  routers: ['10.88.0.1'], classlessRoutes: [{ destination: '10.96.0.0/12', gateway: '10.88.0.1' }], dnsServers: ['10.96.0.10'],
  searchDomains: ['svc.cluster.local'], hostname: 'vm', mtuBytes: 1450, leaseSeconds: 3600, ntpServers: [], privateOptions: [{ code: 240, value: 'x' }],
};

/** xorshift32: deterministic, so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(next: () => number): Uint8Array {
  const base = seeds[next() % seeds.length]!;
  const kind = next() % 6;
  let p = Uint8Array.from(base);
  if (kind === 0) {
    for (let i = 0, n = 1 + (next() % 8); i < n; i++) p[next() % p.length] = next() & 0xff;
  } else if (kind === 1) {
    p = p.subarray(0, next() % (p.length + 1));
  } else if (kind === 2) {
    const extra = new Uint8Array(next() % 600).map(() => next() & 0xff);
    const q = new Uint8Array(p.length + extra.length);
    q.set(p);
    q.set(extra, p.length);
    p = q;
  } else if (kind === 3) {
    // Corrupt the options area: lengths and codes, including option 52 overload into garbage fields.
    for (let i = 0, n = 1 + (next() % 6); i < n; i++) p[240 + (next() % (p.length - 240))] = next() % 4 === 0 ? 52 : next() & 0xff;
    for (let i = 44; i < 236; i++) if (next() % 3 === 0) p[i] = next() & 0xff;
  } else if (kind === 4) {
    p = new Uint8Array(next() % 700).map(() => next() & 0xff);
    if (p.length >= 240 && next() % 2 === 0) p.set([99, 130, 83, 99], 236);
  } else {
    // Valid header, random options.
    for (let i = 240; i < p.length; i++) p[i] = next() & 0xff;
  }
  return p;
}

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
  for (const code of ['TRUNCATED', 'BAD_COOKIE', 'BAD_OP', 'OPTION_OVERRUN']) assert.ok(failures.has(code), `no ${code}`);
});
