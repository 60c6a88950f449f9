// The in-process Dhcp4Server on loopback (its own ports, the "bridge" is lo): replies are produced,
// unknown MACs and garbage are counted and dropped, a RENEWING client is answered by unicast through
// its bridge, and stop() releases the ports.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import {
  BOOTREQUEST,
  chaddrOf,
  decodeMessage,
  emptyMessage,
  encodeMessage,
  optionValue,
  setOption,
} from './codec/message.js';
import { MessageType } from './codec/option-table.js';
import { Dhcp4Server } from './server.js';
import type { Dhcp4Lease } from './server-config.js';

const MAC = '02:5e:00:00:00:42';
const lease: Dhcp4Lease = {
  clientMac: MAC,
  bridge: 'lo',
  serverAddress: '127.0.0.1',
  address: '127.0.0.1',
  prefixLength: 8,
  routers: [],
  classlessRoutes: [],
  dnsServers: ['10.96.0.10'],
  searchDomains: [],
  hostname: 'inproc',
  leaseSeconds: 600,
  ntpServers: [],
  privateOptions: [],
};

function packet(
  type: number,
  mac = MAC,
  fill: (m: ReturnType<typeof emptyMessage>) => void = () => undefined,
): Uint8Array {
  const m = emptyMessage(BOOTREQUEST);
  m.xid = 7;
  m.chaddr = chaddrOf(mac);
  setOption(m, 'messageType', type);
  fill(m);
  const r = encodeMessage(m);
  assert.ok(r.ok);
  return r.value.bytes;
}

async function client(port: number): Promise<Socket> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  s.bind(port, '0.0.0.0');
  await once(s, 'listening');
  return s;
}

test(
  'in-process server answers on loopback, counts what it drops, stops cleanly',
  { timeout: 20_000 },
  async () => {
    const serverPort = 20_000 + Math.floor(Math.random() * 20_000);
    const clientPort = serverPort + 1;
    const server = new Dhcp4Server(
      { leases: [lease] },
      { serverPort, clientPort, broadcastAddress: '127.255.255.255' },
    );
    server.start();
    const sock = await client(clientPort);
    try {
      const received = (async () => {
        const [msg] = (await once(sock, 'message')) as [Buffer];
        return msg;
      })();
      sock.send(packet(MessageType.DISCOVER), serverPort, '127.0.0.1');
      const offer = decodeMessage(await received);
      assert.ok(offer.ok);
      assert.equal(optionValue(offer.value, 'messageType'), MessageType.OFFER);
      assert.equal(optionValue(offer.value, 'hostName'), 'inproc');

      // RENEWING: ciaddr set, answered by unicast through its bridge ("lo").
      const ack = (async () => (await once(sock, 'message')) as [Buffer, { address: string }])();
      sock.send(
        packet(MessageType.REQUEST, MAC, (m) => (m.ciaddr = '127.0.0.1')),
        serverPort,
        '127.0.0.1',
      );
      const [ackBytes, ackFrom] = await ack;
      assert.equal(ackFrom.address, '127.0.0.1');
      const decodedAck = decodeMessage(ackBytes);
      assert.ok(decodedAck.ok);
      assert.equal(optionValue(decodedAck.value, 'messageType'), MessageType.ACK);

      sock.send(packet(MessageType.DISCOVER, '02:5e:00:00:00:99'), serverPort, '127.0.0.1');
      sock.send(Buffer.from('not dhcp'), serverPort, '127.0.0.1');
      const deadline = Date.now() + 5_000;
      while ((server.stats().unknownClient < 1 || server.stats().malformed < 1) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      const stats = server.stats();
      assert.equal(stats.offers, 1);
      assert.equal(stats.acks, 1);
      assert.equal(stats.unknownClient, 1);
      assert.equal(stats.malformed, 1);
      assert.equal(stats.malformedByCode.TRUNCATED, 1);
    } finally {
      sock.close();
      server.stop();
    }
    // The ports are free again.
    const again = new Dhcp4Server({ leases: [lease] }, { serverPort, clientPort });
    again.start();
    again.stop();
  },
);
