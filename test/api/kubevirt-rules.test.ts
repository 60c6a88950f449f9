// One test per KubeVirt admission rule virtnet mirrors, named after where KubeVirt has it
// (pkg/network/admitter, virt-api's vmi-create-admitter, virt-config's feature gates). Each feeds the
// rule's accepted and refused cases through `validateVmDocument` as `virtnet validate` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterConfig } from '../../src/api/cluster-config.js';
import { parseSpecDocuments } from '../../src/api/parse-documents.js';
import { DEFAULT_CLUSTER_CONFIG, type ClusterConfig } from '../../src/api/types.js';
import { validateVmDocument, type VmValidationResult } from '../../src/api/validate-vm.js';

/** A VMI with these interfaces and networks (YAML flow text) and extra spec lines. */
function vmi(interfaces: string, networks: string, extra = ''): string {
  return `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: t}
spec:
  domain:
    devices:
      interfaces: ${interfaces}
  networks: ${networks}
${extra}`;
}

function validate(text: string, cluster: ClusterConfig = DEFAULT_CLUSTER_CONFIG): VmValidationResult {
  return validateVmDocument(parseSpecDocuments(text, 't.yaml').documents[0], cluster);
}
const errors = (r: VmValidationResult) => r.errors.map((e) => `${e.code} ${e.field}`);
const warnings = (r: VmValidationResult) => r.warnings.map((e) => `${e.code} ${e.field}`);
const accepted = (text: string, cluster?: ClusterConfig) => {
  const r = validate(text, cluster);
  assert.deepEqual(errors(r), [], text);
  return r;
};
const refused = (text: string, expected: string, cluster?: ClusterConfig) => {
  const r = validate(text, cluster);
  assert.ok(errors(r).includes(expected), `expected ${expected}, got:\n  ${errors(r).join('\n  ')}`);
  return r;
};
const cluster = (value: unknown) => {
  const r = parseClusterConfig(value);
  assert.deepEqual(r.errors, []);
  return r.config;
};
const POD = '[{name: default, pod: {}}]';

test('KubeVirt admitter/binding.go validateInterfaceBindingExists: exactly one binding method or binding plugin', () => {
  accepted(vmi('[{name: default, passtBinding: {}}]', POD));
  accepted(vmi('[{name: default, binding: {name: passt}}]', POD));
  refused(
    vmi('[{name: default, masquerade: {}, binding: {name: x}}]', POD),
    'BINDING_COUNT spec.domain.devices.interfaces[0]',
  );
  refused(vmi('[{name: default}]', POD), 'BINDING_COUNT spec.domain.devices.interfaces[0]');
  refused(
    vmi('[{name: default, bridge: {}, passtBinding: {}}]', POD),
    'BINDING_COUNT spec.domain.devices.interfaces[0]',
  );
});

test('KubeVirt network binding plugins: admission does not look the plugin up; a plugin named bridge is not the core bridge', () => {
  const r = accepted(vmi('[{name: default, binding: {name: managedtap}}]', POD));
  assert.deepEqual(warnings(r), [
    'BINDING_PLUGIN_NOT_REGISTERED spec.domain.devices.interfaces[0].binding.name',
  ]);
  assert.equal(r.spec?.interfaces[0]?.binding, 'plugin');
  assert.equal(r.spec?.interfaces[0]?.bindingPlugin, 'managedtap');
  const registered = cluster({
    kind: 'KubeVirt',
    spec: {
      configuration: {
        network: {
          binding: {
            bridge: { domainAttachmentType: 'tap', networkAttachmentDefinition: 'default/tap-net' },
          },
        },
      },
    },
  });
  const named = accepted(vmi('[{name: default, binding: {name: bridge}}]', POD), registered);
  assert.deepEqual(warnings(named), [], 'registered with domainAttachmentType tap');
  assert.equal(named.spec?.interfaces[0]?.binding, 'plugin', 'not the core bridge binding');
  // The core bridge rule about the pod network does not apply to a plugin named bridge.
  accepted(vmi('[{name: default, binding: {name: bridge}}]', POD), {
    ...registered,
    permitBridgeInterfaceOnPodNetwork: false,
  });
});

