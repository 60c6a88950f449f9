// DHCPv4 messages (RFC 2131 §2): the fixed BOOTP header, the magic cookie and the options area,
// with RFC 2131 option overload (option 52: options continued in `file` then `sname`) and RFC 3396
// long options (repeated codes concatenated). Decoding never throws; encoding respects a byte budget.
import { formatIpv4, parseIpv4, readIpv4, writeIpv4 } from '../../api/ipv4.js';
import {
  END,
  OPTIONS,
  PAD,
  decodeOptionValue,
  encodeOptionValue,
  type OptionName,
  type OptionValue,
} from './option-table.js';
import { fail, ok, type CodecResult } from './result.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** RFC 2131 §2 flags: the broadcast bit. */
export const FLAG_BROADCAST = 0x8000;
export const MAGIC_COOKIE = [99, 130, 83, 99];
export const HEADER_BYTES = 236;
export const OPTIONS_OFFSET = HEADER_BYTES + 4;
const SNAME_OFFSET = 44;
const SNAME_BYTES = 64;
const FILE_OFFSET = 108;
const FILE_BYTES = 128;
/** RFC 2131 §2: a client must accept 576-byte IP datagrams; minus IP (20) and UDP (8) headers. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 576 - 28;
/** Replies are padded to the BOOTP minimum (RFC 1542 §2.1), which some clients insist on. */
export const MIN_PAYLOAD_BYTES = 300;
/** Largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65_507;

/** A decoded (or to-be-encoded) DHCPv4 message. Addresses are dotted quads. */
export interface Dhcp4Message {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The 16-byte chaddr field; the hardware address is its first `hlen` bytes. */
  chaddr: Uint8Array;
  /** Server host name field (empty when overloaded with options). */
  sname: string;
  /** Boot file name field (empty when overloaded with options). */
  file: string;
  /** Option code → data, in first-seen order; repeated codes concatenated (RFC 3396). */
  options: Map<number, Uint8Array>;
}

/** A fresh message with every header field zero. */
export function emptyMessage(op: number): Dhcp4Message {
  return {
    op,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: new Uint8Array(16),
    sname: '',
    file: '',
    options: new Map(),
  };
}

