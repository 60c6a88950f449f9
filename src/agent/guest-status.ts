// The VMI's `status.interfaces` from the launcher's guest.json: each VM interface the guest has been
// ACKed on is reported with the MAC and addresses the guest got (infoSource `guest-dhcp`, which the
// controller keeps when it writes status); the others keep what the status already says. Pure.
import type { VmiInterfaceStatus } from '../kube/vmi-status.js';
import type { GuestFile } from '../state/kube-pod-dir.js';

/** Marks an entry the node side reported (src/kube/vmi-status.ts keeps those). */
export const GUEST_INFO_SOURCE = 'guest-dhcp';

/** `status.interfaces` for interfaces `names` (spec order) after the guest's ACKs in `guest`. */
export function guestInterfaceStatuses(
  names: readonly string[],
  guest: GuestFile,
  previous: readonly VmiInterfaceStatus[],
): VmiInterfaceStatus[] {
  return names.map((name) => {
    const before = previous.find((p) => p.name === name);
    const acked = guest.interfaces.find((g) => g.name === name);
    if (!acked) return before ?? { name };
    const ips = acked.ipAddresses ?? (acked.ipAddress ? [acked.ipAddress] : []);
    return {
      name,
      mac: acked.mac,
      ...(ips.length > 0 ? { ipAddress: acked.ipAddress ?? ips[0]!, ipAddresses: ips } : {}),
      ...(before?.interfaceName !== undefined ? { interfaceName: before.interfaceName } : {}),
      infoSource: GUEST_INFO_SOURCE,
    };
  });
}

/** Parses guest.json text; undefined for anything not shaped like it (a reader never sees half a file). */
export function parseGuestFile(text: string): GuestFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ifaces = (value as { interfaces?: unknown } | null)?.interfaces;
  if (!Array.isArray(ifaces)) return undefined;
  const out: GuestFile = { interfaces: [] };
  for (const i of ifaces as Record<string, unknown>[]) {
    if (typeof i?.name !== 'string' || typeof i.mac !== 'string') continue;
    const ipAddresses = Array.isArray(i.ipAddresses)
      ? i.ipAddresses.filter((a): a is string => typeof a === 'string')
      : undefined;
    out.interfaces.push({
      name: i.name,
      mac: i.mac,
      ...(typeof i.ipAddress === 'string' ? { ipAddress: i.ipAddress } : {}),
      ...(ipAddresses ? { ipAddresses } : {}),
      ...(typeof i.ackedAt === 'string' ? { ackedAt: i.ackedAt } : {}),
    });
  }
  return out;
}
