// The DHCPv4 option table: every option virtnet understands, declared once with its code, name,
// defining RFC and value codec. Everything else (typed reads and writes, the identity tests, the
// server's reply builder) walks this table; options not in it travel as opaque bytes.
import * as c from './option-codecs.js';
import type { OptionCodec } from './option-codecs.js';
import type { CodecResult } from './result.js';
import { fail } from './result.js';

/** DHCP message types, RFC 2132 §9.6 (option 53). */
export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type MessageTypeName = keyof typeof MessageType;

/** One table row. */
export interface OptionSpec<T> {
  code: number;
  rfc: string;
  codec: OptionCodec<T>;
}

function opt<T>(code: number, rfc: string, codec: OptionCodec<T>): OptionSpec<T> {
  return { code, rfc, codec };
}

/** The table, keyed by name. Codes 224–254 are the site-specific range (RFC 2132 §9.... / RFC 3942). */
export const OPTIONS = {
  subnetMask: opt(1, 'RFC 2132 §3.3', c.ipv4),
  timeOffset: opt(2, 'RFC 2132 §3.4', c.int32),
  routers: opt(3, 'RFC 2132 §3.5', c.ipv4List),
  domainNameServers: opt(6, 'RFC 2132 §3.8', c.ipv4List),
  hostName: opt(12, 'RFC 2132 §3.14', c.text),
  domainName: opt(15, 'RFC 2132 §3.17', c.text),
  interfaceMtu: opt(26, 'RFC 2132 §5.1', c.uint16),
  broadcastAddress: opt(28, 'RFC 2132 §5.3', c.ipv4),
  staticRoutes: opt(33, 'RFC 2132 §5.8', c.ipv4List),
  ntpServers: opt(42, 'RFC 2132 §8.3', c.ipv4List),
  vendorSpecific: opt(43, 'RFC 2132 §8.4', c.bytes),
  requestedIpAddress: opt(50, 'RFC 2132 §9.1', c.ipv4),
  leaseTimeSeconds: opt(51, 'RFC 2132 §9.2', c.uint32),
  optionOverload: opt(52, 'RFC 2132 §9.3', c.enumByte([1, 2, 3])),
  messageType: opt(53, 'RFC 2132 §9.6', c.enumByte(Object.values(MessageType))),
  serverIdentifier: opt(54, 'RFC 2132 §9.7', c.ipv4),
  parameterRequestList: opt(55, 'RFC 2132 §9.8', c.codeList),
  message: opt(56, 'RFC 2132 §9.9', c.text),
  maxMessageSize: opt(57, 'RFC 2132 §9.10', c.maxMessageSize),
  renewalTimeSeconds: opt(58, 'RFC 2132 §9.11', c.uint32),
  rebindingTimeSeconds: opt(59, 'RFC 2132 §9.12', c.uint32),
  vendorClassIdentifier: opt(60, 'RFC 2132 §9.13', c.bytes),
  clientIdentifier: opt(61, 'RFC 2132 §9.14', c.bytes),
  tftpServerName: opt(66, 'RFC 2132 §9.4', c.text),
  bootfileName: opt(67, 'RFC 2132 §9.5', c.text),
  userClass: opt(77, 'RFC 3004', c.bytes),
  rapidCommit: opt(80, 'RFC 4039', c.flag),
  clientFqdn: opt(81, 'RFC 4702', c.bytes),
  clientSystemArchitecture: opt(93, 'RFC 4578 §2.1', c.bytes),
  clientNetworkInterfaceId: opt(94, 'RFC 4578 §2.2', c.bytes),
  clientMachineId: opt(97, 'RFC 4578 §2.3', c.bytes),
  autoConfigure: opt(116, 'RFC 2563', c.uint8),
  domainSearch: opt(119, 'RFC 3397', c.domainSearch),
  classlessStaticRoutes: opt(121, 'RFC 3442', c.classlessRoutes),
  forcerenewNonceCapable: opt(145, 'RFC 6704', c.bytes),
} as const;

export type OptionName = keyof typeof OPTIONS;
/** The value type of a named option. */
export type OptionValue<N extends OptionName> = (typeof OPTIONS)[N] extends OptionSpec<infer T> ? T : never;

/** Option codes with structural meaning in the options area. */
export const PAD = 0;
export const END = 255;

/** The site-specific range (RFC 3942): virtnet sends configured private options as text. */
export const PRIVATE_MIN = 224;
export const PRIVATE_MAX = 254;

const byCode = new Map<number, { name: OptionName; spec: OptionSpec<unknown> }>(
  Object.entries(OPTIONS).map(([name, spec]) => [spec.code, { name: name as OptionName, spec: spec }]),
);

/** The table row of a code, if virtnet knows it. */
export function optionByCode(code: number): { name: OptionName; spec: OptionSpec<unknown> } | undefined {
  return byCode.get(code);
}

/** Option data → typed value; failures carry the option code. */
export function decodeOptionValue<N extends OptionName>(
  name: N,
  data: Uint8Array,
): CodecResult<OptionValue<N>> {
  const spec = OPTIONS[name] as OptionSpec<OptionValue<N>>;
  const r = spec.codec.decode(data);
  return r.ok ? r : fail(r.code, `option ${spec.code} (${name}): ${r.message}`, spec.code);
}

/** Typed value → option data; failures carry the option code. */
export function encodeOptionValue<N extends OptionName>(
  name: N,
  value: OptionValue<N>,
): CodecResult<Uint8Array> {
  const spec = OPTIONS[name] as OptionSpec<OptionValue<N>>;
  const r = spec.codec.encode(value);
  return r.ok ? r : fail(r.code, `option ${spec.code} (${name}): ${r.message}`, spec.code);
}
