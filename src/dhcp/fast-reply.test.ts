// The fast path answers exactly as the general one (decode → respond → encode) would, byte for byte,
// over random requests and leases; it declines what it cannot answer that way; and it does answer
// the DISCOVERs and REQUESTs real clients send.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BOOTREQUEST, FLAG_BROADCAST, chaddrOf, decodeMessage, emptyMessage, encodeMessage, setOption, type Dhcp4Message } from './codec/message.js';
import { MessageType } from './codec/option-table.js';
import { compileLease, fastReply, type FastReply } from './fast-reply.js';
import { respond } from './responder.js';
import type { Dhcp4Lease } from './server-config.js';

const base: Dhcp4Lease = {
  clientMac: '02:aa:bb:cc:dd:01', bridge: 'br0', serverAddress: '169.254.75.10', address: '10.88.0.5', prefixLength: 16,
  routers: ['10.88.0.1'], classlessRoutes: [], dnsServers: ['10.96.0.10'], searchDomains: [], leaseSeconds: 86400, ntpServers: [], privateOptions: [],
};

const leases: Dhcp4Lease[] = [
  base,
  {
    ...base, hostname: 'vm-a', domainName: 'cluster.local', mtuBytes: 1450, searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    classlessRoutes: [{ destination: '10.96.0.0/12', gateway: '10.88.0.1' }], ntpServers: ['10.0.0.1', '10.0.0.2'], tftpServerName: '10.0.0.9', bootFileName: 'pxelinux.0',
    privateOptions: [{ code: 240, value: 'private' }, { code: 224, value: 'x'.repeat(200) }],
  },
  // Longer than 255 bytes (RFC 3396 split) and more than a 576-byte message holds.
  { ...base, leaseSeconds: 0xffffffff, searchDomains: Array.from({ length: 20 }, (_, i) => `namespace-${i}.example${i}.org`), tftpServerName: 'tftp.example.org' },
];

/** A small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRequest(rand: () => number, lease: Dhcp4Lease): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const m: Dhcp4Message = emptyMessage(rand() < 0.97 ? BOOTREQUEST : 2);
  m.xid = Math.floor(rand() * 2 ** 32);
  m.secs = pick([0, 3, 65535]);
  m.hops = pick([0, 0, 1]);
  m.flags = pick([0, FLAG_BROADCAST, 0x0001]);
  m.chaddr = chaddrOf(lease.clientMac);
  if (rand() < 0.03) m.hlen = 8;
  m.ciaddr = pick(['0.0.0.0', '0.0.0.0', lease.address, '10.88.0.77']);
  m.giaddr = pick(['0.0.0.0', '0.0.0.0', '0.0.0.0', '10.1.0.1']);
  const type = pick([MessageType.DISCOVER, MessageType.REQUEST, MessageType.REQUEST, MessageType.INFORM, MessageType.RELEASE, MessageType.DECLINE]);
  setOption(m, 'messageType', type);
  if (rand() < 0.5) setOption(m, 'serverIdentifier', pick([lease.serverAddress, lease.serverAddress, '10.0.0.254']));
  if (rand() < 0.6) setOption(m, 'requestedIpAddress', pick([lease.address, lease.address, '10.88.0.99']));
  if (rand() < 0.85) setOption(m, 'parameterRequestList', Array.from({ length: Math.floor(rand() * 14) }, () => pick([1, 3, 6, 12, 15, 26, 28, 42, 51, 54, 66, 67, 119, 121, 224, 240, 250, 3])));
  if (rand() < 0.6) m.options.set(57, Uint8Array.of(...pick([[2, 64], [5, 220], [1, 0], [0xff, 0xff], [2]])));
  if (rand() < 0.05) m.options.set(52, Uint8Array.of(1));
  const r = encodeMessage(m, { maxPayloadBytes: 1400 });
  assert.ok(r.ok);
  const bytes = r.value.bytes;
  // Now and then a repeated option (RFC 3396) or a damaged length.
  if (rand() < 0.04) {
    const end = bytes.lastIndexOf(255);
    const extra = Uint8Array.of(pick([53, 55, 57, 61]), 1, 1, 255);
    const out = new Uint8Array(end + extra.length);
    out.set(bytes.subarray(0, end));
    out.set(extra, end);
    return out;
  }
  if (rand() < 0.02) bytes[241] = 250;
  return bytes;
}

/** The general path's answer, shaped like the fast one's; undefined when it sends nothing. */
function general(packet: Uint8Array, lease: Dhcp4Lease): (FastReply & { dropped: number[] }) | undefined {
  const decoded = decodeMessage(packet);
  if (!decoded.ok) return undefined;
  const d = respond(decoded.value, lease);
  if (d.action !== 'reply' || (d.event !== 'offer' && d.event !== 'ack')) return undefined;
  const encoded = encodeMessage(d.reply, { maxPayloadBytes: d.maxPayloadBytes });
  assert.ok(encoded.ok);
  return { event: d.event, bytes: encoded.value.bytes, destination: d.destination, maxPayloadBytes: d.maxPayloadBytes, xid: decoded.value.xid, dropped: encoded.value.droppedOptions };
}

