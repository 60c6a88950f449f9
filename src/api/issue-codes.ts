// The stable codes of spec issues, each with what it means. Programs match on these codes, never on
// message text; messages may change, codes may not.

/** Every issue code validation can report, with its meaning (documentation and `virtnet validate --codes`). */
export const ISSUE_CODES = {
  // Reading the document
  YAML_SYNTAX: 'the text is not valid YAML/JSON',
  YAML_DUPLICATE_KEY: 'a map has the same key twice',
  YAML_WARNING: 'the YAML parser warned about the text (warning)',
  EMPTY_FILE: 'the file holds no document',
  FILE_UNREADABLE: 'the file could not be read (virtnet validate -o json; exit 2)',
  DOCUMENT_NOT_OBJECT: 'a document is not a map',
  DOCUMENT_IGNORED:
    'a document of a kind virtnet does not validate (NetworkAttachmentDefinition, ConfigMap) was skipped (warning)',
  MISPLACED_FIELD:
    'a known part of the spec (template, domain, devices, interfaces, networks) is at the wrong level, where it would be ignored',
  LIST_TOO_LONG: 'a list is longer than virtnet validates (documented caps: see README)',
  KIND_MISSING: 'a document has no kind',
  KIND_UNSUPPORTED:
    'kind is not VirtualMachineInstance, VirtualMachine, VirtualMachineInstanceReplicaSet, VirtualMachinePool or VM',
  API_VERSION_UNKNOWN: 'apiVersion is not kubevirt.io/v1 (warning)',
  LEGACY_VM_SHAPE:
    'a VirtualMachine without spec.template, read in the seed flat form (warning; KubeVirt refuses it)',
  // Generic shape
  TYPE_INVALID: 'a field has the wrong type (a map where a list belongs, a string where an integer belongs)',
  FIELD_REQUIRED: 'a required field is missing',
  UNKNOWN_FIELD:
    'a key the API does not define (in the document, spec, domain, devices, interfaces, networks); ignored (warning)',
  NAME_INVALID: 'metadata.name is not a DNS subdomain',
  NAME_DEFAULTED: 'metadata.name is missing; a name was derived from the file name (warning)',
  NAMESPACE_INVALID: 'metadata.namespace is not a DNS label',
  HOSTNAME_INVALID: 'spec.hostname is not a DNS label',
  SUBDOMAIN_INVALID: 'spec.subdomain is not a DNS subdomain',
  VM_NAME_TOO_LONG:
    "metadata.name is too long for the VM's unix socket paths under the state dir (108-byte sun_path)",
  VCPUS_RANGE: 'sockets × cores × threads is not 1-255 (the most vCPUs the embedded machine takes)',
  MEMORY_RANGE: 'guest memory is not a quantity, below 1M or above 1 TiB',
  PROBE_HANDLER_COUNT:
    'a readiness or liveness probe does not have exactly one of exec, guestAgentPing, httpGet, tcpSocket',
  PROBE_NEEDS_POD_NETWORK: 'an httpGet or tcpSocket probe on a VM without a pod network',
  DNS_POLICY_INVALID: 'dnsPolicy is not ClusterFirstWithHostNet, ClusterFirst, Default or None',
  DNS_CONFIG_INVALID:
    'dnsConfig breaks a Kubernetes rule (nameservers, searches, options; dnsPolicy None needs nameservers)',
  LAUNCH_SECURITY_BOOTABLE_NIC: 'launchSecurity (SEV, SNP, TDX) with an interface that has a bootOrder',
  FEATURE_GATE_DISABLED:
    'a field whose KubeVirt feature gate (PortRangesSpec, NetworkDevicesWithDRA, PasstBinding) the cluster configuration leaves off',
  // Networks
  NAME_REQUIRED: 'an interface or network has no name',
  DUPLICATE_NAME: 'two interfaces or two networks have the same name',
  NETWORK_SOURCE_COUNT: 'a network does not have exactly one of pod, multus, genie',
  MULTIPLE_POD_NETWORKS: 'more than one pod network',
  MULTIPLE_MULTUS_DEFAULTS: 'more than one Multus network has default: true',
  POD_AND_MULTUS_DEFAULT: 'a pod network and a Multus default network are mutually exclusive',
  NETWORK_NAME_REQUIRED: 'a Multus or Genie network has no networkName',
  NETWORK_NAME_INVALID:
    'a Multus networkName is not "name" or "namespace/name" of DNS names, or a Genie name is malformed',
  NETWORK_WITHOUT_INTERFACE: 'a network has no interface of the same name',
  GENIE_EXTENSION: 'a Genie network: a virtnet extension KubeVirt refuses (warning)',
  DRA_NETWORK_UNSUPPORTED:
    'a resourceClaim (DRA) network: KubeVirt accepts it with its gate on, virtnet cannot attach it',
  CIDR_INVALID: 'vmNetworkCIDR is not an IPv4 CIDR',
  CIDR_TOO_SMALL: 'vmNetworkCIDR or vmIPv6NetworkCIDR leaves fewer than 2 host addresses',
  CIDR_TOO_BIG:
    "vmNetworkCIDR is shorter than /8 (vmIPv6NetworkCIDR than /16): its routes would shadow the pod's",
  CIDR_UNUSABLE:
    'vmNetworkCIDR or vmIPv6NetworkCIDR is in a range no interface can use (0/8, loopback, multicast, reserved)',
  IPV6_CIDR_INVALID: 'vmIPv6NetworkCIDR is not an IPv6 CIDR',
  // Interfaces
  INTERFACE_NAME_INVALID: 'an interface name does not match ^[A-Za-z0-9_-]+$',
  INTERFACE_WITHOUT_NETWORK: 'an interface has no network of the same name',
  BINDING_COUNT:
    'an interface does not have exactly one binding (bridge, masquerade, sriov, passtBinding, binding: {name}; slirp, macvtap, passt)',
  DISCONTINUED_BINDING:
    'slirp: {}, macvtap: {} or passt: {}: virtnet runs them, KubeVirt ≥ 1.3 refuses them (warning)',
  BINDING_PLUGIN_NOT_REGISTERED:
    'binding: {name: X} with no network.binding.X in the cluster configuration; the launcher refuses it (warning)',
  BINDING_PLUGIN_UNSUPPORTED:
    'binding: {name: X} registered without domainAttachmentType: tap and a networkAttachmentDefinition, which virtnet cannot run (warning)',
  MASQUERADE_NOT_POD: 'masquerade on a network that is not the pod network',
  SLIRP_NOT_POD: 'slirp on a network that is not the pod network',
  PASST_NOT_POD: 'passt on a network that is not the pod network',
  SRIOV_ON_POD_NETWORK: 'SR-IOV on the pod network (only Multus/Genie networks)',
  BRIDGE_ON_POD_FORBIDDEN:
    'bridge on the pod network while the cluster sets permitBridgeInterfaceOnPodNetwork: false',
  MULTIPLE_MASQUERADE: 'more than one masquerade interface',
  MASQUERADE_RESERVED_MAC: "a masquerade interface uses the in-pod bridge's reserved MAC 02:00:00:00:00:00",
  MODEL_INVALID: 'model is not one of virtio, e1000, e1000e, igb, ne2k_pci, pcnet, rtl8139',
  MAC_INVALID: 'macAddress is not six hex octets separated by ":" or "-"',
  MAC_TOO_LONG: 'macAddress has more than six octets',
  MAC_MULTICAST: 'macAddress is a multicast or broadcast address (the kernel refuses it on a NIC)',
  MAC_ZERO: 'macAddress is 00:00:00:00:00:00',
  DUPLICATE_MAC: 'two interfaces have the same MAC address',
  PCI_ADDRESS_INVALID: 'pciAddress is not DDDD:BB:SS.F (slot ≤ 1f, function 0-7)',
  PCI_ADDRESS_UNUSABLE:
    'pciAddress is not on bus 0000:00 slot 02-1f, the slots the embedded machine has free',
  DUPLICATE_PCI_ADDRESS: 'two interfaces have the same PCI address',
  BOOT_ORDER_INVALID: 'bootOrder is not an integer > 0',
  DUPLICATE_BOOT_ORDER: 'two devices have the same bootOrder',
  ACPI_INDEX_RANGE: 'acpiIndex is not an integer 0-16383 (0: unset)',
  DUPLICATE_ACPI_INDEX: 'two interfaces have the same acpiIndex',
  STATE_INVALID: 'state is not up, down or absent',
  STATE_ABSENT_NOT_SUPPORTED:
    'state: absent on something other than a bridge interface, or on the default network (pod, or Multus with default: true)',
  STATE_ON_SRIOV: 'state up/down on an SR-IOV interface',
  MACVTAP_MODE_INVALID:
    'a legacy direct interface has a source.mode other than bridge, vepa, private, passthrough',
  SOURCE_DEVICE_INVALID: 'a legacy direct interface source.dev is not a valid interface name',
  // Ports
  PORT_REQUIRED: 'a port entry has no port',
  PORT_RANGE: 'port (or a portRanges start/end) is not an integer 1-65535',
  PROTOCOL_INVALID: 'protocol is not TCP or UDP',
  PORT_NAME_INVALID:
    'a port name is not an IANA service name (lowercase letters, digits, "-", ≤ 15 characters)',
  DUPLICATE_PORT_NAME: 'two ports of an interface have the same name',
  DUPLICATE_PORT: 'the same port and protocol twice on an interface (warning)',
  PORT_RANGES_WITH_PORTS: 'ports and portRanges on one interface',
  PORT_RANGES_NOT_MASQUERADE: 'portRanges on an interface that is not masquerade',
  PORT_RANGES_TOO_MANY: 'more than 10 portRanges',
  PORT_RANGES_OVERLAP: 'two portRanges of one protocol overlap',
  PORT_RANGES_FORWARD_ALL: 'portRanges accepted; virtnet forwards every port of the interface (warning)',
  PORTS_IGNORED: 'ports on a binding that does not forward them (warning)',
  // DHCP
  DHCP_PRIVATE_OPTION_RANGE: 'a DHCP private option is not 224-254',
  DUPLICATE_DHCP_PRIVATE_OPTION: 'the same DHCP private option twice',
  NTP_SERVER_INVALID: 'an NTP server is not an IPv4 address',
  DHCP_OPTION_CONFLICT:
    'bootFileName/tftpServerName given both at the interface and in dhcpOptions, with different values',
  // Legacy forms
  LEGACY_POD_NETWORK:
    'seed form interfaces[].type: pod-network, translated to bridge on the pod network (warning)',
  LEGACY_DIRECT: 'seed form interfaces[].type: direct, translated to a macvtap binding (warning)',
  LEGACY_TYPE_UNSUPPORTED: 'interfaces[].type has a value other than pod-network or direct',
  // Cluster configuration
  CLUSTER_CONFIG_INVALID: 'the cluster configuration has a wrong field',
} as const;

/** A stable issue code. */
export type IssueCode = keyof typeof ISSUE_CODES;