test('KubeVirt admitter/binding.go validateMasqueradeBinding: masquerade only on the pod network, not the reserved MAC', () => {
  refused(
    vmi('[{name: red, masquerade: {}}]', '[{name: red, multus: {networkName: red}}]'),
    'MASQUERADE_NOT_POD spec.domain.devices.interfaces[0].masquerade',
  );
  refused(
    vmi('[{name: default, masquerade: {}, macAddress: "02:00:00:00:00:00"}]', POD),
    'MASQUERADE_RESERVED_MAC spec.domain.devices.interfaces[0].macAddress',
  );
});

test('KubeVirt admitter/binding.go validateBridgeBinding: bridge on the pod network only when kubevirt-config permits it', () => {
  const forbid = cluster({ permitBridgeInterfaceOnPodNetwork: false });
  refused(
    vmi('[{name: default, bridge: {}}]', POD),
    'BRIDGE_ON_POD_FORBIDDEN spec.domain.devices.interfaces[0].bridge',
    forbid,
  );
  accepted(vmi('[{name: red, bridge: {}}]', '[{name: red, multus: {networkName: red}}]'), forbid);
});

test('KubeVirt admitter/passt.go validatePasstBinding: passtBinding behind the PasstBinding gate (Beta: on unless disabled), pod network only', () => {
  accepted(vmi('[{name: default, passtBinding: {}}]', POD));
  refused(
    vmi('[{name: default, passtBinding: {}}]', POD),
    'FEATURE_GATE_DISABLED spec.domain.devices.interfaces[0].passtBinding',
    cluster({ developerConfiguration: { disabledFeatureGates: ['PasstBinding'] } }),
  );
  accepted(
    vmi('[{name: default, passtBinding: {}}]', POD),
    cluster({
      developerConfiguration: { featureGates: ['PasstBinding'], disabledFeatureGates: ['PasstBinding'] },
    }),
  );
  refused(
    vmi('[{name: red, passtBinding: {}}]', '[{name: red, multus: {networkName: red}}]'),
    'PASST_NOT_POD spec.domain.devices.interfaces[0].passtBinding',
  );
});

test('KubeVirt admitter/discontinued.go validateDiscontinuedBindings: slirp, passt, macvtap keys refused since 1.3 (virtnet runs them, with a warning)', () => {
  for (const key of ['slirp', 'passt', 'macvtap']) {
    const r = accepted(vmi(`[{name: default, ${key}: {}}]`, POD));
    assert.deepEqual(warnings(r), [`DISCONTINUED_BINDING spec.domain.devices.interfaces[0].${key}`]);
  }
});

test('KubeVirt admitter/netsource.go validateSinglePodNetwork: one pod network, one Multus default, not both', () => {
  refused(
    vmi('[{name: a, bridge: {}}, {name: b, bridge: {}}]', '[{name: a, pod: {}}, {name: b, pod: {}}]'),
    'MULTIPLE_POD_NETWORKS spec.networks[1].pod',
  );
  refused(
    vmi(
      '[{name: a, bridge: {}}, {name: b, bridge: {}}]',
      '[{name: a, multus: {networkName: x, default: true}}, {name: b, multus: {networkName: y, default: true}}]',
    ),
    'MULTIPLE_MULTUS_DEFAULTS spec.networks[1].multus.default',
  );
  refused(
    vmi(
      '[{name: a, bridge: {}}, {name: b, bridge: {}}]',
      '[{name: a, pod: {}}, {name: b, multus: {networkName: y, default: true}}]',
    ),
    'POD_AND_MULTUS_DEFAULT spec.networks[1].multus.default',
  );
});

