// Validation of the DHCP server configuration file (a Dhcp4ServerConfig as JSON). Collects every
// issue with its field path (`leases[1].clientMac`) instead of stopping at the first, and checks
// that each option value actually encodes, so the running server never meets an unencodable value.
import { z } from 'zod';
import { encodeClasslessRoutes } from './codec/classless-routes.js';
import { encodeDomainSearch } from './codec/domain-search.js';
import { parseIpv4 } from '../api/ipv4.js';
import { PRIVATE_MAX, PRIVATE_MIN } from './codec/option-table.js';
import type { Dhcp4ServerConfig } from './server-config.js';

/** One configuration problem: where and what. */
export interface ConfigIssue {
  path: string;
  message: string;
}

const ipv4 = z.string().refine((s) => parseIpv4(s) !== undefined, 'not an IPv4 address (dotted quad)');
const text = z.string().min(1).max(255);
const ifname = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'not an interface name (1–15 bytes of [A-Za-z0-9_.:-])');
const mac = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/, 'not a MAC address (aa:bb:cc:dd:ee:ff)')
  .transform((s) => s.toLowerCase());

const lease = z.object({
  clientMac: mac,
  bridge: ifname,
  serverAddress: ipv4,
  address: ipv4,
  prefixLength: z.number().int().min(1).max(32),
  routers: z.array(ipv4),
  classlessRoutes: z
    .array(z.object({ destination: z.string(), gateway: ipv4 }))
    .superRefine((routes, ctx) => {
      const r = encodeClasslessRoutes(routes);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
    }),
  dnsServers: z.array(ipv4),
  searchDomains: z.array(z.string()).superRefine((domains, ctx) => {
    const r = encodeDomainSearch(domains);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
  }),
  domainName: text.optional(),
  hostname: text.optional(),
  mtuBytes: z.number().int().min(68).max(65535).optional(),
  leaseSeconds: z.number().int().min(1).max(0xffffffff),
  ntpServers: z.array(ipv4),
  tftpServerName: text.optional(),
  bootFileName: text.optional(),
  privateOptions: z.array(
    z.object({ code: z.number().int().min(PRIVATE_MIN).max(PRIVATE_MAX), value: text }),
  ),
});

const config = z.object({ leases: z.array(lease) }).superRefine((cfg, ctx) => {
  const macs = new Map<string, number>();
  const bridgeAddress = new Map<string, string>();
  cfg.leases.forEach((l, i) => {
    const seen = macs.get(l.clientMac);
    if (seen !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['leases', i, 'clientMac'],
        message: `MAC ${l.clientMac} is already served by leases[${seen}]`,
      });
    macs.set(l.clientMac, i);
    const addr = bridgeAddress.get(l.bridge);
    if (addr !== undefined && addr !== l.serverAddress) {
      ctx.addIssue({
        code: 'custom',
        path: ['leases', i, 'serverAddress'],
        message: `bridge ${l.bridge} already has server address ${addr}`,
      });
    }
    bridgeAddress.set(l.bridge, l.serverAddress);
  });
});

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`,
    '',
  );
}

/** Validates parsed JSON as a Dhcp4ServerConfig (MACs normalised to lower case). */
export function parseDhcp4ServerConfig(
  input: unknown,
): { ok: true; config: Dhcp4ServerConfig } | { ok: false; issues: ConfigIssue[] } {
  const r = config.safeParse(input);
  if (r.success) return { ok: true, config: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}
