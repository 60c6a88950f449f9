// virtnet's DHCPv4 server: decode → decide (responder.ts) → encode, one path for every request.
// It serves exactly the configured client MACs, each only on its own bridge, and runs inside the
// VM's own virtnet process; nothing runs between requests (no timer, no polling).
// Sockets (udp-socket.ts), opened inside the pod's network namespace: one on 0.0.0.0:67 receives
// broadcasts from every bridge; per bridge, one bound to the bridge's own (server identifier)
// address receives unicasts to it and sends that bridge's replies. The kernel names the interface
// each request arrived on (IP_PKTINFO), and every reply leaves through the lease's bridge, so a
// client is answered on its own bridge only. Malformed packets are counted and dropped; nothing a
// client sends can throw out of the receive path.
import { clientMac, decodeMessage, encodeMessage } from './codec/message.js';
import type { CodecFailureCode } from './codec/result.js';
import { respond, type ReplyDestination } from './responder.js';
import type { Dhcp4Lease, Dhcp4ServerConfig } from './server-config.js';
import { interfaceIndex, openUdpSocket, type DatagramOrigin, type UdpSocket } from './udp-socket.js';

/** One structured log record. */
export interface Dhcp4LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  [key: string]: unknown;
}

/** Counters, for tests, benches and the log. */
export interface Dhcp4ServerStats {
  received: number;
  malformed: number;
  malformedByCode: Partial<Record<CodecFailureCode, number>>;
  unknownClient: number;
  wrongBridge: number;
  ignored: number;
  offers: number;
  acks: number;
  naks: number;
  informs: number;
  declines: number;
  releases: number;
  sendErrors: number;
  droppedOptions: number;
}

type CounterName = {
  [K in keyof Dhcp4ServerStats]: Dhcp4ServerStats[K] extends number ? K : never;
}[keyof Dhcp4ServerStats];

/** Construction options; ports are injectable for tests. */
export interface Dhcp4ServerOptions {
  serverPort?: number;
  clientPort?: number;
  log?: (record: Dhcp4LogRecord) => void;
  /** Destination of broadcast replies (default 255.255.255.255; loopback tests use 127.255.255.255). */
  broadcastAddress?: string;
  /**
   * Runs `fn` (synchronous) with the thread inside the pod's network namespace: sockets opened there
   * stay there, and interface indexes are the pod's. Default: the caller's own namespace.
   */
  inNamespace?: <T>(fn: () => T) => T;
}

interface Endpoint {
  bridge: string;
  address: string;
  socket: UdpSocket;
}

/** Looking bridges up again for a request from an unknown interface: at most this often. */
const REINDEX_MIN_MS = 1_000;

function emptyStats(): Dhcp4ServerStats {
  return {
    received: 0,
    malformed: 0,
    malformedByCode: {},
    unknownClient: 0,
    wrongBridge: 0,
    ignored: 0,
    offers: 0,
    acks: 0,
    naks: 0,
    informs: 0,
    declines: 0,
    releases: 0,
    sendErrors: 0,
    droppedOptions: 0,
  };
}

/** A DHCPv4 server for one pod's VM NICs. */
export class Dhcp4Server {
  private leases = new Map<string, Dhcp4Lease>();
  private endpoints = new Map<string, Endpoint>();
  private wildcard: UdpSocket | undefined;
  /** Interface index → configured bridge name, and back, in the pod's namespace. */
  private bridgeByIndex = new Map<number, string>();
  private indexByBridge = new Map<string, number>();
  private indexedAtMs = 0;
  private counters = emptyStats();
  private readonly serverPort: number;
  private readonly clientPort: number;
  private readonly log: (record: Dhcp4LogRecord) => void;
  private readonly broadcastAddress: string;
  private readonly inNamespace: <T>(fn: () => T) => T;

  constructor(
    private config: Dhcp4ServerConfig,
    options: Dhcp4ServerOptions = {},
  ) {
    this.serverPort = options.serverPort ?? 67;
    this.clientPort = options.clientPort ?? 68;
    this.log = options.log ?? (() => undefined);
    this.broadcastAddress = options.broadcastAddress ?? '255.255.255.255';
    this.inNamespace = options.inNamespace ?? ((fn) => fn());
  }

