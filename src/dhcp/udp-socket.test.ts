// The DHCP server's UDP sockets on loopback, native (IP_PKTINFO) and Node's dgram alike: datagrams
// arrive with their source (and, natively, the arrival interface), sends go out, an address the
// host lacks is DHCP_BIND_FAILED, a bad destination is reported and not thrown, close() frees the port.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { interfaceIndex, nativeUdpAvailable, openUdpSocket, type DatagramOrigin } from './udp-socket.js';

function loopbackIndex(): number {
  return Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8'));
}

async function exercise(native: boolean): Promise<void> {
  const received: { bytes: string; from: DatagramOrigin }[] = [];
  const errors: string[] = [];
  let arrived: () => void = () => undefined;
  const server = await openUdpSocket({
    address: '127.0.0.1', port: 0, broadcast: false, onSendError: (m) => errors.push(m),
    onPacket(bytes, from) {
      received.push({ bytes: Buffer.from(bytes).toString(), from });
      arrived();
    },
  });
  const client = await openUdpSocket({ address: '127.0.0.1', port: 0, broadcast: false, onPacket: () => undefined, onSendError: (m) => errors.push(m) });
  try {
    assert.equal(server.knowsArrival, native);
    const got = new Promise<void>((resolve) => (arrived = resolve));
    client.send(new TextEncoder().encode('hello'), '127.0.0.1', server.port());
    await got;
    assert.equal(received[0]!.bytes, 'hello');
    assert.equal(received[0]!.from.address, 0x7f000001, '127.0.0.1');
    assert.equal(received[0]!.from.port, client.port());
    assert.equal(received[0]!.from.ifindex, native ? loopbackIndex() : undefined);
    client.send(Uint8Array.of(1), 'not-an-address', 9);
    assert.equal(errors.length, native ? 1 : 0, 'native sends check the address at once');
    // An address no interface has (TEST-NET-1): the bind fails, typed.
    await assert.rejects(
      openUdpSocket({ address: '192.0.2.1', port: 0, broadcast: false, onPacket: () => undefined, onSendError: () => undefined }),
      (err) => isVirtnetError(err, 'DHCP_BIND_FAILED') && err.detail.address === '192.0.2.1',
    );
  } finally {
    await client.close();
    await client.close();
  }
  const port = server.port();
  await server.close();
  // The port is free again.
  const again = await openUdpSocket({ address: '127.0.0.1', port, broadcast: false, onPacket: () => undefined, onSendError: () => undefined });
  await again.close();
}

test('native sockets report the arrival interface', { skip: nativeUdpAvailable() ? false : 'native/udp-pktinfo.c is not built (no compiler or uv.h)' }, async () => {
  await exercise(true);
  assert.equal(interfaceIndex('lo'), loopbackIndex());
  assert.equal(interfaceIndex('no-such-if0'), undefined);
  assert.equal(interfaceIndex('a-name-far-too-long-for-linux'), undefined);
});

test('dgram sockets (VIRTNET_NO_NATIVE=1) do the same without arrival interfaces', async () => {
  const saved = process.env.VIRTNET_NO_NATIVE;
  process.env.VIRTNET_NO_NATIVE = '1';
  try {
    await exercise(false);
    assert.equal(interfaceIndex('lo'), undefined);
  } finally {
    if (saved === undefined) delete process.env.VIRTNET_NO_NATIVE;
    else process.env.VIRTNET_NO_NATIVE = saved;
  }
});
