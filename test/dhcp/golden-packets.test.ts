// DISCOVER/REQUEST packets captured once from busybox udhcpc 1.35 and ISC dhclient 4.4 (tcpdump -w
// against virtnet's server, UDP payload stored as hex) decode to what those clients sent, and
// virtnet's answers to them are what the protocol requires.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { clientMac, decodeMessage, encodeMessage, optionValue } from '../../src/dhcp/codec/message.js';
import { MessageType } from '../../src/dhcp/codec/option-table.js';
import { respond } from '../../src/dhcp/responder.js';
import type { Dhcp4Lease } from '../../src/dhcp/server-config.js';

function fixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`./fixtures/${name}.hex`, import.meta.url), 'utf8');
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

const lease: Dhcp4Lease = {
  clientMac: '02:aa:bb:cc:dd:01',
  bridge: 'br0',
  serverAddress: '169.254.75.10',
  address: '10.88.0.5',
  prefixLength: 16,
  routers: ['10.88.0.1'],
  classlessRoutes: [],
  dnsServers: ['10.96.0.10'],
  searchDomains: [],
  leaseSeconds: 86400,
  ntpServers: [],
  privateOptions: [],
};

test('udhcpc DISCOVER and REQUEST decode to the captured fields', () => {
  const discover = decodeMessage(fixture('udhcpc-discover'));
  assert.ok(discover.ok);
  const d = discover.value;
  assert.equal(d.op, 1);
  assert.equal(d.xid, 1898916657);
  assert.equal(clientMac(d), '02:aa:bb:cc:dd:01');
  assert.equal(optionValue(d, 'messageType'), MessageType.DISCOVER);
  assert.equal(optionValue(d, 'maxMessageSize'), 576);
  assert.deepEqual(optionValue(d, 'parameterRequestList'), [1, 3, 6, 12, 15, 26, 28, 42, 119, 121]);
  assert.equal(optionValue(d, 'hostName'), 'guest1');
  assert.deepEqual(optionValue(d, 'clientIdentifier'), Uint8Array.from([1, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0x01]));
  assert.equal(Buffer.from(optionValue(d, 'vendorClassIdentifier')!).toString(), 'udhcp 1.35.0');

  const request = decodeMessage(fixture('udhcpc-request'));
  assert.ok(request.ok);
  assert.equal(optionValue(request.value, 'messageType'), MessageType.REQUEST);
  assert.equal(optionValue(request.value, 'requestedIpAddress'), '10.88.0.5');
  assert.equal(optionValue(request.value, 'serverIdentifier'), '169.254.75.10');
  assert.equal(request.value.ciaddr, '0.0.0.0');
});

test('dhclient DISCOVER and REQUEST decode to the captured fields', () => {
  const discover = decodeMessage(fixture('dhclient-discover'));
  assert.ok(discover.ok);
  assert.equal(discover.value.xid, 2753594640);
  assert.equal(clientMac(discover.value), '02:aa:bb:cc:dd:01');
  assert.equal(optionValue(discover.value, 'messageType'), MessageType.DISCOVER);
  assert.deepEqual(
    optionValue(discover.value, 'parameterRequestList'),
    [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42],
  );
  const request = decodeMessage(fixture('dhclient-request'));
  assert.ok(request.ok);
  assert.equal(optionValue(request.value, 'requestedIpAddress'), '10.88.0.5');
  assert.equal(optionValue(request.value, 'serverIdentifier'), '169.254.75.10');
});

test('the captured packets re-encode byte for byte', () => {
  for (const name of ['udhcpc-discover', 'udhcpc-request', 'dhclient-discover', 'dhclient-request']) {
    const original = fixture(name);
    const decoded = decodeMessage(original);
    assert.ok(decoded.ok);
    const encoded = encodeMessage(decoded.value, { maxPayloadBytes: original.length, allowOverload: false });
    assert.ok(encoded.ok);
    // Both clients end their options with END and zero-pad; the encoder does the same.
    assert.deepEqual(
      Buffer.from(encoded.value.bytes.subarray(0, original.length)).toString('hex'),
      Buffer.from(original).toString('hex'),
      name,
    );
  }
});

test('the captured DISCOVERs get an OFFER and the REQUESTs an ACK, broadcast, requested options first', () => {
  for (const client of ['udhcpc', 'dhclient']) {
    const discover = decodeMessage(fixture(`${client}-discover`));
    assert.ok(discover.ok);
    const offer = respond(discover.value, lease);
    assert.equal(offer.action, 'reply');
    assert.ok(offer.action === 'reply');
    assert.equal(offer.event, 'offer');
    assert.equal(offer.reply.yiaddr, '10.88.0.5');
    assert.equal(offer.reply.xid, discover.value.xid);
    assert.equal(offer.destination.kind, 'link-unicast');
    assert.deepEqual([...offer.reply.options.keys()].slice(0, 5), [53, 54, 51, 58, 59]);
    const request = decodeMessage(fixture(`${client}-request`));
    assert.ok(request.ok);
    const ack = respond(request.value, lease);
    assert.ok(ack.action === 'reply');
    assert.equal(ack.event, 'ack');
  }
});
