// The DHCPv4 protocol decisions of RFC 2131 §4.3 for a server that owns exactly one address per
// client MAC: DISCOVER→OFFER; REQUEST in SELECTING, INIT-REBOOT, RENEWING and REBINDING → ACK or
// NAK; DECLINE; RELEASE; INFORM; and where each reply goes (§4.1). Pure: message in, decision out.
import type { Dhcp4Lease } from './server-config.js';
import { parseIpv4 } from '../api/ipv4.js';
import {
  BOOTREPLY,
  BOOTREQUEST,
  DEFAULT_MAX_PAYLOAD_BYTES,
  FLAG_BROADCAST,
  emptyMessage,
  optionValue,
  setOption,
  type Dhcp4Message,
} from './codec/message.js';
import { MessageType, OPTIONS, encodeOptionValue } from './codec/option-table.js';
import { INFINITE_LEASE_SECONDS, leaseConfigOptions, orderForRequest } from './lease-options.js';

/** Where a reply goes (RFC 2131 §4.1). */
export type ReplyDestination =
  | { kind: 'broadcast' }
  /** To an address the client already owns (ciaddr) or a relay (giaddr). */
  | { kind: 'unicast'; address: string; port: number }
  /** To yiaddr at chaddr without ARP; a server that cannot do that broadcasts (§4.1 allows it). */
  | { kind: 'link-unicast'; address: string };

/** Names of what happened, used in logs and statistics. */
export type ReplyEvent = 'offer' | 'ack' | 'nak' | 'inform';
export type IgnoreReason = 'not-a-request' | 'bootp' | 'other-server' | 'server-message' | 'bad-request';

/** What the server should do with one request. */
export type Decision =
  | {
      action: 'reply';
      event: ReplyEvent;
      reply: Dhcp4Message;
      destination: ReplyDestination;
      maxPayloadBytes: number;
    }
  | { action: 'record'; event: 'decline' | 'release'; detail: string }
  | { action: 'ignore'; reason: IgnoreReason };

const ZERO = '0.0.0.0';

function replySkeleton(request: Dhcp4Message, lease: Dhcp4Lease): Dhcp4Message {
  const reply = emptyMessage(BOOTREPLY);
  reply.htype = request.htype;
  reply.hlen = request.hlen;
  reply.xid = request.xid;
  reply.flags = request.flags;
  reply.giaddr = request.giaddr;
  reply.chaddr = Uint8Array.from(request.chaddr);
  const tftp = lease.tftpServerName === undefined ? undefined : parseIpv4(lease.tftpServerName);
  if (tftp !== undefined) reply.siaddr = lease.tftpServerName ?? ZERO;
  return reply;
}

/** The options every reply of `type` to this lease's client carries first. */
function requiredOptions(type: number, lease: Dhcp4Lease, withLease: boolean): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const put = (code: number, r: ReturnType<typeof encodeOptionValue>): void => {
    if (r.ok) out.set(code, r.value);
  };
  put(OPTIONS.messageType.code, encodeOptionValue('messageType', type));
  put(OPTIONS.serverIdentifier.code, encodeOptionValue('serverIdentifier', lease.serverAddress));
  if (withLease) {
    put(OPTIONS.leaseTimeSeconds.code, encodeOptionValue('leaseTimeSeconds', lease.leaseSeconds));
    if (lease.leaseSeconds !== INFINITE_LEASE_SECONDS) {
      // RFC 2131 §4.4.5 defaults: T1 = 0.5 × lease, T2 = 0.875 × lease.
      put(
        OPTIONS.renewalTimeSeconds.code,
        encodeOptionValue('renewalTimeSeconds', Math.floor(lease.leaseSeconds / 2)),
      );
      put(
        OPTIONS.rebindingTimeSeconds.code,
        encodeOptionValue('rebindingTimeSeconds', Math.floor((lease.leaseSeconds * 7) / 8)),
      );
    }
  }
  return out;
}

/** The largest payload the client accepts: option 57 minus IP/UDP headers, else 548 bytes. */
export function clientMaxPayloadBytes(request: Dhcp4Message): number {
  const max = optionValue(request, 'maxMessageSize');
  return max === undefined ? DEFAULT_MAX_PAYLOAD_BYTES : max - 28;
}

