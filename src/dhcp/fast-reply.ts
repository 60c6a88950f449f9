// The reply to the two requests every client sends — DISCOVER and a REQUEST this server ACKs — written
// straight from the request's bytes into the reply's, with the lease's options encoded once.
//
// Why: the general path (decode to a message, respond(), encode) allocates a few kilobytes and runs
// through a dozen functions and Maps; hot that is 8 µs, but the first request after a pause finds
// all of it out of cache: measured on the wire here, 90-100 µs to decide an OFFER, most of the
// difference to dnsmasq. This path touches the packet, one small lease record and one new buffer.
//
// It answers only what it can answer exactly as the general path would, byte for byte (checked
// against it in fast-reply.test.ts over random requests); anything else — another op, hardware
// type or message type, a relay, option overload, a repeated or malformed option the decision
// reads, a NAK, options that do not all fit — returns undefined and goes the general way.
import type { Dhcp4Lease } from './server-config.js';
import { parseIpv4, readIpv4, writeIpv4 } from './codec/ipv4.js';
import {
  BOOTREPLY, BOOTREQUEST, DEFAULT_MAX_PAYLOAD_BYTES, FLAG_BROADCAST, HEADER_BYTES, MAGIC_COOKIE, MAX_UDP_PAYLOAD, MIN_PAYLOAD_BYTES, OPTIONS_OFFSET, optionBytes,
} from './codec/message.js';
import { MessageType, OPTIONS } from './codec/option-table.js';
import { leaseConfigOptions } from './lease-options.js';
import { requiredOptions, type ReplyDestination } from './responder.js';

/** A lease with everything its OFFERs and ACKs carry encoded once. */
export interface CompiledLease {
  lease: Dhcp4Lease;
  address: number;
  serverAddress: number;
  /** siaddr: the TFTP server when it is an address (RFC 2131 §2), else 0. */
  nextServer: number;
  /** The required options of an OFFER and an ACK, in order, as wire bytes. */
  offerHead: Uint8Array;
  ackHead: Uint8Array;
  /** Configured options by code, as wire bytes; and their codes in configuration order. */
  byCode: (Uint8Array | undefined)[];
  configuredCodes: number[];
  /** Sum of every configured option's wire bytes. */
  configuredBytes: number;
  linkUnicast: ReplyDestination;
}

/** A reply this path wrote. */
export interface FastReply {
  event: 'offer' | 'ack';
  bytes: Uint8Array;
  destination: ReplyDestination;
  maxPayloadBytes: number;
  xid: number;
}

const BROADCAST: ReplyDestination = { kind: 'broadcast' };
const ZERO_QUAD = '0.0.0.0';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encodes a lease's replies' parts once (leases are immutable once loaded). */
export function compileLease(lease: Dhcp4Lease): CompiledLease {
  const head = (type: number) => concat([...requiredOptions(type, lease, true)].map(([code, data]) => optionBytes(code, data)));
  const byCode = Array.from({ length: 256 }, (): Uint8Array | undefined => undefined);
  const configuredCodes: number[] = [];
  let configuredBytes = 0;
  for (const [code, data] of leaseConfigOptions(lease)) {
    const wire = optionBytes(code, data);
    byCode[code] = wire;
    configuredCodes.push(code);
    configuredBytes += wire.length;
  }
  const tftp = lease.tftpServerName === undefined ? undefined : parseIpv4(lease.tftpServerName);
  return {
    lease,
    address: parseIpv4(lease.address) ?? 0,
    serverAddress: parseIpv4(lease.serverAddress) ?? 0,
    nextServer: tftp ?? 0,
    offerHead: head(MessageType.OFFER),
    ackHead: head(MessageType.ACK),
    byCode,
    configuredCodes,
    configuredBytes,
    linkUnicast: lease.address === ZERO_QUAD ? BROADCAST : { kind: 'link-unicast', address: lease.address },
  };
}

// Where the options the decision reads sit in the request: the offset of their data, or -1.
const scan = new Int32Array(256);
const READ = [OPTIONS.messageType.code, OPTIONS.serverIdentifier.code, OPTIONS.requestedIpAddress.code, OPTIONS.parameterRequestList.code, OPTIONS.maxMessageSize.code, OPTIONS.optionOverload.code];
const isRead = new Uint8Array(256);
for (const code of READ) isRead[code] = 1;
const placed = new Uint8Array(256);

/** Finds the options READ names; false when the options area is malformed or one of them repeats. */
function scanOptions(packet: Uint8Array): boolean {
  for (const code of READ) scan[code] = -1;
  let i = OPTIONS_OFFSET;
  while (i < packet.length) {
    const code = packet[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255) return true;
    if (i + 1 >= packet.length) return false;
    const len = packet[i + 1]!;
    if (i + 2 + len > packet.length) return false;
    if (isRead[code] === 1) {
      // RFC 3396 concatenates repeats: the general path decides on the joined value.
      if (scan[code] !== -1) return false;
      scan[code] = i + 2;
    }
    i += 2 + len;
  }
  return true;
}

function optionLengthAt(packet: Uint8Array, dataOffset: number): number {
  return packet[dataOffset - 1]!;
}

