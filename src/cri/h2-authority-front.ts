// A unix-socket front for a gRPC server that older kubelets call. Their grpc-go (Kubernetes < 1.26,
// kubernetes/kubernetes#112597) dials a plugin's socket by its path and sends that path as HTTP/2's
// :authority; Node's HTTP/2 (nghttp2) refuses an authority with a '/' and resets the stream
// (PROTOCOL_ERROR), so no Node gRPC server could answer them. The front passes every byte through
// except the client's header blocks, which it decodes (HPACK keeps a table per direction, so every
// block is decoded in order), gives a valid :authority (`localhost`, as newer clients send) and
// encodes again for the server. What the server sends goes back untouched.
import { createRequire } from 'node:module';
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Header {
  name: string;
  value: string;
  neverIndex?: boolean;
}
interface Decompressor {
  write(b: Buffer): void;
  execute(): void;
  read(): Header | null;
}
interface Compressor {
  write(h: Header[]): void;
  read(): Buffer | null;
}
const hpack = createRequire(import.meta.url)('hpack.js') as {
  decompressor: { create(o: { table: { size: number } }): Decompressor };
  compressor: { create(o: { table: { size: number } }): Compressor };
};

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** HTTP/2's default SETTINGS_HEADER_TABLE_SIZE and SETTINGS_MAX_FRAME_SIZE. */
const TABLE_SIZE = 4096;
const MAX_FRAME = 16_384;

/** An authority Node's HTTP/2 takes: RFC 3986 reg-name/IP characters and a port. */
export function validAuthority(value: string): boolean {
  return /^[A-Za-z0-9\-._~!$&'()*+,;=:@%[\]]*$/.test(value) && value !== '';
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/**
 * Rewrites the client-to-server half of one HTTP/2 connection: returns what to forward for each
 * chunk read from the client.
 */
export class ClientHeaderRewriter {
  private buf: Buffer = Buffer.alloc(0);
  private prefaceLeft = PREFACE.length;
  private readonly decoder = hpack.decompressor.create({ table: { size: TABLE_SIZE } });
  private readonly encoder = hpack.compressor.create({ table: { size: TABLE_SIZE } });
  /** A header block waiting for its CONTINUATION frames. */
  private pending: { stream: number; flags: number; block: Buffer[] } | undefined;

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, this.buf.length);
      out.push(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
      this.prefaceLeft -= n;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const type = this.buf[3]!;
      const flags = this.buf[4]!;
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      const whole = this.buf.subarray(0, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      if (type === HEADERS) {
        let p = payload;
        let pad = 0;
        if (flags & PADDED) {
          pad = p[0]!;
          p = p.subarray(1);
        }
        // The priority fields are dropped: advisory, and a server may ignore them.
        if (flags & PRIORITY) p = p.subarray(5);
        this.pending = { stream, flags, block: [p.subarray(0, p.length - pad)] };
        if (flags & END_HEADERS) out.push(this.finishBlock());
      } else if (type === CONTINUATION && this.pending) {
        this.pending.block.push(payload);
        if (flags & END_HEADERS) out.push(this.finishBlock());
      } else {
        out.push(whole);
      }
    }
    return Buffer.concat(out);
  }

  private finishBlock(): Buffer {
    const { stream, flags, block } = this.pending!;
    this.pending = undefined;
    this.decoder.write(Buffer.concat(block));
    this.decoder.execute();
    const headers: Header[] = [];
    for (let h = this.decoder.read(); h; h = this.decoder.read())
      headers.push(
        h.name === ':authority' && !validAuthority(h.value)
          ? { name: h.name, value: 'localhost' }
          : { name: h.name, value: h.value, ...(h.neverIndex ? { neverIndex: true } : {}) },
      );
    this.encoder.write(headers);
    const encoded: Buffer[] = [];
    for (let b = this.encoder.read(); b; b = this.encoder.read()) encoded.push(b);
    const all = Buffer.concat(encoded);
    const frames: Buffer[] = [];
    for (let off = 0; off < all.length || off === 0; off += MAX_FRAME) {
      const part = all.subarray(off, off + MAX_FRAME);
      const last = off + MAX_FRAME >= all.length;
      frames.push(
        off === 0
          ? frame(HEADERS, (flags & END_STREAM) | (last ? END_HEADERS : 0), stream, part)
          : frame(CONTINUATION, last ? END_HEADERS : 0, stream, part),
      );
      if (last) break;
    }
    return Buffer.concat(frames);
  }
}

/** Listens on `path` and relays each connection to the server at `target`, rewriting bad authorities. */
export function authorityFront(path: string, target: string): Promise<Server> {
  const server = createServer((client: Socket) => {
    const upstream = connect(target);
    const rewriter = new ClientHeaderRewriter();
    client.on('data', (chunk: Buffer) => {
      try {
        const out = rewriter.push(chunk);
        if (out.length) upstream.write(out);
      } catch {
        client.destroy();
        upstream.destroy();
      }
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
