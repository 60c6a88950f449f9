// The DHCP server's UDP sockets. With the native addon (native/udp-pktinfo.c, see there for why)
// a socket reports the interface each datagram arrived on and sends with one synchronous sendmsg;
// without it (no compiler at build time, or VIRTNET_NO_NATIVE=1) Node's dgram does the same job,
// except that the arrival interface is unknown (the server then asks the bridges' FDBs).
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { VirtnetError } from '../errors/virtnet-error.js';
import { loadNativeAddon } from '../exec/native-addon.js';
import { parseIpv4 } from './codec/ipv4.js';

interface Addon {
  open(address: number, port: number, broadcast: boolean, buffer: Uint8Array, onPacket: (length: number, ifindex: number, source: number, port: number) => void): object;
  send(handle: object, bytes: Uint8Array, length: number, address: number, port: number, ifindex: number, source: number): number;
  port(handle: object): number;
  close(handle: object): void;
  ifindex(name: string): number;
}

/** Where a datagram came from, and the interface it arrived on when the socket can tell. */
export interface DatagramOrigin {
  /** The source address as an unsigned 32-bit number (formatted only where it is shown). */
  address: number;
  port: number;
  /** The arrival interface's index; undefined when the socket cannot tell (dgram). */
  ifindex: number | undefined;
}

/** A bound UDP socket. */
export interface UdpSocket {
  /** True when arrival interfaces are reported (the native socket). */
  readonly knowsArrival: boolean;
  /** Sends `bytes`; a failure is reported to `onSendError`, never thrown. */
  send(bytes: Uint8Array, address: string, port: number): void;
  /** The bound port (useful after binding port 0). */
  port(): number;
  /** Stops receiving and releases the port; idempotent. */
  close(): Promise<void>;
}

/** What to bind and whom to tell. */
export interface UdpSocketOptions {
  address: string;
  port: number;
  broadcast: boolean;
  /**
   * Called for each datagram, synchronously. `bytes` may be a view on a buffer the socket reuses
   * for the next datagram: copy what must outlive the call.
   */
  onPacket: (bytes: Uint8Array, from: DatagramOrigin) => void;
  onSendError: (message: string) => void;
}

/** The largest UDP payload; the native socket's receive buffer. */
const MAX_DATAGRAM = 65_535;

const loadAddon = (): Addon | null => loadNativeAddon<Addon>('udp-pktinfo');

/** True when sockets will report arrival interfaces. */
export function nativeUdpAvailable(): boolean {
  return loadAddon() !== null;
}

/** The index of interface `name` in this network namespace; undefined without one (or without the addon). */
export function interfaceIndex(name: string): number | undefined {
  const index = loadAddon()?.ifindex(name) ?? 0;
  return index > 0 ? index : undefined;
}

/** Binds a socket; throws DHCP_BIND_FAILED when the address or port cannot be bound. */
export async function openUdpSocket(options: UdpSocketOptions): Promise<UdpSocket> {
  const addon = loadAddon();
  return addon === null ? openDgramSocket(options) : openNativeSocket(addon, options);
}

function bindFailed(options: UdpSocketOptions, message: string, errno: string | undefined): VirtnetError {
  return new VirtnetError('DHCP_BIND_FAILED', `cannot bind UDP ${options.address}:${options.port}: ${message}`, { address: options.address, port: options.port, errno });
}

function openNativeSocket(addon: Addon, options: UdpSocketOptions): UdpSocket {
  const bindAddress = parseIpv4(options.address);
  if (bindAddress === undefined) throw bindFailed(options, 'not an IPv4 address', undefined);
  const buffer = new Uint8Array(MAX_DATAGRAM);
  const { onPacket, onSendError } = options;
  let handle: object;
  try {
    handle = addon.open(bindAddress, options.port, options.broadcast, buffer, (length, ifindex, source, port) => {
      // A plain Uint8Array view: the same hidden class as the requests the server primes with.
      onPacket(new Uint8Array(buffer.buffer, 0, length), { address: source, port, ifindex });
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    throw bindFailed(options, e.message, e.code);
  }
  let closed = false;
  return {
    knowsArrival: true,
    send(bytes, address, port) {
      if (closed) return;
      const to = parseIpv4(address);
      if (to === undefined) {
        onSendError(`not an IPv4 address: ${address}`);
        return;
      }
      const r = addon.send(handle, bytes, bytes.length, to, port, 0, 0);
      if (r < 0) onSendError(`send to ${address}:${port} failed: errno ${-r}`);
    },
    port: () => addon.port(handle),
    close() {
      if (!closed) addon.close(handle);
      closed = true;
      return Promise.resolve();
    },
  };
}

async function openDgramSocket(options: UdpSocketOptions): Promise<UdpSocket> {
  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  const failed = once(socket, 'error');
  socket.bind({ address: options.address, port: options.port, exclusive: true });
  const result = await Promise.race([once(socket, 'listening').then(() => undefined), failed.then(([e]) => e as NodeJS.ErrnoException)]);
  if (result !== undefined) {
    socket.close();
    throw bindFailed(options, result.message, result.code);
  }
  if (options.broadcast) socket.setBroadcast(true);
  // Errors on a bound socket come from sends (receiving a datagram does not fail).
  socket.on('error', (e) => options.onSendError(e.message));
  socket.on('message', (packet, from) => {
    // A plain view (no copy): dgram's Buffers carry another hidden class than any JavaScript can
    // make, so code optimised on priming input would deoptimise on the first real packet.
    options.onPacket(new Uint8Array(packet.buffer, packet.byteOffset, packet.byteLength), { address: parseIpv4(from.address) ?? 0, port: from.port, ifindex: undefined });
  });
  let closed: Promise<void> | undefined;
  return {
    knowsArrival: false,
    send: (bytes, address, port) => socket.send(bytes, port, address),
    port: () => socket.address().port,
    close() {
      closed ??= new Promise<void>((resolve) => socket.close(() => resolve()));
      return closed;
    },
  };
}