test('KubeVirt admitter/netsource.go validateSingleNetworkSource: exactly one source; an explicit null is no source', () => {
  refused(vmi('[{name: default, bridge: {}}]', '[{name: default}]'), 'NETWORK_SOURCE_COUNT spec.networks[0]');
  refused(
    vmi('[{name: default, bridge: {}}]', '[{name: default, pod: null}]'),
    'NETWORK_SOURCE_COUNT spec.networks[0]',
  );
  refused(
    vmi('[{name: default, bridge: {}}]', '[{name: default, pod: {}, multus: {networkName: x}}]'),
    'NETWORK_SOURCE_COUNT spec.networks[0]',
  );
});

test('Kubernetes decoding: explicit null is the same as an absent field (YAML merge keys and templates produce it)', () => {
  const r = accepted(
    vmi(
      '[{name: default, masquerade: {}, bridge: null, macAddress: null, ports: null, acpiIndex: null}]',
      POD,
      '  hostname: null\n  readinessProbe: null',
    ),
  );
  assert.equal(r.spec?.interfaces[0]?.binding, 'masquerade');
  assert.equal(r.spec?.interfaces[0]?.macAddress, undefined);
  const merged = `base: &base {name: default, masquerade: {}, macAddress: "02:00:00:00:00:01"}\n${vmi('[{<<: *base, macAddress: null}]', POD)}`;
  assert.equal(accepted(merged).spec?.interfaces[0]?.macAddress, undefined);
});

test('KubeVirt admitter/netsource.go validateMultusNetworkSource: a Multus network needs a networkName', () => {
  refused(
    vmi('[{name: red, bridge: {}}]', '[{name: red, multus: {}}]'),
    'NETWORK_NAME_REQUIRED spec.networks[0].multus.networkName',
  );
});

test('KubeVirt admitter/admit.go validateInterfaceStateValue: absent only on bridge, never on the default network (pod or Multus default: true)', () => {
  accepted(
    vmi(
      '[{name: default, masquerade: {}}, {name: red, bridge: {}, state: absent}]',
      '[{name: default, pod: {}}, {name: red, multus: {networkName: red}}]',
    ),
  );
  refused(
    vmi(
      '[{name: red, bridge: {}, state: absent}]',
      '[{name: red, multus: {networkName: red, default: true}}]',
    ),
    'STATE_ABSENT_NOT_SUPPORTED spec.domain.devices.interfaces[0].state',
  );
  refused(
    vmi('[{name: default, bridge: {}, state: absent}]', POD),
    'STATE_ABSENT_NOT_SUPPORTED spec.domain.devices.interfaces[0].state',
  );
  refused(
    vmi('[{name: red, binding: {name: bridge}, state: absent}]', '[{name: red, multus: {networkName: red}}]'),
    'STATE_ABSENT_NOT_SUPPORTED spec.domain.devices.interfaces[0].state',
  );
  refused(
    vmi('[{name: red, sriov: {}, state: down}]', '[{name: red, multus: {networkName: red}}]'),
    'STATE_ON_SRIOV spec.domain.devices.interfaces[0].state',
  );
  refused(
    vmi('[{name: default, bridge: {}, state: sleeping}]', POD),
    'STATE_INVALID spec.domain.devices.interfaces[0].state',
  );
});

test('KubeVirt admitter/netiface.go: names unique and matched both ways, interface name syntax', () => {
  refused(
    vmi('[{name: a, bridge: {}}]', '[{name: a, pod: {}}, {name: b, multus: {networkName: b}}]'),
    'NETWORK_WITHOUT_INTERFACE spec.networks[1].name',
  );
  refused(
    vmi('[{name: a, bridge: {}}, {name: b, bridge: {}}]', '[{name: a, pod: {}}]'),
    'INTERFACE_WITHOUT_NETWORK spec.domain.devices.interfaces[1].name',
  );
  refused(
    vmi('[{name: a, bridge: {}}, {name: a, bridge: {}}]', '[{name: a, pod: {}}]'),
    'DUPLICATE_NAME spec.domain.devices.interfaces[1].name',
  );
  refused(
    vmi('[{name: a, bridge: {}}]', '[{name: a, pod: {}}, {name: a, pod: {}}]'),
    'DUPLICATE_NAME spec.networks[1].name',
  );
  refused(
    vmi('[{name: "a.b", bridge: {}}]', '[{name: "a.b", pod: {}}]'),
    'INTERFACE_NAME_INVALID spec.domain.devices.interfaces[0].name',
  );
});

