// virtnet's DHCPv4 server: serves exactly the configured client MACs, each only on its bridge.
// Sockets (udp-socket.ts): one on 0.0.0.0:67 receives broadcasts from every bridge; per bridge, one
// bound to the bridge's own (server identifier) address with SO_REUSEADDR receives unicasts to that
// address and sends every reply, so a 255.255.255.255 reply leaves through that bridge only. The
// arrival bridge of a request is the interface the kernel reports (IP_PKTINFO, native sockets);
// with Node's dgram it is unknown and found from the bridges' forwarding databases (bridge-fdb.ts).
// Malformed packets are counted and dropped; nothing a client sends can throw out of the receive
// path. While a request is expected, synthetic ones run through the same path on loopback to keep
// it warm (WARM_INTERVAL_MS).
import { locateMac, primingFdbReaders, sysfsFdbReader, type BridgeLocation, type FdbReader } from './bridge-fdb.js';
import { BOOTREQUEST, OPTIONS_OFFSET, chaddrOf, clientMac, decodeMessage, emptyMessage, encodeMessage, hardwareAddressText, setOption } from './codec/message.js';
import { compileLease, fastReply, type CompiledLease } from './fast-reply.js';
import { MessageType } from './codec/option-table.js';
import type { CodecFailureCode } from './codec/result.js';
import { respond, type ReplyDestination, type ReplyEvent } from './responder.js';
import { procRouteReader, routeDevice, type RouteTableReader } from './route-lookup.js';
import type { Dhcp4Lease, Dhcp4ServerConfig } from './server-config.js';
import { INFINITE_LEASE_SECONDS } from './lease-options.js';
import { interfaceIndex, openUdpSocket, type DatagramOrigin, type UdpSocket } from './udp-socket.js';

/** One structured log record (the process prints these as JSON lines). */
export interface Dhcp4LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  [key: string]: unknown;
}

/** Counters, for tests, benches and the process log. */
export interface Dhcp4ServerStats {
  received: number;
  malformed: number;
  malformedByCode: Partial<Record<CodecFailureCode, number>>;
  unknownClient: number;
  wrongBridge: number;
  bridgeUnknown: number;
  ignored: number;
  offers: number;
  acks: number;
  naks: number;
  informs: number;
  declines: number;
  releases: number;
  sendErrors: number;
  droppedOptions: number;
  /** Synthetic requests run to keep the request path warm (see WARM_INTERVAL_MS). */
  warmTicks: number;
}

/**
 * Log records are written once the server has been quiet this long, so writing them never competes
 * with a client for a CPU: a VM with several NICs, or a client retrying, sends its next request
 * within milliseconds (bench/dhcp.ts: a write 20 ms after each ACK landed in the next DORA).
 */
const LOG_QUIET_MS = 100;
/** ...or at once when this many are waiting. */
const LOG_MAX_PENDING = 256;

/**
 * While a client's request is expected, a synthetic request runs through the whole request path
 * (rehearse()) this often. Measured here: after 1-3 s idle, Node's first reply took 1.2-1.9 ms on
 * the wire where a reply right after another took 0.5 ms: its much larger code and data than
 * dnsmasq's drop out of caches and TLBs. Kept warm every 50 ms, 0.7-1.0 ms; every 10 ms the first
 * OFFER leaves another 0.06-0.1 ms sooner (bench/dhcp A/B, same run). Measured cost, one pod's
 * server: 1.0% of one CPU at 50 ms, 2.5% at 10 ms — so 10 ms only while a request is likeliest.
 */
const WARM_INTERVAL_MS = 50;
const HOT_INTERVAL_MS = 10;
/** A VM asks within seconds of booting (the test guest: ~8 s): the first minute is hot. */
const FIRST_REQUEST_HOT_MS = 60_000;
/** A lease's first request is expected within this long of the server starting (the VM boots). */
const FIRST_REQUEST_WINDOW_MS = 10 * 60_000;
/**
 * After an ACK the same client often asks again soon: a second DHCP client later in the guest's
 * boot (initramfs, then the OS), a DECLINE after a conflict, a reboot.
 */
