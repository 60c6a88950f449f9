// MAC address syntax as KubeVirt accepts it: six hex octets separated by ':' or '-' (one separator
// throughout). Pure string checks, no I/O.

/** Why `text` is not a usable MAC, or undefined when it is. */
export function checkMacAddress(text: string): 'MAC_INVALID' | 'MAC_TOO_LONG' | undefined {
  const sep = text.includes(':') ? ':' : '-';
  const octets = text.split(sep);
  if (!octets.every((o) => /^[0-9A-Fa-f]{2}$/.test(o))) return 'MAC_INVALID';
  if (octets.length > 6) return 'MAC_TOO_LONG';
  if (octets.length < 6) return 'MAC_INVALID';
  return undefined;
}

/** Lower-case, colon-separated form of a valid MAC (`AA-BB-..` → `aa:bb:..`). */
export function normaliseMac(text: string): string {
  return text.replaceAll('-', ':').toLowerCase();
}

/** True when the I/G bit of the first octet is set (a group address, unusable on a NIC). */
export function isMulticastMac(normalised: string): boolean {
  return (parseInt(normalised.slice(0, 2), 16) & 1) === 1;
}