test('KubeVirt admitter/netiface.go validateInterfaceModel: the models KubeVirt lists', () => {
  for (const model of ['virtio', 'e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139'])
    accepted(vmi(`[{name: default, masquerade: {}, model: ${model}}]`, POD));
  refused(
    vmi('[{name: default, masquerade: {}, model: VIRTIO}]', POD),
    'MODEL_INVALID spec.domain.devices.interfaces[0].model',
  );
});

test("KubeVirt admitter/netiface.go validateMacAddress: Go's net.ParseMAC forms, at most six octets", () => {
  for (const mac of ['02:00:00:00:00:01', '02-00-00-00-00-01', '0200.0000.0001', '02:AB:cd:00:00:01'])
    accepted(vmi(`[{name: default, masquerade: {}, macAddress: "${mac}"}]`, POD));
  refused(
    vmi('[{name: default, masquerade: {}, macAddress: "02:00:00:00:00:01:02:03"}]', POD),
    'MAC_TOO_LONG spec.domain.devices.interfaces[0].macAddress',
  );
  refused(
    vmi('[{name: default, masquerade: {}, macAddress: "0200.0000.0001.0203"}]', POD),
    'MAC_TOO_LONG spec.domain.devices.interfaces[0].macAddress',
  );
  refused(
    vmi('[{name: default, masquerade: {}, macAddress: "02:00:00:00:00:01:02"}]', POD),
    'MAC_INVALID spec.domain.devices.interfaces[0].macAddress',
  );
  refused(
    vmi('[{name: default, masquerade: {}, macAddress: "020000000001"}]', POD),
    'MAC_INVALID spec.domain.devices.interfaces[0].macAddress',
  );
  assert.equal(
    accepted(vmi('[{name: default, masquerade: {}, macAddress: "0200.0000.00AB"}]', POD)).spec?.interfaces[0]
      ?.macAddress,
    '02:00:00:00:00:ab',
  );
});

test('KubeVirt admitter/netiface.go validatePortConfiguration: ports judged on the pod network only; duplicate names refused, duplicate ports not', () => {
  refused(
    vmi('[{name: default, masquerade: {}, ports: [{port: 0}]}]', POD),
    'PORT_REQUIRED spec.domain.devices.interfaces[0].ports[0].port',
  );
  refused(
    vmi('[{name: default, masquerade: {}, ports: [{port: 65536}]}]', POD),
    'PORT_RANGE spec.domain.devices.interfaces[0].ports[0].port',
  );
  refused(
    vmi('[{name: default, masquerade: {}, ports: [{port: 80, protocol: tcp}]}]', POD),
    'PROTOCOL_INVALID spec.domain.devices.interfaces[0].ports[0].protocol',
  );
  refused(
    vmi('[{name: default, masquerade: {}, ports: [{name: http, port: 80}, {name: http, port: 81}]}]', POD),
    'DUPLICATE_PORT_NAME spec.domain.devices.interfaces[0].ports[1].name',
  );
  refused(
    vmi('[{name: default, masquerade: {}, ports: [{name: HTTP, port: 80}]}]', POD),
    'PORT_NAME_INVALID spec.domain.devices.interfaces[0].ports[0].name',
  );
  const dup = accepted(vmi('[{name: default, masquerade: {}, ports: [{port: 80}, {port: 80}]}]', POD));
  assert.deepEqual(warnings(dup), ['DUPLICATE_PORT spec.domain.devices.interfaces[0].ports[1].port']);
  // Not on the pod network: KubeVirt does not look at them (nothing forwards them).
  accepted(
    vmi(
      '[{name: red, bridge: {}, ports: [{port: 0, protocol: sctp, name: HTTP}]}]',
      '[{name: red, multus: {networkName: red}}]',
    ),
  );
});

