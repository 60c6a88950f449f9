// The zod schema of the network part of KubeVirt's VM API: field types, enums and single-field
// formats, each failing refinement tagged with a stable issue code (`params.code`). Cross-field rules
// (names match, bindings vs networks, uniqueness) live in network-rules.ts. Unknown fields are kept
// and ignored (loose objects), so cpu, disks, volumes, labels never cause errors. Also the source of
// the `virtnet crd` schema.
import { z } from 'zod';
import { NIC_MODELS } from './types.js';
import { checkMacAddress } from './mac-address.js';
import { isPciAddress } from './pci-address.js';
import { checkIPv4Cidr, isIPv4, isIPv6Cidr } from './ip-address.js';
import { isDnsLabel, isDnsSubdomain, isIanaServiceName } from './dns-name.js';
import type { IssueCode } from './issue-codes.js';

/** Adds a coded refinement: `check` returns [code, message] for a bad value. */
function coded<T extends z.ZodType>(schema: T, check: (v: z.output<T>) => [IssueCode, string] | undefined): T {
  return schema.superRefine((v, ctx) => {
    const bad = check(v);
    if (bad) ctx.addIssue({ code: 'custom', message: bad[1], params: { code: bad[0] } });
  });
}

/** An integer within [min, max], else `code`. */
function intIn(min: number, max: number, code: IssueCode, what: string) {
  // The meta makes the CRD schema say `integer` with bounds; the refinement carries the code.
  return coded(z.number(), (n) => (Number.isInteger(n) && n >= min && n <= max ? undefined : [code, `${what} must be an integer from ${min} to ${max}, got ${n}`])).meta({ type: 'integer', minimum: min, maximum: max });
}

/** A binding or source marker: an object (`{}`); its content is not used. */
const marker = z.looseObject({});

/** KubeVirt's interface name syntax. */
export const INTERFACE_NAME_RE = /^[A-Za-z0-9_-]+$/;

/** `interfaces[].ports[]`. */
export const portSchema = z.looseObject({
  name: coded(z.string(), (s) => (isIanaServiceName(s) ? undefined : ['PORT_NAME_INVALID', `port name "${s}" is not an IANA service name (lowercase letters, digits and "-", at most 15 characters, at least one letter)`])).optional(),
  protocol: z.enum(['TCP', 'UDP']).optional(),
  port: intIn(1, 65535, 'PORT_RANGE', 'port'),
});

/** `interfaces[].dhcpOptions`. */
export const dhcpOptionsSchema = z.looseObject({
  bootFileName: z.string().optional(),
  tftpServerName: z.string().optional(),
  ntpServers: z.array(coded(z.string(), (s) => (isIPv4(s) ? undefined : ['NTP_SERVER_INVALID', `NTP server "${s}" is not an IPv4 address`]))).nullish(),
  privateOptions: z
    .array(
      z.looseObject({
        option: intIn(224, 254, 'DHCP_PRIVATE_OPTION_RANGE', 'a DHCP private option'),
        value: z.string(),
      }),
    )
    .nullish(),
});

