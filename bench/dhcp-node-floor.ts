// The floor of any DHCP server written for Node on this machine, for bench/dhcp.ts: it answers
// every DISCOVER with an OFFER and every REQUEST with an ACK that were encoded once at start-up
// (by virtnet's own codec, for the bench's lease), patching in the xid — no decoding, no lookup,
// no decision. Same sockets as virtnet's server (udp-socket.ts: native when built; 0.0.0.0:67 to
// receive, a socket on the server address to send). Run inside the pod namespace:
// `node --import tsx bench/dhcp-node-floor.ts CONFIG.json`; prints `ready`.
import { readFileSync } from 'node:fs';
import { BOOTREQUEST, chaddrOf, emptyMessage, encodeMessage, setOption } from '../src/dhcp/codec/message.js';
import { MessageType } from '../src/dhcp/codec/option-table.js';
import { respond } from '../src/dhcp/responder.js';
import type { Dhcp4ServerConfig } from '../src/dhcp/server-config.js';
import { openUdpSocket } from '../src/dhcp/udp-socket.js';

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Dhcp4ServerConfig;
const lease = config.leases[0]!;

/** virtnet's reply to a udhcpc-like request of `type`. */
function cannedReply(type: number): Buffer {
  const request = emptyMessage(BOOTREQUEST);
  request.chaddr = chaddrOf(lease.clientMac);
  setOption(request, 'messageType', type);
  setOption(request, 'parameterRequestList', [1, 3, 6, 12, 15, 26, 28, 42, 119, 121]);
  setOption(request, 'maxMessageSize', 576);
  if (type === MessageType.REQUEST) {
    setOption(request, 'serverIdentifier', lease.serverAddress);
    setOption(request, 'requestedIpAddress', lease.address);
  }
  const decision = respond(request, lease);
  if (decision.action !== 'reply') throw new Error(`no reply to message type ${type}`);
  const encoded = encodeMessage(decision.reply, { maxPayloadBytes: decision.maxPayloadBytes });
  if (!encoded.ok) throw new Error(encoded.message);
  return Buffer.from(encoded.value.bytes);
}

const offer = cannedReply(MessageType.DISCOVER);
const ack = cannedReply(MessageType.REQUEST);
const onSendError = (message: string) => process.stderr.write(`${message}\n`);
const send = await openUdpSocket({ address: lease.serverAddress, port: 67, broadcast: true, onPacket: () => undefined, onSendError });
await openUdpSocket({
  address: '0.0.0.0', port: 67, broadcast: false, onSendError,
  onPacket(packet) {
    let type = 0;
    for (let i = 240; i + 2 < packet.length && packet[i] !== 255; ) {
      if (packet[i] === 0) {
        i++;
        continue;
      }
      if (packet[i] === 53) type = packet[i + 2]!;
      i += 2 + packet[i + 1]!;
    }
    const reply = type === MessageType.DISCOVER ? offer : type === MessageType.REQUEST ? ack : undefined;
    if (reply === undefined) return;
    reply.set(packet.subarray(4, 8), 4);
    send.send(reply, '255.255.255.255', 68);
  },
});
process.on('SIGTERM', () => process.exit(0));
process.stdout.write('ready\n');
