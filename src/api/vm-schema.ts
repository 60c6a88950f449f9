// The zod schema of the network part of KubeVirt's VM API: field types, enums and single-field
// formats, each failing refinement tagged with a stable issue code (`params.code`). Cross-field rules
// (names match, bindings vs networks, uniqueness) live in network-rules.ts. Unknown fields are kept
// and ignored (loose objects), so cpu, disks, volumes, labels never cause errors. Also the source of
// the `virtnet crd` schema.
import { z } from 'zod';
import { NIC_MODELS } from './types.js';
import { checkMacAddress } from './mac-address.js';
import { isPciAddress } from './pci-address.js';
import { checkIPv4Cidr, checkIPv6VmCidr, isIPv4, type VmCidrProblem } from './ip-address.js';
import { isDnsLabel, isDnsSubdomain, isIanaServiceName } from './dns-name.js';
import type { IssueCode } from './issue-codes.js';
import { shown } from './shown-value.js';

/** Adds a coded refinement: `check` returns [code, message] for a bad value. */
function coded<T extends z.ZodType>(
  schema: T,
  check: (v: z.output<T>) => [IssueCode, string] | undefined,
): T {
  return schema.superRefine((v, ctx) => {
    const bad = check(v);
    if (bad) ctx.addIssue({ code: 'custom', message: bad[1], params: { code: bad[0] } });
  });
}

/** An integer within [min, max], else `code`. */
function intIn(min: number, max: number, code: IssueCode, what: string) {
  // The meta makes the CRD schema say `integer` with bounds; the refinement carries the code.
  return coded(z.number(), (n) =>
    Number.isInteger(n) && n >= min && n <= max
      ? undefined
      : [code, `${what} must be an integer from ${min} to ${max}, got ${n}`],
  ).meta({ type: 'integer', minimum: min, maximum: max });
}

/** A binding or source marker: an object (`{}`); its content is not used. */
const marker = z.looseObject({});

/** KubeVirt's interface name syntax. */
export const INTERFACE_NAME_RE = /^[A-Za-z0-9_-]+$/;

/**
 * `interfaces[].ports[]`: types only. KubeVirt judges the values (range, protocol, name) only on the
 * pod network, where they are forwarded; network-rules.ts does the same.
 */
export const portSchema = z.looseObject({
  name: z.string().optional(),
  protocol: z.string().optional(),
  port: coded(z.number(), (n) =>
    Number.isInteger(n) ? undefined : ['TYPE_INVALID', `port must be an integer, got ${n}`],
  ).meta({ type: 'integer', minimum: 1, maximum: 65535 }),
});

/** `interfaces[].portRanges[]` (KubeVirt's PortRangesSpec gate): types only, values in network-rules.ts. */
export const portRangeSchema = z.looseObject({
  protocol: z.string().optional(),
  start: z.number().int(),
  end: z.number().int(),
});

/** Whether an IANA service name is fine, as a coded issue. */
export function checkPortName(s: string): [IssueCode, string] | undefined {
  return isIanaServiceName(s)
    ? undefined
    : [
        'PORT_NAME_INVALID',
        `port name ${shown(s)} is not an IANA service name (lowercase letters, digits and "-", at most 15 characters, at least one letter)`,
      ];
}

/** `interfaces[].dhcpOptions`. */
export const dhcpOptionsSchema = z.looseObject({
  bootFileName: z.string().optional(),
  tftpServerName: z.string().optional(),
  ntpServers: z
    .array(
      coded(z.string(), (s) =>
        isIPv4(s) ? undefined : ['NTP_SERVER_INVALID', `NTP server ${shown(s)} is not an IPv4 address`],
      ),
    )
    .nullish(),
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
  name: coded(z.string(), (s) =>
    INTERFACE_NAME_RE.test(s)
      ? undefined
      : [
          'INTERFACE_NAME_INVALID',
          `interface name ${shown(s)} may only contain letters, digits, "_" and "-"`,
        ],
  ).meta({ pattern: INTERFACE_NAME_RE.source }),
  bridge: marker.optional(),
  masquerade: marker.optional(),
  slirp: marker.optional(),
  sriov: marker.optional(),
  macvtap: marker.optional(),
  passt: marker.optional(),
  /** KubeVirt's core passt binding (the `passt` key was discontinued in KubeVirt 1.3). */
  passtBinding: marker.optional(),
  /** KubeVirt ≥ 1.1 network binding plugin: `binding: {name: X}`, X registered in the cluster configuration. */
  binding: z.looseObject({ name: z.string() }).optional(),
  model: z.enum(NIC_MODELS).optional(),
  macAddress: coded(z.string(), (s) => {
    const bad = checkMacAddress(s);
    if (bad === 'MAC_TOO_LONG') return [bad, `MAC address ${shown(s)} is too long: a MAC has 6 octets`];
    if (bad)
      return [
        bad,
        `MAC address ${shown(s)} is not 6 hex octets like aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff`,
      ];
    return undefined;
  })
    .meta({ pattern: '^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}$' })
    .optional(),
  pciAddress: coded(z.string(), (s) =>
    isPciAddress(s)
      ? undefined
      : [
          'PCI_ADDRESS_INVALID',
          `PCI address ${shown(s)} is not DDDD:BB:SS.F (hex domain, bus, slot ≤ 1f, function 0-7)`,
        ],
  )
    .meta({ pattern: '^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[01][0-9A-Fa-f]\\.[0-7]$' })
    .optional(),
  ports: z.array(portSchema).nullish(),
  portRanges: z.array(portRangeSchema).nullish(),
  bootOrder: intIn(1, 2 ** 31 - 1, 'BOOT_ORDER_INVALID', 'bootOrder').optional(),
  bootFileName: z.string().optional(),
  tftpServerName: z.string().optional(),
  dhcpOptions: dhcpOptionsSchema.optional(),
  state: z.enum(['up', 'down', 'absent']).optional(),
  // 0 is Go's zero value, which KubeVirt omits: unset.
  acpiIndex: intIn(0, 16383, 'ACPI_INDEX_RANGE', 'acpiIndex').optional(),
  tag: z.string().optional(),
});