/** The client hardware address as `aa:bb:cc:dd:ee:ff` (the first hlen bytes of chaddr). */
export function clientMac(msg: Dhcp4Message): string {
  return Array.from(msg.chaddr.subarray(0, Math.min(msg.hlen, 16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` into a 16-byte chaddr field. */
export function chaddrOf(mac: string): Uint8Array {
  const out = new Uint8Array(16);
  mac.split(':').forEach((h, i) => (out[i] = parseInt(h, 16)));
  return out;
}

/** Reads a typed option: undefined when absent, a failure when present but malformed. */
export function getOption<N extends OptionName>(
  msg: Dhcp4Message,
  name: N,
): CodecResult<OptionValue<N>> | undefined {
  const data = msg.options.get(OPTIONS[name].code);
  return data === undefined ? undefined : decodeOptionValue(name, data);
}

/** Reads a typed option, treating a malformed one as absent. */
export function optionValue<N extends OptionName>(msg: Dhcp4Message, name: N): OptionValue<N> | undefined {
  const r = getOption(msg, name);
  return r?.ok ? r.value : undefined;
}

/** Sets a typed option (replacing any previous value); a bad value is returned as a failure. */
export function setOption<N extends OptionName>(
  msg: Dhcp4Message,
  name: N,
  value: OptionValue<N>,
): CodecResult<void> {
  const r = encodeOptionValue(name, value);
  if (!r.ok) return r;
  msg.options.set(OPTIONS[name].code, r.value);
  return ok(undefined);
}

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul === -1 ? bytes : bytes.subarray(0, nul)).toString('latin1');
}

/** Walks one options area, appending to `into`; stops at END or the area's end. */
function parseOptionsArea(area: Uint8Array, into: Map<number, Uint8Array>, where: string): CodecResult<void> {
  let i = 0;
  while (i < area.length) {
    const code = area[i] ?? PAD;
    if (code === PAD) {
      i++;
      continue;
    }
    if (code === END) return ok(undefined);
    if (i + 1 >= area.length)
      return fail('OPTION_OVERRUN', `option ${code} in ${where} has no length byte`, code);
    const len = area[i + 1] ?? 0;
    if (i + 2 + len > area.length)
      return fail('OPTION_OVERRUN', `option ${code} in ${where} claims ${len} bytes past the end`, code);
    const data = area.subarray(i + 2, i + 2 + len);
    const prev = into.get(code);
    if (prev === undefined) into.set(code, Uint8Array.from(data));
    else {
      const joined = new Uint8Array(prev.length + data.length);
      joined.set(prev);
      joined.set(data, prev.length);
      into.set(code, joined);
    }
    i += 2 + len;
  }
  return ok(undefined);
}

/** Decodes a UDP payload into a message, or a typed failure (never throws). */
export function decodeMessage(packet: Uint8Array): CodecResult<Dhcp4Message> {
  if (packet.length > MAX_UDP_PAYLOAD) return fail('TOO_LONG', `${packet.length} bytes exceed a UDP payload`);
  if (packet.length < OPTIONS_OFFSET)
    return fail(
      'TRUNCATED',
      `${packet.length} bytes is shorter than the ${OPTIONS_OFFSET}-byte header and cookie`,
    );
  for (let i = 0; i < 4; i++) {
    if (packet[HEADER_BYTES + i] !== MAGIC_COOKIE[i])
      return fail('BAD_COOKIE', 'the magic cookie is not 99.130.83.99');
  }
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const op = view.getUint8(0);
  if (op !== BOOTREQUEST && op !== BOOTREPLY)
    return fail('BAD_OP', `op ${op} is neither BOOTREQUEST nor BOOTREPLY`);
  const hlen = view.getUint8(2);
  if (hlen > 16) return fail('BAD_HLEN', `hardware address length ${hlen} exceeds 16`);
  const options = new Map<number, Uint8Array>();
  const main = parseOptionsArea(packet.subarray(OPTIONS_OFFSET), options, 'options');
  if (!main.ok) return main;
  const sname = packet.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_BYTES);
  const file = packet.subarray(FILE_OFFSET, FILE_OFFSET + FILE_BYTES);
  // RFC 2131 §4.1: with option 52 the options continue in `file` (1), `sname` (2) or both, in that order.
  const overloadData = options.get(OPTIONS.optionOverload.code);
  let overload = 0;
  if (overloadData !== undefined) {
    const r = decodeOptionValue('optionOverload', overloadData);
    if (!r.ok) return r;
    overload = r.value;
    if (overload & 1) {
      const r1 = parseOptionsArea(file, options, 'file');
      if (!r1.ok) return r1;
    }
    if (overload & 2) {
      const r2 = parseOptionsArea(sname, options, 'sname');
      if (!r2.ok) return r2;
    }
  }
  return ok({
    op,
    htype: view.getUint8(1),
    hlen,
    hops: view.getUint8(3),
    xid: view.getUint32(4),
    secs: view.getUint16(8),
    flags: view.getUint16(10),
    ciaddr: formatIpv4(readIpv4(packet, 12)),
    yiaddr: formatIpv4(readIpv4(packet, 16)),
    siaddr: formatIpv4(readIpv4(packet, 20)),
    giaddr: formatIpv4(readIpv4(packet, 24)),
    chaddr: Uint8Array.from(packet.subarray(28, 44)),
    sname: overload & 2 ? '' : cString(sname),
    file: overload & 1 ? '' : cString(file),
    options,
  });
}

/** Options for encoding. */
export interface EncodeOptions {
  /** The largest DHCP payload the receiver accepts (option 57 minus 28 bytes of IP/UDP headers). */
  maxPayloadBytes?: number;
  /** Whether options may spill into empty `file`/`sname` fields (option 52); default true. */
  allowOverload?: boolean;
}

/** An encoded message and the option codes that did not fit the byte budget. */
export interface Encoded {
  bytes: Uint8Array;
  droppedOptions: number[];
}

/** Bytes one option takes on the wire: split into ≤255-byte pieces (RFC 3396), each code + length. */
function optionLength(data: Uint8Array): number {
  return data.length === 0 ? 2 : data.length + 2 * Math.ceil(data.length / 255);
}

/** Writes one option at `offset` (split as optionLength counts it); returns the offset after it. */
function writeOption(packet: Uint8Array, offset: number, code: number, data: Uint8Array): number {
  if (data.length <= 255) {
    packet[offset] = code;
    packet[offset + 1] = data.length;
    packet.set(data, offset + 2);
    return offset + 2 + data.length;
  }
  let at = offset;
  for (let i = 0; i < data.length; i += 255) {
    const piece = data.subarray(i, i + 255);
    packet[at] = code;
    packet[at + 1] = piece.length;
    packet.set(piece, at + 2);
    at += 2 + piece.length;
  }
  return at;
}

function writeText(
  packet: Uint8Array,
  offset: number,
  size: number,
  value: string,
  field: string,
): CodecResult<void> {
  if (value === '') return ok(undefined);
  const b = Buffer.from(value, 'latin1');
  if (b.length >= size) return fail('TOO_LONG', `${field} is longer than ${size - 1} bytes`);
  packet.set(b, offset);
  return ok(undefined);
}

/**
 * Encodes a message. Options are placed in map order; those that fit neither the options area nor
 * (when overloading) `file` and `sname` are dropped and reported, so callers order by priority.
 */
export function encodeMessage(msg: Dhcp4Message, encodeOptions: EncodeOptions = {}): CodecResult<Encoded> {
  const maxPayload = Math.min(
    Math.max(encodeOptions.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, MIN_PAYLOAD_BYTES),
    MAX_UDP_PAYLOAD,
  );
  const ciaddr = parseIpv4(msg.ciaddr);
  const yiaddr = parseIpv4(msg.yiaddr);
  const siaddr = parseIpv4(msg.siaddr);
  const giaddr = parseIpv4(msg.giaddr);
  if (ciaddr === undefined || yiaddr === undefined || siaddr === undefined || giaddr === undefined) {
    return fail('BAD_VALUE', 'ciaddr, yiaddr, siaddr and giaddr must be IPv4 addresses');
  }
  if (msg.chaddr.length > 16 || msg.hlen > 16) return fail('BAD_HLEN', 'chaddr holds at most 16 bytes');
  const mainCapacity = maxPayload - OPTIONS_OFFSET - 1;
  let totalMain = 0;
  for (const [code, data] of msg.options) if (placeable(code)) totalMain += optionLength(data);
  // Placement first (lengths only), then one buffer: areas in RFC 2131 order — options, then file,
  // then sname (option 52 overload) — each keeping one byte for END; option 52 itself takes 3 bytes
  // of the options area, needed only when the options do not all fit there.
  const overloading =
    (encodeOptions.allowOverload ?? true) && msg.sname === '' && msg.file === '' && totalMain > mainCapacity;
  const reservedMain = overloading ? 3 : 0;
  const main: number[] = [];
  const fileArea: number[] = [];
  const snameArea: number[] = [];
  const dropped: number[] = [];
  let mainBytes = 0;
  let fileBytes = 0;
  let snameBytes = 0;
  for (const [code, data] of msg.options) {
    if (!placeable(code)) continue;
    const n = optionLength(data);
    if (mainBytes + n <= mainCapacity - reservedMain) {
      main.push(code);
      mainBytes += n;
    } else if (overloading && fileBytes + n <= FILE_BYTES - 1) {
      fileArea.push(code);
      fileBytes += n;
    } else if (overloading && snameBytes + n <= SNAME_BYTES - 1) {
      snameArea.push(code);
      snameBytes += n;
    } else dropped.push(code);
  }
  const overload = (fileArea.length > 0 ? 1 : 0) | (snameArea.length > 0 ? 2 : 0);
  const optionsBytes = (overload !== 0 ? 3 : 0) + mainBytes + 1;
  const packet = new Uint8Array(Math.max(OPTIONS_OFFSET + optionsBytes, MIN_PAYLOAD_BYTES));
  const header = writeHeader(packet, msg, ciaddr, yiaddr, siaddr, giaddr);
  if (!header.ok) return header;
  const writeArea = (codes: number[], offset: number): number => {
    let at = offset;
    for (const code of codes) at = writeOption(packet, at, code, msg.options.get(code)!);
    packet[at] = END;
    return at + 1;
  };
  let at = OPTIONS_OFFSET;
  if (overload !== 0) {
    packet[at] = OPTIONS.optionOverload.code;
    packet[at + 1] = 1;
    packet[at + 2] = overload;
    at += 3;
  }
  writeArea(main, at);
  if (fileArea.length > 0) writeArea(fileArea, FILE_OFFSET);
  if (snameArea.length > 0) writeArea(snameArea, SNAME_OFFSET);
  return ok({ bytes: packet, droppedOptions: dropped });
}

/** Option 52 is the encoder's to write; PAD and END are not options. */
function placeable(code: number): boolean {
  return code !== OPTIONS.optionOverload.code && code !== PAD && code !== END;
}

/** The fixed header, sname, file and magic cookie. */
function writeHeader(
  packet: Uint8Array,
  msg: Dhcp4Message,
  ciaddr: number,
  yiaddr: number,
  siaddr: number,
  giaddr: number,
): CodecResult<void> {
  packet[0] = msg.op;
  packet[1] = msg.htype;
  packet[2] = msg.hlen;
  packet[3] = msg.hops;
  writeIpv4(packet, 4, msg.xid >>> 0);
  packet[8] = (msg.secs >>> 8) & 0xff;
  packet[9] = msg.secs & 0xff;
  packet[10] = (msg.flags >>> 8) & 0xff;
  packet[11] = msg.flags & 0xff;
  writeIpv4(packet, 12, ciaddr);
  writeIpv4(packet, 16, yiaddr);
  writeIpv4(packet, 20, siaddr);
  writeIpv4(packet, 24, giaddr);
  packet.set(msg.chaddr, 28);
  const sn = writeText(packet, SNAME_OFFSET, SNAME_BYTES, msg.sname, 'sname');
  if (!sn.ok) return sn;
  const fl = writeText(packet, FILE_OFFSET, FILE_BYTES, msg.file, 'file');
  if (!fl.ok) return fl;
  packet.set(MAGIC_COOKIE, HEADER_BYTES);
  return ok(undefined);
}
