// RFC 2131 §4.3 decisions: each client state gets ACK or NAK, other servers' traffic is ignored,
// INFORM carries no lease, replies go where §4.1 says, and the parameter request list and the
// client's maximum message size shape the reply.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BOOTREQUEST,
  FLAG_BROADCAST,
  chaddrOf,
  emptyMessage,
  encodeMessage,
  optionValue,
  setOption,
  type Dhcp4Message,
} from './codec/message.js';
import { MessageType } from './codec/option-table.js';
import { respond, type Decision } from './responder.js';
import type { Dhcp4Lease } from './server-config.js';

const lease: Dhcp4Lease = {
  clientMac: '02:00:00:00:00:01',
  bridge: 'br0',
  serverAddress: '169.254.75.10',
  address: '10.88.0.5',
  prefixLength: 16,
  routers: ['10.88.0.1'],
  classlessRoutes: [{ destination: '10.96.0.0/12', gateway: '10.88.0.1' }],
  dnsServers: ['10.96.0.10'],
  searchDomains: ['cluster.local'],
  domainName: 'cluster.local',
  hostname: 'vm1',
  mtuBytes: 1450,
  leaseSeconds: 3600,
  ntpServers: ['10.88.0.1'],
  privateOptions: [{ code: 240, value: 'hello' }],
};

function request(type: number, fill: (m: Dhcp4Message) => void = () => undefined): Dhcp4Message {
  const m = emptyMessage(BOOTREQUEST);
  m.xid = 42;
  m.chaddr = chaddrOf(lease.clientMac);
  setOption(m, 'messageType', type);
  fill(m);
  return m;
}

function reply(d: Decision): Extract<Decision, { action: 'reply' }> {
  assert.equal(d.action, 'reply');
  return d;
}

test('DISCOVER gets an OFFER with the lease, timers and every configured option', () => {
  const d = reply(respond(request(MessageType.DISCOVER), lease));
  assert.equal(d.event, 'offer');
  assert.equal(d.reply.yiaddr, '10.88.0.5');
  assert.equal(optionValue(d.reply, 'messageType'), MessageType.OFFER);
  assert.equal(optionValue(d.reply, 'serverIdentifier'), '169.254.75.10');
  assert.equal(optionValue(d.reply, 'leaseTimeSeconds'), 3600);
  assert.equal(optionValue(d.reply, 'renewalTimeSeconds'), 1800);
  assert.equal(optionValue(d.reply, 'rebindingTimeSeconds'), 3150);
  assert.equal(optionValue(d.reply, 'subnetMask'), '255.255.0.0');
  assert.equal(optionValue(d.reply, 'broadcastAddress'), '10.88.255.255');
  assert.deepEqual(optionValue(d.reply, 'classlessStaticRoutes'), [
    { destination: '10.96.0.0/12', gateway: '10.88.0.1' },
    { destination: '0.0.0.0/0', gateway: '10.88.0.1' },
  ]);
  assert.equal(optionValue(d.reply, 'interfaceMtu'), 1450);
  assert.equal(Buffer.from(d.reply.options.get(240)!).toString(), 'hello');
});

test('REQUEST: SELECTING, INIT-REBOOT, RENEWING and REBINDING get ACK or NAK', () => {
  const selecting = (addr: string, server = lease.serverAddress) =>
    respond(
      request(MessageType.REQUEST, (m) => {
        setOption(m, 'serverIdentifier', server);
        setOption(m, 'requestedIpAddress', addr);
      }),
      lease,
    );
  assert.equal(reply(selecting('10.88.0.5')).event, 'ack');
  assert.equal(reply(selecting('10.88.0.6')).event, 'nak');
  assert.deepEqual(selecting('10.88.0.5', '192.0.2.1'), { action: 'ignore', reason: 'other-server' });

  const initReboot = (addr: string) =>
    respond(
      request(MessageType.REQUEST, (m) => setOption(m, 'requestedIpAddress', addr)),
      lease,
    );
  assert.equal(reply(initReboot('10.88.0.5')).event, 'ack');
  const nak = reply(initReboot('192.168.1.7'));
  assert.equal(nak.event, 'nak');
  assert.equal(nak.reply.yiaddr, '0.0.0.0');
  assert.equal(optionValue(nak.reply, 'leaseTimeSeconds'), undefined);
  assert.deepEqual(nak.destination, { kind: 'broadcast' });

  const renewing = (ciaddr: string) =>
    respond(
      request(MessageType.REQUEST, (m) => (m.ciaddr = ciaddr)),
      lease,
    );
  const ack = reply(renewing('10.88.0.5'));
  assert.equal(ack.event, 'ack');
  assert.deepEqual(ack.destination, { kind: 'unicast', address: '10.88.0.5', port: 68 });
  assert.equal(reply(renewing('10.88.0.9')).event, 'nak');
});

