// Dotted-quad IPv4 addresses as numbers: parsing, formatting and prefix arithmetic over unsigned
// 32-bit numbers, for the DHCP codec and server and the planners. Pure.

/**
 * Parses a dotted quad into an unsigned 32-bit number, or undefined when it is not one: four
 * decimal parts 0-255, no leading zeros, nothing else. A hand-written scan (the DHCP server runs it
 * four times per reply; a regular expression and split cost several times more).
 */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a virtual '.' ends the last part
    if (c === 46) {
      if (digits === 0 || ++parts > 4) return undefined;
      value = ((value << 8) | part) >>> 0;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else return undefined;
  }
  return parts === 4 ? value : undefined;
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
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
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

/** Writes an address as four bytes at `offset`. */
export function writeIpv4(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
