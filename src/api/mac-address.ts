// MAC address syntax as KubeVirt accepts it: whatever Go's net.ParseMAC parses (six, eight or twenty
// octets; `aa:bb:..`, `aa-bb-..` or `aabb.ccdd.eeff`, any case), of which KubeVirt takes six-octet
// addresses only. Which addresses a NIC can use at all (not a group address, not zero) is judged here
// too. Pure string checks, no I/O.

/** The octet counts net.ParseMAC accepts: EUI-48, EUI-64, 20-octet IP over InfiniBand. */
const PARSE_MAC_OCTETS = new Set([6, 8, 20]);

/** The octets of `text` as net.ParseMAC reads them, or undefined when it does not parse. */
function parseMacOctets(text: string): string[] | undefined {
  if (text.length < 14) return undefined;
  const sep = text[2];
  if (sep === ':' || sep === '-') {
    if ((text.length + 1) % 3 !== 0) return undefined;
    const octets: string[] = [];
    for (let i = 0; i < text.length; i += 3) {
      const pair = text.slice(i, i + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(pair) || (i + 2 < text.length && text[i + 2] !== sep)) return undefined;
      octets.push(pair);
    }
    return PARSE_MAC_OCTETS.has(octets.length) ? octets : undefined;
  }
  if (text[4] === '.') {
    if ((text.length + 1) % 5 !== 0) return undefined;
    const octets: string[] = [];
    for (let i = 0; i < text.length; i += 5) {
      const group = text.slice(i, i + 4);
      if (!/^[0-9A-Fa-f]{4}$/.test(group) || (i + 4 < text.length && text[i + 4] !== '.')) return undefined;
      octets.push(group.slice(0, 2), group.slice(2));
    }
    return PARSE_MAC_OCTETS.has(octets.length) ? octets : undefined;
  }
  return undefined;
}

/** Why `text` is not a usable MAC, or undefined when it is. */
export function checkMacAddress(text: string): 'MAC_INVALID' | 'MAC_TOO_LONG' | undefined {
  const octets = parseMacOctets(text);
  if (octets === undefined) return 'MAC_INVALID';
  return octets.length > 6 ? 'MAC_TOO_LONG' : undefined;
}

/** Lower-case, colon-separated form of a valid MAC (`AA-BB-..` and `aabb.ccdd.eeff` → `aa:bb:..`). */
export function normaliseMac(text: string): string {
  return (parseMacOctets(text) ?? []).join(':').toLowerCase();
}

/** True for the normalised form: six lower-case hex octets separated by colons. */
export function isNormalisedMac(text: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(text);
}

/** True when the I/G bit of the first octet is set (a group address: multicast or broadcast). */
export function isMulticastMac(normalised: string): boolean {
  return (parseInt(normalised.slice(0, 2), 16) & 1) === 1;
}

/** True for 00:00:00:00:00:00, which the kernel refuses as a device address. */
export function isZeroMac(normalised: string): boolean {
  return normalised === '00:00:00:00:00:00';
}
