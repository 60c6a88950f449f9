// RFC 3442 and RFC 3397 examples encode to the bytes the RFCs print, and decode back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeClasslessRoutes, encodeClasslessRoutes } from './classless-routes.js';
import { decodeDomainSearch, encodeDomainSearch } from './domain-search.js';
import { decodeMessage, emptyMessage, encodeMessage, BOOTREPLY } from './message.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('RFC 3442 §2 destination descriptors encode to the RFC bytes', () => {
  // The table of RFC 3442 §2: subnet/mask → width + significant octets (router 10.0.0.1 appended).
  const cases: [string, number[]][] = [
    ['0.0.0.0/0', [0]],
    ['10.0.0.0/8', [8, 10]],
    ['10.0.0.0/24', [24, 10, 0, 0]],
    ['10.17.0.0/16', [16, 10, 17]],
    ['10.27.129.0/24', [24, 10, 27, 129]],
    ['10.229.0.128/25', [25, 10, 229, 0, 128]],
    ['10.198.122.47/32', [32, 10, 198, 122, 47]],
  ];
  for (const [destination, descriptor] of cases) {
    const r = encodeClasslessRoutes([{ destination, gateway: '10.0.0.1' }]);
    assert.ok(r.ok);
    assert.deepEqual([...r.value], [...descriptor, 10, 0, 0, 1], destination);
    const back = decodeClasslessRoutes(r.value);
    assert.ok(back.ok);
    assert.deepEqual(back.value, [{ destination, gateway: '10.0.0.1' }]);
  }
});

test('RFC 3442: several routes concatenate; host bits are rejected on encode and cleared on decode', () => {
  const r = encodeClasslessRoutes([
    { destination: '10.96.0.0/12', gateway: '10.88.0.1' },
    { destination: '0.0.0.0/0', gateway: '10.88.0.1' },
  ]);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [12, 10, 96, 10, 88, 0, 1, 0, 10, 88, 0, 1]);
  const bad = encodeClasslessRoutes([{ destination: '10.0.0.1/8', gateway: '10.0.0.1' }]);
  assert.equal(bad.ok, false);
  const lenient = decodeClasslessRoutes(Uint8Array.from([8, 10, 1, 2, 3, 4]));
  assert.ok(lenient.ok);
  const truncated = decodeClasslessRoutes(Uint8Array.from([24, 10, 0, 0, 1, 2]));
  assert.equal(truncated.ok, false);
  assert.equal(decodeClasslessRoutes(Uint8Array.from([33, 1, 2, 3, 4, 1, 2, 3, 4, 5])).ok, false);
});

test('RFC 3397 §2 example: eng.apple.com and marketing.apple.com with a compression pointer', () => {
  const expected = hex('03656e67 056170706c65 03636f6d 00 096d61726b6574696e67 c004');
  const r = encodeDomainSearch(['eng.apple.com.', 'marketing.apple.com.']);
  assert.ok(r.ok);
  assert.deepEqual(r.value, expected);
  const back = decodeDomainSearch(expected);
  assert.ok(back.ok);
  assert.deepEqual(back.value, ['eng.apple.com', 'marketing.apple.com']);
});

test('RFC 3397: forward or self pointers and overlong names are typed failures', () => {
  assert.equal(decodeDomainSearch(hex('c000')).ok, false);
  assert.equal(decodeDomainSearch(hex('03616263 c010')).ok, false);
  assert.equal(decodeDomainSearch(hex('03616263')).ok, false);
  assert.equal(decodeDomainSearch(hex('40')).ok, false);
  assert.equal(encodeDomainSearch(['bad..name']).ok, false);
});

test('RFC 3396: a search list over 255 bytes is split into several option 119 instances and rejoined', () => {
  const domains = Array.from({ length: 20 }, (_, i) => `ns${i}.some-long-namespace-name-${i}.example.org`);
  const data = encodeDomainSearch(domains);
  assert.ok(data.ok && data.value.length > 255);
  const msg = emptyMessage(BOOTREPLY);
  msg.options.set(119, data.value);
  const enc = encodeMessage(msg, { maxPayloadBytes: 1500 });
  assert.ok(enc.ok);
  assert.deepEqual(enc.value.droppedOptions, []);
  const dec = decodeMessage(enc.value.bytes);
  assert.ok(dec.ok);
  const back = decodeDomainSearch(dec.value.options.get(119)!);
  assert.ok(back.ok);
  assert.deepEqual(back.value, domains);
});