/** What differs between the pod network's two VM subnets: the check, and the words of its messages. */
interface VmCidrFamily {
  check: (s: string) => VmCidrProblem | undefined;
  invalidCode: IssueCode;
  family: string;
  example: string;
  longestPrefix: number;
  shortestPrefix: number;
  unusable: string;
}

const VM_CIDR: Record<'vmNetworkCIDR' | 'vmIPv6NetworkCIDR', VmCidrFamily> = {
  vmNetworkCIDR: {
    check: checkIPv4Cidr,
    invalidCode: 'CIDR_INVALID',
    family: 'IPv4',
    example: '10.0.2.0/24',
    longestPrefix: 30,
    shortestPrefix: 8,
    unusable: 'this-network 0.0.0.0/8, loopback 127.0.0.0/8, multicast or reserved 224.0.0.0/3',
  },
  vmIPv6NetworkCIDR: {
    check: checkIPv6VmCidr,
    invalidCode: 'IPV6_CIDR_INVALID',
    family: 'IPv6',
    example: 'fd10:0:2::/120',
    longestPrefix: 126,
    shortestPrefix: 16,
    unusable: 'unspecified, loopback or multicast ff00::/8',
  },
};

/** `pod.vmNetworkCIDR` or `pod.vmIPv6NetworkCIDR`: a private subnet for the VM, each problem coded. */
function vmCidrSchema(field: keyof typeof VM_CIDR) {
  const f = VM_CIDR[field];
  return coded(z.string(), (s): [IssueCode, string] | undefined => {
    const bad = f.check(s);
    switch (bad) {
      case undefined:
        return undefined;
      case 'CIDR_TOO_SMALL':
        return [
          bad,
          `${field} ${s} leaves fewer than 2 host addresses (gateway and VM); use a prefix of /${f.longestPrefix} or shorter`,
        ];
      case 'CIDR_TOO_BIG':
        return [
          bad,
          `${field} ${s} is too big for a private VM subnet: its routes would cover the pod's own networks; use a prefix of /${f.shortestPrefix} or longer`,
        ];
      case 'CIDR_UNUSABLE':
        return [bad, `${field} ${s} is in a range no interface can use (${f.unusable})`];
      case 'CIDR_INVALID':
        return [f.invalidCode, `${field} ${shown(s)} is not an ${f.family} CIDR like ${f.example}`];
    }
  });
}

/** One `spec.networks[]` element. */
export const networkSchema = z.looseObject({
  name: z.string(),
  pod: z
    .looseObject({
      vmNetworkCIDR: vmCidrSchema('vmNetworkCIDR').optional(),
      vmIPv6NetworkCIDR: vmCidrSchema('vmIPv6NetworkCIDR').optional(),
    })
    .optional(),
  multus: z.looseObject({ networkName: z.string(), default: z.boolean().optional() }).optional(),
  genie: z.looseObject({ networkName: z.string() }).optional(),
  /** KubeVirt's DRA network source (NetworkDevicesWithDRA gate). */
  resourceClaim: z
    .looseObject({ claimName: z.string().optional(), requestName: z.string().optional() })
    .optional(),
});

/** Top-level fields of the VMI spec that matter to networking; lists are checked element by element. */
export const vmiSpecSchema = z.looseObject({
  hostname: coded(z.string(), (s) =>
    isDnsLabel(s)
      ? undefined
      : [
          'HOSTNAME_INVALID',
          `hostname ${shown(s)} is not a DNS label (lowercase letters, digits, "-", at most 63 characters)`,
        ],
  ).optional(),
  subdomain: coded(z.string(), (s) =>
    isDnsSubdomain(s) ? undefined : ['SUBDOMAIN_INVALID', `subdomain ${shown(s)} is not a DNS subdomain`],
  ).optional(),
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
  name: coded(z.string(), (s) =>
    isDnsSubdomain(s)
      ? undefined
      : [
          'NAME_INVALID',
          `name ${shown(s)} is not a DNS subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)`,
        ],
  ).optional(),
  namespace: coded(z.string(), (s) =>
    isDnsLabel(s) ? undefined : ['NAMESPACE_INVALID', `namespace ${shown(s)} is not a DNS label`],
  ).optional(),
});
