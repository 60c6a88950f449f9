// Dotted-quad IPv4 addresses as used in DHCP: parsing, formatting and prefix arithmetic over
// unsigned 32-bit numbers. Pure.

const QUAD_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses a dotted quad into an unsigned 32-bit number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  if (!QUAD_RE.test(text)) return undefined;
  return text.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** The netmask of a prefix length (0–32) as an unsigned 32-bit number. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The directed broadcast address of `address/prefixLength`. */
export function broadcastOf(address: number, prefixLength: number): number {
  return (address | ~prefixMask(prefixLength)) >>> 0;
}

/** Reads four bytes at `offset` as an address (the caller checks bounds). */
export function readIpv4(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] ?? 0) << 24) | ((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0)) >>> 0;
}

/** Writes an address as four bytes at `offset`. */
export function writeIpv4(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
