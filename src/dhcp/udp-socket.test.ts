// The DHCP server's UDP sockets on loopback: datagrams arrive with their source and the arrival
// interface, sends go out (through a given interface too), an address the host lacks is
// DHCP_BIND_FAILED, a bad destination is reported and not thrown, close() frees the port.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { interfaceIndex, openUdpSocket, type DatagramOrigin } from './udp-socket.js';

function loopbackIndex(): number {
  return Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8'));
}

test('sockets report the arrival interface, send through a given one, and free their port', async () => {
  const received: { bytes: string; from: DatagramOrigin }[] = [];
  let arrived: () => void = () => undefined;
  const server = openUdpSocket({
    address: '127.0.0.1',
    port: 0,
    broadcast: false,
    onPacket(bytes, from) {
      received.push({ bytes: Buffer.from(bytes).toString(), from });
      arrived();
    },
  });
  const client = openUdpSocket({
    address: '127.0.0.1',
    port: 0,
    broadcast: false,
    onPacket: () => undefined,
  });
  try {
    let got = new Promise<void>((resolve) => (arrived = resolve));
    assert.equal(client.send(new TextEncoder().encode('hello'), '127.0.0.1', server.port()), undefined);
    await got;
    assert.equal(received[0]!.bytes, 'hello');
    assert.equal(received[0]!.from.address, 0x7f000001, '127.0.0.1');
    assert.equal(received[0]!.from.port, client.port());
    assert.equal(received[0]!.from.ifindex, loopbackIndex());
    got = new Promise<void>((resolve) => (arrived = resolve));
    assert.equal(
      client.send(new TextEncoder().encode('via lo'), '127.0.0.1', server.port(), loopbackIndex()),
      undefined,
    );
    await got;
    assert.equal(received[1]!.bytes, 'via lo');
    assert.match(client.send(Uint8Array.of(1), 'not-an-address', 9) ?? '', /not an IPv4 address/);
    // An address no interface has (TEST-NET-1): the bind fails, typed.
    assert.throws(
      () => openUdpSocket({ address: '192.0.2.1', port: 0, broadcast: false, onPacket: () => undefined }),
      (err) => isVirtnetError(err, 'DHCP_BIND_FAILED') && err.detail.address === '192.0.2.1',
    );
  } finally {
    client.close();
    client.close();
  }
  const port = server.port();
  server.close();
  assert.match(server.send(Uint8Array.of(1), '127.0.0.1', 9) ?? '', /closed/);
  // The port is free again.
  const again = openUdpSocket({ address: '127.0.0.1', port, broadcast: false, onPacket: () => undefined });
  again.close();
});

test('interface indexes in this namespace', () => {
  assert.equal(interfaceIndex('lo'), loopbackIndex());
  assert.equal(interfaceIndex('no-such-if0'), undefined);
  assert.equal(interfaceIndex('a-name-far-too-long-for-linux'), undefined);
});