/** The 4-byte address option at its scanned offset; -1 when absent, undefined when malformed. */
function addressOption(packet: Uint8Array, code: number): number | undefined {
  const at = scan[code]!;
  if (at < 0) return -1;
  return optionLengthAt(packet, at) === 4 ? readIpv4(packet, at) : undefined;
}

/** The reply to `packet` from `compiled`'s client, or undefined to take the general path. */
export function fastReply(packet: Uint8Array, compiled: CompiledLease): FastReply | undefined {
  if (packet.length < OPTIONS_OFFSET || packet.length > MAX_UDP_PAYLOAD) return undefined;
  if (packet[0] !== BOOTREQUEST || packet[1] !== 1 || packet[2] !== 6) return undefined;
  for (let i = 0; i < 4; i++) if (packet[HEADER_BYTES + i] !== MAGIC_COOKIE[i]) return undefined;
  if (readIpv4(packet, 24) !== 0) return undefined; // a relay: the general path
  if (!scanOptions(packet) || scan[OPTIONS.optionOverload.code]! >= 0) return undefined;
  const typeAt = scan[OPTIONS.messageType.code]!;
  if (typeAt < 0 || optionLengthAt(packet, typeAt) !== 1) return undefined;
  const serverId = addressOption(packet, OPTIONS.serverIdentifier.code);
  const requested = addressOption(packet, OPTIONS.requestedIpAddress.code);
  if (serverId === undefined || requested === undefined) return undefined;
  const ciaddr = readIpv4(packet, 12);
  let event: 'offer' | 'ack';
  switch (packet[typeAt]) {
    case MessageType.DISCOVER:
      event = 'offer';
      break;
    case MessageType.REQUEST: {
      // RFC 2131 §4.3.2: SELECTING names this server; INIT-REBOOT has no ciaddr; RENEWING/REBINDING have.
      if (serverId !== -1 && serverId !== compiled.serverAddress) return undefined;
      const wanted = serverId !== -1 ? (requested !== -1 ? requested : ciaddr) : ciaddr === 0 ? requested : ciaddr;
      if (wanted !== compiled.address) return undefined; // ignored or NAKed: the general path says which
      event = 'ack';
      break;
    }
    default:
      return undefined;
  }
  const maxAt = scan[OPTIONS.maxMessageSize.code]!;
  const maxMessage = maxAt >= 0 && optionLengthAt(packet, maxAt) === 2 ? (packet[maxAt]! << 8) | packet[maxAt + 1]! : 0;
  const maxPayloadBytes = maxMessage >= 576 ? maxMessage - 28 : DEFAULT_MAX_PAYLOAD_BYTES;
  const capacity = Math.min(Math.max(maxPayloadBytes, MIN_PAYLOAD_BYTES), MAX_UDP_PAYLOAD) - OPTIONS_OFFSET - 1;
  const head = event === 'offer' ? compiled.offerHead : compiled.ackHead;
  const optionBytesTotal = head.length + compiled.configuredBytes;
  if (optionBytesTotal > capacity) return undefined; // some would be dropped or overloaded
  const reply = new Uint8Array(Math.max(OPTIONS_OFFSET + optionBytesTotal + 1, MIN_PAYLOAD_BYTES));
  reply[0] = BOOTREPLY;
  reply[1] = 1;
  reply[2] = 6;
  reply.set(packet.subarray(4, 8), 4); // xid
  reply[10] = packet[10]!; // flags
  reply[11] = packet[11]!;
  if (event === 'ack') writeIpv4(reply, 12, ciaddr);
  writeIpv4(reply, 16, compiled.address);
  writeIpv4(reply, 20, compiled.nextServer);
  reply.set(packet.subarray(28, 44), 28); // chaddr
  reply.set(MAGIC_COOKIE, HEADER_BYTES);
  // Options: the required ones, then the requested ones in request order, then the rest.
  reply.set(head, OPTIONS_OFFSET);
  let at = OPTIONS_OFFSET + head.length;
  placed.fill(0);
  const prlAt = scan[OPTIONS.parameterRequestList.code]!;
  if (prlAt >= 0) {
    const end = prlAt + optionLengthAt(packet, prlAt);
    for (let i = prlAt; i < end; i++) {
      const code = packet[i]!;
      const wire = compiled.byCode[code];
      if (wire === undefined || placed[code] === 1) continue;
      placed[code] = 1;
      reply.set(wire, at);
      at += wire.length;
    }
  }
  for (const code of compiled.configuredCodes) {
    if (placed[code] === 1) continue;
    const wire = compiled.byCode[code]!;
    reply.set(wire, at);
    at += wire.length;
  }
  reply[at] = 255;
  const flags = (packet[10]! << 8) | packet[11]!;
  // RFC 2131 §4.1 (no relay here): to ciaddr if the client has one, else broadcast if asked, else to yiaddr at chaddr.
  const destination: ReplyDestination =
    ciaddr !== 0 ? { kind: 'unicast', address: `${packet[12]}.${packet[13]}.${packet[14]}.${packet[15]}`, port: 68 } : (flags & FLAG_BROADCAST) !== 0 ? BROADCAST : compiled.linkUnicast;
  return { event, bytes: reply, destination, maxPayloadBytes, xid: readIpv4(packet, 4) };
}