test('the fast path answers byte for byte as the general path, or declines', () => {
  const rand = prng(20261125);
  let answered = 0;
  const compiled = leases.map(compileLease);
  for (let i = 0; i < 30_000; i++) {
    const which = i % leases.length;
    const packet = randomRequest(rand, leases[which]!);
    const fast = fastReply(packet, compiled[which]!);
    if (fast === undefined) continue;
    answered++;
    const slow = general(packet, leases[which]!);
    assert.ok(slow !== undefined, `request ${i}: the fast path answered what the general path does not`);
    assert.deepEqual(slow.dropped, []);
    assert.equal(fast.event, slow.event, `request ${i}`);
    assert.deepEqual(fast.destination, slow.destination, `request ${i}`);
    assert.equal(fast.maxPayloadBytes, slow.maxPayloadBytes, `request ${i}`);
    assert.equal(fast.xid, slow.xid, `request ${i}`);
    assert.deepEqual(Buffer.from(fast.bytes).toString('hex'), Buffer.from(slow.bytes).toString('hex'), `request ${i}`);
  }
  // Random requests are mostly not a plain DISCOVER or REQUEST; still, thousands are.
  assert.ok(answered > 2_000, `only ${answered} answered on the fast path`);
});

test('declines what needs the general path: NAK, other server, relay, overflow, garbage', () => {
  const lease = leases[0]!;
  const c = compileLease(lease);
  const request = (fill: (m: Dhcp4Message) => void): Uint8Array => {
    const m = emptyMessage(BOOTREQUEST);
    m.chaddr = chaddrOf(lease.clientMac);
    setOption(m, 'messageType', MessageType.REQUEST);
    fill(m);
    const r = encodeMessage(m);
    assert.ok(r.ok);
    return r.value.bytes;
  };
  assert.ok(fastReply(request((m) => setOption(m, 'requestedIpAddress', lease.address)), c), 'INIT-REBOOT for the right address is answered');
  assert.equal(fastReply(request((m) => setOption(m, 'requestedIpAddress', '10.88.0.6')), c), undefined, 'NAK');
  assert.equal(fastReply(request((m) => setOption(m, 'serverIdentifier', '10.0.0.1')), c), undefined, 'another server');
  assert.equal(fastReply(request((m) => ((m.giaddr = '10.1.0.1'), setOption(m, 'requestedIpAddress', lease.address))), c), undefined, 'relay');
  assert.equal(fastReply(request(() => undefined), c), undefined, 'INIT-REBOOT without an address');
  assert.equal(fastReply(Uint8Array.of(1, 2, 3), c), undefined);
  const big = compileLease(leases[2]!);
  assert.equal(fastReply(request((m) => setOption(m, 'requestedIpAddress', lease.address)), big), undefined, 'options that do not fit');
});

test('the DISCOVERs and REQUESTs udhcpc and dhclient sent are answered on the fast path', () => {
  for (const client of ['udhcpc', 'dhclient']) {
    for (const kind of ['discover', 'request']) {
      const text = readFileSync(new URL(`../../test/dhcp/fixtures/${client}-${kind}.hex`, import.meta.url), 'utf8');
      const packet = Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
      const fast = fastReply(packet, compileLease(base));
      assert.ok(fast !== undefined, `${client} ${kind}`);
      const slow = general(packet, base);
      assert.equal(Buffer.from(fast.bytes).toString('hex'), Buffer.from(slow!.bytes).toString('hex'), `${client} ${kind}`);
    }
  }
});
