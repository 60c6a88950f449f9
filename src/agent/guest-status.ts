// The VMI's `status.interfaces` from the launcher's guest.json: each VM interface the guest has been
// ACKed on is reported with the MAC and addresses the guest got (infoSource `guest-dhcp`, which the
// controller keeps when it writes status); the others keep what the status already says. A masquerade
// interface keeps the pod's addresses: the guest's own is private to the pod, the VM is reached at
// the pod IP. Pure.
import type { VmiInterfaceStatus } from '../kube/vmi-status.js';
import type { GuestReport } from '../state/launcher-files.js';

/** Marks an entry the node side reported (src/kube/vmi-status.ts keeps those). */
export const GUEST_INFO_SOURCE = 'guest-dhcp';

/** `status.interfaces` for interfaces `names` (spec order) after the guest's ACKs in `guest`. */
export function guestInterfaceStatuses(
  ifaces: readonly { name: string; masquerade: boolean }[],
  guest: GuestReport,
  previous: readonly VmiInterfaceStatus[],
): VmiInterfaceStatus[] {
  return ifaces.map(({ name, masquerade }) => {
    const before = previous.find((p) => p.name === name);
    const acked = guest.interfaces.find((g) => g.name === name);
    if (!acked) return before ?? { name };
    const podAddress = masquerade && before?.ipAddress !== undefined;
    const ips = podAddress
      ? (before.ipAddresses ?? [before.ipAddress!])
      : acked.ipAddresses.length > 0
        ? acked.ipAddresses
        : [acked.ipAddress];
    return {
      name,
      mac: acked.mac,
      ipAddress: podAddress ? before.ipAddress! : acked.ipAddress,
      ipAddresses: ips,
      ...(before?.interfaceName !== undefined ? { interfaceName: before.interfaceName } : {}),
      infoSource: GUEST_INFO_SOURCE,
    };
  });
}

/** Parses guest.json text; undefined for anything not shaped like it (a reader never sees half a file). */
export function parseGuestFile(text: string): GuestReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ifaces = (value as { interfaces?: unknown } | null)?.interfaces;
  if (!Array.isArray(ifaces)) return undefined;
  const out: GuestReport = { interfaces: [] };
  for (const i of ifaces as Record<string, unknown>[]) {
    if (typeof i?.name !== 'string' || typeof i.mac !== 'string' || typeof i.ipAddress !== 'string') continue;
    const ipAddresses = Array.isArray(i.ipAddresses)
      ? i.ipAddresses.filter((a): a is string => typeof a === 'string')
      : [i.ipAddress];
    out.interfaces.push({
      name: i.name,
      mac: i.mac,
      ipAddress: i.ipAddress,
      ipAddresses,
      ackedAt: typeof i.ackedAt === 'string' ? i.ackedAt : '',
    });
  }
  return out;
}
