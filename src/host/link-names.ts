// Validation of everything that reaches an `ip` argument or batch line: interface names (IFNAMSIZ),
// MAC addresses, IP addresses and CIDRs. Throws VirtnetError with the offending value.
import { ipFamily } from '../api/ip-address.js';
import { IFNAME_MAX_BYTES, isLinuxInterfaceName } from '../api/linux-ifname.js';
import { isNormalisedMac } from '../api/mac-address.js';
import { VirtnetError } from '../errors/virtnet-error.js';

/** Throws INVALID_IFNAME unless `name` is a valid interface name. */
export function assertIfName(name: string): string {
  if (!isLinuxInterfaceName(name)) {
    throw new VirtnetError(
      'INVALID_IFNAME',
      `invalid interface name ${JSON.stringify(name)} (1-${IFNAME_MAX_BYTES} bytes of [A-Za-z0-9_.-])`,
      { device: name },
    );
  }
  return name;
}

/** Throws INVALID_MAC unless `mac` is lower-case colon-separated. */
export function assertMac(mac: string): string {
  if (!isNormalisedMac(mac))
    throw new VirtnetError('INVALID_MAC', `invalid MAC address ${JSON.stringify(mac)}`, { mac });
  return mac;
}

/** Throws INVALID_ADDRESS unless `value` is an IP address or CIDR (family optional). */
export function assertIpOrCidr(value: string): string {
  const [ip, prefix, extra] = value.split('/');
  const family = ipFamily(ip ?? '');
  const prefixOk =
    prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  if (family === 0 || !prefixOk || extra !== undefined) {
    throw new VirtnetError('INVALID_ADDRESS', `invalid IP address ${JSON.stringify(value)}`, {
      address: value,
    });
  }
  return value;
}

/** Throws INVALID_ARGUMENT unless `word` is a single safe token for an `ip` line. */
export function assertToken(word: string): string {
  if (!/^[A-Za-z0-9_.:/@-]+$/.test(word))
    throw new VirtnetError('INVALID_ARGUMENT', `invalid token ${JSON.stringify(word)}`, { value: word });
  return word;
}
