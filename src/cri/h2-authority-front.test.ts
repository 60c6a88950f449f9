// The front against real peers: Node's HTTP/2 client sends the socket path as :authority (as older
// kubelets' grpc-go does) to a real grpc-js server, directly and through the front.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { authorityFront, validAuthority } from './h2-authority-front.js';

/** A gRPC unary call made by hand, with the :authority given; resolves with the grpc-status or the reset. */
function call(socket: string, authority: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const session = http2.connect('http://localhost', { createConnection: () => connect(socket) });
    const req = session.request({
      ':method': 'POST',
      ':path': '/test.Echo/Say',
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = '';
    const chunks: Buffer[] = [];
    req.on('trailers', (t) => (status = String(t['grpc-status'])));
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('close', () => {
      session.close();
      resolve(
        req.rstCode
          ? `reset ${req.rstCode}`
          : `status ${status} ${Buffer.concat(chunks).subarray(5).toString()}`,
      );
    });
    const framed = Buffer.alloc(5 + body.length);
    framed.writeUInt32BE(body.length, 1);
    body.copy(framed, 5);
    req.end(framed);
  });
}

test('validAuthority: host names, addresses and ports; not a path', () => {
  for (const ok of ['localhost', 'localhost:80', '10.0.0.1:443', '[fd00::1]:8443'])
    assert.ok(validAuthority(ok), ok);
  for (const bad of ['/var/lib/kubelet/device-plugins/x.sock', '', 'a b'])
    assert.ok(!validAuthority(bad), bad);
});

test('a path as :authority: refused by the grpc-js server, answered through the front, many calls on one table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vn-h2front-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inner = join(dir, 'inner.sock');
  const outer = join(dir, 'outer.sock');
  const server = new grpc.Server();
  server.addService(
    {
      Say: {
        path: '/test.Echo/Say',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    { Say: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, c.request) },
  );
  await new Promise<void>((res, rej) =>
    server.bindAsync(`unix://${inner}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())),
  );
  t.after(() => server.forceShutdown());
  const front = await authorityFront(outer, inner);
  t.after(() => front.close());

  assert.match(
    await call(inner, outer, Buffer.from('x')),
    /^reset 1$/,
    'nghttp2 resets the stream: PROTOCOL_ERROR',
  );
  assert.equal(await call(outer, outer, Buffer.from('hello')), 'status 0 hello');
  assert.equal(await call(outer, 'localhost', Buffer.from('plain')), 'status 0 plain');
  // Several requests on one connection: the HPACK tables of both halves stay in step.
  const session = http2.connect('http://localhost', { createConnection: () => connect(outer) });
  t.after(() => session.close());
  for (let i = 0; i < 5; i++) {
    const answer = await new Promise<string>((resolve) => {
      const req = session.request({
        ':method': 'POST',
        ':path': '/test.Echo/Say',
        ':authority': outer,
        'content-type': 'application/grpc',
        te: 'trailers',
        'x-call': String(i),
      });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('close', () => resolve(Buffer.concat(chunks).subarray(5).toString()));
      const body = Buffer.from(`call ${i}`);
      const framed = Buffer.alloc(5 + body.length);
      framed.writeUInt32BE(body.length, 1);
      body.copy(framed, 5);
      req.end(framed);
    });
    assert.equal(answer, `call ${i}`);
  }
});
