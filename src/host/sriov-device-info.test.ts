// Parsing of network-status/device-info, PCIDEVICE_* variables and the PF's VF settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import {
  deviceInfoPciAddress,
  findNetworkStatus,
  normalizePciAddress,
  parseNetworkStatus,
  pciAddressesFromEnv,
  resourceEnvName,
} from './sriov-device-info.js';
import { parsePfVfConfig } from './sriov-pf.js';

test('network-status: device-info PCI address, network lookup by namespace/name', () => {
  const entries = parseNetworkStatus(
    '[{"name":"cbr0","interface":"eth0","ips":["10.244.0.7"],"default":true},' +
      '{"name":"sriov/sriov-net","interface":"net1","device-info":{"type":"pci","version":"1.1.0","pci":{"pci-address":"0000:18:02.5"}}}]',
  );
  assert.equal(deviceInfoPciAddress(findNetworkStatus(entries, 'sriov-net', 'sriov')), '0000:18:02.5');
  assert.equal(
    deviceInfoPciAddress(findNetworkStatus(entries, 'sriov/sriov-net', 'default')),
    '0000:18:02.5',
  );
  assert.equal(findNetworkStatus(entries, 'sriov-net', 'default'), undefined);
  assert.equal(deviceInfoPciAddress({ name: 'x', 'device-info': { type: 'vdpa' } }), undefined);
  for (const bad of ['{', '{"name":"x"}', '[{"ips":[]}]'])
    assert.throws(
      () => parseNetworkStatus(bad),
      (e) => isVirtnetError(e, 'SRIOV_BAD_NETWORK_STATUS'),
    );
});

test('PCI addresses and device plugin variables', () => {
  assert.equal(normalizePciAddress('0000:3B:02.1'), '0000:3b:02.1');
  assert.equal(normalizePciAddress('3b:02.1'), '0000:3b:02.1');
  for (const bad of ['0000:3b:20.1', '0000:3b:02.8', '../../etc', ''])
    assert.equal(normalizePciAddress(bad), undefined, bad);
  assert.equal(resourceEnvName('intel.com/sriov_net'), 'PCIDEVICE_INTEL_COM_SRIOV_NET');
  const env = {
    PCIDEVICE_INTEL_COM_A: '0000:18:02.5,0000:18:02.4',
    PCIDEVICE_INTEL_COM_A_INFO: '{"0000:18:02.5":{}}',
    PCIDEVICE_B: 'junk,0000:19:00.1',
    PATH: '/bin',
  };
  assert.deepEqual(pciAddressesFromEnv(env), ['0000:18:02.4', '0000:18:02.5', '0000:19:00.1']);
  assert.deepEqual(pciAddressesFromEnv(env, 'intel.com/a'), ['0000:18:02.4', '0000:18:02.5']);
});

test('PF VF settings from ip -j -d link: vlan_list and flat vlan forms', () => {
  const listForm = [
    {
      vfinfo_list: [
        {
          vf: 3,
          address: 'AA:BB:CC:00:00:01',
          vlan_list: [{ vlan: 100, qos: 2 }],
          spoofchk: true,
          trust: false,
        },
      ],
    },
  ];
  assert.deepEqual(parsePfVfConfig(listForm, 3), {
    vf: 3,
    mac: 'aa:bb:cc:00:00:01',
    vlan: 100,
    qos: 2,
    spoofchk: true,
    trust: false,
  });
  const flat = [{ vfinfo_list: [{ vf: 0, address: '00:00:00:00:00:00', vlan: 0, qos: 0 }] }];
  assert.deepEqual(parsePfVfConfig(flat, 0), { vf: 0 });
  assert.equal(parsePfVfConfig(flat, 1), undefined);
  assert.equal(parsePfVfConfig([{ ifname: 'eth0' }], 0), undefined);
});
