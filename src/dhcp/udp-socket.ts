// The DHCP server's UDP sockets (native/udp-pktinfo.c, see there for why they are native): each
// reports the interface every datagram arrived on (IP_PKTINFO) and sends through the interface it
// is told to. Opening is synchronous, so a caller can open a socket with its thread inside a pod's
// network namespace; the socket stays in that namespace.
import { VirtnetError } from '../errors/virtnet-error.js';
import { loadNativeAddon } from '../exec/native-addon.js';
import { parseIpv4 } from '../api/ipv4.js';

interface Addon {
  open(
    address: number,
    port: number,
    broadcast: boolean,
    buffer: Uint8Array,
    onPacket: (length: number, ifindex: number, source: number, port: number) => void,
  ): object;
  send(
    handle: object,
    bytes: Uint8Array,
    length: number,
    address: number,
    port: number,
    ifindex: number,
    source: number,
  ): number;
  port(handle: object): number;
  close(handle: object): void;
  ifindex(name: string): number;
}

/** Where a datagram came from, and the interface it arrived on. */
export interface DatagramOrigin {
  /** The source address as an unsigned 32-bit number (formatted only where it is shown). */
  address: number;
  port: number;
  /** The arrival interface's index. */
  ifindex: number;
}

/** A bound UDP socket. */
export interface UdpSocket {
  /**
   * Sends `bytes`, through interface `ifindex` when given (0: the routing table decides). Returns
   * undefined, or what went wrong: a send never throws.
   */
  send(bytes: Uint8Array, address: string, port: number, ifindex?: number): string | undefined;
  /** The bound port (useful after binding port 0). */
  port(): number;
  /** Stops receiving and releases the port; idempotent. */
  close(): void;
}

/** What to bind and whom to tell. */
export interface UdpSocketOptions {
  address: string;
  port: number;
  broadcast: boolean;
  /**
   * Called for each datagram, synchronously. `bytes` is a view on a buffer the socket reuses for
   * the next datagram: copy what must outlive the call.
   */
  onPacket: (bytes: Uint8Array, from: DatagramOrigin) => void;
}

/** The largest UDP payload; the receive buffer. */
const MAX_DATAGRAM = 65_535;

function addon(): Addon {
  return loadNativeAddon<Addon>('udp-pktinfo');
}

/** The index of interface `name` in the calling thread's network namespace; undefined without one. */
export function interfaceIndex(name: string): number | undefined {
  const index = addon().ifindex(name);
  return index > 0 ? index : undefined;
}

function bindFailed(options: UdpSocketOptions, message: string, errno: string | undefined): VirtnetError {
  return new VirtnetError(
    'DHCP_BIND_FAILED',
    `cannot bind UDP ${options.address}:${options.port}: ${message}`,
    { address: options.address, port: options.port, errno },
  );
}

/** Binds a socket in the calling thread's network namespace; throws DHCP_BIND_FAILED when it cannot. */
export function openUdpSocket(options: UdpSocketOptions): UdpSocket {
  const native = addon();
  const bindAddress = parseIpv4(options.address);
  if (bindAddress === undefined) throw bindFailed(options, 'not an IPv4 address', undefined);
  const buffer = new Uint8Array(MAX_DATAGRAM);
  const { onPacket } = options;
  let handle: object;
  try {
    handle = native.open(
      bindAddress,
      options.port,
      options.broadcast,
      buffer,
      (length, ifindex, source, port) => {
        onPacket(buffer.subarray(0, length), { address: source, port, ifindex });
      },
    );
  } catch (err) {
    const e = err as Error & { code?: string };
    throw bindFailed(options, e.message, e.code);
  }
  let closed = false;
  return {
    send(bytes, address, port, ifindex = 0) {
      if (closed) return 'the socket is closed';
      const to = parseIpv4(address);
      if (to === undefined) return `not an IPv4 address: ${address}`;
      const r = native.send(handle, bytes, bytes.length, to, port, ifindex, 0);
      return r < 0 ? `send to ${address}:${port} failed: errno ${-r}` : undefined;
    },
    port: () => native.port(handle),
    close() {
      if (!closed) native.close(handle);
      closed = true;
    },
  };
}