const AFTER_ACK_WINDOW_MS = 30_000;
/** Warming starts this long before a lease's renewal time (T1, half the lease)... */
const RENEWAL_LEAD_MS = 10_000;
/** ...and lasts this long past it unless the renewal's ACK comes first. */
const RENEWAL_WINDOW_MS = 60_000;

/** Construction options; ports and readers are injectable for tests. */
export interface Dhcp4ServerOptions {
  serverPort?: number;
  clientPort?: number;
  log?: (record: Dhcp4LogRecord) => void;
  fdbReader?: FdbReader;
  routeReader?: RouteTableReader;
  /** Destination of broadcast replies (default 255.255.255.255; loopback tests use 127.255.255.255). */
  broadcastAddress?: string;
}

/** What decide() concluded: drop (with the counter to bump and the log record) or send a reply. */
type Outcome =
  | { kind: 'drop'; counter: CounterName; alsoCount?: CounterName | undefined; malformedCode?: CodecFailureCode; record: Dhcp4LogRecord }
  | { kind: 'send'; lease: Dhcp4Lease; reply: ReplySummary; bytes: Uint8Array; droppedOptions: readonly number[]; mac: string; xid: number; bridgeUnknown: boolean };

/** What the server needs to know of a reply besides its bytes. */
interface ReplySummary {
  event: ReplyEvent;
  destination: ReplyDestination;
  maxPayloadBytes: number;
  yiaddr: string;
}

const NONE_DROPPED: readonly number[] = [];

type CounterName = { [K in keyof Dhcp4ServerStats]: Dhcp4ServerStats[K] extends number ? K : never }[keyof Dhcp4ServerStats];

interface Endpoint {
  bridge: string;
  address: string;
  socket: UdpSocket;
  /** A unicast to `address` arrived on this socket: the bridge it names, as far as dgram can tell. */
  arrival: Arrival;
}

/**
 * The bridge a request arrived on. Exact when the kernel said so (IP_PKTINFO); otherwise the bridge
 * whose address a unicast was sent to, which the FDB lookup still confirms.
 */
interface Arrival {
  bridge: string;
  exact: boolean;
}

function emptyStats(): Dhcp4ServerStats {
  return {
    received: 0, malformed: 0, malformedByCode: {}, unknownClient: 0, wrongBridge: 0, bridgeUnknown: 0, ignored: 0,
    offers: 0, acks: 0, naks: 0, informs: 0, declines: 0, releases: 0, sendErrors: 0, droppedOptions: 0, warmTicks: 0,
  };
}

/** An in-process DHCPv4 server (the process entry point wraps one). */
export class Dhcp4Server {
  private leases = new Map<string, Dhcp4Lease>();
  /** The same leases, compiled for the fast path (fast-reply.ts). */
  private compiled = new Map<string, CompiledLease>();
  /** The configured bridges, each once (the FDB lookup's candidates). */
  private bridges: string[] = [];
  private endpoints = new Map<string, Endpoint>();
  private wildcard: UdpSocket | undefined;
  /** Exact arrivals by interface index, for the configured bridges that exist (native sockets only). */
  private arrivalsByIndex = new Map<number, Arrival>();
  private arrivalsByBridge = new Map<string, Arrival>();
  private indexedAt = 0;
  private counters = emptyStats();
  private pendingLog: Dhcp4LogRecord[] = [];
  private logTimer: NodeJS.Timeout | undefined;
  /** Per client MAC: until when (epoch ms) a request is expected, and until when it is likely. */
  private warmUntil = new Map<string, { until: number; hotUntil: number }>();
  private warmTimer: NodeJS.Timeout | undefined;
  private warmNext = 0;
  private renewalTimers = new Map<string, NodeJS.Timeout>();
  private warmPackets: Uint8Array[] = [];
  /** Loopback sockets rehearsals go through, so receive and reply paths are warm (see rehearse()). */
  private rehearsal: Rehearsal | undefined;
  private rehearsalsSeen = 0;
  private rehearsing = false;
  private scratchCounters = emptyStats();
  private readonly serverPort: number;
  private readonly clientPort: number;
  private readonly log: (record: Dhcp4LogRecord) => void;
  private fdbReader: FdbReader;
  /**
   * The one locate closure every decide() call gets, real or priming: optimised code checks a
   * call target's feedback cell, and a second arrow here deoptimised decide() on the first real request.
   */
  private readonly locate = (mac: Uint8Array): BridgeLocation => locateMac(this.fdbReader, this.bridges, mac);
  private readonly routeReader: RouteTableReader;
  private readonly broadcastAddress: string;