  /** Binds every socket; throws DHCP_BIND_FAILED (and leaves nothing bound) if one fails. */
  start(): void {
    if (this.wildcard !== undefined) return;
    this.wildcard = this.inNamespace(() =>
      openUdpSocket({
        address: '0.0.0.0',
        port: this.serverPort,
        broadcast: false,
        onPacket: (packet, from) => this.handle(packet, from),
      }),
    );
    try {
      this.applyConfig(this.config);
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  /** Replaces the configuration: sockets for removed bridges close, new ones bind. */
  reload(config: Dhcp4ServerConfig): void {
    this.applyConfig(config);
  }

  /** Closes every socket; idempotent. */
  stop(): void {
    for (const e of this.endpoints.values()) e.socket.close();
    this.wildcard?.close();
    this.endpoints.clear();
    this.wildcard = undefined;
  }

  /** A snapshot of the counters. */
  stats(): Dhcp4ServerStats {
    return structuredClone(this.counters);
  }

  private applyConfig(config: Dhcp4ServerConfig): void {
    const wanted = new Map<string, { bridge: string; address: string }>();
    for (const l of config.leases)
      wanted.set(`${l.bridge}|${l.serverAddress}`, { bridge: l.bridge, address: l.serverAddress });
    const added: Endpoint[] = [];
    try {
      this.inNamespace(() => {
        for (const [key, w] of wanted) {
          if (this.endpoints.has(key)) continue;
          const socket = openUdpSocket({
            address: w.address,
            port: this.serverPort,
            broadcast: true,
            onPacket: (packet, from) => this.handle(packet, from),
          });
          added.push({ ...w, socket });
        }
      });
    } catch (err) {
      for (const e of added) e.socket.close();
      throw err;
    }
    for (const [key, e] of this.endpoints) {
      if (!wanted.has(key)) {
        e.socket.close();
        this.endpoints.delete(key);
      }
    }
    for (const e of added) this.endpoints.set(`${e.bridge}|${e.address}`, e);
    this.config = config;
    this.leases = new Map(config.leases.map((l) => [l.clientMac.toLowerCase(), l]));
    this.indexBridges();
  }

  /** Reads the configured bridges' interface indexes in the pod's namespace. */
  private indexBridges(): void {
    this.indexedAtMs = Date.now();
    this.bridgeByIndex.clear();
    this.indexByBridge.clear();
    const bridges = new Set(this.config.leases.map((l) => l.bridge));
    this.inNamespace(() => {
      for (const bridge of bridges) {
        const index = interfaceIndex(bridge);
        if (index === undefined) continue;
        this.bridgeByIndex.set(index, bridge);
        this.indexByBridge.set(bridge, index);
      }
    });
  }

  /** The configured bridge a datagram arrived on, or undefined (another interface). */
  private arrivalBridge(from: DatagramOrigin): string | undefined {
    const known = this.bridgeByIndex.get(from.ifindex);
    if (known !== undefined) return known;
    // A bridge created (or re-created) after the server started: look again, rate-limited so a
    // flood from another interface costs no more than one lookup a second.
    if (Date.now() - this.indexedAtMs < REINDEX_MIN_MS) return undefined;
    this.indexBridges();
    return this.bridgeByIndex.get(from.ifindex);
  }

  private count(counter: CounterName, record: Dhcp4LogRecord): void {
    this.counters[counter]++;
    this.log(record);
  }

  private handle(packet: Uint8Array, from: DatagramOrigin): void {
    try {
      this.serve(packet, from);
    } catch (err) {
      // Defence in depth: the codec does not throw, but a bug must not take the server down.
      this.count('malformed', { level: 'error', event: 'handler-error', message: String(err) });
    }
  }

  private serve(packet: Uint8Array, from: DatagramOrigin): void {
    this.counters.received++;
    const decoded = decodeMessage(packet);
    if (!decoded.ok) {
      this.counters.malformedByCode[decoded.code] = (this.counters.malformedByCode[decoded.code] ?? 0) + 1;
      this.count('malformed', {
        level: 'debug',
        event: 'malformed',
        code: decoded.code,
        message: decoded.message,
        bytes: packet.length,
      });
      return;
    }
    const request = decoded.value;
    const mac = request.htype === 1 && request.hlen === 6 ? clientMac(request) : undefined;
    const lease = mac === undefined ? undefined : this.leases.get(mac);
    if (mac === undefined || lease === undefined) {
      this.count('unknownClient', { level: 'debug', event: 'unknown-client', mac });
      return;
    }
    const bridge = this.arrivalBridge(from);
    const endpoint = this.endpoints.get(`${lease.bridge}|${lease.serverAddress}`);
    const ifindex = this.indexByBridge.get(lease.bridge);
    if (bridge !== lease.bridge || endpoint === undefined || ifindex === undefined) {
      this.count('wrongBridge', {
        level: 'info',
        event: 'wrong-bridge',
        mac,
        bridge: bridge ?? `interface #${from.ifindex}`,
        expected: lease.bridge,
      });
      return;
    }
    const decision = respond(request, lease);
    if (decision.action === 'ignore') {
      this.count('ignored', { level: 'debug', event: 'ignored', mac, reason: decision.reason });
      return;
    }
    if (decision.action === 'record') {
      this.count(decision.event === 'decline' ? 'declines' : 'releases', {
        level: 'info',
        event: decision.event,
        mac,
        detail: decision.detail,
      });
      return;
    }
    const encoded = encodeMessage(decision.reply, { maxPayloadBytes: decision.maxPayloadBytes });
    if (!encoded.ok) {
      this.count('sendErrors', { level: 'error', event: 'encode-failed', mac, message: encoded.message });
      return;
    }
    const [address, port] = this.destination(decision.destination);
    const error = endpoint.socket.send(encoded.value.bytes, address, port, ifindex);
    if (error !== undefined) {
      this.count('sendErrors', {
        level: 'error',
        event: 'send-failed',
        mac,
        to: `${address}:${port}`,
        message: error,
      });
      return;
    }
    const { droppedOptions } = encoded.value;
    this.counters.droppedOptions += droppedOptions.length;
    if (droppedOptions.length > 0) {
      this.log({
        level: 'warn',
        event: 'options-dropped',
        mac,
        codes: droppedOptions,
        maxPayloadBytes: decision.maxPayloadBytes,
      });
    }
    // OFFERs are routine (every DORA has one); the ACK/NAK/INFORM that settles a client is logged at info.
    this.count(`${decision.event}s`, {
      level: decision.event === 'offer' ? 'debug' : 'info',
      event: decision.event,
      mac,
      address: decision.reply.yiaddr,
      to: `${address}:${port}`,
      xid: request.xid,
    });
  }

  /**
   * Where a reply goes. Unicasts (to ciaddr, or a relay's giaddr) leave through the lease's bridge,
   * where the request came from, so they need no route; a reply to a client without an address
   * yet is broadcast, which RFC 2131 §4.1 allows a server that cannot unicast without ARP.
   */
  private destination(destination: ReplyDestination): [string, number] {
    if (destination.kind === 'unicast')
      return [destination.address, destination.port === 67 ? this.serverPort : this.clientPort];
    return [this.broadcastAddress, this.clientPort];
  }
}