/** RFC 2131 §4.1 destination for an OFFER/ACK (or NAK when `nak`). */
export function replyDestination(request: Dhcp4Message, yiaddr: string, nak: boolean): ReplyDestination {
  if (request.giaddr !== ZERO) return { kind: 'unicast', address: request.giaddr, port: 67 };
  if (nak) return { kind: 'broadcast' };
  if (request.ciaddr !== ZERO) return { kind: 'unicast', address: request.ciaddr, port: 68 };
  if ((request.flags & FLAG_BROADCAST) !== 0 || yiaddr === ZERO) return { kind: 'broadcast' };
  return { kind: 'link-unicast', address: yiaddr };
}

function offerOrAck(request: Dhcp4Message, lease: Dhcp4Lease, type: number, event: ReplyEvent): Decision {
  const reply = replySkeleton(request, lease);
  reply.yiaddr = lease.address;
  if (type === MessageType.ACK) reply.ciaddr = request.ciaddr;
  reply.options = orderForRequest(
    requiredOptions(type, lease, true),
    leaseConfigOptions(lease),
    optionValue(request, 'parameterRequestList'),
  );
  return {
    action: 'reply',
    event,
    reply,
    destination: replyDestination(request, lease.address, false),
    maxPayloadBytes: clientMaxPayloadBytes(request),
  };
}

function nak(request: Dhcp4Message, lease: Dhcp4Lease, why: string): Decision {
  const reply = replySkeleton(request, lease);
  reply.siaddr = ZERO;
  reply.options = new Map(requiredOptions(MessageType.NAK, lease, false));
  setOption(reply, 'message', why);
  if (request.giaddr !== ZERO) reply.flags |= FLAG_BROADCAST;
  return {
    action: 'reply',
    event: 'nak',
    reply,
    destination: replyDestination(request, ZERO, true),
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  };
}

/** Decides the answer to `request` from the client that owns `lease` (matched by chaddr). */
export function respond(request: Dhcp4Message, lease: Dhcp4Lease): Decision {
  if (request.op !== BOOTREQUEST) return { action: 'ignore', reason: 'not-a-request' };
  const type = optionValue(request, 'messageType');
  if (type === undefined) return { action: 'ignore', reason: 'bootp' };
  const serverId = optionValue(request, 'serverIdentifier');
  const requested = optionValue(request, 'requestedIpAddress');
  switch (type) {
    case MessageType.DISCOVER:
      return offerOrAck(request, lease, MessageType.OFFER, 'offer');
    case MessageType.REQUEST: {
      if (serverId !== undefined) {
        // SELECTING: the client picked a server; another server's REQUEST is none of our business.
        if (serverId !== lease.serverAddress) return { action: 'ignore', reason: 'other-server' };
        const wanted = requested ?? request.ciaddr;
        return wanted === lease.address
          ? offerOrAck(request, lease, MessageType.ACK, 'ack')
          : nak(request, lease, `requested ${wanted}, this client's address is another`);
      }
      if (request.ciaddr === ZERO) {
        // INIT-REBOOT: verify the remembered address.
        if (requested === undefined) return { action: 'ignore', reason: 'bad-request' };
        return requested === lease.address
          ? offerOrAck(request, lease, MessageType.ACK, 'ack')
          : nak(request, lease, `requested ${requested}, this client's address is another`);
      }
      // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the address in use.
      return request.ciaddr === lease.address
        ? offerOrAck(request, lease, MessageType.ACK, 'ack')
        : nak(request, lease, `address ${request.ciaddr} is not this client's`);
    }
    case MessageType.DECLINE:
      if (serverId !== undefined && serverId !== lease.serverAddress)
        return { action: 'ignore', reason: 'other-server' };
      return {
        action: 'record',
        event: 'decline',
        detail: `client reports ${requested ?? lease.address} in use`,
      };
    case MessageType.RELEASE:
      if (serverId !== undefined && serverId !== lease.serverAddress)
        return { action: 'ignore', reason: 'other-server' };
      return { action: 'record', event: 'release', detail: `client released ${request.ciaddr}` };
    case MessageType.INFORM: {
      // RFC 2131 §4.3.5: configuration only — no yiaddr, no lease time; sent to ciaddr.
      const reply = replySkeleton(request, lease);
      reply.ciaddr = request.ciaddr;
      reply.options = orderForRequest(
        requiredOptions(MessageType.ACK, lease, false),
        leaseConfigOptions(lease),
        optionValue(request, 'parameterRequestList'),
      );
      return {
        action: 'reply',
        event: 'inform',
        reply,
        destination: replyDestination(request, ZERO, false),
        maxPayloadBytes: clientMaxPayloadBytes(request),
      };
    }
    default:
      return { action: 'ignore', reason: 'server-message' };
  }
}