  constructor(
    private config: Dhcp4ServerConfig,
    options: Dhcp4ServerOptions = {},
  ) {
    this.serverPort = options.serverPort ?? 67;
    this.clientPort = options.clientPort ?? 68;
    this.log = options.log ?? (() => undefined);
    this.fdbReader = options.fdbReader ?? sysfsFdbReader();
    this.routeReader = options.routeReader ?? procRouteReader;
    this.broadcastAddress = options.broadcastAddress ?? '255.255.255.255';
  }

  /** Binds every socket; throws DHCP_BIND_FAILED (and binds nothing) if one fails. */
  async start(): Promise<void> {
    if (this.wildcard !== undefined) return;
    this.wildcard = await openUdpSocket({
      address: '0.0.0.0', port: this.serverPort, broadcast: false,
      onPacket: (packet, from) => this.handle(packet, this.arrivalOf(from, undefined)),
      onSendError: (message) => this.log({ level: 'error', event: 'socket-error', address: '0.0.0.0', message }),
    });
    this.rehearsal = await rehearsalSockets((packet) => this.rehearsed(packet));
    try {
      await this.applyConfig(this.config);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Replaces the configuration: sockets for removed bridges close, new ones bind. */
  async reload(config: Dhcp4ServerConfig): Promise<void> {
    await this.applyConfig(config);
  }

  /** Closes every socket. */
  async stop(): Promise<void> {
    this.flushLog();
    this.stopWarming();
    for (const t of this.renewalTimers.values()) clearTimeout(t);
    this.renewalTimers.clear();
    this.warmUntil.clear();
    const sockets = [...this.endpoints.values()].map((e) => e.socket);
    if (this.rehearsal !== undefined) sockets.push(...rehearsalSocketList(this.rehearsal));
    this.rehearsal = undefined;
    if (this.wildcard !== undefined) sockets.push(this.wildcard);
    this.endpoints.clear();
    this.wildcard = undefined;
    await Promise.all(sockets.map((s) => s.close()));
  }

  /** A snapshot of the counters. */
  stats(): Dhcp4ServerStats {
    return structuredClone(this.counters);
  }

  private async applyConfig(config: Dhcp4ServerConfig): Promise<void> {
    const wanted = new Map<string, { bridge: string; address: string }>();
    for (const l of config.leases) wanted.set(`${l.bridge}|${l.serverAddress}`, { bridge: l.bridge, address: l.serverAddress });
    const added: Endpoint[] = [];
    try {
      for (const [key, w] of wanted) {
        if (this.endpoints.has(key)) continue;
        const arrival: Arrival = { bridge: w.bridge, exact: false };
        const socket = await openUdpSocket({
          address: w.address, port: this.serverPort, broadcast: true,
          onPacket: (packet, from) => this.handle(packet, this.arrivalOf(from, arrival)),
          onSendError: (message) => {
            this.counters.sendErrors++;
            this.log({ level: 'error', event: 'send-failed', address: w.address, message });
          },
        });
        added.push({ ...w, socket, arrival });
      }
    } catch (err) {
      for (const e of added) void e.socket.close();
      throw err;
    }
    for (const [key, e] of this.endpoints) {
      if (!wanted.has(key)) {
        void e.socket.close();
        this.endpoints.delete(key);
      }
    }
    for (const e of added) this.endpoints.set(`${e.bridge}|${e.address}`, e);
    this.config = config;
    this.leases = new Map(config.leases.map((l) => [l.clientMac.toLowerCase(), l]));
    this.compiled = new Map(config.leases.map((l) => [l.clientMac.toLowerCase(), compileLease(l)]));
    this.bridges = [...new Set(config.leases.map((l) => l.bridge))];
    this.indexBridges();
    // Requests like real clients send, for the first 16 leases (a VM has a handful of NICs).
    const primed = config.leases.slice(0, 16);
    this.warmPackets = primed.flatMap((lease) => primingPackets(lease));
    this.prime(primed, this.warmPackets);
    // The rest of the path (dgram's receive, handle, the send) compiled and warm too.
    await this.rehearseMany(this.warmPackets, REHEARSALS);
    const now = Date.now();
    for (const l of config.leases) this.expectRequest(l.clientMac.toLowerCase(), now + FIRST_REQUEST_WINDOW_MS, now + FIRST_REQUEST_HOT_MS);
  }

  /**
   * The bridge a datagram arrived on: the interface the kernel reported, else (dgram) the bridge
   * whose address it was sent to, else unknown. An interface that is no configured bridge is
   * exactly known too: its requests are on the wrong bridge.
   */
  private arrivalOf(from: DatagramOrigin, unicastTo: Arrival | undefined): Arrival | undefined {
    if (from.ifindex === undefined) return unicastTo;
    let arrival = this.arrivalsByIndex.get(from.ifindex);
    // A bridge created after the server started: look again, at most once a second.
    if (arrival === undefined && Date.now() - this.indexedAt > 1_000) {
      this.indexBridges();
      arrival = this.arrivalsByIndex.get(from.ifindex);
    }
    return arrival ?? { bridge: `interface #${from.ifindex}`, exact: true };
  }

  /** Reads the configured bridges' interface indexes (nothing without native sockets). */
  private indexBridges(): void {
    this.indexedAt = Date.now();
    this.arrivalsByIndex.clear();
    this.arrivalsByBridge.clear();
    if (this.wildcard?.knowsArrival !== true) return;
    for (const bridge of this.bridges) {
      const index = interfaceIndex(bridge);
      if (index === undefined) continue;
      const arrival = { bridge, exact: true };
      this.arrivalsByIndex.set(index, arrival);
      this.arrivalsByBridge.set(bridge, arrival);
    }
  }

  /**
   * The arrival a synthetic request for a configured lease would have if it came from its VM: the
   * same objects real requests get, so priming and rehearsals take the real requests' path.
   */
  private expectedArrival(packet: Uint8Array): Arrival | undefined {
    if (this.arrivalsByBridge.size === 0 || packet.length < 34) return undefined;
    const lease = this.leases.get(hardwareAddressText(packet, 28, 6));
    return lease === undefined ? undefined : this.arrivalsByBridge.get(lease.bridge);
  }

  private handle(packet: Uint8Array, arrival: Arrival | undefined): void {
    try {
      this.handleUnsafe(packet, arrival);
    } catch (err) {
      // Defence in depth: the codec does not throw, but a bug must not take the server down.
      this.counters.malformed++;
      this.log({ level: 'error', event: 'handler-error', message: String(err) });
    }
  }

  private handleUnsafe(packet: Uint8Array, arrival: Arrival | undefined): void {
    const receivedAt = performance.now();
    this.counters.received++;
    const outcome = this.decide(packet, arrival, this.locate);
    if (outcome.kind === 'drop') {
      if (outcome.malformedCode !== undefined) {
        this.counters.malformedByCode[outcome.malformedCode] = (this.counters.malformedByCode[outcome.malformedCode] ?? 0) + 1;
      }
      this.counters[outcome.counter]++;
      if (outcome.alsoCount !== undefined) this.counters[outcome.alsoCount]++;
      if (!this.rehearsing) this.deferLog(outcome.record);
      return;
    }
    if (outcome.bridgeUnknown) this.counters.bridgeUnknown++;
    const { lease, reply, bytes, droppedOptions, mac, xid } = outcome;
    this.counters.droppedOptions += droppedOptions.length;
    const endpoint = this.rehearsing ? this.rehearsal?.endpoint : this.endpoints.get(`${lease.bridge}|${lease.serverAddress}`);
    if (endpoint === undefined) return;
    let [address, port] = this.resolveDestination(reply.destination, lease);
    if (this.rehearsing && this.rehearsal !== undefined) [address, port] = ['127.0.0.1', this.rehearsal.sinkPort];
    const counterName = (`${reply.event}s` as const) satisfies `${typeof reply.event}s`;
    this.counters[counterName]++;
    // Nothing but the send happens before the process sleeps again: the client answers an OFFER
    // within a few hundred microseconds, and on a busy host any work left here (a send callback,
    // a log write) is time it waits for a CPU. Send errors come back through onSendError.
    endpoint.socket.send(bytes, address, port);
    if (this.rehearsing) return;
    const handledMs = Math.round((performance.now() - receivedAt) * 1000) / 1000;
    if (droppedOptions.length > 0) {
      this.deferLog({ level: 'warn', event: 'options-dropped', mac, codes: droppedOptions, maxPayloadBytes: reply.maxPayloadBytes });
    }
    // OFFERs are routine (every DORA has one); the ACK/NAK/INFORM that settles a client is logged at info.
    this.deferLog({ level: reply.event === 'offer' ? 'debug' : 'info', event: reply.event, mac, address: reply.yiaddr, to: `${address}:${port}`, xid, handledMs });
    if (reply.event === 'ack') this.acked(mac, lease);
  }

  /** After an ACK: the client may ask again soon, and will at its renewal time. */
  private acked(mac: string, lease: Dhcp4Lease): void {
    this.expectRequest(mac, Date.now() + AFTER_ACK_WINDOW_MS, Date.now() + AFTER_ACK_WINDOW_MS);
    clearTimeout(this.renewalTimers.get(mac));
    this.renewalTimers.delete(mac);
    const renewInMs = lease.leaseSeconds * 500 - RENEWAL_LEAD_MS;
    // Infinite leases never renew; setTimeout cannot wait past 2^31-1 ms (about 24 days).
    if (lease.leaseSeconds >= INFINITE_LEASE_SECONDS || renewInMs > 2 ** 31 - 1) return;
    const timer = setTimeout(() => {
      this.renewalTimers.delete(mac);
      const until = Date.now() + RENEWAL_LEAD_MS + RENEWAL_WINDOW_MS;
      this.expectRequest(mac, until, until);
    }, Math.max(0, renewInMs));
    timer.unref();
    this.renewalTimers.set(mac, timer);
  }

  /** Keeps the request path warm for `mac` until `untilMs`, rehearsing more often until `hotUntilMs` (see WARM_INTERVAL_MS). */
  private expectRequest(mac: string, untilMs: number, hotUntilMs: number): void {
    const was = this.warmUntil.get(mac);
    this.warmUntil.set(mac, { until: Math.max(was?.until ?? 0, untilMs), hotUntil: Math.max(was?.hotUntil ?? 0, hotUntilMs) });
    if (this.warmPackets.length === 0) return;
    // A hot window may have just begun: the next tick comes at the hot interval.
    this.stopWarming();
    this.scheduleWarmTick(HOT_INTERVAL_MS);
  }

  private scheduleWarmTick(delayMs: number): void {
    this.warmTimer = setTimeout(() => {
      this.warmTimer = undefined;
      const now = Date.now();
      let hot = false;
      for (const [m, w] of this.warmUntil) {
        if (w.until <= now) this.warmUntil.delete(m);
        else if (w.hotUntil > now) hot = true;
      }
      if (this.warmUntil.size === 0) return;
      this.rehearse(this.warmPackets[this.warmNext++ % this.warmPackets.length]!);
      this.counters.warmTicks++;
      this.scheduleWarmTick(hot ? HOT_INTERVAL_MS : WARM_INTERVAL_MS);
    }, delayMs);
    this.warmTimer.unref();
  }

  /**
   * Runs a synthetic request through the whole path a real one takes — a UDP socket's receive,
   * handle(), decide() with the real FDB reader and leases, the send — but on loopback: it arrives
   * on a socket of its own and the reply goes to a sink, and the counters and log are left alone.
   * Without loopback sockets, decide() alone.
   */
  private rehearse(packet: Uint8Array): void {
    if (this.rehearsal === undefined) this.decide(packet, this.expectedArrival(packet), this.locate);
    else this.rehearsal.client.send(packet, '127.0.0.1', this.rehearsal.requestsPort);
  }

  private rehearsed(packet: Uint8Array): void {
    const real = this.counters;
    this.counters = this.scratchCounters;
    this.rehearsing = true;
    try {
      this.handle(packet, this.expectedArrival(packet));
    } finally {
      this.rehearsing = false;
      this.counters = real;
      this.rehearsalsSeen++;
    }
  }

  /** Sends `count` rehearsals and waits (at most 2 s) until they have been handled. */
  private async rehearseMany(packets: readonly Uint8Array[], count: number): Promise<void> {
    if (this.rehearsal === undefined || packets.length === 0) return;
    const target = this.rehearsalsSeen + count;
    const deadline = Date.now() + 2_000;
    for (let i = 0; i < count; i++) {
      this.rehearse(packets[i % packets.length]!);
      // A few at a time, so loopback's receive queue never overflows.
      if (i % 32 === 31) await new Promise((r) => setImmediate(r));
    }
    while (this.rehearsalsSeen < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }

  private stopWarming(): void {
    clearTimeout(this.warmTimer);
    this.warmTimer = undefined;
  }

  /** Queues a log record, written when requests stop for a moment (see LOG_QUIET_MS). */
  private deferLog(record: Dhcp4LogRecord): void {
    this.pendingLog.push(record);
    if (this.pendingLog.length >= LOG_MAX_PENDING) this.flushLog();
    else if (this.logTimer === undefined) this.logTimer = setTimeout(() => this.flushLog(), LOG_QUIET_MS);
    else this.logTimer.refresh();
  }

  private flushLog(): void {
    if (this.logTimer !== undefined) clearTimeout(this.logTimer);
    this.logTimer = undefined;
    const records = this.pendingLog;
    this.pendingLog = [];
    for (const r of records) this.log(r);
  }

  /**
   * Everything about one request short of sending: which lease, whether it is served here, and the
   * encoded reply. No I/O and no counters, so start() can run it on synthetic requests to warm it up.
   */
  private decide(packet: Uint8Array, arrival: Arrival | undefined, locate: (mac: Uint8Array) => BridgeLocation): Outcome {
    // The kernel named the bridge: a DISCOVER or REQUEST of the client behind it takes the fast path.
    if (arrival?.exact === true && packet.length >= OPTIONS_OFFSET) {
      const mac = hardwareAddressText(packet, 28, 6);
      const compiled = this.compiled.get(mac);
      if (compiled !== undefined && compiled.lease.bridge === arrival.bridge) {
        const fast = fastReply(packet, compiled);
        if (fast !== undefined) {
          const reply = { event: fast.event, destination: fast.destination, maxPayloadBytes: fast.maxPayloadBytes, yiaddr: compiled.lease.address };
          return { kind: 'send', lease: compiled.lease, reply, bytes: fast.bytes, droppedOptions: NONE_DROPPED, mac, xid: fast.xid, bridgeUnknown: false };
        }
      }
    }
    const decoded = decodeMessage(packet);
    if (!decoded.ok) {
      return { kind: 'drop', counter: 'malformed', malformedCode: decoded.code, record: { level: 'debug', event: 'malformed', code: decoded.code, message: decoded.message, bytes: packet.length } };
    }
    const request = decoded.value;
    const mac = request.htype === 1 && request.hlen === 6 ? clientMac(request) : undefined;
    const lease = mac === undefined ? undefined : this.leases.get(mac);
    if (mac === undefined || lease === undefined) {
      return { kind: 'drop', counter: 'unknownClient', record: { level: 'debug', event: 'unknown-client', mac } };
    }
    if (arrival !== undefined && arrival.bridge !== lease.bridge) {
      return { kind: 'drop', counter: 'wrongBridge', record: { level: 'info', event: 'wrong-bridge', mac, bridge: arrival.bridge, expected: lease.bridge } };
    }
    // Where the kernel did not say which bridge, the bridges' FDBs do (see bridge-fdb.ts).
    const seen: BridgeLocation = arrival?.exact === true ? { kind: 'found', bridge: arrival.bridge } : locate(request.chaddr);
    if (seen.kind === 'found' && seen.bridge !== lease.bridge) {
      return { kind: 'drop', counter: 'wrongBridge', record: { level: 'info', event: 'wrong-bridge', mac, bridge: seen.bridge, expected: lease.bridge } };
    }
    const bridgeUnknown = seen.kind === 'unknown';
    const alsoCount = bridgeUnknown ? 'bridgeUnknown' : undefined;
    const decision = respond(request, lease);
    if (decision.action === 'ignore') {
      return { kind: 'drop', counter: 'ignored', alsoCount, record: { level: 'debug', event: 'ignored', mac, reason: decision.reason } };
    }
    if (decision.action === 'record') {
      return { kind: 'drop', counter: decision.event === 'decline' ? 'declines' : 'releases', alsoCount, record: { level: 'info', event: decision.event, mac, detail: decision.detail } };
    }
    const encoded = encodeMessage(decision.reply, { maxPayloadBytes: decision.maxPayloadBytes });
    if (!encoded.ok) {
      return { kind: 'drop', counter: 'sendErrors', alsoCount, record: { level: 'error', event: 'encode-failed', mac, message: encoded.message } };
    }
    const reply = { event: decision.event, destination: decision.destination, maxPayloadBytes: decision.maxPayloadBytes, yiaddr: decision.reply.yiaddr };
    return { kind: 'send', lease, reply, bytes: encoded.value.bytes, droppedOptions: encoded.value.droppedOptions, mac, xid: request.xid, bridgeUnknown };
  }

  /**
   * Runs decide() on synthetic requests for the configured leases before the server reports ready:
   * V8 has then optimised the whole path (decode, respond, encode, the FDB lookup) for the real
   * input types — dgram's Buffers, the loaded lease objects, several parameter request lists, the
   * sysfs FDB reader over files in the kernel's format — so a guest's first DORA, the one that
   * delays its boot, is not served by the interpreter. Measured with --trace-opt: 600 iterations
   * left decode/respond/encode unoptimised (~0.3–0.5 ms per reply); 4000 optimise all of them.
   */
  private prime(leases: readonly Dhcp4Lease[], packets: readonly Uint8Array[], iterations = 4000): void {
    if (leases.length === 0 || packets.length === 0) return;
    let fdb: ReturnType<typeof primingFdbReaders>;
    try {
      fdb = primingFdbReaders(leases.map((l) => ({ bridge: l.bridge, mac: chaddrOf(l.clientMac) })));
    } catch {
      return; // no writable temp dir: serve unprimed rather than not at all
    }
    const real = this.fdbReader;
    try {
      for (let i = 0; i < iterations; i++) {
        // Mostly learned, sometimes not, so both outcomes have type feedback.
        this.fdbReader = i % 8 === 7 ? fdb.empty : fdb.learned;
        const packet = packets[i % packets.length]!;
        // Mostly as the sockets deliver them; a quarter without an arrival bridge, so the general
        // path (NAKs, INFORMs, relays, dgram) is optimised too.
        this.decide(packet, i % 4 === 3 ? undefined : this.expectedArrival(packet), this.locate);
      }
    } finally {
      this.fdbReader = real;
      fdb.dispose();
    }
    // Open the real FDB files now: the optimised lookup has no type feedback for the reader's
    // open branch (it ran before V8 allocated feedback), and taking it on the first real request
    // deoptimised decide() (--trace-deopt: ~2.5 ms, then interpreted replies).
    for (const bridge of this.bridges) real(bridge);
  }

  private resolveDestination(destination: ReplyDestination, lease: Dhcp4Lease): [string, number] {
    if (destination.kind === 'unicast' && routeDevice(this.routeReader(), destination.address) === lease.bridge) {
      // The responder speaks RFC ports (68 client, 67 relay); map them to the configured ones.
      return [destination.address, destination.port === 67 ? this.serverPort : this.clientPort];
    }
    return [this.broadcastAddress, this.clientPort];
  }
}

/**
 * A plain Uint8Array view of the same bytes: the class of what the sockets hand the server
 * (udp-socket.ts), so code optimised on priming input does not deoptimise on the first real packet.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Requests like real clients send (udhcpc, dhclient, dhcpcd, systemd). */
function primingPackets(lease: Dhcp4Lease): Uint8Array[] {
  const lists = [
    [1, 3, 6, 12, 15, 28, 42, 26, 119, 121],
    [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42],
    [1, 121, 33, 3, 6, 28, 51, 58, 59, 15, 119, 26, 252],
    undefined,
  ];
  const out: Uint8Array[] = [];
  for (const [i, list] of lists.entries()) {
    for (const type of [MessageType.DISCOVER, MessageType.REQUEST]) {
      const m = emptyMessage(BOOTREQUEST);
      // Transaction ids above 2^31 are heap numbers, below are small integers: prime with both so
      // the message's field layout is already general when a real one arrives.
      m.xid = (i % 2 === 0 ? 0xc0ffee00 : 0x1eed0000) + i;
      m.chaddr = chaddrOf(lease.clientMac);
      setOption(m, 'messageType', type);
      if (list !== undefined) setOption(m, 'parameterRequestList', list);
      if (i % 2 === 0) setOption(m, 'maxMessageSize', 576);
      if (type === MessageType.REQUEST) {
        if (i < 2) setOption(m, 'serverIdentifier', lease.serverAddress);
        setOption(m, 'requestedIpAddress', lease.address);
      }
      const r = encodeMessage(m);
      if (r.ok) out.push(plainBytes(r.value.bytes));
    }
  }
  return out;
}

/** 127.0.0.1, as sockets report sources. */
const LOOPBACK = 0x7f000001;

/** Rehearsals at start-up: enough for V8 to compile and optimise the send path. */
const REHEARSALS = 400;

/** Loopback sockets for rehearsals: requests from `client` arrive on `requests`; replies go to `sink`. */
interface Rehearsal {
  client: UdpSocket;
  requests: UdpSocket;
  requestsPort: number;
  /** Sends the replies, as a bridge endpoint's socket does. */
  endpoint: Endpoint;
  sink: UdpSocket;
  sinkPort: number;
}

function rehearsalSocketList(r: Rehearsal): UdpSocket[] {
  return [r.client, r.requests, r.endpoint.socket, r.sink];
}

/** The loopback sockets rehearse() uses. Undefined when the pod's loopback cannot be used. */
async function rehearsalSockets(onRequest: (packet: Uint8Array) => void): Promise<Rehearsal | undefined> {
  const opened: UdpSocket[] = [];
  let clientPort = -1;
  const open = async (onPacket: (packet: Uint8Array, from: DatagramOrigin) => void = () => undefined): Promise<UdpSocket> => {
    const s = await openUdpSocket({ address: '127.0.0.1', port: 0, broadcast: false, onPacket, onSendError: () => undefined });
    opened.push(s);
    return s;
  };
  try {
    const sink = await open();
    // Only our own rehearsals: anything else in the pod that finds this port is ignored.
    const requests = await open((packet, from) => {
      if (from.address === LOOPBACK && from.port === clientPort) onRequest(packet);
    });
    const client = await open();
    clientPort = client.port();
    const socket = await open();
    return {
      client, requests, requestsPort: requests.port(), sink, sinkPort: sink.port(),
      endpoint: { bridge: 'lo', address: '127.0.0.1', socket, arrival: { bridge: 'lo', exact: false } },
    };
  } catch {
    for (const s of opened) void s.close();
    return undefined;
  }
}