test('KubeVirt admitter/netiface.go validatePortRangesConfiguration: portRanges behind the PortRangesSpec gate (Alpha), masquerade only', () => {
  const ranges = vmi(
    '[{name: default, masquerade: {}, portRanges: [{protocol: TCP, start: 8000, end: 8100}]}]',
    POD,
  );
  refused(ranges, 'FEATURE_GATE_DISABLED spec.domain.devices.interfaces[0].portRanges');
  const gate = cluster({
    kind: 'KubeVirt',
    spec: { configuration: { developerConfiguration: { featureGates: ['PortRangesSpec'] } } },
  });
  assert.deepEqual(warnings(accepted(ranges, gate)), [
    'PORT_RANGES_FORWARD_ALL spec.domain.devices.interfaces[0].portRanges',
  ]);
  refused(
    vmi('[{name: default, passtBinding: {}, portRanges: [{protocol: TCP, start: 1, end: 2}]}]', POD),
    'PORT_RANGES_NOT_MASQUERADE spec.domain.devices.interfaces[0].portRanges',
    gate,
  );
  refused(
    vmi(
      '[{name: default, masquerade: {}, ports: [{port: 80}], portRanges: [{protocol: TCP, start: 1, end: 2}]}]',
      POD,
    ),
    'PORT_RANGES_WITH_PORTS spec.domain.devices.interfaces[0].portRanges',
    gate,
  );
  refused(
    vmi(
      '[{name: default, masquerade: {}, portRanges: [{protocol: TCP, start: 10, end: 20}, {protocol: TCP, start: 20, end: 30}]}]',
      POD,
    ),
    'PORT_RANGES_OVERLAP spec.domain.devices.interfaces[0].portRanges',
    gate,
  );
  refused(
    vmi('[{name: default, masquerade: {}, portRanges: [{protocol: TCP, start: 30, end: 20}]}]', POD),
    'PORT_RANGE spec.domain.devices.interfaces[0].portRanges[0].start',
    gate,
  );
});

test('KubeVirt admitter/dra.go validateNetworkDevicesWithDRA: resourceClaim networks behind the NetworkDevicesWithDRA gate (Alpha)', () => {
  const dra = vmi('[{name: d, sriov: {}}]', '[{name: d, resourceClaim: {claimName: c, requestName: r}}]');
  refused(dra, 'FEATURE_GATE_DISABLED spec.networks[0].resourceClaim');
  const gate = cluster({ kind: 'ConfigMap', data: { 'feature-gates': 'NetworkDevicesWithDRA' } });
  refused(
    vmi('[{name: d, sriov: {}}]', '[{name: d, resourceClaim: {claimName: c}}]'),
    'FIELD_REQUIRED spec.networks[0].resourceClaim.requestName',
    gate,
  );
  // Gate on and complete: KubeVirt accepts it; virtnet has no DRA driver and says so.
  refused(dra, 'DRA_NETWORK_UNSUPPORTED spec.networks[0].resourceClaim', gate);
});

test('KubeVirt vmi-create-admitter validateProbe: exactly one handler; httpGet/tcpSocket need the pod network', () => {
  accepted(vmi('[{name: default, masquerade: {}}]', POD, '  readinessProbe: {httpGet: {port: 80}}'));
  refused(
    vmi(
      '[{name: default, masquerade: {}}]',
      POD,
      '  readinessProbe: {httpGet: {port: 80}, tcpSocket: {port: 22}}',
    ),
    'PROBE_HANDLER_COUNT spec.readinessProbe',
  );
  refused(
    vmi('[{name: default, masquerade: {}}]', POD, '  livenessProbe: {initialDelaySeconds: 5}'),
    'PROBE_HANDLER_COUNT spec.livenessProbe',
  );
  const noPod = vmi(
    '[{name: red, bridge: {}}]',
    '[{name: red, multus: {networkName: red, default: true}}]',
    '  livenessProbe: {tcpSocket: {port: 22}}',
  );
  refused(noPod, 'PROBE_NEEDS_POD_NETWORK spec.livenessProbe.tcpSocket');
  accepted(
    vmi(
      '[{name: red, bridge: {}}]',
      '[{name: red, multus: {networkName: red}}]',
      '  livenessProbe: {guestAgentPing: {}}',
    ),
  );
});