test('DECLINE and RELEASE are recorded, INFORM gets configuration without a lease', () => {
  assert.equal(
    respond(
      request(MessageType.DECLINE, (m) => setOption(m, 'serverIdentifier', lease.serverAddress)),
      lease,
    ).action,
    'record',
  );
  assert.equal(
    respond(
      request(MessageType.RELEASE, (m) => (m.ciaddr = '10.88.0.5')),
      lease,
    ).action,
    'record',
  );
  const inform = reply(
    respond(
      request(MessageType.INFORM, (m) => (m.ciaddr = '10.88.0.5')),
      lease,
    ),
  );
  assert.equal(inform.event, 'inform');
  assert.equal(inform.reply.yiaddr, '0.0.0.0');
  assert.equal(inform.reply.ciaddr, '10.88.0.5');
  assert.equal(optionValue(inform.reply, 'leaseTimeSeconds'), undefined);
  assert.deepEqual(optionValue(inform.reply, 'domainNameServers'), ['10.96.0.10']);
  assert.deepEqual(respond(request(MessageType.OFFER), lease), {
    action: 'ignore',
    reason: 'server-message',
  });
  const bootp = request(MessageType.DISCOVER);
  bootp.options.clear();
  assert.deepEqual(respond(bootp, lease), { action: 'ignore', reason: 'bootp' });
});

test('broadcast bit and relays choose the destination (RFC 2131 §4.1)', () => {
  assert.deepEqual(
    reply(
      respond(
        request(MessageType.DISCOVER, (m) => (m.flags = FLAG_BROADCAST)),
        lease,
      ),
    ).destination,
    { kind: 'broadcast' },
  );
  assert.deepEqual(reply(respond(request(MessageType.DISCOVER), lease)).destination, {
    kind: 'link-unicast',
    address: '10.88.0.5',
  });
  assert.deepEqual(
    reply(
      respond(
        request(MessageType.DISCOVER, (m) => (m.giaddr = '10.0.0.1')),
        lease,
      ),
    ).destination,
    { kind: 'unicast', address: '10.0.0.1', port: 67 },
  );
});

test('requested options come first in request order; the maximum message size trims the rest', () => {
  const d = reply(
    respond(
      request(MessageType.DISCOVER, (m) => setOption(m, 'parameterRequestList', [121, 6, 3, 1])),
      lease,
    ),
  );
  assert.deepEqual([...d.reply.options.keys()].slice(0, 9), [53, 54, 51, 58, 59, 121, 6, 3, 1]);
  const big: Dhcp4Lease = {
    ...lease,
    privateOptions: Array.from({ length: 8 }, (_, i) => ({ code: 224 + i, value: 'x'.repeat(200) })),
  };
  const small = reply(
    respond(
      request(MessageType.DISCOVER, (m) => setOption(m, 'maxMessageSize', 576)),
      big,
    ),
  );
  assert.equal(small.maxPayloadBytes, 548);
  const enc = encodeMessage(small.reply, { maxPayloadBytes: small.maxPayloadBytes });
  assert.ok(enc.ok);
  assert.ok(enc.value.bytes.length <= 548);
  assert.ok(enc.value.droppedOptions.length > 0 && enc.value.droppedOptions.every((c) => c >= 224));
  const large = reply(
    respond(
      request(MessageType.DISCOVER, (m) => setOption(m, 'maxMessageSize', 1500)),
      big,
    ),
  );
  const encLarge = encodeMessage(large.reply, { maxPayloadBytes: large.maxPayloadBytes });
  assert.ok(encLarge.ok);
  assert.ok(encLarge.value.bytes.length > 548 && encLarge.value.bytes.length <= 1472);
});
