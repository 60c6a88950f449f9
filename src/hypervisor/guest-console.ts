// The virtnet guest's serial-console protocol (documented in guest/README.md): lines starting with
// `VIRTNET-` followed by space-separated key=value words. One VIRTNET-NIC line per NIC once it is
// configured (again whenever it changes, e.g. IPv6 arrives by RA; the last line wins), VIRTNET-BOOT
// first, VIRTNET-READY once every NIC reported and HTTP (80) and echo (7) listen. Parsing is pure.

/** What the guest reports about one NIC. */
export interface GuestNicReport {
  name: string;
  mac: string;
  /** `a.b.c.d/nn`, absent when the NIC has no IPv4 address. */
  ipv4?: string;
  gateway4?: string;
  mtuBytes: number;
  /** RX queues the guest driver uses (multiqueue). */
  queues: number;
  dns: string[];
  search: string[];
  /** Global IPv6 addresses with prefix. */
  ipv6: string[];
  gateway6?: string;
  driver?: string;
  /** The NIC's guest PCI address, e.g. 0000:00:03.0. */
  pci?: string;
  /** DHCP option 66 (TFTP server name) and 67 (boot file name) when the server sent them. */
  tftpServer?: string;
  bootFile?: string;
  /** bound: DHCP lease; failed/timeout: no lease (yet); static: cloud-init seed; off: left unconfigured. */
  dhcp: 'bound' | 'failed' | 'timeout' | 'static' | 'off' | 'none';
}

/** One protocol line. */
export type GuestConsoleEvent =
  | { kind: 'boot'; kernel: string; hostname: string }
  | { kind: 'nic'; nic: GuestNicReport }
  | { kind: 'ready'; nics: number; uptimeSeconds: number }
  | { kind: 'poweroff' };

const DHCP_STATES = new Set(['bound', 'failed', 'timeout', 'static', 'off', 'none']);

function fields(rest: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const word of rest.trim().split(/\s+/)) {
    const eq = word.indexOf('=');
    if (eq > 0) map.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return map;
}

const list = (v: string | undefined): string[] => (v ? v.split(',').filter(Boolean) : []);

/** Parses one console line; undefined for anything that is not a (well-formed) protocol line. */
export function parseConsoleLine(line: string): GuestConsoleEvent | undefined {
  // Serial output before the kernel may leave terminal escapes on the same line: find the marker.
  const m = /VIRTNET-(BOOT|NIC|READY|POWEROFF)(?=\s|$)(.*)$/.exec(line.replace(/\r/g, ''));
  if (!m) return undefined;
  const f = fields(m[2] ?? '');
  switch (m[1]) {
    case 'BOOT':
      return { kind: 'boot', kernel: f.get('kernel') ?? '', hostname: f.get('hostname') ?? '' };
    case 'READY':
      return { kind: 'ready', nics: Number(f.get('nics') ?? 0), uptimeSeconds: Number(f.get('uptime') ?? 0) };
    case 'POWEROFF':
      return { kind: 'poweroff' };
    default: {
      const name = f.get('name');
      const mac = f.get('mac');
      const mtu = Number(f.get('mtu'));
      if (!name || !mac || !Number.isInteger(mtu)) return undefined;
      const ipv4 = f.get('ipv4');
      const dhcp = f.get('dhcp') ?? 'none';
      const nic: GuestNicReport = {
        name,
        mac: mac.toLowerCase(),
        mtuBytes: mtu,
        queues: Number(f.get('queues') ?? 1),
        dns: list(f.get('dns')),
        search: list(f.get('search')),
        ipv6: list(f.get('ipv6')),
        dhcp: (DHCP_STATES.has(dhcp) ? dhcp : 'none') as GuestNicReport['dhcp'],
      };
      if (ipv4 && ipv4 !== 'none') nic.ipv4 = ipv4;
      const optional: [keyof GuestNicReport, string][] = [
        ['gateway4', 'gw'],
        ['gateway6', 'gw6'],
        ['driver', 'driver'],
        ['pci', 'pci'],
        ['tftpServer', 'tftp'],
        ['bootFile', 'bootfile'],
      ];
      for (const [key, word] of optional) {
        const v = f.get(word);
        if (v) (nic as unknown as Record<string, string>)[key] = v;
      }
      return { kind: 'nic', nic };
    }
  }
}

/** Splits a byte stream into lines and parses each; feed chunks, get events. */
export class GuestConsoleParser {
  private pending = '';

  /** Feeds console bytes; returns the events of every line completed by this chunk. */
  push(chunk: string): GuestConsoleEvent[] {
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.map(parseConsoleLine).filter((e): e is GuestConsoleEvent => e !== undefined);
  }
}