/** One `spec.domain.devices.interfaces[]` element (modern form). */
export const interfaceSchema = z.looseObject({
  name: coded(z.string(), (s) => (INTERFACE_NAME_RE.test(s) ? undefined : ['INTERFACE_NAME_INVALID', `interface name "${s}" may only contain letters, digits, "_" and "-"`])).meta({ pattern: INTERFACE_NAME_RE.source }),
  bridge: marker.optional(),
  masquerade: marker.optional(),
  slirp: marker.optional(),
  sriov: marker.optional(),
  macvtap: marker.optional(),
  passt: marker.optional(),
  /** KubeVirt ≥ 1.1 network binding plugin form: `binding: {name: passt}`. */
  binding: z.looseObject({ name: z.string() }).optional(),
  model: z.enum(NIC_MODELS).optional(),
  macAddress: coded(z.string(), (s) => {
    const bad = checkMacAddress(s);
    if (bad === 'MAC_TOO_LONG') return [bad, `MAC address "${s}" is too long: a MAC has 6 octets`];
    if (bad) return [bad, `MAC address "${s}" is not 6 hex octets like aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF`];
    return undefined;
  })
    .meta({ pattern: '^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}$' })
    .optional(),
  pciAddress: coded(z.string(), (s) => (isPciAddress(s) ? undefined : ['PCI_ADDRESS_INVALID', `PCI address "${s}" is not DDDD:BB:SS.F (hex domain, bus, slot ≤ 1f, function 0-7)`]))
    .meta({ pattern: '^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[01][0-9A-Fa-f]\\.[0-7]$' })
    .optional(),
  ports: z.array(portSchema).nullish(),
  bootOrder: intIn(1, 2 ** 31 - 1, 'BOOT_ORDER_INVALID', 'bootOrder').optional(),
  bootFileName: z.string().optional(),
  tftpServerName: z.string().optional(),
  dhcpOptions: dhcpOptionsSchema.optional(),
  state: z.enum(['up', 'down', 'absent']).optional(),
  acpiIndex: intIn(1, 16383, 'ACPI_INDEX_RANGE', 'acpiIndex').optional(),
  tag: z.string().optional(),
});

/** One `spec.networks[]` element. */
export const networkSchema = z.looseObject({
  name: z.string(),
  pod: z
    .looseObject({
      vmNetworkCIDR: coded(z.string(), (s) => {
        const bad = checkIPv4Cidr(s);
        if (bad === 'CIDR_TOO_SMALL') return [bad, `vmNetworkCIDR ${s} leaves fewer than 2 host addresses (gateway and VM); use a prefix of /30 or shorter`];
        if (bad) return [bad, `vmNetworkCIDR "${s}" is not an IPv4 CIDR like 10.0.2.0/24`];
        return undefined;
      }).optional(),
      vmIPv6NetworkCIDR: coded(z.string(), (s) => (isIPv6Cidr(s) ? undefined : ['IPV6_CIDR_INVALID', `vmIPv6NetworkCIDR "${s}" is not an IPv6 CIDR like fd10:0:2::/120`])).optional(),
    })
    .optional(),
  multus: z.looseObject({ networkName: z.string(), default: z.boolean().optional() }).optional(),
  genie: z.looseObject({ networkName: z.string() }).optional(),
});

/** Top-level fields of the VMI spec that matter to networking; lists are checked element by element. */
export const vmiSpecSchema = z.looseObject({
  hostname: coded(z.string(), (s) => (isDnsLabel(s) ? undefined : ['HOSTNAME_INVALID', `hostname "${s}" is not a DNS label (lowercase letters, digits, "-", at most 63 characters)`])).optional(),
  subdomain: coded(z.string(), (s) => (isDnsSubdomain(s) ? undefined : ['SUBDOMAIN_INVALID', `subdomain "${s}" is not a DNS subdomain`])).optional(),
  domain: z
    .looseObject({
      devices: z
        .looseObject({
          autoattachPodInterface: z.boolean().nullish(),
          networkInterfaceMultiqueue: z.boolean().nullish(),
          interfaces: z.array(z.unknown()).nullish(),
          disks: z.unknown().optional(),
        })
        .nullish(),
    })
    .nullish(),
  networks: z.array(z.unknown()).nullish(),
});

/** `metadata`: only name and namespace matter here. */
export const metadataSchema = z.looseObject({
  name: coded(z.string(), (s) => (isDnsSubdomain(s) ? undefined : ['NAME_INVALID', `name "${s}" is not a DNS subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)`])).optional(),
  namespace: coded(z.string(), (s) => (isDnsLabel(s) ? undefined : ['NAMESPACE_INVALID', `namespace "${s}" is not a DNS label`])).optional(),
});