test('KubeVirt vmi-create-admitter validateDNSPolicy / validatePodDNSConfig: the pod DNS rules of Kubernetes', () => {
  const base = (extra: string) => vmi('[{name: default, masquerade: {}}]', POD, extra);
  accepted(
    base(
      '  dnsPolicy: None\n  dnsConfig: {nameservers: [1.1.1.1, "2001:db8::1"], searches: [a.example], options: [{name: ndots, value: "2"}]}',
    ),
  );
  refused(base('  dnsPolicy: Sometimes'), 'DNS_POLICY_INVALID spec.dnsPolicy');
  refused(base('  dnsPolicy: None'), 'DNS_CONFIG_INVALID spec.dnsConfig');
  refused(
    base('  dnsPolicy: None\n  dnsConfig: {searches: [a.example]}'),
    'DNS_CONFIG_INVALID spec.dnsConfig.nameservers',
  );
  refused(
    base('  dnsConfig: {nameservers: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4]}'),
    'DNS_CONFIG_INVALID spec.dnsConfig.nameservers',
  );
  refused(base('  dnsConfig: {nameservers: [one.one]}'), 'DNS_CONFIG_INVALID spec.dnsConfig.nameservers[0]');
  refused(
    base('  dnsConfig: {searches: [a, b, c, d, e, f, g]}'),
    'DNS_CONFIG_INVALID spec.dnsConfig.searches',
  );
  refused(base('  dnsConfig: {searches: [Not_A_Domain]}'), 'DNS_CONFIG_INVALID spec.dnsConfig.searches[0]');
  refused(
    base('  dnsConfig: {options: [{value: "1"}]}'),
    'DNS_CONFIG_INVALID spec.dnsConfig.options[0].name',
  );
});

test('KubeVirt webhooks/amd64.go ValidateLaunchSecurityAmd64: SEV/SNP/TDX do not work with bootable NICs', () => {
  const ls = `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: t}
spec:
  domain:
    launchSecurity: {sev: {}}
    devices:
      interfaces: [{name: default, masquerade: {}, BOOT}]
  networks: [{name: default, pod: {}}]
`;
  accepted(ls.replace(', BOOT', ''));
  refused(ls.replace('BOOT', 'bootOrder: 1'), 'LAUNCH_SECURITY_BOOTABLE_NIC spec.domain.launchSecurity');
});

test('KubeVirt vmi-create-admitter validateBootOrder: boot orders > 0 and unique across disks and interfaces', () => {
  refused(
    vmi('[{name: default, masquerade: {}, bootOrder: 0}]', POD),
    'BOOT_ORDER_INVALID spec.domain.devices.interfaces[0].bootOrder',
  );
  const withDisk = vmi('[{name: default, masquerade: {}, bootOrder: 1}]', POD).replace(
    '    devices:\n',
    '    devices:\n      disks: [{name: d, bootOrder: 1}]\n',
  );
  refused(withDisk, 'DUPLICATE_BOOT_ORDER spec.domain.devices.interfaces[0].bootOrder');
});

test('KubeVirt API: acpiIndex is a Go int with omitempty, so 0 means unset', () => {
  const r = accepted(
    vmi(
      '[{name: default, masquerade: {}, acpiIndex: 0}, {name: red, bridge: {}, acpiIndex: 0}]',
      '[{name: default, pod: {}}, {name: red, multus: {networkName: red}}]',
    ),
  );
  assert.deepEqual(
    r.spec?.interfaces.map((i) => i.acpiIndex),
    [undefined, undefined],
    'two zeros are no duplicate',
  );
});
